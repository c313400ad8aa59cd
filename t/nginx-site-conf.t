#!/usr/bin/perl
# nginx/photorestore-site.conf, rendered with test paths and a dummy
# certificate into a temporary directory, passes `nginx -t`, and says what
# the production contract needs: TLS 1.2/1.3 only, the redirect, HSTS,
# a strict CSP, the other headers, upload and rate limits, the FastCGI
# sockets, the JSON error pages, the signed image locations and the
# internal X-Accel-Redirect locations.
use strict; use warnings;
use Test::More;
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use lib 't/lib';
use Stack;

plan skip_all => 'nginx not installed'
    unless system('nginx -v >/dev/null 2>&1') == 0;

my $src = "$Stack::TOP/nginx/photorestore-site.conf";
open(my $fh, '<', $src) or die "$src: $!";
my $site = do { local $/; <$fh> };
close $fh;
(my $code = $site) =~ s/#[^\n]*//g;	# directives only

# What the file must say.
like($code, qr/^\s*ssl_protocols TLSv1\.2 TLSv1\.3;/m, 'TLS 1.2 and 1.3 only');
like($code, qr/^\s*ssl_ciphers ECDHE-/m, 'forward-secret cipher list');
unlike($code, qr/ssl_ciphers[^;]*(?:RC4|3DES|CBC|SHA:|aNULL|MD5)/,
    'no weak suites');
unlike($code, qr/\bhttp2\b/,
    'no HTTP/2 (nginx answers its 413 there in HTML, ignoring error_page)');
like($code, qr/listen 80;.*?return 301 https:\/\/\$host\$request_uri;/s,
    'HTTP redirects to HTTPS');
like($code, qr/add_header Strict-Transport-Security "max-age=\d{8,}" always;/,
    'HSTS for at least a year');
my ($csp) = $code =~ /add_header Content-Security-Policy "([^"]+)" always;/;
ok($csp, 'a Content-Security-Policy');
like($csp // '', qr/(?:^|; )default-src 'self'(?:;|$)/, "default-src 'self'");
like($csp // '', qr/(?:^|; )img-src 'self' data: blob:(?:;|$)/,
    "img-src 'self' data: blob:");
unlike($csp // '', qr/unsafe-inline|unsafe-eval|\*/, 'no inline, no eval, no *');
like($code, qr/add_header X-Content-Type-Options nosniff always;/,
    'X-Content-Type-Options');
like($code, qr/add_header Referrer-Policy \S+ always;/, 'Referrer-Policy');
like($code, qr/location = \/api\/v1\/auth\/login \{[^}]*limit_req zone=/s,
    'login is rate limited');
like($code, qr/location = \/api\/v1\/restore \{[^}]*limit_req zone=/s,
    'restore is rate limited');
my ($upload) = $code =~
    /location = \/api\/v1\/restore \{[^}]*client_max_body_size (\d+)m;/s;
ok($upload, 'the restore location has its own body limit');
# conf/default.json: file_storage.max_upload_size_mb, plus the envelope.
open($fh, '<', "$Stack::TOP/conf/default.json") or die;
my ($mb) = do { local $/; <$fh> } =~ /"max_upload_size_mb":\s*(\d+)/;
close $fh;
ok($upload && $upload >= $mb && $upload <= $mb + 2,
    "body limit ${\($upload // '?')}m matches the ${mb} MiB upload limit");
for my $p (qw(auth users admin restore)) {
	like($code, qr{server unix:/run/photorestore/$p\.sock;},
	    "$p.fcgi over its systemd socket");
}
for my $s (400, 404, 405, 413, 429, 502, 503, 504) {
	like($code, qr{error_page $s /_err/$s;}, "JSON error page $s");
}
like($code, qr!location /uploads/ \{[^}]*secure_link_md5 "\$secure_link_expires\$uri \$photorestore_url_secret";!s,
    'uploads checked with secure_link');
like($code, qr!location /processed/ \{[^}]*secure_link_md5!s,
    'processed checked with secure_link');
like($code, qr!location /_protected/processed/ \{\s*internal;\s*alias /var/lib/photorestore/processed/;!s,
    'internal X-Accel-Redirect location');
like($code, qr!location /_protected/jobs/ \{\s*internal;\s*alias /var/lib/photorestore/jobs/;!s,
    'internal location for job zips');
like($code, qr!location = /api/openapi\.json \{[^}]*alias /usr/local/share/photorestore/openapi\.json;!s,
    'the OpenAPI document is served');
like($code, qr{include /var/lib/photorestore/nginx-url-secret\.conf;},
    'the URL key comes from the file photorestore-init writes');

# Render it for a temporary prefix and let nginx check it.
my $tmp = tempdir('photorestore-ngx-XXXXXX', TMPDIR => 1, CLEANUP => 1);
make_path(map { "$tmp/$_" } qw(tls state/uploads state/processed run log
    share/www acme));
system("openssl req -x509 -newkey rsa:2048 -nodes -days 2 " .
    "-subj /CN=photos.example.org -keyout '$tmp/tls/key.pem' " .
    "-out '$tmp/tls/cert.pem' >/dev/null 2>&1") == 0 or die 'openssl';
my %map = (
	'/etc/letsencrypt/live/photos.example.org/fullchain.pem' =>
	    "$tmp/tls/cert.pem",
	'/etc/letsencrypt/live/photos.example.org/privkey.pem' =>
	    "$tmp/tls/key.pem",
	'/var/lib/photorestore' => "$tmp/state",
	'/run/photorestore' => "$tmp/run",
	'/var/log/nginx' => "$tmp/log",
	'/usr/local/share/photorestore' => "$tmp/share",
	'/var/www/letsencrypt' => "$tmp/acme",
);
my $r = $site;
for my $k (sort { length $b <=> length $a } keys %map) {
	$r =~ s/\Q$k\E/$map{$k}/g;
}
(my $rcode = $r) =~ s/#[^\n]*//g;
my @left = $rcode =~ m{\s(/(?:etc|var|run|usr)/\S*)}g;
is_deeply(\@left, [], 'every absolute path was rendered');
open($fh, '>', "$tmp/site.conf") or die;
print $fh $r;
close $fh;
open($fh, '>', "$tmp/state/nginx-url-secret.conf") or die;
print $fh 'set $photorestore_url_secret ' . ('ab' x 32) . ";\n";
close $fh;
open($fh, '>', "$tmp/nginx.conf") or die;
print $fh <<"EOF";
pid $tmp/nginx.pid;
error_log $tmp/err.log;
events { worker_connections 64; }
http {
	types { text/html html; application/json json; image/png png; }
	client_body_temp_path $tmp/body;
	fastcgi_temp_path $tmp/fastcgi;
	proxy_temp_path $tmp/proxy;
	uwsgi_temp_path $tmp/uwsgi;
	scgi_temp_path $tmp/scgi;
	include $tmp/site.conf;
}
EOF
close $fh;
my $out = `nginx -t -p '$tmp' -c '$tmp/nginx.conf' -e '$tmp/err.log' 2>&1`;
is($?, 0, 'nginx -t accepts it') or diag $out;
like($out, qr/test is successful/, 'nginx says the test is successful');
unlike($out, qr/\[(?:warn|emerg|crit)\]/, 'without warnings') or diag $out;
done_testing;
