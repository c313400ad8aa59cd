/*
 * jwt.c: HS256 JSON Web Tokens (RFC 7519 over RFC 7515 compact JWS).
 *
 * Verification follows the fixed order of STYLE.md and RFC 8725: length
 * cap, exactly three non-empty segments, strict base64url, HMAC-SHA256
 * over the received "header.payload" bytes compared in constant time, and
 * only then is any JSON parsed: the header (alg exactly "HS256", no
 * duplicate members, no key-carrying or critical extensions), then the
 * claims (a JSON object without duplicates, exp required, lifetime
 * bounded).  Nothing an attacker sends is parsed before it is
 * authenticated, and no header value can change how it is authenticated.
 *
 * Everything fits in fixed stack buffers because tokens are capped at
 * JWT_MAXLEN bytes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "photorestore.h"

#define JWT_SIGLEN	32		/* SHA-256 output */
#define JWT_MINKEY	32		/* RFC 7518 §3.2: key >= hash size */
#define JWT_MAXINT	9007199254740992.0	/* 2^53: exact in a double */
#define JWT_MAXINT_I	INT64_C(9007199254740992)

/* The only header we ever emit (API.md §1.2). */
static const char jwt_header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

static const char *const jwt_errs[JWT__MAX] = {
	"success",					/* JWT_OK */
	"token too long",				/* JWT_ETOOLONG */
	"token is not three dot-separated segments",	/* JWT_EFORMAT */
	"segment is not valid base64url",		/* JWT_EBASE64 */
	"signature mismatch",				/* JWT_ESIG */
	"invalid header",				/* JWT_EHEADER */
	"algorithm is not HS256",			/* JWT_EALG */
	"invalid claims",				/* JWT_ECLAIMS */
	"required claim missing",			/* JWT_EMISSING */
	"token expired or lifetime invalid",		/* JWT_EEXPIRED */
	"out of memory",				/* JWT_ENOMEM */
	"cryptography error",				/* JWT_ECRYPTO */
};

/*
 * Header parameters that would let the token choose or carry its own key,
 * or demand extensions we do not implement (RFC 7515 §4.1.2-4.1.6,
 * §4.1.11; RFC 7797 "b64" only ever comes with "crit").  We reject rather
 * than ignore them so a token that expects them to be honoured fails.
 */
static const char *const jwt_banned_hdr[] = {
	"crit", "jku", "jwk", "x5u", "x5c", "b64",
};

/*
 * Return a static English phrase for a JWT error value.
 */
const char *
jwt_strerror(enum jwt_err e)
{

	if ((unsigned)e >= JWT__MAX)
		return "unknown error";
	return jwt_errs[e];
}

/*
 * HMAC-SHA256 of data under key into mac (32 bytes).  Returns 0 or -1.
 */
static int
hs256(const unsigned char *key, size_t keylen, const void *data,
    size_t len, unsigned char mac[JWT_SIGLEN])
{
	unsigned int	 maclen = 0;

	if (keylen > INT_MAX)
		return -1;
	if (HMAC(EVP_sha256(), key, (int)keylen, data, len, mac,
	    &maclen) == NULL || maclen != JWT_SIGLEN) {
		OPENSSL_cleanse(mac, JWT_SIGLEN);
		return -1;
	}
	return 0;
}

/*
 * Whether any object in the tree has two members with the same name.
 * cJSON keeps duplicates as separate children and lookups return the
 * first, while other parsers take the last: a token that means different
 * things to different readers is refused (RFC 7519 §4, RFC 7515 §4).
 */
static int
has_dup_keys(const cJSON *o)
{
	const cJSON	*a, *b;

	for (a = o->child; a != NULL; a = a->next) {
		if (cJSON_IsObject(o)) {
			if (a->string == NULL)
				return 1;
			for (b = a->next; b != NULL; b = b->next)
				if (b->string == NULL ||
				    strcmp(a->string, b->string) == 0)
					return 1;
		}
		if ((cJSON_IsObject(a) || cJSON_IsArray(a)) &&
		    has_dup_keys(a))
			return 1;
	}
	return 0;
}

/*
 * Parse len bytes (NUL-terminated at buf[len]) as exactly one JSON object
 * with no duplicate members.  Only JSON whitespace may follow the value,
 * and no NUL byte may appear anywhere (cJSON would stop at it).  Returns
 * the object or NULL.
 */
static cJSON *
parse_object(const char *buf, size_t len)
{
	cJSON		*o;
	const char	*end = NULL;

	if (memchr(buf, '\0', len) != NULL)
		return NULL;
	o = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
	if (o == NULL)
		return NULL;
	if (end == NULL || end < buf || end > buf + len)
		goto err;
	while (end < buf + len && (*end == ' ' || *end == '\t' ||
	    *end == '\r' || *end == '\n'))
		end++;
	if (end != buf + len || !cJSON_IsObject(o) || has_dup_keys(o))
		goto err;
	return o;
err:
	cJSON_Delete(o);
	return NULL;
}

/*
 * Read a NumericDate (RFC 7519 §2) that we require to be an integer in
 * [0, 2^53].  cJSON's valueint saturates, so the double is range-checked.
 * Returns 0 and sets *out, or -1.
 */
static int
numeric_date(const cJSON *v, int64_t *out)
{
	double	 d;

	if (!cJSON_IsNumber(v))
		return -1;
	d = v->valuedouble;
	if (!isfinite(d) || d < 0 || d > JWT_MAXINT || floor(d) != d)
		return -1;
	*out = (int64_t)d;
	return 0;
}

/* Check the decoded header (RFC 7515 §4, RFC 8725 §3.1). */
static enum jwt_err
check_header(const char *buf, size_t len)
{
	cJSON		*h;
	const cJSON	*alg, *typ;
	enum jwt_err	 e;
	size_t		 i;

	if ((h = parse_object(buf, len)) == NULL)
		return JWT_EHEADER;
	e = JWT_EALG;
	alg = cJSON_GetObjectItemCaseSensitive(h, "alg");
	if (!cJSON_IsString(alg) || strcmp(alg->valuestring, "HS256") != 0)
		goto err;
	e = JWT_EHEADER;
	for (i = 0; i < sizeof(jwt_banned_hdr) / sizeof(jwt_banned_hdr[0]);
	    i++)
		if (cJSON_GetObjectItemCaseSensitive(h, jwt_banned_hdr[i]) !=
		    NULL)
			goto err;
	typ = cJSON_GetObjectItemCaseSensitive(h, "typ");
	if (typ != NULL && (!cJSON_IsString(typ) ||
	    strcasecmp(typ->valuestring, "JWT") != 0))
		goto err;
	e = JWT_OK;
err:
	cJSON_Delete(h);
	return e;
}

/*
 * How many seconds t lies after now (0 when not after), without signed
 * overflow for any now the caller passes.
 */
static uint64_t
ahead(int64_t t, int64_t now)
{

	return t > now ? (uint64_t)t - (uint64_t)now : 0;
}

/*
 * Check the registered time claims: exp required (RFC 7519 §4.1.4), the
 * optional nbf (§4.1.5) and iat (§4.1.6) honoured, all with JWT_LEEWAY
 * seconds of clock skew, and the lifetime bounded by JWT_MAXLIFE (measured
 * from iat, or from now when there is no iat, so a token without iat
 * cannot live for ever).
 */
static enum jwt_err
check_times(const cJSON *c, int64_t now)
{
	const cJSON	*v;
	int64_t		 exp, iat, nbf;

	if ((v = cJSON_GetObjectItemCaseSensitive(c, "exp")) == NULL)
		return JWT_EMISSING;
	if (numeric_date(v, &exp) == -1)
		return JWT_ECLAIMS;
	if (exp + JWT_LEEWAY <= now)
		return JWT_EEXPIRED;
	if (ahead(exp, now) > (uint64_t)(JWT_MAXLIFE + JWT_LEEWAY))
		return JWT_EEXPIRED;
	if ((v = cJSON_GetObjectItemCaseSensitive(c, "iat")) != NULL) {
		if (numeric_date(v, &iat) == -1)
			return JWT_ECLAIMS;
		if (ahead(iat, now) > (uint64_t)JWT_LEEWAY)
			return JWT_EEXPIRED;
		if (exp - iat > JWT_MAXLIFE)
			return JWT_EEXPIRED;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(c, "nbf")) != NULL) {
		if (numeric_date(v, &nbf) == -1)
			return JWT_ECLAIMS;
		if (ahead(nbf, now) > (uint64_t)JWT_LEEWAY)
			return JWT_EEXPIRED;
	}
	return JWT_OK;
}

/*
 * Verify and decode a compact HS256 JWS of len bytes (tok need not be
 * NUL-terminated) under key, in the fixed order of STYLE.md: length cap
 * (JWT_ETOOLONG), exactly two dots and no empty segment (JWT_EFORMAT),
 * strict base64url (JWT_EBASE64), HMAC-SHA256 over the received
 * "header.payload" bytes compared with CRYPTO_memcmp against a signature
 * of exactly 32 bytes (JWT_ESIG), header checks (JWT_EHEADER, JWT_EALG),
 * claims a JSON object without duplicate members (JWT_ECLAIMS), exp
 * required (JWT_EMISSING) and not past now (JWT_EEXPIRED, see
 * check_times).  Keys shorter than 32 bytes are refused (JWT_ECRYPTO,
 * RFC 7518 §3.2).  On JWT_OK and when payload is non-NULL, *payload is the
 * claims object, freed by the caller with cJSON_Delete(); otherwise it is
 * set to NULL.
 */
enum jwt_err
jwt_decode(const char *tok, size_t len, const unsigned char *key,
    size_t keylen, int64_t now, cJSON **payload)
{
	unsigned char	 mac[JWT_SIGLEN], sig[JWT_MAXLEN];
	char		 hdr[JWT_MAXLEN + 1], pay[JWT_MAXLEN + 1];
	const char	*d1, *d2;
	size_t		 hlen, plen, slen, siglen;
	cJSON		*claims = NULL;
	enum jwt_err	 e;

	if (payload != NULL)
		*payload = NULL;
	e = JWT_ECRYPTO;
	if (key == NULL || keylen < JWT_MINKEY)
		goto err;

	e = JWT_ETOOLONG;
	if (len > JWT_MAXLEN)
		goto err;

	e = JWT_EFORMAT;
	if (tok == NULL || len == 0)
		goto err;
	if ((d1 = memchr(tok, '.', len)) == NULL)
		goto err;
	if ((d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - tok))) == NULL)
		goto err;
	if (memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - tok)) != NULL)
		goto err;
	hlen = (size_t)(d1 - tok);
	plen = (size_t)(d2 - d1 - 1);
	slen = len - (size_t)(d2 + 1 - tok);
	if (hlen == 0 || plen == 0 || slen == 0)
		goto err;

	e = JWT_EBASE64;
	if (b64url_decode(tok, hlen, (unsigned char *)hdr, JWT_MAXLEN,
	    &hlen) == -1 ||
	    b64url_decode(d1 + 1, plen, (unsigned char *)pay, JWT_MAXLEN,
	    &plen) == -1 ||
	    b64url_decode(d2 + 1, slen, sig, sizeof(sig), &siglen) == -1)
		goto err;
	hdr[hlen] = '\0';
	pay[plen] = '\0';

	/* RFC 7515 §5.2 step 8: the MAC is over the received ASCII bytes. */
	e = JWT_ECRYPTO;
	if (hs256(key, keylen, tok, (size_t)(d2 - tok), mac) == -1)
		goto err;
	e = JWT_ESIG;
	if (siglen != JWT_SIGLEN || CRYPTO_memcmp(mac, sig, JWT_SIGLEN) != 0)
		goto err;

	if ((e = check_header(hdr, hlen)) != JWT_OK)
		goto err;

	e = JWT_ECLAIMS;
	if ((claims = parse_object(pay, plen)) == NULL)
		goto err;
	if ((e = check_times(claims, now)) != JWT_OK)
		goto err;

	if (payload != NULL) {
		*payload = claims;
		claims = NULL;
	}
	e = JWT_OK;
err:
	cJSON_Delete(claims);
	/*
	 * The received segments are public; the MAC we computed is not: for
	 * a forged token it is exactly the signature the forger lacks.
	 */
	OPENSSL_cleanse(mac, sizeof(mac));
	return e;
}

/*
 * Copy a string claim of 1 .. outsz - 1 bytes.  Returns JWT_OK,
 * JWT_EMISSING when absent or JWT_ECLAIMS when not such a string.
 */
static enum jwt_err
claim_string(const cJSON *c, const char *name, char *out, size_t outsz)
{
	const cJSON	*v;
	size_t		 n;

	if ((v = cJSON_GetObjectItemCaseSensitive(c, name)) == NULL)
		return JWT_EMISSING;
	if (!cJSON_IsString(v) || v->valuestring == NULL)
		return JWT_ECLAIMS;
	n = strlen(v->valuestring);
	if (n == 0 || n >= outsz)
		return JWT_ECLAIMS;
	memcpy(out, v->valuestring, n + 1);
	return JWT_OK;
}

/* Whether s is a UUID in its 8-4-4-4-12 hex text form (RFC 4122 §3). */
static int
is_uuid(const char *s)
{
	size_t	 i;

	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f') ||
		    (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	}
	return s[36] == '\0';
}

/*
 * jwt_decode(), then read photorestore's claims (API.md §1.2) into *out:
 * sub a string of 1-127 bytes, user_id an integer in [1, 2^53], role
 * "admin" or "user", session_id a UUID string, password_must_change a
 * boolean, exp; iat and jti are copied when present (jti a string of at
 * most 39 bytes), else 0 and "".  A missing claim gives JWT_EMISSING, a
 * wrong type or value JWT_ECLAIMS.  out must not be NULL; *out is zeroed
 * on every error.  The caller still has to check the session and the user
 * in the database (API.md §0).
 */
enum jwt_err
jwt_verify(const char *tok, size_t len, const unsigned char *key,
    size_t keylen, int64_t now, struct jwt_claims *out)
{
	cJSON		*c = NULL;
	const cJSON	*v;
	double		 d;
	enum jwt_err	 e;

	memset(out, 0, sizeof(*out));
	if ((e = jwt_decode(tok, len, key, keylen, now, &c)) != JWT_OK)
		goto err;

	if ((e = claim_string(c, "sub", out->sub, sizeof(out->sub))) !=
	    JWT_OK)
		goto err;

	e = JWT_EMISSING;
	if ((v = cJSON_GetObjectItemCaseSensitive(c, "user_id")) == NULL)
		goto err;
	e = JWT_ECLAIMS;
	if (!cJSON_IsNumber(v))
		goto err;
	d = v->valuedouble;
	if (!isfinite(d) || d < 1 || d > JWT_MAXINT || floor(d) != d)
		goto err;
	out->user_id = (int64_t)d;

	if ((e = claim_string(c, "role", out->role, sizeof(out->role))) !=
	    JWT_OK)
		goto err;
	e = JWT_ECLAIMS;
	if (strcmp(out->role, "admin") != 0 && strcmp(out->role, "user") != 0)
		goto err;

	if ((e = claim_string(c, "session_id", out->session_id,
	    sizeof(out->session_id))) != JWT_OK)
		goto err;
	e = JWT_ECLAIMS;
	if (!is_uuid(out->session_id))
		goto err;

	e = JWT_EMISSING;
	v = cJSON_GetObjectItemCaseSensitive(c, "password_must_change");
	if (v == NULL)
		goto err;
	e = JWT_ECLAIMS;
	if (!cJSON_IsBool(v))
		goto err;
	out->password_must_change = cJSON_IsTrue(v) ? 1 : 0;

	/* jwt_decode already checked exp and iat. */
	if (numeric_date(cJSON_GetObjectItemCaseSensitive(c, "exp"),
	    &out->exp) == -1)
		goto err;
	v = cJSON_GetObjectItemCaseSensitive(c, "iat");
	if (v != NULL && numeric_date(v, &out->iat) == -1)
		goto err;
	if (cJSON_GetObjectItemCaseSensitive(c, "jti") != NULL &&
	    (e = claim_string(c, "jti", out->jti, sizeof(out->jti))) !=
	    JWT_OK)
		goto err;

	e = JWT_OK;
err:
	if (e != JWT_OK)
		memset(out, 0, sizeof(*out));
	cJSON_Delete(c);
	return e;
}

/* Add an int64 member as an exact integer (cJSON prints doubles). */
static int
add_int(cJSON *o, const char *name, int64_t v)
{
	char	 num[24];

	snprintf(num, sizeof(num), "%lld", (long long)v);
	return cJSON_AddRawToObject(o, name, num) == NULL ? -1 : 0;
}

/*
 * Sign claims as a compact HS256 JWS (RFC 7515 §7.1) with the header
 * {"alg":"HS256","typ":"JWT"} and the claims in the order sub, user_id,
 * role, session_id, password_must_change, exp, iat (left out when 0), jti
 * (left out when "").  The claims are checked as jwt_verify() would read
 * them, lifetime (exp - iat <= JWT_MAXLIFE) included, so we do not issue
 * a token we would refuse (JWT_ECLAIMS).  Keys
 * shorter than 32 bytes are refused (JWT_ECRYPTO).  On JWT_OK *out is the
 * malloc'd NUL-terminated token, freed by the caller; else it is NULL.
 */
enum jwt_err
jwt_sign(const struct jwt_claims *cl, const unsigned char *key,
    size_t keylen, char **out)
{
	cJSON		*o = NULL;
	char		*json = NULL, *tok = NULL;
	unsigned char	 mac[JWT_SIGLEN];
	size_t		 hlen, plen, jlen, slen, n;
	enum jwt_err	 e;

	*out = NULL;
	e = JWT_ECRYPTO;
	if (key == NULL || keylen < JWT_MINKEY)
		goto err;

	e = JWT_ECLAIMS;
	if (memchr(cl->sub, '\0', sizeof(cl->sub)) == NULL ||
	    cl->sub[0] == '\0' ||
	    memchr(cl->role, '\0', sizeof(cl->role)) == NULL ||
	    (strcmp(cl->role, "admin") != 0 && strcmp(cl->role, "user") != 0) ||
	    memchr(cl->session_id, '\0', sizeof(cl->session_id)) == NULL ||
	    !is_uuid(cl->session_id) ||
	    memchr(cl->jti, '\0', sizeof(cl->jti)) == NULL ||
	    cl->user_id < 1 || cl->user_id > JWT_MAXINT_I ||
	    cl->exp < 0 || cl->exp > JWT_MAXINT_I ||
	    cl->iat < 0 || cl->iat > JWT_MAXINT_I ||
	    (cl->iat != 0 && cl->exp - cl->iat > JWT_MAXLIFE))
		goto err;

	e = JWT_ENOMEM;
	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(o, "sub", cl->sub) == NULL ||
	    add_int(o, "user_id", cl->user_id) == -1 ||
	    cJSON_AddStringToObject(o, "role", cl->role) == NULL ||
	    cJSON_AddStringToObject(o, "session_id", cl->session_id) == NULL ||
	    cJSON_AddBoolToObject(o, "password_must_change",
	    cl->password_must_change ? 1 : 0) == NULL ||
	    add_int(o, "exp", cl->exp) == -1 ||
	    (cl->iat != 0 && add_int(o, "iat", cl->iat) == -1) ||
	    (cl->jti[0] != '\0' &&
	    cJSON_AddStringToObject(o, "jti", cl->jti) == NULL))
		goto err;
	if ((json = cJSON_PrintUnformatted(o)) == NULL)
		goto err;
	jlen = strlen(json);

	hlen = b64url_enclen(sizeof(jwt_header) - 1);
	plen = b64url_enclen(jlen);
	slen = b64url_enclen(JWT_SIGLEN);
	e = JWT_ETOOLONG;
	if (plen == SIZE_MAX || plen > JWT_MAXLEN ||
	    hlen + 1 + plen + 1 + slen > JWT_MAXLEN)
		goto err;
	e = JWT_ENOMEM;
	if ((tok = malloc(hlen + 1 + plen + 1 + slen + 1)) == NULL)
		goto err;
	b64url_encode((const unsigned char *)jwt_header,
	    sizeof(jwt_header) - 1, tok);
	tok[hlen] = '.';
	b64url_encode((const unsigned char *)json, jlen, tok + hlen + 1);
	n = hlen + 1 + plen;

	e = JWT_ECRYPTO;
	if (hs256(key, keylen, tok, n, mac) == -1)
		goto err;
	tok[n] = '.';
	b64url_encode(mac, sizeof(mac), tok + n + 1);

	*out = tok;
	tok = NULL;
	e = JWT_OK;
err:
	OPENSSL_cleanse(mac, sizeof(mac));
	free(tok);
	cJSON_free(json);
	cJSON_Delete(o);
	return e;
}
