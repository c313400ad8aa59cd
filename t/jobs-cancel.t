#!/usr/bin/perl
# DELETE /api/v1/jobs/{id} cancels (issue 10): with no worker running the
# job stays queued; cancelling answers 200 with the job "cancelled" and
# every item "cancelled" (no result, no error), removes the stored
# uploads, and a worker started afterwards runs none of them.  A finished
# job is left as it is.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Jobs;
use Time::HiRes qw(sleep);

my $s = Stack->start(env => { JOBS_WORKER => 0 });
my $tok = $s->admin_token;
my $uid = Stack::jwt_payload($tok)->{user_id};
my %dirs = $s->cli('stack-env') =~ /^(PR_\w+)='([^']*)'$/mg;
sub uploads { opendir(my $d, "$dirs{PR_UPLOAD_DIR}/$uid") or return ();
	grep { !/^\./ } readdir $d }

my $r = Jobs::submit($s, $tok, 'local-restore',
    [Jobs::photo('camera.png'), 'a.png'], [$Jobs::JPEG, 'b.jpg'],
    [Jobs::photo('coffee.png'), 'c.png']);
is($r->{status}, 202, 'job accepted') or diag $r->{raw};
my $id = $r->{json}{job_id};
is(scalar(() = uploads()), 3, 'three uploads stored');
sleep 1;
my $g = $s->request(GET => "/api/v1/jobs/$id", token => $tok);
is($g->{json}{status}, 'queued', 'no worker: still queued');
is($g->{json}{progress}, 0, 'progress 0');

my $d = $s->request(DELETE => "/api/v1/jobs/$id", token => $tok);
is($d->{status}, 200, 'cancel 200') or diag $d->{raw};
is($d->{json}{job_id}, $id, 'the job');
is($d->{json}{status}, 'cancelled', 'cancelled');
is_deeply([map { $_->{status} } @{ $d->{json}{items} }],
    [('cancelled') x 3], 'every item cancelled');
ok(!grep({ defined $_->{result} || defined $_->{error} }
    @{ $d->{json}{items} }), 'no results, no errors');
is(scalar(() = uploads()), 0, 'the uploads are removed');

# A worker now runs nothing of it.
like($s->script('restart', 'worker'), qr/restarted worker/, 'worker started');
my @pids = Jobs::worker_pids($s);
ok(@pids >= 2, 'worker master and child running') or diag "@pids";
sleep 2;
$g = $s->request(GET => "/api/v1/jobs/$id", token => $tok);
is($g->{json}{status}, 'cancelled', 'still cancelled');
is($g->{json}{done}, 0, 'nothing done');
my $h = $s->request(GET => '/api/v1/restore/history', token => $tok);
is($h->{json}{total}, 0, 'no image made');

# A job that has finished is not changed by DELETE.
$r = Jobs::submit($s, $tok, 'local-restore', [$Jobs::JPEG, 'x.jpg']);
my ($j) = Jobs::wait_job($s, $tok, $r->{json}{job_id});
is($j->{status}, 'done', 'second job done');
$d = $s->request(DELETE => "/api/v1/jobs/$j->{job_id}", token => $tok);
is($d->{status}, 200, 'DELETE of a finished job 200');
is($d->{json}{status}, 'done', 'it stays done');
ok($d->{json}{items}[0]{result}, 'its result stays');

$d = $s->request(DELETE => '/api/v1/jobs/999999', token => $tok);
is($d->{status}, 404, 'unknown job 404');
is($d->{json}{detail}, 'Job 999999 not found', 'detail');
done_testing;
