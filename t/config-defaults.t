#!/bin/sh
exec build/t/config defaults
