#!/bin/sh
exec "${BUILD:-build}"/t/jwt lifetime
