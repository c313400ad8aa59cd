/*
 * sign.c: expiring capability URLs for the stored images (API.md §4.4).
 *
 * nginx checks them itself with its secure_link module, configured as
 *
 *	secure_link $arg_s,$arg_e;
 *	secure_link_md5 "$secure_link_expires$uri <url_secret>";
 *
 * so a URL is "<path>?e=<expiry>&s=<sig>" where sig is the base64url
 * (no padding) of MD5("<expiry><path> <url_secret>") and <path> is the
 * decoded, normalised URI nginx puts in $uri.  MD5 is what secure_link
 * offers.  The secret (random, as hex) comes last in the hashed text, so
 * a length extension would have to append after it, which nginx's
 * template never does; collisions do not help make a tag for a path or
 * expiry of one's choosing.  XXX: an HMAC would be the textbook choice;
 * secure_link cannot check one.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "photorestore.h"

#define SIGN_MD5_LEN	16

/* Characters a path may carry unencoded (RFC 3986 unreserved and '/'). */
static int
url_plain(unsigned char c)
{

	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~' || c == '/';
}

/*
 * Whether nginx would see path unchanged in $uri: absolute, no control
 * bytes, no empty, "." or ".." segment (merge_slashes and the URI
 * normalisation would change those, and the signed text with them).
 */
static int
path_ok(const char *path)
{
	const char	*p, *seg;
	size_t		 n;

	if (path == NULL || path[0] != '/')
		return 0;
	for (p = path; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	for (seg = path + 1; ; seg = p + 1) {
		p = strchr(seg, '/');
		n = p != NULL ? (size_t)(p - seg) : strlen(seg);
		if (n == 0 || (n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return 0;
		if (p == NULL)
			break;
	}
	return 1;
}

/*
 * Make the capability URL for a stored file: path is the root-relative,
 * not percent-encoded path nginx will see ("/uploads/7/<uuid>.jpg"),
 * secret the url_secret text shared with nginx, expires the unix time
 * after which nginx answers 403.  Writes "<encoded path>?e=<expires>&s=
 * <signature>" into out (NUL-terminated).  Returns 0, or -1 when the path
 * is not one nginx would leave unchanged, the secret is empty, out is too
 * small, or the digest failed.
 */
int
url_sign(const char *secret, const char *path, int64_t expires, char *out,
    size_t outsz)
{
	EVP_MD_CTX	*ctx = NULL;
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	char		 exp[32], sig[32];
	const char	*p;
	size_t		 o = 0;
	int		 n, rc = -1;

	if (secret == NULL || *secret == '\0' || !path_ok(path) ||
	    expires < 0 || outsz == 0)
		goto err;
	n = snprintf(exp, sizeof(exp), "%lld", (long long)expires);
	if (n < 0 || (size_t)n >= sizeof(exp))
		goto err;
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_md5(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, exp, strlen(exp)) != 1 ||
	    EVP_DigestUpdate(ctx, path, strlen(path)) != 1 ||
	    EVP_DigestUpdate(ctx, " ", 1) != 1 ||
	    EVP_DigestUpdate(ctx, secret, strlen(secret)) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 ||
	    mdlen != SIGN_MD5_LEN)
		goto err;
	b64url_encode(md, mdlen, sig);

	for (p = path; *p != '\0'; p++) {
		if (url_plain((unsigned char)*p)) {
			if (o + 1 >= outsz)
				goto err;
			out[o++] = *p;
		} else {
			if (o + 3 >= outsz)
				goto err;
			n = snprintf(out + o, outsz - o, "%%%02X",
			    (unsigned char)*p);
			o += (size_t)n;
		}
	}
	n = snprintf(out + o, outsz - o, "?e=%s&s=%s", exp, sig);
	if (n < 0 || (size_t)n >= outsz - o)
		goto err;
	rc = 0;
err:
	EVP_MD_CTX_free(ctx);
	if (rc == -1 && outsz > 0)
		out[0] = '\0';
	return rc;
}
