#!/bin/sh
exec "${BUILD:-build}"/t/image engine-params-validated
