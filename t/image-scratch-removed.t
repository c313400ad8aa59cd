#!/bin/sh
exec "${BUILD:-build}"/t/image image-scratch-removed
