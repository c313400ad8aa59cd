# t/lib/Pg.pm: a private PostgreSQL server for one test (issue 11).
#
#   use Pg;
#   Pg::require_server();		# skip_all when the package is missing
#   my $pg = Pg->start;
#   my $url = $pg->createdb('t1');	# postgresql://prtest:...@127.0.0.1:P/t1
#   $pg->psql('t1', 'SELECT 1');	# output of psql -At
#   $pg->restart; $pg->stop;		# stop also happens at exit
#
# initdb + pg_ctl from the Debian "postgresql" package, in a temporary
# directory: listening on 127.0.0.1 only, on a free port, its Unix socket
# in the same directory, password (SCRAM) authentication, fsync off.  No
# system service is touched.  The server never runs as root: when the test
# does, it runs as PG_TEST_USER (default "postgres", the package's user).
# It is stopped by its pid.  Core Perl modules only.
package Pg;

use strict;
use warnings;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use POSIX qw(:sys_wait_h);

my @live;

# The newest installed server's bin directory, or undef.
sub bindir {
	my @d = sort { ($b =~ m{/(\d+)/bin$})[0] <=> ($a =~ m{/(\d+)/bin$})[0] }
	    grep { -x "$_/initdb" && -x "$_/pg_ctl" && -x "$_/postgres" }
	    glob('/usr/lib/postgresql/*/bin');
	return $d[0];
}

sub available { defined bindir() }

# In a Test::More test: skip everything, saying why, without a server.
sub require_server {
	return if available();
	Test::More::plan(skip_all => 'PostgreSQL is not installed (Debian '
	    . 'package "postgresql": apt-get install postgresql)');
}

sub free_port {
	my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
	    LocalPort => 0, Proto => 'tcp', ReuseAddr => 1) or die "socket: $!";
	my $p = $s->sockport;
	close $s;
	return $p;
}

# Run a server program as the server's user, in its directory; returns
# the exit status, output in $self->{out}.
sub run_as {
	my ($self, @cmd) = @_;
	pipe(my $r, my $w) or die "pipe: $!";
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		close $r;
		open(STDOUT, '>&', $w) or POSIX::_exit(127);
		open(STDERR, '>&', $w) or POSIX::_exit(127);
		open(STDIN, '<', '/dev/null') or POSIX::_exit(127);
		chdir $self->{dir} or POSIX::_exit(127);
		if (defined $self->{user}) {
			{ exec('runuser', '-u', $self->{user}, '--', @cmd) };
		} else {
			{ exec(@cmd) };
		}
		POSIX::_exit(127);
	}
	close $w;
	local $/;
	$self->{out} = <$r> // '';
	close $r;
	waitpid($pid, 0);
	return $?;
}

# Pg->start(%opt): a running server.  Dies with the server's log when it
# cannot start.
sub start {
	my ($class, %o) = @_;
	my $bin = bindir() or die "PostgreSQL is not installed\n";
	my $dir = tempdir('photorestore-pg-XXXXXX', TMPDIR => 1,
	    CLEANUP => 1);
	my $self = bless { bin => $bin, dir => $dir, owner => $$,
	    user => undef, dbuser => 'prtest' }, $class;
	# A password with characters that need care in a URL's user info.
	my @c = ('a'..'z', 'A'..'Z', 0..9);
	$self->{password} = 'Pw-' . join('', map { $c[rand @c] } 1 .. 20);
	if ($> == 0) {
		my $u = $ENV{PG_TEST_USER} // 'postgres';
		my (undef, undef, $uid, $gid) = getpwnam($u)
		    or die "user $u (for the PostgreSQL server) does not exist\n";
		die "PG_TEST_USER must not be root\n" if $uid == 0;
		chown $uid, $gid, $dir or die "chown $dir: $!";
		$self->{user} = $u;
	}
	chmod 0700, $dir;
	open(my $fh, '>', "$dir/pwfile") or die "$dir/pwfile: $!";
	print $fh "$self->{password}\n";
	close $fh;
	chown((getpwnam($self->{user}))[2, 3], "$dir/pwfile")
	    if defined $self->{user};
	$self->run_as("$bin/initdb", '-D', "$dir/data", '-U', $self->{dbuser},
	    "--pwfile=$dir/pwfile", '-A', 'scram-sha-256', '-E', 'UTF8',
	    '--no-locale', '--no-sync') == 0
	    or die "initdb failed:\n$self->{out}";
	unlink "$dir/pwfile";
	open($fh, '>>', "$dir/data/postgresql.conf") or die "conf: $!";
	print $fh "listen_addresses = '127.0.0.1'\n",
	    "unix_socket_directories = '$dir'\n",
	    "max_connections = ", $o{max_connections} // 300, "\n",
	    "shared_buffers = 32MB\n",
	    "fsync = off\nfull_page_writes = off\nsynchronous_commit = off\n",
	    "logging_collector = off\n";
	close $fh;
	for my $try (1 .. 5) {
		$self->{port} = free_port();
		return $self if $self->_start;
		die "PostgreSQL did not start:\n$self->{out}\n" . $self->log
		    if $try == 5;
	}
}

sub _start {
	my ($self) = @_;
	my $rc = $self->run_as("$self->{bin}/pg_ctl", '-D', "$self->{dir}/data",
	    '-l', "$self->{dir}/server.log", '-w', '-t', '60',
	    '-o', "-p $self->{port}", 'start');
	return 0 if $rc != 0;
	open(my $fh, '<', "$self->{dir}/data/postmaster.pid") or return 0;
	my $pid = <$fh>;
	close $fh;
	chomp $pid;
	$self->{pid} = $pid;
	push @live, $self;
	return 1;
}

sub port { $_[0]{port} }
sub dir { $_[0]{dir} }
sub pid { $_[0]{pid} }
sub password { $_[0]{password} }

sub log {
	my ($self) = @_;
	open(my $fh, '<', "$self->{dir}/server.log") or return '';
	local $/;
	return <$fh>;
}

# The URL of a database (default "postgres").
sub url {
	my ($self, $db) = @_;
	$db //= 'postgres';
	return "postgresql://$self->{dbuser}:$self->{password}\@127.0.0.1:"
	    . "$self->{port}/$db";
}

# psql -At on a database; returns its output (dies on error).
sub psql {
	my ($self, $db, $sql) = @_;
	my $psql = -x "$self->{bin}/psql" ? "$self->{bin}/psql" : 'psql';
	local $ENV{PGCONNECT_TIMEOUT} = 10;
	pipe(my $r, my $w) or die "pipe: $!";
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		close $r;
		open(STDOUT, '>&', $w);
		open(STDERR, '>&', $w);
		{ exec($psql, '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1',
		    '-d', $self->url($db), '-c', $sql) };
		POSIX::_exit(127);
	}
	close $w;
	local $/;
	my $out = <$r> // '';
	close $r;
	waitpid($pid, 0);
	die "psql: $sql: $out" if $? != 0;
	$out =~ s/\s+\z//;
	return $out;
}

# Create an empty database; returns its URL.
sub createdb {
	my ($self, $name) = @_;
	die "bad database name $name" unless $name =~ /^[a-z_][a-z0-9_]*$/;
	$self->psql('postgres', "CREATE DATABASE $name");
	return $self->url($name);
}

# Stop the server by its pid (fast shutdown: clients are disconnected).
sub stop {
	my ($self) = @_;
	my $pid = delete $self->{pid} or return;
	@live = grep { $_ != $self } @live;
	return unless kill(0, $pid);
	kill 'INT', $pid;
	for (1 .. 300) {
		return unless kill(0, $pid);
		select(undef, undef, undef, 0.1);
	}
	kill 'KILL', $pid;
}

# Stop and start again on the same port and data: a server restart.
sub restart {
	my ($self) = @_;
	$self->stop;
	for (1 .. 50) {
		return $self if $self->_start;
		select(undef, undef, undef, 0.2);
	}
	die "PostgreSQL did not restart:\n$self->{out}\n" . $self->log;
}

sub DESTROY {
	my ($self) = @_;
	$self->stop if $$ == ($self->{owner} // 0);
}

END {
	for my $s (@live) {
		$s->stop if $$ == $s->{owner};
	}
}

1;
