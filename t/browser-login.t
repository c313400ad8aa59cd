#!/usr/bin/perl
# t/browser-login.t: in a real browser (Debian's chromium, headless, driven by
# playwright-core from t/browser/node_modules), the login page: wrong credentials, network error, rate limiting with Retry-After, remember me, logout.
# Starts a private stack (t/lib/Stack.pm) and runs t/browser/login.mjs against it.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/browser/lib";
use BrowserTest;

BrowserTest::run('login');
