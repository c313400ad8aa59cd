#!/usr/bin/perl
# SQL injection through POST /api/v1/auth/login: every payload as the
# username (alone, and with the admin's real password), as the password
# of a real user, and as remember_me gets the contract's answer (401
# "Invalid credentials", 429 once that user+address is locked, 422 for a
# wrong type, 422 json_invalid for an escaped NUL that C would silently
# cut the name at), never a token and never a 5xx; the users, the
# schema and the integrity of the database are unchanged; the site is
# healthy and the real admin can still log in.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use JSON::PP;
use Attack qw(@SQLI db_state same_db healthy is_error paced);

my $s = Stack->start;
my $admin = $s->admin_token;
$s->create_user($admin, username => 'victim');
my $before = db_state($s);

sub login {
	my (%b) = @_;
	paced();
	return $s->request(POST => '/api/v1/auth/login', json => \%b);
}

for my $p (@SQLI, "admin\x{0}", "admin\x{0}' OR 1=1 --") {
	(my $n = $p) =~ s/[^\x20-\x7e]/?/g;
	my $r = login(username => $p, password => 'whatever-1A');
	ok(!defined $r->{json}{access_token}, "username [$n]: no token");
	if ($p =~ /\x{0}/) {
		# cJSON would cut "admin\u0000..." to "admin": refused whole.
		is($r->{status}, 422, "username [$n]: 422 (escaped NUL)");
		is($r->{json}{detail}[0]{type}, 'json_invalid',
		    "username [$n]: json_invalid");
	} else {
		is_error($r, 401, 'Invalid credentials', "username [$n]");
	}
	$r = login(username => $p, password => $Stack::ADMIN_PASS);
	ok(!defined $r->{json}{access_token},
	    "username [$n] with the admin's password: no token")
	    or diag $r->{raw};
	ok($r->{status} == 401 || $r->{status} == 422,
	    "username [$n] with the admin's password: 401/422")
	    or diag "$r->{status} $r->{raw}";
}
for my $p (@SQLI) {
	(my $n = $p) =~ s/[^\x20-\x7e]/?/g;
	my $r = login(username => 'victim', password => $p);
	ok(!defined $r->{json}{access_token}, "victim's password [$n]: no token");
	ok($r->{status} == 401 || $r->{status} == 429,
	    "victim's password [$n]: 401 or 429 (locked)")
	    or diag "$r->{status} $r->{raw}";
}
for my $p ("true' OR '1'='1", "1 OR 1=1") {
	my $r = login(username => 'admin', password => 'x', remember_me => $p);
	is($r->{status}, 422, "remember_me [$p]: 422");
}
same_db($s, $before, 'after the login injections');
ok($s->login('admin', $Stack::ADMIN_PASS), 'the real admin still logs in');
healthy($s);
done_testing;
