/*
 * t/fuzz/b64url.c: libFuzzer driver for the strict base64url decoder
 * (lib/b64url.c).  Properties checked on every input:
 * - decoding never writes past outsz, and a decoded length never
 *   exceeds b64url_declen(n);
 * - strictness: whatever decodes re-encodes to exactly the input (one
 *   accepted encoding per byte string, RFC 4648 §3.5);
 * - every byte string round-trips through b64url_encode/b64url_decode,
 *   and b64_encode writes exactly b64_enclen(n) characters.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "photorestore.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char	*dec, *dec2;
	char		*enc;
	size_t		 outlen = 0, outlen2 = 0, cap, small;

	if (size > 1 << 16)
		return 0;
	cap = b64url_declen(size);
	/* An exact-size heap buffer, so ASan sees any overrun. */
	dec = malloc(cap + 1);
	enc = malloc(b64_enclen(size) + 1);
	if (dec == NULL || enc == NULL)
		abort();
	if (b64url_decode((const char *)data, size, dec, cap, &outlen) == 0) {
		if (outlen > cap)
			abort();
		b64url_encode(dec, outlen, enc);
		if (strlen(enc) != size || memcmp(enc, data, size) != 0)
			abort();	/* two encodings accepted */
	}
	/* A buffer one byte short must be refused, never overrun. */
	if (cap > 0) {
		small = cap - 1;
		dec2 = malloc(small + 1);
		if (dec2 == NULL)
			abort();
		if (b64url_decode((const char *)data, size, dec2, small,
		    &outlen2) == 0 && outlen2 > small)
			abort();
		free(dec2);
	}
	/* Any bytes round-trip. */
	b64url_encode(data, size, enc);
	if (strlen(enc) != b64url_enclen(size))
		abort();
	free(dec);
	dec = malloc(size + 1);
	if (dec == NULL)
		abort();
	if (b64url_decode(enc, strlen(enc), dec, size, &outlen) != 0 ||
	    outlen != size || memcmp(dec, data, size) != 0)
		abort();
	b64_encode(data, size, enc);
	if (strlen(enc) != b64_enclen(size))
		abort();
	free(dec);
	free(enc);
	return 0;
}
