#!/bin/sh
exec "${BUILD:-build}"/t/password generate
