#!/usr/bin/perl
# DELETE /api/v1/restore/{id} removes both files and the row and says so
# in the contract's words; the URLs stop working; a second DELETE is 404;
# files_deleted counts only the files that were still there.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use JSON::PP;
use MIME::Base64 qw(decode_base64);
use Time::HiRes qw(sleep);

# A 48x32 JPEG made by the project's own encoder (img_encode, quality 80).
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

# A multipart/form-data body from [name, value, filename, type] parts.
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
