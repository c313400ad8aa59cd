#!/bin/sh
exec build/t/password policy
