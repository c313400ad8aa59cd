#!/usr/bin/perl
# Wrong password and unknown user get the same 401 with WWW-Authenticate.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;

my $s = Stack->start;
for my $case (['admin', 'Wrong-Pass-123'], ['nobody', 'Whatever-123'],
    ['admin@example.com', 'nope']) {
	my $r = $s->request(POST => '/api/v1/auth/login',
	    json => { username => $case->[0], password => $case->[1] });
	is($r->{status}, 401, "$case->[0]: 401");
	is($r->{raw}, '{"detail":"Invalid credentials"}', "$case->[0]: detail");
	is($r->{headers}{'www-authenticate'}, 'Bearer', "$case->[0]: header");
	ok(defined $r->{headers}{'x-ratelimit-remaining'}, 'rate headers');
}
done_testing;
