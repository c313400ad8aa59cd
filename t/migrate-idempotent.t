#!/bin/sh
exec build/t/db migrate-idempotent
