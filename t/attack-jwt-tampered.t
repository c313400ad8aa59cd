#!/usr/bin/perl
# A genuine token with any byte of its header, payload or signature
# changed is refused: claims edited to another user or role, the
# signature of another genuine token, a truncated or extended signature,
# a signature over different bytes of the same JSON.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use JSON::PP;
use Attack qw(b64u secret_key sign_raw rejected_everywhere healthy);

my $s = Stack->start;
my $admin = $s->admin_token;
$s->create_user($admin, username => 'mallory');
my $user = $s->login('mallory', 'User-Pass-123');
ok($user, 'mallory logged in');
my ($h, $p, $sig) = split /\./, $user;
my (undef, $ap, $asig) = split /\./, $admin;
my $c = Stack::jwt_payload($user);
my $js = JSON::PP->new->canonical;

my %edit = (
	'role admin' => { %$c, role => 'admin' },
	'user_id of the admin' => { %$c, user_id => 1 },
	'sub admin' => { %$c, sub => 'admin' },
	'exp later' => { %$c, exp => $c->{exp} + 86400 },
	'password_must_change flipped' => { %$c, password_must_change =>
	    $c->{password_must_change} ? JSON::PP::false : JSON::PP::true },
);
for my $n (sort keys %edit) {
	rejected_everywhere($s, "$h." . b64u($js->encode($edit{$n})) . ".$sig",
	    "payload edited ($n), old signature");
}
rejected_everywhere($s, "$h.$p.$asig", 'signature of another genuine token');
rejected_everywhere($s, "$h.$ap.$sig", 'payload of another genuine token');
rejected_everywhere($s, "$h.$p." . substr($sig, 0, -1), 'signature one char short');
rejected_everywhere($s, "$h.$p.${sig}AA", 'signature two chars longer');
rejected_everywhere($s, "$h.$p." . substr($sig, 0, 21), 'half a signature');
# Every position of the signature, flipped.
my $bad = 0;
for my $i (0 .. length($sig) - 1) {
	my $t = $sig;
	substr($t, $i, 1) = substr($t, $i, 1) eq 'A' ? 'B' : 'A';
	my $r = $s->request(GET => '/api/v1/users/me',
	    headers => { Authorization => "Bearer $h.$p.$t" });
	$bad++ if $r->{status} != 401;
}
is($bad, 0, 'every single-character change of the signature is refused');
# Same JSON, other bytes: a space added to the payload.
(my $json = $js->encode($c)) =~ s/,/, /;
rejected_everywhere($s, "$h." . b64u($json) . ".$sig",
    'payload re-serialised with a space, old signature');
# The genuine token still works afterwards.
is($s->request(GET => '/api/v1/users/me', token => $user)->{status}, 200,
    'the untouched token still works');
healthy($s);
done_testing;
