#!/usr/bin/perl
# t/browser-mobile.t: in a real browser (Debian's chromium, headless, driven by
# playwright-core from t/browser/node_modules), phone-width pass (no horizontal scrolling, menu, touch) and the dark theme.
# Starts a private stack (t/lib/Stack.pm) and runs t/browser/mobile.mjs against it.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/browser/lib";
use BrowserTest;

BrowserTest::run('mobile');
