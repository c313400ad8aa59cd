#!/usr/bin/perl
# t/browser-static.t: the frontend in www/ stays deployable as plain files under a strict
# Content-Security-Policy (default-src 'self'; img-src 'self' data: blob:): no inline
# scripts, inline styles or inline event handlers; every ES module import resolves to a
# file; absolute asset URLs (deep links like /admin/users serve the same index.html).
# Needs no browser.
use strict;
use warnings;
use FindBin;
use File::Find;
use File::Basename qw(dirname);
use Cwd qw(abs_path);

my $www = abs_path($ENV{FRONTEND_DIR} // "$FindBin::Bin/../www");
my $n = 0;
my $failed = 0;
sub ok {
	my ($cond, $name) = @_;
	$n++;
	print(($cond ? '' : 'not ') . "ok $n - $name\n");
	$failed++ unless $cond;
	return $cond;
}
sub slurp {
	my ($f) = @_;
	open my $fh, '<:raw', $f or die "$f: $!";
	local $/;
	return scalar <$fh>;
}

my $index = slurp("$www/index.html");
my @scripts = $index =~ /<script\b([^>]*)>(.*?)<\/script>/gis;
my $inline = 0;
for (my $i = 0; $i < @scripts; $i += 2) {
	$inline++ if $scripts[$i] !~ /\bsrc=/ || $scripts[$i + 1] =~ /\S/;
}
ok(@scripts >= 2, 'index.html loads a script');
ok($inline == 0, 'index.html has no inline script');
ok($index !~ /<style\b/i, 'index.html has no <style> element');
ok($index !~ /\sstyle\s*=/i, 'index.html has no style attribute');
ok($index !~ /\son[a-z]+\s*=/i, 'index.html has no inline event handler');
my @urls = $index =~ /\b(?:src|href)="([^"]+)"/g;
my @relative = grep { !m{^(/|#|https?:)} } @urls;
ok(!@relative, 'index.html uses absolute URLs (deep links)') or
    print "# relative: @relative\n";
for my $u (grep { m{^/} && !m{^//} } @urls) {
	(my $p = $u) =~ s/[?#].*//;
	next if $p eq '/';
	ok(-f "$www$p", "$u exists");
}

my @js;
find(sub { push @js, $File::Find::name if /\.js$/ }, "$www/assets");
ok(@js > 5, scalar(@js) . ' JavaScript modules');
ok(-f "$www/assets/style.css", 'one stylesheet: assets/style.css');
my @css;
find(sub { push @css, $File::Find::name if /\.css$/ }, $www);
ok(@css == 1, 'exactly one stylesheet') or print "# @css\n";

my (@bad, @missing);
for my $f (sort @js) {
	my $src = slurp($f);
	(my $rel = $f) =~ s/^\Q$www\E\///;
	push @bad, "$rel: innerHTML/outerHTML" if $src =~ /\.(?:inner|outer)HTML\s*=|insertAdjacentHTML/;
	push @bad, "$rel: eval/new Function" if $src =~ /\beval\s*\(|new\s+Function\s*\(/;
	push @bad, "$rel: style attribute" if $src =~ /setAttribute\(\s*['"]style['"]|\.style\.cssText|\bstyle\s*:\s*['"]/;
	push @bad, "$rel: document.write" if $src =~ /document\.write/;
	while ($src =~ /(?:^|[\s;])(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]/mg) {
		my $spec = $1 // $2;
		if ($spec !~ m{^\.{1,2}/}) { push @missing, "$rel: bare import $spec"; next; }
		my $target = abs_path(dirname($f) . "/$spec");
		push @missing, "$rel: $spec" unless $target && -f $target;
	}
}
ok(!@bad, 'no inline-HTML, eval or inline-style tricks in the modules') or
    print map { "# $_\n" } @bad;
ok(!@missing, 'every relative module import resolves to a file') or
    print map { "# $_\n" } @missing;

print "1..$n\n";
exit($failed ? 1 : 0);
