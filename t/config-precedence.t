#!/bin/sh
exec build/t/config precedence
