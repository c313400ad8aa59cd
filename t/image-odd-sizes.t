#!/bin/sh
exec "${BUILD:-build}"/t/image image-odd-sizes
