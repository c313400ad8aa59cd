#!/bin/sh
exec "${BUILD:-build}"/t/multipart binary
