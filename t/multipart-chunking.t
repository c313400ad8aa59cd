#!/bin/sh
exec build/t/multipart chunking
