#!/bin/sh
exec build/t/db db-sessions
