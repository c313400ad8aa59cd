#!/bin/sh
exec "${BUILD:-build}"/t/jobs jobs-lease
