#!/bin/sh
exec build/t/password hash-verify
