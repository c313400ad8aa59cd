#!/bin/sh
exec build/t/multipart malformed
