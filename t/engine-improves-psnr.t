#!/bin/sh
exec "${BUILD:-build}"/t/image engine-improves-psnr
