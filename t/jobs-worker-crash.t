#!/usr/bin/perl
# A worker killed with SIGKILL in the middle of an item (issue 10): the
# item stays "running" while the lease holds; a restarted worker takes
# the job again once the lease has run out, runs the interrupted item
# again and finishes the job, and no item yields two image rows.  The
# provider is t/lib/fakeprovider.pl's "slow" model (4 s per image).
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Jobs;
use Time::HiRes qw(sleep time);

my ($port, $log) = Jobs::fake_provider(slow => 4);
my $dir = Jobs::config_dir(hf => ['slow'],
    hfcfg => { timeout_seconds => 10 },
    processing => { job_lease_seconds => 2 });
my $s = Stack->start(env => { CONFIG_DIR => $dir, HF_API_KEY => 'hf_test',
    HF_API_URL => "http://127.0.0.1:$port/hf" });
my $tok = $s->admin_token;

my $r = Jobs::submit($s, $tok, 'hf-slow', [Jobs::photo('camera.png'),
    'one.png'], [$Jobs::JPEG, 'two.jpg']);
is($r->{status}, 202, 'job accepted') or diag $r->{raw};
my $id = $r->{json}{job_id};

# Wait for the first item to be running, with its request sent.
my $end = time + 30;
my $g;
while (time < $end) {
	$g = $s->request(GET => "/api/v1/jobs/$id", token => $tok);
	last if $g->{json}{items}[0]{status} eq 'running' &&
	    Jobs::fake_count($log, "POST\t/hf/fake/slow\t") >= 1;
	sleep 0.1;
}
is($g->{json}{items}[0]{status}, 'running', 'first item running');
my @pids = Jobs::worker_pids($s);
ok(@pids >= 2, 'worker master and child') or diag "@pids";
kill 'KILL', reverse @pids;
sleep 0.5;
# (A zombie not yet reaped counts as gone.)
sub gone { my $st = do { local @ARGV = ("/proc/$_[0]/stat"); <> } // '';
	$st eq '' || $st =~ /^\d+ \(.*\) Z/ }
ok(!grep({ !gone($_) } @pids), 'worker killed');

sleep 1;
$g = $s->request(GET => "/api/v1/jobs/$id", token => $tok);
is($g->{json}{status}, 'running', 'job still running (leased)');
is($g->{json}{items}[0]{status}, 'running', 'item still running');
is($g->{json}{done}, 0, 'nothing done yet');

like($s->script('restart', 'worker'), qr/restarted worker/,
    'worker restarted');
my ($j) = Jobs::wait_job($s, $tok, $id, 90);
is($j->{status}, 'done', 'job done after the restart') or diag explain $j;
is($j->{done}, 2, 'done 2');
is_deeply([map { $_->{status} } @{ $j->{items} }], ['done', 'done'],
    'both items done');
ok(Jobs::fake_count($log, "POST\t/hf/fake/slow\t") >= 3,
    'the interrupted item was run again');

my $h = $s->request(GET => '/api/v1/restore/history', token => $tok);
is($h->{json}{total}, 2, 'exactly two image rows');
my %ids = map { $_->{result}{id} => 1 } @{ $j->{items} };
is(scalar keys %ids, 2, 'two distinct images');
is_deeply([sort { $a <=> $b } map { $_->{id} } @{ $h->{json}{items} }],
    [sort { $a <=> $b } keys %ids], 'the history holds the items\' images');
$s->script('stop');
done_testing;
