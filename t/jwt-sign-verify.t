#!/bin/sh
exec "${BUILD:-build}"/t/jwt sign-verify
