#!/bin/sh
exec build/t/b64url strict
