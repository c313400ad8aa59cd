#!/usr/bin/perl
# Files that claim to be images but are not: text, HTML, SVG, a shell
# script, a GIF, a BMP, a PDF or a ZIP named .png or .jpg, a PNG or JPEG
# signature followed by garbage, and a polyglot (a real PNG with a
# script appended is still a PNG and may pass).  Each refused with 400
# "Invalid image data: ..."; nothing is stored; the site stays healthy.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Time::HiRes qw(sleep);
use Attack qw(form png healthy is_error sql);

my $s = Stack->start;
my $tok = $s->admin_token;
my %fake = (
	'text.png' => "hello, world\n" x 20,
	'page.jpg' => '<html><script>alert(1)</script></html>',
	'image.png' => '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
	'run.jpg' => "#!/bin/sh\nrm -rf /\n",
	'anim.png' => "GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;",
	'bitmap.jpg' => "BM" . ("\0" x 60),
	'doc.png' => "%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
	'arch.jpg' => "PK\x03\x04" . ("\0" x 40),
	'sig-only.png' => "\x89PNG\r\n\x1a\n",
	'png-garbage.png' => "\x89PNG\r\n\x1a\n" . ('garbage' x 50),
	'jpeg-garbage.jpg' => "\xff\xd8\xff\xe0" . ('garbage' x 50),
	'jpeg-soi-eoi.jpg' => "\xff\xd8\xff\xd9",
	'png-as-text.jpeg' => 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==',
	'empty.png' => '',
	'nul.png' => "\0" x 1000,
);
my $before = (sql($s, 'SELECT count(*) FROM processed_images'))[0];
for my $fn (sort keys %fake) {
	sleep 0.25;
	my $r = $s->request(POST => '/api/v1/restore', token => $tok,
	    form([file => $fake{$fn}, $fn, 'image/png'], [model_id => 'local-restore']));
	is_error($r, 400, undef, $fn);
	like($r->{json}{detail} // '', qr/^Invalid image data: ./,
	    "$fn: Invalid image data: <reason>");
}
is((sql($s, 'SELECT count(*) FROM processed_images'))[0], $before,
    'nothing stored');
opendir(my $d, $s->vardir . '/uploads');
my @left = grep { !/^\./ || /^\.tmp-/ } readdir $d;
is_deeply([grep { -f $s->vardir . "/uploads/$_" } @left], [],
    'no file left in the upload directory');
# A polyglot: a real PNG with a script after IEND decodes as a PNG.
sleep 0.25;
my $r = $s->request(POST => '/api/v1/restore', token => $tok,
    form([file => png(8, 8) . "<script>alert(1)</script>", 'poly.png', 'image/png'],
    [model_id => 'local-restore']));
ok($r->{status} == 200 || $r->{status} == 400,
    'a PNG with trailing bytes: 200 or 400, never a 5xx') or diag $r->{raw};
healthy($s);
done_testing;
