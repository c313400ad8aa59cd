#!/bin/sh
exec build/t/config paths
