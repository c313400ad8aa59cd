#!/usr/bin/perl
# processing.worker_concurrency 3 (issue 10): the worker runs three
# children; four jobs submitted at once all finish, each job taken by one
# child only, so every item yields exactly one image.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Jobs;

my $dir = Jobs::config_dir(processing => { worker_concurrency => 3 });
my $s = Stack->start(env => { CONFIG_DIR => $dir });
my $tok = $s->admin_token;
my @pids = Jobs::worker_pids($s);
is(scalar @pids, 4, 'a master and three children') or diag "@pids";

my @ids;
for my $n (1 .. 4) {
	my $r = Jobs::submit($s, $tok, 'local-restore', [$Jobs::JPEG, "a$n.jpg"],
	    [Jobs::photo('camera.png'), "b$n.png"]);
	is($r->{status}, 202, "job $n accepted") or diag $r->{raw};
	push @ids, $r->{json}{job_id};
}
my %img;
for my $id (@ids) {
	my ($j) = Jobs::wait_job($s, $tok, $id);
	is($j->{status}, 'done', "job $id done");
	is($j->{done}, 2, 'both items');
	$img{$_->{result}{id}}++ for grep { $_->{result} } @{ $j->{items} };
}
is(scalar keys %img, 8, 'eight distinct images');
is($s->request(GET => '/api/v1/restore/history', token => $tok)
    ->{json}{total}, 8, 'eight history rows, no duplicates');
done_testing;
