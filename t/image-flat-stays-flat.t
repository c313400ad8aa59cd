#!/bin/sh
exec "${BUILD:-build}"/t/image image-flat-stays-flat
