#!/bin/sh
exec "${BUILD:-build}"/t/password policy
