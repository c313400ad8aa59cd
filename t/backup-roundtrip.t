#!/usr/bin/perl
# photorestore backup of a running site, then restore-backup into a new
# VARDIR and start a second stack on it: the users, their passwords, the
# images in history and their files all come back, and the image URLs
# load.
use strict; use warnings;
use Test::More;
use File::Temp qw(tempdir);
use MIME::Base64 qw(decode_base64);
use lib 't/lib';
use Stack;

# A 48x32 JPEG made by the project's own encoder.
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

my $tmp = tempdir('photorestore-bk-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $file = "$tmp/site.tar.gz";

# The first site: a user with an image.
my $a = Stack->start;
my $admin = $a->admin_token;
$a->create_user($admin, username => 'alice');
my $tok = $a->login('alice', 'User-Pass-123');
ok($tok, 'alice logs in on the first site');
my $r = $a->request(POST => '/api/v1/restore', token => $tok,
    form([file => $JPEG, 'grandma 1950.jpg', 'image/jpeg'],
    [model_id => 'local-restore']));
is($r->{status}, 200, 'an image restored') or diag $r->{raw};
my $orig = $a->request(GET => $r->{json}{original_url})->{raw};
my $proc = $a->request(GET => $r->{json}{processed_url})->{raw};
is($orig, $JPEG, 'original loads on the first site');

my $out = $a->cli('backup', $file);
is($?, 0, 'backup succeeds while the site runs') or diag $out;
like($out, qr/2 users, 1 images, 2 files/, 'backup reports what it holds');
ok(-s $file, 'backup file written');
is((stat $file)[2] & 07777, 0600, 'backup file is mode 0600');
open(my $fh, '<:raw', $file) or die;
read($fh, my $magic, 2);
close $fh;
is($magic, "\x1f\x8b", 'a gzip file');
my @list = `tar -tzf '$file' 2>&1`;
is($? >> 8, 0, 'tar can read it');
chomp @list;
is($list[0], 'manifest.json', 'manifest first');
ok((grep { $_ eq 'db.sqlite' } @list), 'db.sqlite inside');
ok((grep { m{^uploads/\d+/[0-9a-f-]{36}\.jpg$} } @list), 'uploads inside');
ok((grep { m{^processed/\d+/[0-9a-f-]{36}\.jpg$} } @list),
    'processed inside');
ok(!(grep { /secret|url\.key/ } @list), 'no keys inside');
$a->stop;

# The second site: restore into a fresh VARDIR, then start.
my $vb = tempdir('photorestore-t-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my %env = (CONFIG_DIR => "$Stack::TOP/conf", VARDIR => $vb,
    LOG_LEVEL => 'warning', PBKDF2_ITERATIONS => 1000);
my $envs = join(' ', map { "$_='$env{$_}'" } sort keys %env);
$out = `$envs $Stack::BUILD/bin/photorestore restore-backup '$file' 2>&1`;
is($?, 0, 'restore-backup into an empty VARDIR') or diag $out;
like($out, qr/2 users, 1 images, 2 files/, 'restore reports what it put');
ok(!glob("$vb/pre-restore-*"), 'nothing to keep from an empty state');
ok(!glob("$vb/.restore-*"), 'no staging directory left');

my $b = Stack->start(vardir => $vb);
my $tok2 = $b->login('alice', 'User-Pass-123');
ok($tok2, 'alice logs in on the restored site with her password');
ok($b->admin_token, 'the administrator logs in');
my $h = $b->request(GET => '/api/v1/restore/history', token => $tok2);
is($h->{status}, 200, 'history');
is($h->{json}{total}, 1, 'one image in history');
my $it = $h->{json}{items}[0];
is($it->{original_filename}, 'grandma 1950.jpg', 'original file name kept');
is($it->{model_id}, 'local-restore', 'model kept');
my $o = $b->request(GET => $it->{original_url});
is($o->{status}, 200, 'original URL loads on the restored site');
is($o->{raw}, $orig, 'original bytes survive');
my $p = $b->request(GET => $it->{processed_url});
is($p->{status}, 200, 'processed URL loads on the restored site');
is($p->{raw}, $proc, 'processed bytes survive');
my @users = grep { /^\d+\t/ } split /\n/, $b->cli('user', 'list');
is(scalar @users, 2, 'no second administrator seeded');
$b->stop;
done_testing;
