#!/bin/sh
exec "${BUILD:-build}"/t/db migrate-refuses-foreign
