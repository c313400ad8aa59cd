#!/usr/bin/perl
# kill -9 of all the workers of a FastCGI program in the middle of a load
# run (admin, then restore, then users): nginx answers
# 502 (JSON) for at most the requests that were in flight in that
# program, and only around the kill; the master has a new worker within
# 1 s; every row the clients were told was committed (201/200) is in the
# database; no stored image file is half-written (files are written
# under a temporary name and renamed).
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use JSON::PP;
use POSIX ();
use Time::HiRes qw(sleep time);
use Attack qw(run_load children_of healthy sql form jpeg);

my $s = Stack->start;
my $admin = $s->admin_token;
$s->create_user($admin, username => 'loader');
my $user = $s->login('loader', 'User-Pass-123');
my $vd = $s->vardir;
my %master = map { $_ => do { open my $f, '<', "$vd/run/$_.pid" or die; 0 + <$f> } }
    qw(admin users restore);
my %workers = map { my @k = children_of($master{$_}); ($_ => scalar @k) }
    keys %master;
ok($workers{$_} >= 1, "$_.fcgi has $workers{$_} workers") for sort keys %master;

# Who hits which program: 3 clients create users (admin.fcgi), 2 read
# (users.fcgi), 1 uploads (restore.fcgi), for 8 s.
my %prog_of = (1 => 'admin', 2 => 'admin', 3 => 'admin', 4 => 'users',
    5 => 'users', 6 => 'restore');
my $jpeg = jpeg();
my $next = sub {
	my ($c, $n) = @_;
	my $p = $prog_of{$c};
	return (POST => '/api/v1/admin/users', token => $admin,
	    json => { username => "k${c}x$n", email => "k${c}x$n\@example.com",
	    full_name => "K $c $n", password => 'User-Pass-123' }) if $p eq 'admin';
	return (GET => '/api/v1/users/me', token => $user) if $p eq 'users';
	sleep 0.25;	# under nginx's limit_req for uploads
	return (POST => '/api/v1/restore', token => $user,
	    form([file => $jpeg, "f$n.jpg", 'image/jpeg'], [model_id => 'local-restore']));
};

# The killer: at 2 s, 3.5 s and 5 s kill -9 the workers of one program,
# then time how long until the master has replaced them all.
pipe(my $rd, my $wr) or die;
my $killer = fork // die;
if ($killer == 0) {
	close $rd;
	my $t0 = time;
	my @plan = ([2.0, 'admin'], [3.5, 'restore'], [5.0, 'users']);
	for my $k (@plan) {
		my ($at, $prog) = @$k;
		sleep(0.01) while time - $t0 < $at;
		# Every worker of the program at once, so that whatever it
		# was serving is surely cut off.
		my @before = children_of($master{$prog});
		my $tk = time;
		kill 'KILL', @before;
		my $back;
		while (time - $tk < 5) {
			my %now = map { $_ => 1 } children_of($master{$prog});
			if (keys %now >= @before && !grep { $now{$_} } @before) {
				$back = time - $tk;
				last;
			}
			sleep 0.005;
		}
		printf $wr "%s %s %.3f %s\n", $prog, join(',', @before), $tk,
		    $back // -1;
	}
	close $wr;
	POSIX::_exit(0);
}
close $wr;
my @res = run_load($s, 8, 6, $next);
waitpid($killer, 0);
my %kill;
while (<$rd>) {
	my ($prog, $pid, $tk, $back) = split;
	$kill{$prog} = { pid => $pid, at => $tk, back => $back };
}
for my $p (sort keys %kill) {
	ok($kill{$p}{back} >= 0 && $kill{$p}{back} <= 1.0,
	    sprintf('%s.fcgi: workers %s replaced in %.3f s (<= 1 s)', $p,
	    $kill{$p}{pid}, $kill{$p}{back}));
}

# 502s: only in the program killed, only for requests in flight at the
# kill, and each of them answered in nginx's JSON.
my (%n502, %bad, %total);
for my $r (@res) {
	my $p = $prog_of{$r->{client}};
	$total{$p}++;
	if ($r->{status} == 502) {
		$n502{$p}++;
		my $k = $kill{$p};
		$bad{$p}++ unless $k && $r->{t0} <= $k->{at} + 0.05 &&
		    $r->{t1} >= $k->{at} - 0.05;
		$bad{json}++ unless ref $r->{json} eq 'HASH' && $r->{json}{detail};
	} elsif ($r->{status} >= 500 || $r->{status} == 599) {
		$bad{"$p $r->{status}"}++;
	}
}
my %clients;
$clients{$_}++ for values %prog_of;
for my $p (sort keys %clients) {
	ok(($n502{$p} // 0) <= $clients{$p},
	    "$p: " . ($n502{$p} // 0) . " 502s of $total{$p} requests, at most " .
	    "the $clients{$p} in flight");
}
is_deeply(\%bad, {}, 'no other 5xx, and every 502 was in flight at a kill');
cmp_ok(scalar(@res), '>', 50, scalar(@res) . ' requests made');

# Every committed row is there.
my %have = map { $_ => 1 } sql($s, "SELECT username FROM users");
my @created = grep { $_->{status} == 201 } @res;
my @lost = grep { !$have{ $_->{json}{username} // '' } } @created;
is(scalar(@lost), 0, scalar(@created) . ' users created and none lost');
my @stored = grep { $_->{status} == 200 && $_->{method} eq 'POST' } @res;
my %ids = map { $_ => 1 } sql($s, "SELECT id FROM processed_images");
is(scalar(grep { !$ids{ $_->{json}{id} } } @stored), 0,
    scalar(@stored) . ' images stored and none lost');

# No half-written image file: every final-named file is a whole image.
my (@half, $orphans);
my %rows = map { $_ => 1 } sql($s, "SELECT original_path FROM processed_images"),
    sql($s, "SELECT processed_path FROM processed_images");
for my $dir ("$vd/uploads", "$vd/processed") {
	for my $f (glob("$dir/*/*")) {
		(my $base = $f) =~ s{.*/}{};
		next if $base =~ /^\.tmp-/;
		open my $fh, '<:raw', $f or next;
		local $/;
		my $d = <$fh>;
		my $whole = $d =~ /\A\x89PNG.*IEND....\z/s || $d =~ /\A\xff\xd8.*\xff\xd9\z/s;
		push @half, $f unless $whole;
		(my $rel = $f) =~ s{^\Q$dir\E/}{};
		$orphans++ unless $rows{$rel};
	}
}
is_deeply(\@half, [], 'no half-written image file');
diag(($orphans // 0) . ' complete file(s) without a row (a worker killed ' .
    'between its rename and its insert)') if $orphans;
healthy($s);
done_testing;
