#!/usr/bin/perl
# Header parameters that would choose or carry a key, or demand an
# extension we do not implement (RFC 7515 §4.1: crit, jku, jwk, x5u, x5c;
# RFC 7797 b64), are refused even in a token signed with the site's real
# key; a harmless kid is ignored, whatever path it names.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use JSON::PP;
use Attack qw(secret_key sign_raw rejected_everywhere accepted_everywhere
    healthy);

my $s = Stack->start;
my $good = $s->admin_token;
my $key = secret_key($s);
my $pay = JSON::PP->new->canonical->encode(Stack::jwt_payload($good));

my %bad = (
	crit => '"crit":["exp"]',
	'crit empty' => '"crit":[]',
	jku => '"jku":"http://127.0.0.1:1/jwks.json"',
	jwk => '"jwk":{"kty":"oct","k":"AAAA"}',
	x5u => '"x5u":"http://127.0.0.1:1/cert.pem"',
	x5c => '"x5c":["MIIB"]',
	b64 => '"b64":false,"crit":["b64"]',
);
for my $n (sort keys %bad) {
	rejected_everywhere($s, sign_raw($key,
	    qq({"alg":"HS256","typ":"JWT",$bad{$n}}), $pay), "header $n");
}
accepted_everywhere($s, sign_raw($key,
    '{"alg":"HS256","typ":"JWT","kid":"../../../../dev/null"}', $pay),
    'kid naming a path is ignored (no key lookup by kid)');
healthy($s);
done_testing;
