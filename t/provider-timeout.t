#!/bin/sh
exec build/t/provider timeout
