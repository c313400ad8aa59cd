#!/usr/bin/perl
# The systemd units in systemd/ pass `systemd-analyze verify` (installed
# into a test-only prefix whose programs exist), carry the settings the
# operating contract relies on (socket activation on standard input,
# socket mode and group, the service user and the sandbox), and the
# init unit's shell line writes the nginx include with the URL key.
use strict; use warnings;
use Test::More;
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use lib 't/lib';
use Stack;

plan skip_all => 'systemd-analyze not installed (Debian package systemd); ' .
    'the units are not checked'
    unless system('systemd-analyze --version >/dev/null 2>&1') == 0;

my $dir = "$Stack::TOP/systemd";
my @units = map { s{.*/}{}r } sort glob("$dir/*.service $dir/*.socket $dir/*.timer");
my @progs = qw(auth users admin restore);
my @want = ((map { ("photorestore-$_.service", "photorestore-$_.socket") }
    @progs), 'photorestore-init.service', 'photorestore-cleanup.service',
    'photorestore-cleanup.timer', 'photorestore-worker.service');
is_deeply([sort @units], [sort @want], 'the expected units, no others');

my $tmp = tempdir('photorestore-sd-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $prefix = "$tmp/prefix";
make_path("$tmp/units", "$prefix/bin", "$prefix/lib/photorestore/cgi-bin");
my %unit;
for my $u (@units) {
	open(my $in, '<', "$dir/$u") or die;
	my $text = do { local $/; <$in> };
	close $in;
	$unit{$u} = $text;
	(my $t = $text) =~ s{/usr/local}{$prefix}g;
	open(my $out, '>', "$tmp/units/$u") or die;
	print $out $t;
	close $out;
}
for my $p ("bin/photorestore", map { "lib/photorestore/cgi-bin/$_.fcgi" }
    @progs) {
	system('cp', '/bin/true', "$prefix/$p") == 0 or die;
}

my $out = `cd '$tmp/units' && systemd-analyze verify --man=no @units 2>&1`;
is($?, 0, 'systemd-analyze verify passes') or diag $out;
my @complaints = grep { /photorestore/ } split /\n/, $out;
is_deeply(\@complaints, [], 'and has nothing to say about them');

# The analyzer is not a no-op: a unit whose program is missing fails.
make_path("$tmp/bad");
open(my $b, '>', "$tmp/bad/broken.service") or die;
print $b "[Service]\nExecStart=$prefix/bin/missing\n";
close $b;
`cd '$tmp/bad' && systemd-analyze verify --man=no broken.service 2>&1`;
isnt($?, 0, 'a broken unit fails verify');

# Settings per unit (key=value lines).
sub kv {
	my ($text, $key) = @_;
	return [ $text =~ /^\Q$key\E=(.*)$/mg ];
}
for my $p (@progs) {
	my $s = $unit{"photorestore-$p.socket"};
	is_deeply(kv($s, 'ListenStream'), ["/run/photorestore/$p.sock"],
	    "$p: socket path");
	is_deeply(kv($s, 'SocketMode'), ['0660'], "$p: socket mode 0660");
	is_deeply(kv($s, 'SocketGroup'), ['www-data'], "$p: nginx's group");
	is_deeply(kv($s, 'Accept'), ['no'], "$p: one service for all");
	my $v = $unit{"photorestore-$p.service"};
	is_deeply(kv($v, 'ExecStart'),
	    ["/usr/local/lib/photorestore/cgi-bin/$p.fcgi"], "$p: program");
	is_deeply(kv($v, 'StandardInput'), ['socket'],
	    "$p: the socket as fd 0");
	is_deeply(kv($v, 'StandardOutput'), ['journal'],
	    "$p: output not into the socket");
	like($v, qr/^Requires=.*photorestore-init\.service/m,
	    "$p: requires init");
	like($v, qr/^After=.*photorestore-init\.service/m, "$p: after init");
	is_deeply(kv($v, 'Restart'), ['on-failure'], "$p: restarts on failure");
	is_deeply(kv($v, 'RestrictAddressFamilies'),
	    ['AF_UNIX AF_INET AF_INET6'], "$p: address families");
}
for my $u (grep { /\.service$/ } @units) {
	my $v = $unit{$u};
	is_deeply(kv($v, 'User'), ['photorestore'], "$u: service user");
	is_deeply(kv($v, 'NoNewPrivileges'), ['yes'], "$u: NoNewPrivileges");
	is_deeply(kv($v, 'ProtectSystem'), ['strict'], "$u: ProtectSystem");
	is_deeply(kv($v, 'ReadWritePaths'),
	    ['/var/lib/photorestore /var/log/photorestore'],
	    "$u: writes only the state and the logs");
	is_deeply(kv($v, 'PrivateTmp'), ['yes'], "$u: PrivateTmp");
	is_deeply(kv($v, 'ProtectHome'), ['yes'], "$u: ProtectHome");
	is_deeply(kv($v, 'Environment'),
	    ['CONFIG_DIR=/etc/photorestore VARDIR=/var/lib/photorestore'],
	    "$u: configuration and state directories");
}
is_deeply(kv($unit{'photorestore-init.service'}, 'Type'), ['oneshot'],
    'init is a oneshot');
is_deeply(kv($unit{'photorestore-init.service'}, 'ExecStart'),
    ['/usr/local/bin/photorestore init'], 'init runs photorestore init');
is_deeply(kv($unit{'photorestore-cleanup.service'}, 'ExecStart'),
    ['/usr/local/bin/photorestore cleanup'], 'cleanup runs the command');
is_deeply(kv($unit{'photorestore-worker.service'}, 'ExecStart'),
    ['/usr/local/bin/photorestore worker'], 'the job worker');
is_deeply(kv($unit{'photorestore-worker.service'}, 'Restart'),
    ['on-failure'], 'the worker restarts on failure');
like($unit{'photorestore-cleanup.timer'}, qr/^OnCalendar=\S/m,
    'the timer has a schedule');

# The init unit's shell line, unescaped as systemd does ($$, %%, \\),
# run against a test state directory.
my ($post) = @{ kv($unit{'photorestore-init.service'}, 'ExecStartPost') };
my ($cmd) = $post =~ m{^/bin/sh -ec '(.*)'$};
ok($cmd, 'ExecStartPost is one sh -ec line');
$cmd =~ s/\$\$/\$/g;
$cmd =~ s/%%/%/g;
$cmd =~ s/\\\\/\\/g;
$cmd =~ s{/var/lib/photorestore}{$tmp/state}g;
make_path("$tmp/state");
my $hex = join '', map { sprintf '%02x', $_ * 7 % 256 } 1 .. 32;
open(my $k, '>', "$tmp/state/url.key") or die;
print $k "$hex\n";
close $k;
system('/bin/sh', '-ec', $cmd) == 0 or diag "sh failed: $cmd";
open(my $inc, '<', "$tmp/state/nginx-url-secret.conf") or die "no include";
my $got = do { local $/; <$inc> };
is($got, "set \$photorestore_url_secret $hex;\n",
    'the nginx include sets the URL key');
is((stat "$tmp/state/nginx-url-secret.conf")[2] & 0777, 0600,
    'readable by its owner only');
done_testing;
