#!/usr/bin/perl
# Images belong to their user: another user's image ids answer the same
# 404 as missing ones for the item, its download and DELETE, and history
# never shows them, not even when filtered by the owner's session id.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Upload qw(form $JPEG);
use Time::HiRes qw(sleep);

my $s = Stack->start;
my $admin = $s->admin_token;
$s->create_user($admin, username => $_) for qw(alice bob);
my %tok = map { $_ => $s->login($_, 'User-Pass-123') } qw(alice bob);

my %img;
for my $u (qw(alice bob)) {
	sleep 0.25;
	my $r = $s->request(POST => '/api/v1/restore', token => $tok{$u},
	    form([file => $JPEG, "$u.jpg"], [model_id => 'local-restore']));
	is($r->{status}, 200, "$u restores") or diag $r->{raw};
	$img{$u} = $r->{json};
}
my $aid = $img{alice}{id};

sub not_found {
	my ($r, $id, $what) = @_;
	is($r->{status}, 404, "$what: 404");
	is_deeply($r->{json}, { detail => "Image $id not found or not accessible" },
	    "$what: the contract's text");
}

not_found($s->request(GET => "/api/v1/restore/$aid", token => $tok{bob}),
    $aid, "bob GETs alice's image");
not_found($s->request(GET => "/api/v1/restore/$aid/download",
    token => $tok{bob}), $aid, "bob downloads alice's image");
not_found($s->request(DELETE => "/api/v1/restore/$aid", token => $tok{bob}),
    $aid, "bob deletes alice's image");
not_found($s->request(GET => '/api/v1/restore/999999', token => $tok{bob}),
    999999, 'a missing image: the same answer');
not_found($s->request(DELETE => '/api/v1/restore/999999',
    token => $tok{bob}), 999999, 'DELETE of a missing image');

my $r = $s->request(GET => "/api/v1/restore/$aid", token => $tok{alice});
is($r->{status}, 200, "alice's image survived bob's DELETE");
is($s->request(GET => $r->{json}{processed_url})->{status}, 200,
    'and its file too');

my $h = $s->request(GET => '/api/v1/restore/history', token => $tok{bob});
is($h->{json}{total}, 1, 'bob sees one image');
is_deeply([map { $_->{id} } @{ $h->{json}{items} }], [$img{bob}{id}],
    'only his own');
$h = $s->request(GET => '/api/v1/restore/history?session_id=' .
    $img{alice}{session_id}, token => $tok{bob});
is($h->{json}{total}, 0, "bob filtering by alice's session sees nothing");
is_deeply($h->{json}{items}, [], 'no items');
$h = $s->request(GET => '/api/v1/restore/history', token => $admin);
is($h->{json}{total}, 0, 'the admin has no images of his own either');

# Path ids are integers (pydantic's 422), and the token is required.
for my $m (['GET', ''], ['GET', '/download'], ['DELETE', '']) {
	my ($method, $tail) = @$m;
	$r = $s->request($method => "/api/v1/restore/abc$tail",
	    token => $tok{alice});
	is($r->{status}, 422, "$method abc$tail: 422");
	is_deeply($r->{json}{detail}, [{ type => 'int_parsing',
	    loc => ['path', 'image_id'], msg => 'Input should be a valid ' .
	    'integer, unable to parse string as an integer', input => 'abc' }],
	    "$method abc$tail: int_parsing");
	$r = $s->request($method => "/api/v1/restore/$aid$tail");
	is($r->{status}, 401, "$method $aid$tail without a token: 401");
}
done_testing;
