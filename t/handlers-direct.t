#!/bin/sh
exec build/t/http handlers-direct
