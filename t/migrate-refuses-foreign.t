#!/bin/sh
exec build/t/db migrate-refuses-foreign
