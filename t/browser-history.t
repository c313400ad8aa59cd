#!/usr/bin/perl
# t/browser-history.t: in a real browser (Debian's chromium, headless, driven by
# playwright-core from t/browser/node_modules), history: thumbnails, pagination, session filter, comparison, download, delete.
# Starts a private stack (t/lib/Stack.pm) and runs t/browser/history.mjs against it.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/browser/lib";
use BrowserTest;

BrowserTest::run('history');
