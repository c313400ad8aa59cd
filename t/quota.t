#!/usr/bin/perl
# processing.max_images_per_day (issue 10), set to 2 in an APP_ENV file:
# GET /api/v1/users/me/usage counts; POST /api/v1/restore and
# POST /api/v1/jobs answer 429 "Daily image quota exceeded" with a
# Retry-After up to the next UTC midnight once the day's images (and
# those queued jobs reserve) would pass it; another user has their own.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Jobs;
use File::Temp qw(tempdir);

my $dir = tempdir(CLEANUP => 1);
system('cp', "$Stack::TOP/conf/default.json", "$dir/default.json") == 0
    or die;
open(my $fh, '>', "$dir/quota.json") or die;
print $fh '{"processing":{"max_images_per_day":2}}';
close $fh;
my $s = Stack->start(env => { CONFIG_DIR => $dir, APP_ENV => 'quota' });
my $tok = $s->admin_token;
$s->create_user($tok, username => 'dave');
my $dave = $s->login('dave', 'User-Pass-123');
my $png = Jobs::photo('camera.png');
sub restore { $s->request(POST => '/api/v1/restore', token => $_[0],
	Jobs::form([file => $_[1], 'x.png', 'image/png'],
	[model_id => 'local-restore'])) }
sub secs_to_midnight { 86400 - time % 86400 }

my $u = $s->request(GET => '/api/v1/users/me/usage', token => $tok);
is($u->{status}, 200, 'usage 200') or diag $u->{raw};
is_deeply([Stack::key_order($u->{raw})], [qw(images_today
    max_images_per_day remaining pending resets_at)], 'usage keys');
is($u->{json}{images_today}, 0, 'none today');
is($u->{json}{max_images_per_day}, 2, 'max 2');
is($u->{json}{remaining}, 2, '2 remaining');
like($u->{json}{resets_at}, qr/^\d{4}-\d\d-\d\dT00:00:00Z$/,
    'resets at UTC midnight');

is(restore($tok, $png)->{status}, 200, 'first image');
$u = $s->request(GET => '/api/v1/users/me/usage', token => $tok);
is($u->{json}{images_today}, 1, 'one today');
is($u->{json}{remaining}, 1, 'one remaining');

my $r = Jobs::submit($s, $tok, 'local-restore', [$png, 'a.png'],
    [$Jobs::JPEG, 'b.jpg']);
is($r->{status}, 429, 'a job of two files passes the quota');
is($r->{json}{detail}, 'Daily image quota exceeded', 'detail');
my $ra = $r->{headers}{'retry-after'} // -1;
ok($ra > 0 && $ra <= secs_to_midnight() + 2, "Retry-After $ra: to midnight");

$r = Jobs::submit($s, $tok, 'local-restore', [$Jobs::JPEG, 'b.jpg']);
is($r->{status}, 202, 'a job of one file fits') or diag $r->{raw};
my ($j) = Jobs::wait_job($s, $tok, $r->{json}{job_id});
is($j->{status}, 'done', 'job done');

$r = restore($tok, $Jobs::JPEG);
is($r->{status}, 429, 'the third image of the day is refused');
is($r->{json}{detail}, 'Daily image quota exceeded', 'detail');
$ra = $r->{headers}{'retry-after'} // -1;
ok($ra > 0 && $ra <= secs_to_midnight() + 2, 'Retry-After to midnight');
$u = $s->request(GET => '/api/v1/users/me/usage', token => $tok);
is($u->{json}{images_today}, 2, 'two today');
is($u->{json}{remaining}, 0, 'none remaining');

# Deleting an image does not give it back.
my $h = $s->request(GET => '/api/v1/restore/history', token => $tok);
$s->request(DELETE => "/api/v1/restore/$h->{json}{items}[0]{id}",
    token => $tok);
is(restore($tok, $png)->{status}, 429, 'still refused after a delete');

is(restore($dave, $png)->{status}, 200, 'another user has their own quota');
$u = $s->request(GET => '/api/v1/users/me/usage', token => $dave);
is($u->{json}{images_today}, 1, 'dave: one today');
is($s->request(GET => '/api/v1/users/me/usage')->{status}, 401,
    'usage needs a token');
done_testing;
