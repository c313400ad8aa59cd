#!/bin/sh
exec build/t/password generate
