#!/bin/sh
exec "${BUILD:-build}"/t/jobs jobs-cancel-db
