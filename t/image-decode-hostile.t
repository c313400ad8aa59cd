#!/bin/sh
exec build/t/image image-decode-hostile
