#!/usr/bin/perl
# DELETE /api/v1/admin/users/{id} (API.md §3): 204 with an empty body; the
# user's token is 401 "User account no longer exists"; sessions, image
# rows and the image FILES are gone (fix), while stored paths that point
# outside the image directories are never followed; other users' files
# stay.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use JSON::PP;
use File::Path qw(make_path);

my $s = Stack->start;
my $admin = $s->admin_token;
my $victim = $s->create_user($admin, username => 'victim');
my $bystander = $s->create_user($admin, username => 'bystander');
my $vt = $s->login('victim', 'User-Pass-123');
my $bt = $s->login('bystander', 'User-Pass-123');
ok($vt && $bt, 'both logged in');

my %env = $s->cli('stack-env') =~ /^(\w+)='([^']*)'$/mg;
my ($up, $pr) = @env{qw(PR_UPLOAD_DIR PR_PROCESSED_DIR)};
ok($up && -d $up && $pr && -d $pr, 'upload and processed directories');
my $db = $s->vardir . '/photorestore.db';
my $have_sqlite = -f $db && system('sqlite3 -version >/dev/null 2>&1') == 0;

sub touch { my ($f) = @_; (my $d = $f) =~ s{/[^/]+$}{}; make_path($d); open(my $fh, '>', $f) or die "$f: $!"; print $fh "x"; close $fh }
sub sql {
	open(my $fh, '-|', 'sqlite3', '-cmd', '.timeout 5000', $db, $_[0]) or die "sqlite3: $!";
	my @o = <$fh>;
	close $fh or die "sqlite3 failed: $_[0]";
	chomp @o;
	return $o[0];
}

my (%files, $outside, $absolute);
SKIP: {
	skip 'sqlite3 command not installed: image rows need it (restore.fcgi is separate)', 9
	    unless $have_sqlite;
	for my $who ([victim => $vt], [bystander => $bt]) {
		my $sid = Stack::jwt_payload($who->[1])->{session_id};
		for my $n (1, 2) {
			my ($o, $p) = ("$sid/$n.jpg", "$sid/${n}_processed.jpg");
			sql("INSERT INTO processed_images (user_id, session_id, session_uuid, original_filename, model_id, original_path, processed_path, created_at) SELECT user_id, id, session_id, '$n.jpg', 'local-restore', '$o', '$p', '2026-01-01T00:00:00Z' FROM sessions WHERE session_id = '$sid'");
			touch("$up/$o");
			touch("$pr/$p");
			push @{ $files{$who->[0]} }, "$up/$o", "$pr/$p";
		}
	}
	# Rows whose stored paths escape the directories: never followed.
	$outside = $s->vardir . '/outside.txt';
	$absolute = $s->vardir . '/absolute.txt';
	touch($outside);
	touch($absolute);
	sql("INSERT INTO processed_images (user_id, session_id, session_uuid, original_filename, model_id, original_path, processed_path, created_at) VALUES ($victim->{id}, NULL, NULL, 'evil.jpg', 'local-restore', '../outside.txt', '$absolute', '2026-01-01T00:00:00Z')");
	is(sql("SELECT count(*) FROM processed_images WHERE user_id = $victim->{id}"), 3, 'victim has three image rows');
	ok(-f $_, 'file exists before') for @{ $files{victim} };

	my $r = $s->request(DELETE => "/api/v1/admin/users/$victim->{id}", token => $admin);
	is($r->{status}, 204, 'delete 204');
	is($r->{raw} // '', '', 'empty body');
	ok(!-e $_, "file removed: $_") for @{ $files{victim} };
	my $sid = Stack::jwt_payload($vt)->{session_id};
	ok(!-e "$up/$sid" && !-e "$pr/$sid", 'empty session directories removed');
	ok(-f $_, "bystander file kept: $_") for @{ $files{bystander} };
	ok(-f $outside, '../ path not followed');
	ok(-f $absolute, 'absolute path not followed');
	is(sql("SELECT count(*) FROM processed_images WHERE user_id = $victim->{id}"), 0, 'image rows gone');
	is(sql("SELECT count(*) FROM sessions WHERE user_id = $victim->{id}"), 0, 'session rows gone');
	is(sql("SELECT count(*) FROM processed_images WHERE user_id = $bystander->{id}"), 2, 'bystander rows kept');
}
# Without sqlite3 the user still has to go.
if (!$have_sqlite) {
	my $r = $s->request(DELETE => "/api/v1/admin/users/$victim->{id}", token => $admin);
	is($r->{status}, 204, 'delete 204');
	is($r->{raw} // '', '', 'empty body');
}

my $r = $s->request(GET => '/api/v1/users/me', token => $vt);
is($r->{status}, 401, 'deleted user token 401');
is($r->{json}{detail}, 'User account no longer exists', 'no longer exists');
is($r->{headers}{'www-authenticate'}, 'Bearer', 'WWW-Authenticate');
ok(!defined $s->login('victim', 'User-Pass-123'), 'cannot log in');
is($s->request(GET => '/api/v1/users/me', token => $bt)->{status}, 200, 'bystander unaffected');

$r = $s->request(GET => "/api/v1/admin/users/$victim->{id}", token => $admin);
is($r->{status}, 404, 'get after delete 404');
$r = $s->request(DELETE => "/api/v1/admin/users/$victim->{id}", token => $admin);
is($r->{status}, 404, 'delete again 404');
is($r->{json}{detail}, "User with ID $victim->{id} not found", '404 text');
$r = $s->request(DELETE => '/api/v1/admin/users/abc', token => $admin);
is($r->{status}, 422, 'bad id 422');
is($r->{json}{detail}[0]{type}, 'int_parsing', 'int_parsing');

# The name is free again.
$r = $s->request(POST => '/api/v1/admin/users', token => $admin, json => {
    username => 'victim', email => 'victim@example.com', full_name => 'Again',
    password => 'User-Pass-123' });
is($r->{status}, 201, 'username and email reusable');
done_testing;
