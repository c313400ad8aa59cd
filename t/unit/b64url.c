/*
 * t/unit/b64url.c: base64url (RFC 4648 §5, strict) and base64 (§4).
 * Usage: b64url BEHAVIOUR, one of "strict", "standard".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "photorestore.h"
#include "tap.h"

/* RFC 4648 §10 test vectors. */
static const struct {
	const char	*in;
	const char	*url;	/* base64url, no padding */
	const char	*std;	/* base64, padded */
} vec[] = {
	{ "",		"",		"" },
	{ "f",		"Zg",		"Zg==" },
	{ "fo",		"Zm8",		"Zm8=" },
	{ "foo",	"Zm9v",		"Zm9v" },
	{ "foob",	"Zm9vYg",	"Zm9vYg==" },
	{ "fooba",	"Zm9vYmE",	"Zm9vYmE=" },
	{ "foobar",	"Zm9vYmFy",	"Zm9vYmFy" },
};

#define NVEC	(sizeof(vec) / sizeof(vec[0]))

/* Inputs b64url_decode must refuse; len 0 means strlen. */
static const struct {
	const char	*why;
	const char	*in;
	size_t		 len;
} bad[] = {
	{ "padding ==",			"Zg==", 0 },
	{ "padding =",			"Zm8=", 0 },
	{ "lone padding",		"====", 0 },
	{ "padding inside",		"Zg==Zm9v", 0 },
	{ "standard '+'",		"Zm+v", 0 },
	{ "standard '/'",		"Zm/v", 0 },
	{ "leading space",		" Zm9v", 0 },
	{ "trailing newline",		"Zm9v\n", 0 },
	{ "inner space",		"Zm 9v", 0 },
	{ "inner CR LF",		"Zm9v\r\nYmFy", 0 },
	{ "tab",			"Zm9\tv", 0 },
	{ "len % 4 == 1 (1)",		"Z", 0 },
	{ "len % 4 == 1 (5)",		"Zm9vY", 0 },
	{ "len % 4 == 1 (9)",		"Zm9vYmFyZ", 0 },
	{ "trailing bits, 2 chars",	"Zh", 0 },
	{ "trailing bits, 2 chars (_)",	"Z_", 0 },
	{ "trailing bits, 3 chars",	"Zm9", 0 },
	{ "trailing bits, 3 chars (-)",	"Zm-", 0 },
	{ "embedded NUL",		"Zm\0v", 4 },
	{ "high byte",			"Zm\xc3\xa9", 0 },
	{ "dot",			"Zm9v.mFy", 0 },
	{ "percent",			"Zm9%", 0 },
};

#define NBAD	(sizeof(bad) / sizeof(bad[0]))

static void
strict(void)
{
	unsigned char	 in[300], out[300];
	char		 enc[512];
	size_t		 i, n, outlen;

	/* Published vectors both ways. */
	for (i = 0; i < NVEC; i++) {
		n = strlen(vec[i].in);
		is_int(b64url_enclen(n), strlen(vec[i].url),
		    "enclen(%zu)", n);
		b64url_encode((const unsigned char *)vec[i].in, n, enc);
		is_str(enc, vec[i].url, "encode \"%s\"", vec[i].in);
		is_int(b64url_declen(strlen(vec[i].url)), n,
		    "declen(%zu)", strlen(vec[i].url));
		outlen = 999;
		memset(out, 0xa5, sizeof(out));
		is_int(b64url_decode(vec[i].url, strlen(vec[i].url), out,
		    sizeof(out), &outlen), 0, "decode \"%s\"", vec[i].url);
		ok(outlen == n && memcmp(out, vec[i].in, n) == 0,
		    "decode \"%s\" gives \"%s\"", vec[i].url, vec[i].in);
	}

	/* The two characters that differ from standard base64. */
	in[0] = 0xfb;
	in[1] = 0xff;
	b64url_encode(in, 2, enc);
	is_str(enc, "-_8", "0xfb 0xff encodes with '-' and '_'");
	ok(b64url_decode("-_8", 3, out, sizeof(out), &outlen) == 0 &&
	    outlen == 2 && out[0] == 0xfb && out[1] == 0xff,
	    "'-' and '_' decode");

	/* Every length 0..256 over every byte value round-trips. */
	for (i = 0; i < 257; i++)
		in[i] = (unsigned char)(i * 7 + 3);
	for (n = 0; n <= 257; n++) {
		b64url_encode(in, n, enc);
		if (strlen(enc) != b64url_enclen(n) ||
		    b64url_decode(enc, strlen(enc), out, b64url_declen(
		    strlen(enc)), &outlen) != 0 || outlen != n ||
		    memcmp(in, out, n) != 0)
			break;
	}
	is_int(n, 258, "round trip of lengths 0..257 with exact out sizes");

	/* The table of strict rejects. */
	for (i = 0; i < NBAD; i++) {
		n = bad[i].len ? bad[i].len : strlen(bad[i].in);
		is_int(b64url_decode(bad[i].in, n, out, sizeof(out),
		    &outlen), -1, "reject: %s", bad[i].why);
	}

	/* Accepted neighbours of the trailing-bit rejects. */
	ok(b64url_decode("Zg", 2, out, sizeof(out), &outlen) == 0 &&
	    outlen == 1, "\"Zg\" (zero trailing bits) accepted");
	ok(b64url_decode("Zm8", 3, out, sizeof(out), &outlen) == 0 &&
	    outlen == 2, "\"Zm8\" (zero trailing bits) accepted");

	/* Output space is respected. */
	is_int(b64url_decode("Zm9vYmFy", 8, out, 5, &outlen), -1,
	    "reject when out is one byte short");
	is_int(b64url_decode("Zm9vYmFy", 8, out, 6, &outlen), 0,
	    "accept when out is exactly big enough");
	ok(b64url_decode("", 0, out, 0, &outlen) == 0 && outlen == 0,
	    "empty input decodes to nothing");

	/* Length functions do not wrap. */
	is_int(b64url_enclen(SIZE_MAX) == SIZE_MAX, 1,
	    "enclen(SIZE_MAX) saturates");
	is_int(b64url_declen(5), 3, "declen ignores a dangling character");
}

static void
standard(void)
{
	unsigned char	 in[2];
	char		 enc[64];
	size_t		 i, n;

	for (i = 0; i < NVEC; i++) {
		n = strlen(vec[i].in);
		is_int(b64_enclen(n), strlen(vec[i].std), "b64_enclen(%zu)",
		    n);
		b64_encode((const unsigned char *)vec[i].in, n, enc);
		is_str(enc, vec[i].std, "b64_encode \"%s\"", vec[i].in);
	}
	in[0] = 0xfb;
	in[1] = 0xff;
	b64_encode(in, 2, enc);
	is_str(enc, "+/8=", "0xfb 0xff encodes with '+' and '/'");
	is_int(b64_enclen(SIZE_MAX) == SIZE_MAX, 1, "b64_enclen saturates");
}

int
main(int argc, char *argv[])
{

	if (argc != 2) {
		fprintf(stderr, "usage: %s strict|standard\n", argv[0]);
		return 2;
	}
	if (strcmp(argv[1], "strict") == 0)
		strict();
	else if (strcmp(argv[1], "standard") == 0)
		standard();
	else {
		fprintf(stderr, "%s: unknown behaviour %s\n", argv[0],
		    argv[1]);
		return 2;
	}
	return done_testing();
}
