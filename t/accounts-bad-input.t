#!/usr/bin/perl
# Bad input of every kind on users.fcgi and admin.fcgi (wrong types,
# broken or hostile JSON, huge bodies, bad ids and query values) gets a
# JSON 4xx, never a 5xx; nothing is written and the site stays healthy.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use JSON::PP;

my $s = Stack->start;
my $admin = $s->admin_token;
my $u = $s->create_user($admin, username => 'target');
my $tok = $s->login('target', 'User-Pass-123');
my $ct = { 'Content-Type' => 'application/json' };

sub is4xx {
	my ($r, $name, $want) = @_;
	my $ok = $r->{status} >= 400 && $r->{status} < 500 &&
	    (!defined $want || $r->{status} == $want);
	ok($ok, "$name: 4xx" . (defined $want ? " ($want)" : '') .
	    " (got $r->{status})") or diag($r->{raw});
	ok(ref $r->{json} eq 'HASH' && defined $r->{json}{detail}, "$name: JSON detail");
}

my @body_routes = (
	['POST', '/api/v1/admin/users', $admin],
	['PUT', "/api/v1/admin/users/$u->{id}", $admin],
	['PUT', "/api/v1/admin/users/$u->{id}/reset-password", $admin],
	['PUT', '/api/v1/users/me/password', $tok],
);
my @bodies = (
	['empty', ''],
	['null', 'null'],
	['array', '[]'],
	['string', '"hello"'],
	['number', '42'],
	['truncated', '{"username":'],
	['trailing', '{"full_name":"x"} {}'],
	['NUL byte', "{\"full_name\":\"a\0b\"}"],
	['deep', ('[' x 200) . (']' x 200)],
	['deep object', '{"full_name":' . ('{"a":' x 100) . '1' . ('}' x 100) . '}'],
	['duplicate keys', '{"full_name":"a","full_name":"b"}'],
	['bad escape', '{"full_name":"\\x41"}'],
	['lone surrogate', '{"full_name":"\\ud800"}'],
	['not UTF-8', "{\"full_name\":\"\xff\xfe\"}"],
	['huge', '{"full_name":"' . ('x' x 70000) . '"}'],
	['big but allowed', '{"full_name":"' . ('x' x 60000) . '","email":"' . ('y' x 4000) . '"}'],
);
for my $rt (@body_routes) {
	my ($m, $p, $t) = @$rt;
	for my $b (@bodies) {
		my $r = $s->request($m => $p, token => $t, body => $b->[1], headers => $ct);
		is4xx($r, "$m $p $b->[0]", $b->[0] eq 'huge' ? 413 : undef);
	}
}

# Wrong member types everywhere.
my %wrong = (username => {}, email => [], full_name => JSON::PP::true,
    password => 1.5, role => 1, password_must_change => { a => 1 },
    is_active => [], new_password => undef, current_password => 7);
for my $rt (@body_routes) {
	my ($m, $p, $t) = @$rt;
	my $r = $s->request($m => $p, token => $t, json => \%wrong);
	is4xx($r, "$m $p wrong types", 422);
}

# Bad ids.
for my $id ('abc', '-', '+1', '1.0', '%201', '0x1', '9' x 4000, '%00', '%FF', '..%2F..%2Fetc', 'NaN', '1e2') {
	for my $m ('GET', 'PUT', 'DELETE') {
		my $r = $s->request($m => "/api/v1/admin/users/$id", token => $admin,
		    $m eq 'PUT' ? (json => { full_name => 'Nope' }) : ());
		my $name = "$m id " . substr($id, 0, 12);
		ok($r->{status} < 500, "$name: not 5xx ($r->{status})");
		ok($r->{status} >= 400, "$name: refused");
	}
	my $r = $s->request(DELETE => "/api/v1/users/me/sessions/$id", token => $tok);
	ok($r->{status} >= 400 && $r->{status} < 500, "session id " . substr($id, 0, 12) . ": 4xx");
}

# Bad query values.
for my $q ('skip=1e309', 'limit=%00', 'limit=' . ('9' x 100), 'skip=%', 'role=%FF',
    'is_active=%E2%82', 'search=%00', 'search=' . ('%41' x 3000), 'skip=1&skip=x',
    'limit=-0', 'limit=+5', 'skip=0x10') {
	my $r = $s->request(GET => "/api/v1/admin/users?$q", token => $admin);
	is4xx($r, 'query ' . substr($q, 0, 20), 422);
}
# Harmless oddities are fine.
for my $q ('foo=bar', 'skip=0&&limit=5', 'search=%C3%A9', 'search=+') {
	my $r = $s->request(GET => "/api/v1/admin/users?$q", token => $admin);
	is($r->{status}, 200, "query $q: 200");
}

# Unknown paths and methods under the two programs.
is4xx($s->request(GET => '/api/v1/users/nobody', token => $tok), 'unknown users path', 404);
is4xx($s->request(GET => '/api/v1/admin/users/1/2', token => $admin), 'unknown admin path', 404);
is4xx($s->request(PATCH => '/api/v1/admin/users/1', token => $admin, json => {}), 'PATCH', 405);
is4xx($s->request(DELETE => '/api/v1/users/me/sessions', token => $tok), 'DELETE on the list', 405);

# A body that is not UTF-8 is refused as FastAPI does.
my $r = $s->request(POST => '/api/v1/admin/users', token => $admin, headers => $ct,
    body => "{\"username\":\"ab\xffc\"}");
is($r->{status}, 400, 'not UTF-8: 400');
is($r->{json}{detail}, 'There was an error parsing the body', 'not UTF-8: text');

# A very long current password is just wrong, not an error.
$r = $s->request(PUT => '/api/v1/users/me/password', token => $tok,
    json => { current_password => 'x' x 50000, new_password => 'Good-Pass-123' });
is4xx($r, 'huge current password', 400);

# Nothing was written, and the site is healthy.
$r = $s->request(GET => '/api/v1/admin/users', token => $admin);
is($r->{status}, 200, 'list 200');
is($r->{json}{total}, 2, 'still two users');
is($s->request(GET => "/api/v1/admin/users/$u->{id}", token => $admin)->{json}{full_name},
    'User target', 'target unchanged');
ok($s->login('target', 'User-Pass-123'), "target's password unchanged");
is($s->request(GET => '/api/v1/health')->{status}, 200, 'health 200');
is($s->request(GET => '/api/v1/users/me', token => $tok)->{status}, 200, 'users.fcgi answers');
done_testing;
