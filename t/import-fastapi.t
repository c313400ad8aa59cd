#!/usr/bin/perl
# photorestore import-fastapi on a database built with the original
# FastAPI site's schema (API.md appendix): the users log in with their old
# bcrypt passwords (re-hashed to PBKDF2 at that login), their images show
# in history with the original names, models, times and session UUIDs and
# their files load; a user whose name exists here is skipped and
# reported; a second import changes nothing.
use strict; use warnings;
use Test::More;
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use MIME::Base64 qw(decode_base64);
use lib 't/lib';
use Stack;

plan skip_all => 'sqlite3 command not installed (scripts/deps test)'
    unless system('sqlite3 -version >/dev/null 2>&1') == 0;
my $salt = '$2b$04$' . 'abcdefghijklmnopqrstuu';
my $probe = crypt('x', $salt) // '';
plan skip_all => "this platform's crypt(3) does not make bcrypt \$2b\$ hashes"
    unless $probe =~ /^\$2b\$04\$.{53}$/;

my $PNG = decode_base64('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==');
my $PNG2 = decode_base64('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGNgYPj/n4GBgZGBgYGBAQAV/gL+XqOaSgAAAABJRU5ErkJggg==');

my $tmp = tempdir('photorestore-imp-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my ($src, $up, $proc) = ("$tmp/photo_restoration.db", "$tmp/uploads",
    "$tmp/processed");

sub spew {
	my ($f, $c) = @_;
	open(my $fh, '>:raw', $f) or die "$f: $!";
	print $fh $c;
	close $fh;
}

sub sql {
	my ($db, $text) = @_;
	open(my $fh, '|-', "sqlite3 -batch '$db' >/dev/null") or die;
	print $fh $text;
	close $fh or die "sqlite3 failed";
}

sub query {
	my ($db, $q) = @_;
	my $out = `sqlite3 -batch '$db' "$q"`;
	chomp $out;
	return $out;
}

my $dora_hash = crypt('Dora-Old-Pass1', $salt);
my $ed_hash = crypt('Ed-Old-Pass12', '$2b$04$' . 'zyxwvutsrqponmlkjihgfe');
my $clash_hash = crypt('Whatever-123', $salt);
my ($s1, $s2) = ('0b7d8c3e-5a4f-4c1e-9a77-3f2e1d0c9b8a',
    '6f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9');
my %f = (
	o1 => "$s1/1a2b3c4d-0000-4000-8000-000000000001_wedding.png",
	p1 => "$s1/1a2b3c4d-0000-4000-8000-000000000001_wedding_processed.png",
	o2 => "$s2/1a2b3c4d-0000-4000-8000-000000000002_Harbour 1931.PNG",
	p2 => "$s2/1a2b3c4d-0000-4000-8000-000000000002_Harbour 1931_processed.PNG",
	o3 => "$s2/1a2b3c4d-0000-4000-8000-000000000003_gone.png",
	p3 => "$s2/1a2b3c4d-0000-4000-8000-000000000003_gone_processed.png",
);
make_path("$up/$s1", "$up/$s2", "$proc/$s1", "$proc/$s2");
spew("$up/$f{o1}", $PNG);
spew("$proc/$f{p1}", $PNG2);
spew("$up/$f{o2}", $PNG2);
spew("$proc/$f{p2}", $PNG);
# Image 3's files are missing: reported and skipped.

# The original schema, as SQLAlchemy made it, with naive UTC times.
sql($src, <<"SQL");
PRAGMA journal_mode=WAL;
CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);
INSERT INTO alembic_version VALUES ('003_add_password_must_change');
CREATE TABLE schema_migrations (version VARCHAR(50) PRIMARY KEY, applied_at DATETIME);
CREATE TABLE users (
	id INTEGER NOT NULL PRIMARY KEY,
	username VARCHAR(50) NOT NULL UNIQUE,
	email VARCHAR(255) NOT NULL UNIQUE,
	hashed_password VARCHAR(255) NOT NULL,
	full_name VARCHAR(255),
	role VARCHAR(20) NOT NULL DEFAULT 'user',
	is_active BOOLEAN NOT NULL DEFAULT 1,
	password_must_change BOOLEAN NOT NULL DEFAULT 0,
	created_at DATETIME NOT NULL,
	last_login DATETIME
);
CREATE TABLE sessions (
	id INTEGER NOT NULL PRIMARY KEY,
	user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	session_id VARCHAR(36) NOT NULL UNIQUE,
	created_at DATETIME NOT NULL,
	last_accessed DATETIME NOT NULL
);
CREATE TABLE processed_images (
	id INTEGER NOT NULL PRIMARY KEY,
	session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
	original_filename VARCHAR(255) NOT NULL,
	model_id VARCHAR(100) NOT NULL,
	original_path VARCHAR(500) NOT NULL,
	processed_path VARCHAR(500) NOT NULL,
	model_parameters TEXT,
	created_at DATETIME NOT NULL
);
INSERT INTO users VALUES (1, 'Admin', 'root\@old.example', '$clash_hash',
    'Old Admin', 'admin', 1, 0, '2023-01-02 03:04:05.678901', NULL);
INSERT INTO users VALUES (2, 'Dora', 'Dora.M\@Example.COM', '$dora_hash',
    'Dora Maar', 'user', 1, 0, '2024-02-29 23:59:58.5', '2024-03-01 08:00:00');
INSERT INTO users VALUES (3, 'ed_k', 'ed\@example.org', '$ed_hash',
    'Ed K', 'admin', 1, 1, '2024-01-01 00:00:00', NULL);
INSERT INTO sessions VALUES (10, 2, '$s1', '2024-03-01 08:00:00', '2024-03-01 09:00:00');
INSERT INTO sessions VALUES (11, 2, '$s2', '2024-03-02 08:00:00', '2024-03-02 09:00:00');
INSERT INTO processed_images VALUES (100, 10, 'wedding.png', 'gfpgan',
    '$f{o1}', '$f{p1}', '{"version": "v1.4", "scale": 2}', '2024-03-01 10:20:30.123456');
INSERT INTO processed_images VALUES (101, 11, 'Harbour 1931.PNG', 'swin2sr-2x',
    '$f{o2}', '$f{p2}', NULL, '2024-03-02 11:00:00');
INSERT INTO processed_images VALUES (102, 11, 'gone.png', 'swin2sr-2x',
    '$f{o3}', '$f{p3}', NULL, '2024-03-02 12:00:00');
SQL

my $s = Stack->start;
my $db = $s->vardir . '/photorestore.db';
my @args = ('import-fastapi', $src, '--uploads', $up, '--processed', $proc);
my $out = $s->cli(@args);
is($?, 0, 'import succeeds') or diag $out;
like($out, qr/users: 2 imported, 0 already imported, 1 skipped/,
    'two users imported, one skipped') or diag $out;
like($out, qr/user 'admin': username 'admin' already exists/,
    'the clash is reported by name');
like($out, qr/images: 2 imported, 0 already imported, 1 skipped \(4 files/,
    'two images imported, one skipped') or diag $out;
like($out, qr/image id 102: .*gone\.png.*skipped/, 'the missing file is reported');

# The old passwords work; the login re-hashes them.
my $tok = $s->login('dora', 'Dora-Old-Pass1');
ok($tok, 'dora logs in with her old bcrypt password');
ok($s->login('DORA.M@example.com', 'Dora-Old-Pass1'),
    'and with her e-mail, any case');
ok(!$s->login('dora', 'Dora-Old-Pass2'), 'a wrong password fails');
like(query($db, "SELECT hashed_password FROM users WHERE username = 'dora'"),
    qr/^\$pbkdf2-sha256\$/, 're-hashed to PBKDF2 at that login');
ok($s->login('dora', 'Dora-Old-Pass1'), 'and still logs in afterwards');
my $ed = $s->login('ed_k', 'Ed-Old-Pass12');
ok($ed, 'ed logs in');
is($s->request(GET => '/api/v1/users/me', token => $ed)->{json}{role},
    'admin', 'ed keeps his role');
is($s->request(GET => '/api/v1/admin/users', token => $ed)->{status}, 403,
    'and his pending password change');

my $me = $s->request(GET => '/api/v1/users/me', token => $tok)->{json};
is($me->{username}, 'dora', 'username lower-cased');
is($me->{email}, 'dora.m@example.com', 'e-mail lower-cased');
is($me->{full_name}, 'Dora Maar', 'full name kept');
is($me->{created_at}, '2024-02-29T23:59:58Z', 'created_at in ISO with Z');
is($me->{last_login} =~ /^\d{4}-/ ? 1 : 0, 1, 'last_login set');

my $h = $s->request(GET => '/api/v1/restore/history', token => $tok);
is($h->{status}, 200, 'history');
is($h->{json}{total}, 2, 'both images in her history');
my %by = map { $_->{original_filename} => $_ } @{ $h->{json}{items} };
my $w = $by{'wedding.png'};
ok($w, 'wedding.png there');
is($w->{model_id}, 'gfpgan', 'model kept');
is($w->{model_parameters}, '{"version": "v1.4", "scale": 2}',
    'parameters kept');
is($w->{created_at}, '2024-03-01T10:20:30Z', 'time converted to ISO with Z');
is($w->{session_id}, $s1, 'the session UUID kept for history');
my $uid = $me->{id};
like($w->{original_url}, qr{^/uploads/$uid/[0-9a-f-]{36}\.png\?},
    'stored under our layout');
is($s->request(GET => $w->{original_url})->{raw}, $PNG,
    'original file loads');
is($s->request(GET => $w->{processed_url})->{raw}, $PNG2,
    'processed file loads');
my $hb = $by{'Harbour 1931.PNG'};
like($hb->{processed_url}, qr{^/processed/$uid/[0-9a-f-]{36}\.png\?},
    'extension lower-cased');
is($s->request(GET => $hb->{processed_url})->{raw}, $PNG,
    'second image loads');
is($s->request(GET => "/api/v1/restore/history?session_id=$s2",
    token => $tok)->{json}{total}, 1, 'filter by the old session works');

# Again: nothing changes.
my $count = sub {
	join ',', map { query($db, "SELECT count(*) FROM $_") }
	    qw(users processed_images import_map);
};
my $files = sub { scalar(() = glob($s->vardir . '/uploads/*/*')) +
    scalar(() = glob($s->vardir . '/processed/*/*')) };
my ($c1, $f1) = ($count->(), $files->());
$out = $s->cli(@args);
is($?, 0, 'second import succeeds') or diag $out;
like($out, qr/users: 0 imported, 2 already imported, 1 skipped/,
    'second run: users already there') or diag $out;
like($out, qr/images: 0 imported, 2 already imported, 1 skipped \(0 files/,
    'second run: images already there') or diag $out;
is($count->(), $c1, 'no rows added');
is($files->(), $f1, 'no files added');
is($f1, 4, 'four files in our layout');
is($s->request(GET => '/api/v1/restore/history', token => $tok)->{json}{total},
    2, 'history unchanged');
done_testing;
