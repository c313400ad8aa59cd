#!/usr/bin/perl
# t/browser-unauthorized.t: in a real browser (Debian's chromium, headless, driven by
# playwright-core from t/browser/node_modules), any 401 clears the token and returns to /login with a message.
# Starts a private stack (t/lib/Stack.pm) and runs t/browser/unauthorized.mjs against it.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/browser/lib";
use BrowserTest;

BrowserTest::run('unauthorized');
