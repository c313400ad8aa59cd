#!/bin/sh
exec "${BUILD:-build}"/t/db db-slots
