#!/usr/bin/perl
# GET /api/v1/restore/history: the user's images over all sessions,
# newest first, paged with limit (1-1000, default 50) and offset (>= 0,
# default 0) with pydantic's 422s, filtered by session_id; items in the
# contract's key order; a logged-out session's images stay.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Upload qw(form $JPEG);
use Time::HiRes qw(sleep);

my $s = Stack->start;
my @tok = ($s->admin_token, $s->admin_token);
my @sid = map { Stack::jwt_payload($_)->{session_id} } @tok;

my @ids;
for my $i (0 .. 3) {
	my @params = $i == 1 ? ([parameters => '{"strength":0.25}']) : ();
	sleep 0.25;
	my $r = $s->request(POST => '/api/v1/restore',
	    token => $tok[$i == 3 ? 1 : 0],
	    form([file => $JPEG, "img$i.jpg"], [model_id => 'local-restore'],
	    @params));
	is($r->{status}, 200, "image $i stored") or diag $r->{raw};
	push @ids, $r->{json}{id};
}

sub hist {
	my ($q, $t) = @_;
	return $s->request(GET => "/api/v1/restore/history$q",
	    token => $t // $tok[0]);
}

my $r = hist('');
is($r->{status}, 200, 'history 200');
is_deeply([Stack::key_order($r->{raw})], [qw(items total limit offset)],
    'keys in order');
is($r->{json}{total}, 4, 'all sessions: 4 images');
is($r->{json}{limit}, 50, 'default limit 50');
is($r->{json}{offset}, 0, 'default offset 0');
is_deeply([map { $_->{id} } @{ $r->{json}{items} }], [reverse @ids],
    'newest first');
my ($item) = $r->{raw} =~ /"items":\[(\{.*?\})[,\]]/;
is_deeply([Stack::key_order($item)], [qw(id original_filename model_id
    original_url processed_url created_at model_parameters session_id)],
    'item keys in order');
my %by = map { $_->{id} => $_ } @{ $r->{json}{items} };
is($by{$ids[1]}{model_parameters}, '{"strength":0.25}',
    'model_parameters: the JSON string sent');
ok(!defined $by{$ids[0]}{model_parameters}, 'model_parameters: null');
is($by{$ids[0]}{session_id}, $sid[0], 'session_id of the first session');
is($by{$ids[3]}{session_id}, $sid[1], 'session_id of the second session');
is($by{$ids[2]}{original_filename}, 'img2.jpg', 'original_filename');
like($by{$ids[2]}{created_at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/,
    'created_at with Z');
like($by{$ids[2]}{original_url}, qr{^/uploads/\d+/[\w-]+\.jpg\?e=\d+&s=},
    'signed original_url');

# Paging.
$r = hist('?limit=2');
is_deeply([map { $_->{id} } @{ $r->{json}{items} }], [@ids[3, 2]],
    'limit=2: the two newest');
is($r->{json}{total}, 4, 'limit=2: total counts all');
is($r->{json}{limit}, 2, 'limit echoed');
$r = hist('?limit=2&offset=2');
is_deeply([map { $_->{id} } @{ $r->{json}{items} }], [@ids[1, 0]],
    'offset=2: the two oldest');
is($r->{json}{offset}, 2, 'offset echoed');
$r = hist('?offset=10');
is_deeply($r->{json}{items}, [], 'offset past the end: no items');
is($r->{json}{total}, 4, 'offset past the end: total still 4');
is(hist('?limit=1000')->{status}, 200, 'limit=1000 allowed');
is(scalar @{ hist('?limit=1')->{json}{items} }, 1, 'limit=1');

# Session filter.
is(hist("?session_id=$sid[0]")->{json}{total}, 3, 'first session: 3');
is(hist("?session_id=$sid[1]")->{json}{total}, 1, 'second session: 1');
is(hist('?session_id=')->{json}{total}, 4, 'empty filter: all');
is(hist('?session_id=00000000-0000-4000-8000-000000000000')->{json}{total},
    0, 'unknown session: none');

# Validation, pydantic style.
sub e422 {
	my ($q, $what, @want) = @_;
	my $x = hist($q);
	is($x->{status}, 422, "$what: 422");
	is_deeply($x->{json}{detail}, \@want, "$what: entries") or diag $x->{raw};
}
my $ip = 'Input should be a valid integer, unable to parse string as an integer';
e422('?limit=0', 'limit=0', { type => 'greater_than_equal',
    loc => ['query', 'limit'], msg => 'Input should be greater than or ' .
    'equal to 1', input => '0', ctx => { ge => 1 } });
e422('?limit=1001', 'limit=1001', { type => 'less_than_equal',
    loc => ['query', 'limit'], msg => 'Input should be less than or ' .
    'equal to 1000', input => '1001', ctx => { le => 1000 } });
e422('?limit=99999999999999999999999', 'huge limit', {
    type => 'less_than_equal', loc => ['query', 'limit'],
    msg => 'Input should be less than or equal to 1000',
    input => '99999999999999999999999', ctx => { le => 1000 } });
e422('?limit=abc', 'limit=abc', { type => 'int_parsing',
    loc => ['query', 'limit'], msg => $ip, input => 'abc' });
e422('?limit=', 'empty limit', { type => 'int_parsing',
    loc => ['query', 'limit'], msg => $ip, input => '' });
e422('?offset=-1', 'offset=-1', { type => 'greater_than_equal',
    loc => ['query', 'offset'], msg => 'Input should be greater than or ' .
    'equal to 0', input => '-1', ctx => { ge => 0 } });
e422('?limit=1.5&offset=x', 'both wrong: two entries, limit first',
    { type => 'int_parsing', loc => ['query', 'limit'], msg => $ip,
    input => '1.5' },
    { type => 'int_parsing', loc => ['query', 'offset'], msg => $ip,
    input => 'x' });
is($s->request(GET => '/api/v1/restore/history')->{status}, 401,
    'no token: 401');

# Logging out a session keeps its images in the history.
is($s->request(POST => '/api/v1/auth/logout', token => $tok[1])->{status},
    204, 'second session logged out');
$r = hist('');
is($r->{json}{total}, 4, 'its image stays in the history');
is($r->{json}{items}[0]{session_id}, $sid[1], 'with its session id');
done_testing;
