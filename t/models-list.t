#!/usr/bin/perl
# GET /api/v1/models (public by default): the enabled models whose
# provider is usable, in configuration order (without provider keys:
# only the local ones), as ModelInfo in the contract's key order, with
# the category/provider/tag filters; GET /api/v1/models/{id} gives one,
# 404 "Model '<id>' not found" for unknown and unavailable ones.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use JSON::PP;

my $s = Stack->start(env => { HF_API_KEY => '', REPLICATE_API_TOKEN => '' });
my $r = $s->request(GET => '/api/v1/models');
is($r->{status}, 200, 'models 200 without a token');
is_deeply([Stack::key_order($r->{raw})], [qw(models total)], 'keys');
is_deeply([map { $_->{id} } @{ $r->{json}{models} }],
    [qw(local-restore local-upscale-2x local-upscale-4x)],
    'only the local models, local-restore first');
is($r->{json}{total}, 3, 'total 3');
my ($first) = $r->{raw} =~ /"models":\[(\{.*?"schema":null\})/;
is_deeply([Stack::key_order($first)], [qw(id name model provider category
    description parameters tags version schema)], 'ModelInfo key order');
is_deeply($r->{json}{models}[0], {
	id => 'local-restore', name => 'Local Restore', model => 'restore',
	provider => 'local', category => 'restore',
	description => 'Automatic restoration on this server: denoise, dust ' .
	    'and scratch removal, fade and colour-cast correction, contrast ' .
	    'and sharpening. Works offline.',
	parameters => { strength => 0.7, denoise => JSON::PP::true,
	    scratch_removal => JSON::PP::true,
	    color_correction => JSON::PP::true },
	tags => [qw(local restore denoise color)], version => undef,
	schema => undef }, 'local-restore as configured');
like($r->{raw}, qr/"parameters":\{"strength":0.7,"denoise":true,/,
    'parameters verbatim, in their order');

sub ids {
	my ($q) = @_;
	my $x = $s->request(GET => "/api/v1/models$q");
	is($x->{json}{total}, scalar @{ $x->{json}{models} }, "$q: total");
	return [map { $_->{id} } @{ $x->{json}{models} }];
}
is_deeply(ids('?category=upscale'), [qw(local-upscale-2x local-upscale-4x)],
    'category filter');
is_deeply(ids('?provider=local'),
    [qw(local-restore local-upscale-2x local-upscale-4x)], 'provider filter');
is_deeply(ids('?provider=huggingface'), [], 'no usable huggingface model');
is_deeply(ids('?tag=denoise'), ['local-restore'], 'tag filter');
is_deeply(ids('?tag=upscale&category=upscale&provider=local'),
    [qw(local-upscale-2x local-upscale-4x)], 'filters combine');
is_deeply(ids('?category=Upscale'), [], 'filters are exact');
is_deeply(ids('?category='), [qw(local-restore local-upscale-2x
    local-upscale-4x)], 'an empty filter is no filter');

$r = $s->request(GET => '/api/v1/models/local-upscale-2x');
is($r->{status}, 200, 'one model 200');
is_deeply([Stack::key_order($r->{raw})], [qw(id name model provider category
    description parameters tags version schema)], 'its keys');
is_deeply($r->{json}{parameters}, { scale => 2 }, 'its parameters');
for my $id (qw(nope swin2sr-2x gfpgan)) {
	$r = $s->request(GET => "/api/v1/models/$id");
	is($r->{status}, 404, "$id: 404");
	is_deeply($r->{json}, { detail => "Model '$id' not found" },
	    "$id: detail");
}
done_testing;
