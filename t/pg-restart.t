#!/usr/bin/perl
# The workers keep one PostgreSQL connection each; when the server
# restarts, the next statement reconnects and is retried once, so the
# site answers normally right after the restart, without restarting any
# worker.  While the server is down, requests get 503 (never 500), and
# the site recovers by itself when it is back.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Pg;
use Stack;

Pg::require_server();
my $pg = Pg->start;
my $s = Stack->start(env => { DATABASE_URL => $pg->createdb('site') });
my $tok = $s->admin_token;
ok($tok, 'logged in');
# Warm every worker's connection (two per program).
$s->request(GET => '/api/v1/users/me', token => $tok) for 1 .. 8;
my %pids = map { $_ => `cat ${\ $s->vardir }/run/$_.pid` } qw(auth users);

$pg->restart;
my @st = map { $s->request(GET => '/api/v1/users/me', token => $tok)
    ->{status} } 1 .. 8;
is_deeply(\@st, [(200) x 8], 'right after a server restart every request '
    . 'succeeds') or diag "@st";
ok($s->login('admin', $Stack::ADMIN_PASS), 'login (a transaction) works');
is($s->request(GET => '/api/v1/admin/users', token => $tok)->{status}, 200,
    'admin.fcgi too');
is(`cat ${\ $s->vardir }/run/$_.pid`, $pids{$_}, "$_.fcgi was not restarted")
    for sort keys %pids;

$pg->stop;
my $r = $s->request(GET => '/api/v1/users/me', token => $tok);
is($r->{status}, 503, 'server down: 503') or diag $r->{raw};
is($s->request(GET => '/api/v1/health')->{status}, 503,
    'health says unhealthy');
$r = $s->request(POST => '/api/v1/auth/login',
    json => { username => 'admin', password => $Stack::ADMIN_PASS });
is($r->{status}, 503, 'login while down: 503');
$pg->restart;
is($s->request(GET => '/api/v1/users/me', token => $tok)->{status}, 200,
    'back up: 200 again');
is($s->request(GET => '/api/v1/health')->{status}, 200, 'healthy again');
my $log = `cat ${\ $s->vardir }/log/*.log`;
like($log, qr/connection re-established/, 'the reconnect is logged');
unlike($log, qr/\Q${\ $pg->password }\E/, 'without the password');
$s->stop;
done_testing;
