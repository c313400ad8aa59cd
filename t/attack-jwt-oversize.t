#!/usr/bin/perl
# Oversized tokens: a correctly signed token longer than 4 KiB is refused
# with 401 (the length cap comes before any decoding), a 12 KiB one too,
# and an Authorization header beyond nginx's header buffers gets nginx's
# JSON 431/400, never a crash; the site stays healthy.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Attack qw(secret_key sign_claims rejected_everywhere accepted_everywhere
    healthy);

my $s = Stack->start;
my $good = $s->admin_token;
my $key = secret_key($s);
my $c = Stack::jwt_payload($good);

# The longest token within the cap still works (claims padded with an
# extra member); one byte more is refused.
my ($n, $ok, $next) = (2000);
while (1) {
	$next = sign_claims($key, { %$c, pad => 'p' x ($n + 1) });
	last if length $next > 4096;
	$n++;
}
$ok = sign_claims($key, { %$c, pad => 'p' x $n });
cmp_ok(length $ok, '<=', 4096, 'padded token within 4096 bytes');
accepted_everywhere($s, $ok, 'a signed token of ' . length($ok) . ' bytes');
rejected_everywhere($s, $next, 'signed token of ' . length($next) . ' bytes');
for my $len (4200, 12 * 1024) {
	my $t;
	my $m = $n;
	do { $t = sign_claims($key, { %$c, pad => 'p' x ($m += 50) }) }
	    while length $t < $len;
	rejected_everywhere($s, $t, 'signed token of ' . length($t) . ' bytes');
}
# Beyond nginx's large_client_header_buffers (16k).
my $huge = 'A' x (40 * 1024);
for my $p ('/api/v1/users/me', '/api/v1/admin/users') {
	my $r = $s->request(GET => $p,
	    headers => { Authorization => "Bearer $huge" });
	ok($r->{status} == 431 || $r->{status} == 400,
	    "$p: 40 KiB header: 431 or 400") or diag "$r->{status} $r->{raw}";
	like($r->{headers}{'content-type'} // '', qr{^application/json},
	    "$p: 40 KiB header: answered in JSON");
}
healthy($s);
done_testing;
