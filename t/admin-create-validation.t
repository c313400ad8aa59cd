#!/usr/bin/perl
# POST /api/v1/admin/users with bad fields: one pydantic-style 422 entry
# per problem, in field order, with the contract's texts; nothing is
# written.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use JSON::PP;

my $s = Stack->start;
my $admin = $s->admin_token;
my %good = (username => 'valid_user', email => 'valid@example.com',
    full_name => 'Valid User', password => 'User-Pass-123');

# The good body with the given members replaced (undef: left out).
sub create {
	my %b = (%good, @_);
	defined $b{$_} or delete $b{$_} for keys %b;
	return $s->request(POST => '/api/v1/admin/users', token => $admin, json => \%b);
}
sub one {
	my ($name, $field, $type, $msg, @body) = @_;
	my $r = create(@body);
	is($r->{status}, 422, "$name: 422");
	my @d = @{ $r->{json}{detail} // [] };
	is(scalar @d, 1, "$name: one entry");
	is($d[0]{type}, $type, "$name: type $type");
	is_deeply($d[0]{loc}, ['body', $field], "$name: loc body.$field");
	if (ref $msg) { like($d[0]{msg}, $msg, "$name: msg") }
	else { is($d[0]{msg}, $msg, "$name: msg") }
	ok(exists $d[0]{input}, "$name: input present");
	return $d[0];
}

my $uname = 'Value error, Username can only contain letters, numbers, underscores, and hyphens';
one('short username', 'username', 'string_too_short', 'String should have at least 3 characters', username => 'ab');
one('long username', 'username', 'string_too_long', 'String should have at most 50 characters', username => 'a' x 51);
my $e = one('space in username', 'username', 'value_error', $uname, username => 'bad name');
is($e->{input}, 'bad name', 'input echoed');
one('dot in username', 'username', 'value_error', $uname, username => 'bad.name');
one('at in username', 'username', 'value_error', $uname, username => 'bad@name');
one('accent in username', 'username', 'value_error', $uname, username => "caf\x{e9}");
one('numeric username', 'username', 'string_type', 'Input should be a valid string', username => 12345);
one('missing username', 'username', 'missing', 'Field required', username => undef);

my $mail = qr/^value is not a valid email address: \S/;
for my $bad ('no-at-sign', 'two@@example.com', 'a@b@example.com', '@example.com',
    'user@', 'user@localhost', 'us er@example.com', "user\@exa mple.com",
    '.user@example.com', 'user.@example.com', 'us..er@example.com',
    'user@.example.com', 'user@example..com', 'user@example.com.',
    'user@-example.com', 'user@exam_ple.com', 'user@example.123',
    ('x' x 65) . '@example.com', 'user@' . ('d' x 250) . '.com', '') {
	my $d = one("email '" . substr($bad, 0, 30) . "'", 'email', 'value_error', $mail, email => $bad);
	is($d->{input}, $bad, 'email input echoed');
}
one('email number', 'email', 'string_type', 'Input should be a valid string', email => 5);
one('missing email', 'email', 'missing', 'Field required', email => undef);

one('empty full_name', 'full_name', 'string_too_short', 'String should have at least 1 character', full_name => '');
one('long full_name', 'full_name', 'string_too_long', 'String should have at most 255 characters', full_name => 'n' x 256);
one('missing full_name', 'full_name', 'missing', 'Field required', full_name => undef);

one('short password', 'password', 'string_too_short', 'String should have at least 8 characters', password => 'Ab1');
one('no upper', 'password', 'value_error', 'Value error, Password must contain at least one uppercase letter', password => 'user-pass-123');
one('no lower', 'password', 'value_error', 'Value error, Password must contain at least one lowercase letter', password => 'USER-PASS-123');
one('no digit', 'password', 'value_error', 'Value error, Password must contain at least one digit', password => 'User-Pass-abc');
one('missing password', 'password', 'missing', 'Field required', password => undef);

my $role = "Value error, Role must be either 'admin' or 'user'";
one('role superuser', 'role', 'value_error', $role, role => 'superuser');
one('role Admin', 'role', 'value_error', $role, role => 'Admin');
one('role empty', 'role', 'value_error', $role, role => '');
one('must_change maybe', 'password_must_change', 'bool_parsing',
    'Input should be a valid boolean, unable to interpret input', password_must_change => 'maybe');

# Every field wrong: all problems at once, in field order.
my $r = $s->request(POST => '/api/v1/admin/users', token => $admin, json => {
    username => 'x', email => 'nope', full_name => '', password => 'short',
    role => 'root', password_must_change => [] });
is($r->{status}, 422, 'all wrong: 422');
is_deeply([map { $_->{loc}[1] } @{ $r->{json}{detail} }],
    [qw(username email full_name password role password_must_change)],
    'one entry per field, in order');

# The body itself.
$r = $s->request(POST => '/api/v1/admin/users', token => $admin, json => [1, 2]);
is($r->{status}, 422, 'array body 422');
is($r->{json}{detail}[0]{type}, 'model_attributes_type', 'array body type');
$r = $s->request(POST => '/api/v1/admin/users', token => $admin, body => '{"username":',
    headers => { 'Content-Type' => 'application/json' });
is($r->{status}, 422, 'broken JSON 422');
is($r->{json}{detail}[0]{type}, 'json_invalid', 'json_invalid');

# Nothing was created by any of this.
$r = $s->request(GET => '/api/v1/admin/users', token => $admin);
is($r->{json}{total}, 1, 'only the seed admin exists');
done_testing;
