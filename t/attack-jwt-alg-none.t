#!/usr/bin/perl
# Unsigned tokens (RFC 8725 §2.1): alg "none" in every spelling, with an
# empty or a copied signature, are refused with 401 "Could not validate
# credentials" on every program, and the site stays healthy.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Attack qw(b64u secret_key sign_claims rejected_everywhere
    accepted_everywhere healthy);

my $s = Stack->start;
my $good = $s->admin_token;
ok($good, 'admin logged in');
my $key = secret_key($s);
my $claims = Stack::jwt_payload($good);
my (undef, $pay, $sig) = split /\./, $good;
accepted_everywhere($s, sign_claims($key, $claims), 'harness: re-signed claims');

for my $alg ('none', 'None', 'NONE', 'nOnE', '', 'none ') {
	my $h = b64u(qq({"alg":"$alg","typ":"JWT"}));
	rejected_everywhere($s, "$h.$pay.", "alg '$alg', empty signature");
	rejected_everywhere($s, "$h.$pay.$sig", "alg '$alg', copied signature");
}
my $h = b64u('{"typ":"JWT"}');
rejected_everywhere($s, "$h.$pay.$sig", 'no alg at all');
rejected_everywhere($s, b64u('{"alg":null}') . ".$pay.$sig", 'alg null');
rejected_everywhere($s, "$pay.", 'one segment and a dot');
rejected_everywhere($s, b64u('{"alg":"none"}') . ".$pay", 'two segments');
healthy($s);
done_testing;
