#!/usr/bin/perl
# GET /api/v1/users/me/sessions (API.md §2): the caller's sessions only,
# newest last_accessed first, is_current on the calling one, the login's
# User-Agent and IP (null when there was none), image counts, key order.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use JSON::PP;
use IO::Socket::INET;

my $s = Stack->start;
my $admin = $s->admin_token;
$s->create_user($admin, username => 'sess');

# A login without any User-Agent header, over a raw socket.
sub raw_login {
	my ($user, $pass) = @_;
	my $body = JSON::PP->new->encode({ username => $user, password => $pass });
	my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $s->{http_port}, Proto => 'tcp') or die "connect: $!";
	print $sock "POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n" .
	    "Content-Type: application/json\r\nContent-Length: " .
	    length($body) . "\r\nConnection: close\r\n\r\n$body";
	local $/;
	my $resp = <$sock>;
	close $sock;
	return $resp =~ /"access_token":"([^"]+)"/ ? $1 : undef;
}

my $ta = $s->login('sess', 'User-Pass-123', headers => { 'User-Agent' => 'Agent-A/1.0' });
select(undef, undef, undef, 1.2);
my $tb = $s->login('sess', 'User-Pass-123', headers => { 'User-Agent' => 'Agent-B/2.0' });
select(undef, undef, undef, 1.2);
my $tc = raw_login('sess', 'User-Pass-123');
select(undef, undef, undef, 1.2);
ok($ta && $tb && $tc, 'three logins');
my ($sa, $sb, $sc) = map { Stack::jwt_payload($_)->{session_id} } ($ta, $tb, $tc);

# One image in session B, if the sqlite3 command is there.
my $db = $s->vardir . '/photorestore.db';
my $have_sqlite = -f $db && system('sqlite3 -version >/dev/null 2>&1') == 0;
if ($have_sqlite) {
	my $sql = "INSERT INTO processed_images (user_id, session_id, session_uuid, " .
	    "original_filename, model_id, original_path, processed_path, created_at) " .
	    "SELECT user_id, id, session_id, 'a.jpg', 'local-restore', " .
	    "session_id || '/a.jpg', session_id || '/a_processed.jpg', " .
	    "'2026-01-01T00:00:00Z' FROM sessions WHERE session_id = '$sb'";
	system('sqlite3', '-cmd', '.timeout 5000', $db, $sql) == 0 or die 'sqlite3 failed';
}

my $r = $s->request(GET => '/api/v1/users/me/sessions', token => $ta);
is($r->{status}, 200, 'list 200');
is_deeply([Stack::key_order($r->{raw})], [qw(sessions total)], 'top-level keys');
is($r->{json}{total}, 3, 'total 3 (the admin session is not listed)');
my @l = @{ $r->{json}{sessions} };
is(scalar @l, 3, 'three entries');
my ($list_obj) = $r->{raw} =~ /^\{"sessions":\[(\{[^{}]*\})/;
is_deeply([Stack::key_order($list_obj)],
    [qw(id session_id created_at last_accessed image_count is_current user_agent ip_address)],
    'session keys in order');

# A was touched by this request, so it is newest; then C, then B.
is_deeply([map { $_->{session_id} } @l], [$sa, $sc, $sb], 'newest last_accessed first');
my %by = map { $_->{session_id} => $_ } @l;
ok(JSON::PP::is_bool($by{$sa}{is_current}) && $by{$sa}{is_current}, 'A is current');
ok(!$by{$sb}{is_current} && !$by{$sc}{is_current}, 'B and C are not');
is($by{$sa}{user_agent}, 'Agent-A/1.0', 'A user agent');
is($by{$sb}{user_agent}, 'Agent-B/2.0', 'B user agent');
ok(!defined $by{$sc}{user_agent} && exists $by{$sc}{user_agent}, 'C without User-Agent: null');
is($by{$_}{ip_address}, '127.0.0.1', 'ip_address') for ($sa, $sb, $sc);
for my $e (@l) {
	ok($e->{id} =~ /^\d+$/, 'id integer');
	like($e->{created_at}, qr/Z$/, 'created_at with Z');
	like($e->{last_accessed}, qr/Z$/, 'last_accessed with Z');
}
SKIP: {
	skip 'sqlite3 command not installed', 2 unless $have_sqlite;
	is($by{$sb}{image_count}, 1, 'B has one image');
	is($by{$sa}{image_count}, 0, 'A has none');
}

# From B, B is current and first.
$r = $s->request(GET => '/api/v1/users/me/sessions', token => $tb);
is($r->{json}{sessions}[0]{session_id}, $sb, 'B first when B asks');
ok($r->{json}{sessions}[0]{is_current}, 'B current when B asks');
is(scalar(grep { $_->{is_current} } @{ $r->{json}{sessions} }), 1, 'exactly one current');

# The admin sees only the admin's own session(s).
$r = $s->request(GET => '/api/v1/users/me/sessions', token => $admin);
ok(!grep({ $_->{session_id} eq $sa } @{ $r->{json}{sessions} }), "another user's sessions not listed");
done_testing;
