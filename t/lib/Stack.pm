# t/lib/Stack.pm: start a private photorestore stack (nginx and the
# FastCGI programs) on free loopback ports under a temporary VARDIR, talk
# to it, and stop it by pid.  Core Perl modules only.
package Stack;

use strict;
use warnings;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use Scalar::Util ();

our %LIVE;	# running stacks by address (weak references)
use HTTP::Tiny;
use IO::Socket::INET;
use JSON::PP;

our $TOP = abs_path(dirname(__FILE__) . '/../..');
our $BUILD = ($ENV{BUILD} // 'build') =~ m{^/} ? $ENV{BUILD} :
    "$TOP/" . ($ENV{BUILD} // 'build');
our $ADMIN_USER = 'admin';
our $ADMIN_PASS = 'Admin-Pass-123';
my $json = JSON::PP->new->utf8->allow_nonref;

sub free_port {
	my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
	    LocalPort => 0, Proto => 'tcp', ReuseAddr => 1) or die "socket: $!";
	my $p = $s->sockport;
	close $s;
	return $p;
}

# Stack->start(env => {NAME => value}, vardir => dir): returns the stack.
sub start {
	my ($class, %o) = @_;
	my $self = bless {
		vardir => $o{vardir} // tempdir('photorestore-t-XXXXXX',
		    TMPDIR => 1, CLEANUP => 1),
		env => {
			CONFIG_DIR => "$TOP/conf",
			PBKDF2_ITERATIONS => 1000,
			AUTH_USERNAME => $ADMIN_USER,
			AUTH_PASSWORD => $ADMIN_PASS,
			AUTH_EMAIL => 'admin@example.com',
			AUTH_FULL_NAME => 'Site Admin',
			LOG_LEVEL => 'warning',
			%{ $o{env} // {} },
		},
		pid => $$,
	}, $class;
	# STACK_EXTRA_ENV="NAME ...": hand these variables of the test's own
	# environment to the stack too, unless the test sets them itself
	# (t/pg-http-suite.t runs the HTTP tests with DATABASE_URL this way).
	for my $k (split ' ', $ENV{STACK_EXTRA_ENV} // '') {
		next if !defined $ENV{$k} || exists(($o{env} // {})->{$k});
		$self->{env}{$k} = $ENV{$k};
	}
	for my $try (1 .. 3) {
		$self->{http_port} = free_port();
		$self->{https_port} = free_port();
		my $out = $self->script('start');
		$self->{start_output} = $out;
		if ($? == 0) {
			$self->remember_pids;
			Scalar::Util::weaken($LIVE{"$self"} = $self);
			return $self;
		}
		$self->script('stop');
		die "stack did not start:\n$out" if $try == 3 ||
		    $out !~ /in use|bind|did not answer/;
	}
}

sub env_prefix {
	my ($self) = @_;
	my %e = (%{ $self->{env} }, VARDIR => $self->{vardir},
	    HTTP_PORT => $self->{http_port}, HTTPS_PORT => $self->{https_port});
	return join(' ', map {
		my $v = $e{$_}; $v =~ s/'/'\\''/g; "$_='$v'" } sort keys %e);
}

# Run scripts/stack with the stack's environment; returns its output.
sub script {
	my ($self, @args) = @_;
	my $cmd = $self->env_prefix . " sh $TOP/scripts/stack " .
	    join(' ', @args) . ' 2>&1';
	return scalar `$cmd`;
}

# Run the photorestore command; returns its output ($? is set).
sub cli {
	my ($self, @args) = @_;
	my $cmd = $self->env_prefix . " $BUILD/bin/photorestore " .
	    join(' ', map { my $a = $_; $a =~ s/'/'\\''/g; "'$a'" } @args) .
	    ' 2>&1';
	return scalar `$cmd`;
}

sub base { "http://127.0.0.1:$_[0]{http_port}" }
sub vardir { $_[0]{vardir} }

# request(METHOD, PATH, json => data | body => bytes, token => jwt,
# headers => {...}): returns {status, headers, raw, json}.
sub request {
	my ($self, $method, $path, %o) = @_;
	my %h = %{ $o{headers} // {} };
	$h{Authorization} = "Bearer $o{token}" if defined $o{token};
	my %args = (headers => \%h);
	if (exists $o{json}) {
		$args{content} = $json->encode($o{json});
		$h{'Content-Type'} //= 'application/json';
	} elsif (defined $o{body}) {
		$args{content} = $o{body};
	}
	my $http = HTTP::Tiny->new(timeout => $o{timeout} // 60,
	    max_redirect => 0);
	my $r = $http->request($method, $self->base . $path, \%args);
	my $res = { status => $r->{status}, headers => $r->{headers},
	    raw => $r->{content} };
	if (($r->{headers}{'content-type'} // '') =~ m{application/json}) {
		$res->{json} = eval { $json->decode($r->{content}) };
	}
	return $res;
}

sub login {
	my ($self, $user, $pass, %extra) = @_;
	my $r = $self->request(POST => '/api/v1/auth/login',
	    json => { username => $user, password => $pass, %extra },
	    headers => $extra{headers} // {});
	return $r->{status} == 200 ? $r->{json}{access_token} : undef;
}

sub admin_token { $_[0]->login($ADMIN_USER, $ADMIN_PASS) }

# Create a user through the admin API; returns the UserResponse.
sub create_user {
	my ($self, $admin, %u) = @_;
	my $r = $self->request(POST => '/api/v1/admin/users', token => $admin,
	    json => { email => "$u{username}\@example.com",
	    full_name => "User $u{username}", password => 'User-Pass-123',
	    password_must_change => JSON::PP::false, %u });
	die "create_user: $r->{status} $r->{raw}" unless $r->{status} == 201;
	return $r->{json};
}

# The top-level keys of a JSON object text, in order.
sub key_order {
	my ($raw) = @_;
	my @keys;
	my $depth = 0;
	my $expect_key = 0;
	while ($raw =~ /\G\s*(?:("(?:\\.|[^"\\])*")|([{\[])|([}\]])|(,)|(:)|([^,:{}\[\]"\s]+))/gc) {
		if (defined $1) {
			push @keys, $json->decode($1) if $depth == 1 && $expect_key;
			$expect_key = 0;
		} elsif (defined $2) {
			$depth++;
			$expect_key = ($2 eq '{' && $depth == 1);
		} elsif (defined $3) {
			$depth--;
		} elsif (defined $4) {
			$expect_key = 1 if $depth == 1;
		}
	}
	return @keys;
}

# Decode a JWT payload without checking it (as the React client does).
sub jwt_payload {
	my ($tok) = @_;
	my (undef, $p) = split /\./, $tok;
	$p =~ tr/-_/+\//;
	$p .= '=' x ((4 - length($p) % 4) % 4);
	require MIME::Base64;
	return $json->decode(MIME::Base64::decode_base64($p));
}

# The pids of the stack's processes (nginx, the FastCGI masters, the
# jobs worker), read once started: stop() can then end them even when
# the VARDIR holding the pid files is gone.
sub remember_pids {
	my ($self) = @_;
	my @p;
	for my $f (glob "$self->{vardir}/run/*.pid") {
		open(my $fh, '<', $f) or next;
		my $pid = <$fh>;
		push @p, $1 if defined $pid && $pid =~ /^(\d+)/;
	}
	$self->{pids} = \@p;
}

sub stop {
	my ($self) = @_;
	return if $self->{stopped} || $self->{pid} != $$;
	$self->{stopped} = 1;
	delete $LIVE{"$self"};
	if (-d "$self->{vardir}/run") {
		$self->script('stop');
		return;
	}
	# No pid files left (the directory was emptied first): signal the
	# processes we saw start, then make sure.  A restart in the test may
	# have replaced some; those still carry this VARDIR in their
	# environment, which is what the sweep below looks for.
	my @p = @{ $self->{pids} // [] };
	for my $d (glob '/proc/[0-9]*') {
		my ($pid) = $d =~ m{(\d+)$};
		next if $pid == $$;
		open(my $fh, '<', "$d/environ") or next;
		local $/;
		my $env = <$fh> // '';
		push @p, $pid if index($env, "\0VARDIR=$self->{vardir}\0") >= 0 ||
		    index($env, "VARDIR=$self->{vardir}\0") == 0;
	}
	kill 'TERM', @p if @p;
	for (1 .. 50) {
		last unless grep { kill 0, $_ } @p;
		select(undef, undef, undef, 0.1);
	}
	kill 'KILL', @p if @p;
}

sub DESTROY { $_[0]->stop }

# File::Temp removes the temporary VARDIRs in its own END block, which
# runs before global destruction would call DESTROY on a test's
# file-scoped stack: stop every stack still running here first (END
# blocks run last-defined first, and this one comes after File::Temp's).
END {
	my $st = $?;
	$_->stop for grep { defined } values %LIVE;
	$? = $st;
}

1;
