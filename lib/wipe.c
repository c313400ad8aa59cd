/*
 * wipe.c: wiping secrets for code that must not include OpenSSL itself.
 */
#include <openssl/crypto.h>

#include "photorestore.h"

/*
 * Overwrite n bytes at p with zeros in a way the compiler cannot remove
 * (OPENSSL_cleanse).
 */
void
pr_wipe(void *p, size_t n)
{

	if (p != NULL && n > 0)
		OPENSSL_cleanse(p, n);
}
