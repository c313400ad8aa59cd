#!/usr/bin/perl
# processing.max_concurrent_uploads_per_session (default 3) holds across
# worker processes: with three slow restorations in flight in a session,
# a fourth in that session gets 429 "Maximum 3 concurrent uploads allowed
# per session", another session of the same user is not affected, and
# every slot is given back, after success and after failure alike.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Upload qw(form $JPEG);
use File::Temp qw(tempdir);
use JSON::PP;
use POSIX ();
use Time::HiRes qw(sleep time);

sub slurp {
	my ($f) = @_;
	open my $fh, '<', $f or die "$f: $!";
	local $/;
	return scalar <$fh>;
}

# The slow fake provider (package variables: see restore-provider-errors.t).
my $tmp = tempdir(CLEANUP => 1);
$ENV{FAKEPROV_LOG} = "$tmp/fake.log";
$ENV{FAKEPROV_SLOW} = 5;
our ($fake, $fpid);
$fpid = open($fake, '-|', $^X, "$Stack::TOP/t/lib/fakeprovider.pl")
    or die "fakeprovider: $!";
chomp(my $port = <$fake> // '');
die "fakeprovider did not start" unless $port =~ /^\d+$/;
END { kill 'TERM', $fpid if $fpid }

# Enough workers that four requests really run at once.
my $js = JSON::PP->new->canonical(1);
my $cfg = $js->decode(slurp("$Stack::TOP/conf/default.json"));
$cfg->{server}{workers} = 6;
$cfg->{api_providers}{huggingface}{retry_attempts} = 0;
my @models = grep { $_->{provider} eq 'local' } @{ $cfg->{models} };
for my $b (qw(slow 404)) {
	push @models, { id => "hf-$b", name => "HF $b", model => "fake/$b",
	    provider => 'huggingface', category => 'upscale',
	    description => "fake $b", parameters => {}, tags => [],
	    version => undef, enabled => JSON::PP::true };
}
$cfg->{models} = \@models;
open my $fh, '>', "$tmp/default.json" or die;
print $fh $js->encode($cfg);
close $fh or die;

my $s = Stack->start(env => { CONFIG_DIR => $tmp, HF_API_KEY => 'hf_fake',
    HF_API_URL => "http://127.0.0.1:$port/hf", HF_API_TIMEOUT => 30 });
my ($tok, $other) = ($s->admin_token, $s->admin_token);

sub post {
	my ($t, $model) = @_;
	return $s->request(POST => '/api/v1/restore', token => $t,
	    form([file => $JPEG, 'c.jpg'], [model_id => $model]));
}

# Failures give their slot back: four in a row are not limited.
for my $i (1 .. 4) {
	is(post($tok, 'hf-404')->{status}, 400, "failure $i: 400, not 429");
	sleep 0.25;
}

# Three slow restorations in flight, each in its own process.
my @kids;
for my $i (1 .. 3) {
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		my $r = post($tok, 'hf-slow');
		open my $out, '>', "$tmp/kid$i" or die;
		print $out $r->{status};
		close $out;
		POSIX::_exit(0);	# no END blocks: the parent cleans up
	}
	push @kids, $pid;
}
# Wait until the fake provider has seen all three.
my $t0 = time;
sleep 0.2 until time - $t0 > 4 ||
    (() = (eval { slurp($ENV{FAKEPROV_LOG}) } // '') =~ m{/hf/fake/slow}g) >= 3;
my $r = post($tok, 'local-restore');
is($r->{status}, 429, 'fourth upload in the session: 429');
is_deeply($r->{json},
    { detail => 'Maximum 3 concurrent uploads allowed per session' },
    'the contract\'s detail with the configured number');
$r = post($other, 'local-restore');
is($r->{status}, 200, 'another session of the same user is not limited')
    or diag $r->{raw};

waitpid $_, 0 for @kids;
is(slurp("$tmp/kid$_"), 200, "slow upload $_ succeeded") for 1 .. 3;
$r = post($tok, 'local-restore');
is($r->{status}, 200, 'slots given back after success') or diag $r->{raw};
is($s->request(GET => '/api/v1/restore/history', token => $tok)
    ->{json}{total}, 5, 'five images stored');
done_testing;
