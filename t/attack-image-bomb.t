#!/usr/bin/perl
# Decompression bombs: a PNG whose header claims 100000 x 100000 pixels
# (and 65535 x 65535, 20000 x 20000: all beyond max_pixels) with a tiny
# body, a JPEG whose frame header claims 65500 x 65500, and a
# zip-bomb-ish PNG (a 64x64 image whose IDAT is a 1 MB deflate stream
# of 1 GB of zeros) are all answered quickly with 400 "Invalid image
# data: ..." without the worker allocating or inflating the claimed
# size; the site stays healthy.  So are the ancillary-chunk bombs the
# fuzzer found (t/fuzz/image.c): a 400-byte PNG whose tEXt chunk claims
# 1.5 GB (libpng allocated and zeroed the claimed size: 1.5 GB of RSS
# and ~10 s of CPU per upload), and a valid PNG carrying 1000 zTXt
# chunks of 8 KB that each inflate to 8 MB (8 GB of inflating): both are
# now skipped unread.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Time::HiRes qw(sleep time);
use Compress::Zlib;
use Attack qw(form png jpeg healthy is_error png_chunk children_of);

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
# A tEXt chunk whose length claims 1.5 GB, in a 400-byte file.
my $sig = "\x89PNG\r\n\x1a\n";
my $ihdr = png_chunk('IHDR', pack('NNCCCCC', 5, 3, 16, 2, 0, 0, 0));
$r = post($sig . $ihdr . pack('N', 1583611941) . 'tEXt' .
    "date:create\0" . ('x' x 300), 'text.png');
is_error($r, 400, undef, 'tEXt chunk claiming 1.5 GB');
like($r->{json}{detail} // '', qr/^Invalid image data: /,
    'tEXt chunk claiming 1.5 GB: detail');
cmp_ok($r->{secs}, '<', 5, sprintf('tEXt claim: answered in under 5 s '
    . '(%.1f s)', $r->{secs}));
# Peak memory of every restore worker (VmHWM never goes down).
my $master = do {
	open my $f, '<', $s->vardir . '/run/restore.pid' or die "pid: $!";
	local $/;
	0 + <$f>;
};
my @w = children_of($master);
ok(@w >= 1, 'restore workers found: ' . scalar @w);
for my $pid (@w) {
	open my $st, '<', "/proc/$pid/status" or next;
	my ($hwm) = join('', <$st>) =~ /^VmHWM:\s*(\d+) kB/m;
	cmp_ok($hwm // 0, '<', 256 * 1024,
	    "restore worker $pid: peak RSS under 256 MB (" .
	    int(($hwm // 0) / 1024) . ' MB)');
}

# 1000 zTXt chunks of 8 KB, each inflating to 8 MB, before a valid 8x8
# image: the image is restored and the text never inflated.
my $zt = compress("\0" x (8 << 20), 9);
my $body = png(8, 8);
my $text = join '', map { png_chunk('zTXt', "k$_\0\0" . $zt) } 1 .. 1000;
substr($body, 8 + 25, 0) = $text;	# after the signature and IHDR
cmp_ok(length $body, '<', 10 * 1024 * 1024, 'zTXt bomb fits the upload limit'
    . ' (' . length($body) . ' bytes)');
$r = post($body, 'ztxt.png');
is($r->{status}, 200, 'valid PNG with 1000 zTXt bombs: restored')
    or diag $r->{raw};
cmp_ok($r->{secs}, '<', 5, sprintf('zTXt bombs: answered in under 5 s '
    . '(%.1f s)', $r->{secs}));
healthy($s);
done_testing;
