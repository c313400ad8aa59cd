#!/usr/bin/perl
# The result cache (issue 10), against t/lib/fakeprovider.pl: the same
# user sending the same bytes with the same model and parameters (in any
# key order) gets a new history item at once and the provider is called
# once; a job with those bytes is served from the cache too; other
# parameters, other bytes or another user call the provider again.  The
# reused item has its own server-made file names, and deleting one item
# leaves the other's files.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Jobs;

my ($port, $log) = Jobs::fake_provider();
my $dir = Jobs::config_dir(hf => ['ok']);
my $s = Stack->start(env => { CONFIG_DIR => $dir, HF_API_KEY => 'hf_test',
    HF_API_URL => "http://127.0.0.1:$port/hf" });
my $admin = $s->admin_token;
$s->create_user($admin, username => 'carol');
my $carol = $s->login('carol', 'User-Pass-123');
my $png = Jobs::photo('camera.png');
sub calls { Jobs::fake_count($log, "POST\t/hf/fake/ok\t") }
sub restore {
	my ($tok, $bytes, $params) = @_;
	return $s->request(POST => '/api/v1/restore', token => $tok,
	    Jobs::form([file => $bytes, 'old.png', 'image/png'],
	    [model_id => 'hf-ok'],
	    defined $params ? ([parameters => $params]) : ()));
}

my $a = restore($admin, $png, '{"a":1,"b":{"y":2,"x":1}}');
is($a->{status}, 200, 'first restore') or diag $a->{raw};
is(calls(), 1, 'provider called');
my $b = restore($admin, $png, '{"b":{"x":1,"y":2},"a":1}');
is($b->{status}, 200, 'second restore, same bytes') or diag $b->{raw};
is(calls(), 1, 'provider not called again');
isnt($b->{json}{id}, $a->{json}{id}, 'a new history item');
is_deeply([Stack::key_order($b->{raw})], [qw(id session_id original_url
    processed_url model_id original_filename timestamp)],
    'a RestoreResponse');
my ($pa) = $a->{json}{processed_url} =~ m{^(/processed/[^?]+)};
my ($pb) = $b->{json}{processed_url} =~ m{^(/processed/[^?]+)};
isnt($pb, $pa, 'its own file name');
my $ia = $s->request(GET => $a->{json}{processed_url});
my $ib = $s->request(GET => $b->{json}{processed_url});
is($ib->{status}, 200, 'the reused result loads');
ok($ia->{raw} eq $ib->{raw}, 'the same result');
is($s->request(GET => '/api/v1/restore/history', token => $admin)
    ->{json}{total}, 2, 'two history items');

# A job with the same bytes: from the cache as well.
my $r = Jobs::submit($s, $admin, 'hf-ok', [$png, 'again.png']);
is($r->{status}, 202, 'job accepted') or diag $r->{raw};
$r = $s->request(POST => '/api/v1/jobs', token => $admin,
    Jobs::form([file => $png, 'again.png', 'image/png'],
    [model_id => 'hf-ok'], [parameters => '{"a":1,"b":{"x":1,"y":2}}']));
my ($j) = Jobs::wait_job($s, $admin, $r->{json}{job_id});
is($j->{status}, 'done', 'job done');
is($j->{items}[0]{status}, 'done', 'item done');
is(calls(), 2, 'only the job without parameters called the provider');

# Different parameters, bytes or user: a miss.
restore($admin, $png, '{"a":2}');
is(calls(), 3, 'other parameters: provider called');
restore($admin, $Jobs::JPEG);
is(calls(), 4, 'other bytes: provider called');
my $c = restore($carol, $png, '{"a":1,"b":{"y":2,"x":1}}');
is($c->{status}, 200, 'carol restores the same bytes');
is(calls(), 5, 'another user: provider called (no sharing)');

# Deleting the first item leaves the reused one whole.
is($s->request(DELETE => "/api/v1/restore/$a->{json}{id}", token => $admin)
    ->{status}, 200, 'first item deleted');
$ib = $s->request(GET => $b->{json}{processed_url});
is($ib->{status}, 200, 'the reused item still loads');
ok($ib->{raw} eq $ia->{raw}, 'with its bytes');
done_testing;
