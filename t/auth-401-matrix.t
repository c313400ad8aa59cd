#!/usr/bin/perl
# The 401 matrix of API.md §0: every way a credential can be wrong.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Digest::SHA qw(hmac_sha256);
use MIME::Base64 qw(encode_base64);
use JSON::PP;

my $s = Stack->start;
my $good = $s->admin_token;
ok($good, 'logged in');

sub b64u { my $x = encode_base64($_[0], ''); $x =~ tr{+/}{-_}; $x =~ s/=+$//; $x }
open(my $fh, '<:raw', $s->vardir . '/secret.key') or die "secret: $!";
my $key = do { local $/; <$fh> };
close $fh;
my $claims = Stack::jwt_payload($good);
sub forge {
	my ($hdr, $c, $k) = @_;
	my $si = b64u($hdr) . '.' . b64u(JSON::PP->new->canonical->encode($c));
	return "$si." . b64u(hmac_sha256($si, $k // $key));
}
sub check {
	my ($name, $hdrs, $detail) = @_;
	my $r = $s->request(GET => '/api/v1/auth/me', headers => $hdrs);
	is($r->{status}, 401, "$name: 401");
	is($r->{json}{detail}, $detail, "$name: $detail");
	is($r->{headers}{'www-authenticate'}, 'Bearer', "$name: WWW-Authenticate");
}

check('no header', {}, 'Not authenticated');
check('blank', { Authorization => '' }, 'Not authenticated');
check('basic', { Authorization => 'Basic YWRtaW46eA==' }, 'Not authenticated');
check('bearer only', { Authorization => 'Bearer' }, 'Not authenticated');
check('garbage', { Authorization => 'Bearer abc.def.ghi' }, 'Could not validate credentials');
my @p = split /\./, $good;
check('tampered payload', { Authorization => "Bearer $p[0]." . b64u('{"sub":"admin","user_id":1,"role":"admin"}') . ".$p[2]" },
    'Could not validate credentials');
check('alg none', { Authorization => 'Bearer ' . b64u('{"alg":"none","typ":"JWT"}') . '.' . $p[1] . '.' },
    'Could not validate credentials');
check('wrong key', { Authorization => 'Bearer ' . forge('{"alg":"HS256","typ":"JWT"}', $claims, 'x' x 32) },
    'Could not validate credentials');
check('expired', { Authorization => 'Bearer ' . forge('{"alg":"HS256","typ":"JWT"}', { %$claims, exp => time - 3600, iat => time - 7200 }) },
    'Could not validate credentials');
check('no exp', { Authorization => 'Bearer ' . forge('{"alg":"HS256","typ":"JWT"}', { map { $_ => $claims->{$_} } grep { $_ ne 'exp' } keys %$claims }) },
    'Could not validate credentials');
check('HS512 header', { Authorization => 'Bearer ' . forge('{"alg":"HS512","typ":"JWT"}', $claims) },
    'Could not validate credentials');
check('unknown user', { Authorization => 'Bearer ' . forge('{"alg":"HS256","typ":"JWT"}', { %$claims, user_id => 999 }) },
    'User account no longer exists');
check('unknown session', { Authorization => 'Bearer ' . forge('{"alg":"HS256","typ":"JWT"}', { %$claims, session_id => '00000000-0000-4000-8000-000000000000' }) },
    'Session has been terminated');
# A correctly signed token for the right session passes (sanity).
my $r = $s->request(GET => '/api/v1/auth/me', headers => { Authorization => 'bEaReR ' . forge('{"alg":"HS256","typ":"JWT"}', $claims) });
is($r->{status}, 200, 'scheme is case-insensitive; forged-with-real-key passes');

# After logout the token is dead.
$r = $s->request(POST => '/api/v1/auth/logout', token => $good);
is($r->{status}, 204, 'logout 204');
is($r->{raw} // '', '', 'logout empty body');
check('after logout', { Authorization => "Bearer $good" }, 'Session has been terminated');
done_testing;
