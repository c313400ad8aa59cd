#!/usr/bin/perl
# The password policy on PUT /api/v1/users/me/password (API.md §2): each
# rule's 422 entry on new_password, checked before the current password,
# and nothing changes.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use JSON::PP;

my $s = Stack->start;
my $admin = $s->admin_token;
$s->create_user($admin, username => 'policy');
my $tok = $s->login('policy', 'User-Pass-123');
ok($tok, 'logged in');

my @cases = (
	['Sh0rt', 'string_too_short', 'String should have at least 8 characters'],
	['', 'string_too_short', 'String should have at least 8 characters'],
	['nouppercase1', 'value_error', 'Value error, Password must contain at least one uppercase letter'],
	['NOLOWERCASE1', 'value_error', 'Value error, Password must contain at least one lowercase letter'],
	['NoDigitsHere', 'value_error', 'Value error, Password must contain at least one digit'],
	['Aa1' . ('x' x 198), 'string_too_long', 'String should have at most 200 characters'],
);
for my $c (@cases) {
	my ($pw, $type, $msg) = @$c;
	# A wrong current password too: validation comes first.
	my $r = $s->request(PUT => '/api/v1/users/me/password', token => $tok,
	    json => { current_password => 'Wrong-Pass-1', new_password => $pw });
	my $name = length($pw) > 20 ? substr($pw, 0, 20) . '...' : "'$pw'";
	is($r->{status}, 422, "$name: 422");
	my $e = $r->{json}{detail}[0] // {};
	is($e->{type}, $type, "$name: type $type");
	is_deeply($e->{loc}, ['body', 'new_password'], "$name: loc");
	is($e->{msg}, $msg, "$name: msg");
	is($e->{input}, $pw, "$name: input echoed");
	is(scalar @{ $r->{json}{detail} }, 1, "$name: one entry");
}

my $r = $s->request(PUT => '/api/v1/users/me/password', token => $tok,
    json => { current_password => 'User-Pass-123', new_password => 12345678 });
is($r->{status}, 422, 'number: 422');
is($r->{json}{detail}[0]{type}, 'string_type', 'number: string_type');

# Multi-byte characters count as characters: 8 of them pass the length.
$r = $s->request(PUT => '/api/v1/users/me/password', token => $tok,
    json => { current_password => 'User-Pass-123', new_password => "\x{e9}\x{e9}\x{e9}\x{e9}\x{e9}Aa1" });
is($r->{status}, 200, 'eight characters with accents accepted');
ok($s->login('policy', "\x{e9}\x{e9}\x{e9}\x{e9}\x{e9}Aa1"), 'and it logs in');
done_testing;
