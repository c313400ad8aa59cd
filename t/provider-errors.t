#!/bin/sh
exec build/t/provider errors
