#!/usr/bin/perl
# After five failures for one username+IP, logins get 429 with
# Retry-After, even with the right password; other usernames are not
# affected.  The counter lives in the database (survives a restart).
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;

my $s = Stack->start;
my $r;
for my $i (1 .. 5) {
	$r = $s->request(POST => '/api/v1/auth/login',
	    json => { username => 'admin', password => "Wrong-$i" });
	is($r->{status}, 401, "failure $i is 401");
}
is($r->{headers}{'x-ratelimit-remaining'}, 0, 'remaining 0 after five');
$r = $s->request(POST => '/api/v1/auth/login',
    json => { username => 'admin', password => $Stack::ADMIN_PASS });
is($r->{status}, 429, 'locked: right password gets 429');
is($r->{raw}, '{"detail":"Too many requests"}', '429 detail');
ok($r->{headers}{'retry-after'} > 0 && $r->{headers}{'retry-after'} <= 300, 'Retry-After within window');
is($r->{headers}{'x-ratelimit-remaining'}, 0, 'X-RateLimit-Remaining 0');
$r = $s->request(POST => '/api/v1/auth/login',
    json => { username => 'ADMIN', password => $Stack::ADMIN_PASS });
is($r->{status}, 429, 'same username in another case is locked too');
$r = $s->request(POST => '/api/v1/auth/login',
    json => { username => 'someone', password => 'x' });
is($r->{status}, 401, 'other usernames unaffected');
$s->script('stop');
$s->script('start');
$r = $s->request(POST => '/api/v1/auth/login',
    json => { username => 'admin', password => $Stack::ADMIN_PASS });
is($r->{status}, 429, 'still locked after a restart');
done_testing;
