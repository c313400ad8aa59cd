#!/bin/sh
exec "${BUILD:-build}"/t/cleanup paths
