#!/usr/bin/perl
#
# fakeprovider.pl: a fake HuggingFace Inference + Replicate server for the
# provider tests.  Core modules only; listens on 127.0.0.1 and never
# touches the network beyond that.
#
# Usage: perl t/lib/fakeprovider.pl [port]
#   Prints the port it listens on (a free one when none is given) as the
#   first line on standard output, then serves, one process per connection,
#   until killed.
#
# Environment:
#   FAKEPROV_LOG    request log (default /dev/null): one line per request,
#                   tab-separated: METHOD, PATH, auth=<Authorization or ->,
#                   ctype=<Content-Type or ->, prefer=<Prefer or ->,
#                   len=<body bytes>, then what was understood of the body
#                   (mode=raw|json, params=..., image_param=..., datauri=...,
#                   version=...).  The image received is written to
#                   FAKEPROV_LOG.input (decoded from base64 where needed).
#   FAKEPROV_SLOW   seconds the "slow" behaviour sleeps (default 5)
#   FAKEPROV_POLLS  polls before a Replicate prediction succeeds (default 2)
#   FAKEPROV_HUGE   bytes of the "huge" answers (default 2 MiB)
#
# Paths (point api_url at http://127.0.0.1:PORT/hf or .../r):
#   POST /hf/<owner>/<behaviour>                    HuggingFace
#   POST /r/models/<owner>/<behaviour>/predictions  Replicate
#   POST /r/predictions   {"version": "<behaviour>"} Replicate, by version
#   GET  /r/predictions/<id>, POST /r/predictions/<id>/cancel
#   GET  /files/out.png | garbage.bin | huge.png | missing.png
#
# Behaviours (the model name's last segment):
#   ok, slow, 429 (always, Retry-After: 1), 429-once, 429-long
#   (Retry-After: 120), 503-loading (estimated_time 1), 503-once, 404, 410,
#   401, 403, 422, 500, garbage (200, not an image), json (200 JSON),
#   huge (Content-Length over the cap), huge-chunked (no length), close
#   (connection closed without an answer); Replicate also: sync (done at
#   once, output a string), failed, canceled, stuck (never finishes),
#   offsite (urls.get on another host), output-404.  Counters ("once",
#   polls) come from the log, so give each test its own log.

use strict;
use warnings;

use Fcntl qw(:flock);
use IO::Socket::INET;
use JSON::PP;
use MIME::Base64 qw(decode_base64);

my $port = shift // 0;
my $log = $ENV{FAKEPROV_LOG} // '/dev/null';
my $slow = $ENV{FAKEPROV_SLOW} // 5;
my $npolls = $ENV{FAKEPROV_POLLS} // 2;
my $huge = $ENV{FAKEPROV_HUGE} // 2 * 1024 * 1024;
my $json = JSON::PP->new->canonical(1);

my %reason = (100 => 'Continue', 200 => 'OK', 201 => 'Created',
    400 => 'Bad Request', 401 => 'Unauthorized', 403 => 'Forbidden',
    404 => 'Not Found', 410 => 'Gone', 411 => 'Length Required',
    413 => 'Payload Too Large', 422 => 'Unprocessable Entity',
    429 => 'Too Many Requests', 500 => 'Internal Server Error',
    503 => 'Service Unavailable');

# --- a tiny valid PNG: stored (uncompressed) deflate, CRC-32 and Adler-32

sub crc32 {
	my $crc = 0xffffffff;
	for my $b (unpack 'C*', $_[0]) {
		$crc ^= $b;
		$crc = $crc & 1 ? ($crc >> 1) ^ 0xedb88320 : $crc >> 1
		    for 1 .. 8;
	}
	return $crc ^ 0xffffffff;
}

sub adler32 {
	my ($s1, $s2) = (1, 0);
	for (unpack 'C*', $_[0]) {
		$s1 = ($s1 + $_) % 65521;
		$s2 = ($s2 + $s1) % 65521;
	}
	return ($s2 << 16) | $s1;
}

sub pngchunk {
	my ($type, $data) = @_;
	return pack('N', length $data) . $type . $data .
	    pack('N', crc32($type . $data));
}

sub png {
	my ($w, $h) = @_;
	my $raw = '';
	for my $y (0 .. $h - 1) {
		$raw .= "\0";
		for my $x (0 .. $w - 1) {
			$raw .= pack 'C3', ($x * 37) % 256, ($y * 53) % 256,
			    128;
		}
	}
	my $len = length $raw;
	my $z = "\x78\x01\x01" . pack('v', $len) . pack('v', ~$len & 0xffff) .
	    $raw . pack('N', adler32($raw));
	return "\x89PNG\r\n\x1a\n" .
	    pngchunk('IHDR', pack('NNCCCCC', $w, $h, 8, 2, 0, 0, 0)) .
	    pngchunk('IDAT', $z) . pngchunk('IEND', '');
}

my $PNG = png(8, 6);

# --- HTTP

sub respond {
	my ($c, $code, $body, %h) = @_;
	my $out = "HTTP/1.1 $code " . ($reason{$code} // 'Status') . "\r\n";
	$h{'Content-Type'} //= 'application/json';
	$h{'Content-Length'} = length $body unless exists $h{'Content-Length'};
	delete $h{'Content-Length'} unless defined $h{'Content-Length'};
	$out .= "$_: $h{$_}\r\n" for sort keys %h;
	$out .= "Connection: close\r\n\r\n";
	print $c $out, $body;
}

sub jsonresp {
	my ($c, $code, $obj, %h) = @_;
	respond($c, $code, $json->encode($obj), %h);
}

# Append the request to the log; returns how many requests (this one
# included) the log holds for the same method and path.
sub logreq {
	my ($method, $path, $h, $blen, @info) = @_;
	my $line = join("\t", $method, $path,
	    'auth=' . ($h->{authorization} // '-'),
	    'ctype=' . ($h->{'content-type'} // '-'),
	    'prefer=' . ($h->{prefer} // '-'), "len=$blen", @info) . "\n";
	$line =~ s/[^\t\n\x20-\x7e]/?/g;
	open my $fh, '>>', $log or die "$log: $!";
	flock $fh, LOCK_EX;
	my $n = 1;
	if (open my $in, '<', $log) {
		while (<$in>) {
			$n++ if index($_, "$method\t$path\t") == 0;
		}
		close $in;
	}
	print $fh $line;
	close $fh;
	return $n;
}

sub saveinput {
	return if $log eq '/dev/null';
	open my $fh, '>', "$log.input" or return;
	binmode $fh;
	print $fh $_[0];
	close $fh;
}

sub readreq {
	my ($c) = @_;
	my $buf = '';
	while ($buf !~ /\r\n\r\n/) {
		my $n = sysread $c, $buf, 65536, length $buf;
		return if !$n || length $buf > 65536;
	}
	my ($head, $rest) = split /\r\n\r\n/, $buf, 2;
	my ($reqline, @lines) = split /\r\n/, $head;
	my ($method, $path) = $reqline =~ m{^(\S+) (\S+) HTTP/1\.[01]$}
	    or return;
	my %h;
	for (@lines) {
		my ($k, $v) = /^([^:]+):\s*(.*?)\s*$/ or next;
		$h{lc $k} = $v;
	}
	if (($h{'transfer-encoding'} // '') ne '') {
		respond($c, 411, '{"error":"no chunked bodies here"}');
		return;
	}
	my $len = $h{'content-length'} // 0;
	if ($len !~ /^\d+$/ || $len > 64 * 1024 * 1024) {
		respond($c, 413, '{"error":"too large"}');
		return;
	}
	print $c "HTTP/1.1 100 Continue\r\n\r\n"
	    if lc($h{expect} // '') eq '100-continue';
	while (length $rest < $len) {
		my $n = sysread $c, $rest, $len - length $rest, length $rest;
		return if !$n;
	}
	return ($method, $path, \%h, substr($rest, 0, $len));
}

# --- HuggingFace

sub hf {
	my ($c, $h, $body, $b, $n) = @_;	# $b: the behaviour

	return jsonresp($c, 429, { error => 'Rate limit reached' },
	    'Retry-After' => 1)
	    if $b eq '429' || ($b eq '429-once' && $n == 1);
	return jsonresp($c, 429, { error => 'Rate limit reached' },
	    'Retry-After' => 120) if $b eq '429-long';
	return jsonresp($c, 503, { error => "Model fake/$b is currently " .
	    'loading', estimated_time => 1.0 })
	    if $b eq '503-loading' || ($b eq '503-once' && $n == 1);
	return jsonresp($c, 404, { error => "Model fake/$b does not exist" })
	    if $b eq '404';
	return jsonresp($c, 410, { error => 'Model is no longer served' })
	    if $b eq '410';
	return jsonresp($c, 401,
	    { error => 'Invalid credentials in Authorization header' })
	    if $b eq '401';
	return jsonresp($c, 403, { error => 'Forbidden' }) if $b eq '403';
	return jsonresp($c, 500, { error => 'Internal error' }) if $b eq '500';
	return respond($c, 200, 'this is not an image at all',
	    'Content-Type' => 'image/png') if $b eq 'garbage';
	return jsonresp($c, 200, [{ generated_text => 'no image' }])
	    if $b eq 'json';
	return ok_png($c);
}

sub ok_png {
	respond($_[0], 200, $PNG, 'Content-Type' => 'image/png');
}

sub huge {
	my ($c, $chunked) = @_;
	my $body = substr($PNG, 0, 16) . ("\0" x ($huge - 16));
	if ($chunked) {
		# Close-delimited: no length announced, the cap must catch it.
		print $c "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n" .
		    "Connection: close\r\n\r\n";
		for (my $o = 0; $o < length $body; $o += 65536) {
			print $c substr($body, $o, 65536) or last;
		}
		return;
	}
	respond($c, 200, $body, 'Content-Type' => 'image/png');
}

# --- Replicate

sub prediction {
	my ($base, $id, $status, %more) = @_;
	return { id => $id, status => $status, output => undef, error => undef,
	    input => {}, urls => { get => "$base/r/predictions/$id",
	    cancel => "$base/r/predictions/$id/cancel" }, %more };
}

sub rep_create {
	my ($c, $base, $b, $n) = @_;

	return jsonresp($c, 404, { detail => 'The requested resource could ' .
	    'not be found.', status => 404, title => 'Not found' })
	    if $b eq '404';
	return jsonresp($c, 401, { detail => 'Invalid token.', status => 401,
	    title => 'Unauthenticated' }) if $b eq '401';
	return jsonresp($c, 422, { detail => "- input.image: Does not match " .
	    "format 'uri'", status => 422, title => 'Input validation failed' })
	    if $b eq '422';
	return jsonresp($c, 429, { detail => 'Request was throttled.',
	    status => 429 }, 'Retry-After' => 1)
	    if $b eq '429' || ($b eq '429-once' && $n == 1);
	return jsonresp($c, 500, { detail => 'Internal server error' })
	    if $b eq '500';
	return respond($c, 201, 'this is not json') if $b eq 'garbage-json';
	my $id = "$b-$n";
	return jsonresp($c, 201, prediction($base, $id, 'succeeded',
	    output => "$base/files/out.png")) if $b eq 'sync';
	my $p = prediction($base, $id, 'starting');
	$p->{urls}{get} = "http://203.0.113.9/r/predictions/$id"
	    if $b eq 'offsite';
	return jsonresp($c, 201, $p);
}

sub rep_get {
	my ($c, $base, $id, $n) = @_;
	my ($b) = $id =~ /^(.*)-\d+$/ or return jsonresp($c, 404, {});

	return jsonresp($c, 200, prediction($base, $id, 'failed',
	    error => 'CUDA out of memory')) if $b eq 'failed';
	return jsonresp($c, 200, prediction($base, $id, 'canceled'))
	    if $b eq 'canceled';
	return jsonresp($c, 200, prediction($base, $id, 'processing'))
	    if $b eq 'stuck' || $n < $npolls;
	my %file = (garbage => 'garbage.bin', huge => 'huge.png',
	    'output-404' => 'missing.png');
	my $f = $file{$b} // 'out.png';
	return jsonresp($c, 200, prediction($base, $id, 'succeeded',
	    output => $b eq 'ok' ? ["$base/files/$f"] : "$base/files/$f"));
}

# What the JSON bodies say, for the log (and the input image, saved).
sub understand {
	my ($path, $h, $body) = @_;
	my @info;
	my $ct = lc($h->{'content-type'} // '');
	if ($ct =~ m{^image/}) {
		saveinput($body);
		return ('mode=raw');
	}
	return () unless $ct eq 'application/json';
	my $j = eval { $json->decode($body) };
	return ('json=invalid') unless ref $j eq 'HASH';
	if (exists $j->{inputs}) {
		push @info, 'mode=json';
		push @info, 'params=' . $json->encode($j->{parameters} // {});
		saveinput(decode_base64($j->{inputs} // ''));
	}
	push @info, "version=$j->{version}" if defined $j->{version};
	if (ref $j->{input} eq 'HASH') {
		my $in = $j->{input};
		for my $k (sort keys %$in) {
			next unless !ref $in->{$k} &&
			    $in->{$k} =~ m{^data:([^;,]+);base64,(.*)$}s;
			my ($mime, $data) = ($1, decode_base64($2));
			push @info, "image_param=$k", "datauri=$mime";
			saveinput($data);
		}
		my %rest = map { $_ => $in->{$_} }
		    grep { ref $in->{$_} || $in->{$_} !~ /^data:/ } keys %$in;
		push @info, 'input=' . $json->encode(\%rest);
	}
	return @info;
}

sub serve {
	my ($c) = @_;
	alarm 60;
	binmode $c;
	my ($method, $path, $h, $body) = readreq($c) or return;
	my $base = 'http://' . ($h->{host} // '127.0.0.1');
	my $n = logreq($method, $path, $h, length $body,
	    understand($path, $h, $body));
	my ($hf) = $path =~ m{^/hf/[\w.-]+/([\w.-]+)$};
	my ($rep) = $path =~ m{^/r/models/[\w.-]+/([\w.-]+)/predictions$};
	my $beh = $hf // $rep // '';
	sleep $slow if $beh eq 'slow';
	return if $beh eq 'close';
	if ($method eq 'POST' && defined $hf) {
		return huge($c, $hf eq 'huge-chunked') if $hf =~ /^huge/;
		return hf($c, $h, $body, $hf, $n);
	}
	if ($method eq 'POST' && defined $rep) {
		return rep_create($c, $base, $rep, $n);
	}
	if ($method eq 'POST' && $path eq '/r/predictions') {
		my $j = eval { $json->decode($body) } // {};
		return rep_create($c, $base, $j->{version} // 'none', $n);
	}
	if ($method eq 'GET' && $path =~ m{^/r/predictions/([\w.-]+)$}) {
		return rep_get($c, $base, $1, $n);
	}
	if ($method eq 'POST' &&
	    $path =~ m{^/r/predictions/([\w.-]+)/cancel$}) {
		return jsonresp($c, 200, prediction($base, $1, 'canceled'));
	}
	return ok_png($c) if $method eq 'GET' && $path eq '/files/out.png';
	return respond($c, 200, "GIF89a, or not\n",
	    'Content-Type' => 'application/octet-stream')
	    if $method eq 'GET' && $path eq '/files/garbage.bin';
	return huge($c, 0) if $method eq 'GET' && $path eq '/files/huge.png';
	return jsonresp($c, 404, { error => 'not found' });
}

my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
    LocalPort => $port, Listen => 32, ReuseAddr => 1, Proto => 'tcp')
    or die "fakeprovider: listen on 127.0.0.1:$port: $!\n";
$| = 1;
print $srv->sockport, "\n";
open STDOUT, '>', '/dev/null';
$SIG{CHLD} = 'IGNORE';
$SIG{PIPE} = 'IGNORE';
for (;;) {
	my $c = $srv->accept or next;
	my $pid = fork;
	if (!defined $pid) {
		close $c;
		next;
	}
	if ($pid == 0) {
		close $srv;
		serve($c);
		close $c;
		exit 0;
	}
	close $c;
}
