#!/bin/sh
exec "${BUILD:-build}"/t/jwt alg-none
