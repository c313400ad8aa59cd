#!/usr/bin/perl
# With MODELS_REQUIRE_AUTH the models API is user level: no token is the
# contract's 401 (with WWW-Authenticate), a user's token works.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;

my $s = Stack->start(env => { MODELS_REQUIRE_AUTH => 'true' });
for my $p ('/api/v1/models', '/api/v1/models/local-restore') {
	my $r = $s->request(GET => $p);
	is($r->{status}, 401, "$p without a token: 401");
	is_deeply($r->{json}, { detail => 'Not authenticated' }, "$p: detail");
	is($r->{headers}{'www-authenticate'}, 'Bearer', "$p: WWW-Authenticate");
	$r = $s->request(GET => $p, token => 'not.a.token');
	is($r->{status}, 401, "$p with a bad token: 401");
}
my $tok = $s->admin_token;
my $r = $s->request(GET => '/api/v1/models', token => $tok);
is($r->{status}, 200, 'with a token: 200');
is($r->{json}{total}, 3, 'the local models');
is($s->request(GET => '/api/v1/models/local-restore', token => $tok)
    ->{status}, 200, 'one model with a token: 200');
done_testing;
