#!/usr/bin/perl
# Time claims, signed with the site's real key: exp in the past beyond
# the 60 s leeway, exp missing or not an integer, nbf in the future, iat
# in the future, and a lifetime beyond the maximum are all refused with
# 401 "Could not validate credentials".
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Attack qw(secret_key sign_claims rejected_everywhere accepted_everywhere
    healthy);

my $s = Stack->start;
my $good = $s->admin_token;
my $key = secret_key($s);
my $c = Stack::jwt_payload($good);
my $now = time;
accepted_everywhere($s, sign_claims($key, $c), 'harness: genuine claims');
accepted_everywhere($s, sign_claims($key, { %$c, nbf => $now - 10 }),
    'nbf in the past is fine');

my %bad = (
	'exp an hour ago' => { %$c, exp => $now - 3600, iat => $now - 7200 },
	'exp 2 minutes ago (past the leeway)' => { %$c, exp => $now - 120 },
	'exp 0' => { %$c, exp => 0 },
	'exp negative' => { %$c, exp => -1 },
	'exp a string' => { %$c, exp => "$c->{exp}" },
	'exp a float' => { %$c, exp => $c->{exp} + 0.5 },
	'exp 1e300' => { %$c, exp => 1e300 },
	'exp null' => { %$c, exp => undef },
	'nbf an hour ahead' => { %$c, nbf => $now + 3600 },
	'iat an hour ahead' => { %$c, iat => $now + 3600 },
	'lifetime of 10 years' => { %$c, iat => $now, exp => $now + 10 * 365 * 86400 },
);
{
	my %noexp = %$c;
	delete $noexp{exp};
	$bad{'no exp'} = \%noexp;
}
for my $n (sort keys %bad) {
	rejected_everywhere($s, sign_claims($key, $bad{$n}), $n);
}
healthy($s);
done_testing;
