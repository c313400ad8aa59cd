#!/usr/bin/perl
# Malformed JSON of many shapes on every JSON route: not JSON at all,
# truncated, trailing garbage, comments, single quotes, NaN/Infinity,
# bad escapes, lone surrogates, invalid UTF-8 (422, or FastAPI's 400 in
# users/admin), raw control characters in strings, raw and escaped NUL
# (which C would silently cut a string at), a byte-order mark (tolerated,
# never a 5xx), deep
# nesting, duplicate keys, keys that differ only after a NUL, wrong
# top-level types and wrong member types.  Each answered with 422 (the
# body's problem list, never a 5xx), and the site stays healthy.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Time::HiRes qw(sleep);
use Attack qw(healthy is_422 db_state same_db);

my $s = Stack->start;
my $admin = $s->admin_token;
my $u = $s->create_user($admin, username => 'shape');
my $user = $s->login('shape', 'User-Pass-123');
my $before = db_state($s);

my %bodies = (
	'empty' => '',
	'space' => '   ',
	'plain text' => 'username=admin&password=x',
	'open brace' => '{',
	'truncated' => '{"username":"admin","password":"x',
	'trailing garbage' => '{"username":"a","password":"b"}xyz',
	'two objects' => '{"username":"a"}{"password":"b"}',
	'trailing comma' => '{"username":"a","password":"b",}',
	'missing colon' => '{"username" "a"}',
	'comment' => '{"username":"a", /* c */ "password":"b"}',
	'single quotes' => "{'username':'a','password':'b'}",
	'unquoted key' => '{username:"a"}',
	'NaN' => '{"username":"a","password":NaN}',
	'Infinity' => '{"username":"a","password":-Infinity}',
	'bad escape' => '{"username":"a\\q","password":"b"}',
	'short unicode escape' => '{"username":"\\u12","password":"b"}',
	'lone surrogate' => '{"username":"\\ud800","password":"b"}',
	'invalid UTF-8' => "{\"username\":\"a\xff\xfe\",\"password\":\"b\"}",
	'overlong UTF-8' => "{\"username\":\"\xc0\xaf\",\"password\":\"b\"}",
	'raw NUL' => "{\"username\":\"ad\0min\",\"password\":\"b\"}",
	'escaped NUL in a value' => '{"username":"admin\\u0000x","password":"b"}',
	'escaped NUL in a key' => '{"username\\u0000x":"admin","password":"b"}',
	'deep nesting' => ('[' x 5000) . (']' x 5000),
	'deep objects' => ('{"a":' x 100) . '1' . ('}' x 100),
	'duplicate keys' => '{"username":"a","username":"admin","password":"b"}',
	'array' => '["admin","x"]',
	'string' => '"admin"',
	'number' => '12',
	'null' => 'null',
	'true' => 'true',
	'huge number' => '{"username":1e999999,"password":1e999999,' .
	    '"full_name":1e999999,"current_password":1e999999,' .
	    '"new_password":1e999999}',
	'control char' => "{\"username\":\"a\x01b\",\"password\":\"b\"}",
	'raw newline in a string' => "{\"full_name\":\"a\nb\",\"password\":\"b\"}",
);
my @routes = (
	[POST => '/api/v1/auth/login', undef],
	[PUT => '/api/v1/users/me/password', $user],
	[POST => '/api/v1/admin/users', $admin],
	[PUT => "/api/v1/admin/users/$u->{id}", $admin],
	[PUT => "/api/v1/admin/users/$u->{id}/reset-password", $admin],
);
for my $rt (@routes) {
	my ($m, $p, $tok) = @$rt;
	for my $n (sort keys %bodies) {
		sleep 0.11 if $p =~ /login/;
		my $r = $s->request($m => $p, token => $tok, body => $bodies{$n},
		    headers => { 'Content-Type' => 'application/json' });
		if ($n =~ /UTF-8/ && $r->{status} == 400) {
			# users.fcgi and admin.fcgi answer undecodable bytes as
			# FastAPI does: 400 "There was an error parsing the body".
			is($r->{json}{detail}, 'There was an error parsing the body',
			    "$m $p: $n: FastAPI's 400");
			next;
		}
		is_422($r, undef, "$m $p: $n");
	}
	# A UTF-8 byte-order mark is tolerated (cJSON skips it): whatever
	# the answer, it is the contract's, never a 5xx.
	my $bom = $s->request($m => $p, token => $tok,
	    body => "\xef\xbb\xbf{\"username\":\"a\",\"password\":\"b\"}",
	    headers => { 'Content-Type' => 'application/json' });
	ok($bom->{status} < 500 && ref $bom->{json} eq 'HASH', "$m $p: BOM: no 5xx");
	# Wrong member types in an otherwise fine object.
	my $r = $s->request($m => $p, token => $tok,
	    json => { username => [], password => {}, email => 1,
	    full_name => JSON::PP::true, role => 7, is_active => 'maybe',
	    current_password => 1, new_password => [], remember_me => 'perhaps',
	    password_must_change => {} });
	is_422($r, undef, "$m $p: wrong member types");
}
same_db($s, $before, 'after the malformed bodies');
ok($s->login('shape', 'User-Pass-123'), 'the user is unchanged and logs in');
healthy($s);
done_testing;
