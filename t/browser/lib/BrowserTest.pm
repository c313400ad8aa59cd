# t/browser/lib/BrowserTest.pm: run one browser test (t/browser/NAME.mjs) against a
# private stack started with t/lib/Stack.pm.  Prints TAP (the node script's), or a
# "1..0 # SKIP" line when chromium, node or the npm dependencies are missing.
# Core Perl modules only.
package BrowserTest;

use strict;
use warnings;
use Cwd qw(abs_path);
use File::Basename qw(dirname);

our $DIR = abs_path(dirname(__FILE__) . '/..');	# t/browser
our $TOP = abs_path("$DIR/../..");

sub skip_all {
	my ($why) = @_;
	print "1..0 # SKIP $why\n";
	exit 0;
}

sub in_path {
	my ($prog) = @_;
	for my $d (split /:/, $ENV{PATH} // '') {
		return "$d/$prog" if length $d && -x "$d/$prog";
	}
	return undef;
}

# run(NAME, env => {...}): start a stack, run node t/browser/NAME.mjs BASE, stop it,
# exit with the script's status.
sub run {
	my ($name, %o) = @_;
	my $chromium = $ENV{CHROMIUM} // '/usr/bin/chromium';
	skip_all("$chromium not found (apt-get install chromium)") unless -x $chromium;
	my $node = in_path('node') or skip_all('node not found (apt-get install nodejs)');
	skip_all("t/browser/node_modules/playwright-core missing (run: npm ci --prefix t/browser)")
	    unless -d "$DIR/node_modules/playwright-core";
	skip_all("$TOP/build/cgi-bin/auth.fcgi not built (run: make)")
	    unless -x "$TOP/build/cgi-bin/auth.fcgi";
	my $script = "$DIR/$name.mjs";
	die "no such test script: $script\n" unless -f $script;

	unshift @INC, "$TOP/t/lib";
	require Stack;
	my %env = %{ $o{env} // {} };
	$env{FRONTEND_DIR} = $ENV{FRONTEND_DIR} if defined $ENV{FRONTEND_DIR};
	my $stack = Stack->start(env => \%env);
	my $user = $stack->{env}{AUTH_USERNAME} // $Stack::ADMIN_USER;
	my $pass = $stack->{env}{AUTH_PASSWORD} // $Stack::ADMIN_PASS;

	local $ENV{AUTH_USERNAME} = $user;
	local $ENV{AUTH_PASSWORD} = $pass;
	local $ENV{CHROMIUM} = $chromium;
	local $| = 1;
	my $status = system($node, $script, $stack->base);
	my $rc = $status == -1 ? 255 : $status >> 8;
	if ($rc != 0) {
		# Help the reader: the stack's logs often say why.
		for my $log (glob($stack->vardir . '/log/*')) {
			next unless -s $log;
		next if $log =~ /access\.log$/;
			open my $fh, '<', $log or next;
			my @lines = <$fh>;
			close $fh;
			@lines = @lines[-10 .. -1] if @lines > 10;
			print STDERR "# --- $log\n", map { "# $_" } @lines;
		}
	}
	$stack->stop;
	exit $rc;
}

1;
