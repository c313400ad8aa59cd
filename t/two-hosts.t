#!/usr/bin/perl
# Two app hosts behind one nginx (issue 11, docs/scale-out.md): two
# independent sets of FastCGI workers, each with its own VARDIR (started
# with NGINX=0), sharing one PostgreSQL database, one image directory and
# the same keys, behind ONE nginx whose upstreams hold both hosts' socket
# per program.  That nginx also listens on one port per host that reaches
# only that host's workers, so the test can choose where a request goes.
#
# Checked: an account made on A logs in on B; a session made on A is
# revoked through B and refused everywhere; the login rate limit counts
# failures from both hosts together; an image restored on A is downloaded
# through B; the shared upstream spreads requests over both hosts and
# keeps serving when one host's workers stop; the database password is
# in no log.
use strict; use warnings;
use Test::More;
use File::Temp qw(tempdir);
use MIME::Base64 qw(decode_base64);
use lib 't/lib';
use Pg;
use Stack;

Pg::require_server();
system('nginx -v >/dev/null 2>&1') == 0 or plan skip_all => 'no nginx';

my $pg = Pg->start;
my $url = $pg->createdb('shared');
my $shared = tempdir('two-hosts-shared-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $front = tempdir('two-hosts-nginx-XXXXXX', TMPDIR => 1, CLEANUP => 1);
mkdir "$shared/$_" for qw(uploads processed);
mkdir "$front/log";
my $va = tempdir('two-hosts-a-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $vb = tempdir('two-hosts-b-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my %env = (DATABASE_URL => $url, SECRET_KEY => 'two-hosts-secret-' . 'k' x 32,
    UPLOAD_DIR => "$shared/uploads", PROCESSED_DIR => "$shared/processed",
    LOG_LEVEL => 'info', NGINX => 0);

# Host A first: it creates url.key, which B must share (it signs the
# image URLs that the one nginx checks).
my $a = Stack->start(vardir => $va, env => { %env });
ok(-S "$va/run/auth.sock", 'host A: workers only, sockets in its VARDIR');
ok(!-e "$va/run/nginx.pid", 'host A: no nginx of its own');
system('cp', '-p', "$va/url.key", "$vb/url.key") == 0 or die 'cp url.key';
my $b = Stack->start(vardir => $vb, env => { %env });
ok(-S "$vb/run/auth.sock", 'host B: workers up');

# The one nginx: host A's rendered configuration with both hosts in
# every upstream, plus a port per host.
my ($P, $PA, $PB) = map { Stack::free_port() } 1 .. 3;
open(my $fh, '<', "$va/nginx/nginx.conf") or die "$va/nginx/nginx.conf: $!";
my $conf = do { local $/; <$fh> };
close $fh;
$conf =~ s{\Q$va\E/run/nginx\.pid}{$front/nginx.pid};
$conf =~ s{\Q$va\E/log/}{$front/log/}g;
$conf =~ s{\Q$va\E/nginx/}{$front/}g;
my $n = $conf =~ s{upstream (\w+)_fcgi \{ server unix:\Q$va\E/run/(\w+)\.sock; \}}{
	"upstream $1_fcgi { server unix:$va/run/$2.sock; " .
	"server unix:$vb/run/$2.sock; }\n" .
	"\tupstream $1_a { server unix:$va/run/$2.sock; }\n" .
	"\tupstream $1_b { server unix:$vb/run/$2.sock; }\n" .
	"\tmap \$server_port \$up_$1 { default $1_fcgi; $PA $1_a; $PB $1_b; }"
}ge;
is($n, 4, 'four upstreams, each with both hosts');
$conf =~ s{fastcgi_pass (\w+)_fcgi;}{fastcgi_pass \$up_$1;}g;
my $http = $a->{http_port};
$conf =~ s{listen 127\.0\.0\.1:$http;}{listen 127.0.0.1:$P;
		listen 127.0.0.1:$PA;
		listen 127.0.0.1:$PB;} or die 'no listen line';
open($fh, '>', "$front/nginx.conf") or die;
print $fh $conf;
close $fh;
my @ng = ('nginx', '-p', $front, '-c', "$front/nginx.conf", '-e',
    "$front/log/error.log");
system(@ng, '-q', '-t') == 0 or die "bad nginx configuration";
system(@ng) == 0 or die 'nginx did not start';
my $ngpid;
for (1 .. 50) {
	if (open(my $p, '<', "$front/nginx.pid")) {
		chomp($ngpid = <$p> // '');
		last if $ngpid;
	}
	select(undef, undef, undef, 0.1);
}
END {
	if ($ngpid) {
		kill 'QUIT', $ngpid;
		for (1 .. 50) {
			last unless kill 0, $ngpid;
			select(undef, undef, undef, 0.1);
		}
		kill 'KILL', $ngpid if kill 0, $ngpid;
	}
}
# Clients of one port each: Stack's HTTP helpers without a stack.
my ($both, $viaA, $viaB) = map { bless { http_port => $_, pid => 0,
    stopped => 1 }, 'Stack' } $P, $PA, $PB;
for (1 .. 50) {
	last if ($both->request(GET => '/api/v1/health')->{status} // 0) == 200;
	select(undef, undef, undef, 0.1);
}
is($viaA->request(GET => '/api/v1/health')->{status}, 200, 'health via A');
is($viaB->request(GET => '/api/v1/health')->{status}, 200, 'health via B');
is($viaB->request(GET => '/api/v1/health')->{json}{status}, 'healthy',
    'B reports healthy');

# Accounts: made on A, used on B.
my $admin = $viaA->admin_token;
ok($admin, 'the seed admin logs in on A');
ok($viaB->admin_token, 'and on B (one seed admin for both)');
$viaA->create_user($admin, username => 'dora');
my $tok = $viaA->login('dora', 'User-Pass-123');
ok($tok, 'dora, made on A, logs in on A');
ok($viaB->login('dora', 'User-Pass-123'), 'and on B');
is($viaA->request(GET => '/api/v1/users/me', token => $tok)->{status}, 200,
    "A's token works on A");
is($viaB->request(GET => '/api/v1/users/me', token => $tok)->{status}, 200,
    "A's token works on B");

# Revocation through B is seen by A at once.
my $keep = $viaB->login('dora', 'User-Pass-123');
my $sid = Stack::jwt_payload($tok)->{session_id};
is($viaB->request(DELETE => "/api/v1/users/me/sessions/$sid",
    token => $keep)->{status}, 204, 'the session made on A is revoked via B');
for ([$viaA, 'A'], [$viaB, 'B'], [$both, 'the shared upstream']) {
	my $r = $_->[0]->request(GET => '/api/v1/users/me', token => $tok);
	is($r->{status}, 401, "the revoked token is refused on $_->[1]");
}
is($viaA->request(GET => '/api/v1/users/me', token => $keep)->{status}, 200,
    'the other session still works on A');

# The login rate limit counts failures made on both hosts.
for my $i (1 .. 5) {
	my $c = $i % 2 ? $viaA : $viaB;
	is($c->request(POST => '/api/v1/auth/login', json => { username =>
	    'dora', password => "Wrong-$i" })->{status}, 401,
	    'failure ' . $i . ' via ' . ($i % 2 ? 'A' : 'B'));
}
for ([$viaA, 'A'], [$viaB, 'B']) {
	is($_->[0]->request(POST => '/api/v1/auth/login', json => {
	    username => 'dora', password => 'User-Pass-123' })->{status}, 429,
	    "locked on $_->[1] after 3 failures on A and 2 on B");
}

# Images: restored on A, downloaded through B from the shared directory.
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
my $bd = 'two-hosts-boundary-4711';
my $body = "--$bd\r\nContent-Disposition: form-data; name=\"file\"; " .
    "filename=\"scan.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n$JPEG\r\n" .
    "--$bd\r\nContent-Disposition: form-data; name=\"model_id\"\r\n\r\n" .
    "local-restore\r\n--$bd--\r\n";
my $r = $viaA->request(POST => '/api/v1/restore', token => $keep,
    body => $body, headers => { 'Content-Type' =>
    "multipart/form-data; boundary=$bd" });
is($r->{status}, 200, 'restored on A') or diag $r->{raw};
my $id = $r->{json}{id} // 0;
my ($prel) = ($r->{json}{processed_url} // '') =~ m{^/processed/([^?]+)};
ok($prel && -s "$shared/processed/$prel", 'the result is in the shared '
    . 'image directory');
my $d = $viaB->request(GET => "/api/v1/restore/$id/download", token => $keep);
is($d->{status}, 200, 'downloaded through B');
is(substr($d->{raw} // '', 0, 3), "\xff\xd8\xff", 'a JPEG');
is($viaB->request(GET => $r->{json}{processed_url} // '/')->{status}, 200,
    "A's signed URL loads (same url.key)");
$r = $viaB->request(GET => '/api/v1/restore/history', token => $keep);
is($r->{status}, 200, 'history on B');
like($r->{raw} // '', qr/scan\.jpg/, 'lists the image made on A');

# The shared upstream spreads requests over both hosts.
$both->request(GET => '/api/v1/health') for 1 .. 30;
sub served {
	my ($vardir) = @_;
	open(my $l, '<', "$vardir/log/photorestore.log") or return 0;
	return scalar grep { m{GET /api/v1/health 200} } <$l>;
}
my ($sa, $sb) = (served($va), served($vb));
ok($sa > 1 && $sb > 1, "both hosts served the shared upstream ($sa, $sb)");

# One host stops: the other keeps serving the same sessions.
$a->stop;
ok(!-e "$va/run/auth.sock", "host A's workers are gone");
my $ok = 0;
for (1 .. 10) {
	$ok++ if $both->request(GET => '/api/v1/users/me', token => $keep)
	    ->{status} == 200;
}
is($ok, 10, 'the shared upstream still answers every request (via B)');
is($viaA->request(GET => '/api/v1/health')->{status}, 502,
    "A's own port has nobody behind it");

# The database URL's password is in no log.
my $leak = 0;
for my $f (glob("$va/log/* $vb/log/* $front/log/*")) {
	open(my $l, '<', $f) or next;
	local $/;
	$leak++ if index(<$l> // '', $pg->password) >= 0;
}
is($leak, 0, 'the database password is in no log file');

$b->stop;
done_testing;
