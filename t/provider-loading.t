#!/bin/sh
exec "${BUILD:-build}"/t/provider loading
