#!/usr/bin/perl
# Truncated images: a real PNG and a real JPEG cut at many points (inside
# the signature, the header, the pixel data), and
# a PNG whose CRCs or zlib stream are broken, are refused with 400
# "Invalid image data: ..." and nothing is stored.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Time::HiRes qw(sleep);
use Compress::Zlib qw(compress);
use Attack qw(form png jpeg healthy is_error sql);

my $s = Stack->start;
my $tok = $s->admin_token;
my $png = png(40, 30);
my $jpg = jpeg();

sub post {
	my ($data, $fn) = @_;
	sleep 0.25;
	return $s->request(POST => '/api/v1/restore', token => $tok,
	    form([file => $data, $fn], [model_id => 'local-restore']));
}

# (A PNG missing only its IEND chunk, or a JPEG only its EOI marker, has
# every pixel and may be shown, as browsers do: not cut here.)
for my $cut (4, 8, 16, 33, 45, length($png) - 20, length($png) - 14) {
	my $r = post(substr($png, 0, $cut), 'cut.png');
	is_error($r, 400, undef, "PNG cut at $cut of " . length $png);
	like($r->{json}{detail} // '', qr/^Invalid image data: /, "PNG cut at $cut: detail");
}
for my $cut (3, 20, 100, 200, int(length($jpg) / 2), length($jpg) - 10) {
	my $r = post(substr($jpg, 0, $cut), 'cut.jpg');
	is_error($r, 400, undef, "JPEG cut at $cut of " . length $jpg);
	like($r->{json}{detail} // '', qr/^Invalid image data: /, "JPEG cut at $cut: detail");
}
(my $badcrc = $png) =~ s/IDAT(....)/IDAT$1/s;
substr($badcrc, 29, 4) = "\0\0\0\0";	# IHDR's CRC
my $r = post($badcrc, 'crc.png');
is_error($r, 400, undef, 'PNG with a broken IHDR CRC');
my $badz = png(40, 30, idat => "\x78\x9c" . ("\xff" x 64));
$r = post($badz, 'zlib.png');
is_error($r, 400, undef, 'PNG with a broken zlib stream');
my $short = png(40, 30, idat => compress("\0" x 100));
$r = post($short, 'short.png');
is_error($r, 400, undef, 'PNG with too little pixel data');
is((sql($s, 'SELECT count(*) FROM processed_images'))[0], 0, 'nothing stored');
healthy($s);
done_testing;
