#!/bin/sh
exec build/t/provider hf-ok
