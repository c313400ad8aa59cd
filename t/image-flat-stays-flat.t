#!/bin/sh
exec build/t/image image-flat-stays-flat
