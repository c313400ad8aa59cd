#!/bin/sh
exec build/t/config redaction
