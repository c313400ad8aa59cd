#!/bin/sh
exec "${BUILD:-build}"/t/db seed-admin-race
