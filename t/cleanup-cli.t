#!/usr/bin/perl
# `photorestore cleanup` runs the clean-up on the configured state and
# reports what it removed: with the default retention (0 days) a stored
# image stays; a stale temporary file in a user directory goes; a job zip
# written two hours ago goes, one written now stays.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use MIME::Base64 qw(decode_base64);

# A 48x32 JPEG made by the project's own encoder (img_encode, quality 80).
my $JPEG = decode_base64(<<'B64');
/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQY
GBcUFhYaHSUfGhsjHBYWICwgIyYnKSopGR8tMC0oMCUoKSj/2wBDAQcHBwoIChMKChMoGhYa
KCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCj/wAAR
CAAgADADASIAAhEBAxEB/8QAFgABAQEAAAAAAAAAAAAAAAAABgMI/8QAGxAAAwADAQEAAAAA
AAAAAAAAAAMFMWFiISL/xAAWAQEBAQAAAAAAAAAAAAAAAAAFBgj/xAAgEQABAwIHAAAAAAAA
AAAAAAARAAQSAwUTFSFBUYGR/9oADAMBAAIRAxEAPwDPSJ2hMidjwQonaJonY+Ssqvsi3nPo
D3lGsbjijUBHkTtCZE7QhRO5JonaD6r7It5z6A95VixuOKNQEeRO0JkTseCFE7RNE7kPqvsi
3nPoD3lWDG44o1ARxE7kTInciFE7kmidjwPqvsi3nPoD3lZhY3HFGoCPInaEyJ2PBCidomid
yHVX2Rbzn0B7yrFjccUahHkTuRMidoQonaJonY+Q+q+yLec+gPeVYMbjijUBf//Z
B64

my $s = Stack->start;
my %dirs = $s->cli('stack-env') =~ /^(PR_\w+)='([^']*)'$/mg;
my $tok = $s->admin_token;
my $b = '----prtestcleanup';
my $r = $s->request(POST => '/api/v1/restore', token => $tok,
    headers => { 'Content-Type' => "multipart/form-data; boundary=$b" },
    body => "--$b\r\nContent-Disposition: form-data; name=\"file\"; " .
    "filename=\"a.jpg\"\r\n\r\n$JPEG\r\n--$b\r\nContent-Disposition: " .
    "form-data; name=\"model_id\"\r\n\r\nlocal-restore\r\n--$b--\r\n");
is($r->{status}, 200, 'an image stored') or diag $r->{raw};
my $uid = Stack::jwt_payload($tok)->{user_id};
my $stale = "$dirs{PR_UPLOAD_DIR}/$uid/.tmp-left-by-a-crash.jpg";
open my $fh, '>', $stale or die "$stale: $!";
close $fh;
utime time - 7200, time - 7200, $stale or die;
my $vd = $s->vardir;
mkdir "$vd/jobs";
mkdir "$vd/jobs/$uid";
my ($oldzip, $newzip, $other) = map { "$vd/jobs/$uid/$_" }
    qw(job-1.zip job-2.zip notes.txt);
for my $f ($oldzip, $newzip, $other) {
	open my $zh, '>', $f or die "$f: $!";
	print $zh "PK";
	close $zh;
}
utime time - 7200, time - 7200, $oldzip, $other or die;

my $out = $s->cli('cleanup');
is($?, 0, 'exit 0') or diag $out;
is($out, "cleanup: removed 0 expired sessions, 0 images (0 files), " .
    "1 temporary files, 1 job zips\n", 'the report');
ok(!-e $stale, 'the stale temporary file is gone');
ok(!-e $oldzip, 'the old job zip is gone');
ok(-e $newzip, 'the fresh job zip stays');
ok(-e $other, 'a file that is not a job zip stays');
is($s->request(GET => '/api/v1/restore/history', token => $tok)
    ->{json}{total}, 1, 'the image stays (retention_days 0)');
is($s->request(GET => $r->{json}{processed_url})->{status}, 200,
    'with its file');
$out = $s->cli('cleanup', 'extra');
isnt($?, 0, 'an extra argument is a usage error');
done_testing;
