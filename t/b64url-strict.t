#!/bin/sh
exec "${BUILD:-build}"/t/b64url strict
