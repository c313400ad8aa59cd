#!/bin/sh
exec "${BUILD:-build}"/t/password pbkdf2-sha256-vectors
