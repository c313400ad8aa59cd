#!/bin/sh
exec "${BUILD:-build}"/t/db migrate-partial
