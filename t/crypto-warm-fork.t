#!/bin/sh
exec "${BUILD:-build}"/t/crypto warm-fork
