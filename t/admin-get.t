#!/usr/bin/perl
# GET /api/v1/admin/users/{id} (API.md §3): the UserResponse, 404 "User
# with ID <id> not found", 422 int_parsing for an id that is no integer.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use JSON::PP;

my $s = Stack->start;
my $admin = $s->admin_token;
my $u = $s->create_user($admin, username => 'getme');

my $r = $s->request(GET => "/api/v1/admin/users/$u->{id}", token => $admin);
is($r->{status}, 200, 'get 200');
is_deeply($r->{json}, $u, 'same as created');
is_deeply([Stack::key_order($r->{raw})],
    [qw(id username email full_name role is_active created_at last_login
    password_must_change)], 'key order');

for my $id (99999, 0, -1) {
	$r = $s->request(GET => "/api/v1/admin/users/$id", token => $admin);
	is($r->{status}, 404, "id $id: 404");
	is($r->{json}{detail}, "User with ID $id not found", "id $id: text");
}

my $msg = 'Input should be a valid integer, unable to parse string as an integer';
for my $bad ('abc', '1.5', '1e3', '0x10', '99999999999999999999999', '%20') {
	$r = $s->request(GET => "/api/v1/admin/users/$bad", token => $admin);
	is($r->{status}, 422, "'$bad': 422");
	is_deeply($r->{json}, { detail => [{ type => 'int_parsing',
	    loc => ['path', 'user_id'], msg => $msg,
	    input => $bad eq '%20' ? ' ' : $bad }] }, "'$bad': the entry");
}
# Bytes that are not UTF-8 come back as U+FFFD, so the answer stays JSON.
$r = $s->request(GET => '/api/v1/admin/users/%FF1', token => $admin);
is($r->{status}, 422, 'non-UTF-8 id: 422');
is($r->{json}{detail}[0]{input}, "\x{fffd}1", 'input made valid UTF-8');

# Not an admin, or no token: the gate comes before the 404/422.
my $t = $s->login('getme', 'User-Pass-123');
is($s->request(GET => '/api/v1/admin/users/abc', token => $t)->{status}, 403, 'user: 403 first');
is($s->request(GET => '/api/v1/admin/users/abc')->{status}, 401, 'no token: 401 first');
done_testing;
