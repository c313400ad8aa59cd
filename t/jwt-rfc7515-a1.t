#!/bin/sh
exec "${BUILD:-build}"/t/jwt rfc7515-a1
