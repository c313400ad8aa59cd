#!/usr/bin/perl
# restore-backup refuses to replace a state that holds users, images or
# image files unless --force; with --force the old state is kept aside in
# VARDIR/pre-restore-<time>/ and the backup's state replaces it.
use strict; use warnings;
use Test::More;
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use lib 't/lib';
use Stack;

sub cli {
	my ($vardir, @args) = @_;
	my %env = (CONFIG_DIR => "$Stack::TOP/conf", VARDIR => $vardir,
	    LOG_LEVEL => 'warning', PBKDF2_ITERATIONS => 1000,
	    AUTH_PASSWORD => 'Admin-Pass-123');
	my $e = join(' ', map { "$_='$env{$_}'" } sort keys %env);
	my $a = join(' ', map { "'$_'" } @args);
	return scalar `$e $Stack::BUILD/bin/photorestore $a 2>&1`;
}

my $tmp = tempdir('photorestore-rb-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my ($va, $vb) = ("$tmp/a", "$tmp/b");
mkdir $_ for $va, $vb;

# Site A: the admin and bob.  Site B: the admin and carol.
cli($va, 'init');
my $out = `printf 'Bob-Pass-1234\\n' | VARDIR='$va' CONFIG_DIR='$Stack::TOP/conf' PBKDF2_ITERATIONS=1000 $Stack::BUILD/bin/photorestore user add bob bob\@example.com 2>&1`;
is($?, 0, 'bob added on A') or diag $out;
$out = cli($va, 'backup', "$tmp/a.tar.gz");
is($?, 0, 'backup of A') or diag $out;
cli($vb, 'init');
$out = `printf 'Carol-Pass-123\\n' | VARDIR='$vb' CONFIG_DIR='$Stack::TOP/conf' PBKDF2_ITERATIONS=1000 $Stack::BUILD/bin/photorestore user add carol carol\@example.com 2>&1`;
is($?, 0, 'carol added on B') or diag $out;
make_path("$vb/uploads/9");
open(my $fh, '>', "$vb/uploads/9/keep.jpg") or die;
print $fh "x";
close $fh;

$out = cli($vb, 'restore-backup', "$tmp/a.tar.gz");
isnt($?, 0, 'refused without --force');
like($out, qr/not empty \(2 users, 0 images, 1 image files\).*--force/,
    'the refusal says what is there and how to go on');
like(cli($vb, 'user', 'list'), qr/\tcarol\t/, 'B unchanged: carol there');
ok(-f "$vb/uploads/9/keep.jpg", 'B unchanged: its file there');
ok(!glob("$vb/.restore-*"), 'nothing staged left behind');

$out = cli($vb, 'restore-backup', '--force', "$tmp/a.tar.gz");
is($?, 0, 'restored with --force') or diag $out;
my ($saved) = $out =~ /previous state is in (\S+)/;
ok($saved && -d $saved, 'says where the old state went') or diag $out;
like($saved // '', qr{^\Q$vb\E/pre-restore-}, 'inside VARDIR');
my $list = cli($vb, 'user', 'list');
like($list, qr/\tbob\t/, 'bob is on B now');
unlike($list, qr/\tcarol\t/, 'carol is not');
ok(-f "$saved/db.sqlite", 'the old database is kept');
ok(-f "$saved/uploads/9/keep.jpg", 'the old files are kept');
ok(!-e "$vb/uploads/9", 'the old files are gone from the live state');
done_testing;
