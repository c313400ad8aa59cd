#!/usr/bin/perl
# PUT /api/v1/users/me/password (API.md §2): wrong current and unchanged
# passwords are 400 with the contract's texts; success clears the
# must-change flag, keeps the calling session and ends all the others.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use JSON::PP;

my $s = Stack->start;
my $admin = $s->admin_token;
my $u = $s->create_user($admin, username => 'pwuser',
    password_must_change => JSON::PP::true);
my $tok1 = $s->login('pwuser', 'User-Pass-123');
my $tok2 = $s->login('pwuser', 'User-Pass-123');
ok($tok1 && $tok2, 'two sessions');
ok(Stack::jwt_payload($tok1)->{password_must_change}, 'token says must change');

my $path = '/api/v1/users/me/password';
my $r = $s->request(PUT => $path, token => $tok1,
    json => { current_password => 'Wrong-Pass-123', new_password => 'New-Pass-456' });
is($r->{status}, 400, 'wrong current 400');
is($r->{json}{detail}, 'Current password is incorrect', 'wrong current text');

$r = $s->request(PUT => $path, token => $tok1,
    json => { current_password => 'User-Pass-123', new_password => 'User-Pass-123' });
is($r->{status}, 400, 'same password 400');
is($r->{json}{detail}, 'New password must be different from current password',
    'same password text');

# Nothing changed so far: both sessions live.
is($s->request(GET => '/api/v1/users/me', token => $tok2)->{status}, 200,
    'other session still alive after failures');

$r = $s->request(PUT => $path, token => $tok1,
    json => { current_password => 'User-Pass-123', new_password => 'New-Pass-456' });
is($r->{status}, 200, 'change 200');
is($r->{raw}, '{"message":"Password changed successfully"}', 'body exact');

$r = $s->request(GET => '/api/v1/users/me', token => $tok1);
is($r->{status}, 200, 'calling session kept');
ok(!$r->{json}{password_must_change}, 'must-change flag cleared');

$r = $s->request(GET => '/api/v1/users/me', token => $tok2);
is($r->{status}, 401, 'other session ended');
is($r->{json}{detail}, 'Session has been terminated', 'other session: terminated');

$r = $s->request(GET => '/api/v1/users/me/sessions', token => $tok1);
is($r->{json}{total}, 1, 'one session left');

ok(!defined $s->login('pwuser', 'User-Pass-123'), 'old password refused');
my $tok3 = $s->login('pwuser', 'New-Pass-456');
ok($tok3, 'new password works');
ok(!Stack::jwt_payload($tok3)->{password_must_change},
    'new token: password_must_change false');

# Missing fields are 422, not 400/500.
$r = $s->request(PUT => $path, token => $tok3, json => { new_password => 'Other-Pass-789' });
is($r->{status}, 422, 'missing current_password 422');
is($r->{json}{detail}[0]{type}, 'missing', 'type missing');
is_deeply($r->{json}{detail}[0]{loc}, ['body', 'current_password'], 'loc');

# Unauthenticated.
$r = $s->request(PUT => $path, json => { current_password => 'x', new_password => 'y' });
is($r->{status}, 401, 'no token 401');
done_testing;
