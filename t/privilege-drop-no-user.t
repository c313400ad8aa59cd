#!/usr/bin/perl
# Started as root with PHOTORESTORE_USER naming a user that does not
# exist, a FastCGI program refuses to run, says why, and leaves nothing
# behind (no socket, no database).
use strict; use warnings;
use Test::More;
use File::Temp qw(tempdir);
use lib 't/lib';
use Stack;

plan skip_all => 'needs root' unless $> == 0;
my $tmp = tempdir('photorestore-priv-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $user = 'photorestore-no-such-user';
plan skip_all => "a user $user exists" if getpwnam($user);

my $out = `VARDIR='$tmp' CONFIG_DIR='$Stack::TOP/conf' PHOTORESTORE_USER='$user' $Stack::BUILD/cgi-bin/users.fcgi -s '$tmp/users.sock' 2>&1`;
isnt($? >> 8, 0, 'refuses to start');
like($out, qr/started as root.*"\Q$user\E".*does not exist.*refusing to run as root/s,
    'names the missing user and says it will not run as root') or diag $out;
ok(!-e "$tmp/users.sock", 'no socket made');
ok(!-e "$tmp/photorestore.db", 'no database made');
done_testing;
