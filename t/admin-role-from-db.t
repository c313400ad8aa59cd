#!/usr/bin/perl
# The admin level comes from the user's role in the database, not from
# the token's role claim (API.md §0, fix): a demoted admin's token is 403
# on /admin at once, and a promoted user's old token works there at once.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use JSON::PP;

my $s = Stack->start;
my $admin = $s->admin_token;
my $deny = 'Admin access required. You do not have permission to perform this action.';
my $b = $s->create_user($admin, username => 'boss2', role => 'admin');
my $u = $s->create_user($admin, username => 'worker');
my $tb = $s->login('boss2', 'User-Pass-123');
my $tu = $s->login('worker', 'User-Pass-123');
is(Stack::jwt_payload($tb)->{role}, 'admin', 'boss2 token says admin');
is(Stack::jwt_payload($tu)->{role}, 'user', 'worker token says user');
is($s->request(GET => '/api/v1/admin/users', token => $tb)->{status}, 200, 'boss2 is admin');

my $r = $s->request(PUT => "/api/v1/admin/users/$b->{id}", token => $admin, json => { role => 'user' });
is($r->{status}, 200, 'boss2 demoted');
for my $c (['GET', '/api/v1/admin/users'], ['GET', "/api/v1/admin/users/$u->{id}"],
    ['PUT', "/api/v1/admin/users/$u->{id}", { full_name => 'Hacked' }],
    ['DELETE', "/api/v1/admin/users/$u->{id}"]) {
	my ($m, $p, $j) = @$c;
	$r = $s->request($m => $p, token => $tb, defined $j ? (json => $j) : ());
	is($r->{status}, 403, "demoted, same token: $m $p 403");
	is($r->{json}{detail}, $deny, 'admin-required text');
}
is($s->request(GET => "/api/v1/admin/users/$u->{id}", token => $admin)->{json}{full_name},
    'User worker', 'the demoted admin changed nothing');
is($s->request(GET => '/api/v1/users/me', token => $tb)->{status}, 200,
    'the demoted admin is still a user');

$r = $s->request(PUT => "/api/v1/admin/users/$u->{id}", token => $admin, json => { role => 'admin' });
is($r->{status}, 200, 'worker promoted');
is($s->request(GET => '/api/v1/admin/users', token => $tu)->{status}, 200,
    "promoted: the old token with role 'user' works on /admin");
done_testing;
