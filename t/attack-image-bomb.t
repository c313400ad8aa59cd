#!/usr/bin/perl
# Decompression bombs: a PNG whose header claims 100000 x 100000 pixels
# (and 65535 x 65535, 20000 x 20000: all beyond max_pixels) with a tiny
# body, a JPEG whose frame header claims 65500 x 65500, and a
# zip-bomb-ish PNG (a 64x64 image whose IDAT is a 1 MB deflate stream
# of 1 GB of zeros) are all answered quickly with 400 "Invalid image
# data: ..." without the worker allocating or inflating the claimed
# size; the site stays healthy.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Time::HiRes qw(sleep time);
use Compress::Zlib;
use Attack qw(form png jpeg healthy is_error);

my $s = Stack->start;
my $tok = $s->admin_token;

sub post {
	my ($data, $fn) = @_;
	sleep 0.25;
	my $t0 = time;
	my $r = $s->request(POST => '/api/v1/restore', token => $tok,
	    form([file => $data, $fn], [model_id => 'local-restore']));
	$r->{secs} = time - $t0;
	return $r;
}

for my $d ([100000, 100000], [65535, 65535], [20000, 20000], [1, 100000000]) {
	my ($w, $h) = @$d;
	my $r = post(png(8, 8, ihdr_w => $w, ihdr_h => $h), 'bomb.png');
	is_error($r, 400, undef, "PNG claiming ${w}x$h");
	like($r->{json}{detail} // '', qr/^Invalid image data: /, "${w}x$h: detail");
	cmp_ok($r->{secs}, '<', 5, "${w}x$h: answered in under 5 s");
}
# A JPEG whose SOF0 says 65500 x 65500.
my $j = jpeg();
my $p = index($j, "\xff\xc0");
ok($p > 0, 'found the JPEG frame header');
substr($j, $p + 5, 4) = pack('nn', 65500, 65500);
my $r = post($j, 'bomb.jpg');
is_error($r, 400, undef, 'JPEG claiming 65500x65500');
cmp_ok($r->{secs}, '<', 5, 'JPEG bomb: answered in under 5 s');

# ~1 MB of deflate that inflates to 1 GB, behind a 64x64 header.
my ($z) = deflateInit(-Level => 9);
my $chunk = "\0" x (1 << 20);
my $out = '';
for (1 .. 1024) { my ($o) = $z->deflate($chunk); $out .= $o; }
my ($o) = $z->flush();
$out .= $o;
cmp_ok(length $out, '<', 2 * 1024 * 1024, 'the bomb is small on the wire (' .
    length($out) . ' bytes)');
# No sane encoder writes 250 times more compressed data than the image
# has pixels: refused, and quickly (libpng would otherwise inflate the
# whole stream after the last row: ~25 s of CPU per 1 MB upload).
$r = post(png(64, 64, idat => $out), 'zipbomb.png');
is_error($r, 400, undef, 'zip bomb PNG (64x64, 1 GB of deflate)');
like($r->{json}{detail} // '', qr/^Invalid image data: /, 'zip bomb PNG: detail');
cmp_ok($r->{secs}, '<', 5, sprintf('zip bomb PNG: answered in under 5 s (%.1f s)',
    $r->{secs}));
healthy($s);
done_testing;
