#!/usr/bin/perl
# photorestore migrate-db --from sqlite:///... --to postgresql://...: a
# site with users, sessions, an image and login failures on SQLite is
# copied into an empty PostgreSQL database; started again on PostgreSQL
# (same VARDIR) it serves the same users, whose old tokens and passwords
# still work, and whose image is still there; new rows get fresh ids; a
# second copy into the now non-empty target is refused and changes
# nothing; copying back to SQLite gives the same rows.  The password of
# the URL is never printed.
use strict; use warnings;
use Test::More;
use MIME::Base64 qw(decode_base64);
use lib 't/lib';
use Pg;
use Stack;

Pg::require_server();

# The command: photorestore migrate-db once it is wired in, else the
# stand-alone driver of cli/migrate_db.c (t/unit/migrate_db.c).
my $usage = `$Stack::BUILD/bin/photorestore migrate-db 2>&1`;
my @cmd = $usage =~ /--from/ ? ("$Stack::BUILD/bin/photorestore",
    'migrate-db') : ("$Stack::BUILD/t/migrate_db");
note("running @cmd");

my $pg = Pg->start;
my $url = $pg->createdb('site');

# A site on SQLite with some history.
my $s = Stack->start;
my $admin = $s->admin_token;
my $alice = $s->create_user($admin, username => 'alice',
    full_name => "Alice O'Hara 100%");
my $bob = $s->create_user($admin, username => 'bob');
is($s->request(PUT => "/api/v1/admin/users/$bob->{id}", token => $admin,
    json => { is_active => JSON::PP::false })->{status}, 200,
    'bob is deactivated');
my $atok = $s->login('alice', 'User-Pass-123');
ok($atok, 'alice logs in on SQLite');
$s->request(POST => '/api/v1/auth/login',
    json => { username => 'carol', password => 'nope' }) for 1 .. 2;
my $JPEG = decode_base64(<<'B64');
/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQY
GBcUFhYaHSUfGhsjHBYWICwgIyYnKSopGR8tMC0oMCUoKSj/2wBDAQcHBwoIChMKChMoGhYa
KCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCj/wAAR
CAAgADADASIAAhEBAxEB/8QAFgABAQEAAAAAAAAAAAAAAAAABgMI/8QAGxAAAwADAQEAAAAA
AAAAAAAAAAMFMWFiISL/xAAWAQEBAQAAAAAAAAAAAAAAAAAFBgj/xAAgEQABAwIHAAAAAAAA
AAAAAAARAAQSAwUTFSFBUYGR/9oADAMBAAIRAxEAPwDPSJ2hMidjwQonaJonY+Ssqvsi3nPo
D3lGsbjijUBHkTtCZE7QhRO5JonaD6r7It5z6A95VixuOKNQEeRO0JkTseCFE7RNE7kPqvsi
3nPoD3lWDG44o1ARxE7kTInciFE7kmidjwPqvsi3nPoD3lZhY3HFGoCPInaEyJ2PBCidomid
yHVX2Rbzn0B7yrFjccUahHkTuRMidoQonaJonY+Q+q+yLec+gPeVYMbjijUBf//Z
B64
my $bd = 'migrate-db-boundary-0815';
my $r = $s->request(POST => '/api/v1/restore', token => $atok,
    body => "--$bd\r\nContent-Disposition: form-data; name=\"file\"; " .
    "filename=\"old.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n$JPEG\r\n" .
    "--$bd\r\nContent-Disposition: form-data; name=\"model_id\"\r\n\r\n" .
    "local-restore\r\n--$bd--\r\n",
    headers => { 'Content-Type' => "multipart/form-data; boundary=$bd" });
is($r->{status}, 200, 'an image restored on SQLite') or diag $r->{raw};
my $image = $r->{json}{id};
my $before = $s->request(GET => '/api/v1/admin/users?limit=100',
    token => $admin)->{json};
is($before->{total}, 3, 'three users on SQLite') or diag explain $before;
$s->script('stop');
$s->{stopped} = 1;

sub migrate {
	my ($from, $to) = @_;
	my $cmd = $s->env_prefix . ' ' . join(' ', map { "'$_'" } @cmd,
	    '--from', $from, '--to', $to) . ' 2>&1';
	my $out = `$cmd`;
	return ($? >> 8, $out);
}

# The copy.
my ($rc, $out) = migrate('sqlite:///photorestore.db', $url);
is($rc, 0, 'migrate-db exits 0') or diag $out;
like($out, qr/^\s+users\s+3 rows$/m, 'users: 3 rows');
like($out, qr/^\s+sessions\s+\d+ rows$/m, 'sessions copied');
like($out, qr/^\s+processed_images\s+1 rows$/m, 'the image row');
like($out, qr/^\s+login_failures\s+2 rows$/m, 'the login failures');
like($out, qr{to postgresql://prtest:\*\*\*\@127\.0\.0\.1:\d+/site},
    'the target URL is printed redacted');
unlike($out, qr/\Q${\ $pg->password }\E/, 'the password is not printed');
is($pg->psql('site', 'SELECT count(*) FROM users'), 3, 'three users in PG');
is($pg->psql('site', "SELECT id FROM users WHERE username = 'alice'"),
    $alice->{id}, 'ids preserved');

# The same site on PostgreSQL: same VARDIR (keys, images), new database.
my $p = Stack->start(vardir => $s->vardir, env => { DATABASE_URL => $url });
is($p->request(GET => '/api/v1/users/me', token => $atok)->{status}, 200,
    "alice's token from the SQLite days still works (session copied)");
my $after = $p->request(GET => '/api/v1/admin/users?limit=100',
    token => $admin)->{json};
is_deeply($after, $before, "the admin (with the old token) sees the very "
    . 'same users, field for field');
ok($p->login('alice', 'User-Pass-123'), 'alice logs in on PostgreSQL');
is($p->request(POST => '/api/v1/auth/login', json => { username => 'bob',
    password => 'User-Pass-123' })->{status}, 401, 'bob is still inactive');
$r = $p->request(GET => "/api/v1/restore/$image/download", token => $atok);
is($r->{status}, 200, "alice's image downloads");
is(substr($r->{raw} // '', 0, 3), "\xff\xd8\xff", 'as a JPEG');
my $dora = $p->create_user($p->admin_token, username => 'dora');
ok($dora->{id} > $bob->{id}, "a new user gets a fresh id ($dora->{id})");
is($p->request(GET => '/api/v1/users/me',
    token => $p->login('dora', 'User-Pass-123'))->{status}, 200,
    'new sessions work too (no id collision)');
$p->stop;

# A non-empty target is refused and left alone.
($rc, $out) = migrate('sqlite:///photorestore.db', $url);
is($rc, 1, 'a second copy into the same target fails');
like($out, qr/not empty/, 'because the target is not empty');
is($pg->psql('site', 'SELECT count(*) FROM users'), 4, 'target unchanged');

# And back: PostgreSQL to a new SQLite file.
($rc, $out) = migrate($url, 'sqlite:///back.db');
is($rc, 0, 'copy back to SQLite') or diag $out;
like($out, qr/^\s+users\s+4 rows$/m, 'the four users');
$pg->createdb('empty');
($rc, $out) = migrate('sqlite:///back.db', $pg->url('empty'));
is($rc, 0, 'and into another empty PostgreSQL database') or diag $out;
is($pg->psql('empty', 'SELECT string_agg(username, \',\' ORDER BY id) '
    . 'FROM users'), $pg->psql('site', 'SELECT string_agg(username, '
    . '\',\' ORDER BY id) FROM users'), 'the same users, in the same order');
($rc, $out) = migrate('sqlite:///back.db', 'sqlite:///back.db');
is($rc, 2, 'the same database twice is a usage error');
done_testing;
