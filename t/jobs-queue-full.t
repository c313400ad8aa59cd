#!/usr/bin/perl
# The bounded job queue (issue 10): with processing.queue_size 2 and no
# worker, two jobs are queued and the third -- of any user -- is refused
# with 429 {"detail":"Job queue is full"} and Retry-After; once one is
# cancelled there is room again.  Nothing of a refused job is stored.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Jobs;
use File::Temp qw(tempdir);

my $dir = tempdir(CLEANUP => 1);
system('cp', "$Stack::TOP/conf/default.json", "$dir/default.json") == 0
    or die;
open(my $fh, '>', "$dir/small.json") or die;
print $fh '{"processing":{"queue_size":2}}';
close $fh;
my $s = Stack->start(env => { CONFIG_DIR => $dir, APP_ENV => 'small',
    JOBS_WORKER => 0 });
my $tok = $s->admin_token;
$s->create_user($tok, username => 'erin');
my $erin = $s->login('erin', 'User-Pass-123');
my $euid = Stack::jwt_payload($erin)->{user_id};
my %dirs = $s->cli('stack-env') =~ /^(PR_\w+)='([^']*)'$/mg;

my @ids;
for my $n (1, 2) {
	my $r = Jobs::submit($s, $tok, 'local-restore', [$Jobs::JPEG, "$n.jpg"]);
	is($r->{status}, 202, "job $n queued") or diag $r->{raw};
	push @ids, $r->{json}{job_id};
}
my $r = Jobs::submit($s, $erin, 'local-restore', [$Jobs::JPEG, '3.jpg']);
is($r->{status}, 429, 'third job refused');
is($r->{json}{detail}, 'Job queue is full', 'detail');
like($r->{headers}{'retry-after'} // '', qr/^\d+$/, 'Retry-After');
my @left = glob("$dirs{PR_UPLOAD_DIR}/$euid/*");
is(scalar @left, 0, 'nothing of the refused job stored');
is($s->request(GET => '/api/v1/jobs', token => $erin)->{json}{total}, 0,
    'no job row for it');

is($s->request(DELETE => "/api/v1/jobs/$ids[0]", token => $tok)->{status},
    200, 'one cancelled');
$r = Jobs::submit($s, $erin, 'local-restore', [$Jobs::JPEG, '3.jpg']);
is($r->{status}, 202, 'room again') or diag $r->{raw};
done_testing;
