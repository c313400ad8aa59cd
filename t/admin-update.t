#!/usr/bin/perl
# PUT /api/v1/admin/users/{id} (API.md §3): only the members present
# apply, {} changes nothing, the email is stored lowercased and checked
# for conflicts case-insensitively; bad values are 422 and write nothing.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use JSON::PP;

my $s = Stack->start;
my $admin = $s->admin_token;
my $u = $s->create_user($admin, username => 'upd', full_name => 'Up Date');
my $path = "/api/v1/admin/users/$u->{id}";
sub put { $s->request(PUT => $path, token => $admin, json => $_[0]) }
sub current { $s->request(GET => $path, token => $admin)->{json} }

my $r = put({});
is($r->{status}, 200, '{} 200');
is_deeply($r->{json}, $u, '{} returns the user unchanged');
is_deeply([Stack::key_order($r->{raw})],
    [qw(id username email full_name role is_active created_at last_login
    password_must_change)], 'key order');

$r = put({ full_name => 'Changed Name' });
is($r->{status}, 200, 'full_name 200');
is_deeply($r->{json}, { %$u, full_name => 'Changed Name' }, 'only full_name changed');
is_deeply(current(), $r->{json}, 'stored');

$r = put({ email => 'New.Mail@Example.ORG' });
is($r->{status}, 200, 'email 200');
is($r->{json}{email}, 'new.mail@example.org', 'email lowercased');
is($r->{json}{full_name}, 'Changed Name', 'full_name kept');
ok($s->login('new.mail@example.org', 'User-Pass-123'), 'login by the new email');

$r = put({ email => 'NEW.MAIL@example.org' });
is($r->{status}, 200, 'own email in another case: no conflict');

$r = put({ email => 'ADMIN@example.com' });
is($r->{status}, 400, "the admin's email: 400");
is($r->{json}{detail}, "Email 'admin\@example.com' already exists", 'conflict text');
is(current()->{email}, 'new.mail@example.org', 'email unchanged after conflict');

$r = put({ role => 'admin' });
is($r->{json}{role}, 'admin', 'promoted');
$r = put({ role => 'user' });
is($r->{json}{role}, 'user', 'demoted (another admin remains)');

$r = put({ is_active => JSON::PP::false });
ok(!$r->{json}{is_active}, 'deactivated');
$r = put({ is_active => 'yes' });
ok($r->{json}{is_active}, 'reactivated with a lax boolean');
ok($s->login('upd', 'User-Pass-123'), 'login works again');

# Null means "not given"; unknown members are ignored.
my $before = current();
$r = put({ email => undef, full_name => undef, role => undef, is_active => undef, username => 'hacker', password_must_change => JSON::PP::true });
is($r->{status}, 200, 'nulls and unknown keys: 200');
is_deeply($r->{json}, $before, 'nothing changed (username is not updatable)');

# Validation: nothing is written when any member is bad.
$r = put({ full_name => 'Should Not Stick', email => 'not-an-email' });
is($r->{status}, 422, 'bad email 422');
is($r->{json}{detail}[0]{type}, 'value_error', 'value_error');
is_deeply($r->{json}{detail}[0]{loc}, ['body', 'email'], 'loc body.email');
like($r->{json}{detail}[0]{msg}, qr/^value is not a valid email address: /, 'email msg');
is(current()->{full_name}, $before->{full_name}, 'full_name not written');
$r = put({ role => 'owner' });
is($r->{json}{detail}[0]{msg}, "Value error, Role must be either 'admin' or 'user'", 'bad role');
$r = put({ is_active => 'maybe' });
is($r->{json}{detail}[0]{type}, 'bool_parsing', 'bad is_active');
$r = put({ full_name => '' });
is($r->{json}{detail}[0]{type}, 'string_too_short', 'empty full_name');
$r = put({ full_name => 7 });
is($r->{json}{detail}[0]{type}, 'string_type', 'numeric full_name');
is_deeply(current(), $before, 'still unchanged');

# Unknown id, bad id, no body.
$r = $s->request(PUT => '/api/v1/admin/users/424242', token => $admin, json => { full_name => 'X' });
is($r->{status}, 404, 'unknown id 404');
is($r->{json}{detail}, 'User with ID 424242 not found', '404 text');
$r = $s->request(PUT => '/api/v1/admin/users/abc', token => $admin, json => { full_name => 'X' });
is($r->{status}, 422, 'bad id 422');
is_deeply($r->{json}{detail}[0]{loc}, ['path', 'user_id'], 'loc path.user_id');
$r = $s->request(PUT => $path, token => $admin);
is($r->{status}, 422, 'no body 422');
done_testing;
