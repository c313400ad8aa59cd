#!/usr/bin/perl
# SQL injection through the query of GET /api/v1/admin/users: search is
# free text, so every payload is answered 200 with only the users whose
# fields really contain it (none here; LIKE wildcards match nothing);
# role, is_active, skip and limit refuse every payload with 422; the
# database is unchanged and the site healthy.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Attack qw(@SQLI qenc db_state same_db healthy is_422);

my $s = Stack->start;
my $admin = $s->admin_token;
$s->create_user($admin, username => "user$_") for 1 .. 3;
my $before = db_state($s);
my $all = $s->request(GET => '/api/v1/admin/users', token => $admin);
is($all->{json}{total}, 4, 'four users to start with');

for my $p (@SQLI) {
	(my $n = $p) =~ s/[^\x20-\x7e]/?/g;
	my $q = qenc($p);
	my $r = $s->request(GET => "/api/v1/admin/users?search=$q",
	    token => $admin);
	is($r->{status}, 200, "search [$n]: 200") or diag $r->{raw};
	is($r->{json}{total}, 0, "search [$n]: matches no user")
	    or diag $r->{raw};
	is_deeply($r->{json}{users}, [], "search [$n]: empty list");
	for my $k (qw(role is_active skip limit)) {
		$r = $s->request(GET => "/api/v1/admin/users?$k=$q",
		    token => $admin);
		is_422($r, undef, "$k [$n]");
		is($r->{json}{detail}[0]{loc}[1], $k, "$k [$n]: loc names $k");
	}
}
# The real filters still work afterwards.
my $r = $s->request(GET => '/api/v1/admin/users?search=USER2&role=user&is_active=true',
    token => $admin);
is($r->{json}{total}, 1, 'a genuine search still finds user2');
same_db($s, $before, 'after the query injections');
healthy($s);
done_testing;
