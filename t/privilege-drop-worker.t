#!/usr/bin/perl
# `photorestore worker` started as root (outside systemd) with
# PHOTORESTORE_USER=nobody switches to nobody before it opens the
# database: its master and every child run with nobody's ids only, the
# database it creates belongs to nobody, and it stops cleanly on TERM.
use strict; use warnings;
use Test::More;
use File::Temp qw(tempdir);
use Time::HiRes qw(sleep);
use lib 't/lib';
use Stack;
use Attack qw(children_of);

plan skip_all => 'needs root (run the suite as root to test the drop)'
    unless $> == 0;
my @nobody = getpwnam('nobody');
plan skip_all => 'no user "nobody" here' unless @nobody;
my ($uid, $gid) = @nobody[2, 3];

my $tmp = tempdir('photorestore-privw-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $tmp;
my $vardir = "$tmp/var";
mkdir $vardir;
mkdir "$vardir/log";
chown $uid, $gid, $vardir, "$vardir/log";
chmod 0700, $vardir;

my %env = (CONFIG_DIR => "$Stack::TOP/conf", VARDIR => $vardir,
    PHOTORESTORE_USER => 'nobody', PBKDF2_ITERATIONS => 1000,
    AUTH_PASSWORD => 'Admin-Pass-123', LOG_LEVEL => 'info');
my $pid = fork() // die "fork: $!";
if ($pid == 0) {
	@ENV{keys %env} = values %env;
	open(STDOUT, '>', "$tmp/out") or die;
	open(STDERR, '>&', \*STDOUT) or die;
	exec("$Stack::BUILD/bin/photorestore", 'worker') or die "exec: $!";
}

sub status {
	my ($p) = @_;
	open(my $fh, '<', "/proc/$p/status") or return {};
	my %s = map { /^(\w+):\s*(.*)$/ ? ($1 => $2) : () } <$fh>;
	return \%s;
}

my @kids;
for (1 .. 100) {
	@kids = children_of($pid);
	last if @kids >= 1 && -e "$vardir/photorestore.db";
	sleep 0.05;
}
ok(@kids >= 1, 'children started') or diag `cat $tmp/out`;
for my $p ($pid, @kids) {
	my $st = status($p);
	my $who = $p == $pid ? 'master' : "child $p";
	is($st->{Uid}, join("\t", ($uid) x 4), "$who: all uids are nobody");
	is($st->{Gid}, join("\t", ($gid) x 4), "$who: all gids are nobody's");
	is($st->{Groups} =~ s/\s+$//r, "$gid", "$who: no other group");
}
is((stat "$vardir/photorestore.db")[4], $uid,
    'the database was created as nobody');
is((stat "$vardir/log/photorestore.log")[4], $uid,
    'the log file belongs to nobody');
like(`cat $vardir/log/photorestore.log`, qr/running as user nobody/,
    'the switch is logged');

kill 'TERM', $pid;
waitpid($pid, 0);
is($? >> 8, 0, 'stops cleanly');
done_testing;
