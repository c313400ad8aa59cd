#!/bin/sh
exec "${BUILD:-build}"/t/config database-url
