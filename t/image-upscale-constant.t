#!/bin/sh
exec "${BUILD:-build}"/t/image image-upscale-constant
