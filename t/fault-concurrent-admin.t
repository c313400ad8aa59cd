#!/usr/bin/perl
# Many clients at once: 30 simultaneous logins (one user many times, and
# many users) all succeed with a session each; simultaneous admin edits
# of different fields of one user never lose an update; simultaneous
# edits of one field end with one of the values written; simultaneous
# creates of one username give exactly one 201 and 400s; two admins
# demoting each other at once never leave the site without an active
# admin.  No 5xx anywhere.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use JSON::PP;
use POSIX ();
use File::Temp qw(tempdir);
use Time::HiRes qw(sleep time);
use Attack qw(healthy sql);

my $s = Stack->start;
my $admin = $s->admin_token;
my $tmp = tempdir(CLEANUP => 1);
my $js = JSON::PP->new->canonical;
my $n5xx = 0;

# Run each sub in its own process, all released at the same instant;
# returns their results ({status, json}) in order.
sub at_once {
	my (@subs) = @_;
	my $t0 = time + 0.4;
	my @pids;
	for my $i (0 .. $#subs) {
		my $pid = fork // die "fork: $!";
		if ($pid == 0) {
			sleep 0.001 while time < $t0;
			my $r = $subs[$i]->();
			open(my $o, '>', "$tmp/r$i") or POSIX::_exit(1);
			print $o $js->encode({ status => $r->{status}, json => $r->{json} });
			close $o;
			POSIX::_exit(0);
		}
		push @pids, $pid;
	}
	waitpid($_, 0) for @pids;
	my @res;
	for my $i (0 .. $#subs) {
		open(my $in, '<', "$tmp/r$i") or die "no result $i";
		push @res, $js->decode(scalar <$in>);
		close $in;
		unlink "$tmp/r$i";
	}
	$n5xx += grep { $_->{status} >= 500 } @res;
	return @res;
}
sub req { my @a = @_; return sub { $s->request(@a, timeout => 30) } }

# 1. Logins.
$s->create_user($admin, username => "many$_") for 1 .. 10;
my @r = at_once((map { req(POST => '/api/v1/auth/login',
    json => { username => 'many1', password => 'User-Pass-123' }) } 1 .. 20),
    (map { req(POST => '/api/v1/auth/login',
    json => { username => "many$_", password => 'User-Pass-123' }) } 1 .. 10));
is(scalar(grep { $_->{status} == 200 } @r), 30, '30 simultaneous logins: all 200');
my %sids = map { (Stack::jwt_payload($_->{json}{access_token} // 'a.e30.b')->{session_id} // '') => 1 } @r;
is(scalar(keys %sids), 30, '30 distinct sessions');
is((sql($s, "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = 'many1'"))[0],
    21, "many1 has its 20 new sessions and the one from setup");

# 2. Different fields of one user, at once: no lost update.
my $u = $s->create_user($admin, username => 'target');
my $lost = 0;
for my $round (1 .. 15) {
	at_once(req(PUT => "/api/v1/admin/users/$u->{id}", token => $admin,
	    json => { full_name => "Name $round" }),
	    req(PUT => "/api/v1/admin/users/$u->{id}", token => $admin,
	    json => { email => "t$round\@example.com" }),
	    req(PUT => "/api/v1/admin/users/$u->{id}", token => $admin,
	    json => { is_active => ($round % 2 ? JSON::PP::false : JSON::PP::true) }));
	my $g = $s->request(GET => "/api/v1/admin/users/$u->{id}", token => $admin)->{json};
	$lost++ unless $g->{full_name} eq "Name $round" &&
	    $g->{email} eq "t$round\@example.com" &&
	    ($g->{is_active} ? 1 : 0) == ($round % 2 ? 0 : 1);
}
is($lost, 0, '15 rounds of three simultaneous edits of different fields: none lost');

# 3. One field, many writers: one of the values wins, whole.
@r = at_once(map { my $i = $_; req(PUT => "/api/v1/admin/users/$u->{id}", token => $admin,
    json => { full_name => "Writer $i" }) } 1 .. 10);
is(scalar(grep { $_->{status} == 200 } @r), 10, '10 writers of one field: all 200');
like($s->request(GET => "/api/v1/admin/users/$u->{id}", token => $admin)->{json}{full_name},
    qr/^Writer (?:[1-9]|10)$/, 'the field holds one whole value');

# 4. One username, many creators.
@r = at_once(map { req(POST => '/api/v1/admin/users', token => $admin,
    json => { username => 'same', email => "same$_\@example.com", full_name => 'S',
    password => 'User-Pass-123' }) } 1 .. 8);
is(scalar(grep { $_->{status} == 201 } @r), 1, '8 creators of one username: one 201');
is(scalar(grep { $_->{status} == 400 &&
    ($_->{json}{detail} // '') eq "Username 'same' already exists" } @r), 7,
    'and seven 400 "already exists"');
is((sql($s, "SELECT count(*) FROM users WHERE username = 'same'"))[0], 1, 'one row');

# 5. Two admins demote each other at once, a few times.
for my $round (1 .. 3) {
	my $b = $s->create_user($admin, username => "boss$round", role => 'admin');
	my $bt = $s->login("boss$round", 'User-Pass-123');
	# Leave exactly two active admins: the seed admin and boss$round.
	for my $id (sql($s, "SELECT id FROM users WHERE role = 'admin' AND id NOT IN (1, $b->{id})")) {
		$s->request(PUT => "/api/v1/admin/users/$id", token => $admin,
		    json => { role => 'user' });
	}
	@r = at_once(req(PUT => "/api/v1/admin/users/$b->{id}", token => $admin,
	    json => { role => 'user' }),
	    req(PUT => '/api/v1/admin/users/1', token => $bt, json => { role => 'user' }));
	my $admins = (sql($s, "SELECT count(*) FROM users WHERE role = 'admin' AND is_active = 1"))[0];
	cmp_ok($admins, '>=', 1, "round $round: an active admin remains ($admins)");
	ok((grep { $_->{status} == 200 } @r) <= 1, "round $round: at most one demotion went through");
	# Put the seed admin back if boss won.
	if ((sql($s, 'SELECT role FROM users WHERE id = 1'))[0] ne 'admin') {
		$s->request(PUT => '/api/v1/admin/users/1', token => $bt,
		    json => { role => 'admin' });
		$admin = $s->admin_token;
	}
}
is($n5xx, 0, 'no 5xx in any of it');
healthy($s);
done_testing;
