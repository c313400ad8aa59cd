#!/bin/sh
exec "${BUILD:-build}"/t/provider hf-ok
