#!/usr/bin/perl
# An administrator cannot deactivate, demote or delete their own account
# (API.md §3); the self rule is checked first, before the last-admin rule
# and before any 404.  Harmless self-edits are allowed.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use JSON::PP;

my $s = Stack->start;
my $admin = $s->admin_token;
my $aid = Stack::jwt_payload($admin)->{user_id};
my $self = "/api/v1/admin/users/$aid";
my $text = 'Cannot deactivate or demote your own account';

# As the only admin: the self text, not the last-admin one.
for my $body ({ is_active => JSON::PP::false }, { role => 'user' }, { is_active => 'off' },
    { role => 'user', is_active => JSON::PP::false }, { full_name => 'X', role => 'user' }) {
	my $r = $s->request(PUT => $self, token => $admin, json => $body);
	is($r->{status}, 400, 'self: 400 ' . JSON::PP->new->canonical->encode($body));
	is($r->{json}{detail}, $text, 'self text');
}
# With a second admin present it is still refused.
$s->create_user($admin, username => 'other-admin', role => 'admin');
my $r = $s->request(PUT => $self, token => $admin, json => { role => 'user' });
is($r->{status}, 400, 'self demote with another admin: 400');
is($r->{json}{detail}, $text, 'self text');

# Nothing was written.
$r = $s->request(GET => '/api/v1/users/me', token => $admin);
is($r->{json}{role}, 'admin', 'still admin');
ok($r->{json}{is_active}, 'still active');
is($r->{json}{full_name}, 'Site Admin', 'full_name not written by the refused update');

# Harmless self-edits.
$r = $s->request(PUT => $self, token => $admin,
    json => { full_name => 'The Boss', role => 'admin', is_active => JSON::PP::true });
is($r->{status}, 200, 'self edit that keeps admin+active: 200');
is($r->{json}{full_name}, 'The Boss', 'renamed');

# Delete self: 400 first.
$r = $s->request(DELETE => $self, token => $admin);
is($r->{status}, 400, 'self delete 400');
is($r->{json}{detail}, 'Cannot delete your own account', 'self delete text');
is($s->request(GET => '/api/v1/users/me', token => $admin)->{status}, 200, 'still there');
done_testing;
