#!/usr/bin/perl
# The HTTP test suite against PostgreSQL: every test that starts a stack
# (t/lib/Stack.pm) runs again with DATABASE_URL=postgresql://... pointing
# at its own new database on one private server (t/lib/Pg.pm), passed to
# the stack through STACK_EXTRA_ENV.  One check per test file.
#
# Left out, with the reason (listed by note() at the start):
#  - the browser tests: they need Chromium and test the front end;
#  - features that are SQLite-only by design: backup, restore-backup and
#    import-fastapi (docs/scale-out.md); config-precedence-http and
#    config-invalid-start set DATABASE_URL or the config themselves;
#  - tests that look into the SQLite file with the sqlite3 command and
#    cannot do without it (t/lib/Attack.pm's db_state() and sql(), the
#    fault-* tests); those that skip that part without the file run;
#  - tests of installation and packaging, not of the database:
#    install-destdir, systemd-verify, privilege-drop*, nginx-site-*, and
#    attack-image-bomb (a CPU timing limit that parallel runs upset).
# PG_SUITE=t/a.t,t/b.t runs only those; PG_SUITE_JOBS sets the
# parallelism (default 4).
#
# Stack.pm stops a stack when its object is destroyed, but File::Temp's
# END block may empty the VARDIR first, and then the workers are left
# running.  So after each test the workers still connected to its
# database (found by the DATABASE_URL in their environment: only this
# test's processes have it) are stopped by pid.
use strict; use warnings;
use Test::More;
use File::Temp qw(tempdir);
use POSIX qw(:sys_wait_h);
use lib 't/lib';
use Pg;

Pg::require_server();
my %skip = map { ("t/$_.t" => 1) } qw(backup-roundtrip restore-backup-hostile
    restore-backup-refuses-nonempty import-fastapi config-precedence-http
    config-invalid-start install-destdir systemd-verify privilege-drop
    privilege-drop-no-user privilege-drop-worker nginx-site-conf nginx-site-serves
    attack-image-bomb);
my @left;
my (@tests, %starts);
if ($ENV{PG_SUITE}) {
	@tests = split /,/, $ENV{PG_SUITE};
	%starts = map { ($_ => 1) } @tests;
} else {
	for my $t (sort glob('t/*.t')) {
		next if $t =~ m{^t/(browser|pg-|two-hosts)};
		if ($skip{$t}) {
			push @left, $t;
			next;
		}
		open(my $fh, '<', $t) or next;
		local $/;
		my $src = <$fh>;
		next unless $src =~ /^use Stack;/m;
		if ($src =~ /db_state\(|\bsql\(\$s\b|sqlite3/ &&
		    $src !~ /-f \$db|have_sqlite/) {
			push @left, $t;
			next;
		}
		push @tests, $t;
		$starts{$t} = $src =~ /Stack->start\b/;
	}
}
plan tests => scalar @tests;
note('left out: ' . join(' ', @left)) if @left;

my $pg = Pg->start;
my $tmp = tempdir('pg-suite-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $jobs = $ENV{PG_SUITE_JOBS} // 4;
my (%running, %result);
my $i = 0;
my @queue = @tests;
while (@queue || %running) {
	while (@queue && keys(%running) < $jobs) {
		my $t = shift @queue;
		my $db = 'suite_' . $i++;
		my $url = $pg->createdb($db);
		my $out = "$tmp/$db.out";
		my $pid = fork // die "fork: $!";
		if ($pid == 0) {
			$ENV{DATABASE_URL} = $url;
			$ENV{STACK_EXTRA_ENV} = join(' ', 'DATABASE_URL',
			    split(' ', $ENV{STACK_EXTRA_ENV} // ''));
			open(STDOUT, '>', $out) or POSIX::_exit(127);
			open(STDERR, '>&', \*STDOUT) or POSIX::_exit(127);
			{ exec($^X, $t) };
			POSIX::_exit(127);
		}
		$running{$pid} = [$t, $out, $db];
	}
	my $pid = waitpid(-1, 0);
	last if $pid <= 0;
	my $job = delete $running{$pid} or next;
	$result{$job->[0]} = [$?, $job->[1], $job->[2]];
	reap($pg->url($job->[2]));
}

# Stop the FastCGI processes whose environment holds this DATABASE_URL.
sub reap {
	my ($url) = @_;
	my @pids;
	for my $d (glob('/proc/[0-9]*')) {
		open(my $fh, '<', "$d/environ") or next;
		local $/;
		my $env = <$fh> // '';
		next unless index("\0$env", "\0DATABASE_URL=$url\0") >= 0;
		open(my $c, '<', "$d/cmdline") or next;
		my $cmd = <$c> // '';
		push @pids, $d =~ m{(\d+)$} if $cmd =~ /\.fcgi\0/;
	}
	return unless @pids;
	kill 'TERM', @pids;
	for (1 .. 50) {
		@pids = grep { kill 0, $_ } @pids;
		last unless @pids;
		select(undef, undef, undef, 0.1);
	}
	kill 'KILL', @pids if @pids;
}

for my $t (@tests) {
	my ($rc, $file, $db) = @{ $result{$t} // [-1, '', ''] };
	my $out = '';
	if (open(my $fh, '<', $file)) {
		local $/;
		$out = <$fh>;
	}
	my ($plan) = $out =~ /^1\.\.(\d+)/m;
	my $skipped = $out =~ /^1\.\.0 # (?i:skip)/m;
	my $bad = () = $out =~ /^not ok(?! \d+ [^\n]*# TODO)/mg;
	# The stack really used PostgreSQL: the seed admin is in its database.
	my $users = $db ne '' ? eval { $pg->psql($db,
	    "SELECT count(*) FROM users WHERE username = 'admin'") } // 0 : 0;
	ok($rc == 0 && defined $plan && !$bad &&
	    ($skipped || !$starts{$t} || $users == 1),
	    "$t on PostgreSQL" . ($skipped ? ' (skipped itself)' :
	    defined $plan ? " ($plan checks)" : '')) or diag($out);
	diag("the database password appears in the output of $t")
	    if index($out, $pg->password) >= 0;
}
