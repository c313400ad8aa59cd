#!/bin/sh
exec "${BUILD:-build}"/t/image image-exif-orientation
