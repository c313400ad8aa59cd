#!/bin/sh
exec build/t/jwt alg-none
