#!/usr/bin/perl
# t/browser-restore.t: in a real browser (Debian's chromium, headless, driven by
# playwright-core from t/browser/node_modules), restoring a real photo end to end with the local model and comparing before/after.
# Starts a private stack (t/lib/Stack.pm) and runs t/browser/restore.mjs against it.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/browser/lib";
use BrowserTest;

BrowserTest::run('restore');
