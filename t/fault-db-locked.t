#!/usr/bin/perl
# The database held by another writer for longer than the busy timeout
# (database.busy_timeout_ms = 300 from an <APP_ENV>.json): every write
# waits about the busy timeout, then answers a clean 503 JSON
# ("Service temporarily unavailable"), never a 500 or a hang; reads keep
# working (WAL); once the other writer lets go, writes work again and
# nothing half-done is left.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use File::Temp qw(tempdir);
use IPC::Open2;
use Time::HiRes qw(time);
use Attack qw(healthy is_error sql);

my $dir = tempdir(CLEANUP => 1);
system('cp', "$Stack::TOP/conf/default.json", "$dir/default.json") == 0 or die;
open(my $fh, '>', "$dir/locked.json") or die;
print $fh '{"database":{"busy_timeout_ms":300}}';
close $fh;
my $s = Stack->start(env => { CONFIG_DIR => $dir, APP_ENV => 'locked' });
my $admin = $s->admin_token;
my $u = $s->create_user($admin, username => 'locky');
my $user = $s->login('locky', 'User-Pass-123');
my $db = $s->vardir . '/photorestore.db';
my $users_before = (sql($s, 'SELECT count(*) FROM users'))[0];

# The other writer: the sqlite3 shell inside BEGIN IMMEDIATE, holding the
# write lock until told to roll back.
my $pid = open2(my $out, my $in, 'sqlite3', '-cmd', '.timeout 5000', $db);
$in->autoflush(1);
print $in "BEGIN IMMEDIATE;\nINSERT INTO login_failures (key, ts) VALUES ('lock|test', 0);\nSELECT 'locked';\n";
chomp(my $got = <$out> // '');
is($got, 'locked', 'another writer holds the database');

sub timed {
	my ($m, $p, %o) = @_;
	my $t0 = time;
	my $r = $s->request($m => $p, timeout => 20, %o);
	$r->{secs} = time - $t0;
	return $r;
}
my @writes = (
	['login', POST => '/api/v1/auth/login',
	    json => { username => 'locky', password => 'User-Pass-123' }],
	['admin create', POST => '/api/v1/admin/users', token => $admin,
	    json => { username => 'blocked', email => 'blocked@example.com',
	    full_name => 'B', password => 'User-Pass-123' }],
	['admin update', PUT => "/api/v1/admin/users/$u->{id}", token => $admin,
	    json => { full_name => 'Changed' }],
	['logout', POST => '/api/v1/auth/logout', token => $user],
);
for my $w (@writes) {
	my ($what, @req) = @$w;
	my $r = timed(@req);
	is_error($r, 503, 'Service temporarily unavailable', "$what while locked");
	cmp_ok($r->{secs}, '>=', 0.25, "$what: waited for the busy timeout");
	cmp_ok($r->{secs}, '<', 5, sprintf("%s: then gave up (%.2f s)", $what, $r->{secs}));
}
# Reads are not blocked by a writer in WAL mode.
for my $p ('/api/v1/health', '/api/v1/users/me', '/api/v1/admin/users') {
	my $r = timed(GET => $p, token => $admin);
	ok($r->{status} == 200 || $r->{status} == 503,
	    "GET $p while locked: 200 (or a clean 503), not $r->{status}");
	like($r->{headers}{'content-type'} // '', qr{application/json}, "GET $p: JSON");
}

print $in "ROLLBACK;\n.quit\n";
close $in;
waitpid($pid, 0);
ok($s->login('locky', 'User-Pass-123'), 'after the lock: login works');
my $r = $s->request(PUT => "/api/v1/admin/users/$u->{id}", token => $admin,
    json => { full_name => 'Changed' });
is($r->{json}{full_name}, 'Changed', 'after the lock: updates work');
is((sql($s, 'SELECT count(*) FROM users'))[0], $users_before,
    'the refused create left no row');
is((sql($s, "SELECT count(*) FROM login_failures WHERE key = 'lock|test'"))[0], 0,
    "the other writer's rolled-back row is gone");
is($s->request(GET => '/api/v1/users/me', token => $user)->{status}, 200,
    'the refused logout left the session alive');
healthy($s);
done_testing;
