#!/bin/sh
exec build/t/provider local
