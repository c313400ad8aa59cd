#!/usr/bin/perl
# A FastCGI program started as root (outside systemd) with
# PHOTORESTORE_USER=nobody switches to nobody once its socket and log are
# open: the master and every worker run with nobody's user and group ids
# and no other group, and the files it creates afterwards (keys,
# database) belong to nobody.
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

my $tmp = tempdir('photorestore-priv-XXXXXX', TMPDIR => 1, CLEANUP => 1);
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
	exec("$Stack::BUILD/cgi-bin/auth.fcgi", '-n', '2', '-s',
	    "$tmp/auth.sock") or die "exec: $!";
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
	last if @kids == 2 && -S "$tmp/auth.sock";
	sleep 0.05;
}
is(scalar @kids, 2, 'two workers started') or
    diag `cat $tmp/out`;
for my $p ($pid, @kids) {
	my $st = status($p);
	my $who = $p == $pid ? 'master' : "worker $p";
	is($st->{Uid}, join("\t", ($uid) x 4), "$who: real, effective, saved " .
	    'and fs uid are nobody');
	is($st->{Gid}, join("\t", ($gid) x 4), "$who: all gids are nobody's");
	is($st->{Groups} =~ s/\s+$//r, "$gid", "$who: no other group");
}
is((stat "$tmp/auth.sock")[4], $uid, 'the socket belongs to nobody');
is((stat "$vardir/photorestore.db")[4], $uid,
    'the database was created as nobody');
is((stat "$vardir/secret.key")[4], $uid, 'so was the key');
is((stat "$vardir/log/photorestore.log")[4], $uid,
    'the log file belongs to nobody');
like(`cat $vardir/log/photorestore.log`, qr/running as user nobody/,
    'the switch is logged');

kill 'TERM', $pid;
waitpid($pid, 0);
is($? >> 8, 0, 'stops cleanly');
done_testing;
