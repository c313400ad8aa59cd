#!/bin/sh
exec "${BUILD:-build}"/t/image image-decode-hostile
