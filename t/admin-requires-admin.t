#!/usr/bin/perl
# Every /api/v1/admin endpoint needs the admin level: a user gets 403 with
# the exact text and nothing is written; no token gets 401.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use JSON::PP;

my $s = Stack->start;
my $admin = $s->admin_token;
my $u = $s->create_user($admin, username => 'plain');
my $tok = $s->login('plain', 'User-Pass-123');
my $deny = 'Admin access required. You do not have permission to perform this action.';
my $new = { username => 'sneaky', email => 'sneaky@example.com', full_name => 'S',
    password => 'User-Pass-123', role => 'admin' };

my @calls = (
	['POST', '/api/v1/admin/users', $new],
	['GET', '/api/v1/admin/users'],
	['GET', '/api/v1/admin/users?role=admin'],
	['GET', "/api/v1/admin/users/$u->{id}"],
	['PUT', "/api/v1/admin/users/$u->{id}", { role => 'admin' }],
	['DELETE', "/api/v1/admin/users/1"],
	['PUT', "/api/v1/admin/users/1/reset-password", { new_password => 'Taken-Over-1' }],
);
for my $c (@calls) {
	my ($m, $p, $j) = @$c;
	my $r = $s->request($m => $p, token => $tok, defined $j ? (json => $j) : ());
	is($r->{status}, 403, "user: $m $p 403");
	is($r->{raw}, '{"detail":"' . $deny . '"}', "user: $m $p exact body");
	$r = $s->request($m => $p, defined $j ? (json => $j) : ());
	is($r->{status}, 401, "no token: $m $p 401");
	is($r->{json}{detail}, 'Not authenticated', "no token: Not authenticated");
}
# Nothing happened.
my $r = $s->request(GET => '/api/v1/admin/users', token => $admin);
is($r->{json}{total}, 2, 'no user created');
is($s->request(GET => "/api/v1/admin/users/$u->{id}", token => $admin)->{json}{role}, 'user',
    'no self-promotion');
ok($s->login('admin', $Stack::ADMIN_PASS), "the admin's password was not reset");
done_testing;
