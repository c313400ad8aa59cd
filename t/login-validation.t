#!/usr/bin/perl
# Malformed login bodies get pydantic-style 422 lists, never a 5xx.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;

my $s = Stack->start;
sub post { $s->request(POST => '/api/v1/auth/login', @_) }

my $r = post(json => { password => 'x' });
is($r->{status}, 422, 'missing username 422');
is($r->{json}{detail}[0]{type}, 'missing', 'type missing');
is_deeply($r->{json}{detail}[0]{loc}, ['body', 'username'], 'loc');
is($r->{json}{detail}[0]{msg}, 'Field required', 'msg');
is_deeply([Stack::key_order(substr($r->{raw}, index($r->{raw}, '[') + 1))],
    [qw(type loc msg input)], 'entry key order');

$r = post(json => {});
is(scalar @{ $r->{json}{detail} }, 2, 'both fields reported');

$r = post(json => { username => '', password => 'x' });
is($r->{json}{detail}[0]{type}, 'string_too_short', 'empty username');
is($r->{json}{detail}[0]{msg}, 'String should have at least 1 character', 'msg');

$r = post(json => { username => 'a' x 101, password => 'x' });
is($r->{json}{detail}[0]{type}, 'string_too_long', 'long username');

$r = post(json => { username => 5, password => 'x' });
is($r->{json}{detail}[0]{type}, 'string_type', 'number username');

$r = post(json => { username => 'a', password => 'b', remember_me => 'maybe' });
is($r->{json}{detail}[0]{type}, 'bool_parsing', 'bad bool');

$r = post(body => '{"username": "a", ', headers => { 'Content-Type' => 'application/json' });
is($r->{status}, 422, 'truncated JSON 422');
is($r->{json}{detail}[0]{type}, 'json_invalid', 'json_invalid');

$r = post(body => '{"username":"a","password":"b"} x', headers => { 'Content-Type' => 'application/json' });
is($r->{json}{detail}[0]{type}, 'json_invalid', 'trailing bytes');

$r = post(body => '[1,2]', headers => { 'Content-Type' => 'application/json' });
is($r->{status}, 422, 'array body 422');

$r = post(body => '', headers => { 'Content-Type' => 'application/json' });
is($r->{status}, 422, 'empty body 422');

$r = post(body => ('[' x 5000) . (']' x 5000), headers => { 'Content-Type' => 'application/json' });
is($r->{status}, 422, 'deep nesting 422');

$r = post(body => 'x' x 200000, headers => { 'Content-Type' => 'application/json' });
is($r->{status}, 413, 'huge body 413');
like($r->{headers}{'content-type'}, qr/json/, '413 is JSON');
is($r->{json}{detail}, 'Request body too large', '413 detail');

$r = post(body => "{\"username\":\"a\xff\xfe\",\"password\":\"b\"}", headers => { 'Content-Type' => 'application/json' });
is($r->{status}, 422, 'invalid UTF-8 is 422');
is($r->{json}{detail}[0]{type}, 'json_invalid', 'invalid UTF-8 is json_invalid');
ok(defined $r->{json}, 'the answer itself is valid JSON');

$r = post(body => "{\"username\":\"\xed\xa0\x80\",\"password\":\"b\"}", headers => { 'Content-Type' => 'application/json' });
is($r->{json}{detail}[0]{type}, 'json_invalid', 'UTF-8 surrogate refused');

is($s->request(GET => '/api/v1/health')->{status}, 200, 'still healthy');
done_testing;
