#!/usr/bin/perl
# make install DESTDIR=tmp PREFIX=/usr puts every file where
# docs/operations.md says (programs, frontend, nginx site, OpenAPI
# document, manual, systemd units with the prefix filled in, the
# configuration with an absolute log file, the state and log
# directories), never overwrites an existing configuration, creates no
# user under DESTDIR; make uninstall removes all of it but the
# configuration and the state.
use strict; use warnings;
use Test::More;
use File::Find;
use File::Temp qw(tempdir);
use JSON::PP;
use lib 't/lib';
use Stack;

my $d = tempdir('photorestore-inst-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $had_user = defined getpwnam('photorestore');
my $make = "make -s -C '$Stack::TOP' BUILD='$Stack::BUILD' DESTDIR='$d' " .
    "PREFIX=/usr";
my $out = `$make install 2>&1`;
is($?, 0, 'make install') or diag $out;

sub files {
	my @f;
	find({ wanted => sub { push @f, $File::Find::name =~ s/^\Q$d\E//r
	    if -f $_ || -l $_ }, no_chdir => 1 }, $d);
	return sort @f;
}
sub slurp {
	open(my $fh, '<', "$d$_[0]") or return '';
	local $/;
	return scalar <$fh>;
}

my @progs = qw(auth users admin restore);
for my $f ('/usr/bin/photorestore',
    map { "/usr/lib/photorestore/cgi-bin/$_.fcgi" } @progs) {
	ok(-f "$d$f" && -x _, "$f installed, executable");
}
ok(-f "$d/usr/share/photorestore/www/index.html", 'frontend');
my @www = grep { m{^/usr/share/photorestore/www/} } files();
my @src;
find({ wanted => sub { push @src, $_ if -f $_ && !m{/\.[^/]*$} },
    no_chdir => 1 }, "$Stack::TOP/www");
is(scalar @www, scalar @src, 'the whole frontend');
my $site = slurp('/usr/share/photorestore/nginx/photorestore-site.conf');
like($site, qr{root /usr/share/photorestore/www;}, 'nginx site: frontend path');
unlike($site, qr{/usr/local}, 'nginx site: the prefix filled in');
ok(-f "$d/usr/share/photorestore/openapi.json", 'OpenAPI document');
ok(-f "$d/usr/share/photorestore/default.json", 'shipped defaults');
for my $m ('man1/photorestore.1', 'man3/libcommon.3',
    'man5/photorestore.conf.5', 'man8/photorestore-fcgi.8') {
	ok(-f "$d/usr/share/man/$m", "manual $m");
}
for my $u ((map { ("photorestore-$_.service", "photorestore-$_.socket") }
    @progs), qw(photorestore-init.service photorestore-cleanup.service
    photorestore-cleanup.timer photorestore-worker.service)) {
	ok(-f "$d/lib/systemd/system/$u", "unit $u in /lib/systemd/system");
}
like(slurp('/lib/systemd/system/photorestore-auth.service'),
    qr{^ExecStart=/usr/lib/photorestore/cgi-bin/auth\.fcgi$}m,
    'units point at the installed programs');
like(slurp('/lib/systemd/system/photorestore-init.service'),
    qr{^ExecStart=/usr/bin/photorestore init$}m, 'init unit too');

my $conf = slurp('/etc/photorestore/default.json');
my $cj = eval { JSON::PP->new->decode($conf) };
ok($cj, '/etc/photorestore/default.json is JSON');
is($cj->{logging}{file}, '/var/log/photorestore/photorestore.log',
    'it logs to /var/log/photorestore');
ok(-d "$d/var/lib/photorestore", '/var/lib/photorestore');
ok(-d "$d/var/log/photorestore", '/var/log/photorestore');
is((stat "$d/var/lib/photorestore")[2] & 07777, 0750, 'state mode 0750');
is(defined getpwnam('photorestore') ? 1 : 0, $had_user ? 1 : 0,
    'no user created under DESTDIR');

# The installed command reads the installed configuration.
$out = `CONFIG_DIR='$d/etc/photorestore' VARDIR='$d/var/lib/photorestore' '$d/usr/bin/photorestore' config 2>&1`;
is($?, 0, 'the installed command runs with it') or diag $out;
like($out, qr{"file":\s*"/var/log/photorestore/photorestore.log"},
    'and sees the log file');

# A second install keeps an edited configuration.
open(my $fh, '>>', "$d/etc/photorestore/default.json") or die;
print $fh "\n";
close $fh;
my $edited = slurp('/etc/photorestore/default.json');
$out = `$make install 2>&1`;
is($?, 0, 'make install again') or diag $out;
like($out, qr/kept the existing/, 'says it kept the configuration');
is(slurp('/etc/photorestore/default.json'), $edited,
    'the configuration is not overwritten');
open($fh, '>', "$d/var/lib/photorestore/photorestore.db") or die;
print $fh "state";
close $fh;

$out = `$make uninstall 2>&1`;
is($?, 0, 'make uninstall') or diag $out;
my @left = files();
is_deeply(\@left, ['/etc/photorestore/default.json',
    '/var/lib/photorestore/photorestore.db'],
    'only the configuration and the state are left');
ok(-d "$d/var/log/photorestore", 'the log directory is kept');
ok(!-e "$d/usr/share/photorestore", 'share/photorestore is gone');
ok(!-e "$d/usr/lib/photorestore", 'lib/photorestore is gone');
done_testing;
