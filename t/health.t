#!/usr/bin/perl
# GET /health and /api/v1/health answer the contract's object.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;

my $s = Stack->start;
for my $p ('/health', '/api/v1/health') {
	my $r = $s->request(GET => $p);
	is($r->{status}, 200, "$p 200");
	is_deeply([Stack::key_order($r->{raw})], [qw(status app version)],
	    "$p keys in order");
	is($r->{json}{status}, 'healthy', "$p healthy");
	is($r->{json}{app}, 'Photo Restoration API', "$p app name");
	is($r->{json}{version}, '1.0.0', "$p version");
	like($r->{headers}{'content-type'}, qr{^application/json}, "$p JSON");
}
done_testing;
