# t/lib/Upload.pm: what the upload tests share: a tiny real JPEG and a
# multipart/form-data body builder.  Core Perl modules only.
package Upload;

use strict;
use warnings;
use Exporter qw(import);
use MIME::Base64 qw(decode_base64);

our @EXPORT_OK = qw(form $JPEG);

# A 48x32 JPEG made by the project's own encoder (img_encode, quality 80).
our $JPEG = decode_base64(<<'B64');
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

1;
