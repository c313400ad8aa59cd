#!/bin/sh
exec "${BUILD:-build}"/t/provider replicate-ok
