#!/usr/bin/perl
# GET /api/v1/users/me answers the caller's UserResponse (API.md §2) from
# the database: exact keys in order, ISO times with Z, last_login null
# until the first login, and changes made by an admin show at once.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use JSON::PP;

my $s = Stack->start;
my $admin = $s->admin_token;
ok($admin, 'admin logged in');

my $r = $s->request(GET => '/api/v1/users/me', token => $admin);
is($r->{status}, 200, 'me 200');
like($r->{headers}{'content-type'}, qr{^application/json}, 'JSON');
is_deeply([Stack::key_order($r->{raw})],
    [qw(id username email full_name role is_active created_at last_login
    password_must_change)], 'UserResponse keys in order');
my $me = $r->{json};
ok($me->{id} =~ /^\d+$/, 'id is an integer');
is($me->{username}, 'admin', 'username');
is($me->{email}, 'admin@example.com', 'email');
is($me->{full_name}, 'Site Admin', 'full_name');
is($me->{role}, 'admin', 'role');
ok(JSON::PP::is_bool($me->{is_active}) && $me->{is_active}, 'is_active true');
ok(JSON::PP::is_bool($me->{password_must_change}) &&
    !$me->{password_must_change}, 'password_must_change false');
like($me->{created_at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/,
    'created_at ISO UTC with Z');
like($me->{last_login} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/,
    'last_login set by the login, with Z');
is($me->{id}, Stack::jwt_payload($admin)->{user_id}, 'id matches the token');

# A new user: last_login null in the admin view until they log in.
my $u = $s->create_user($admin, username => 'meuser');
ok(!defined $u->{last_login}, 'never logged in: last_login null');
my $tok = $s->login('meuser', 'User-Pass-123');
ok($tok, 'user logged in');
$r = $s->request(GET => '/api/v1/users/me', token => $tok);
is($r->{status}, 200, 'user me 200');
is($r->{json}{username}, 'meuser', 'own username');
is($r->{json}{role}, 'user', 'role user');
ok(defined $r->{json}{last_login}, 'last_login set now');

# Read from the database on each request, not from the token.
$r = $s->request(PUT => "/api/v1/admin/users/$u->{id}", token => $admin,
    json => { full_name => 'Renamed Person' });
is($r->{status}, 200, 'admin renamed the user');
$r = $s->request(GET => '/api/v1/users/me', token => $tok);
is($r->{json}{full_name}, 'Renamed Person', 'same token sees the new name');

# No credentials.
$r = $s->request(GET => '/api/v1/users/me');
is($r->{status}, 401, 'no token 401');
is($r->{json}{detail}, 'Not authenticated', 'Not authenticated');
is($r->{headers}{'www-authenticate'}, 'Bearer', 'WWW-Authenticate');

# Wrong method on a known path.
$r = $s->request(POST => '/api/v1/users/me', token => $tok);
is($r->{status}, 405, 'POST /users/me 405');
is($r->{json}{detail}, 'Method Not Allowed', '405 detail');
done_testing;
