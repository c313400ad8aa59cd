#!/usr/bin/perl
# Stopping and starting the stack (twice) keeps users and sessions, and
# never creates a second seed administrator.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;

my $s = Stack->start;
my $out = `printf 'Carol-Pass-123\\n' | @{[ $s->env_prefix ]} $Stack::BUILD/bin/photorestore user add carol carol\@example.com 2>&1`;
is($?, 0, 'user added') or diag $out;
my $tok = $s->login('carol', 'Carol-Pass-123');
ok($tok, 'carol logs in');
for my $round (1, 2) {
	$s->script('stop');
	my $o = $s->script('start');
	is($?, 0, "restart $round") or diag $o;
	is($s->request(GET => '/api/v1/auth/me', token => $tok)->{status}, 200,
	    "round $round: carol's session survives");
	ok($s->login('carol', 'Carol-Pass-123'), "round $round: carol logs in");
	my @admins = grep { /\tadmin\t/ } split /\n/, $s->cli('user', 'list');
	is(scalar @admins, 1, "round $round: exactly one admin");
	my @all = grep { /^\d+\t/ } split /\n/, $s->cli('user', 'list');
	is(scalar @all, 2, "round $round: two users");
}
$s->script('stop');
is($s->script('stop') =~ /stopped/ ? 1 : 0, 1, 'stop is safe to repeat');
done_testing;
