#!/usr/bin/perl
# Algorithm confusion (RFC 8725 §2.1, §3.1): only "HS256" is accepted.
# A token whose header names RS256, ES256, PS256, HS384, HS512 or a
# different spelling of HS256 is refused even when it carries a valid
# HMAC-SHA256 (or a real HMAC-SHA512) under the site's own key, and so is
# an alg that is not a string.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use JSON::PP;
use Attack qw(secret_key sign_raw sign_claims rejected_everywhere
    accepted_everywhere healthy);

my $s = Stack->start;
my $good = $s->admin_token;
my $key = secret_key($s);
my $claims = Stack::jwt_payload($good);
my $pay = JSON::PP->new->canonical->encode($claims);
accepted_everywhere($s, sign_raw($key, '{"alg":"HS256","typ":"JWT"}', $pay),
    'harness: HS256 re-signed');
accepted_everywhere($s, sign_raw($key, '{"typ":"JWT","alg":"HS256"}', $pay),
    'harness: header member order does not matter');

for my $alg (qw(RS256 ES256 PS256 HS384 HS512 hs256 Hs256 HS256X HS25)) {
	rejected_everywhere($s, sign_raw($key, qq({"alg":"$alg","typ":"JWT"}),
	    $pay), "header alg $alg with an HS256 MAC");
}
rejected_everywhere($s, sign_raw($key, '{"alg":"HS512","typ":"JWT"}', $pay,
    'HS512'), 'a real HS512 token under the site key');
# RS256 "public key as HMAC secret": we have no public key, so sign with
# a PEM-looking string and with the empty key.
rejected_everywhere($s, sign_raw("-----BEGIN PUBLIC KEY-----\nMFkw\n",
    '{"alg":"RS256","typ":"JWT"}', $pay), 'RS256 signed with a PEM text');
rejected_everywhere($s, sign_raw('', '{"alg":"HS256","typ":"JWT"}', $pay),
    'HS256 under the empty key');
for my $alg ('["HS256"]', '{"a":"HS256"}', '256', 'true') {
	rejected_everywhere($s, sign_raw($key, qq({"alg":$alg,"typ":"JWT"}),
	    $pay), "alg $alg (not a string)");
}
rejected_everywhere($s, sign_raw($key, '{"alg":"HS256","typ":"JWS+xml"}',
    $pay), 'typ not JWT');
rejected_everywhere($s, sign_raw($key, '["HS256"]', $pay), 'header an array');
healthy($s);
done_testing;
