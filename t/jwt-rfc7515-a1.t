#!/bin/sh
exec build/t/jwt rfc7515-a1
