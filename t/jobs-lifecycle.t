#!/usr/bin/perl
# A job of three files, end to end (issue 10): 202 {"job_id","status":
# "queued","total":3}; polled to "done" with progress 0-100 never going
# back; each item a RestoreResponse in the contract's key order and no
# error; the images in the history; the job first in GET /api/v1/jobs.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Jobs;

my $s = Stack->start;
my $tok = $s->admin_token;
my $claims = Stack::jwt_payload($tok);

my $r = Jobs::submit($s, $tok, 'local-restore',
    [Jobs::photo('camera.png'), 'camera.png'], [$Jobs::JPEG, 'small.jpg'],
    [Jobs::photo('chelsea.png'), 'cat photo.png']);
is($r->{status}, 202, 'job accepted') or diag $r->{raw};
is_deeply([Stack::key_order($r->{raw})], [qw(job_id status total)],
    'answer keys');
like($r->{json}{job_id}, qr/^\d+$/, 'job_id an integer');
is($r->{json}{status}, 'queued', 'queued');
is($r->{json}{total}, 3, 'total 3');
my $id = $r->{json}{job_id};

my ($j, $seen) = Jobs::wait_job($s, $tok, $id);
is($j->{status}, 'done', 'job done') or diag explain $j;
is($j->{progress}, 100, 'progress 100');
is($j->{done}, 3, 'done 3');
is($j->{total}, 3, 'total 3');
is($j->{model_id}, 'local-restore', 'model_id');
like($j->{created_at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'created_at');
my @p = map { $_->{progress} } @$seen;
ok(!grep({ $p[$_] < $p[$_ - 1] } 1 .. $#p), 'progress never goes back')
    or diag "@p";
ok(!grep({ $_ < 0 || $_ > 100 } @p), 'progress within 0-100');
ok(@p > 1 && $p[0] < 100, 'progress seen before the end') or diag "@p";

is(scalar @{ $j->{items} }, 3, 'three items');
is_deeply([map { $_->{original_filename} } @{ $j->{items} }],
    ['camera.png', 'small.jpg', 'cat photo.png'], 'items in upload order');
my @ids;
for my $it (@{ $j->{items} }) {
	is($it->{status}, 'done', "$it->{original_filename} done");
	is($it->{error}, undef, 'no error');
	my $res = $it->{result};
	ok(ref $res eq 'HASH', 'a result') or next;
	is_deeply([sort keys %$res], [sort qw(id session_id original_url
	    processed_url model_id original_filename timestamp)],
	    'RestoreResponse keys');
	is($res->{session_id}, $claims->{session_id}, 'session of the token');
	is($res->{original_filename}, $it->{original_filename}, 'name');
	like($res->{processed_url}, qr{^/processed/\d+/[0-9a-f-]{36}\.(png|jpg)\?e=\d+&s=},
	    'signed processed_url');
	my $img = $s->request(GET => $res->{processed_url});
	is($img->{status}, 200, 'result loads');
	push @ids, $res->{id};
}
my $raw = $s->request(GET => "/api/v1/jobs/$id", token => $tok)->{raw};
is_deeply([Stack::key_order($raw)], [qw(job_id status progress total done
    model_id model_parameters session_id created_at updated_at items)],
    'job keys');

my $h = $s->request(GET => '/api/v1/restore/history', token => $tok);
my %hist = map { $_->{id} => 1 } @{ $h->{json}{items} };
is(scalar(grep { $hist{$_} } @ids), 3, 'the history shows the three images');

my $l = $s->request(GET => '/api/v1/jobs', token => $tok);
is($l->{status}, 200, 'list');
is($l->{json}{jobs}[0]{job_id}, $id, 'the job listed');
is($l->{json}{total}, 1, 'total 1');
ok(!exists $l->{json}{jobs}[0]{items}, 'the list leaves items out');

# The three images count in the day's usage (no quota by default).
my $u = $s->request(GET => '/api/v1/users/me/usage', token => $tok);
is($u->{json}{images_today}, 3, 'usage: three images today');
is($u->{json}{remaining}, undef, 'usage: unlimited');
done_testing;
