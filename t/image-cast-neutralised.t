#!/bin/sh
exec "${BUILD:-build}"/t/image image-cast-neutralised
