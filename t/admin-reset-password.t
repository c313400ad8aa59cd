#!/usr/bin/perl
# PUT /api/v1/admin/users/{id}/reset-password (API.md §3): the policy on
# new_password, password_must_change defaults to true, every session of
# the user ends, and the UserResponse comes back.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use JSON::PP;

my $s = Stack->start;
my $admin = $s->admin_token;
my $u = $s->create_user($admin, username => 'forgetful');
my $t1 = $s->login('forgetful', 'User-Pass-123');
my $t2 = $s->login('forgetful', 'User-Pass-123');
my $path = "/api/v1/admin/users/$u->{id}/reset-password";

my $r = $s->request(PUT => $path, token => $admin, json => { new_password => 'Fresh-Pass-1' });
is($r->{status}, 200, 'reset 200');
is_deeply([Stack::key_order($r->{raw})],
    [qw(id username email full_name role is_active created_at last_login
    password_must_change)], 'UserResponse keys');
is($r->{json}{id}, $u->{id}, 'the same user');
ok($r->{json}{password_must_change}, 'must-change defaults to true');
for my $t ($t1, $t2) {
	my $rr = $s->request(GET => '/api/v1/users/me', token => $t);
	is($rr->{status}, 401, 'old session ended');
	is($rr->{json}{detail}, 'Session has been terminated', 'terminated');
}
ok(!defined $s->login('forgetful', 'User-Pass-123'), 'old password refused');
my $t3 = $s->login('forgetful', 'Fresh-Pass-1');
ok($t3, 'new password works');
ok(Stack::jwt_payload($t3)->{password_must_change}, 'token: must change');
$r = $s->request(GET => '/api/v1/users/me/sessions', token => $t3);
is($r->{status}, 200, 'sessions allowed while gated');

$r = $s->request(PUT => $path, token => $admin,
    json => { new_password => 'Fresh-Pass-2', password_must_change => JSON::PP::false });
is($r->{status}, 200, 'reset with must-change false');
ok(!$r->{json}{password_must_change}, 'flag false as asked');
is($s->request(GET => '/api/v1/users/me', token => $t3)->{status}, 401, 'that session ended too');
my $t4 = $s->login('forgetful', 'Fresh-Pass-2');
ok($t4 && !Stack::jwt_payload($t4)->{password_must_change}, 'not gated');

# Policy and shape errors, nothing written.
for my $c (['weak', 'string_too_short'], ['alllower123', 'value_error'],
    ['ALLUPPER123', 'value_error'], ['NoDigitsAtAll', 'value_error']) {
	$r = $s->request(PUT => $path, token => $admin, json => { new_password => $c->[0] });
	is($r->{status}, 422, "$c->[0]: 422");
	is($r->{json}{detail}[0]{type}, $c->[1], "$c->[0]: $c->[1]");
	is_deeply($r->{json}{detail}[0]{loc}, ['body', 'new_password'], "$c->[0]: loc");
}
$r = $s->request(PUT => $path, token => $admin, json => {});
is($r->{status}, 422, 'missing new_password 422');
is($r->{json}{detail}[0]{type}, 'missing', 'missing');
$r = $s->request(PUT => $path, token => $admin,
    json => { new_password => 'Fresh-Pass-3', password_must_change => 'perhaps' });
is($r->{status}, 422, 'bad flag 422');
is($r->{json}{detail}[0]{type}, 'bool_parsing', 'bool_parsing');
is($s->request(GET => '/api/v1/users/me', token => $t4)->{status}, 200,
    'failed resets ended no session');
ok($s->login('forgetful', 'Fresh-Pass-2'), 'failed resets changed nothing');

$r = $s->request(PUT => '/api/v1/admin/users/777777/reset-password', token => $admin,
    json => { new_password => 'Fresh-Pass-3' });
is($r->{status}, 404, 'unknown id 404');
is($r->{json}{detail}, 'User with ID 777777 not found', '404 text');
$r = $s->request(PUT => '/api/v1/admin/users/x/reset-password', token => $admin,
    json => { new_password => 'Fresh-Pass-3' });
is($r->{status}, 422, 'bad id 422');
is_deeply($r->{json}{detail}[0]{loc}, ['path', 'user_id'], 'loc path.user_id');
$r = $s->request(GET => $path, token => $admin);
is($r->{status}, 405, 'GET on reset-password: 405');
done_testing;
