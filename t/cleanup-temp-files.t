#!/bin/sh
exec "${BUILD:-build}"/t/cleanup temp
