#!/usr/bin/perl
# t/browser-admin.t: in a real browser (Debian's chromium, headless, driven by
# playwright-core from t/browser/node_modules), admin users page: search, filters, pagination, create, edit, (de)activate, reset password, delete.
# Starts a private stack (t/lib/Stack.pm) and runs t/browser/admin.mjs against it.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/browser/lib";
use BrowserTest;

BrowserTest::run('admin');
