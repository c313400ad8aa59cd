#!/usr/bin/perl
# Disk full on the image directories during an upload: the upload and
# processed directories live on a small tmpfs (mounted here; skipped when
# we cannot mount one, e.g. not root).  With no space at all, and with
# room for the original but not the result, the upload answers a clean
# JSON 507 "Insufficient storage" (500 accepted), stores no row and
# leaves no file, final or temporary; once space is back, uploads work.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use File::Temp qw(tempdir);
use Time::HiRes qw(sleep);

my $mnt;
BEGIN {
	plan skip_all => 'needs root to mount a small tmpfs' if $> != 0;
	$mnt = tempdir('pr-diskfull-XXXXXX', TMPDIR => 1, CLEANUP => 1);
	plan skip_all => "cannot mount a tmpfs on $mnt"
	    if system("mount -t tmpfs -o size=512k,mode=0755 tmpfs '$mnt' 2>/dev/null") != 0;
}
use Stack;
use Attack qw(form jpeg healthy is_error sql);

our $s;
END {
	$s->stop if $s;
	system("umount '$mnt' 2>/dev/null || umount -l '$mnt' 2>/dev/null") if $mnt;
}
$s = Stack->start(env => { UPLOAD_DIR => "$mnt/uploads",
    PROCESSED_DIR => "$mnt/processed" });
my $tok = $s->admin_token;
my $jpg = jpeg();

# Fill the file system: some one-page files first (to free later), then
# one big file until ENOSPC.
mkdir "$mnt/fill";
for my $i (1 .. 4) {
	open(my $f, '>', "$mnt/fill/page$i") or die "page$i: $!";
	print $f 'p' x 4096;
	close $f or die;
}
open(my $big, '>', "$mnt/fill/big") or die;
my $chunk = 'b' x 4096;
while (syswrite($big, $chunk)) { }
close $big;
my $avail = `df --output=avail -B1 '$mnt' | tail -n 1` + 0;
cmp_ok($avail, '<', 4096, "the image file system is full ($avail bytes free)");

sub files {
	my @f;
	for my $d ("$mnt/uploads", "$mnt/processed") {
		push @f, grep { -f } glob("$d/*/* $d/*/.tmp-*");
	}
	return @f;
}
sub upload {
	sleep 0.25;
	return $s->request(POST => '/api/v1/restore', token => $tok,
	    form([file => $jpg, 'full.jpg', 'image/jpeg'], [model_id => 'local-restore']));
}
sub refused {
	my ($r, $what) = @_;
	ok($r->{status} == 507 || $r->{status} == 500, "$what: 507 (or 500), got $r->{status}")
	    or diag $r->{raw};
	is_error($r, $r->{status}, $r->{status} == 507 ? 'Insufficient storage' : undef, $what);
	is((sql($s, 'SELECT count(*) FROM processed_images'))[0], 0, "$what: no row");
	is_deeply([files()], [], "$what: no file left, final or temporary");
}

refused(upload(), 'no space at all');
# Room for the original (one page) but not for the result.
unlink "$mnt/fill/page1";
refused(upload(), 'room for the original only');
# Which write failed (a note: the message is restore.fcgi's own).
if (open(my $lf, '<', $s->vardir . '/log/photorestore.log')) {
	note $_ for grep { /storing the/ } <$lf>;
}
# Space back.
unlink "$mnt/fill/big";
my $r = upload();
is($r->{status}, 200, 'with space again: 200') or diag $r->{raw};
is(scalar(files()), 2, 'the original and the result stored');
is($s->request(GET => $r->{json}{processed_url})->{status}, 200, 'and served');
healthy($s);
done_testing;
