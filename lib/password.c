/*
 * password.c: password hashing, verification, policy and generation.
 *
 * We store "$pbkdf2-sha256$i=<iter>$<salt>$<hash>" (PHC-like, base64url
 * without padding): the algorithm and cost travel with the hash, so the
 * cost can be raised later and old hashes re-hashed at the next login
 * (NIST SP 800-132, OWASP Password Storage Cheat Sheet).  Imported bcrypt
 * hashes are verified through libxcrypt's crypt_r(3).  Every comparison
 * of secret bytes is CRYPTO_memcmp() and every secret intermediate is
 * wiped with OPENSSL_cleanse().
 */
#include <crypt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "photorestore.h"

#define PW_PREFIX	"$pbkdf2-sha256$i="
#define PW_SALTLEN	16		/* bytes of fresh salt */
#define PW_KEYLEN	32		/* bytes of derived key */
#define PW_SALTMAX	64		/* largest salt accepted when parsing */
#define PW_GEN_MIN	16		/* pw_generate lengths */
#define PW_GEN_MAX	24
#define PW_GEN_TRIES	64		/* whole-password redraws, see below */

/*
 * The generator's alphabet: letters and digits without the look-alikes
 * I l 1 O o 0, so a password read aloud or off a terminal survives, and no
 * punctuation, so it pastes into shells and config files unquoted.
 */
static const char pw_alphabet[] =
    "ABCDEFGHJKLMNPQRSTUVWXYZ"
    "abcdefghijkmnpqrstuvwxyz"
    "23456789";

/*
 * PBKDF2-HMAC-SHA256 (RFC 8018 §5.2) of pwlen bytes of pw and saltlen
 * bytes of salt, iter rounds, into outlen bytes of out.  Lengths are
 * passed through, so embedded NUL bytes count.  iter and the lengths must
 * fit OpenSSL's int arguments and iter, outlen be non-zero.  Returns 0,
 * or -1 with out wiped.
 */
int
pbkdf2_sha256(const void *pw, size_t pwlen, const void *salt,
    size_t saltlen, unsigned iter, unsigned char *out, size_t outlen)
{

	if (out == NULL || outlen == 0 || outlen > INT_MAX)
		return -1;
	if (iter == 0 || iter > INT_MAX || pwlen > INT_MAX ||
	    saltlen > INT_MAX || (pw == NULL && pwlen > 0) ||
	    (salt == NULL && saltlen > 0))
		goto err;
	if (pw == NULL)
		pw = "";
	if (salt == NULL)
		salt = "";
	if (PKCS5_PBKDF2_HMAC(pw, (int)pwlen, salt, (int)saltlen, (int)iter,
	    EVP_sha256(), (int)outlen, out) != 1)
		goto err;
	return 0;
err:
	OPENSSL_cleanse(out, outlen);
	return -1;
}

/*
 * Hash pwlen bytes of pw with a fresh 16-byte salt from the OS CSPRNG and
 * iter rounds (PW_MIN_ITER..PW_MAX_ITER) of PBKDF2-HMAC-SHA256 into a
 * 32-byte key, written to out as "$pbkdf2-sha256$i=<iter>$<salt>$<hash>"
 * (base64url, no padding).  Passwords longer than PW_MAXLEN are refused.
 * Returns 0, or -1 with out set to "".
 */
int
pw_hash(const char *pw, size_t pwlen, unsigned iter, char out[PW_HASHLEN])
{
	unsigned char	 salt[PW_SALTLEN], key[PW_KEYLEN];
	char		 bsalt[32], bkey[64];
	int		 n, rc = -1;

	out[0] = '\0';
	if (pwlen > PW_MAXLEN || iter < PW_MIN_ITER || iter > PW_MAX_ITER)
		goto err;
	if (pr_random(salt, sizeof(salt)) == -1)
		goto err;
	if (pbkdf2_sha256(pw, pwlen, salt, sizeof(salt), iter, key,
	    sizeof(key)) == -1)
		goto err;
	b64url_encode(salt, sizeof(salt), bsalt);
	b64url_encode(key, sizeof(key), bkey);
	n = snprintf(out, PW_HASHLEN, PW_PREFIX "%u$%s$%s", iter, bsalt,
	    bkey);
	if (n < 0 || n >= PW_HASHLEN)
		goto err;
	rc = 0;
err:
	if (rc == -1)
		OPENSSL_cleanse(out, PW_HASHLEN);
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(bkey, sizeof(bkey));
	OPENSSL_cleanse(salt, sizeof(salt));
	OPENSSL_cleanse(bsalt, sizeof(bsalt));
	return rc;
}

/*
 * Split our PBKDF2 string into its iteration count, salt and key.  The
 * count must be plain decimal digits without a leading zero (one spelling
 * per value), the salt 16..64 bytes and the key exactly 32 bytes.
 * Returns 0 or -1.
 */
static int
parse_pbkdf2(const char *s, unsigned *iter, unsigned char *salt,
    size_t *saltlen, unsigned char key[PW_KEYLEN])
{
	const char	*p, *d;
	char		 num[16];
	size_t		 n, klen;
	long long	 v;

	p = s + strlen(PW_PREFIX);
	if ((d = strchr(p, '$')) == NULL)
		return -1;
	n = (size_t)(d - p);
	if (n == 0 || n >= sizeof(num) || p[0] == '0' ||
	    strspn(p, "0123456789") != n)
		return -1;
	memcpy(num, p, n);
	num[n] = '\0';
	if (pr_strtonum(num, PW_MIN_ITER, PW_MAX_ITER, &v) == -1)
		return -1;
	*iter = (unsigned)v;

	p = d + 1;
	if ((d = strchr(p, '$')) == NULL)
		return -1;
	if (b64url_decode(p, (size_t)(d - p), salt, PW_SALTMAX,
	    saltlen) == -1 || *saltlen < PW_SALTLEN)
		return -1;

	p = d + 1;
	n = strlen(p);
	if (n != b64url_enclen(PW_KEYLEN) ||
	    b64url_decode(p, n, key, PW_KEYLEN, &klen) == -1 ||
	    klen != PW_KEYLEN)
		return -1;
	return 0;
}

/* Whether s is a bcrypt string we hand to crypt_r(3). */
static int
is_bcrypt(const char *s)
{

	return strncmp(s, "$2a$", 4) == 0 || strncmp(s, "$2b$", 4) == 0 ||
	    strncmp(s, "$2y$", 4) == 0;
}

/*
 * Verify against a bcrypt string with crypt_r(3).  crypt wants a C
 * string, so a password with an embedded NUL cannot match.  Returns 1, 0
 * or -1 (crypt refused the setting).
 * XXX bcrypt only reads the first 72 bytes of the password; that is the
 * algorithm's limit and one reason such hashes are re-hashed at login.
 */
static int
verify_bcrypt(const char *pw, size_t pwlen, const char *stored)
{
	struct crypt_data *cd = NULL;
	char		*cpw = NULL;
	const char	*h;
	size_t		 n;
	int		 rc = -1;

	n = strlen(stored);
	if (n >= CRYPT_OUTPUT_SIZE)
		goto err;
	if ((cd = calloc(1, sizeof(*cd))) == NULL ||
	    (cpw = malloc(pwlen + 1)) == NULL)
		goto err;
	if (pwlen > 0)
		memcpy(cpw, pw, pwlen);
	cpw[pwlen] = '\0';
	h = crypt_r(cpw, stored, cd);
	if (h == NULL || h[0] == '*')
		goto err;
	rc = strlen(h) == n && CRYPTO_memcmp(h, stored, n) == 0 &&
	    (pwlen == 0 || memchr(pw, '\0', pwlen) == NULL);
err:
	if (cpw != NULL) {
		OPENSSL_cleanse(cpw, pwlen + 1);
		free(cpw);
	}
	if (cd != NULL) {
		OPENSSL_cleanse(cd, sizeof(*cd));
		free(cd);
	}
	return rc;
}

/*
 * Verify pwlen bytes of pw against a stored hash string: our PBKDF2
 * format (compared with CRYPTO_memcmp) or bcrypt "$2a$", "$2b$", "$2y$"
 * through crypt_r(3).  Returns 1 on match, 0 on mismatch (also for
 * passwords longer than PW_MAXLEN, which are never hashed), -1 when the
 * stored string is malformed or the crypto library fails.  When rehash is
 * non-NULL, *rehash is set to 1 if the stored string is well-formed but
 * not PBKDF2 or has fewer rounds than iter (the caller re-hashes after a
 * match), else 0.
 */
int
pw_verify(const char *pw, size_t pwlen, const char *stored, unsigned iter,
    int *rehash)
{
	unsigned char	 salt[PW_SALTMAX], want[PW_KEYLEN], got[PW_KEYLEN];
	size_t		 saltlen = 0;
	unsigned	 siter;
	int		 rc = -1;

	if (rehash != NULL)
		*rehash = 0;
	if (stored == NULL || (pw == NULL && pwlen > 0))
		goto err;

	if (is_bcrypt(stored)) {
		if (pwlen > PW_MAXLEN) {
			rc = 0;
		} else if ((rc = verify_bcrypt(pw, pwlen, stored)) == -1)
			goto err;
		if (rehash != NULL)
			*rehash = 1;
		goto err;
	}

	if (strncmp(stored, PW_PREFIX, strlen(PW_PREFIX)) != 0 ||
	    parse_pbkdf2(stored, &siter, salt, &saltlen, want) == -1)
		goto err;
	if (rehash != NULL && siter < iter)
		*rehash = 1;
	if (pwlen > PW_MAXLEN) {
		rc = 0;
		goto err;
	}
	if (pbkdf2_sha256(pw, pwlen, salt, saltlen, siter, got,
	    sizeof(got)) == -1)
		goto err;
	rc = CRYPTO_memcmp(got, want, sizeof(got)) == 0;
err:
	if (rc == -1 && rehash != NULL)
		*rehash = 0;
	OPENSSL_cleanse(got, sizeof(got));
	OPENSSL_cleanse(want, sizeof(want));
	OPENSSL_cleanse(salt, sizeof(salt));
	return rc;
}

/*
 * Spend the time of a pw_verify() against a PBKDF2 hash of iter rounds
 * (clamped to PW_MIN_ITER..PW_MAX_ITER) when the user does not exist, so
 * response times do not tell which logins exist.  Like pw_verify(),
 * passwords longer than PW_MAXLEN are not hashed.  Always returns 0.
 */
int
pw_verify_dummy(const char *pw, size_t pwlen, unsigned iter)
{
	static const unsigned char salt[PW_SALTLEN] = "photorestore-pw";
	static const unsigned char want[PW_KEYLEN] = { 0 };
	unsigned char	 got[PW_KEYLEN];
	volatile int	 sink = 0;

	if (pwlen > PW_MAXLEN || (pw == NULL && pwlen > 0))
		return 0;
	if (iter < PW_MIN_ITER)
		iter = PW_MIN_ITER;
	if (iter > PW_MAX_ITER)
		iter = PW_MAX_ITER;
	if (pbkdf2_sha256(pw, pwlen, salt, sizeof(salt), iter, got,
	    sizeof(got)) == 0)
		sink = CRYPTO_memcmp(got, want, sizeof(got));
	(void)sink;
	OPENSSL_cleanse(got, sizeof(got));
	return 0;
}

/*
 * The password policy of API.md §2, first failure wins: at least 8
 * characters (counted as UTF-8 code points, as the original's Python
 * len() does), then an ASCII upper-case letter, a lower-case letter, a
 * digit.  Returns NULL when acceptable, else the pydantic-style message,
 * with *type (when type is non-NULL) set to "string_too_short" or
 * "value_error".  A NULL pw counts as empty.
 */
const char *
pw_policy(const char *pw, const char **type)
{
	const unsigned char *p;
	size_t		 chars = 0;
	int		 up = 0, lo = 0, dig = 0;

	if (type != NULL)
		*type = NULL;
	if (pw == NULL)
		pw = "";
	for (p = (const unsigned char *)pw; *p != '\0'; p++) {
		if ((*p & 0xc0) != 0x80)
			chars++;
		if (*p >= 'A' && *p <= 'Z')
			up = 1;
		else if (*p >= 'a' && *p <= 'z')
			lo = 1;
		else if (*p >= '0' && *p <= '9')
			dig = 1;
	}
	if (chars < 8) {
		if (type != NULL)
			*type = "string_too_short";
		return "String should have at least 8 characters";
	}
	if (type != NULL)
		*type = "value_error";
	if (!up)
		return "Value error, Password must contain at least one "
		    "uppercase letter";
	if (!lo)
		return "Value error, Password must contain at least one "
		    "lowercase letter";
	if (!dig)
		return "Value error, Password must contain at least one digit";
	if (type != NULL)
		*type = NULL;
	return NULL;
}

/*
 * Write a random password of outsz - 1 characters (clamped to 16..24)
 * from an unambiguous 56-character alphabet into out, NUL-terminated.
 * Each character comes from rejection sampling of CSPRNG bytes (no modulo
 * bias), and a whole password that misses a class of pw_policy() is drawn
 * again, so every valid password is equally likely.  Returns 0, or -1
 * (out too small, no randomness) with out wiped.
 */
int
pw_generate(char *out, size_t outsz)
{
	unsigned char	 rnd[64];
	const size_t	 na = sizeof(pw_alphabet) - 1;
	const unsigned	 lim = 256 - 256 % na;
	size_t		 len, i, r;
	int		 tries, rc = -1;

	if (out == NULL || outsz < PW_GEN_MIN + 1)
		return -1;
	len = outsz - 1 > PW_GEN_MAX ? PW_GEN_MAX : outsz - 1;
	for (tries = 0; tries < PW_GEN_TRIES; tries++) {
		r = sizeof(rnd);
		for (i = 0; i < len; r++) {
			if (r == sizeof(rnd)) {
				if (pr_random(rnd, sizeof(rnd)) == -1)
					goto err;
				r = 0;
			}
			if (rnd[r] < lim)
				out[i++] = pw_alphabet[rnd[r] % na];
		}
		out[len] = '\0';
		if (pw_policy(out, NULL) == NULL) {
			rc = 0;
			break;
		}
	}
err:
	if (rc == -1)
		OPENSSL_cleanse(out, outsz);
	OPENSSL_cleanse(rnd, sizeof(rnd));
	return rc;
}
