#!/usr/bin/perl
# A short run of every libFuzzer driver in t/fuzz/ (scripts/fuzz): each
# one builds with clang -fsanitize=fuzzer,address,undefined against the
# library sources, runs its seed corpus and then a fixed number of
# mutations (fixed seed) without a crash, leak, UB report or timeout.
# Long runs are `make fuzz`.  Skipped when clang or its libFuzzer
# runtime is missing (Debian: apt-get install clang libclang-rt-14-dev).
use strict; use warnings;
use Test::More;
use File::Temp qw(tempdir);
use Cwd qw(abs_path);
use File::Basename qw(dirname);

my $TOP = abs_path(dirname(__FILE__) . '/..');
chdir $TOP or die "$TOP: $!";
plan skip_all => 'FUZZ_SKIP is set (the sanitizer suite runs these itself)'
    if $ENV{FUZZ_SKIP};
my $clang = $ENV{CLANG} // 'clang';
plan skip_all => "$clang not found (apt-get install clang)"
    if system("command -v $clang >/dev/null 2>&1") != 0;
my $tmp = tempdir('pr-fuzz-short-XXXXXX', TMPDIR => 1, CLEANUP => 1);
open(my $fh, '>', "$tmp/probe.c") or die;
print $fh "#include <stddef.h>\n#include <stdint.h>\n" .
    "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\n" .
    "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)" .
    "{ (void)d; (void)n; return 0; }\n";
close $fh;
plan skip_all => 'clang cannot link -fsanitize=fuzzer ' .
    '(apt-get install libclang-rt-14-dev)'
    if system("$clang -fsanitize=fuzzer,address,undefined -o $tmp/probe " .
    "$tmp/probe.c >$tmp/probe.out 2>&1") != 0;

my $out = `sh scripts/fuzz build 2>&1`;
is($?, 0, 'the fuzz drivers build') or do { diag $out; done_testing; exit };

# Executions per driver: the two slow drivers (config rewrites and loads
# two files per input, engine runs the restoration) get fewer.
my %runs = (b64url => 20000, jwt => 20000, json => 20000,
    multipart => 20000, image => 20000, config => 2000, engine => 2000);
for my $d (qw(b64url jwt config json multipart image engine)) {
	my $n = $ENV{FUZZ_SHORT_RUNS} // $runs{$d};
	# One input may take 120 s here, not 25: the suite runs in parallel
	# on small machines, and a sanitizer build of an input that takes
	# 1 s alone has been seen to take 30 s there.  `make fuzz` keeps 25.
	my $res = `FUZZ_RUNS=$n FUZZ_SEED=1 FUZZ_NICE=0 FUZZ_TIMEOUT=120 FUZZ_OUT=$tmp/out-$d sh scripts/fuzz run $d 2>&1`;
	my $st = $?;
	ok($st == 0, "$d: $n runs clean") or diag $res;
	note $res;
}
done_testing;
