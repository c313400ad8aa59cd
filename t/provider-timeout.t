#!/bin/sh
exec "${BUILD:-build}"/t/provider timeout
