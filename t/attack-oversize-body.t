#!/usr/bin/perl
# Oversized and lying bodies: JSON bodies past 64 KiB on every JSON route
# (Content-Length and chunked), an upload past nginx's fence, impossible
# or duplicated Content-Length headers, and multipart bodies with too
# many parts or a huge part header are all refused with a JSON 4xx
# (413 for the sizes); workers never see more than the fence allows and
# the site stays healthy.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use JSON::PP;
use Time::HiRes qw(sleep);
use Attack qw(healthy is_error raw_http form png);

my $s = Stack->start;
my $admin = $s->admin_token;
my $u = $s->create_user($admin, username => 'bulky');
my $user = $s->login('bulky', 'User-Pass-123');
my $big = '{"username":"' . ('x' x (70 * 1024)) . '","password":"y"}';
my $just = '{"full_name":"' . ('y' x (64 * 1024 - 20)) . '"}';

my @routes = (
	[POST => '/api/v1/auth/login', undef],
	[POST => '/api/v1/auth/validate', $user],
	[PUT => '/api/v1/users/me/password', $user],
	[POST => '/api/v1/admin/users', $admin],
	[PUT => "/api/v1/admin/users/$u->{id}", $admin],
	[PUT => "/api/v1/admin/users/$u->{id}/reset-password", $admin],
);
for my $rt (@routes) {
	my ($m, $p, $tok) = @$rt;
	sleep 0.15;
	my $r = $s->request($m => $p, token => $tok, body => $big,
	    headers => { 'Content-Type' => 'application/json' });
	is_error($r, 413, 'Request body too large', "$m $p, 70 KiB");
	# The same through chunked transfer encoding (no Content-Length).
	my $chunked = join('', map { sprintf("%x\r\n%s\r\n", length $_, $_) }
	    unpack('(a8192)*', $big)) . "0\r\n\r\n";
	my $auth = defined $tok ? "Authorization: Bearer $tok\r\n" : '';
	sleep 0.15;
	$r = raw_http($s, "$m $p HTTP/1.1\r\nHost: 127.0.0.1\r\n$auth" .
	    "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n" .
	    "Connection: close\r\n\r\n$chunked");
	is($r->{status}, 413, "$m $p, 70 KiB chunked: 413");
	like($r->{headers}{'content-type'} // '', qr{application/json},
	    "$m $p, chunked: JSON");
}
# Just under the limit is read and judged on its content.
my $r = $s->request(PUT => "/api/v1/admin/users/$u->{id}", token => $admin,
    body => $just, headers => { 'Content-Type' => 'application/json' });
is($r->{status}, 422, 'a 64 KiB full_name: 422 (too long), not 413')
    or diag substr($r->{raw}, 0, 300);

# Lying and impossible Content-Length headers.
for my $cl ('-1', '99999999999999999999', '1e3', '0x10', '5, 5') {
	$r = raw_http($s, "POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n" .
	    "Content-Type: application/json\r\nContent-Length: $cl\r\n" .
	    "Connection: close\r\n\r\n{}");
	ok($r->{status} >= 400 && $r->{status} < 500, "Content-Length '$cl': 4xx ($r->{status})");
	like($r->{headers}{'content-type'} // '', qr{application/json},
	    "Content-Length '$cl': JSON");
}
$r = raw_http($s, "POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n" .
    "Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 40\r\n" .
    "Connection: close\r\n\r\n{}");
is($r->{status}, 400, 'two Content-Length headers: 400');
$r = raw_http($s, "POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n" .
    "Content-Type: application/json\r\nContent-Length: 2\r\n" .
    "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n");
ok($r->{status} == 400 || $r->{status} == 422 || $r->{status} == 411,
    "Content-Length with chunked: refused ($r->{status})");

# An upload far past nginx's fence (2 x max_upload_size_mb).
$r = $s->request(POST => '/api/v1/restore', token => $admin,
    form([file => 'z' x (21 * 1024 * 1024), 'big.png'], [model_id => 'local-restore']));
is_error($r, 413, undef, '21 MiB upload');
# Many parts, and a huge part header.
sleep 0.3;
$r = $s->request(POST => '/api/v1/restore', token => $admin,
    form(map { ["f$_", 'v'] } 1 .. 40));
ok($r->{status} >= 400 && $r->{status} < 500, "40 parts: 4xx ($r->{status})");
ok(ref $r->{json} eq 'HASH', '40 parts: JSON');
sleep 0.3;
my $b = 'XbOuNdArY';
my $body = "--$b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n" .
    "X-Pad: " . ('p' x 10000) . "\r\n\r\n" . png(4, 4) . "\r\n--$b--\r\n";
$r = $s->request(POST => '/api/v1/restore', token => $admin, body => $body,
    headers => { 'Content-Type' => "multipart/form-data; boundary=$b" });
ok($r->{status} >= 400 && $r->{status} < 500, "10 KB part header: 4xx ($r->{status})");
ok(ref $r->{json} eq 'HASH', '10 KB part header: JSON');
healthy($s);
done_testing;
