#!/usr/bin/perl
# Segments that are not strict base64url (RFC 4648 §5, no padding) are
# refused, even when the bytes they would decode to are right: padding,
# the standard alphabet's + and /, white space, a length of 4n+1,
# non-zero unused bits, percent-encoding, and non-ASCII bytes.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Attack qw(rejected_everywhere healthy);

my $s = Stack->start;
my $good = $s->admin_token;
my ($h, $p, $sig) = split /\./, $good;

# The last character of a 43-character (32-byte) segment carries 4 data
# bits and 2 unused ones: set an unused bit, keeping the decoded bytes.
sub unused_bits {
	my $abc = join '', 'A' .. 'Z', 'a' .. 'z', '0' .. '9', '-', '_';
	return substr($abc, index($abc, $_[0]) | 1, 1);
}

my %bad = (
	'padded header' => "$h==.$p.$sig",
	'padded signature' => "$h.$p.$sig=",
	'standard alphabet in signature' => "$h.$p." . ($sig =~ tr{-_}{+/}r) . '+/',
	'space inside payload' => "$h." . substr($p, 0, 4) . ' ' . substr($p, 4) . ".$sig",
	'tab inside signature' => "$h.$p." . substr($sig, 0, 8) . "\t" . substr($sig, 8),
	'4n+1 characters' => "$h.${p}A.$sig",
	'non-zero unused bits' => "$h.$p." . substr($sig, 0, -1) .
	    unused_bits(substr($sig, -1)),
	'percent-encoded dot' => "$h%2E$p.$sig",
	'empty header' => ".$p.$sig",
	'empty payload' => "$h..$sig",
	'four segments' => "$h.$p.$sig.$sig",
	'only dots' => '..',
	'high bytes' => "$h.$p.$sig\xc3\xa9",
	'asterisks' => '***.***.***',
);
for my $n (sort keys %bad) {
	rejected_everywhere($s, $bad{$n}, $n);
}
healthy($s);
done_testing;
