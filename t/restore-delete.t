#!/usr/bin/perl
# DELETE /api/v1/restore/{id} removes both files and the row and says so
# in the contract's words; the URLs stop working; a second DELETE is 404;
# files_deleted counts only the files that were still there.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Upload qw(form $JPEG);
use JSON::PP;
use Time::HiRes qw(sleep);

my $s = Stack->start;
my %dirs = $s->cli('stack-env') =~ /^(PR_\w+)='([^']*)'$/mg;
my $tok = $s->admin_token;

my @img;
for my $i (1, 2) {
	sleep 0.25;
	my $r = $s->request(POST => '/api/v1/restore', token => $tok,
	    form([file => $JPEG, "d$i.jpg"], [model_id => 'local-restore']));
	is($r->{status}, 200, "image $i stored") or diag $r->{raw};
	push @img, $r->{json};
}
my $it = $s->request(GET => "/api/v1/restore/$img[0]{id}", token => $tok);
is_deeply([Stack::key_order($it->{raw})], [qw(id original_filename
    model_id original_url processed_url created_at model_parameters
    session_id original_path processed_path)], 'item keys in order');
my $orig = "$dirs{PR_UPLOAD_DIR}/$it->{json}{original_path}";
my $proc = "$dirs{PR_PROCESSED_DIR}/$it->{json}{processed_path}";
ok(-f $orig && -f $proc, 'both files exist (paths are server-relative)');

my $r = $s->request(DELETE => "/api/v1/restore/$img[0]{id}", token => $tok);
is($r->{status}, 200, 'DELETE 200');
is_deeply([Stack::key_order($r->{raw})], [qw(success message files_deleted)],
    'keys in order');
is_deeply($r->{json}, { success => JSON::PP::true,
    message => "Image $img[0]{id} deleted successfully", files_deleted => 2 },
    'the contract\'s answer, two files');
ok(!-e $orig && !-e $proc, 'both files gone');
is($s->request(GET => "/api/v1/restore/$img[0]{id}", token => $tok)->{status},
    404, 'the row is gone');
is($s->request(GET => $img[0]{original_url})->{status}, 404,
    'original_url no longer loads');
is($s->request(GET => $img[0]{processed_url})->{status}, 404,
    'processed_url no longer loads');
$r = $s->request(DELETE => "/api/v1/restore/$img[0]{id}", token => $tok);
is($r->{status}, 404, 'second DELETE 404');
is($r->{json}{detail}, "Image $img[0]{id} not found or not accessible",
    'second DELETE detail');

# A row whose processed file went missing: one file deleted.
$it = $s->request(GET => "/api/v1/restore/$img[1]{id}", token => $tok);
unlink "$dirs{PR_PROCESSED_DIR}/$it->{json}{processed_path}" or die;
$r = $s->request(GET => "/api/v1/restore/$img[1]{id}/download", token => $tok);
is($r->{status}, 404, 'download of a missing file: 404');
$r = $s->request(DELETE => "/api/v1/restore/$img[1]{id}", token => $tok);
is($r->{status}, 200, 'DELETE with one file missing: 200');
is($r->{json}{files_deleted}, 1, 'files_deleted 1');
is($s->request(GET => '/api/v1/restore/history', token => $tok)
    ->{json}{total}, 0, 'history is empty');
done_testing;
