#!/bin/sh
exec "${BUILD:-build}"/t/config deep-merge
