#!/bin/sh
exec "${BUILD:-build}"/t/config json-strict
