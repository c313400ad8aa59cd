#!/bin/sh
exec "${BUILD:-build}"/t/image image-encode-roundtrip
