#!/bin/sh
exec "${BUILD:-build}"/t/pgsql translate
