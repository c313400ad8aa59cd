#!/usr/bin/perl
# POST /api/v1/restore with the local-restore model, end to end: the
# RestoreResponse in the contract's key order, the signed URLs loading
# through nginx with the true Content-Type (HEAD and If-Modified-Since
# too), the stored files under server-made names, and the download's
# X-Accel-Redirect answer with its attachment name.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Upload qw(form $JPEG);

my $PHOTOS = "$Stack::TOP/../shared/testdata/photos";

sub slurp {
	my ($f) = @_;
	open my $fh, '<', $f or die "$f: $!";
	binmode $fh;
	local $/;
	return scalar <$fh>;
}

my $s = Stack->start;
my %dirs = $s->cli('stack-env') =~ /^(PR_\w+)='([^']*)'$/mg;
my $tok = $s->admin_token;
my $claims = Stack::jwt_payload($tok);
my $png = slurp("$PHOTOS/camera.png");
my $name = "Old photo \x{e9}t\x{e9} 1975.png";
utf8::encode($name);

my $t0 = time;
my $r = $s->request(POST => '/api/v1/restore', token => $tok,
    form([file => $png, $name, 'image/png'], [model_id => 'local-restore']));
is($r->{status}, 200, 'PNG restored') or diag $r->{raw};
is_deeply([Stack::key_order($r->{raw})], [qw(id session_id original_url
    processed_url model_id original_filename timestamp)], 'key order');
my $j = $r->{json};
like($j->{id}, qr/^\d+$/, 'id is an integer');
is($j->{session_id}, $claims->{session_id}, 'session_id of the token');
is($j->{model_id}, 'local-restore', 'model_id');
my $want = "Old photo \x{e9}t\x{e9} 1975.png";
is($j->{original_filename}, $want, 'original_filename as sent');
like($j->{timestamp}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/,
    'timestamp ISO-8601 UTC with Z');
my $uuid = qr/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/;
my $uid = $claims->{user_id};
like($j->{original_url}, qr{^/uploads/$uid/$uuid\.png\?e=\d+&s=[A-Za-z0-9_-]{22}$},
    'original_url: server-made name, e and s');
like($j->{processed_url}, qr{^/processed/$uid/$uuid\.png\?e=\d+&s=[A-Za-z0-9_-]{22}$},
    'processed_url: server-made name, e and s');
my ($e) = $j->{original_url} =~ /e=(\d+)/;
ok($e >= $t0 + 3600 - 5 && $e <= time + 3600 + 5, 'expires in url_ttl_seconds');
unlike($j->{original_url}, qr/photo|1975/i, 'client name not in the URL');

# The files on disk, and nothing temporary beside them.
my ($rel) = $j->{original_url} =~ m{^/uploads/([^?]+)};
is(slurp("$dirs{PR_UPLOAD_DIR}/$rel"), $png, 'original stored byte for byte');
my ($prel) = $j->{processed_url} =~ m{^/processed/([^?]+)};
ok(-s "$dirs{PR_PROCESSED_DIR}/$prel", 'processed file stored');
opendir(my $dh, "$dirs{PR_UPLOAD_DIR}/$uid") or die;
is_deeply([grep { /^\./ && !/^\.\.?$/ } readdir $dh], [],
    'no temporary files left');
closedir $dh;

# The URLs load through nginx (no token), with the true type.
my $o = $s->request(GET => $j->{original_url});
is($o->{status}, 200, 'original_url loads');
is($o->{headers}{'content-type'}, 'image/png', 'original is image/png');
is($o->{raw}, $png, 'original bytes');
my $p = $s->request(GET => $j->{processed_url});
is($p->{status}, 200, 'processed_url loads');
is($p->{headers}{'content-type'}, 'image/png', 'processed is image/png');
is(substr($p->{raw}, 0, 8), "\x89PNG\r\n\x1a\n", 'processed is a PNG');
isnt($p->{raw}, $png, 'processed differs from the original');

my $h = $s->request(HEAD => $j->{processed_url});
is($h->{status}, 200, 'HEAD works');
is($h->{headers}{'content-length'}, length $p->{raw}, 'HEAD length');
my $lm = $p->{headers}{'last-modified'};
ok($lm, 'Last-Modified sent');
my $c = $s->request(GET => $j->{processed_url},
    headers => { 'If-Modified-Since' => $lm });
is($c->{status}, 304, 'If-Modified-Since answers 304');

# The download: nginx sends the processed file with the true type.
my $d = $s->request(GET => "/api/v1/restore/$j->{id}/download", token => $tok);
is($d->{status}, 200, 'download 200');
is($d->{headers}{'content-type'}, 'image/png', 'download type');
is($d->{raw}, $p->{raw}, 'download body is the processed file');
is($d->{headers}{'content-disposition'},
    q{attachment; filename="restored-Old photo _t_ 1975.png"; } .
    q{filename*=UTF-8''restored-Old%20photo%20%C3%A9t%C3%A9%201975.png},
    'Content-Disposition with restored- name (ASCII and UTF-8 forms)');
ok(!exists $d->{headers}{'x-accel-redirect'}, 'X-Accel-Redirect not leaked');
my $dh2 = $s->request(HEAD => "/api/v1/restore/$j->{id}/download",
    token => $tok);
is($dh2->{status}, 200, 'HEAD download');

# A JPEG named .JPEG: stored as .jpg, served as image/jpeg.
$r = $s->request(POST => '/api/v1/restore', token => $tok,
    form([file => $JPEG, 'scan.JPEG', 'image/jpeg'],
    [model_id => 'local-restore'], [parameters => '{"strength": 0.5}']));
is($r->{status}, 200, 'JPEG restored') or diag $r->{raw};
like($r->{json}{original_url}, qr{^/uploads/$uid/$uuid\.jpg\?}, '.jpg name');
like($r->{json}{processed_url}, qr{^/processed/$uid/$uuid\.jpg\?}, '.jpg result');
$o = $s->request(GET => $r->{json}{processed_url});
is($o->{headers}{'content-type'}, 'image/jpeg', 'processed is image/jpeg');
is(substr($o->{raw}, 0, 3), "\xff\xd8\xff", 'processed is a JPEG');
$d = $s->request(GET => "/api/v1/restore/$r->{json}{id}/download",
    token => $tok);
is($d->{headers}{'content-type'}, 'image/jpeg', 'download type JPEG');
is($d->{headers}{'content-disposition'}, q{attachment; } .
    q{filename="restored-scan.JPEG"; filename*=UTF-8''restored-scan.JPEG},
    'download name');
my $it = $s->request(GET => "/api/v1/restore/$r->{json}{id}", token => $tok);
is($it->{json}{model_parameters}, '{"strength":0.5}',
    'model_parameters kept as a JSON string');
done_testing;
