#!/usr/bin/perl
# POST /api/v1/admin/users (API.md §3): 201 UserResponse, username and
# email stored lowercased, role "user" and password_must_change true by
# default; the new account logs in.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use JSON::PP;

my $s = Stack->start;
my $admin = $s->admin_token;

my $r = $s->request(POST => '/api/v1/admin/users', token => $admin,
    json => { username => 'New_User-1', email => 'New.User+tag@Example.COM',
    full_name => 'New User', password => 'User-Pass-123' });
is($r->{status}, 201, 'create 201');
is_deeply([Stack::key_order($r->{raw})],
    [qw(id username email full_name role is_active created_at last_login
    password_must_change)], 'UserResponse keys in order');
my $u = $r->{json};
ok($u->{id} =~ /^\d+$/, 'id');
is($u->{username}, 'new_user-1', 'username lowercased');
is($u->{email}, 'new.user+tag@example.com', 'email lowercased');
is($u->{full_name}, 'New User', 'full_name');
is($u->{role}, 'user', 'role defaults to user');
ok(JSON::PP::is_bool($u->{is_active}) && $u->{is_active}, 'active');
ok(!defined $u->{last_login}, 'last_login null');
ok(JSON::PP::is_bool($u->{password_must_change}) && $u->{password_must_change},
    'password_must_change defaults to true');
like($u->{created_at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, 'created_at with Z');

# GET agrees with what POST returned.
$r = $s->request(GET => "/api/v1/admin/users/$u->{id}", token => $admin);
is_deeply($r->{json}, $u, 'GET returns the same user');

# The account works, by either spelling of the name.
my $tok = $s->login('NEW_USER-1', 'User-Pass-123');
ok($tok, 'login with another case');
ok(Stack::jwt_payload($tok)->{password_must_change}, 'token carries must-change');
ok($s->login('new.user+tag@example.com', 'User-Pass-123'), 'login by email');

# An admin with must-change false is one at once.
$r = $s->request(POST => '/api/v1/admin/users', token => $admin,
    json => { username => 'second-admin', email => 'second@example.com',
    full_name => 'Second Admin', password => 'Admin-Pass-456', role => 'admin',
    password_must_change => JSON::PP::false });
is($r->{status}, 201, 'admin create 201');
is($r->{json}{role}, 'admin', 'role admin');
ok(!$r->{json}{password_must_change}, 'must-change false as asked');
my $t2 = $s->login('second-admin', 'Admin-Pass-456');
is($s->request(GET => '/api/v1/admin/users', token => $t2)->{status}, 200,
    'the new admin can use /admin');

# A UTF-8 full name is kept as sent.
$r = $s->request(POST => '/api/v1/admin/users', token => $admin,
    json => { username => 'utf8name', email => 'utf8@example.com',
    full_name => "J\x{f6}rg \x{c5}ngstr\x{f6}m \x{65e5}\x{672c}", password => 'User-Pass-123' });
is($r->{status}, 201, 'UTF-8 full name 201');
is($r->{json}{full_name}, "J\x{f6}rg \x{c5}ngstr\x{f6}m \x{65e5}\x{672c}", 'UTF-8 full name kept');
done_testing;
