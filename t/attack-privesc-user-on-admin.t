#!/usr/bin/perl
# A plain user's genuine token on every admin route (create, list, get,
# update — including making itself admin —, delete, reset-password) gets
# 403 "Admin access required. ..." and changes nothing; so does a user
# whose token still says "admin" after being demoted.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Attack qw(healthy is_error db_state same_db);

my $s = Stack->start;
my $admin = $s->admin_token;
my $me = $s->create_user($admin, username => 'climber');
my $other = $s->create_user($admin, username => 'bystander');
my $user = $s->login('climber', 'User-Pass-123');
my $before = db_state($s);
my $DENY = 'Admin access required. You do not have permission to perform this action.';

sub all_denied {
	my ($tok, $what) = @_;
	my @calls = (
		[POST => '/api/v1/admin/users', { username => 'evil', email => 'evil@example.com',
		    full_name => 'E', password => 'Evil-Pass-123', role => 'admin' }],
		[GET => '/api/v1/admin/users'],
		[GET => '/api/v1/admin/users?role=admin'],
		[GET => "/api/v1/admin/users/1"],
		[PUT => "/api/v1/admin/users/$me->{id}", { role => 'admin' }],
		[PUT => "/api/v1/admin/users/1", { is_active => JSON::PP::false }],
		[PUT => "/api/v1/admin/users/1", { email => 'mine@example.com' }],
		[DELETE => "/api/v1/admin/users/$other->{id}"],
		[DELETE => '/api/v1/admin/users/1'],
		[PUT => '/api/v1/admin/users/1/reset-password',
		    { new_password => 'Taken-Over-123', password_must_change => JSON::PP::false }],
		[PUT => "/api/v1/admin/users/$me->{id}/reset-password",
		    { new_password => 'Taken-Over-123' }],
	);
	for my $c (@calls) {
		my ($m, $p, $b) = @$c;
		my $r = $s->request($m => $p, token => $tok, defined $b ? (json => $b) : ());
		is_error($r, 403, $DENY, "$what: $m $p");
	}
}
all_denied($user, 'user token');
same_db($s, $before, 'after the user tried every admin route');

# An admin demoted by another admin: the old token still says "admin".
my $second = $s->create_user($admin, username => 'second', role => 'admin');
my $tok2 = $s->login('second', 'User-Pass-123');
is(Stack::jwt_payload($tok2)->{role}, 'admin', 'second admin token says admin');
my $r = $s->request(PUT => "/api/v1/admin/users/$second->{id}", token => $admin,
    json => { role => 'user' });
is($r->{status}, 200, 'second admin demoted');
$before = db_state($s);
all_denied($tok2, 'demoted admin, token still says admin');
same_db($s, $before, 'after the demoted admin tried');
healthy($s);
done_testing;
