/*
 * hash.c: SHA-256 for the result cache (issue 10), and the warm-up the
 * FastCGI master runs before it forks.  A crypto file: the only place
 * besides the other crypto files that includes OpenSSL.
 */
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "photorestore.h"

/*
 * The SHA-256 digest of n bytes at p as 64 lower-case hex digits and a
 * NUL in out.  Returns 0, or -1 when the crypto library fails (out is
 * then "").
 */
int
sha256_hex(const void *p, size_t n, char out[SHA256_HEXLEN + 1])
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 mdlen = 0, i;

	out[0] = '\0';
	if (EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != SHA256_HEXLEN / 2)
		return -1;
	for (i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0x0f];
	}
	out[SHA256_HEXLEN] = '\0';
	return 0;
}

/*
 * Run once, before forking, each kind of operation the workers use
 * (HMAC-SHA256, SHA-256, MD5, the random generator).  OpenSSL 3 builds
 * its provider and method tables lazily on first use; done here, the
 * tables are shared by the workers copy-on-write and each worker no
 * longer faults in the ~1 MB of libcrypto code that builds them.  The
 * random generator notices the fork (its fork id changes) and reseeds
 * in each child.  Failures are harmless: the first request retries.
 */
void
crypto_warm(void)
{
	static const unsigned char	 k[32];
	unsigned char			 md[EVP_MAX_MD_SIZE];
	unsigned int			 mdlen;

	HMAC(EVP_sha256(), k, (int)sizeof(k), k, sizeof(k), md, &mdlen);
	EVP_Digest(k, sizeof(k), md, &mdlen, EVP_sha256(), NULL);
	EVP_Digest(k, sizeof(k), md, &mdlen, EVP_md5(), NULL);
	if (RAND_bytes(md, 16) != 1)
		return;
	OPENSSL_cleanse(md, sizeof(md));
}
