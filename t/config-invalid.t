#!/bin/sh
exec "${BUILD:-build}"/t/config invalid
