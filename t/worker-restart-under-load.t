#!/usr/bin/perl
# Restarting restore.fcgi alone (scripts/stack restart restore) while
# requests flow to auth.fcgi and users.fcgi loses none of theirs, and
# restore.fcgi serves again afterwards.
use strict; use warnings;
use Test::More;
use POSIX qw(_exit);
use Time::HiRes qw(sleep time);
use lib 't/lib';
use Stack;

my $s = Stack->start;
my $tok = $s->admin_token;
ok($tok, 'logged in');
my $run = $s->vardir . '/run';
sub pid_of { open(my $fh, '<', "$run/$_[0].pid") or return 0; my $p = <$fh>;
	chomp $p; return $p }
my $before = pid_of('restore');
ok($before, 'restore.fcgi runs');

pipe(my $rd, my $wr) or die "pipe: $!";
my $kid = fork() // die "fork: $!";
if ($kid == 0) {
	# The load: /auth/me and /users/me in turn until told to stop.
	close $rd;
	my ($n, @bad) = (0);
	my $stop = 0;
	local $SIG{TERM} = sub { $stop = 1 };
	while (!$stop) {
		for my $path ('/api/v1/auth/me', '/api/v1/users/me') {
			my $r = $s->request(GET => $path, token => $tok,
			    timeout => 10);
			$n++;
			push @bad, "$path $r->{status}" if $r->{status} != 200;
		}
	}
	print $wr join("\n", $n, @bad), "\n";
	close $wr;
	_exit(0);
}
close $wr;

sleep 0.5;
for my $round (1 .. 2) {
	my $out = $s->script('restart', 'restore');
	is($?, 0, "restart $round") or diag $out;
	like($out, qr/restarted restore\.fcgi/, "restart $round said so");
	sleep 0.3;
}
sleep 0.5;
kill 'TERM', $kid;
my @res = <$rd>;
waitpid($kid, 0);
chomp @res;
my ($n, @bad) = @res;
cmp_ok($n // 0, '>', 20, "requests flowed during the restarts ($n)");
is(scalar @bad, 0, 'no request to auth or users failed') or diag "@bad";

my $after = pid_of('restore');
ok($after && $after != $before, 'restore.fcgi is a new process');
is($s->request(GET => '/api/v1/models', token => $tok)->{status}, 200,
    'restore.fcgi serves again');
is($s->request(GET => '/api/v1/auth/me', token => $tok)->{status}, 200,
    'auth still serves');
done_testing;
