/*
 * t/unit/jwt.c: HS256 JWT signing and verification.
 * Usage: jwt BEHAVIOUR, one of "rfc7515-a1", "sign-verify", "alg-none",
 * "malformed", "lifetime".
 *
 * Tokens with arbitrary headers and payloads are signed here with
 * OpenSSL's HMAC directly, an implementation independent of lib/jwt.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "photorestore.h"
#include "tap.h"

/* ------------------------------------------------------------ helpers */

/* A 32-byte test key and a different one. */
static const unsigned char key[32] = "0123456789abcdef0123456789abcdef";
static const unsigned char key2[32] = "0123456789abcdef0123456789abcdeF";

static size_t
unhex(const char *h, unsigned char *out, size_t outsz)
{
	size_t		 n = 0;
	unsigned	 v;
	char		 two[3] = { 0 };

	while (h[0] != '\0' && h[1] != '\0' && n < outsz) {
		two[0] = h[0];
		two[1] = h[1];
		v = (unsigned)strtoul(two, NULL, 16);
		out[n++] = (unsigned char)v;
		h += 2;
	}
	return n;
}

/*
 * Build "b64(hdr).b64(pay).b64(mac)" where mac is HMAC-SHA256 under k
 * truncated or extended to maclen bytes (maclen 0: no signature, token
 * ends in a dot).  Returns a malloc'd string.
 */
static char *
mktok(const char *hdr, size_t hlen, const char *pay, size_t plen,
    const unsigned char *k, size_t klen, size_t maclen)
{
	unsigned char	 mac[64];
	unsigned int	 ml = 0;
	size_t		 n, cap;
	char		*t;

	cap = b64url_enclen(hlen) + b64url_enclen(plen) +
	    b64url_enclen(sizeof(mac)) + 3;
	if ((t = malloc(cap)) == NULL)
		abort();
	b64url_encode((const unsigned char *)hdr, hlen, t);
	n = strlen(t);
	t[n++] = '.';
	b64url_encode((const unsigned char *)pay, plen, t + n);
	n += strlen(t + n);
	memset(mac, 0x5a, sizeof(mac));
	if (HMAC(EVP_sha256(), k, (int)klen, (unsigned char *)t, n, mac,
	    &ml) == NULL || ml != 32)
		abort();
	t[n++] = '.';
	b64url_encode(mac, maclen, t + n);
	return t;
}

static char *
mk(const char *hdr, const char *pay)
{

	return mktok(hdr, strlen(hdr), pay, strlen(pay), key, sizeof(key),
	    32);
}

/* Claims used throughout; NOW lies between IAT and EXP. */
#define NOW	1700000100LL
#define HS	"{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define SUB	"\"sub\":\"alice\""
#define UID	"\"user_id\":7"
#define ROLE	"\"role\":\"user\""
#define SID	"\"session_id\":\"0f8fad5b-d9cb-469f-a165-70867728950e\""
#define PMC	"\"password_must_change\":false"
#define EXP	"\"exp\":1700003600"
#define IAT	"\"iat\":1700000000"
#define JTI	"\"jti\":\"4b1d0c7e-58b2-4c43-9c5c-6f7c3e1a2b3d\""
#define GOOD	"{" SUB "," UID "," ROLE "," SID "," PMC "," EXP "," IAT \
		"," JTI "}"

/* ---------------------------------------------------------- behaviours */

/* RFC 7515 Appendix A.1, as recomputed in shared/vectors.md. */
static void
rfc7515_a1(void)
{
	static const char hdr64[] =
	    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9";
	static const char pay64[] =
	    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"
	    "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
	static const char sig64[] =
	    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
	static const char keyhex[] =
	    "0323354b2b0fa5bc837e0665777ba68f5ab328e6f054c928a90f84b2d2502ebf"
	    "d3fb5a92d20647ef968ab4c377623d223d2e2172052e4f08c0cd9af567d080a3";
	unsigned char	 k[64], buf[256];
	char		 tok[512];
	size_t		 klen, n;
	cJSON		*p = NULL;
	const cJSON	*v;
	struct jwt_claims c;

	klen = unhex(keyhex, k, sizeof(k));
	is_int(klen, 64, "key is 64 bytes");
	snprintf(tok, sizeof(tok), "%s.%s.%s", hdr64, pay64, sig64);

	ok(b64url_decode(hdr64, strlen(hdr64), buf, sizeof(buf), &n) == 0 &&
	    n == 30 && memcmp(buf, "{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}",
	    30) == 0, "header segment decodes to the bytes with CR LF");

	is_int(jwt_decode(tok, strlen(tok), k, klen, 1300819000, &p), JWT_OK,
	    "verifies at now=1300819000");
	v = cJSON_GetObjectItemCaseSensitive(p, "iss");
	is_str(cJSON_IsString(v) ? v->valuestring : NULL, "joe",
	    "iss is \"joe\"");
	v = cJSON_GetObjectItemCaseSensitive(p, "exp");
	ok(cJSON_IsNumber(v) && v->valuedouble == 1300819380.0,
	    "exp is 1300819380");
	v = cJSON_GetObjectItemCaseSensitive(p, "http://example.com/is_root");
	ok(cJSON_IsTrue(v), "http://example.com/is_root is true");
	cJSON_Delete(p);

	is_int(jwt_decode(tok, strlen(tok), k, klen, 1300819380 + 59, NULL),
	    JWT_OK, "still valid 59 s after exp (leeway)");
	is_int(jwt_decode(tok, strlen(tok), k, klen, 1300819380 + 60, NULL),
	    JWT_EEXPIRED, "expired when exp + 60 == now");
	p = (cJSON *)1;
	is_int(jwt_decode(tok, strlen(tok), k, klen, 1300819380 + 61, &p),
	    JWT_EEXPIRED, "expired at now=1300819380+61");
	ok(p == NULL, "no payload handed out on failure");

	k[63] ^= 1;
	is_int(jwt_decode(tok, strlen(tok), k, klen, 1300819000, NULL),
	    JWT_ESIG, "one key bit flipped: signature mismatch");
	k[63] ^= 1;

	is_int(jwt_verify(tok, strlen(tok), k, klen, 1300819000, &c),
	    JWT_EMISSING, "jwt_verify: valid JWS but no photorestore claims");

	/* The length argument, not a NUL, ends the token. */
	n = strlen(tok);
	tok[n] = 'x';
	tok[n + 1] = '\0';
	is_int(jwt_decode(tok, n, k, klen, 1300819000, NULL), JWT_OK,
	    "only len bytes are read");
}

static void
sign_verify(void)
{
	struct jwt_claims in, outc;
	char		*tok = NULL, *d1, *d2;
	char		 json[1024];
	unsigned char	 raw[1024], mac[32];
	unsigned int	 ml;
	size_t		 n;
	cJSON		*p = NULL;
	const cJSON	*it;
	const char	*order[] = { "sub", "user_id", "role", "session_id",
	    "password_must_change", "exp", "iat", "jti" };
	size_t		 i;

	memset(&in, 0, sizeof(in));
	snprintf(in.sub, sizeof(in.sub), "alice");
	in.user_id = 42;
	snprintf(in.role, sizeof(in.role), "admin");
	snprintf(in.session_id, sizeof(in.session_id),
	    "0f8fad5b-d9cb-469f-a165-70867728950e");
	in.password_must_change = 1;
	in.iat = 1700000000;
	in.exp = in.iat + 86400;
	snprintf(in.jti, sizeof(in.jti),
	    "4b1d0c7e-58b2-4c43-9c5c-6f7c3e1a2b3d");

	is_int(jwt_sign(&in, key, sizeof(key), &tok), JWT_OK, "jwt_sign");
	if (tok == NULL)
		return;
	d1 = strchr(tok, '.');
	d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	ok(d1 != NULL && d2 != NULL && strchr(d2 + 1, '.') == NULL,
	    "three segments");
	if (d2 == NULL)
		return;
	ok((size_t)(d1 - tok) == 36 &&
	    strncmp(tok, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9", 36) == 0,
	    "header is exactly {\"alg\":\"HS256\",\"typ\":\"JWT\"}");
	ok(b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), raw, sizeof(raw) - 1,
	    &n) == 0, "payload segment is base64url");
	raw[n] = '\0';
	is_str((char *)raw,
	    "{\"sub\":\"alice\",\"user_id\":42,\"role\":\"admin\","
	    "\"session_id\":\"0f8fad5b-d9cb-469f-a165-70867728950e\","
	    "\"password_must_change\":true,\"exp\":1700086400,"
	    "\"iat\":1700000000,"
	    "\"jti\":\"4b1d0c7e-58b2-4c43-9c5c-6f7c3e1a2b3d\"}",
	    "claims exactly, in order");
	is_int(strlen(d2 + 1), 43, "signature is 43 characters");
	ml = 0;
	HMAC(EVP_sha256(), key, sizeof(key), (unsigned char *)tok,
	    (size_t)(d2 - tok), mac, &ml);
	b64url_encode(mac, 32, json);
	is_str(d2 + 1, json, "signature is HMAC-SHA256 of header.payload");

	is_int(jwt_verify(tok, strlen(tok), key, sizeof(key), 1700000100,
	    &outc), JWT_OK, "jwt_verify accepts our token");
	is_str(outc.sub, "alice", "sub");
	is_int(outc.user_id, 42, "user_id");
	is_str(outc.role, "admin", "role");
	is_str(outc.session_id, in.session_id, "session_id");
	is_int(outc.password_must_change, 1, "password_must_change");
	is_int(outc.exp, 1700086400, "exp");
	is_int(outc.iat, 1700000000, "iat");
	is_str(outc.jti, in.jti, "jti");

	is_int(jwt_decode(tok, strlen(tok), key, sizeof(key), 1700000100, &p),
	    JWT_OK, "jwt_decode accepts our token");
	for (i = 0, it = p ? p->child : NULL; it != NULL && i < 8;
	    it = it->next, i++)
		if (strcmp(it->string, order[i]) != 0)
			break;
	ok(i == 8 && it == NULL, "decoded claims keep the signing order");
	cJSON_Delete(p);

	is_int(jwt_verify(tok, strlen(tok), key2, sizeof(key2), 1700000100,
	    &outc), JWT_ESIG, "other key: signature mismatch");
	ok(outc.sub[0] == '\0' && outc.user_id == 0,
	    "claims zeroed on failure");
	is_int(jwt_verify(tok, strlen(tok), key, sizeof(key),
	    1700086400 + 60, &outc), JWT_EEXPIRED, "expired after exp+60");
	free(tok);

	/* Optional claims left out; largest exact user_id. */
	in.iat = 0;
	in.jti[0] = '\0';
	in.password_must_change = 0;
	in.user_id = 9007199254740992LL;
	snprintf(in.role, sizeof(in.role), "user");
	tok = NULL;
	is_int(jwt_sign(&in, key, sizeof(key), &tok), JWT_OK,
	    "jwt_sign without iat and jti");
	if (tok != NULL) {
		d1 = strchr(tok, '.');
		d2 = strchr(d1 + 1, '.');
		b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), raw,
		    sizeof(raw) - 1, &n);
		raw[n] = '\0';
		is_str((char *)raw,
		    "{\"sub\":\"alice\",\"user_id\":9007199254740992,"
		    "\"role\":\"user\","
		    "\"session_id\":\"0f8fad5b-d9cb-469f-a165-70867728950e\","
		    "\"password_must_change\":false,\"exp\":1700086400}",
		    "iat 0 and empty jti are omitted; integers exact");
		is_int(jwt_verify(tok, strlen(tok), key, sizeof(key),
		    1700000100, &outc), JWT_OK, "and it verifies");
		is_int(outc.user_id, 9007199254740992LL, "user_id 2^53");
		is_int(outc.iat, 0, "iat 0");
		is_str(outc.jti, "", "jti empty");
		is_int(outc.password_must_change, 0, "password_must_change");
		free(tok);
	}

	/* We never issue what we would refuse. */
	tok = NULL;
	is_int(jwt_sign(&in, key, 31, &tok), JWT_ECRYPTO,
	    "sign: key of 31 bytes refused");
	ok(tok == NULL, "no token on failure");
	snprintf(in.role, sizeof(in.role), "root");
	is_int(jwt_sign(&in, key, sizeof(key), &tok), JWT_ECLAIMS,
	    "sign: role root refused");
	snprintf(in.role, sizeof(in.role), "user");
	snprintf(in.session_id, sizeof(in.session_id), "nope");
	is_int(jwt_sign(&in, key, sizeof(key), &tok), JWT_ECLAIMS,
	    "sign: session_id not a UUID refused");
	snprintf(in.session_id, sizeof(in.session_id),
	    "0f8fad5b-d9cb-469f-a165-70867728950e");
	in.user_id = 0;
	is_int(jwt_sign(&in, key, sizeof(key), &tok), JWT_ECLAIMS,
	    "sign: user_id 0 refused");
	in.user_id = 9007199254740993LL;
	is_int(jwt_sign(&in, key, sizeof(key), &tok), JWT_ECLAIMS,
	    "sign: user_id 2^53+1 refused");
	in.user_id = 1;
	in.iat = in.exp - JWT_MAXLIFE - 1;
	is_int(jwt_sign(&in, key, sizeof(key), &tok), JWT_ECLAIMS,
	    "sign: lifetime over JWT_MAXLIFE refused");
	in.iat = in.exp - JWT_MAXLIFE;
	is_int(jwt_sign(&in, key, sizeof(key), &tok), JWT_OK,
	    "sign: lifetime of exactly JWT_MAXLIFE accepted");
	free(tok);
	tok = NULL;
	in.sub[0] = '\0';
	is_int(jwt_sign(&in, key, sizeof(key), &tok), JWT_ECLAIMS,
	    "sign: empty sub refused");
	memset(in.sub, 'a', sizeof(in.sub));
	is_int(jwt_sign(&in, key, sizeof(key), &tok), JWT_ECLAIMS,
	    "sign: unterminated sub refused");

	/* Every error has a phrase. */
	for (i = 0; i < JWT__MAX; i++)
		if (jwt_strerror((enum jwt_err)i) == NULL)
			break;
	is_int(i, JWT__MAX, "jwt_strerror covers every value");
	is_str(jwt_strerror(JWT__MAX), "unknown error", "out of range");
}

static void
alg_none(void)
{
	static const char *const nones[] = {
	    "{\"alg\":\"none\",\"typ\":\"JWT\"}",
	    "{\"alg\":\"none\"}",
	    "{\"alg\":\"None\"}",
	    "{\"alg\":\"NONE\"}",
	    "{\"alg\":\"nOnE\"}",
	};
	char		*t, *good, *mix;
	char		 buf[2048];
	size_t		 i, n;
	struct jwt_claims c;

	good = mk(HS, GOOD);
	for (i = 0; i < sizeof(nones) / sizeof(nones[0]); i++) {
		/* Unsecured JWS (RFC 7519 §6.1): empty signature. */
		t = mktok(nones[i], strlen(nones[i]), GOOD, strlen(GOOD), key,
		    sizeof(key), 0);
		is_int(jwt_decode(t, strlen(t), key, sizeof(key), NOW, NULL),
		    JWT_EFORMAT, "%s, empty signature", nones[i]);
		is_int(jwt_verify(t, strlen(t), key, sizeof(key), NOW, &c),
		    JWT_EFORMAT, "%s, empty signature (verify)", nones[i]);
		/* The same without the final dot. */
		n = strlen(t) - 1;
		is_int(jwt_decode(t, n, key, sizeof(key), NOW, NULL),
		    JWT_EFORMAT, "%s, two segments", nones[i]);
		free(t);

		/* Someone else's valid HS256 signature pasted on. */
		t = mktok(nones[i], strlen(nones[i]), GOOD, strlen(GOOD), key,
		    sizeof(key), 0);
		snprintf(buf, sizeof(buf), "%s%s", t, strrchr(good, '.') + 1);
		is_int(jwt_decode(buf, strlen(buf), key, sizeof(key), NOW,
		    NULL), JWT_ESIG, "%s, borrowed signature", nones[i]);
		free(t);

		/* Even correctly MAC'd, alg none is refused. */
		t = mktok(nones[i], strlen(nones[i]), GOOD, strlen(GOOD), key,
		    sizeof(key), 32);
		is_int(jwt_decode(t, strlen(t), key, sizeof(key), NOW, NULL),
		    JWT_EALG, "%s, valid MAC", nones[i]);
		is_int(jwt_verify(t, strlen(t), key, sizeof(key), NOW, &c),
		    JWT_EALG, "%s, valid MAC (verify)", nones[i]);
		free(t);
	}

	/* The good token's header swapped for alg none. */
	t = mktok(nones[0], strlen(nones[0]), GOOD, strlen(GOOD), key,
	    sizeof(key), 0);
	n = (size_t)(strchr(t, '.') - t);
	mix = malloc(strlen(good) + n + 1);
	memcpy(mix, t, n);
	snprintf(mix + n, strlen(good) + 1, "%s", strchr(good, '.'));
	is_int(jwt_decode(mix, strlen(mix), key, sizeof(key), NOW, NULL),
	    JWT_ESIG, "header swapped to alg none: signature mismatch");
	free(mix);
	free(t);

	is_int(jwt_decode(good, strlen(good), key, sizeof(key), NOW, NULL),
	    JWT_OK, "control: the HS256 token verifies");
	free(good);
}

/*
 * The table of malformed tokens.  Each row is a header and payload
 * (signed here) or a literal token, how to spoil it, the time and the
 * expected error of jwt_decode, or of jwt_verify when verify is set.
 */
enum how {
	SIGNED,		/* correctly signed */
	RAW,		/* tok is the literal token */
	WRONGKEY,	/* signed with key2 */
	TAMPERPAY,	/* signed, then a payload character changed */
	TAMPERSIG,	/* signed, then a signature character changed */
	SIG31,		/* 31 bytes of the MAC */
	SIG33,		/* 33 bytes */
	SHORTKEY,	/* signed and checked with a 31-byte key */
	TOOLONG,	/* signed, then padded to JWT_MAXLEN + 1 */
};

struct row {
	const char	*why;
	enum how	 how;
	const char	*hdr;		/* or the literal token for RAW */
	const char	*pay;
	size_t		 paylen;	/* 0: strlen */
	int		 verify;	/* check with jwt_verify */
	enum jwt_err	 want;
};

#define H64	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
#define P64	"eyJleHAiOjE3MDAwMDM2MDB9"	/* {"exp":1700003600} */
#define S64	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

static const struct row rows[] = {
	{ "control: good token", SIGNED, HS, GOOD, 0, 0, JWT_OK },
	{ "control: good token (verify)", SIGNED, HS, GOOD, 0, 1, JWT_OK },

	/* Length and shape. */
	{ "too long", TOOLONG, HS, GOOD, 0, 0, JWT_ETOOLONG },
	{ "empty token", RAW, "", NULL, 0, 0, JWT_EFORMAT },
	{ "no dot", RAW, H64, NULL, 0, 0, JWT_EFORMAT },
	{ "one dot", RAW, H64 "." P64, NULL, 0, 0, JWT_EFORMAT },
	{ "three dots", RAW, H64 "." P64 "." S64 "." S64, NULL, 0, 0,
	    JWT_EFORMAT },
	{ "trailing dot", RAW, H64 "." P64 "." S64 ".", NULL, 0, 0,
	    JWT_EFORMAT },
	{ "empty header", RAW, "." P64 "." S64, NULL, 0, 0, JWT_EFORMAT },
	{ "empty payload", RAW, H64 ".." S64, NULL, 0, 0, JWT_EFORMAT },
	{ "empty signature", RAW, H64 "." P64 ".", NULL, 0, 0, JWT_EFORMAT },
	{ "only dots", RAW, "..", NULL, 0, 0, JWT_EFORMAT },

	/* Strict base64url. */
	{ "padded header", RAW, H64 "=." P64 "." S64, NULL, 0, 0,
	    JWT_EBASE64 },
	{ "padded signature", RAW, H64 "." P64 "." S64 "=", NULL, 0, 0,
	    JWT_EBASE64 },
	{ "'+' in signature", RAW, H64 "." P64 ".AAAA+AAAAAAAAAAAAAAAAAAAAAA"
	    "AAAAAAAAAAAAAAAA", NULL, 0, 0, JWT_EBASE64 },
	{ "'/' in payload", RAW, H64 ".eyJleHAiOjE3MDAw/DM2MDB9." S64, NULL,
	    0, 0, JWT_EBASE64 },
	{ "space in payload", RAW, H64 ". " P64 "." S64, NULL, 0, 0,
	    JWT_EBASE64 },
	{ "newline at end", RAW, H64 "." P64 "." S64 "\n", NULL, 0, 0,
	    JWT_EBASE64 },
	{ "payload length % 4 == 1", RAW, H64 "." P64 "A." S64, NULL, 0, 0,
	    JWT_EBASE64 },
	{ "non-zero trailing bits in signature", RAW, H64 "." P64 "."
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB", NULL, 0, 0,
	    JWT_EBASE64 },

	/* The MAC. */
	{ "tampered payload", TAMPERPAY, HS, GOOD, 0, 0, JWT_ESIG },
	{ "tampered signature", TAMPERSIG, HS, GOOD, 0, 0, JWT_ESIG },
	{ "wrong key", WRONGKEY, HS, GOOD, 0, 0, JWT_ESIG },
	{ "signature of 31 bytes", SIG31, HS, GOOD, 0, 0, JWT_ESIG },
	{ "signature of 33 bytes", SIG33, HS, GOOD, 0, 0, JWT_ESIG },
	{ "all-zero signature", RAW, H64 "." P64 "." S64, NULL, 0, 0,
	    JWT_ESIG },
	{ "key shorter than 32 bytes", SHORTKEY, HS, GOOD, 0, 0,
	    JWT_ECRYPTO },

	/* The header. */
	{ "header is an array", SIGNED, "[\"HS256\"]", GOOD, 0, 0,
	    JWT_EHEADER },
	{ "header is a string", SIGNED, "\"HS256\"", GOOD, 0, 0,
	    JWT_EHEADER },
	{ "header is not JSON", SIGNED, "{\"alg\":\"HS256\"", GOOD, 0, 0,
	    JWT_EHEADER },
	{ "header with trailing garbage", SIGNED, HS "x", GOOD, 0, 0,
	    JWT_EHEADER },
	{ "header with a second object", SIGNED, HS "{}", GOOD, 0, 0,
	    JWT_EHEADER },
	{ "duplicate alg, HS256 first", SIGNED,
	    "{\"alg\":\"HS256\",\"alg\":\"none\"}", GOOD, 0, 0, JWT_EHEADER },
	{ "duplicate alg, none first", SIGNED,
	    "{\"alg\":\"none\",\"alg\":\"HS256\"}", GOOD, 0, 0, JWT_EHEADER },
	{ "duplicate typ", SIGNED,
	    "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"typ\":\"JWT\"}", GOOD, 0, 0,
	    JWT_EHEADER },
	{ "alg missing", SIGNED, "{\"typ\":\"JWT\"}", GOOD, 0, 0, JWT_EALG },
	{ "alg hs256", SIGNED, "{\"alg\":\"hs256\"}", GOOD, 0, 0, JWT_EALG },
	{ "alg HS512", SIGNED, "{\"alg\":\"HS512\"}", GOOD, 0, 0, JWT_EALG },
	{ "alg RS256", SIGNED, "{\"alg\":\"RS256\"}", GOOD, 0, 0, JWT_EALG },
	{ "alg none", SIGNED, "{\"alg\":\"none\"}", GOOD, 0, 0, JWT_EALG },
	{ "alg \"HS256 \"", SIGNED, "{\"alg\":\"HS256 \"}", GOOD, 0, 0,
	    JWT_EALG },
	{ "alg not a string", SIGNED, "{\"alg\":256}", GOOD, 0, 0, JWT_EALG },
	{ "alg an array", SIGNED, "{\"alg\":[\"HS256\"]}", GOOD, 0, 0,
	    JWT_EALG },
	{ "crit present", SIGNED, "{\"alg\":\"HS256\",\"crit\":[\"exp\"]}",
	    GOOD, 0, 0, JWT_EHEADER },
	{ "jku present", SIGNED,
	    "{\"alg\":\"HS256\",\"jku\":\"https://evil.example/k\"}", GOOD, 0,
	    0, JWT_EHEADER },
	{ "jwk present", SIGNED,
	    "{\"alg\":\"HS256\",\"jwk\":{\"kty\":\"oct\"}}", GOOD, 0, 0,
	    JWT_EHEADER },
	{ "x5u present", SIGNED,
	    "{\"alg\":\"HS256\",\"x5u\":\"https://evil.example/c\"}", GOOD, 0,
	    0, JWT_EHEADER },
	{ "x5c present", SIGNED, "{\"alg\":\"HS256\",\"x5c\":[]}", GOOD, 0, 0,
	    JWT_EHEADER },
	{ "typ JOSE+JSON", SIGNED, "{\"alg\":\"HS256\",\"typ\":\"JOSE+JSON\"}",
	    GOOD, 0, 0, JWT_EHEADER },
	{ "typ not a string", SIGNED, "{\"alg\":\"HS256\",\"typ\":1}", GOOD,
	    0, 0, JWT_EHEADER },
	{ "typ jwt (case-insensitive) ok", SIGNED,
	    "{\"alg\":\"HS256\",\"typ\":\"jwt\"}", GOOD, 0, 0, JWT_OK },
	{ "no typ ok", SIGNED, "{\"alg\":\"HS256\"}", GOOD, 0, 0, JWT_OK },
	{ "whitespace inside header ok", SIGNED,
	    "{ \"alg\" :\r\n \"HS256\" }", GOOD, 0, 0, JWT_OK },

	/* The claims. */
	{ "payload is an array", SIGNED, HS, "[" EXP "]", 0, 0,
	    JWT_ECLAIMS },
	{ "payload is [{...}]", SIGNED, HS, "[{" EXP "}]", 0, 0,
	    JWT_ECLAIMS },
	{ "payload is null", SIGNED, HS, "null", 0, 0, JWT_ECLAIMS },
	{ "payload is a number", SIGNED, HS, "1700003600", 0, 0,
	    JWT_ECLAIMS },
	{ "payload is not JSON", SIGNED, HS, "{" EXP, 0, 0, JWT_ECLAIMS },
	{ "payload with trailing garbage", SIGNED, HS, GOOD "x", 0, 0,
	    JWT_ECLAIMS },
	{ "payload with a second object", SIGNED, HS, GOOD "{}", 0, 0,
	    JWT_ECLAIMS },
	{ "payload with a trailing NUL", SIGNED, HS, GOOD "\0", sizeof(GOOD),
	    0, JWT_ECLAIMS },
	{ "payload with NUL inside", SIGNED, HS, "{" EXP ",\0" SUB "}",
	    sizeof("{" EXP ",\0" SUB "}") - 1, 0, JWT_ECLAIMS },
	{ "payload with trailing whitespace ok", SIGNED, HS, GOOD " \r\n", 0,
	    0, JWT_OK },
	{ "duplicate exp", SIGNED, HS, "{" EXP ",\"exp\":1999999999}", 0, 0,
	    JWT_ECLAIMS },
	{ "duplicate sub", SIGNED, HS, "{" SUB "," UID "," ROLE "," SID ","
	    PMC "," EXP ",\"sub\":\"admin\"}", 0, 1, JWT_ECLAIMS },
	{ "duplicate key in a nested object", SIGNED, HS,
	    "{" EXP ",\"x\":{\"a\":1,\"a\":2}}", 0, 0, JWT_ECLAIMS },
	{ "exp missing", SIGNED, HS, "{" SUB "}", 0, 0, JWT_EMISSING },
	{ "exp a string", SIGNED, HS, "{\"exp\":\"1700003600\"}", 0, 0,
	    JWT_ECLAIMS },
	{ "exp null", SIGNED, HS, "{\"exp\":null}", 0, 0, JWT_ECLAIMS },
	{ "exp true", SIGNED, HS, "{\"exp\":true}", 0, 0, JWT_ECLAIMS },
	{ "exp fractional", SIGNED, HS, "{\"exp\":1700003600.5}", 0, 0,
	    JWT_ECLAIMS },
	{ "exp negative", SIGNED, HS, "{\"exp\":-1}", 0, 0, JWT_ECLAIMS },
	{ "exp 1e300", SIGNED, HS, "{\"exp\":1e300}", 0, 0, JWT_ECLAIMS },
	{ "exp 2^53 + 2", SIGNED, HS, "{\"exp\":9007199254740994}", 0, 0,
	    JWT_ECLAIMS },
	{ "exp in exponent form ok", SIGNED, HS, "{\"exp\":1.7000036e9}", 0,
	    0, JWT_OK },
	{ "exp expired (now - 61)", SIGNED, HS, "{\"exp\":1700000039}", 0, 0,
	    JWT_EEXPIRED },
	{ "exp + leeway == now", SIGNED, HS, "{\"exp\":1700000040}", 0, 0,
	    JWT_EEXPIRED },
	{ "exp within leeway ok (now - 59)", SIGNED, HS,
	    "{\"exp\":1700000041}", 0, 0, JWT_OK },
	{ "exp long ago", SIGNED, HS, "{\"exp\":0}", 0, 0, JWT_EEXPIRED },

	/* photorestore's claims (jwt_verify). */
	{ "sub missing", SIGNED, HS, "{" UID "," ROLE "," SID "," PMC ","
	    EXP "}", 0, 1, JWT_EMISSING },
	{ "user_id missing", SIGNED, HS, "{" SUB "," ROLE "," SID "," PMC ","
	    EXP "}", 0, 1, JWT_EMISSING },
	{ "role missing", SIGNED, HS, "{" SUB "," UID "," SID "," PMC ","
	    EXP "}", 0, 1, JWT_EMISSING },
	{ "session_id missing", SIGNED, HS, "{" SUB "," UID "," ROLE ","
	    PMC "," EXP "}", 0, 1, JWT_EMISSING },
	{ "password_must_change missing", SIGNED, HS, "{" SUB "," UID ","
	    ROLE "," SID "," EXP "}", 0, 1, JWT_EMISSING },
	{ "exp missing (verify)", SIGNED, HS, "{" SUB "," UID "," ROLE ","
	    SID "," PMC "}", 0, 1, JWT_EMISSING },
	{ "only required claims ok", SIGNED, HS, "{" SUB "," UID "," ROLE ","
	    SID "," PMC "," EXP "}", 0, 1, JWT_OK },
	{ "sub empty", SIGNED, HS, "{\"sub\":\"\"," UID "," ROLE "," SID ","
	    PMC "," EXP "}", 0, 1, JWT_ECLAIMS },
	{ "sub a number", SIGNED, HS, "{\"sub\":1," UID "," ROLE "," SID ","
	    PMC "," EXP "}", 0, 1, JWT_ECLAIMS },
	{ "sub of 128 bytes", SIGNED, HS, "{\"sub\":\""
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "\"," UID "," ROLE "," SID "," PMC "," EXP "}", 0, 1, JWT_ECLAIMS },
	{ "sub of 127 bytes ok", SIGNED, HS, "{\"sub\":\""
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "\"," UID "," ROLE "," SID "," PMC "," EXP "}", 0, 1, JWT_OK },
	{ "user_id 1.5", SIGNED, HS, "{" SUB ",\"user_id\":1.5," ROLE "," SID
	    "," PMC "," EXP "}", 0, 1, JWT_ECLAIMS },
	{ "user_id 0", SIGNED, HS, "{" SUB ",\"user_id\":0," ROLE "," SID
	    "," PMC "," EXP "}", 0, 1, JWT_ECLAIMS },
	{ "user_id -7", SIGNED, HS, "{" SUB ",\"user_id\":-7," ROLE "," SID
	    "," PMC "," EXP "}", 0, 1, JWT_ECLAIMS },
	{ "user_id a string", SIGNED, HS, "{" SUB ",\"user_id\":\"7\"," ROLE
	    "," SID "," PMC "," EXP "}", 0, 1, JWT_ECLAIMS },
	{ "user_id 2^53 + 2", SIGNED, HS, "{" SUB
	    ",\"user_id\":9007199254740994," ROLE "," SID "," PMC "," EXP "}",
	    0, 1, JWT_ECLAIMS },
	{ "user_id 3e9 ok (beyond INT_MAX)", SIGNED, HS, "{" SUB
	    ",\"user_id\":3000000000," ROLE "," SID "," PMC "," EXP "}",
	    0, 1, JWT_OK },
	{ "role root", SIGNED, HS, "{" SUB "," UID ",\"role\":\"root\"," SID
	    "," PMC "," EXP "}", 0, 1, JWT_ECLAIMS },
	{ "role Admin", SIGNED, HS, "{" SUB "," UID ",\"role\":\"Admin\","
	    SID "," PMC "," EXP "}", 0, 1, JWT_ECLAIMS },
	{ "role not a string", SIGNED, HS, "{" SUB "," UID ",\"role\":1,"
	    SID "," PMC "," EXP "}", 0, 1, JWT_ECLAIMS },
	{ "session_id not a UUID", SIGNED, HS, "{" SUB "," UID "," ROLE
	    ",\"session_id\":\"0f8fad5b-d9cb-469f-a165-70867728950\"," PMC ","
	    EXP "}", 0, 1, JWT_ECLAIMS },
	{ "session_id with a non-hex digit", SIGNED, HS, "{" SUB "," UID ","
	    ROLE ",\"session_id\":\"0f8fad5b-d9cb-469f-a165-70867728950g\","
	    PMC "," EXP "}", 0, 1, JWT_ECLAIMS },
	{ "session_id dashes misplaced", SIGNED, HS, "{" SUB "," UID ","
	    ROLE ",\"session_id\":\"0f8fad5bd-9cb-469f-a165-70867728950e\","
	    PMC "," EXP "}", 0, 1, JWT_ECLAIMS },
	{ "password_must_change 0", SIGNED, HS, "{" SUB "," UID "," ROLE ","
	    SID ",\"password_must_change\":0," EXP "}", 0, 1, JWT_ECLAIMS },
	{ "password_must_change \"false\"", SIGNED, HS, "{" SUB "," UID ","
	    ROLE "," SID ",\"password_must_change\":\"false\"," EXP "}", 0, 1,
	    JWT_ECLAIMS },
	{ "jti of 40 bytes", SIGNED, HS, "{" SUB "," UID "," ROLE "," SID ","
	    PMC "," EXP ",\"jti\":"
	    "\"0123456789012345678901234567890123456789\"}",
	    0, 1, JWT_ECLAIMS },
	{ "jti a number", SIGNED, HS, "{" SUB "," UID "," ROLE "," SID ","
	    PMC "," EXP ",\"jti\":5}", 0, 1, JWT_ECLAIMS },
};

static void
malformed(void)
{
	const struct row *r;
	char		*t, *big;
	size_t		 i, n, plen, d;
	struct jwt_claims c;
	enum jwt_err	 e;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		r = &rows[i];
		plen = r->pay == NULL ? 0 : r->paylen ? r->paylen :
		    strlen(r->pay);
		switch (r->how) {
		case RAW:
			t = strdup(r->hdr);
			break;
		case WRONGKEY:
			t = mktok(r->hdr, strlen(r->hdr), r->pay, plen, key2,
			    sizeof(key2), 32);
			break;
		case SIG31:
			t = mktok(r->hdr, strlen(r->hdr), r->pay, plen, key,
			    sizeof(key), 31);
			break;
		case SIG33:
			t = mktok(r->hdr, strlen(r->hdr), r->pay, plen, key,
			    sizeof(key), 33);
			break;
		case SHORTKEY:
			t = mktok(r->hdr, strlen(r->hdr), r->pay, plen, key,
			    31, 32);
			break;
		default:
			t = mktok(r->hdr, strlen(r->hdr), r->pay, plen, key,
			    sizeof(key), 32);
			break;
		}
		n = strlen(t);
		if (r->how == TAMPERPAY) {
			d = (size_t)(strchr(t, '.') - t) + 5;
			t[d] = t[d] == 'A' ? 'B' : 'A';
		} else if (r->how == TAMPERSIG) {
			/* Not the last character: its low bits are unused. */
			t[n - 5] = t[n - 5] == 'A' ? 'B' : 'A';
		} else if (r->how == TOOLONG) {
			if ((big = malloc(JWT_MAXLEN + 2)) == NULL)
				abort();
			memset(big, 'A', JWT_MAXLEN + 1);
			memcpy(big, t, n);
			big[JWT_MAXLEN + 1] = '\0';
			free(t);
			t = big;
			n = JWT_MAXLEN + 1;
		}
		if (r->verify)
			e = jwt_verify(t, n, key, r->how == SHORTKEY ? 31 :
			    sizeof(key), NOW, &c);
		else
			e = jwt_decode(t, n, key, r->how == SHORTKEY ? 31 :
			    sizeof(key), NOW, NULL);
		if (e != r->want)
			diag("got %s, expected %s", jwt_strerror(e),
			    jwt_strerror(r->want));
		is_int(e, r->want, "%s%s", r->why,
		    r->verify ? " [verify]" : "");
		free(t);
	}

	/* The cap is exactly JWT_MAXLEN: pad a claim until the token fits. */
	if ((big = malloc(JWT_MAXLEN)) == NULL)
		abort();
	for (n = 2900, t = NULL; n < 3100; n++) {
		snprintf(big, JWT_MAXLEN, "{" EXP ",\"pad\":\"%0*d\"}", (int)n,
		    0);
		t = mktok(HS, strlen(HS), big, strlen(big), key, sizeof(key),
		    32);
		if (strlen(t) >= JWT_MAXLEN)
			break;
		free(t);
		t = NULL;
	}
	if (t != NULL && strlen(t) == JWT_MAXLEN) {
		is_int(jwt_decode(t, strlen(t), key, sizeof(key), NOW, NULL),
		    JWT_OK, "a token of exactly JWT_MAXLEN bytes is accepted");
	} else if (t != NULL) {
		/* Padding stepped over 4096: the next size decides. */
		is_int(jwt_decode(t, strlen(t), key, sizeof(key), NOW, NULL),
		    JWT_ETOOLONG, "a token of %zu bytes is too long",
		    strlen(t));
	}
	free(t);
	free(big);
}

/* Lifetime rules beyond exp: iat, nbf, JWT_MAXLIFE. */
static void
lifetime(void)
{
	static const struct {
		const char	*why;
		const char	*pay;
		enum jwt_err	 want;
	} lt[] = {
		{ "iat now ok", "{" EXP ",\"iat\":1700000100}", JWT_OK },
		{ "iat 60 s ahead ok (leeway)",
		    "{" EXP ",\"iat\":1700000160}", JWT_OK },
		{ "iat 61 s ahead", "{" EXP ",\"iat\":1700000161}",
		    JWT_EEXPIRED },
		{ "iat a string", "{" EXP ",\"iat\":\"1700000000\"}",
		    JWT_ECLAIMS },
		{ "iat fractional", "{" EXP ",\"iat\":1700000000.5}",
		    JWT_ECLAIMS },
		{ "exp - iat == JWT_MAXLIFE ok",
		    "{\"exp\":1734560000,\"iat\":1700000000}", JWT_OK },
		{ "exp - iat == JWT_MAXLIFE + 1",
		    "{\"exp\":1734560001,\"iat\":1700000000}", JWT_EEXPIRED },
		{ "no iat, exp beyond now + JWT_MAXLIFE + leeway",
		    "{\"exp\":1734560161}", JWT_EEXPIRED },
		{ "no iat, exp at now + JWT_MAXLIFE + leeway ok",
		    "{\"exp\":1734560160}", JWT_OK },
		{ "nbf passed ok", "{" EXP ",\"nbf\":1700000000}", JWT_OK },
		{ "nbf 61 s ahead", "{" EXP ",\"nbf\":1700000161}",
		    JWT_EEXPIRED },
		{ "nbf not a number", "{" EXP ",\"nbf\":false}", JWT_ECLAIMS },
	};
	char	*t;
	size_t	 i;

	is_int(JWT_MAXLIFE, 34560000, "JWT_MAXLIFE is 400 days");
	for (i = 0; i < sizeof(lt) / sizeof(lt[0]); i++) {
		t = mk(HS, lt[i].pay);
		is_int(jwt_decode(t, strlen(t), key, sizeof(key), NOW, NULL),
		    lt[i].want, "%s", lt[i].why);
		free(t);
	}

	/* Extreme clocks must not overflow. */
	t = mk(HS, GOOD);
	is_int(jwt_decode(t, strlen(t), key, sizeof(key), INT64_MIN, NULL),
	    JWT_EEXPIRED, "now = INT64_MIN");
	is_int(jwt_decode(t, strlen(t), key, sizeof(key), INT64_MAX, NULL),
	    JWT_EEXPIRED, "now = INT64_MAX");
	free(t);
}

int
main(int argc, char *argv[])
{
	static const struct {
		const char	*name;
		void		(*fn)(void);
	} b[] = {
		{ "rfc7515-a1", rfc7515_a1 },
		{ "sign-verify", sign_verify },
		{ "alg-none", alg_none },
		{ "malformed", malformed },
		{ "lifetime", lifetime },
	};
	size_t	 i;

	if (argc != 2) {
		fprintf(stderr, "usage: %s behaviour\n", argv[0]);
		return 2;
	}
	for (i = 0; i < sizeof(b) / sizeof(b[0]); i++)
		if (strcmp(argv[1], b[i].name) == 0)
			break;
	if (i == sizeof(b) / sizeof(b[0])) {
		fprintf(stderr, "%s: unknown behaviour %s\n", argv[0],
		    argv[1]);
		return 2;
	}
	b[i].fn();
	return done_testing();
}
