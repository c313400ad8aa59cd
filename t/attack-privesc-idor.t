#!/usr/bin/perl
# Reaching another user's objects by id: images (get, download, delete)
# answer the same 404 as missing ones, sessions answer 403 "You can only
# delete your own sessions" and survive, history filtered by the other
# user's session UUID is empty, and the signed URL of one image cannot
# be bent to another user's file.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Time::HiRes qw(sleep);
use Attack qw(healthy is_error form jpeg sql);

my $s = Stack->start;
my $admin = $s->admin_token;
$s->create_user($admin, username => $_) for qw(owner intruder);
my $own = $s->login('owner', 'User-Pass-123');
my $bad = $s->login('intruder', 'User-Pass-123');
my $r = $s->request(POST => '/api/v1/restore', token => $own,
    form([file => jpeg(), 'mine.jpg', 'image/jpeg'], [model_id => 'local-restore']));
is($r->{status}, 200, "owner's image") or diag $r->{raw};
my $img = $r->{json};
my $id = $img->{id};
my $nf = "Image $id not found or not accessible";
is_error($s->request(GET => "/api/v1/restore/$id", token => $bad), 404, $nf, 'GET');
is_error($s->request(GET => "/api/v1/restore/$id/download", token => $bad), 404, $nf,
    'download');
is_error($s->request(DELETE => "/api/v1/restore/$id", token => $bad), 404, $nf, 'DELETE');
is($s->request(GET => "/api/v1/restore/$id", token => $own)->{status}, 200,
    'the image is still there for its owner');

my $sid = Stack::jwt_payload($own)->{session_id};
is_error($s->request(DELETE => "/api/v1/users/me/sessions/$sid", token => $bad), 403,
    'You can only delete your own sessions', "DELETE the owner's session");
is($s->request(GET => '/api/v1/users/me', token => $own)->{status}, 200,
    "the owner's session lives");
$r = $s->request(GET => "/api/v1/restore/history?session_id=$sid", token => $bad);
ok(($r->{status} == 200 && $r->{json}{total} == 0) || $r->{status} == 422,
    "history by the owner's session id: nothing") or diag $r->{raw};

# The intruder's own image, then its signed URL bent to the owner's file.
sleep 0.3;
$r = $s->request(POST => '/api/v1/restore', token => $bad,
    form([file => jpeg(), 'theirs.jpg', 'image/jpeg'], [model_id => 'local-restore']));
my ($q) = $r->{json}{processed_url} =~ /(\?.*)$/;
my ($opath) = $img->{processed_url} =~ /^([^?]+)/;
is($s->request(GET => "$opath$q")->{status}, 403,
    "another image's signature on the owner's path: 403");
healthy($s);
done_testing;
