#!/bin/sh
exec build/t/provider loading
