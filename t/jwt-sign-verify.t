#!/bin/sh
exec build/t/jwt sign-verify
