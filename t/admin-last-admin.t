#!/usr/bin/perl
# The last active administrator can never be removed (API.md §3).  An
# admin can only remove another admin, so this is about races: two admins
# demoting, deactivating or deleting each other at the same moment.
# Exactly one wins; the other gets 400 "Cannot remove the last active
# administrator", because the count and the write share one transaction.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use JSON::PP;
use IPC::Open2;
use POSIX ();

my $s = Stack->start;
my $admin = $s->admin_token;
my $aid = Stack::jwt_payload($admin)->{user_id};
my $b = $s->create_user($admin, username => 'admin2', role => 'admin');
my $t2 = $s->login('admin2', 'User-Pass-123');
ok($t2, 'second admin logged in');

sub active_admins {
	my ($tok) = @_;
	$s->request(GET => '/api/v1/admin/users?role=admin&is_active=true',
	    token => $tok)->{json}{total};
}
is(active_admins($admin), 2, 'two active admins');

# With two, demoting the other one is fine; then promote back.
my $r = $s->request(PUT => "/api/v1/admin/users/$b->{id}", token => $admin,
    json => { role => 'user' });
is($r->{status}, 200, 'demote the other admin while two exist');
is(active_admins($admin), 1, 'one left');
$r = $s->request(PUT => "/api/v1/admin/users/$b->{id}", token => $admin,
    json => { role => 'admin' });
is($r->{status}, 200, 'promote back');

# Run the calls [method, path, token, body] at the same moment: a write
# lock held with the sqlite3 command lets both pass the admin check and
# then makes them meet at the transaction.  Returns "status detail" lines.
my $db = $s->vardir . '/photorestore.db';
my $have_sqlite = -f $db && system('sqlite3 -version >/dev/null 2>&1') == 0;
sub race {
	my @calls = @_;
	my ($out, $in);
	my $sq = open2($out, $in, 'sqlite3', '-batch', $db);
	print $in ".timeout 5000\nBEGIN IMMEDIATE;\nSELECT 'locked';\n";
	$in->flush;
	my $line = <$out> // '';
	is($line, "locked\n", 'write lock held');
	my $dir = $s->vardir;
	my @kids;
	for my $c (@calls) {
		my $pid = fork() // die "fork: $!";
		if ($pid == 0) {
			my ($m, $p, $tok, $body) = @$c;
			my $rr = $s->request($m => $p, token => $tok,
			    defined $body ? (json => $body) : ());
			open(my $fh, '>', "$dir/race.$$") or POSIX::_exit(9);
			print $fh "$rr->{status} " . ($rr->{json}{detail} // '') . "\n";
			close $fh;
			POSIX::_exit(0);	# no END blocks or destructors
		}
		push @kids, $pid;
	}
	select(undef, undef, undef, 1.5);	# both wait on the lock now
	print $in "COMMIT;\n.quit\n";
	close $in;
	waitpid($sq, 0);
	my @res;
	for my $pid (@kids) {
		waitpid($pid, 0);
		open(my $fh, '<', "$dir/race.$pid") or die "no result: $!";
		chomp(my $l = <$fh> // '');
		push @res, $l;
	}
	return sort @res;
}
sub survivors {
	grep { $s->request(GET => '/api/v1/admin/users', token => $_->[0])->{status} == 200 } @_;
}

SKIP: {
	skip 'sqlite3 command not installed: the race needs a held lock', 12
	    unless $have_sqlite;

	# Round 1: one demotes, the other deactivates.
	my @res = race(['PUT', "/api/v1/admin/users/$b->{id}", $admin, { role => 'user' }],
	    ['PUT', "/api/v1/admin/users/$aid", $t2, { is_active => JSON::PP::false }]);
	like($res[0], qr/^200 /, 'update race: one succeeded');
	is($res[1], '400 Cannot remove the last active administrator',
	    'update race: the other is refused');
	my @live = survivors([$admin, $aid], [$t2, $b->{id}]);
	is(scalar @live, 1, 'update race: one of the two can still administer');
	is(active_admins($live[0][0]), 1, 'update race: one active admin');

	# Round 2: the survivor and a new admin delete each other.
	my ($lt, $lid) = @{ $live[0] };
	my $c = $s->create_user($lt, username => 'admin3', role => 'admin');
	my $t3 = $s->login('admin3', 'User-Pass-123');
	is(active_admins($lt), 2, 'two active admins again');
	@res = race(['DELETE', "/api/v1/admin/users/$c->{id}", $lt],
	    ['DELETE', "/api/v1/admin/users/$lid", $t3]);
	like($res[0], qr/^204 /, 'delete race: one succeeded');
	is($res[1], '400 Cannot remove the last active administrator',
	    'delete race: the other is refused');
	@live = survivors([$lt, $lid], [$t3, $c->{id}]);
	is(scalar @live, 1, 'delete race: one of the two remains');
	is(active_admins($live[0][0]), 1, 'delete race: one active admin');
	is($s->request(GET => '/api/v1/health')->{status}, 200, 'healthy');
}
done_testing;
