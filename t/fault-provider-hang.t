#!/usr/bin/perl
# A provider that hangs (t/lib/fakeprovider.pl's "slow" model sleeping
# far longer than HF_API_TIMEOUT=2): the restore answers 504 "Model
# processing timed out: ..." after about the timeout, not the provider's
# delay; while two such requests hang, the rest of the site (another
# program, and a local restore once a worker is free) keeps answering;
# nothing is stored and the upload slot is given back, so the session
# can restore again at once.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use File::Temp qw(tempdir);
use JSON::PP;
use POSIX ();
use Time::HiRes qw(sleep time);
use Attack qw(form jpeg healthy is_error sql);

my $tmp = tempdir(CLEANUP => 1);
$ENV{FAKEPROV_LOG} = "$tmp/fake.log";
$ENV{FAKEPROV_SLOW} = 30;
our ($fake, $fpid);
$fpid = open($fake, '-|', $^X, "$Stack::TOP/t/lib/fakeprovider.pl")
    or die "fakeprovider: $!";
chomp(my $port = <$fake> // '');
die "fakeprovider did not start" unless $port =~ /^\d+$/;
# Its per-connection children sleep in the "slow" answer holding our
# stderr: stop them with it, or prove would wait for them.
END { kill 'TERM', Attack::children_of($fpid), $fpid if $fpid }

my $js = JSON::PP->new->canonical(1);
open(my $fh, '<', "$Stack::TOP/conf/default.json") or die;
my $cfg = $js->decode(do { local $/; <$fh> });
close $fh;
my @models = grep { $_->{id} eq 'local-restore' } @{ $cfg->{models} };
push @models, { id => 'hf-hang', name => 'HF hang', model => 'fake/slow',
    provider => 'huggingface', category => 'upscale', description => 'hangs',
    parameters => {}, tags => [], version => undef, enabled => JSON::PP::true };
$cfg->{models} = \@models;
$cfg->{api_providers}{huggingface}{retry_attempts} = 1;
$cfg->{api_providers}{huggingface}{retry_delay_seconds} = 0;
open($fh, '>', "$tmp/default.json") or die;
print $fh $js->encode($cfg);
close $fh;

my $s = Stack->start(env => { CONFIG_DIR => $tmp, HF_API_KEY => 'hf_fake',
    HF_API_URL => "http://127.0.0.1:$port/hf", HF_API_TIMEOUT => 2 });
my $tok = $s->admin_token;
my $jpg = jpeg();

sub restore {
	my ($model) = @_;
	my $t0 = time;
	my $r = $s->request(POST => '/api/v1/restore', token => $tok, timeout => 60,
	    form([file => $jpg, 'h.jpg', 'image/jpeg'], [model_id => $model]));
	$r->{secs} = time - $t0;
	return $r;
}

my $r = restore('hf-hang');
is_error($r, 504, undef, 'hanging provider');
like($r->{json}{detail} // '', qr/^Model processing timed out: /, '504 detail');
cmp_ok($r->{secs}, '>=', 1.5, sprintf('waited about the timeout (%.1f s)', $r->{secs}));
cmp_ok($r->{secs}, '<', 15, 'and not the provider\'s 30 s');

# Two hanging restores at once occupy both restore workers; meanwhile
# the other programs answer at once.
my @kids;
for my $i (1, 2) {
	sleep 0.3;
	my $pid = fork // die;
	if ($pid == 0) {
		my $x = restore('hf-hang');
		POSIX::_exit($x->{status} == 504 ? 0 : 1);
	}
	push @kids, $pid;
}
sleep 0.5;
for my $p ('/api/v1/health', '/api/v1/users/me', '/api/v1/admin/users') {
	my $t0 = time;
	my $x = $s->request(GET => $p, token => $tok, timeout => 10);
	is($x->{status}, 200, "GET $p during the hang: 200");
	cmp_ok(time - $t0, '<', 1.5, "GET $p during the hang: prompt");
}
my $ok = 0;
for my $pid (@kids) { waitpid($pid, 0); $ok++ if $? == 0 }
is($ok, 2, 'both concurrent hanging restores got their 504');

is((sql($s, 'SELECT count(*) FROM processed_images'))[0], 0, 'nothing stored');
is((sql($s, 'SELECT count(*) FROM upload_slots'))[0], 0, 'no upload slot held');
# The session's slots were given back: a local restore works right away.
sleep 0.3;
$r = restore('local-restore');
is($r->{status}, 200, 'a local restore right after: 200') or diag $r->{raw};
healthy($s);
done_testing;
