#!/bin/sh
exec build/t/image image-cast-neutralised
