#!/bin/sh
exec build/t/image engine-params-validated
