#!/usr/bin/perl
# SQL injection through JSON bodies: as a full name (free text) every
# payload is stored and read back byte for byte, nothing else changes;
# as a username, email or role it is refused with 422; as the current
# password of PUT /users/me/password it is "Current password is
# incorrect" (400).  The database stays intact.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use JSON::PP;
use Attack qw(@SQLI db_state same_db healthy is_422 is_error sql);

my $s = Stack->start;
my $admin = $s->admin_token;
my $u = $s->create_user($admin, username => 'bobby');
my $user = $s->login('bobby', 'User-Pass-123');
my $i = 0;
for my $p (@SQLI) {
	(my $n = $p) =~ s/[^\x20-\x7e]/?/g;
	$i++;
	my $r = $s->request(POST => '/api/v1/admin/users', token => $admin,
	    json => { username => "fn$i", email => "fn$i\@example.com",
	    full_name => $p, password => 'User-Pass-123' });
	is($r->{status}, 201, "full_name [$n]: created") or diag $r->{raw};
	is($r->{json}{full_name}, $p, "full_name [$n]: echoed verbatim");
	my $g = $s->request(GET => "/api/v1/admin/users/$r->{json}{id}",
	    token => $admin);
	is($g->{json}{full_name}, $p, "full_name [$n]: stored verbatim");
	$r = $s->request(PUT => "/api/v1/admin/users/$u->{id}", token => $admin,
	    json => { full_name => $p });
	is($r->{json}{full_name}, $p, "update full_name [$n]: verbatim")
	    or diag $r->{raw};
	$r = $s->request(POST => '/api/v1/admin/users', token => $admin,
	    json => { username => $p, email => "x$i\@example.com",
	    full_name => 'X', password => 'User-Pass-123' });
	if ($p =~ /^[A-Za-z0-9_-]{3,50}$/) {
		is($r->{status}, 201, "username [$n]: a valid name, created");
	} else {
		is_422($r, undef, "username [$n]");
	}
	$r = $s->request(POST => '/api/v1/admin/users', token => $admin,
	    json => { username => "em$i", email => $p, full_name => 'X',
	    password => 'User-Pass-123' });
	is_422($r, undef, "email [$n]");
	$r = $s->request(PUT => "/api/v1/admin/users/$u->{id}", token => $admin,
	    json => { role => $p });
	is_422($r, undef, "role [$n]");
	$r = $s->request(PUT => '/api/v1/users/me/password', token => $user,
	    json => { current_password => $p, new_password => 'Other-Pass-123' });
	is_error($r, 400, 'Current password is incorrect',
	    "current_password [$n]");
}
my $before = db_state($s);
is($before->{integrity}, 'ok', 'integrity_check ok');
is(scalar(@{ $before->{users} }), 2 + @SQLI +
    scalar(grep { /^[A-Za-z0-9_-]{3,50}$/ } @SQLI), 'exactly the users created');
is((sql($s, "SELECT role FROM users WHERE username = 'bobby'"))[0], 'user',
    "bobby's role untouched");
is($s->request(GET => '/api/v1/users/me', token => $user)->{status}, 200,
    "bobby's password unchanged (his session lives)");
ok($s->login('bobby', 'User-Pass-123'), 'bobby logs in with his password');
healthy($s);
done_testing;
