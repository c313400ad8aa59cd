#!/bin/sh
exec build/t/db seed-admin-race
