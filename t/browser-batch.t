#!/usr/bin/perl
# t/browser-batch.t: in a real browser (Debian's chromium, headless, driven by
# playwright-core from t/browser/node_modules), the Restore page's batch queue: several
# photos as one background job, per-file progress, the zip of the results (issue 10).
# Starts a private stack (t/lib/Stack.pm) and runs t/browser/batch.mjs against it.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/browser/lib";
use BrowserTest;

BrowserTest::run('batch');
