#!/usr/bin/perl
# DELETE /api/v1/users/me/sessions/{session_id} (API.md §2): remote logout
# of one of the caller's sessions (204, empty body; that token is 401 at
# once), 403 for another user's session, 404 for unknown or malformed ids
# with the id echoed only in a safe form.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use JSON::PP;

my $s = Stack->start;
my $admin = $s->admin_token;
$s->create_user($admin, username => 'revoker');
my $t1 = $s->login('revoker', 'User-Pass-123');
my $t2 = $s->login('revoker', 'User-Pass-123');
my $t3 = $s->login('revoker', 'User-Pass-123');
ok($t1 && $t2 && $t3, 'three sessions');
my $base = '/api/v1/users/me/sessions';
my $sid2 = Stack::jwt_payload($t2)->{session_id};

my $r = $s->request(DELETE => "$base/$sid2", token => $t1);
is($r->{status}, 204, 'remote logout 204');
is($r->{raw} // '', '', 'empty body');

$r = $s->request(GET => '/api/v1/users/me', token => $t2);
is($r->{status}, 401, 'revoked token 401');
is($r->{json}{detail}, 'Session has been terminated', 'Session has been terminated');
is($r->{headers}{'www-authenticate'}, 'Bearer', 'WWW-Authenticate');
is($s->request(GET => '/api/v1/users/me', token => $t1)->{status}, 200,
    'the caller keeps working');
is($s->request(GET => '/api/v1/users/me', token => $t3)->{status}, 200,
    'the third session keeps working');

# Gone now: 404 with the id.
$r = $s->request(DELETE => "$base/$sid2", token => $t1);
is($r->{status}, 404, 'again: 404');
is($r->{json}{detail}, "Session $sid2 not found", 'again: text');

# Another user's session: 403, and it stays alive.
my $asid = Stack::jwt_payload($admin)->{session_id};
$r = $s->request(DELETE => "$base/$asid", token => $t1);
is($r->{status}, 403, "another user's session 403");
is($r->{json}{detail}, 'You can only delete your own sessions', '403 text');
is($s->request(GET => '/api/v1/users/me', token => $admin)->{status}, 200,
    "the other user's session survives");

# Unknown and malformed ids.
my $unknown = '00000000-0000-4000-8000-000000000000';
$r = $s->request(DELETE => "$base/$unknown", token => $t1);
is($r->{status}, 404, 'unknown uuid 404');
is($r->{json}{detail}, "Session $unknown not found", 'unknown uuid text');
$r = $s->request(DELETE => "$base/not-a-uuid", token => $t1);
is($r->{status}, 404, 'malformed 404');
is($r->{json}{detail}, 'Session not-a-uuid not found', 'malformed text raw');
$r = $s->request(DELETE => "$base/%C3%A9t%0Ae", token => $t1);
is($r->{status}, 404, 'non-ASCII/control id 404');
is($r->{json}{detail}, 'Session ??t?e not found', 'unsafe bytes replaced');
$r = $s->request(DELETE => "$base/" . ('a' x 300), token => $t1);
is($r->{status}, 404, 'long id 404');
is($r->{json}{detail}, 'Session ' . ('a' x 64) . '... not found', 'long id cut');
$r = $s->request(DELETE => "$base/12345", token => $t1);
is($r->{status}, 404, 'integer id 404 (the path takes the UUID)');

# Upper-case form of an own UUID works (UUIDs are case-insensitive).
my $sid3 = Stack::jwt_payload($t3)->{session_id};
$r = $s->request(DELETE => "$base/" . uc($sid3), token => $t1);
is($r->{status}, 204, 'upper-case uuid 204');
is($s->request(GET => '/api/v1/users/me', token => $t3)->{status}, 401,
    'that session is gone');

# Deleting the calling session itself logs the caller out.
my $sid1 = Stack::jwt_payload($t1)->{session_id};
is($s->request(DELETE => "$base/$sid1", token => $t1)->{status}, 204, 'own current 204');
$r = $s->request(GET => '/api/v1/users/me', token => $t1);
is($r->{status}, 401, 'caller now 401');
is($r->{json}{detail}, 'Session has been terminated', 'terminated');

# No token.
$r = $s->request(DELETE => "$base/$unknown");
is($r->{status}, 401, 'no token 401');
done_testing;
