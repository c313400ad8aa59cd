#!/bin/sh
exec build/t/http http-json-fields
