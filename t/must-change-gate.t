#!/usr/bin/perl
# The forced password change of API.md §1.3, enforced by the server: while
# the DB flag is set only the listed endpoints answer; every other
# user-level endpoint is 403 "Password change required" until the change.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use JSON::PP;

my $s = Stack->start;
my $admin = $s->admin_token;
my $gate = 'Password change required';

# An administrator who must change the password first.
my $u = $s->create_user($admin, username => 'gated', role => 'admin',
    password_must_change => JSON::PP::true);
my $tok = $s->login('gated', 'User-Pass-123');
my $spare = $s->login('gated', 'User-Pass-123');
my $other = $s->login('gated', 'User-Pass-123');
ok($tok && $spare && $other, 'logged in three times');
my $other_sid = Stack::jwt_payload($other)->{session_id};

# Not exempt: every admin endpoint, and the restore API.
for my $c (['GET', '/api/v1/admin/users'],
    ['GET', "/api/v1/admin/users/$u->{id}"],
    ['POST', '/api/v1/admin/users', { username => 'x1x', email => 'x@example.com',
	full_name => 'X', password => 'User-Pass-123' }],
    ['PUT', "/api/v1/admin/users/$u->{id}", {}],
    ['DELETE', '/api/v1/admin/users/99999'],
    ['PUT', '/api/v1/admin/users/99999/reset-password', { new_password => 'User-Pass-456' }]) {
	my ($m, $p, $j) = @$c;
	my $r = $s->request($m => $p, token => $tok, defined $j ? (json => $j) : ());
	is($r->{status}, 403, "$m $p: 403");
	is($r->{json}{detail}, $gate, "$m $p: $gate");
}
SKIP: {
	my $r = $s->request(GET => '/api/v1/restore/history', token => $tok);
	skip 'restore.fcgi does not serve /restore/history yet', 2
	    if $r->{status} == 404 && ($r->{json}{detail} // '') eq 'Not Found';
	is($r->{status}, 403, 'GET /restore/history: 403');
	is($r->{json}{detail}, $gate, 'GET /restore/history: gate text');
}
# Nothing was created while gated.
my $list = $s->request(GET => '/api/v1/admin/users?search=x1x', token => $admin);
is($list->{json}{total}, 0, 'gated create wrote nothing');

# Exempt: the endpoints listed in §1.3.
my $r = $s->request(GET => '/api/v1/users/me', token => $tok);
is($r->{status}, 200, 'GET /users/me allowed');
ok($r->{json}{password_must_change}, 'flag visible in the profile');
is($s->request(GET => '/api/v1/users/me/sessions', token => $tok)->{status}, 200,
    'GET /users/me/sessions allowed');
is($s->request(DELETE => "/api/v1/users/me/sessions/$other_sid", token => $tok)->{status},
    204, 'DELETE /users/me/sessions/{id} allowed');
is($s->request(POST => '/api/v1/auth/validate', token => $tok)->{status}, 200,
    'POST /auth/validate allowed');
is($s->request(GET => '/api/v1/auth/me', token => $tok)->{status}, 200,
    'GET /auth/me allowed');
is($s->request(POST => '/api/v1/auth/logout', token => $spare)->{status}, 204,
    'POST /auth/logout allowed');
$r = $s->request(PUT => '/api/v1/users/me/password', token => $tok,
    json => { current_password => 'User-Pass-123', new_password => 'Changed-Pass-1' });
is($r->{status}, 200, 'PUT /users/me/password allowed');

# The gate lifts at once for the same token (the flag is read from the DB).
$r = $s->request(GET => '/api/v1/admin/users', token => $tok);
is($r->{status}, 200, 'after the change: admin list 200 with the same token');

# An administrator's reset sets the gate again, at once.
$r = $s->request(PUT => "/api/v1/admin/users/$u->{id}/reset-password",
    token => $admin, json => { new_password => 'Reset-Pass-1' });
is($r->{status}, 200, 'reset');
my $t2 = $s->login('gated', 'Reset-Pass-1');
$r = $s->request(GET => '/api/v1/admin/users', token => $t2);
is($r->{status}, 403, 'gated again after reset');
is($r->{json}{detail}, $gate, 'gate text after reset');
done_testing;
