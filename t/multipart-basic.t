#!/bin/sh
exec build/t/multipart basic
