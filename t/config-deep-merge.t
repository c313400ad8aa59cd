#!/bin/sh
exec build/t/config deep-merge
