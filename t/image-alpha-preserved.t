#!/bin/sh
exec build/t/image image-alpha-preserved
