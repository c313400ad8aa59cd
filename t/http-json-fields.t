#!/bin/sh
exec "${BUILD:-build}"/t/http http-json-fields
