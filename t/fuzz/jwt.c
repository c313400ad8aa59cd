/*
 * t/fuzz/jwt.c: libFuzzer driver for jwt_decode and jwt_verify
 * (lib/jwt.c).  A random token almost never carries a valid HMAC, so the
 * JSON checks behind the signature would stay unreached; the first input
 * byte therefore picks a mode:
 * - even: the rest is a raw token, verified as it comes;
 * - odd: the rest is "<header JSON>\n<claims JSON>" (the header part may
 *   be empty: then the standard one is used); the driver encodes and
 *   signs it with the test key, so every header and claims shape the
 *   fuzzer invents reaches the post-signature checks.  A flipped
 *   signature byte must then always be refused.
 * Properties: no crash or leak; an accepted token has alg "HS256", no
 * banned header, an exp not in the past, and jwt_verify's claims are the
 * types the API says; jwt_sign'ed claims verify again.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "photorestore.h"

#define NOW	INT64_C(1700000000)

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const unsigned char key[32] = "0123456789abcdef0123456789abcdef";

/* header.payload (b64url) + "." + signature into a malloc'd string. */
static char *
make_token(const char *h, size_t hl, const char *p, size_t pl, size_t *len)
{
	size_t		 a = b64url_enclen(hl), b = b64url_enclen(pl);
	size_t		 c = b64url_enclen(32), n;
	unsigned char	 mac[32];
	unsigned int	 maclen = 0;
	char		*t;

	if ((t = malloc(a + 1 + b + 1 + c + 1)) == NULL)
		abort();
	b64url_encode((const unsigned char *)h, hl, t);
	t[a] = '.';
	b64url_encode((const unsigned char *)p, pl, t + a + 1);
	n = a + 1 + b;
	if (HMAC(EVP_sha256(), key, sizeof(key), (unsigned char *)t, n, mac,
	    &maclen) == NULL || maclen != 32)
		abort();
	t[n] = '.';
	b64url_encode(mac, sizeof(mac), t + n + 1);
	*len = n + 1 + c;
	return t;
}

/* Check what an accepted token must look like. */
static void
check_accepted(const char *tok, size_t len)
{
	struct jwt_claims c;
	enum jwt_err	 e;
	char		*again = NULL;

	e = jwt_verify(tok, len, key, sizeof(key), NOW, &c);
	if (e != JWT_OK)
		return;
	if (c.exp + JWT_LEEWAY <= NOW || c.user_id < 1 ||
	    (strcmp(c.role, "admin") != 0 && strcmp(c.role, "user") != 0) ||
	    strlen(c.session_id) != 36 || c.sub[0] == '\0' ||
	    (c.password_must_change != 0 && c.password_must_change != 1))
		abort();
	/* What we accept, we can issue and accept again (if iat fits). */
	if (c.iat != 0 && c.exp - c.iat > JWT_MAXLIFE)
		return;
	if (jwt_sign(&c, key, sizeof(key), &again) == JWT_OK) {
		struct jwt_claims c2;

		if (jwt_verify(again, strlen(again), key, sizeof(key), NOW,
		    &c2) != JWT_OK || memcmp(&c, &c2, sizeof(c)) != 0)
			abort();
	}
	free(again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON		*payload = NULL;
	struct jwt_claims c;
	const char	*in, *nl, *h, *p;
	char		*tok, *raw;
	size_t		 n, hl, pl, len;
	enum jwt_err	 e;
	static const char stdh[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

	if (size < 1 || size > 8192)
		return 0;
	in = (const char *)data + 1;
	n = size - 1;
	if ((data[0] & 1) == 0) {
		/* A raw token, as an attacker sends it (heap copy: exact). */
		if ((raw = malloc(n ? n : 1)) == NULL)
			abort();
		memcpy(raw, in, n);
		e = jwt_decode(raw, n, key, sizeof(key), NOW, &payload);
		if ((e == JWT_OK) != (payload != NULL))
			abort();
		cJSON_Delete(payload);
		jwt_verify(raw, n, key, sizeof(key), NOW, &c);
		check_accepted(raw, n);
		free(raw);
		return 0;
	}
	if ((nl = memchr(in, '\n', n)) == NULL) {
		h = stdh;
		hl = sizeof(stdh) - 1;
		p = in;
		pl = n;
	} else {
		h = in;
		hl = (size_t)(nl - in);
		if (hl == 0) {
			h = stdh;
			hl = sizeof(stdh) - 1;
		}
		p = nl + 1;
		pl = n - (size_t)(nl + 1 - in);
	}
	tok = make_token(h, hl, p, pl, &len);
	e = jwt_decode(tok, len, key, sizeof(key), NOW, &payload);
	if ((e == JWT_OK) != (payload != NULL))
		abort();
	if (e == JWT_OK) {
		/* A header we would refuse must never get this far. */
		cJSON *hj = cJSON_ParseWithLength(h, hl);
		const cJSON *alg = cJSON_GetObjectItemCaseSensitive(hj, "alg");

		if (hj == NULL || !cJSON_IsString(alg) ||
		    strcmp(alg->valuestring, "HS256") != 0 ||
		    cJSON_GetObjectItemCaseSensitive(hj, "crit") != NULL ||
		    cJSON_GetObjectItemCaseSensitive(hj, "jwk") != NULL)
			abort();
		cJSON_Delete(hj);
	}
	cJSON_Delete(payload);
	check_accepted(tok, len);
	/* Tampering with the signature must always be refused. */
	if (len > 0) {
		tok[len - 2] = tok[len - 2] == 'A' ? 'B' : 'A';
		if (jwt_decode(tok, len, key, sizeof(key), NOW, NULL) ==
		    JWT_OK)
			abort();
	}
	free(tok);
	return 0;
}
