#!/bin/sh
exec build/t/config secret
