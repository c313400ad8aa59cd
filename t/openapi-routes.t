#!/usr/bin/perl
# openapi.json documents exactly the routes that exist: every method and
# path in the route tables of cgi-bin/*.c is in the document and every
# documented operation is in a route table.  The document is sound (every
# $ref resolves, path parameters declared, authenticated operations
# document their 401) and nginx serves it at /api/openapi.json.
use strict; use warnings;
use Test::More;
use JSON::PP;
use lib 't/lib';
use Stack;

my $json = JSON::PP->new->utf8;
open(my $fh, '<:raw', "$Stack::TOP/openapi.json") or die "openapi.json: $!";
my $raw = do { local $/; <$fh> };
close $fh;
my $doc = eval { $json->decode($raw) };
ok($doc, 'openapi.json is JSON') or BAIL_OUT("openapi.json: $@");
like($doc->{openapi} // '', qr/^3\.\d+\.\d+$/, 'an OpenAPI 3 document');
is($doc->{components}{securitySchemes}{bearer}{scheme}, 'bearer',
    'bearer security scheme');

# The route tables: { "GET", "/api/v1/...", fn, flags } (may wrap).
my %routes;
for my $f (glob "$Stack::TOP/cgi-bin/*.c") {
	open(my $c, '<', $f) or die;
	my $src = do { local $/; <$c> };
	close $c;
	while ($src =~ /\{\s*"([A-Z]+)",\s*"(\/[^"]*)",\s*\w+,/g) {
		$routes{"$1 $2"} = 1;
	}
}
cmp_ok(scalar keys %routes, '>=', 20, 'route tables found');

my %documented;
my @methods = qw(get put post delete patch head options);
for my $p (sort keys %{ $doc->{paths} }) {
	(my $pat = $p) =~ s/\{[^}\/]+\}/*/g;
	for my $m (@methods) {
		next unless exists $doc->{paths}{$p}{$m};
		$documented{uc($m) . " $pat"} = $doc->{paths}{$p}{$m};
	}
}
my @missing = grep { !$documented{$_} } sort keys %routes;
my @extra = grep { !$routes{$_} } sort keys %documented;
is_deeply(\@missing, [], 'every route is documented');
is_deeply(\@extra, [], 'every documented operation is a route');

# Soundness.
my @bad;
my $walk;
$walk = sub {
	my ($n) = @_;
	if (ref $n eq 'HASH') {
		if (defined $n->{'$ref'}) {
			my $r = $n->{'$ref'};
			my $t = $doc;
			if ($r =~ m{^#/(.*)$}) {
				$t = ref $t eq 'HASH' ? $t->{$_} : undef
				    for split m{/}, $1;
			} else {
				$t = undef;
			}
			push @bad, $r unless defined $t;
		}
		$walk->($_) for values %$n;
	} elsif (ref $n eq 'ARRAY') {
		$walk->($_) for @$n;
	}
};
$walk->($doc);
is_deeply(\@bad, [], 'every $ref resolves');

my (@noparam, @no401, @noresp, @noid);
my %ids;
for my $p (sort keys %{ $doc->{paths} }) {
	my @want = $p =~ /\{([^}]+)\}/g;
	for my $m (@methods) {
		my $op = $doc->{paths}{$p}{$m} or next;
		my %have;
		for my $prm (@{ $op->{parameters} // [] }) {
			my $x = $prm;
			if ($prm->{'$ref'} && $prm->{'$ref'} =~ m{/([^/]+)$}) {
				$x = $doc->{components}{parameters}{$1};
			}
			$have{$x->{name}} = 1 if ($x->{in} // '') eq 'path';
		}
		push @noparam, "$m $p" if grep { !$have{$_} } @want;
		push @noresp, "$m $p" unless %{ $op->{responses} // {} } &&
		    grep { /^2\d\d$/ } keys %{ $op->{responses} };
		my $sec = $op->{security} // $doc->{security};
		my $needs = grep { exists $_->{bearer} && !grep { !%$_ } @$sec }
		    @$sec;
		push @no401, "$m $p" if $needs && !$op->{responses}{401};
		push @noid, "$m $p" if !$op->{operationId} ||
		    $ids{$op->{operationId}}++;
	}
}
is_deeply(\@noparam, [], 'path parameters are declared');
is_deeply(\@noresp, [], 'every operation has a success response');
is_deeply(\@no401, [], 'authenticated operations document 401');
is_deeply(\@noid, [], 'operation ids are there and unique');
for my $name (qw(UserResponse RestoreResponse HistoryItem ModelInfo Token
    Error ValidationError SessionInfo)) {
	ok($doc->{components}{schemas}{$name}, "schema $name");
}
is_deeply([@{ $doc->{components}{schemas}{UserResponse}{required} }],
    [qw(id username email full_name role is_active created_at last_login
    password_must_change)], 'UserResponse: the contract\'s fields');
is_deeply([@{ $doc->{components}{schemas}{RestoreResponse}{required} }],
    [qw(id session_id original_url processed_url model_id
    original_filename timestamp)], 'RestoreResponse: the contract\'s fields');

# Served by nginx.
my $s = Stack->start;
my $r = $s->request(GET => '/api/openapi.json');
is($r->{status}, 200, 'GET /api/openapi.json');
like($r->{headers}{'content-type'} // '', qr{^application/json},
    'as application/json');
is($r->{raw}, $raw, 'the document in the repository');
is($s->request(GET => '/api/openapi.yaml')->{status}, 404,
    'nothing else under /api/ besides the API');
done_testing;
