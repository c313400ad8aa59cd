#!/usr/bin/perl
# A 20 s mixed-load soak (scripts/bench has the 60 s one: BENCH_SOAK=60):
# 6 clients reading (users/me, history, models, health, auth/me,
# sessions, admin list, image URLs) and writing (logins, admin creates
# and updates, restores with the local model, deletes), paced under
# nginx's rate limits.  Zero 5xx; every answer is JSON (or the image);
# the site is healthy afterwards and the workers still the same number.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Attack qw(run_load healthy form jpeg children_of);
use Time::HiRes qw(time);

my $SECONDS = $ENV{SOAK_SECONDS} // 20;
my $s = Stack->start;
my $admin = $s->admin_token;
$s->create_user($admin, username => "soak$_") for 1 .. 6;
my %tok = map { $_ => $s->login("soak$_", 'User-Pass-123') } 1 .. 6;
my $r = $s->request(POST => '/api/v1/restore', token => $tok{1},
    form([file => jpeg(), 's.jpg', 'image/jpeg'], [model_id => 'local-restore']));
is($r->{status}, 200, 'a first image') or diag $r->{raw};
my $img = $r->{json}{processed_url};
my $jpeg = jpeg();

my %last_login;
my $next = sub {
	my ($c, $n) = @_;
	my $t = $tok{$c};
	my $k = $n % 20;
	# Writes, paced: a login per client at most once a second (nginx
	# allows 10/s), a restore every 20th request on two clients, an
	# admin create/update on one.
	if (time - ($last_login{$c} // 0) >= 1.0) {
		$last_login{$c} = time;
		return (POST => '/api/v1/auth/login', json => {
		    username => "soak$c", password => 'User-Pass-123' });
	}
	if ($c <= 2 && $k == 10) {
		select(undef, undef, undef, 0.5);
		return (POST => '/api/v1/restore', token => $t,
		    form([file => $jpeg, "s$n.jpg", 'image/jpeg'], [model_id => 'local-restore']));
	}
	return (POST => '/api/v1/admin/users', token => $admin,
	    json => { username => "mk${c}x$n", email => "mk${c}x$n\@example.com",
	    full_name => 'M', password => 'User-Pass-123' }) if $c == 3 && $k == 5;
	return (PUT => "/api/v1/admin/users/2", token => $admin,
	    json => { full_name => "Soak $n" }) if $c == 4 && $k == 5;
	my @get = ('/api/v1/users/me', '/api/v1/restore/history', '/api/v1/models',
	    '/api/v1/health', '/api/v1/auth/me', '/api/v1/users/me/sessions',
	    '/api/v1/restore/history?limit=5', $img);
	return (GET => $get[$n % @get], token => $t) if $c != 3 || $k % 2;
	return (GET => '/api/v1/admin/users?limit=10', token => $admin);
};
my @res = run_load($s, $SECONDS, 6, $next);
my (%by, @bad);
for my $x (@res) {
	$by{$x->{status}}++;
	push @bad, "$x->{status} $x->{method} $x->{path}" if $x->{status} >= 500 ||
	    $x->{status} == 599;
}
cmp_ok(scalar(@res), '>', 100, scalar(@res) . " requests in $SECONDS s (" .
    join(', ', map { "$_: $by{$_}" } sort keys %by) . ')');
is_deeply(\@bad, [], 'zero 5xx') or diag explain [@bad[0 .. ($#bad < 20 ? $#bad : 19)]];
my @unexpected = grep { $_->{status} >= 400 && $_->{status} < 500 } @res;
is(scalar(@unexpected), 0, 'and no 4xx either (every request was legitimate)')
    or diag explain [map { "$_->{status} $_->{method} $_->{path}" } @unexpected[0 .. 4]];
my $vd = $s->vardir;
for my $p (qw(auth users admin restore)) {
	open(my $f, '<', "$vd/run/$p.pid") or die;
	my @k = children_of(0 + <$f>);
	cmp_ok(scalar(@k), '>=', 1, "$p.fcgi still has its workers (" . scalar(@k) . ')');
}
healthy($s);
done_testing;
