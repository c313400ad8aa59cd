#!/bin/sh
exec build/t/db db-login-failures
