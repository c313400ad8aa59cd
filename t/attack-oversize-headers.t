#!/usr/bin/perl
# Oversized request lines and headers: a URI past nginx's buffers (414),
# one 20 KiB header, a thousand headers, a 100 KiB cookie (431/400) are
# answered with nginx's JSON errors under /api; a long but acceptable
# User-Agent is stored cut to size, never crashing the login; the site
# stays healthy.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Attack qw(healthy raw_http);

my $s = Stack->start;
my $tok = $s->admin_token;

sub get {
	my ($path, $hdrs) = @_;
	return raw_http($s, "GET $path HTTP/1.1\r\nHost: 127.0.0.1\r\n" .
	    ($hdrs // '') . "Connection: close\r\n\r\n");
}
sub json_4xx {
	my ($r, $codes, $what) = @_;
	ok((grep { $r->{status} == $_ } @$codes), "$what: @$codes ($r->{status})");
	like($r->{headers}{'content-type'} // '', qr{application/json}, "$what: JSON");
	ok(ref $r->{json} eq 'HASH' && defined $r->{json}{detail},
	    "$what: {\"detail\": ...}") or diag substr($r->{raw}, 0, 200);
}

json_4xx(get('/api/v1/users/me?x=' . ('a' x 70000)), [414, 400], '70 KB URI');
json_4xx(get('/api/v1/' . ('a/' x 20000)), [414, 400], '40 KB path');
json_4xx(get('/api/v1/users/me', 'X-Big: ' . ('b' x 20000) . "\r\n"), [431, 400],
    '20 KiB header');
json_4xx(get('/api/v1/users/me', join('', map { "X-H$_: " . ('h' x 100) . "\r\n" } 1 .. 1000)),
    [431, 400], 'a thousand headers');
json_4xx(get('/api/v1/users/me', 'Cookie: ' . ('c=' . ('v' x 1000) . '; ') x 100 . "\r\n"),
    [431, 400], '100 KiB cookie');
json_4xx(get('/api/v1/users/me', "Authorization: Bearer $tok\r\n" x 200),
    [431, 400, 401], 'the Authorization header 200 times');

# A 10 KB User-Agent on login: accepted, stored cut to size.
my $ua = 'U' x 10000;
my $r = $s->request(POST => '/api/v1/auth/login', headers => { 'User-Agent' => $ua },
    json => { username => 'admin', password => $Stack::ADMIN_PASS });
is($r->{status}, 200, 'login with a 10 KB User-Agent: 200');
my $t2 = $r->{json}{access_token};
$r = $s->request(GET => '/api/v1/users/me/sessions', token => $t2);
is($r->{status}, 200, 'sessions list 200');
my ($cur) = grep { $_->{is_current} } @{ $r->{json}{sessions} // [] };
ok($cur && length($cur->{user_agent} // '') <= 1024,
    'the stored User-Agent is bounded (' . length($cur->{user_agent} // '') . ' bytes)');
healthy($s);
done_testing;
