#!/bin/sh
exec build/t/db migrate-concurrent
