#!/bin/sh
exec build/t/image image-encode-roundtrip
