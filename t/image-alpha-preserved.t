#!/bin/sh
exec "${BUILD:-build}"/t/image image-alpha-preserved
