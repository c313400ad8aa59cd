#!/usr/bin/perl
# restore-backup checks the whole archive before it touches the state:
# not a backup, no manifest first, a member outside uploads/ and
# processed/, a symbolic link, a damaged database and a schema newer
# than ours are all refused, and the state stays as it was.
use strict; use warnings;
use Test::More;
use File::Temp qw(tempdir);
use lib 't/lib';
use Stack;

my $tmp = tempdir('photorestore-rh-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $vardir = "$tmp/var";
mkdir $vardir;

sub cli {
	my (@args) = @_;
	my $a = join(' ', map { "'$_'" } @args);
	return scalar `VARDIR='$vardir' CONFIG_DIR='$Stack::TOP/conf' LOG_LEVEL=warning $Stack::BUILD/bin/photorestore $a 2>&1`;
}

sub spew {
	my ($f, $c) = @_;
	open(my $fh, '>:raw', $f) or die "$f: $!";
	print $fh $c;
	close $fh;
}

# Build archives with tar(1) from a directory of members.
sub archive {
	my ($name, $manifest, @members) = @_;
	my $d = "$tmp/src-$name";
	mkdir $d;
	spew("$d/manifest.json", $manifest) if defined $manifest;
	my @names = defined $manifest ? ('manifest.json') : ();
	for my $m (@members) {
		my ($n, $content, $opt) = @$m;
		spew("$d/$n", $content);
		push @names, ($opt // '') . $n;
	}
	my $f = "$tmp/$name.tar.gz";
	system("cd '$d' && tar -czf '$f' " . join(' ', @names) .
	    " 2>/dev/null") == 0 or die "tar $name";
	return $f;
}

my $good = '{"format":"photorestore-backup","format_version":1,' .
    '"schema_version":1}';
my %bad = (
	garbage => do { spew("$tmp/garbage.tar.gz", "not an archive\n" x 10);
	    "$tmp/garbage.tar.gz" },
	'no manifest' => archive('nomanifest', undef, ['db.sqlite', 'x']),
	'wrong format' => archive('format', '{"format":"other",' .
	    '"format_version":1,"schema_version":1}', ['db.sqlite', 'x']),
	'newer schema' => archive('newer', '{"format":"photorestore-backup",' .
	    '"format_version":1,"schema_version":999}', ['db.sqlite', 'x']),
	'escaping member' => archive('escape', $good, ['db.sqlite', 'x'],
	    ['evil', 'x', q{--transform='s,^evil$,uploads/../../evil,' }]),
	'unknown member' => archive('unknown', $good, ['db.sqlite', 'x'],
	    ['secret.key', 'x']),
	'damaged database' => archive('damaged', $good,
	    ['db.sqlite', "SQLite format 3\0" . ("\xff" x 200)]),
);
symlink('/etc/passwd', "$tmp/link") or die;
system("cd '$tmp' && mkdir -p lk/uploads && cp src-format/db.sqlite lk/ && " .
    "printf '%s' '$good' > lk/manifest.json && ln -s /etc/passwd " .
    "lk/uploads/x.jpg && cd lk && tar -czf ../link.tar.gz manifest.json " .
    "db.sqlite uploads") == 0 or die;
$bad{'symbolic link'} = "$tmp/link.tar.gz";

cli('init');
for my $what (sort keys %bad) {
	my $out = cli('restore-backup', '--force', $bad{$what});
	isnt($?, 0, "$what: refused") or diag $out;
	like($out, qr/restore-backup: \S/, "$what: says why") or diag $out;
	note("$what: $out");
	ok(!glob("$vardir/.restore-*"), "$what: nothing staged left");
	ok(!glob("$vardir/pre-restore-*"), "$what: state not moved");
}
ok(!-e "$tmp/evil" && !-e "$vardir/evil", 'nothing written outside');
like(cli('user', 'list'), qr/\tadmin\t/, 'the state is untouched');
done_testing;
