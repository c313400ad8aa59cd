#!/usr/bin/perl
# Unknown paths are 404 and wrong methods 405, in JSON, from every program
# and from nginx itself (oversized URI and headers too).
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;

my $s = Stack->start;
for my $p (qw(/api/v1/auth/nope /api/v1/users/nope /api/v1/admin/nope
    /api/v1/restore/nope/x /api/v1/nope /api/nope)) {
	my $r = $s->request(GET => $p);
	is($r->{status}, 404, "$p 404");
	is($r->{raw}, '{"detail":"Not Found"}', "$p body");
}
my $r = $s->request(GET => '/api/v1/auth/login');
is($r->{status}, 405, 'GET login 405');
is($r->{raw}, '{"detail":"Method Not Allowed"}', '405 body');
$r = $s->request(GET => '/api/v1/auth/me?' . ('x' x 70000));
ok($r->{status} == 414 || $r->{status} == 400, "long URI: $r->{status}");
like($r->{headers}{'content-type'} // '', qr/json/, 'long URI answer is JSON');
$r = $s->request(GET => '/api/v1/auth/me', headers => { 'X-Big' => 'y' x 40000 });
ok($r->{status} == 431 || $r->{status} == 400 || $r->{status} == 494, "big header: $r->{status}");
like($r->{headers}{'content-type'} // '', qr/json/, 'big header answer is JSON');
done_testing;
