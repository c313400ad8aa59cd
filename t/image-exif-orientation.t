#!/bin/sh
exec build/t/image image-exif-orientation
