#!/usr/bin/perl
# Image URLs are expiring capabilities checked by nginx (API.md §4.4):
# missing, forged or expired signatures, and another file's signature,
# answer 403 {"detail":"Forbidden"}; a valid one 200.  The scheme is
# secure_link's: s = base64url(MD5("<e><path> <url secret>")), and the
# key persists, so a URL outlives a restart until it expires.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Upload qw(form $JPEG);
use Digest::MD5 qw(md5_base64);

my $PHOTOS = "$Stack::TOP/../shared/testdata/photos";

sub slurp {
	my ($f) = @_;
	open my $fh, '<', $f or die "$f: $!";
	binmode $fh;
	local $/;
	return scalar <$fh>;
}

my $s = Stack->start;
my %env = $s->cli('stack-env') =~ /^(PR_\w+)='([^']*)'$/mg;
my $secret = $env{PR_URL_SECRET};
ok(length($secret) >= 32, 'a URL secret exists');
my $tok = $s->admin_token;
my $png = slurp("$PHOTOS/camera.png");

my @img;
for my $n (1, 2) {
	my $r = $s->request(POST => '/api/v1/restore', token => $tok,
	    form([file => $png, "p$n.png"], [model_id => 'local-restore']));
	is($r->{status}, 200, "image $n stored") or diag $r->{raw};
	push @img, $r->{json};
}

sub sign {
	my ($path, $e) = @_;
	(my $sig = md5_base64("$e$path $secret")) =~ tr{+/}{-_};
	return "$path?e=$e&s=$sig";
}

sub forbidden {
	my ($url, $what) = @_;
	my $r = $s->request(GET => $url);
	is($r->{status}, 403, "$what: 403");
	is_deeply($r->{json}, { detail => 'Forbidden' }, "$what: JSON detail");
}

for my $u ($img[0]{original_url}, $img[0]{processed_url}) {
	my ($path, $e, $sig) = $u =~ m{^([^?]+)\?e=(\d+)&s=([\w-]+)$}
	    or BAIL_OUT("unexpected URL $u");
	is($s->request(GET => $u)->{status}, 200, "$path: valid URL loads");
	is(sign($path, $e), $u, "$path: s is base64url MD5 of e, path, key");
	forbidden($path, "$path: no signature");
	forbidden("$path?e=$e", "$path: no s");
	forbidden("$path?s=$sig", "$path: no e");
	(my $bad = $sig) =~ s/^(.)/$1 eq 'A' ? 'B' : 'A'/e;
	forbidden("$path?e=$e&s=$bad", "$path: forged s");
	forbidden("$path?e=" . ($e + 1) . "&s=$sig", "$path: e moved on");
	forbidden(sign($path, time - 10), "$path: expired");
	is($s->request(GET => sign($path, time + 600))->{status}, 200,
	    "$path: any unexpired signed URL loads");
}

# One file's signature does not open another.
my ($p0, $q0) = $img[0]{original_url} =~ m{^([^?]+)(\?.*)$};
my ($p1, $q1) = $img[1]{original_url} =~ m{^([^?]+)(\?.*)$};
forbidden("$p1$q0", 'image 1 with the signature of image 0');
my ($pp0) = $img[0]{processed_url} =~ m{^([^?]+)};
forbidden("$pp0$q0", 'processed file with the original\'s signature');
forbidden(sign('/uploads/', time + 600) =~ s{^/uploads/}{/uploads/1/}r,
    'a directory with a signature of the root');

# The key persists across a restart.
$s->script('stop');
my $out = $s->script('start');
is($?, 0, 'restarted') or diag $out;
is($s->request(GET => $img[0]{original_url})->{status}, 200,
    'a URL stays valid across a restart');
done_testing;
