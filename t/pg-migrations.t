#!/usr/bin/perl
# The migrations of schema.sql on PostgreSQL, through the real programs:
# a fresh database gets every numbered migration, recorded once; running
# them again changes nothing; many programs starting at once on a fresh
# database (photorestore init, and the FastCGI programs themselves)
# apply each migration exactly once and seed one administrator; a
# database with tables we did not make is refused and left alone.
use strict; use warnings;
use Test::More;
use File::Temp qw(tempdir);
use POSIX qw(:sys_wait_h);
use lib 't/lib';
use Pg;
use Stack;

Pg::require_server();
my $pg = Pg->start;
my $vardir = tempdir('pg-migrations-XXXXXX', TMPDIR => 1, CLEANUP => 1);
mkdir "$vardir/log";
open(my $fh, '<', "$Stack::TOP/schema.sql") or die;
my $last = 0;
my @tables;
while (<$fh>) {
	$last = $1 if /^-- migration: (\d+)/;
	push @tables, lc $1 if /^CREATE TABLE (?:IF NOT EXISTS )?(\w+)/i;
}
close $fh;

sub env_for {
	my ($db) = @_;
	return (VARDIR => $vardir, CONFIG_DIR => "$Stack::TOP/conf",
	    DATABASE_URL => $pg->url($db), PBKDF2_ITERATIONS => 1000,
	    AUTH_USERNAME => 'admin', AUTH_EMAIL => 'admin@example.com',
	    AUTH_PASSWORD => $Stack::ADMIN_PASS, LOG_LEVEL => 'info',
	    # As scripts/stack does: as root, stay root (no user to switch to).
	    $> == 0 ? (PHOTORESTORE_USER => $ENV{PHOTORESTORE_USER} // 'root')
	    : ());
}

# Run the CLI with a database; returns (exit status, output).
sub cli {
	my ($db, @args) = @_;
	my %e = env_for($db);
	local @ENV{keys %e} = values %e;
	my $out = `$Stack::BUILD/bin/photorestore @args 2>&1`;
	return ($? >> 8, $out);
}

# Fresh, then again.
$pg->createdb('fresh');
my ($rc, $out) = cli('fresh', 'migrate');
is($rc, 0, 'migrate on a fresh database') or diag $out;
is($pg->psql('fresh', 'SELECT count(*) FROM schema_migrations'), $last,
    "all $last migrations recorded");
is($pg->psql('fresh', 'SELECT string_agg(version::text, \',\' ORDER BY '
    . 'version) FROM schema_migrations'), join(',', 1 .. $last),
    'numbered 1..N');
is($pg->psql('fresh', 'SELECT string_agg(tablename, \',\' ORDER BY '
    . "tablename) FROM pg_tables WHERE schemaname = 'public'"),
    join(',', sort(@tables, 'schema_migrations')),
    'exactly the tables of schema.sql');
my $stamp = $pg->psql('fresh', 'SELECT string_agg(applied_at, \',\' ORDER BY '
    . 'version) FROM schema_migrations');
($rc, $out) = cli('fresh', 'migrate');
is($rc, 0, 'migrate again') or diag $out;
like($out, qr/up to date/, 'reports up to date');
is($pg->psql('fresh', 'SELECT string_agg(applied_at, \',\' ORDER BY '
    . 'version) FROM schema_migrations'), $stamp, 'nothing re-applied');
($rc, $out) = cli('fresh', 'init');
($rc, $out) = cli('fresh', 'init');
is($rc, 0, 'init twice');
is($pg->psql('fresh', 'SELECT count(*) FROM users'), 1, 'one admin');
is($pg->psql('fresh', "SELECT count(*) FROM pg_indexes WHERE indexname IN "
    . "('users_username_lower', 'users_email_lower')"), 2,
    'case-insensitive unique indexes on username and email');

# Eight photorestore init at once on a fresh database.
$pg->createdb('race');
my @pids;
for my $i (1 .. 8) {
	my $pid = fork // die;
	if ($pid == 0) {
		my %e = env_for('race');
		@ENV{keys %e} = values %e;
		open(STDOUT, '>', "$vardir/init-$i.out");
		open(STDERR, '>&', \*STDOUT);
		{ exec("$Stack::BUILD/bin/photorestore", 'init') };
		POSIX::_exit(127);
	}
	push @pids, $pid;
}
my $good = 0;
for (@pids) {
	waitpid($_, 0);
	$good++ if $? == 0;
}
is($good, 8, '8 concurrent inits succeed') or
    diag `cat $vardir/init-*.out`;
is($pg->psql('race', 'SELECT count(*) FROM schema_migrations'), $last,
    'each migration recorded once');
is($pg->psql('race', 'SELECT count(*) FROM users'), 1,
    'exactly one seed administrator');

# The FastCGI programs starting together (each migrates at startup).
$pg->createdb('programs');
my %kids;
for my $p (qw(auth users admin restore)) {
	my $pid = fork // die;
	if ($pid == 0) {
		my %e = env_for('programs');
		@ENV{keys %e} = values %e;
		open(STDOUT, '>', "$vardir/$p.out");
		open(STDERR, '>&', \*STDOUT);
		{ exec("$Stack::BUILD/cgi-bin/$p.fcgi", '-s', "$vardir/$p.sock",
		    '-n', 1) };
		POSIX::_exit(127);
	}
	$kids{$p} = $pid;
}
# Up means past the migrations: each says "serving" in the log.  (Their
# sockets exist earlier, and a SIGTERM before the master installs its
# handler is lost in libfcgi's: see the report of issue 11.)
my $up = 0;
for (1 .. 300) {
	my %serving;
	for my $f ("$vardir/log/photorestore.log", glob("$vardir/*.out")) {
		open(my $l, '<', $f) or next;
		/(\w+)\[\d+\]: serving with/ and $serving{$1} = 1 while <$l>;
	}
	$up = grep { $serving{$_} } keys %kids;
	last if $up == 4;
	select(undef, undef, undef, 0.1);
}
is($up, 4, 'four programs up and serving') or diag `cat $vardir/*.out`;
for my $p (sort keys %kids) {
	ok(kill(0, $kids{$p}), "$p.fcgi running");
	kill 'TERM', $kids{$p};
}
for my $pid (values %kids) {
	for (1 .. 100) {
		last if waitpid($pid, WNOHANG) != 0;
		select(undef, undef, undef, 0.1);
	}
	if (kill 0, $pid) {
		kill 'KILL', $pid;
		waitpid($pid, 0);
	}
}
is($pg->psql('programs', 'SELECT count(*) FROM schema_migrations'), $last,
    'each migration recorded once');

# A database that is not ours.
$pg->createdb('theirs');
$pg->psql('theirs', 'CREATE TABLE users (id int PRIMARY KEY, name text); '
    . "INSERT INTO users VALUES (7, 'theirs')");
($rc, $out) = cli('theirs', 'migrate');
isnt($rc, 0, 'migrate refuses a database with a users table it did not make');
my $log = `cat $vardir/log/*.log 2>/dev/null`;
like($out . $log, qr/refusing/, 'and says so');
is($pg->psql('theirs', 'SELECT name FROM users'), 'theirs',
    'their data untouched');
is($pg->psql('theirs', "SELECT count(*) FROM pg_tables WHERE tablename = "
    . "'sessions'"), 0, 'nothing created');
unlike($out . $log . `cat $vardir/*.out`, qr/\Q${\ $pg->password }\E/,
    'the password appears in no output or log');
done_testing;
