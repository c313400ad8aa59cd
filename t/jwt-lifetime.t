#!/bin/sh
exec build/t/jwt lifetime
