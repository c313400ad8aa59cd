#!/usr/bin/perl
# An invalid configuration stops the start, and the message names the key
# and where the value came from (file or environment variable).
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use File::Temp qw(tempdir);

my $vardir = tempdir(CLEANUP => 1);
my $env = "VARDIR=$vardir HTTP_PORT=" . Stack::free_port() .
    " HTTPS_PORT=" . Stack::free_port() . " CONFIG_DIR=$Stack::TOP/conf";
my $out = `$env MAX_UPLOAD_SIZE_MB=lots sh $Stack::TOP/scripts/stack start 2>&1`;
isnt($?, 0, 'start fails on a bad environment value');
like($out, qr/MAX_UPLOAD_SIZE_MB/, 'names the environment variable');
like($out, qr/max_upload_size_mb/, 'names the key');
unlike($out, qr/photorestore is up/, 'does not claim to be up');

my $dir = tempdir(CLEANUP => 1);
system('cp', "$Stack::TOP/conf/default.json", "$dir/default.json") == 0 or die;
open(my $fh, '>', "$dir/broken.json") or die;
print $fh '{"security": {"access_token_expire_minutes": "soon"}}';
close $fh;
$out = `VARDIR=$vardir CONFIG_DIR=$dir APP_ENV=broken sh $Stack::TOP/scripts/stack start 2>&1`;
isnt($?, 0, 'start fails on a bad file value');
like($out, qr/broken\.json/, 'names the file');
like($out, qr/access_token_expire_minutes/, 'names the key');
`VARDIR=$vardir sh $Stack::TOP/scripts/stack stop 2>&1`;
ok(!-e "$vardir/run/nginx.pid", 'nothing left running');
done_testing;
