#!/bin/sh
exec build/t/provider rate-limit
