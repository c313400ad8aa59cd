#!/bin/sh
exec build/t/config invalid
