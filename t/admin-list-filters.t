#!/usr/bin/perl
# GET /api/v1/admin/users (API.md §3): ordered by id, skip/limit, role,
# is_active (true/false/1/0/yes/no/on/off), search (case-insensitive
# substring of username, email or full name; % and _ are literal), total
# is the filtered count; bad values are 422 with pydantic entries.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use JSON::PP;

my $s = Stack->start;
my $admin = $s->admin_token;
my %id;
$id{admin} = Stack::jwt_payload($admin)->{user_id};
$id{alice} = $s->create_user($admin, username => 'alice', full_name => 'Alice Liddell')->{id};
$id{bob} = $s->create_user($admin, username => 'bob', role => 'admin', full_name => 'Bob Builder')->{id};
$id{carol} = $s->create_user($admin, username => 'carol', full_name => '100% Carol')->{id};
$id{has_under} = $s->create_user($admin, username => 'has_under', full_name => 'Under Score')->{id};
$id{dave} = $s->create_user($admin, username => 'dave', email => 'dave@other.org', full_name => 'Dave')->{id};
my $r = $s->request(PUT => "/api/v1/admin/users/$id{carol}", token => $admin,
    json => { is_active => JSON::PP::false });
is($r->{status}, 200, 'carol deactivated');

sub list {
	my ($q) = @_;
	my $r = $s->request(GET => "/api/v1/admin/users$q", token => $admin);
	return $r;
}
sub names {
	my ($q) = @_;
	my $r = list($q);
	is($r->{status}, 200, "$q: 200") or diag($r->{raw});
	return ([map { $_->{username} } @{ $r->{json}{users} // [] }], $r->{json}{total});
}

$r = list('');
is_deeply([Stack::key_order($r->{raw})], [qw(users total)], 'keys users, total');
my ($n, $t) = names('');
is_deeply($n, [qw(admin alice bob carol has_under dave)], 'all, ordered by id');
is($t, 6, 'total 6');
like($r->{raw}, qr/^\{"users":\[\{"id":\d+,"username":"admin","email":/, 'UserResponse order in the list');

($n, $t) = names('?skip=1&limit=2');
is_deeply($n, [qw(alice bob)], 'skip=1 limit=2');
is($t, 6, 'total ignores skip/limit');
($n, $t) = names('?skip=100');
is_deeply($n, [], 'skip past the end: empty');
is($t, 6, 'skip past the end: total still 6');
($n, $t) = names('?limit=1000');
is(scalar @$n, 6, 'limit=1000 allowed');

($n, $t) = names('?role=admin');
is_deeply($n, [qw(admin bob)], 'role=admin');
is($t, 2, 'role=admin total');
($n, $t) = names('?role=user&limit=1');
is_deeply($n, ['alice'], 'role=user limit 1');
is($t, 4, 'role=user total is the filtered count');

for my $v (qw(false 0 no off FALSE Off)) {
	($n, $t) = names("?is_active=$v");
	is_deeply($n, ['carol'], "is_active=$v");
	is($t, 1, "is_active=$v total");
}
for my $v (qw(true 1 yes on True YES)) {
	($n, $t) = names("?is_active=$v");
	is($t, 5, "is_active=$v total");
}

($n, $t) = names('?search=ALI');
is_deeply($n, ['alice'], 'search is case-insensitive (username)');
($n, $t) = names('?search=other.ORG');
is_deeply($n, ['dave'], 'search matches the email');
($n, $t) = names('?search=builder');
is_deeply($n, ['bob'], 'search matches the full name');
($n, $t) = names('?search=%25');
is_deeply($n, ['carol'], 'search % is literal');
($n, $t) = names('?search=_');
is_deeply($n, ['has_under'], 'search _ is literal');
($n, $t) = names('?search=a%25e');
is_deeply($n, [], 'a%e is no wildcard');
($n, $t) = names('?search=example.com');
is($t, 5, 'search on the common domain');
($n, $t) = names('?search=example.com&role=user&is_active=true&limit=2');
is_deeply($n, [qw(alice has_under)], 'combined filters');
is($t, 2, 'combined total');
($n, $t) = names('?role=&is_active=&search=&skip=0&limit=100');
is($t, 6, 'empty role/is_active/search mean any');
($n, $t) = names('?search=' . ('z' x 255));
is($t, 0, '255-character search: no match');

# Bad values.
sub bad {
	my ($q, $field, $type, $msg, $input) = @_;
	my $r = list($q);
	is($r->{status}, 422, "$q: 422");
	my ($e) = grep { $_->{loc}[1] eq $field } @{ $r->{json}{detail} // [] };
	$e //= {};
	is($e->{type}, $type, "$q: $type");
	is_deeply($e->{loc}, ['query', $field], "$q: loc");
	is($e->{msg}, $msg, "$q: msg");
	is($e->{input}, $input, "$q: input") if defined $input;
}
my $int = 'Input should be a valid integer, unable to parse string as an integer';
bad('?skip=-1', 'skip', 'greater_than_equal', 'Input should be greater than or equal to 0', '-1');
bad('?skip=abc', 'skip', 'int_parsing', $int, 'abc');
bad('?skip=', 'skip', 'int_parsing', $int, '');
bad('?skip=1.5', 'skip', 'int_parsing', $int, '1.5');
bad('?skip=99999999999999999999999', 'skip', 'int_parsing', $int);
bad('?limit=0', 'limit', 'greater_than_equal', 'Input should be greater than or equal to 1', '0');
bad('?limit=1001', 'limit', 'less_than_equal', 'Input should be less than or equal to 1000', '1001');
bad('?limit=ten', 'limit', 'int_parsing', $int, 'ten');
bad('?is_active=maybe', 'is_active', 'bool_parsing',
    'Input should be a valid boolean, unable to interpret input', 'maybe');
bad('?role=superuser', 'role', 'value_error',
    "Value error, Role must be either 'admin' or 'user'", 'superuser');
bad('?search=' . ('s' x 256), 'search', 'string_too_long', 'String should have at most 255 characters');
bad('?search=%zz', 'search', 'value_error',
    'Value error, Search must be URL-encoded text of at most 255 characters');
$r = list('?skip=-1&limit=0&role=x&is_active=x');
is(scalar @{ $r->{json}{detail} }, 4, 'four problems, four entries');
$r = list('?limit=5000');
is($r->{json}{detail}[0]{ctx}{le}, 1000, 'ctx le');
done_testing;
