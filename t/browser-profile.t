#!/usr/bin/perl
# t/browser-profile.t: in a real browser (Debian's chromium, headless, driven by
# playwright-core from t/browser/node_modules), profile: account, sessions with the current one marked, revoking sessions, password change.
# Starts a private stack (t/lib/Stack.pm) and runs t/browser/profile.mjs against it.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/browser/lib";
use BrowserTest;

BrowserTest::run('profile');
