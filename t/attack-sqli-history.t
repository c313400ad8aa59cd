#!/usr/bin/perl
# SQL injection through GET /api/v1/restore/history: session_id with any
# payload matches nothing (200 with no items) or is refused (422), limit
# and offset refuse every payload with 422; another user's images never
# appear; the database is unchanged.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Time::HiRes qw(sleep);
use Attack qw(@SQLI qenc db_state same_db healthy is_422 form jpeg);

my $s = Stack->start;
my $admin = $s->admin_token;
$s->create_user($admin, username => 'peeker');
my $user = $s->login('peeker', 'User-Pass-123');
# The admin owns one image; the peeker owns none.
my $r = $s->request(POST => '/api/v1/restore', token => $admin,
    form([file => jpeg(), 'a.jpg', 'image/jpeg'], [model_id => 'local-restore']));
is($r->{status}, 200, "the admin's image") or diag $r->{raw};
my $before = db_state($s);

for my $p (@SQLI) {
	(my $n = $p) =~ s/[^\x20-\x7e]/?/g;
	my $q = qenc($p);
	$r = $s->request(GET => "/api/v1/restore/history?session_id=$q",
	    token => $user);
	ok(($r->{status} == 200 && $r->{json}{total} == 0 &&
	    @{ $r->{json}{items} } == 0) || $r->{status} == 422,
	    "session_id [$n]: nothing, or 422") or diag $r->{raw};
	for my $k (qw(limit offset)) {
		$r = $s->request(GET => "/api/v1/restore/history?$k=$q",
		    token => $user);
		is_422($r, undef, "$k [$n]");
	}
}
$r = $s->request(GET => '/api/v1/restore/history', token => $user);
is($r->{json}{total}, 0, "the peeker still sees no image");
same_db($s, $before, 'after the history injections');
is(($before->{counts}{processed_images}), (db_state($s)->{counts}{processed_images}),
    'no image row added or removed');
healthy($s);
done_testing;
