#!/bin/sh
exec build/t/image engine-improves-psnr
