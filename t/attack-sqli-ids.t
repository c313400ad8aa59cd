#!/usr/bin/perl
# SQL injection through every id in a path: admin user ids (GET, PUT,
# DELETE, reset-password), image ids (GET, DELETE, download), session
# UUIDs (DELETE /users/me/sessions/{id}) and model ids.  Integer ids
# answer 422 int_parsing (or 404 for a well-formed integer that is not
# there), the others 404; never a 5xx, and nothing is deleted or changed.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Attack qw(@SQLI qenc db_state same_db healthy);

my $s = Stack->start;
my $admin = $s->admin_token;
my $u = $s->create_user($admin, username => 'target');
my $user = $s->login('target', 'User-Pass-123');
my $before = db_state($s);

my @ids = (@SQLI, '1 OR 1=1', '1;DELETE FROM users', "1'", '-1', '0x1',
    '1e3', '99999999999999999999', '1.0', '+1', ' 1', '1 ');
my @routes = (
	[GET => '/api/v1/admin/users/%s', $admin, 'int'],
	[PUT => '/api/v1/admin/users/%s', $admin, 'int', { full_name => 'x' }],
	[DELETE => '/api/v1/admin/users/%s', $admin, 'int'],
	[PUT => '/api/v1/admin/users/%s/reset-password', $admin, 'int',
	    { new_password => 'New-Pass-1234' }],
	[GET => '/api/v1/restore/%s', $user, 'int'],
	[DELETE => '/api/v1/restore/%s', $user, 'int'],
	[GET => '/api/v1/restore/%s/download', $user, 'int'],
	[DELETE => '/api/v1/users/me/sessions/%s', $user, 'uuid'],
	[GET => '/api/v1/models/%s', undef, 'text'],
);
for my $rt (@routes) {
	my ($m, $pat, $tok, $kind, $body) = @$rt;
	my %bad;
	for my $id (@ids) {
		my $path = sprintf($pat, qenc($id));
		my $r = $s->request($m => $path, token => $tok,
		    defined $body ? (json => $body) : ());
		my $st = $r->{status};
		my $good = $kind eq 'int' ? ($st == 422 || $st == 404) :
		    ($st == 404 || $st == 422);
		$good &&= ref $r->{json} eq 'HASH' && defined $r->{json}{detail};
		$bad{$id} = "$st $r->{raw}" unless $good;
		if ($kind eq 'int' && $id =~ /[^0-9]/ && $st == 422) {
			$bad{$id} = "not int_parsing: $r->{raw}"
			    unless ($r->{json}{detail}[0]{type} // '') eq 'int_parsing';
		}
	}
	is_deeply(\%bad, {}, "$m $pat: every injected id refused with a JSON 4xx")
	    or diag explain \%bad;
}
same_db($s, $before, 'after the id injections');
is($s->request(GET => '/api/v1/users/me', token => $user)->{status}, 200,
    "the target's session survived");
healthy($s);
done_testing;
