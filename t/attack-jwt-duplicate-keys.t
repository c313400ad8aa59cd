#!/usr/bin/perl
# Duplicate member names in the JOSE header or in the claims, signed with
# the site's real key, are refused (RFC 7515 §4, RFC 7519 §4: a token
# that means different things to different parsers), whichever copy
# comes first.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use JSON::PP;
use Attack qw(secret_key sign_raw rejected_everywhere accepted_everywhere
    healthy);

my $s = Stack->start;
my $admin = $s->admin_token;
$s->create_user($admin, username => 'dupuser');
my $user = $s->login('dupuser', 'User-Pass-123');
my $key = secret_key($s);
my $c = Stack::jwt_payload($user);
my $pay = JSON::PP->new->canonical->encode($c);
accepted_everywhere($s, sign_raw($key, '{"alg":"HS256","typ":"JWT"}',
    JSON::PP->new->canonical->encode(Stack::jwt_payload($admin))),
    'harness: admin claims re-signed');

rejected_everywhere($s, sign_raw($key, '{"alg":"HS256","alg":"none"}', $pay),
    'header alg twice (HS256 first)');
rejected_everywhere($s, sign_raw($key, '{"alg":"none","alg":"HS256"}', $pay),
    'header alg twice (none first)');
rejected_everywhere($s, sign_raw($key, '{"alg":"HS256","typ":"JWT","typ":"JWT"}',
    $pay), 'header typ twice, same value');
for my $k (qw(user_id role sub session_id exp password_must_change)) {
	my $v = JSON::PP->new->allow_nonref->encode($c->{$k});
	my $other = $k eq 'user_id' ? 1 : $k eq 'role' ? '"admin"' :
	    $k eq 'exp' ? $c->{exp} + 1000 : $k eq 'password_must_change' ?
	    'false' : '"x"';
	(my $p1 = $pay) =~ s/^\{/{"$k":$other,/;
	(my $p2 = $pay) =~ s/\}$/,"$k":$other}/;
	rejected_everywhere($s, sign_raw($key, '{"alg":"HS256","typ":"JWT"}',
	    $p1), "claim $k twice (forged value first)");
	rejected_everywhere($s, sign_raw($key, '{"alg":"HS256","typ":"JWT"}',
	    $p2), "claim $k twice (forged value last)");
}
healthy($s);
done_testing;
