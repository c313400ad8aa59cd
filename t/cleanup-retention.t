#!/bin/sh
exec "${BUILD:-build}"/t/cleanup retention
