#!/bin/sh
exec build/t/image image-odd-sizes
