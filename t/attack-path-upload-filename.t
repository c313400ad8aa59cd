#!/usr/bin/perl
# Path traversal through the upload's filename: whatever the client
# names its file ("../../etc/passwd.png", absolute paths, backslashes,
# encoded dots and slashes, very long names), it is only metadata: the
# answer is the contract's (200, or a 400 for a name without a usable
# extension), the files on disk get server-made names under the upload
# and processed directories, nothing is written anywhere else, and the
# download's Content-Disposition stays one well-formed header.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use File::Find;
use Time::HiRes qw(sleep);
use Attack qw(form png healthy paced);

my $s = Stack->start;
my $tok = $s->admin_token;
my $vd = $s->vardir;
my $marker = 'prattack' . $$;

sub files_named {
	my ($re, @dirs) = @_;
	my @hit;
	find({ wanted => sub { push @hit, $File::Find::name if /$re/ },
	    no_chdir => 1 }, grep { -d } @dirs);
	return @hit;
}

my @names = (
	"../../etc/passwd.png", "../../../../../../tmp/$marker.png",
	"/tmp/$marker-abs.png", "..\\..\\..\\$marker-win.png",
	"uploads/../../$marker-mid.png", "%2e%2e%2f%2e%2e%2f$marker-enc.png",
	"..%2f..%2f$marker-enc2.png", "....//....//$marker-dots.png",
	"./.././$marker-dot.png", "~/$marker-home.png",
	"a" x 200 . ".png", "$marker\".png", "x\"; filename*=UTF-8''evil.exe; x=\".png",
	"con.png", ".png.png", "$marker .png",
);
my $png = png(8, 8);
for my $fn (@names) {
	(my $n = $fn) =~ s/[^\x20-\x7e]/?/g;
	$n = substr($n, 0, 60);
	sleep 0.25;
	my $r = $s->request(POST => '/api/v1/restore', token => $tok,
	    form([file => $png, $fn, 'image/png'], [model_id => 'local-restore']));
	ok($r->{status} == 200 || $r->{status} == 400 || $r->{status} == 422,
	    "[$n]: 200, 400 or 422") or diag "$r->{status} $r->{raw}";
	ok(ref $r->{json} eq 'HASH', "[$n]: JSON answer") or diag $r->{raw};
	next unless $r->{status} == 200;
	is($r->{json}{original_filename}, $fn, "[$n]: the name is echoed as sent");
	my $g = $s->request(GET => "/api/v1/restore/$r->{json}{id}", token => $tok);
	for my $k (qw(original_path processed_path)) {
		like($g->{json}{$k} // '', qr{^[0-9]+/[0-9a-f-]{36}\.(?:png|jpg)$},
		    "[$n]: $k is server-made") or diag $g->{raw};
	}
	for my $k (qw(original_url processed_url)) {
		like($r->{json}{$k}, qr{^/(?:uploads|processed)/[0-9]+/[0-9a-f-]{36}\.(?:png|jpg)\?e=\d+&s=[\w-]+$},
		    "[$n]: $k has no trace of the client's name");
	}
	my $d = $s->request(GET => "/api/v1/restore/$r->{json}{id}/download",
	    token => $tok);
	is($d->{status}, 200, "[$n]: download 200");
	my $cd = $d->{headers}{'content-disposition'} // '';
	like($cd, qr{^attachment; filename="[\x20\x21\x23-\x5b\x5d-\x7e]*"(?:; filename\*=UTF-8''[A-Za-z0-9!#\$&+\-.^_`|~%]*)?$},
	    "[$n]: Content-Disposition is one well-formed value") or diag $cd;
}
my @escaped = files_named(qr/\Q$marker\E/, '/tmp', $Stack::TOP, "$vd/..",
    '/etc');
@escaped = grep { !m{^\Q$vd\E/} } @escaped;
is_deeply(\@escaped, [], 'no file named after the client outside VARDIR');
my @inside = files_named(qr/\Q$marker\E|passwd|evil/, $vd);
is_deeply(\@inside, [], 'and none inside it either');
healthy($s);
done_testing;
