# t/lib/Jobs.pm: helpers for the background-job tests (issue 10): test
# photos, multipart bodies, submitting and polling jobs.  Core Perl only.
package Jobs;

use strict;
use warnings;
use Time::HiRes qw(sleep time);
use MIME::Base64 qw(decode_base64);
use Stack;
use Attack ();

our $PHOTOS = "$Stack::TOP/../shared/testdata/photos";

# A 48x32 JPEG made by the project's own encoder (as t/restore-local-ok.t).
our $JPEG = decode_base64(<<'B64');
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

sub slurp {
	my ($f) = @_;
	open my $fh, '<', $f or die "$f: $!";
	binmode $fh;
	local $/;
	return scalar <$fh>;
}

sub photo { slurp("$PHOTOS/$_[0]") }

# A multipart/form-data body from [name, value, filename, type] parts.
sub form {
	my $b = '----prtest' . join('', map { int rand 10 } 1 .. 24);
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

# Submit files ([bytes, name], ...) as a job; returns the response.
sub submit {
	my ($s, $tok, $model, @files) = @_;
	return $s->request(POST => '/api/v1/jobs', token => $tok,
	    form((map { [file => $_->[0], $_->[1],
	    $_->[1] =~ /png$/i ? 'image/png' : 'image/jpeg'] } @files),
	    [model_id => $model]));
}

# Poll GET /api/v1/jobs/{id} until the job is over (or timeout seconds);
# returns the last job and the list of every answer seen.
sub wait_job {
	my ($s, $tok, $id, $timeout) = @_;
	my $end = time + ($timeout // 180);
	my @seen;
	while (1) {
		my $r = $s->request(GET => "/api/v1/jobs/$id", token => $tok);
		die "GET job $id: $r->{status} $r->{raw}" unless $r->{status} == 200;
		push @seen, $r->{json};
		return ($r->{json}, \@seen)
		    if $r->{json}{status} =~ /^(done|failed|cancelled)$/ ||
		    time > $end;
		sleep 0.25;
	}
}

# The pids of the worker: the master (pid file) and its children.
sub worker_pids {
	my ($s) = @_;
	my $pf = $s->vardir . '/run/worker.pid';
	my @kids;
	# The master forks its children once the database is open and
	# migrated: wait for them (slow under sanitizers and on PostgreSQL).
	for my $try (1 .. 100) {
		open my $fh, '<', $pf or return ();
		chomp(my $m = <$fh> // '');
		return () unless $m =~ /^\d+$/ && kill 0, $m;
		@kids = Attack::children_of($m);
		return ($m, @kids) if @kids || $try == 100;
		select(undef, undef, undef, 0.1);
	}
}

# Start t/lib/fakeprovider.pl on a free port with its own request log;
# returns (port, log).  It is stopped when the test ends.
our ($fake, $fpid);
sub fake_provider {
	my (%o) = @_;
	require File::Temp;
	my $tmp = File::Temp::tempdir(CLEANUP => 1);
	local $ENV{FAKEPROV_LOG} = "$tmp/fake.log";
	local $ENV{FAKEPROV_SLOW} = $o{slow} // 5;
	$fpid = open($fake, '-|', $^X, "$Stack::TOP/t/lib/fakeprovider.pl")
	    or die "fakeprovider: $!";
	chomp(my $port = <$fake> // '');
	die "fakeprovider did not start" unless $port =~ /^\d+$/;
	return ($port, "$tmp/fake.log");
}
END { kill 'TERM', $fpid if $fpid }

# Lines of the fake's log that start with prefix ("POST\t/hf/fake/ok\t").
sub fake_count {
	my ($log, $prefix) = @_;
	open my $fh, '<', $log or return 0;
	return scalar grep { index($_, $prefix) == 0 } <$fh>;
}

# A CONFIG_DIR whose default.json is ours with HuggingFace models "hf-<b>"
# for each fake behaviour b (model "fake/<b>"), no retries, and the
# given "processing" and "api_providers.huggingface" members.
sub config_dir {
	my (%o) = @_;
	require File::Temp;
	require JSON::PP;
	my $dir = File::Temp::tempdir(CLEANUP => 1);
	my $js = JSON::PP->new->canonical(1);
	my $cfg = $js->decode(slurp("$Stack::TOP/conf/default.json"));
	my @models = grep { $_->{id} eq 'local-restore' } @{ $cfg->{models} };
	for my $b (@{ $o{hf} // [] }) {
		push @models, { id => "hf-$b", name => "HF $b",
		    model => "fake/$b", provider => 'huggingface',
		    category => 'upscale', description => "fake $b",
		    parameters => {}, tags => [], version => undef,
		    enabled => JSON::PP::true() };
	}
	$cfg->{models} = \@models;
	$cfg->{api_providers}{huggingface}{retry_attempts} = 0;
	$cfg->{api_providers}{huggingface}{retry_delay_seconds} = 0;
	%{ $cfg->{api_providers}{huggingface} } =
	    (%{ $cfg->{api_providers}{huggingface} }, %{ $o{hfcfg} // {} });
	%{ $cfg->{processing} } = (%{ $cfg->{processing} },
	    %{ $o{processing} // {} });
	open my $fh, '>', "$dir/default.json" or die;
	print $fh $js->encode($cfg);
	close $fh or die;
	return $dir;
}

# Read a zip (stored or deflated entries listed in the central
# directory): returns [name, data] pairs; data only for stored entries.
sub unzip_entries {
	my ($z) = @_;
	my $eocd = rindex($z, "PK\x05\x06");
	die "no end of central directory" if $eocd < 0;
	my ($n, $cdsize, $cdoff) = unpack('v V V', substr($z, $eocd + 10, 10));
	my @out;
	my $p = $cdoff;
	for (1 .. $n) {
		die "bad central directory" unless substr($z, $p, 4) eq "PK\x01\x02";
		my ($method, $csize, $usize, $nlen, $xlen, $clen, $loff) =
		    unpack('v x8 V V v v v x8 V', substr($z, $p + 10, 36));
		my $name = substr($z, $p + 46, $nlen);
		$p += 46 + $nlen + $xlen + $clen;
		die "bad local header" unless substr($z, $loff, 4) eq "PK\x03\x04";
		my ($lnlen, $lxlen) = unpack('v v', substr($z, $loff + 26, 4));
		my $data = $method == 0 ?
		    substr($z, $loff + 30 + $lnlen + $lxlen, $csize) : undef;
		push @out, [$name, $data, $method, $usize];
	}
	return @out;
}

1;
