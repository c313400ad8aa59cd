#!/bin/sh
exec "${BUILD:-build}"/t/provider rate-limit
