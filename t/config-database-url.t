#!/bin/sh
exec build/t/config database-url
