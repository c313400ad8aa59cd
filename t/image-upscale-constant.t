#!/bin/sh
exec build/t/image image-upscale-constant
