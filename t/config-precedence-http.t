#!/usr/bin/perl
# Environment beats <APP_ENV>.json beats default.json, seen through the
# running site; the CLI's config dump never shows a secret.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use File::Temp qw(tempdir);

my $dir = tempdir(CLEANUP => 1);
system('cp', "$Stack::TOP/conf/default.json", "$dir/default.json") == 0 or die;
open(my $fh, '>', "$dir/staging.json") or die;
print $fh '{"security":{"access_token_expire_minutes":10,"remember_me_expire_days":2},"application":{"name":"Staging Site"}}';
close $fh;
my $s = Stack->start(env => { CONFIG_DIR => $dir, APP_ENV => 'staging',
    ACCESS_TOKEN_EXPIRE_MINUTES => 5,
    SECRET_KEY => 'k' x 40, HF_API_KEY => 'hf_supersecretvalue',
    DATABASE_URL => 'sqlite:///other.db' });
my $r = $s->request(POST => '/api/v1/auth/login', json => { username => 'admin', password => $Stack::ADMIN_PASS });
is($r->{json}{expires_in}, 300, 'env ACCESS_TOKEN_EXPIRE_MINUTES wins over staging.json');
$r = $s->request(POST => '/api/v1/auth/login', json => { username => 'admin', password => $Stack::ADMIN_PASS, remember_me => JSON::PP::true });
is($r->{json}{expires_in}, 2 * 86400, 'staging.json wins over default.json');
is($s->request(GET => '/api/v1/health')->{json}{app}, 'Staging Site', 'app name from staging.json');
ok(-f $s->vardir . '/other.db', 'DATABASE_URL relative to VARDIR');
my $dump = $s->cli('config');
unlike($dump, qr/k{40}/, 'secret key not printed');
unlike($dump, qr/supersecretvalue/, 'HF key not printed');
unlike($dump, qr/\Q$Stack::ADMIN_PASS\E/, 'admin password not printed');
like($dump, qr/"\*\*\*"/, 'redaction marker present');
# No secret in the logs either.
my $logs = `cat @{[ $s->vardir ]}/log/* 2>/dev/null`;
unlike($logs, qr/supersecretvalue|k{40}|\Q$Stack::ADMIN_PASS\E/, 'logs hold no secret');
done_testing;
