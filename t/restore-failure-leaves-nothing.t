#!/usr/bin/perl
# A restore that fails leaves nothing behind: no original, no result, no
# temporary file, no row; whether it fails in the checks, in the model
# run, or while storing the result (after the original was written).
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Upload qw(form $JPEG);
use File::Find;
use Time::HiRes qw(sleep);

my $PHOTOS = "$Stack::TOP/../shared/testdata/photos";

sub slurp {
	my ($f) = @_;
	open my $fh, '<', $f or die "$f: $!";
	binmode $fh;
	local $/;
	return scalar <$fh>;
}

my $s = Stack->start;
my %dirs = $s->cli('stack-env') =~ /^(PR_\w+)='([^']*)'$/mg;
my $tok = $s->admin_token;
my $uid = Stack::jwt_payload($tok)->{user_id};
my $png = slurp("$PHOTOS/chelsea.png");

# Every file (not directory) under the two storage roots.
sub stored {
	my @f;
	find({ no_chdir => 1, wanted => sub { push @f, $_ if -f $_ } },
	    $dirs{PR_UPLOAD_DIR}, $dirs{PR_PROCESSED_DIR});
	return sort @f;
}

sub post {
	my (@parts) = @_;
	sleep 0.25;
	return $s->request(POST => '/api/v1/restore', token => $tok,
	    form(@parts));
}

sub nothing_left {
	my ($what) = @_;
	is_deeply([stored()], [], "$what: no file left");
	my $h = $s->request(GET => '/api/v1/restore/history', token => $tok);
	is($h->{json}{total}, 0, "$what: no row");
}

# Failing checks.
my $r = post([file => substr($png, 0, 5000), 'cut.png'],
    [model_id => 'local-restore']);
is($r->{status}, 400, 'truncated image refused');
nothing_left('invalid image');

# The model run fails (the engine refuses a parameter).
$r = post([file => $png, 'cat.png'], [model_id => 'local-restore'],
    [parameters => '{"strength": 7}']);
is($r->{status}, 400, 'bad engine parameter: 400');
like($r->{json}{detail}, qr/^Model error: \S/, 'bad engine parameter: Model error');
nothing_left('model error');

# Storing the result fails after the original was written: the
# processed directory of this user is a file, so its temporary file
# cannot be created.
my $block = "$dirs{PR_PROCESSED_DIR}/$uid";
open my $fh, '>', $block or die "$block: $!";
close $fh;
$r = post([file => $png, 'cat.png'], [model_id => 'local-restore']);
is($r->{status}, 500, 'storage failure: 500');
is($r->{json}{detail}, 'Internal Server Error', 'storage failure: detail');
unlink $block or die;
nothing_left('storage failure');
ok(-d "$dirs{PR_UPLOAD_DIR}/$uid", 'the user directory itself may stay');

# The same request then succeeds, with exactly two files and one row.
$r = post([file => $png, 'cat.png'], [model_id => 'local-restore']);
is($r->{status}, 200, 'then it works') or diag $r->{raw};
is(scalar(my @f = stored()), 2, 'two files: original and result');
my $h = $s->request(GET => '/api/v1/restore/history', token => $tok);
is($h->{json}{total}, 1, 'one row');
done_testing;
