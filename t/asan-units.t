#!/usr/bin/perl
# Every C unit test (the t/*.t that run a binary of t/unit/) again, built
# with -fsanitize=address,undefined by scripts/asan into a build directory
# of its own: a sanitizer report from any of them fails this test.  This
# is the part of `make asan` that fits in `make test`; the whole suite
# under the sanitizers (14 minutes here) is `make asan`.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);

my $top = `cd "\$(dirname "$0")/.." && pwd`;
chomp $top;
chdir $top or die "chdir $top: $!";
# Inside `make asan` (which sets FUZZ_SKIP) every test already runs
# sanitized.
plan skip_all => 'FUZZ_SKIP is set: this is the sanitizer suite itself'
    if $ENV{FUZZ_SKIP};

# The unit tests are the .t files that exec "${BUILD:-build}"/t/NAME.
my @units;
for my $t (sort glob 't/*.t') {
	open my $fh, '<', $t or die "$t: $!";
	local $/;
	my $text = <$fh>;
	push @units, $t if $text =~ m{^exec "\$\{BUILD:-build\}"/t/\w+}m;
}
cmp_ok(scalar @units, '>=', 60, scalar(@units) . ' unit test files found');

my $tmp = tempdir('pr-asan-units-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $log = "$tmp/asan.log";
# make asan's build directory, kept between runs so that only what
# changed is rebuilt.  It sits at the top like build/: the programs find
# conf/ beside their build directory (t/config-paths.t checks that).
local $ENV{ASAN_BUILD} = $ENV{ASAN_BUILD} || "$top/build-asan";
local $ENV{ASAN_LOG_DIR} = "$tmp/reports";
local $ENV{TESTS} = join ' ', @units;
local $ENV{JOBS} = 2;
local $ENV{MAKEFLAGS};
delete $ENV{MAKEFLAGS};
my $st = system("sh scripts/asan > '$log' 2>&1");
my $out = do { local (@ARGV, $/) = ($log); <> } // '';
is($st, 0, 'scripts/asan passed on ' . scalar(@units) . ' unit test files')
    or diag(join "\n", grep { /not ok|Failed|FAIL|ERROR|runtime error|==\d+==|asan:|Result/ }
	split /\n/, $out);
like($out, qr/^asan: suite clean under -fsanitize=address,undefined$/m,
    'no sanitizer report');
like($out, qr/^Files=(\d+)/m, 'prove ran the files');
my ($files) = $out =~ /^Files=(\d+)/m;
is($files, scalar @units, 'every unit test file ran');
done_testing();
