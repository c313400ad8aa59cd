#!/bin/sh
exec "${BUILD:-build}"/t/http handlers-direct
