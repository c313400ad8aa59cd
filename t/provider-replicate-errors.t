#!/bin/sh
exec build/t/provider replicate-errors
