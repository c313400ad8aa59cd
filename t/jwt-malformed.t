#!/bin/sh
exec build/t/jwt malformed
