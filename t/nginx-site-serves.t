#!/usr/bin/perl
# The production nginx site (nginx/photorestore-site.conf), pointed at a
# running stack's sockets and state and started on loopback ports, serves
# the site: HTTP redirects to HTTPS; over TLS the API answers with HSTS,
# the CSP and the other headers; signed image URLs load and forged ones
# get a JSON 403; unknown /api paths, oversized uploads and login floods
# get nginx's JSON 404, 413 and 429; the OpenAPI document is served.
use strict; use warnings;
use Test::More;
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use JSON::PP;
use MIME::Base64 qw(decode_base64);
use lib 't/lib';
use Stack;

plan skip_all => 'nginx not installed'
    unless system('nginx -v >/dev/null 2>&1') == 0;

my $JPEG = decode_base64(<<'B64');
/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQY
GBcUFhYaHSUfGhsjHBYWICwgIyYnKSopGR8tMC0oMCUoKSj/2wBDAQcHBwoIChMKChMoGhYa
KCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCj/wAAR
CAAgADADASIAAhEBAxEB/8QAFgABAQEAAAAAAAAAAAAAAAAABgMI/8QAGxAAAwADAQEAAAAA
AAAAAAAAAAMFMWFiISL/xAAWAQEBAQAAAAAAAAAAAAAAAAAFBgj/xAAgEQABAwIHAAAAAAAA
AAAAAAARAAQSAwUTFSFBUYGR/9oADAMBAAIRAxEAPwDPSJ2hMidjwQonaJonY+Ssqvsi3nPo
D3lGsbjijUBHkTtCZE7QhRO5JonaD6r7It5z6A95VixuOKNQEeRO0JkTseCFE7RNE7kPqvsi
3nPoD3lWDG44o1ARxE7kTInciFE7kmidjwPqvsi3nPoD3lZhY3HFGoCPInaEyJ2PBCidomid
yHVX2Rbzn0B7yrFjccUahHkTuRMidoQonaJonY+Q+q+yLec+gPeVYMbjijUBf//Z
B64

my $s = Stack->start;
my $v = $s->vardir;
my $tmp = tempdir('photorestore-ngs-XXXXXX', TMPDIR => 1, CLEANUP => 1);
make_path("$tmp/tls", "$tmp/log", "$tmp/acme");
system("openssl req -x509 -newkey rsa:2048 -nodes -days 2 " .
    "-subj /CN=photos.example.org -keyout '$tmp/tls/key.pem' " .
    "-out '$tmp/tls/cert.pem' >/dev/null 2>&1") == 0 or die 'openssl';

# What photorestore-init.service writes.
open(my $fh, '<', "$v/url.key") or die "url.key: $!";
chomp(my $key = <$fh>);
close $fh;
open($fh, '>', "$tmp/url-secret.conf") or die;
print $fh "set \$photorestore_url_secret $key;\n";
close $fh;

my ($http, $https) = (Stack::free_port(), Stack::free_port());
open($fh, '<', "$Stack::TOP/nginx/photorestore-site.conf") or die;
my $site = do { local $/; <$fh> };
close $fh;
my %map = (
	'/etc/letsencrypt/live/photos.example.org/fullchain.pem' =>
	    "$tmp/tls/cert.pem",
	'/etc/letsencrypt/live/photos.example.org/privkey.pem' =>
	    "$tmp/tls/key.pem",
	'/var/lib/photorestore/nginx-url-secret.conf' => "$tmp/url-secret.conf",
	'/var/lib/photorestore' => $v,
	'/run/photorestore' => "$v/run",
	'/var/log/nginx' => "$tmp/log",
	'/usr/local/share/photorestore/www' => "$Stack::TOP/www",
	'/usr/local/share/photorestore/openapi.json' =>
	    "$Stack::TOP/openapi.json",
	'/var/www/letsencrypt' => "$tmp/acme",
);
for my $k (sort { length $b <=> length $a } keys %map) {
	$site =~ s/\Q$k\E/$map{$k}/g;
}
$site =~ s/^\s*listen \[::\]:\d+.*\n//mg;
$site =~ s/listen 80;/listen 127.0.0.1:$http;/;
$site =~ s/listen 443 ssl;/listen 127.0.0.1:$https ssl;/;
open($fh, '>', "$tmp/site.conf") or die;
print $fh $site;
close $fh;
# Root's stack keeps its state private to root: let nginx be root too.
my $user = $> == 0 ? 'user root root;' : '';
open($fh, '>', "$tmp/nginx.conf") or die;
print $fh <<"EOF";
$user
pid $tmp/nginx.pid;
error_log $tmp/log/error.log;
events { worker_connections 64; }
http {
	types { text/html html; application/javascript js; text/css css;
	    application/json json; image/png png; image/jpeg jpg jpeg; }
	default_type application/octet-stream;
	client_body_temp_path $tmp/body;
	fastcgi_temp_path $tmp/fastcgi;
	proxy_temp_path $tmp/proxy;
	uwsgi_temp_path $tmp/uwsgi;
	scgi_temp_path $tmp/scgi;
	include $tmp/site.conf;
}
EOF
close $fh;
my $out = `nginx -p '$tmp' -c '$tmp/nginx.conf' -e '$tmp/log/error.log' 2>&1`;
is($?, 0, 'nginx starts with the site') or BAIL_OUT($out);
END {
	if ($tmp && open(my $p, '<', "$tmp/nginx.pid")) {
		chomp(my $pid = <$p>);
		kill 'QUIT', $pid if $pid;
	}
}
for (1 .. 50) { last if -s "$tmp/nginx.pid"; select(undef, undef, undef, 0.1) }

# curl(1): (status, {lower-case header => value}, body).
my $n = 0;
sub get {
	my ($url, @opt) = @_;
	$n++;
	my $code = `curl -sk --max-time 20 -o '$tmp/b$n' -D '$tmp/h$n' -w '%{http_code}' @opt '$url'`;
	open(my $h, '<', "$tmp/h$n") or return ($code, {}, '');
	my %h;
	while (<$h>) {
		s/\r?\n$//;
		$h{lc $1} = $2 if /^([\w-]+):\s*(.*)$/;
	}
	close $h;
	open(my $b, '<:raw', "$tmp/b$n") or return ($code, \%h, '');
	my $body = do { local $/; <$b> } // '';
	close $b;
	return ($code, \%h, $body);
}
my $base = "https://127.0.0.1:$https";
my $json = JSON::PP->new->utf8;

my ($c, $h, $b) = get("http://127.0.0.1:$http/login?x=1");
is($c, 301, 'HTTP answers with a redirect');
is($h->{location}, "https://127.0.0.1/login?x=1", 'to the same URL on HTTPS');

($c, $h, $b) = get("$base/api/v1/health");
is($c, 200, 'the API answers over TLS');
is($json->decode($b)->{status}, 'healthy', 'healthy');
like($h->{'strict-transport-security'} // '', qr/max-age=\d+/, 'HSTS');
like($h->{'content-security-policy'} // '', qr/default-src 'self'/, 'CSP');
is($h->{'x-content-type-options'}, 'nosniff', 'nosniff');
ok($h->{'referrer-policy'}, 'Referrer-Policy');

($c, $h, $b) = get("$base/history");
is($c, 200, 'a deep link gets the frontend');
like($b, qr/<html/i, 'index.html');
like($h->{'content-security-policy'} // '', qr/img-src 'self' data: blob:/,
    'with the CSP');

($c, $h, $b) = get("$base/api/nope");
is($c, 404, 'unknown /api path');
is($b, '{"detail":"Not Found"}', 'JSON 404');

($c, $h, $b) = get("$base/api/openapi.json");
is($c, 200, 'OpenAPI document served');
like($h->{'content-type'}, qr{^application/json}, 'as JSON');

# Log in and restore through the production site.
open($fh, '>', "$tmp/login.json") or die;
print $fh '{"username":"admin","password":"Admin-Pass-123"}';
close $fh;
($c, $h, $b) = get("$base/api/v1/auth/login", '-H',
    "'Content-Type: application/json'", '--data-binary', "'\@$tmp/login.json'");
is($c, 200, 'login over TLS') or diag $b;
my $tok = eval { $json->decode($b)->{access_token} } // '';
open($fh, '>:raw', "$tmp/photo.jpg") or die;
print $fh $JPEG;
close $fh;
($c, $h, $b) = get("$base/api/v1/restore", '-H', "'Authorization: Bearer $tok'",
    '-F', "'file=\@$tmp/photo.jpg;type=image/jpeg'", '-F',
    'model_id=local-restore');
is($c, 200, 'restore through the site') or diag $b;
my $res = eval { $json->decode($b) } // {};
($c, $h, $b) = get("$base$res->{original_url}");
is($c, 200, 'the signed image URL loads');
is($b, $JPEG, 'the original bytes');
is($h->{'cache-control'}, 'private, max-age=3600', 'private cache');
like($h->{'strict-transport-security'} // '', qr/max-age/,
    'HSTS on images too');
(my $forged = $res->{original_url} // '') =~ s/s=[^&]*/s=AAAAAAAAAAAAAAAAAAAAAA/;
($c, $h, $b) = get("$base$forged");
is($c, 403, 'a forged signature is refused');
is($b, '{"detail":"Forbidden"}', 'with JSON');
($c, $h, $b) = get("$base/api/v1/restore/$res->{id}/download", '-H',
    "'Authorization: Bearer $tok'");
is($c, 200, 'download through X-Accel-Redirect');
like($h->{'content-type'} // '', qr{^image/}, 'an image');

# Too big for the restore location: nginx's own JSON 413.
open($fh, '>:raw', "$tmp/big") or die;
print $fh "\0" x (12 * 1024 * 1024);
close $fh;
($c, $h, $b) = get("$base/api/v1/restore", '-H', "'Authorization: Bearer $tok'",
    '-H', "'Content-Type: multipart/form-data; boundary=x'",
    '--data-binary', "'\@$tmp/big'");
is($c, 413, 'a 12 MiB body is refused by nginx');
# (HTTP/2 would answer this one in HTML: the site does not offer it.)
is($b, '{"detail":"Request body too large"}', 'with JSON');

# A flood of logins (distinct names, so the application's own limit does
# not trigger): nginx answers 429 once the burst is spent (30 a minute,
# burst 10: well before 60 attempts, however slow the machine).
my ($limited, $app429) = (0, 0);
open($fh, '>', "$tmp/bad.json") or die;
for my $i (1 .. 60) {
	seek($fh, 0, 0);
	truncate($fh, 0);
	print $fh qq({"username":"flood$i","password":"x"});
	$fh->flush;
	($c, $h, $b) = get("$base/api/v1/auth/login", '-H',
	    "'Content-Type: application/json'", '--data-binary',
	    "'\@$tmp/bad.json'");
	$limited++ if $c == 429 && !exists $h->{'x-ratelimit-limit'};
	$app429++ if $c == 429 && exists $h->{'x-ratelimit-limit'};
	if ($c == 429 && !exists $h->{'x-ratelimit-limit'}) {
		is($b, '{"detail":"Too many requests"}', 'nginx 429 is JSON');
		ok($h->{'retry-after'}, 'with Retry-After');
		last;
	}
}
close $fh;
is($limited, 1, 'nginx limits login attempts per address');
is($app429, 0, 'before the application had to');
done_testing;
