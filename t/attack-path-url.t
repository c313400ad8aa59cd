#!/usr/bin/perl
# Path traversal through URLs: dot segments, percent-encoded dots and
# slashes, double encoding, backslashes and alias tricks under
# /uploads/, /processed/, /assets/, /api/ and the root never serve a
# file from outside the served directories (the secret keys, the
# database, the nginx configuration, /etc/passwd), not even with a
# signature made with the real URL key for the traversing path; /api
# answers stay JSON.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Digest::MD5 qw(md5_base64);
use Attack qw(form png healthy raw_http);

my $s = Stack->start;
my $tok = $s->admin_token;
my %env = $s->cli('stack-env') =~ /^(PR_\w+)='([^']*)'$/mg;
my $secret = $env{PR_URL_SECRET};
ok(length($secret // '') >= 32, 'URL secret known');
my $r = $s->request(POST => '/api/v1/restore', token => $tok,
    form([file => png(8, 8), 'a.png', 'image/png'], [model_id => 'local-restore']));
is($r->{status}, 200, 'one stored image') or diag $r->{raw};
my ($valid) = $r->{json}{processed_url} =~ m{^([^?]+)};
my ($uid) = $valid =~ m{^/processed/(\d+)/};

# What must never come back.
my $vd = $s->vardir;
sub slurp { open my $f, '<:raw', $_[0] or return ''; local $/; scalar <$f> }
my %secrets = (
	'secret.key' => slurp("$vd/secret.key"),
	'url.key' => slurp("$vd/url.key"),
	'database' => 'SQLite format 3',
	'passwd' => 'root:x:0:0',
	'nginx.conf' => 'fastcgi_pass',
	'tls key' => 'PRIVATE KEY',
);

sub sign {
	my ($path, $e) = @_;
	(my $sig = md5_base64("$e$path $secret")) =~ tr{+/}{-_};
	return "$path?e=$e&s=$sig";
}

sub safe {
	my ($path, $what) = @_;
	my $res = raw_http($s, "GET $path HTTP/1.1\r\nHost: 127.0.0.1\r\n" .
	    "Connection: close\r\n\r\n");
	my $leak = join ', ', grep { length $secrets{$_} &&
	    index($res->{raw}, $secrets{$_}) >= 0 } sort keys %secrets;
	is($leak, '', "$what: nothing secret served ($res->{status})");
	ok($res->{status} =~ /^(?:200|400|403|404)$/ ||
	    ($path =~ m{^/api/} && $res->{status} == 401),
	    "$what: 200 (SPA page), 400, 403, 404 (or 401 under /api)")
	    or diag "$res->{status}";
	if ($res->{status} == 200) {
		like($res->{headers}{'content-type'} // '', qr{text/html},
		    "$what: a 200 can only be the SPA's index.html");
	}
	# A 200 here is the SPA: the path was normalised out of /api.
	if ($path =~ m{^/api/} && $res->{status} != 200) {
		like($res->{headers}{'content-type'} // '', qr{application/json},
		    "$what: /api errors are JSON");
	}
}

my @targets = ('secret.key', 'url.key', 'photorestore.db', 'nginx/nginx.conf',
    'tls/key.pem', '../../../../../../etc/passwd');
my @tricks = ('../', '..%2f', '%2e%2e/', '%2e%2e%2f', '%252e%252e%252f',
    '..%5c', '..\\', '.%2e/', '%2e./', '..;/', '..//', '%c0%ae%c0%ae/',
    '..%00/');
for my $base ('/uploads/', '/processed/', "/processed/$uid/", '/assets/',
    '/api/v1/', '/api/v1/restore/', '/') {
	for my $t (@tricks) {
		for my $f (@targets) {
			my $path = $base . ($t x 4) . $f;
			safe($path, $path);
		}
	}
}
# Alias off-by-slash: the locations end in '/', so these fall to the SPA.
safe('/uploads../url.key', 'alias off-by-slash /uploads..');
safe('/processed../secret.key', 'alias off-by-slash /processed..');
# A signature made with the real key over a traversing path.
for my $p ('/uploads/../secret.key', '/processed/../url.key',
    "/processed/$uid/../../photorestore.db", '/uploads/%2e%2e/secret.key') {
	safe(sign($p, time + 600), "signed $p");
}
# The valid image still loads.
is($s->request(GET => $r->{json}{processed_url})->{status}, 200,
    'the genuine signed URL still loads');
healthy($s);
done_testing;
