#!/usr/bin/perl
# Forged claims signed with the site's real key (the worst case: the key
# leaked): a user's own session with "role":"admin" still gets 403 on
# /admin (the role is read from the database); the user's session with
# the admin's user_id or sub is refused (the session must belong to
# user_id: 401 "Session has been terminated"); password_must_change
# false does not lift the database's flag.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Attack qw(secret_key sign_claims healthy is_error is_401);

my $s = Stack->start;
my $admin = $s->admin_token;
my $u = $s->create_user($admin, username => 'forger');
my $user = $s->login('forger', 'User-Pass-123');
my $key = secret_key($s);
my $c = Stack::jwt_payload($user);
my $a = Stack::jwt_payload($admin);
my $DENY = 'Admin access required. You do not have permission to perform this action.';

my $t = sign_claims($key, { %$c, role => 'admin' });
for my $p ('/api/v1/admin/users', "/api/v1/admin/users/$a->{user_id}") {
	is_error($s->request(GET => $p, token => $t), 403, $DENY,
	    "role admin claim: GET $p");
}
is_error($s->request(PUT => "/api/v1/admin/users/$u->{id}", token => $t,
    json => { role => 'admin' }), 403, $DENY, 'role admin claim: self-promotion');
is($s->request(GET => '/api/v1/users/me', token => $t)->{json}{role}, 'user',
    'users/me still says user');

for my $forge ({ user_id => $a->{user_id} }, { user_id => $a->{user_id}, sub => 'admin',
    role => 'admin' }) {
	my $tt = sign_claims($key, { %$c, %$forge });
	for my $p ('/api/v1/users/me', '/api/v1/admin/users', '/api/v1/restore/history') {
		is_401($s->request(GET => $p, token => $tt), 'Session has been terminated',
		    "user's session with the admin's user_id: $p");
	}
}
# sub alone changed: identity comes from user_id and the session.
my $ts = sign_claims($key, { %$c, sub => 'admin' });
my $r = $s->request(GET => '/api/v1/users/me', token => $ts);
ok($r->{status} == 401 || ($r->{status} == 200 && $r->{json}{username} eq 'forger'),
    'sub admin on the user\'s session: refused, or still the user');

# The must-change flag lives in the database.
$r = $s->request(PUT => "/api/v1/admin/users/$u->{id}/reset-password", token => $admin,
    json => { new_password => 'Reset-Pass-123', password_must_change => JSON::PP::true });
is($r->{status}, 200, 'admin resets the password with must-change');
my $fresh = $s->login('forger', 'Reset-Pass-123');
my $fc = Stack::jwt_payload($fresh);
my $tf = sign_claims($key, { %$fc, password_must_change => JSON::PP::false });
is_error($s->request(GET => '/api/v1/restore/history', token => $tf), 403,
    'Password change required', 'must-change false in a forged token');
healthy($s);
done_testing;
