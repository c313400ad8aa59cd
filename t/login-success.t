#!/usr/bin/perl
# A correct login returns exactly the contract's token object, a valid
# HS256 JWT with the fixed claims, and records the session and last_login.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use JSON::PP;

my $s = Stack->start;
my $r = $s->request(POST => '/api/v1/auth/login',
    json => { username => 'admin', password => $Stack::ADMIN_PASS },
    headers => { 'User-Agent' => 'login-test/1.0' });
is($r->{status}, 200, 'login 200');
is_deeply([Stack::key_order($r->{raw})],
    [qw(access_token token_type expires_in)], 'exact keys in order');
is($r->{json}{token_type}, 'bearer', 'token_type bearer');
is($r->{json}{expires_in}, 86400, 'expires_in = 1440 min');
is($r->{headers}{'x-ratelimit-limit'}, 5, 'X-RateLimit-Limit');
ok(defined $r->{headers}{'x-ratelimit-remaining'}, 'X-RateLimit-Remaining');
ok(defined $r->{headers}{'x-ratelimit-reset'}, 'X-RateLimit-Reset');
like($r->{headers}{'cache-control'} // '', qr/no-store/, 'no-store');

my $tok = $r->{json}{access_token};
my @parts = split /\./, $tok;
is(scalar @parts, 3, 'three segments');
my $h = $parts[0];
$h =~ tr/-_/+\//;
require MIME::Base64;
is(MIME::Base64::decode_base64($h . '=' x ((4 - length($h) % 4) % 4)),
    '{"alg":"HS256","typ":"JWT"}', 'header exact');
my $c = Stack::jwt_payload($tok);
is($c->{sub}, 'admin', 'sub');
ok($c->{user_id} =~ /^\d+$/, 'user_id int');
is($c->{role}, 'admin', 'role');
like($c->{session_id}, qr/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'session_id UUIDv4');
ok(JSON::PP::is_bool($c->{password_must_change}) && !$c->{password_must_change}, 'password_must_change false');
ok(abs($c->{exp} - time - 86400) < 30, 'exp about a day ahead');
ok(defined $c->{iat} && defined $c->{jti}, 'iat and jti');

# remember_me lengthens the token to 7 days.
$r = $s->request(POST => '/api/v1/auth/login', json => { username => 'admin',
    password => $Stack::ADMIN_PASS, remember_me => JSON::PP::true });
is($r->{json}{expires_in}, 604800, 'remember_me: 7 days');

# Username or email, case-insensitively.
ok($s->login('ADMIN', $Stack::ADMIN_PASS), 'upper-case username');
ok($s->login('Admin@Example.COM', $Stack::ADMIN_PASS), 'email, any case');

# The token works; the session records agent and address; last_login set.
$r = $s->request(GET => '/api/v1/auth/me', token => $tok);
is($r->{status}, 200, 'me 200');
is_deeply($r->{json}, { username => 'admin' }, 'me body');
$r = $s->request(POST => '/api/v1/auth/validate', token => $tok);
is($r->{status}, 200, 'validate 200');
is($r->{raw}, '{"valid":true,"username":"admin"}', 'validate body exact');
done_testing;
