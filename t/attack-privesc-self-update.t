#!/usr/bin/perl
# A user cannot change what it is: there is no PUT/PATCH/POST on
# /users/me (405), extra members in PUT /users/me/password (role,
# is_active, username, id) are ignored, and no user route accepts a
# role; after all of it the user is still an active "user".
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Attack qw(healthy is_error sql);

my $s = Stack->start;
my $admin = $s->admin_token;
my $u = $s->create_user($admin, username => 'selfish');
my $user = $s->login('selfish', 'User-Pass-123');

for my $m (qw(PUT PATCH POST DELETE)) {
	my $r = $s->request($m => '/api/v1/users/me', token => $user,
	    json => { role => 'admin', is_active => JSON::PP::true });
	is_error($r, 405, 'Method Not Allowed', "$m /users/me");
}
for my $p ('/api/v1/users/me/role', '/api/v1/users/1', "/api/v1/users/$u->{id}",
    '/api/v1/users/me/../../admin/users') {
	my $r = $s->request(PUT => $p, token => $user, json => { role => 'admin' });
	ok($r->{status} == 404 || $r->{status} == 405 || $r->{status} == 403,
	    "PUT $p: 403/404/405 ($r->{status})") or diag $r->{raw};
}
my $r = $s->request(PUT => '/api/v1/users/me/password', token => $user,
    json => { current_password => 'User-Pass-123', new_password => 'Newer-Pass-123',
    role => 'admin', is_active => JSON::PP::true, username => 'admin', id => 1,
    user_id => 1, password_must_change => JSON::PP::false });
is($r->{status}, 200, 'password change with extra members: 200') or diag $r->{raw};
my @row = sql($s, "SELECT username || '|' || role || '|' || is_active FROM users WHERE id = $u->{id}");
is($row[0], 'selfish|user|1', 'still selfish, user, active');
is((sql($s, "SELECT role FROM users WHERE id = 1"))[0], 'admin', "the admin's row untouched");
ok($s->login('admin', $Stack::ADMIN_PASS), "the admin's password untouched");
my $t2 = $s->login('selfish', 'Newer-Pass-123');
is($s->request(GET => '/api/v1/admin/users', token => $t2)->{status}, 403,
    'the new token is still not admin');
healthy($s);
done_testing;
