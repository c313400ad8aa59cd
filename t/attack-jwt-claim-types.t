#!/usr/bin/perl
# Claims of the wrong type or range, signed with the site's real key, are
# refused with 401 "Could not validate credentials" (never a 500 and never
# a lookup of some other row): user_id as a string, float, zero, negative
# or beyond 2^53; role not admin/user; session_id not a UUID (including
# SQL); sub empty; password_must_change not a boolean; payload not an
# object.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Attack qw(secret_key sign_claims sign_raw rejected_everywhere healthy);

my $s = Stack->start;
my $good = $s->admin_token;
my $key = secret_key($s);
my $c = Stack::jwt_payload($good);

my %bad = (
	'user_id "1"' => { %$c, user_id => '1' },
	'user_id 1.5' => { %$c, user_id => 1.5 },
	'user_id 0' => { %$c, user_id => 0 },
	'user_id -1' => { %$c, user_id => -1 },
	'user_id 2^63' => { %$c, user_id => 9223372036854775808 },
	'user_id 1e300' => { %$c, user_id => 1e300 },
	'user_id null' => { %$c, user_id => undef },
	'role superadmin' => { %$c, role => 'superadmin' },
	'role ADMIN' => { %$c, role => 'ADMIN' },
	'role array' => { %$c, role => ['admin'] },
	'session_id SQL' => { %$c, session_id => "' OR '1'='1" },
	'session_id short' => { %$c, session_id => 'abc' },
	'session_id number' => { %$c, session_id => 1 },
	'sub empty' => { %$c, sub => '' },
	'sub number' => { %$c, sub => 1 },
	'password_must_change "false"' => { %$c, password_must_change => 'false' },
	'password_must_change 0' => { %$c, password_must_change => 0 },
);
for my $k (qw(sub user_id role session_id password_must_change)) {
	my %m = %$c;
	delete $m{$k};
	$bad{"no $k"} = \%m;
}
for my $n (sort keys %bad) {
	rejected_everywhere($s, sign_claims($key, $bad{$n}), $n);
}
for my $p ('[]', '"admin"', '1', 'null', '{"a":1} {"b":2}') {
	rejected_everywhere($s, sign_raw($key, '{"alg":"HS256","typ":"JWT"}', $p),
	    "payload $p");
}
healthy($s);
done_testing;
