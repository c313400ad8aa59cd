#!/bin/sh
exec build/t/http http-query
