# t/lib/Attack.pm: helpers shared by the attack and fault tests
# (t/attack-*.t, t/fault-*.t): forged tokens, the database seen from
# outside, image and form builders, and the contract's error checks.
# Core Perl modules only; everything talks to 127.0.0.1.
package Attack;

use strict;
use warnings;
use Exporter qw(import);
use Compress::Zlib qw(compress crc32);
use Digest::SHA qw(hmac_sha256 hmac_sha512);
use JSON::PP;
use MIME::Base64 qw(encode_base64 decode_base64);
use Test::More;
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(sleep);

our @EXPORT_OK = qw(b64u secret_key sign_raw sign_claims sql db_state
    healthy form png jpeg is_error is_401 is_422 paced rejected_everywhere
    accepted_everywhere raw_http @AUTH_ROUTES @SQLI same_db qenc run_load
    children_of png_chunk);

my $json = JSON::PP->new->utf8->canonical;

sub b64u {
	my $x = encode_base64($_[0], '');
	$x =~ tr{+/}{-_};
	$x =~ s/=+$//;
	return $x;
}

# The stack's HS256 key (VARDIR/secret.key, made by the first start).
sub secret_key {
	my ($s) = @_;
	open(my $fh, '<:raw', $s->vardir . '/secret.key') or die "secret: $!";
	local $/;
	my $k = <$fh>;
	close $fh;
	return $k;
}

# A token from raw header and payload texts (so duplicate keys and odd
# shapes survive), signed with HMAC-SHA256 (or $alg 'HS512') under $key.
sub sign_raw {
	my ($key, $hdr, $payload, $alg) = @_;
	my $si = b64u($hdr) . '.' . b64u($payload);
	my $mac = ($alg // 'HS256') eq 'HS512' ? hmac_sha512($si, $key) :
	    hmac_sha256($si, $key);
	return "$si." . b64u($mac);
}

# The same from a claims hash with the standard header.
sub sign_claims {
	my ($key, $claims, $hdr) = @_;
	return sign_raw($key, $hdr // '{"alg":"HS256","typ":"JWT"}',
	    $json->encode($claims));
}

# Run SQL on the stack's database with the sqlite3 command (read-mostly;
# a 5 s busy timeout).  Returns the output lines.
sub sql {
	my ($s, $q) = @_;
	my $db = $s->vardir . '/photorestore.db';
	open(my $fh, '-|', 'sqlite3', '-cmd', '.timeout 5000', $db, $q)
	    or die "sqlite3: $!";
	my @o = <$fh>;
	close $fh or die "sqlite3 failed: $q";
	chomp @o;
	return @o;
}

# A summary of the database that any injected statement would change:
# integrity, the tables, row counts, the users and their roles.
sub db_state {
	my ($s) = @_;
	my @ic = sql($s, 'PRAGMA integrity_check');
	my @t = sql($s, "SELECT name FROM sqlite_master WHERE type IN " .
	    "('table','index','trigger','view') ORDER BY name");
	my @tables = sql($s, "SELECT name FROM sqlite_master WHERE " .
	    "type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name");
	my %n = map { $_ => (sql($s, "SELECT count(*) FROM \"$_\""))[0] }
	    @tables;
	my @u = sql($s, "SELECT id, username, email, role, is_active, " .
	    "hashed_password, full_name FROM users ORDER BY id");
	return { integrity => "@ic", objects => \@t, counts => \%n,
	    users => \@u };
}

# GET /api/v1/health answers 200 healthy.
sub healthy {
	my ($s, $what) = @_;
	my $r = $s->request(GET => '/api/v1/health');
	ok($r->{status} == 200 && ($r->{json}{status} // '') eq 'healthy',
	    ($what // 'site') . ': /api/v1/health still 200 healthy')
	    or diag "$r->{status} $r->{raw}";
}

# A multipart/form-data body from [name, value, filename, type] parts.
sub form {
	my $b = '----prattack' . join('', map { int rand 10 } 1 .. 24);
	my $body = '';
	for my $p (@_) {
		my ($n, $v, $fn, $ct) = @$p;
		$body .= "--$b\r\nContent-Disposition: form-data; name=\"$n\"";
		$body .= "; filename=\"$fn\"" if defined $fn;
		$body .= "\r\n";
		$body .= "Content-Type: $ct\r\n" if defined $ct;
		$body .= "\r\n$v\r\n";
	}
	$body .= "--$b--\r\n";
	return (body => $body,
	    headers => { 'Content-Type' => "multipart/form-data; boundary=$b" });
}

sub png_chunk {
	my ($t, $d) = @_;
	return pack('N', length $d) . $t . $d . pack('N', crc32($t . $d));
}

# A grey 8-bit PNG of w x h pixels.  %o: idat => raw IDAT bytes instead
# of the real compressed rows, ihdr_w/ihdr_h => other declared sizes.
sub png {
	my ($w, $h, %o) = @_;
	my $raw = ("\0" . ("\x80" x $w)) x $h;
	my $idat = $o{idat} // compress($raw, 9);
	return "\x89PNG\r\n\x1a\n" .
	    png_chunk('IHDR', pack('NNCCCCC', $o{ihdr_w} // $w,
	    $o{ihdr_h} // $h, 8, 0, 0, 0, 0)) .
	    png_chunk('IDAT', $idat) . png_chunk('IEND', '');
}

# A 48x32 baseline JPEG (made by the project's own encoder).
sub jpeg {
	return decode_base64(<<'B64');
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
}

# An answer is the contract's JSON error: status, {"detail": ...}, and
# (when given) that exact detail text.
sub is_error {
	my ($r, $status, $detail, $what) = @_;
	my $ok = is($r->{status}, $status, "$what: $status");
	like($r->{headers}{'content-type'} // '', qr{^application/json},
	    "$what: JSON") or diag $r->{raw};
	ok(ref $r->{json} eq 'HASH' && exists $r->{json}{detail},
	    "$what: {\"detail\": ...}") or diag $r->{raw};
	is($r->{json}{detail}, $detail, "$what: detail") or diag $r->{raw}
	    if defined $detail;
	return $ok;
}

# The 401 of API.md §0 with WWW-Authenticate: Bearer.
sub is_401 {
	my ($r, $detail, $what) = @_;
	is_error($r, 401, $detail, $what);
	is($r->{headers}{'www-authenticate'}, 'Bearer',
	    "$what: WWW-Authenticate: Bearer");
}

# A 422 validation answer whose first entry has that type (and loc).
sub is_422 {
	my ($r, $type, $what, $loc) = @_;
	is_error($r, 422, undef, $what);
	my $d = ref $r->{json} eq 'HASH' ? $r->{json}{detail} : undef;
	ok(ref $d eq 'ARRAY' && @$d > 0, "$what: a list of problems")
	    or return diag $r->{raw};
	is($d->[0]{type}, $type, "$what: type $type") or diag $r->{raw}
	    if defined $type;
	is_deeply($d->[0]{loc}, $loc, "$what: loc") or diag $r->{raw}
	    if defined $loc;
}

# SQL injection payloads: quotes, comments, stacked statements, UNION,
# boolean and time tricks, LIKE wildcards, ATTACH, unicode quotes.
our @SQLI = (
	"' OR '1'='1", "' OR 1=1 --", "admin' --", "admin'/*", '" OR ""="',
	"1; DROP TABLE users; --", "'; DELETE FROM sessions; --",
	"' UNION SELECT id, username, password_hash FROM users --",
	"1' AND (SELECT count(*) FROM sqlite_master) > 0 --",
	"'||(SELECT password_hash FROM users LIMIT 1)||'",
	"%' --", '%', '_', '\\', "' OR ''='", '`', "1 OR 1=1", 'NULL',
	"');ATTACH DATABASE '/tmp/pr-attack-pwn.db' AS pwn;--",
	"1' AND randomblob(1000000000) --",
	"\x{2019} OR 1=1 --", "' OR 1=1 LIMIT 1 OFFSET 1 --",
);

# Percent-encode a (Unicode) string for a query string or path segment.
sub qenc {
	my ($v) = @_;
	utf8::encode($v) if utf8::is_utf8($v);
	$v =~ s/([^A-Za-z0-9_.~-])/sprintf('%%%02X', ord $1)/ge;
	return $v;
}

# The database is unchanged where an attack must not reach: integrity,
# the schema objects, and every user row (roles and hashes included).
sub same_db {
	my ($s, $before, $what) = @_;
	my $now = db_state($s);
	is($now->{integrity}, 'ok', "$what: PRAGMA integrity_check ok");
	is_deeply($now->{objects}, $before->{objects},
	    "$what: no table, index or trigger added or dropped");
	is_deeply($now->{users}, $before->{users},
	    "$what: every user row unchanged");
	ok(!-e '/tmp/pr-attack-pwn.db', "$what: no ATTACHed database file");
	return $now;
}

# One authenticated GET per FastCGI program that checks tokens.
our @AUTH_ROUTES = ('/api/v1/auth/me', '/api/v1/users/me',
    '/api/v1/admin/users', '/api/v1/restore/history');

# The token is refused with the 401 (default "Could not validate
# credentials") on every route of @AUTH_ROUTES.
sub rejected_everywhere {
	my ($s, $tok, $what, $detail) = @_;
	for my $p (@AUTH_ROUTES) {
		# Raw when HTTP::Tiny would refuse the header value.
		my $r = $tok =~ /[^\x21-\x7e]/ ?
		    raw_http($s, "GET $p HTTP/1.1\r\nHost: 127.0.0.1\r\n" .
		    "Authorization: Bearer $tok\r\nConnection: close\r\n\r\n") :
		    $s->request(GET => $p,
		    headers => { Authorization => "Bearer $tok" });
		is_401($r, $detail // 'Could not validate credentials',
		    "$what: GET $p");
	}
}

# The token works on every route of @AUTH_ROUTES (an admin's): the
# forging harness itself is right.
sub accepted_everywhere {
	my ($s, $tok, $what) = @_;
	for my $p (@AUTH_ROUTES) {
		my $r = $s->request(GET => $p,
		    headers => { Authorization => "Bearer $tok" });
		is($r->{status}, 200, "$what: GET $p 200") or diag $r->{raw};
	}
}

# Send bytes exactly as given (HTTP::Tiny refuses odd header values,
# lying Content-Lengths and the like) and read the answer until the
# server closes.  $req is the whole request text; returns {status,
# headers (lower-case names), raw, json}.  Bounded by $timeout seconds.
sub raw_http {
	my ($s, $req, $timeout) = @_;
	$timeout //= 20;
	my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $s->{http_port}, Proto => 'tcp', Timeout => 5)
	    or die "connect: $!";
	$sock->autoflush(1);
	# A peer that answers early and closes may cut the send short.
	local $SIG{PIPE} = 'IGNORE';
	my $off = 0;
	while ($off < length $req) {
		my $n = syswrite($sock, $req, 65536, $off);
		last unless defined $n && $n > 0;
		$off += $n;
	}
	my $buf = '';
	my $deadline = time + $timeout;
	my $rin = '';
	vec($rin, fileno($sock), 1) = 1;
	while (time < $deadline) {
		my $rout = $rin;
		last unless select($rout, undef, undef, 1) >= 0;
		next unless vec($rout, fileno($sock), 1);
		my $n = sysread($sock, $buf, 65536, length $buf);
		last unless $n;
	}
	close $sock;
	my ($head, $body) = split /\r\n\r\n/, $buf, 2;
	my %h;
	my ($status) = ($head // '') =~ m{^HTTP/1\.[01] (\d{3})};
	for my $l (split /\r\n/, $head // '') {
		$h{lc $1} = $2 if $l =~ /^([^:]+):\s*(.*)$/;
	}
	my $res = { status => $status // 0, headers => \%h, raw => $body // '' };
	if (($h{'content-type'} // '') =~ m{application/json}) {
		$res->{json} = eval { $json->decode($body) };
	}
	return $res;
}

# Drive load from $clients forked processes for $seconds: each calls
# $next->($client, $n) for its n-th request, which returns (METHOD, PATH,
# request options) or () to pause 50 ms.  Returns a list of hashes
# {client, method, path, status, t0, t1, json} for every request, in
# completion order per client.  Bounded: every request has a 30 s timeout
# and a client stops at the deadline.
sub run_load {
	my ($s, $seconds, $clients, $next) = @_;
	require File::Temp;
	my $dir = File::Temp::tempdir(CLEANUP => 1);
	my @pids;
	for my $c (1 .. $clients) {
		my $pid = fork;
		die "fork: $!" unless defined $pid;
		if ($pid == 0) {
			open(my $out, '>', "$dir/$c") or POSIX::_exit(1);
			my $deadline = Time::HiRes::time() + $seconds;
			my $n = 0;
			while (Time::HiRes::time() < $deadline) {
				my @req = $next->($c, $n++);
				if (!@req) { sleep 0.05; next; }
				my ($m, $p, %o) = @req;
				my $t0 = Time::HiRes::time();
				my $r = $s->request($m => $p, timeout => 30, %o);
				my $t1 = Time::HiRes::time();
				print $out $json->encode({ client => $c, method => $m,
				    path => $p, status => $r->{status}, t0 => $t0,
				    t1 => $t1, json => $r->{json} }), "\n";
			}
			close $out;
			require POSIX;
			POSIX::_exit(0);
		}
		push @pids, $pid;
	}
	waitpid($_, 0) for @pids;
	my @res;
	for my $c (1 .. $clients) {
		open(my $in, '<', "$dir/$c") or next;
		while (<$in>) { push @res, $json->decode($_) }
		close $in;
	}
	return @res;
}

# The pids of a process's children (from /proc), sorted.
sub children_of {
	my ($ppid) = @_;
	my @kids;
	# Linux keeps the list itself (CONFIG_PROC_CHILDREN): much faster
	# than reading every /proc/*/stat on a busy machine.
	if (open(my $c, '<', "/proc/$ppid/task/$ppid/children")) {
		my $l = <$c> // '';
		close $c;
		return sort { $a <=> $b } split ' ', $l;
	}
	for my $st (glob '/proc/[0-9]*/stat') {
		open(my $f, '<', $st) or next;
		my $l = <$f> // '';
		close $f;
		push @kids, $1 if $l =~ /^(\d+) \(.*\) \S (\d+) / && $2 == $ppid;
	}
	return sort { $a <=> $b } @kids;
}

# Sleep so that requests stay under nginx's limit_req (login 10 r/s,
# restore 5 r/s, with bursts).
sub paced { sleep($_[0] // 0.12) }

1;
