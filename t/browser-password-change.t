#!/usr/bin/perl
# t/browser-password-change.t: in a real browser (Debian's chromium, headless, driven by
# playwright-core from t/browser/node_modules), the forced password change after login and on 403 "Password change required".
# Starts a private stack (t/lib/Stack.pm) and runs t/browser/password-change.mjs against it.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/browser/lib";
use BrowserTest;

BrowserTest::run('password-change');
