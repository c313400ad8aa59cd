#!/usr/bin/perl
# POST /api/v1/restore runs the checks of API.md §4.2 in the contract's
# order, each with its exact status and detail: missing parts (422 with
# loc), no filename, no extension, extension not allowed, too large
# (413, from the bytes actually sent), invalid image data (empty,
# garbage, truncated, a fake extension, too many pixels), unknown or
# disabled or unavailable model, bad parameters JSON.  Where a request
# fails several checks, the earliest one answers.
use strict; use warnings;
use Test::More;
use lib 't/lib';
use Stack;
use Upload qw(form $JPEG);
use File::Temp qw(tempdir);
use JSON::PP;
use Compress::Zlib qw(compress crc32);
use Time::HiRes qw(sleep);

my $PHOTOS = "$Stack::TOP/../shared/testdata/photos";

sub slurp {
	my ($f) = @_;
	open my $fh, '<', $f or die "$f: $!";
	binmode $fh;
	local $/;
	return scalar <$fh>;
}

sub spew {
	my ($f, $data) = @_;
	open my $fh, '>', $f or die "$f: $!";
	print $fh $data;
	close $fh or die "$f: $!";
}

# A grey PNG of w x h pixels (all black), made with zlib.
sub png {
	my ($w, $h) = @_;
	my $chunk = sub {
		my ($t, $d) = @_;
		return pack('N', length $d) . $t . $d . pack('N', crc32($t . $d));
	};
	my $raw = ("\0" x ($w + 1)) x $h;
	return "\x89PNG\r\n\x1a\n" .
	    $chunk->('IHDR', pack('NNCCCCC', $w, $h, 8, 0, 0, 0, 0)) .
	    $chunk->('IDAT', compress($raw, 9)) . $chunk->('IEND', '');
}

# A configuration directory: default.json with local-upscale-4x disabled.
my $conf = tempdir(CLEANUP => 1);
my $js = JSON::PP->new->canonical(1);
my $cfg = $js->decode(slurp("$Stack::TOP/conf/default.json"));
$_->{enabled} = JSON::PP::false
    for grep { $_->{id} eq 'local-upscale-4x' } @{ $cfg->{models} };
spew("$conf/default.json", $js->encode($cfg));

my $s = Stack->start(env => { CONFIG_DIR => $conf });
my $tok = $s->admin_token;
my $png = slurp("$PHOTOS/camera.png");
my $small = png(16, 16);

# Post a form (paced under nginx's limit_req for the restore route).
sub post {
	my (@parts) = @_;
	sleep 0.25;
	return $s->request(POST => '/api/v1/restore', token => $tok,
	    form(@parts));
}

sub detail_is {
	my ($r, $status, $detail, $what) = @_;
	is($r->{status}, $status, "$what: $status");
	is($r->{json}{detail}, $detail, "$what: detail") or diag $r->{raw};
}

my %missing = map { $_ => { type => 'missing', loc => ['body', $_],
    msg => 'Field required', input => undef } } qw(file model_id);

# 1. Missing parts.
my $r = post();
is($r->{status}, 422, 'empty form: 422');
is_deeply($r->{json}{detail}, [$missing{file}, $missing{model_id}],
    'empty form: file and model_id missing, in that order');
$r = post([model_id => 'local-restore']);
is_deeply($r->{json}{detail}, [$missing{file}], 'no file part');
$r = post([file => $small, 'a.png', 'image/png']);
is_deeply($r->{json}{detail}, [$missing{model_id}], 'no model_id part');
$r = post([file => $small, 'a.png', 'image/png'], [model_id => '']);
is_deeply($r->{json}{detail}, [$missing{model_id}], 'empty model_id');
sleep 0.25;
$r = $s->request(POST => '/api/v1/restore', token => $tok,
    json => { model_id => 'local-restore' });
is($r->{status}, 422, 'not multipart: 422');
is_deeply($r->{json}{detail}, [$missing{file}, $missing{model_id}],
    'not multipart: both missing');
# A part named "" (name="") is a field nobody asks for: the image sent
# under it does not count as "file".
$r = post(['' => $small, 'a.png', 'image/png'], [model_id => 'local-restore']);
is($r->{status}, 422, 'file sent as name="": 422');
is_deeply($r->{json}{detail}, [$missing{file}],
    'file sent as name="": file missing') or diag $r->{raw};
# Missing wins over every later check.
$r = post([file => 'garbage', '']);
is_deeply($r->{json}{detail}, [$missing{model_id}],
    'missing model_id comes before "No filename"');

# 2. No filename.
detail_is(post([file => $small, '', 'image/png'],
    [model_id => 'local-restore']), 400, 'No filename provided',
    'empty filename');
detail_is(post([file => $small, undef], [model_id => 'local-restore']),
    400, 'No filename provided', 'no filename parameter');
detail_is(post([file => $small, ''], [model_id => 'nope']), 400,
    'No filename provided', 'no filename before unknown model');

# 3. No extension.
for my $fn ('photo', 'photo.', '.png', 'dir.png/photo') {
	detail_is(post([file => $small, $fn], [model_id => 'local-restore']),
	    400, 'File has no extension', "\"$fn\"");
}

# 4. Extension not allowed (shown in lower case).
my $allowed = 'Allowed formats: .jpg, .jpeg, .png';
detail_is(post([file => $small, 'anim.gif'], [model_id => 'local-restore']),
    400, "File format '.gif' not allowed. $allowed", '.gif');
detail_is(post([file => $small, 'SCAN.TIFF'], [model_id => 'local-restore']),
    400, "File format '.tiff' not allowed. $allowed", '.TIFF');
my $big = 'x' x int(10.5 * 1048576);
detail_is(post([file => $big, 'big.gif'], [model_id => 'local-restore']),
    400, "File format '.gif' not allowed. $allowed",
    'extension before size');

# 5. Too large: from the bytes sent, MiB with two decimals.
detail_is(post([file => $big, 'big.png'], [model_id => 'nope']), 413,
    'File size (10.50MB) exceeds maximum allowed size (10.00MB)',
    '10.5 MiB, before image and model checks');
detail_is(post([file => 'y' x (10 * 1048576 + 1), 'big.jpg'],
    [model_id => 'local-restore']), 413,
    'File size (10.00MB) exceeds maximum allowed size (10.00MB)',
    'one byte over');
detail_is(post([file => 'z' x (10 * 1048576), 'ten.jpg'],
    [model_id => 'local-restore']), 400,
    'Invalid image data: not a JPEG or PNG image',
    'exactly the maximum is not too large');

# 6. Invalid image data.
detail_is(post([file => '', 'empty.png'], [model_id => 'local-restore']),
    400, 'Invalid image data: empty file', '0 bytes');
detail_is(post([file => "hello, world\n" x 20, 'text.jpg'],
    [model_id => 'nope']), 400,
    'Invalid image data: not a JPEG or PNG image',
    'garbage, before the model check');
detail_is(post([file => "GIF89a\x01\x00\x01\x00\x80\x00\x00" . "\0" x 40,
    'fake.png'], [model_id => 'local-restore']), 400,
    'Invalid image data: not a JPEG or PNG image', 'GIF named .png');
$r = post([file => substr($png, 0, length($png) / 2), 'half.png'],
    [model_id => 'local-restore']);
is($r->{status}, 400, 'truncated PNG: 400');
like($r->{json}{detail}, qr/^Invalid image data: \S/,
    'truncated PNG: Invalid image data: <reason>');
$r = post([file => png(8000, 8000), 'bomb.png'],
    [model_id => 'local-restore']);
is($r->{status}, 400, '64 MP PNG: 400');
like($r->{json}{detail}, qr/^Invalid image data: .*too large/,
    '64 MP PNG refused (max_pixels)');

# 7. Unknown model: unknown, disabled, provider not usable.
detail_is(post([file => $small, 'a.png'], [model_id => 'nope'],
    [parameters => 'not json']), 400, 'Unknown model: nope',
    'unknown model, before parameters');
detail_is(post([file => $small, 'a.png'], [model_id => 'local-upscale-4x']),
    400, 'Unknown model: local-upscale-4x', 'disabled model');
detail_is(post([file => $small, 'a.png'], [model_id => 'swin2sr-2x']),
    400, 'Unknown model: swin2sr-2x', 'HuggingFace without HF_API_KEY');
detail_is(post([file => $small, 'a.png'], [model_id => 'gfpgan']),
    400, 'Unknown model: gfpgan', 'Replicate without REPLICATE_API_TOKEN');

# 8. Parameters: a JSON object text.
$r = post([file => $small, 'a.png'], [model_id => 'local-restore'],
    [parameters => 'not json']);
is($r->{status}, 400, 'not JSON: 400');
like($r->{json}{detail}, qr/^Invalid parameters JSON: \S/, 'not JSON: detail');
detail_is(post([file => $small, 'a.png'], [model_id => 'local-restore'],
    [parameters => '[1, 2]']), 400,
    'Invalid parameters JSON: must be a JSON object', 'an array');
$r = post([file => $small, 'a.png'], [model_id => 'local-restore'],
    [parameters => '{"strength": 0.5} x']);
like($r->{json}{detail}, qr/^Invalid parameters JSON: Extra data/,
    'trailing bytes');
detail_is(post([file => $small, 'a.png'], [model_id => 'local-restore'],
    [parameters => '{"strength": 0.5, "strength": 0.6}']), 400,
    q{Invalid parameters JSON: duplicate key 'strength'}, 'duplicate key');

# Nothing of the above was stored.
$r = $s->request(GET => '/api/v1/restore/history', token => $tok);
is($r->{json}{total}, 0, 'no rows after failed checks');

# And a request passing every check restores.
$r = post([file => $small, 'ok.png'], [model_id => 'local-restore'],
    [parameters => '']);
is($r->{status}, 200, 'all checks pass: 200') or diag $r->{raw};
done_testing;
