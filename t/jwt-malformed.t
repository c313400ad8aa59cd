#!/bin/sh
exec "${BUILD:-build}"/t/jwt malformed
