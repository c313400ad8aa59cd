#!/usr/bin/perl
# Provider failures map onto API.md §4.2 (against t/lib/fakeprovider.pl):
# rate limited and loading -> 503 with Retry-After, timeout -> 504,
# missing or unauthorized model and rejected input -> 400 "Model error:",
# anything else (500, garbage, oversized, dropped connection, a failed
# prediction) -> 502 "Model service error:"; Replicate parameters are
# checked against the schema first; nothing is stored on failure.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Upload qw(form $JPEG);
use File::Find;
use File::Temp qw(tempdir);
use JSON::PP;
use Time::HiRes qw(sleep);

my $PHOTOS = "$Stack::TOP/../shared/testdata/photos";

sub slurp {
	my ($f) = @_;
	open my $fh, '<', $f or die "$f: $!";
	binmode $fh;
	local $/;
	return scalar <$fh>;
}

# The fake provider, on a free loopback port.
my $tmp = tempdir(CLEANUP => 1);
$ENV{FAKEPROV_LOG} = "$tmp/fake.log";
$ENV{FAKEPROV_SLOW} = 6;
$ENV{FAKEPROV_HUGE} = 3 * 1024 * 1024;
# (Package variables: a lexical pipe would be closed, waiting for the
# server, before the END block that stops it.)
our ($fake, $fpid);
$fpid = open($fake, '-|', $^X, "$Stack::TOP/t/lib/fakeprovider.pl")
    or die "fakeprovider: $!";
chomp(my $port = <$fake> // '');
die "fakeprovider did not start" unless $port =~ /^\d+$/;
END { kill 'TERM', $fpid if $fpid }

# Models pointing at the fake's behaviours.
my $js = JSON::PP->new->canonical(1);
my $cfg = $js->decode(slurp("$Stack::TOP/conf/default.json"));
my @models = grep { $_->{id} eq 'local-restore' } @{ $cfg->{models} };
for my $b (qw(ok 429 503-loading slow 404 401 500 garbage huge close)) {
	push @models, { id => "hf-$b", name => "HF $b", model => "fake/$b",
	    provider => 'huggingface', category => 'upscale',
	    description => "fake $b", parameters => {}, tags => [],
	    version => undef, enabled => JSON::PP::true };
}
my $schema = { input => {
	image => { type => 'string', format => 'uri', 'x-order' => 0 },
	scale => { type => 'integer', minimum => 1, maximum => 4,
	    default => 2, 'x-order' => 1 },
	mode => { type => 'string', enum => ['fast', 'best'],
	    default => 'fast', 'x-order' => 2 } },
    image_param => 'image', required => ['image'], hidden => ['image'] };
for my $b (qw(ok failed 422)) {
	push @models, { id => "rep-$b", name => "Replicate $b",
	    model => "fake/$b", provider => 'replicate', category => 'face',
	    description => "fake $b", parameters => {}, tags => [],
	    version => undef, enabled => JSON::PP::true,
	    replicate_schema => $schema };
}
$cfg->{models} = \@models;
for my $p (qw(huggingface replicate)) {
	$cfg->{api_providers}{$p}{retry_attempts} = 1;
	$cfg->{api_providers}{$p}{retry_delay_seconds} = 0;
	$cfg->{api_providers}{$p}{max_response_mb} = 2;
}
open my $fh, '>', "$tmp/default.json" or die;
print $fh $js->encode($cfg);
close $fh or die;

my $s = Stack->start(env => { CONFIG_DIR => $tmp,
    HF_API_KEY => 'hf_fake', HF_API_URL => "http://127.0.0.1:$port/hf",
    HF_API_TIMEOUT => 2,
    REPLICATE_API_TOKEN => 'r8_fake',
    REPLICATE_API_URL => "http://127.0.0.1:$port/r" });
my %dirs = $s->cli('stack-env') =~ /^(PR_\w+)='([^']*)'$/mg;
my $tok = $s->admin_token;
my $png = slurp("$PHOTOS/camera.png");

sub post {
	my ($model, $params) = @_;
	sleep 0.25;
	return $s->request(POST => '/api/v1/restore', token => $tok,
	    form([file => $png, 'cam.png', 'image/png'], [model_id => $model],
	    defined $params ? ([parameters => $params]) : ()));
}

sub fails {
	my ($model, $status, $detail, $params) = @_;
	my $r = post($model, $params);
	is($r->{status}, $status, "$model: $status");
	like($r->{json}{detail} // '', $detail, "$model: detail")
	    or diag $r->{raw};
	return $r;
}

my $r = post('hf-ok');
is($r->{status}, 200, 'hf-ok: 200') or diag $r->{raw};
is($s->request(GET => $r->{json}{processed_url})->{headers}{'content-type'},
    'image/png', 'hf-ok: the provider\'s PNG stored');

$r = fails('hf-429', 503,
    qr/^Model service temporarily unavailable: rate limited$/);
is($r->{headers}{'retry-after'}, 1, 'hf-429: Retry-After from the provider');
$r = fails('hf-503-loading', 503,
    qr/^Model service temporarily unavailable: model is loading$/);
like($r->{headers}{'retry-after'} // '', qr/^\d+$/, 'loading: Retry-After');
fails('hf-slow', 504, qr/^Model processing timed out: \S/);
fails('hf-404', 400, qr/^Model error: model not found$/);
fails('hf-401', 400, qr/^Model error: \S/);
fails('hf-500', 502, qr/^Model service error: \S/);
fails('hf-garbage', 502, qr/^Model service error: \S/);
fails('hf-huge', 502, qr/^Model service error: \S/);
fails('hf-close', 502, qr/^Model service error: \S/);
fails('rep-failed', 502,
    qr/^Model service error: prediction failed: CUDA out of memory$/);
fails('rep-422', 400, qr/^Model error: \S/);

# Replicate parameters: checked against the schema before any call.
fails('rep-ok', 400, qr/^Invalid parameters JSON: 'scale' must be at most 4$/,
    '{"scale": 9}');
fails('rep-ok', 400, qr/^Invalid parameters JSON: 'scale' must be an integer$/,
    '{"scale": 1.5}');
fails('rep-ok', 400,
    qr/^Invalid parameters JSON: 'mode' must be one of the allowed values$/,
    '{"mode": "slow"}');
fails('rep-ok', 400, qr/^Invalid parameters JSON: unknown parameter 'image'$/,
    '{"image": "http://example.com/x.png"}');
fails('rep-ok', 400, qr/^Invalid parameters JSON: unknown parameter 'bogus'$/,
    '{"bogus": 1}');
$r = post('rep-ok', '{"scale": 3, "mode": "best"}');
is($r->{status}, 200, 'rep-ok with valid parameters: 200') or diag $r->{raw};
my @sent = grep { m{^POST\t/r/models/fake/ok/predictions\t} }
    do { open my $l, '<', $ENV{FAKEPROV_LOG} or die; <$l> };
is(scalar @sent, 1, 'one prediction created');
like($sent[0] // '', qr/\tinput=\{"mode":"best","scale":3\}/,
    'the parameters went to Replicate');
unlike(join('', @sent), qr/"(scale|mode|bogus)":(9|1\.5|"slow"|1\b)/,
    'refused parameters never went out');

# Only the two successes were stored.
is($s->request(GET => '/api/v1/restore/history', token => $tok)
    ->{json}{total}, 2, 'two rows');
my @files;
find({ no_chdir => 1, wanted => sub { push @files, $_ if -f $_ } },
    $dirs{PR_UPLOAD_DIR}, $dirs{PR_PROCESSED_DIR});
is(scalar @files, 4, 'four files: nothing left by the failures');
done_testing;
