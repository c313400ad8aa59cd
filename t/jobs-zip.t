#!/usr/bin/perl
# GET /api/v1/jobs/{id}/download (issue 10): a zip sent by nginx with
# Content-Disposition attachment; filename="photorestore-job-<id>.zip";
# one entry per result named restored-<original name> (a repeated name
# gets its position), each a valid image identical to the processed
# file; nothing of the internal location leaks.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Jobs;

my $s = Stack->start;
my $tok = $s->admin_token;
my $png = Jobs::photo('camera.png');
my $r = Jobs::submit($s, $tok, 'local-restore', [$png, 'photo.png'],
    [$Jobs::JPEG, 'scan.jpg'], [Jobs::photo('chelsea.png'), 'photo.png']);
is($r->{status}, 202, 'job accepted') or diag $r->{raw};
my $id = $r->{json}{job_id};
my ($j) = Jobs::wait_job($s, $tok, $id);
is($j->{status}, 'done', 'job done');

my $d = $s->request(GET => "/api/v1/jobs/$id/download", token => $tok);
is($d->{status}, 200, 'download 200') or diag $d->{raw};
is($d->{headers}{'content-type'}, 'application/zip', 'application/zip');
is($d->{headers}{'content-disposition'},
    qq{attachment; filename="photorestore-job-$id.zip"}, 'attachment name');
ok(!exists $d->{headers}{'x-accel-redirect'}, 'X-Accel-Redirect not leaked');
is(substr($d->{raw}, 0, 4), "PK\x03\x04", 'a zip');

my @e = Jobs::unzip_entries($d->{raw});
is_deeply([map { $_->[0] } @e],
    ['restored-photo.png', 'restored-scan.jpg', 'restored-3-photo.png'],
    'entry names');
for my $i (0 .. $#e) {
	my ($name, $data) = @{ $e[$i] };
	ok(defined $data, "$name stored") or next;
	my $magic = $name =~ /png$/ ? "\x89PNG\r\n\x1a\n" : "\xff\xd8\xff";
	is(substr($data, 0, length $magic), $magic, "$name is an image");
	my $p = $s->request(GET => $j->{items}[$i]{result}{processed_url});
	ok($data eq $p->{raw}, "$name is the processed file");
}
SKIP: {
	skip 'unzip not installed', 1 unless -x '/usr/bin/unzip';
	my $f = $s->vardir . '/t.zip';
	open my $fh, '>', $f or die;
	binmode $fh;
	print $fh $d->{raw};
	close $fh;
	my $t = `unzip -tq '$f' 2>&1`;
	like($t, qr/No errors detected/, 'unzip -t finds no error') or diag $t;
}

# A job without results has nothing to download.
my $none = $s->request(GET => '/api/v1/jobs/999999/download', token => $tok);
is($none->{status}, 404, 'unknown job 404');
my $out = $s->request(GET => '/_protected/jobs/1/job-1.zip');
is($out->{status}, 404, 'the internal location is not reachable');
done_testing;
