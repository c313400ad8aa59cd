#!/usr/bin/perl
# Jobs belong to their user (issue 10): another user gets the same 404
# "Job <id> not found" as for a job that does not exist, for GET, DELETE
# and the download, and does not see the job in GET /api/v1/jobs; the
# owner's job is untouched by those attempts.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Jobs;

my $s = Stack->start;
my $admin = $s->admin_token;
$s->create_user($admin, username => 'alice');
$s->create_user($admin, username => 'bob');
my $alice = $s->login('alice', 'User-Pass-123');
my $bob = $s->login('bob', 'User-Pass-123');

my $r = Jobs::submit($s, $alice, 'local-restore', [$Jobs::JPEG, 'a.jpg'],
    [Jobs::photo('camera.png'), 'b.png']);
is($r->{status}, 202, 'alice queues a job') or diag $r->{raw};
my $id = $r->{json}{job_id};
my ($j) = Jobs::wait_job($s, $alice, $id);
is($j->{status}, 'done', 'alice\'s job done');

for my $t ([GET => "/api/v1/jobs/$id"], [DELETE => "/api/v1/jobs/$id"],
    [GET => "/api/v1/jobs/$id/download"]) {
	my $b = $s->request(@$t, token => $bob);
	is($b->{status}, 404, "bob: $t->[0] $t->[1] is 404");
	is($b->{json}{detail}, "Job $id not found", 'same detail as missing');
	my $m = $s->request($t->[0], $t->[1] =~ s{/jobs/\Q$id\E}{/jobs/999999}r,
	    token => $bob);
	is($m->{json}{detail}, 'Job 999999 not found', 'missing job detail');
}
my $l = $s->request(GET => '/api/v1/jobs', token => $bob);
is($l->{status}, 200, 'bob lists');
is($l->{json}{total}, 0, 'bob sees no job');
is_deeply($l->{json}{jobs}, [], 'empty list');

my $a = $s->request(GET => "/api/v1/jobs/$id", token => $alice);
is($a->{json}{status}, 'done', 'alice\'s job still done');
ok($a->{json}{items}[0]{result}, 'with its results');
is($s->request(GET => "/api/v1/jobs/$id/download", token => $alice)
    ->{status}, 200, 'alice downloads');

# No image of alice's in bob's history.
is($s->request(GET => '/api/v1/restore/history', token => $bob)
    ->{json}{total}, 0, 'bob\'s history empty');
my $img = $a->{json}{items}[0]{result}{id};
is($s->request(GET => "/api/v1/restore/$img", token => $bob)->{status},
    404, 'bob cannot read alice\'s image');

is($s->request(GET => '/api/v1/jobs/abc', token => $bob)->{status}, 422,
    'non-integer id 422');
is($s->request(GET => "/api/v1/jobs/$id")->{status}, 401,
    'no token 401');
done_testing;
