#!/usr/bin/perl
# Username and email conflicts on POST /api/v1/admin/users are found
# case-insensitively and answered 400 with the stored (lowercased) form;
# concurrent creates of one name give exactly one account.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use JSON::PP;
use POSIX ();

my $s = Stack->start;
my $admin = $s->admin_token;

sub create {
	my (%u) = @_;
	return $s->request(POST => '/api/v1/admin/users', token => $admin,
	    json => { full_name => 'Dup', password => 'User-Pass-123', %u });
}

my $r = create(username => 'DupUser', email => 'Dup@Example.com');
is($r->{status}, 201, 'first create 201');

$r = create(username => 'DUPUSER', email => 'other@example.com');
is($r->{status}, 400, 'same username, other case: 400');
is($r->{json}{detail}, "Username 'dupuser' already exists", 'username text, lowercased');

$r = create(username => 'dupuser2', email => 'DUP@EXAMPLE.COM');
is($r->{status}, 400, 'same email, other case: 400');
is($r->{json}{detail}, "Email 'dup\@example.com' already exists", 'email text, lowercased');

$r = create(username => 'Admin', email => 'someone@example.com');
is($r->{status}, 400, 'the seed admin name: 400');
is($r->{json}{detail}, "Username 'admin' already exists", 'admin text');

$r = create(username => 'fresh', email => 'Admin@Example.COM');
is($r->{status}, 400, "the seed admin's email: 400");
is($r->{json}{detail}, "Email 'admin\@example.com' already exists", 'admin email text');

# Both taken: the username is reported.
$r = create(username => 'dupUSER', email => 'dup@example.com');
is($r->{json}{detail}, "Username 'dupuser' already exists", 'both taken: username first');

# Nothing extra was written.
$r = $s->request(GET => '/api/v1/admin/users', token => $admin);
is($r->{json}{total}, 2, 'two users exist');

# Eight concurrent creates of one name (different cases and emails).
my @kids;
for my $i (1 .. 8) {
	my $pid = fork() // die "fork: $!";
	if ($pid == 0) {
		my $rr = create(username => ($i % 2 ? 'RaceUser' : 'raceuser'),
		    email => "race$i\@example.com");
		my $ok = $rr->{status} == 201 ? 0 :
		    ($rr->{status} == 400 && $rr->{json}{detail} eq "Username 'raceuser' already exists") ? 1 : 2;
		POSIX::_exit($ok);	# no END blocks or destructors
	}
	push @kids, $pid;
}
my %res = (0 => 0, 1 => 0, 2 => 0);
for (@kids) { waitpid($_, 0); $res{$? >> 8}++ }
is($res{0}, 1, 'exactly one concurrent create succeeded');
is($res{1}, 7, 'the others got the 400 conflict');
is($res{2}, 0, 'no other answers');
$r = $s->request(GET => '/api/v1/admin/users?search=raceuser', token => $admin);
is($r->{json}{total}, 1, 'one raceuser in the database');
done_testing;
