#!/bin/sh
exec build/t/multipart binary
