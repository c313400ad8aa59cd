#!/bin/sh
exec "${BUILD:-build}"/t/password hash-verify
