#!/bin/sh
exec build/t/image image-scratch-removed
