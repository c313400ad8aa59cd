#!/usr/bin/perl
# Deactivation takes effect at once (API.md §0, §3): the user's live token
# is 401 "User account has been disabled", login is 401 "Invalid
# credentials", and the sessions are gone even after reactivation.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use JSON::PP;

my $s = Stack->start;
my $admin = $s->admin_token;
my $u = $s->create_user($admin, username => 'sleepy');
my $tok = $s->login('sleepy', 'User-Pass-123');
my $tok2 = $s->login('sleepy', 'User-Pass-123');
is($s->request(GET => '/api/v1/users/me', token => $tok)->{status}, 200, 'active: 200');

my $r = $s->request(PUT => "/api/v1/admin/users/$u->{id}", token => $admin,
    json => { is_active => JSON::PP::false });
is($r->{status}, 200, 'deactivated');
ok(!$r->{json}{is_active}, 'is_active false');

for my $p ('/api/v1/users/me', '/api/v1/users/me/sessions', '/api/v1/auth/me') {
	$r = $s->request(GET => $p, token => $tok);
	is($r->{status}, 401, "$p: 401 at once");
	is($r->{json}{detail}, 'User account has been disabled', "$p: disabled");
	is($r->{headers}{'www-authenticate'}, 'Bearer', "$p: WWW-Authenticate");
}
$r = $s->request(POST => '/api/v1/auth/login',
    json => { username => 'sleepy', password => 'User-Pass-123' });
is($r->{status}, 401, 'login 401');
is($r->{json}{detail}, 'Invalid credentials', 'Invalid credentials');

# Reactivation does not bring the old sessions back.
$r = $s->request(PUT => "/api/v1/admin/users/$u->{id}", token => $admin,
    json => { is_active => JSON::PP::true });
is($r->{status}, 200, 'reactivated');
for my $t ($tok, $tok2) {
	$r = $s->request(GET => '/api/v1/users/me', token => $t);
	is($r->{status}, 401, 'old token still 401');
	is($r->{json}{detail}, 'Session has been terminated', 'its session was revoked');
}
my $new = $s->login('sleepy', 'User-Pass-123');
ok($new, 'login works again');
$r = $s->request(GET => '/api/v1/users/me/sessions', token => $new);
is($r->{json}{total}, 1, 'only the new session exists');
done_testing;
