/*
 * b64url.c: RFC 4648 base64url (§5, no padding, strict decoding) for JWT
 * segments and password hash strings, and standard base64 (§4, padded)
 * for data: URIs.
 *
 * The character <-> value mapping is done with branch-free arithmetic
 * instead of table look-ups, because this code also handles the salt and
 * hash of stored passwords: a table indexed by secret bytes can leak them
 * through the cache.  Whether the input is valid at all is not secret, so
 * the decoder may stop at the first bad character.
 */
#include <stddef.h>
#include <stdint.h>

#include "photorestore.h"

/*
 * Largest input length whose encoding (plus the caller's NUL) fits in a
 * size_t; the length functions return SIZE_MAX above it.
 */
#define B64_MAXIN	((SIZE_MAX / 4) * 3 - 3)

/*
 * Masks for branch-free comparisons of small unsigned values (0..255):
 * each yields 0xff when the relation holds, else 0.
 */
#define CT_GE(x, y)	(((((unsigned)(y) - (unsigned)(x) - 1) >> 8) & 0xff))
#define CT_LE(x, y)	CT_GE(y, x)
#define CT_EQ(x, y)	((((0U - ((unsigned)(x) ^ (unsigned)(y))) >> 8) & \
			    0xff) ^ 0xff)

/*
 * Map a 6-bit value to its character; c62 and c63 are the last two
 * characters of the alphabet ('-' '_' for base64url, '+' '/' for base64).
 */
static char
enc6(unsigned v, unsigned c62, unsigned c63)
{
	unsigned	 c;

	v &= 0x3f;
	c = v + 'A';
	c += CT_GE(v, 26) & ('a' - 'A' - 26);
	c -= CT_GE(v, 52) & ('a' - '0' + 26);
	c ^= CT_EQ(v, 62) & (c ^ c62);
	c ^= CT_EQ(v, 63) & (c ^ c63);
	return (char)c;
}

/*
 * Map a base64url character to its 6-bit value, or to 0xff when it is not
 * in the alphabet.
 */
static unsigned
dec6(unsigned char ch)
{
	unsigned	 c = ch, v, hit;

	v = (CT_GE(c, 'A') & CT_LE(c, 'Z') & (c - 'A')) |
	    (CT_GE(c, 'a') & CT_LE(c, 'z') & (c - 'a' + 26)) |
	    (CT_GE(c, '0') & CT_LE(c, '9') & (c - '0' + 52)) |
	    (CT_EQ(c, '-') & 62) |
	    (CT_EQ(c, '_') & 63);
	hit = (CT_GE(c, 'A') & CT_LE(c, 'Z')) |
	    (CT_GE(c, 'a') & CT_LE(c, 'z')) |
	    (CT_GE(c, '0') & CT_LE(c, '9')) |
	    CT_EQ(c, '-') | CT_EQ(c, '_');
	return (v & hit) | (hit ^ 0xff);
}

/*
 * The length of the unpadded base64url encoding of n bytes, without the
 * NUL.  Returns SIZE_MAX when n is too large to encode.
 */
size_t
b64url_enclen(size_t n)
{

	if (n > B64_MAXIN)
		return SIZE_MAX;
	return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

/*
 * The number of bytes that n base64url characters decode to at most (exact
 * for valid input).  A length with n % 4 == 1 is invalid; its last
 * character is not counted.
 */
size_t
b64url_declen(size_t n)
{

	return n / 4 * 3 + (n % 4 > 1 ? n % 4 - 1 : 0);
}

/* Encode n bytes with the given last two alphabet characters; no NUL. */
static size_t
encode(const unsigned char *in, size_t n, char *out, unsigned c62,
    unsigned c63, int pad)
{
	size_t		 i, o = 0;
	unsigned	 w;

	for (i = 0; i + 3 <= n; i += 3) {
		w = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 |
		    in[i + 2];
		out[o++] = enc6(w >> 18, c62, c63);
		out[o++] = enc6(w >> 12, c62, c63);
		out[o++] = enc6(w >> 6, c62, c63);
		out[o++] = enc6(w, c62, c63);
	}
	if (n - i == 1) {
		w = (unsigned)in[i] << 16;
		out[o++] = enc6(w >> 18, c62, c63);
		out[o++] = enc6(w >> 12, c62, c63);
		if (pad) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (n - i == 2) {
		w = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
		out[o++] = enc6(w >> 18, c62, c63);
		out[o++] = enc6(w >> 12, c62, c63);
		out[o++] = enc6(w >> 6, c62, c63);
		if (pad)
			out[o++] = '=';
	}
	return o;
}

/*
 * Encode n bytes as base64url without padding (RFC 4648 §5).  out must
 * hold b64url_enclen(n) + 1 bytes; it is NUL-terminated.
 */
void
b64url_encode(const unsigned char *in, size_t n, char *out)
{

	out[encode(in, n, out, '-', '_', 0)] = '\0';
}

/*
 * Decode n base64url characters strictly: only the 64 alphabet
 * characters, no padding, no whitespace, n % 4 != 1, and the unused low
 * bits of the last character zero (so every byte string has exactly one
 * accepted encoding, RFC 4648 §3.5).  Writes the bytes to out, which holds
 * outsz bytes, and their number to *outlen.  Returns 0, or -1 on invalid
 * input or when out is too small (out may then hold garbage).
 */
int
b64url_decode(const char *in, size_t n, unsigned char *out, size_t outsz,
    size_t *outlen)
{
	size_t		 i, o = 0, rem;
	unsigned	 a, b, c, d;
	const unsigned char *p = (const unsigned char *)in;

	if (in == NULL && n > 0)
		return -1;
	rem = n % 4;
	if (rem == 1 || b64url_declen(n) > outsz)
		return -1;
	for (i = 0; i + 4 <= n; i += 4) {
		a = dec6(p[i]);
		b = dec6(p[i + 1]);
		c = dec6(p[i + 2]);
		d = dec6(p[i + 3]);
		if ((a | b | c | d) & 0x80)
			return -1;
		out[o++] = (unsigned char)(a << 2 | b >> 4);
		out[o++] = (unsigned char)(b << 4 | c >> 2);
		out[o++] = (unsigned char)(c << 6 | d);
	}
	if (rem == 2) {
		a = dec6(p[i]);
		b = dec6(p[i + 1]);
		if (((a | b) & 0x80) || (b & 0x0f) != 0)
			return -1;
		out[o++] = (unsigned char)(a << 2 | b >> 4);
	} else if (rem == 3) {
		a = dec6(p[i]);
		b = dec6(p[i + 1]);
		c = dec6(p[i + 2]);
		if (((a | b | c) & 0x80) || (c & 0x03) != 0)
			return -1;
		out[o++] = (unsigned char)(a << 2 | b >> 4);
		out[o++] = (unsigned char)(b << 4 | c >> 2);
	}
	if (outlen != NULL)
		*outlen = o;
	return 0;
}

/*
 * The length of the padded standard base64 encoding of n bytes, without
 * the NUL.  Returns SIZE_MAX when n is too large to encode.
 */
size_t
b64_enclen(size_t n)
{

	if (n > B64_MAXIN)
		return SIZE_MAX;
	return (n + 2) / 3 * 4;
}

/*
 * Encode n bytes as standard padded base64 (RFC 4648 §4), as data: URIs
 * need.  out must hold b64_enclen(n) + 1 bytes; it is NUL-terminated.
 */
void
b64_encode(const unsigned char *in, size_t n, char *out)
{

	out[encode(in, n, out, '+', '/', 1)] = '\0';
}
