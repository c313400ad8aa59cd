#!/usr/bin/perl
# The PostgreSQL module (lib/db_pg.c) against a real, private server:
# migrations (fresh, idempotent, concurrent, refusing a foreign database),
# the seed race, users, sessions and images, login failures, upload slots,
# the write lock with its busy timeout, reconnecting after the server
# dropped the connection, a password that never reaches the log, and the
# job queue's lease taken once by racing workers.
# Each behaviour of t/unit/pgsql.c runs on its own new database.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Pg;

Pg::require_server();
my $build = $ENV{BUILD} // 'build';
my $pg = Pg->start;
my $n = 0;
for my $b (qw(migrate migrate-concurrent migrate-refuses-foreign
    seed-admin-race users sessions login-failures slots slots-race tx-lock
    reconnect redaction jobs)) {
	(my $db = "t_$b") =~ tr/-/_/;
	local $ENV{PG_TEST_URL} = $pg->createdb($db);
	my $out = `$build/t/pgsql $b 2>&1`;
	my $rc = $?;
	my ($plan) = $out =~ /^1\.\.(\d+)/m;
	ok($rc == 0 && $plan && $out !~ /^not ok/m, "$b ($plan checks)")
	    or diag($out);
}
done_testing;
