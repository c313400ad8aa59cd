#!/bin/sh
exec "${BUILD:-build}"/t/jobs jobs-usage-cache-db
