#!/bin/sh
exec "${BUILD:-build}"/t/jobs params-canonical
