#!/usr/bin/perl
# With HF_API_KEY and REPLICATE_API_TOKEN the HuggingFace and Replicate
# models appear (disabled ones never do), and a Replicate model's
# ModelInfo.schema is the UI schema built from its replicate_schema:
# visible parameters in x-order with their type, limits, values and UI
# group, the hidden image parameter left out, and the custom block.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use File::Temp qw(tempdir);
use JSON::PP;

sub slurp {
	my ($f) = @_;
	open my $fh, '<', $f or die "$f: $!";
	local $/;
	return scalar <$fh>;
}

# default.json with real-esrgan disabled.
my $conf = tempdir(CLEANUP => 1);
my $js = JSON::PP->new->canonical(1);
my $cfg = $js->decode(slurp("$Stack::TOP/conf/default.json"));
$_->{enabled} = JSON::PP::false
    for grep { $_->{id} eq 'real-esrgan' } @{ $cfg->{models} };
open my $fh, '>', "$conf/default.json" or die;
print $fh $js->encode($cfg);
close $fh or die;

my $s = Stack->start(env => { CONFIG_DIR => $conf,
    HF_API_KEY => 'hf_test_key', REPLICATE_API_TOKEN => 'r8_test_token' });
my $r = $s->request(GET => '/api/v1/models');
is($r->{status}, 200, 'models 200');
is_deeply([map { $_->{id} } @{ $r->{json}{models} }],
    [qw(local-restore local-upscale-2x local-upscale-4x swin2sr-2x
    swin2sr-4x instruct-pix2pix gfpgan codeformer)],
    'every enabled model, in configuration order');
unlike($r->{raw}, qr/hf_test_key|r8_test_token/, 'no key in the answer');
my %m = map { $_->{id} => $_ } @{ $r->{json}{models} };
ok(!defined $m{'swin2sr-2x'}{schema}, 'HuggingFace model: schema null');
is($m{'swin2sr-2x'}{provider}, 'huggingface', 'provider huggingface');

sub ids {
	my ($q) = @_;
	return [map { $_->{id} } @{ $s->request(GET => "/api/v1/models$q")
	    ->{json}{models} }];
}
is_deeply(ids('?provider=replicate'), [qw(gfpgan codeformer)],
    'provider=replicate');
is_deeply(ids('?category=face'), [qw(gfpgan codeformer)], 'category=face');
is_deeply(ids('?tag=super-resolution'), [qw(swin2sr-2x swin2sr-4x)],
    'tag=super-resolution');
$r = $s->request(GET => '/api/v1/models/real-esrgan');
is($r->{status}, 404, 'a disabled model: 404');
is($r->{json}{detail}, "Model 'real-esrgan' not found", 'its detail');

$r = $s->request(GET => '/api/v1/models/gfpgan');
is($r->{status}, 200, 'gfpgan 200');
is_deeply($r->{json}{schema}, {
	parameters => [
	    { name => 'version', type => 'enum', required => JSON::PP::false,
	      description => 'GFPGAN version', default => 'v1.4',
	      min => undef, max => undef,
	      values => ['v1.2', 'v1.3', 'v1.4', 'RestoreFormer'],
	      ui_group => 'basic' },
	    { name => 'scale', type => 'float', required => JSON::PP::false,
	      description => 'Rescaling factor', default => 2, min => 1,
	      max => 10, values => undef, ui_group => 'advanced' },
	],
	custom => { max_file_size_mb => 10,
	    supported_formats => [qw(jpg jpeg png)],
	    estimated_time_seconds => 15 },
}, 'gfpgan schema: img hidden, enum and float, groups, custom');
my ($sch) = $r->{raw} =~ /"schema":(\{.*\})\}$/;
is_deeply([Stack::key_order($sch)], [qw(parameters custom)], 'schema keys');
my ($p0) = $sch =~ /"parameters":\[(\{.*?\})/;
is_deeply([Stack::key_order($p0)], [qw(name type required description
    default min max values ui_group)], 'schema parameter keys');

my $cf = $s->request(GET => '/api/v1/models/codeformer')->{json}{schema};
is_deeply([map { "$_->{name}:$_->{type}" } @{ $cf->{parameters} }],
    [qw(codeformer_fidelity:float background_enhance:boolean
    face_upsample:boolean upscale:integer)], 'codeformer: x-order and types');
is_deeply([map { $_->{ui_group} } @{ $cf->{parameters} }],
    [qw(basic advanced advanced advanced)], 'codeformer: groups');
is($cf->{parameters}[3]{max}, 4, 'integer maximum');
done_testing;
