#!/bin/sh
exec build/t/password pbkdf2-sha256-vectors
