#!/bin/sh
exec build/t/config json-strict
