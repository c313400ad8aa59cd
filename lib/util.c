/*
 * util.c: small helpers shared by every module: the error table, bounded
 * buffers, integer parsing, randomness, UUIDs and time formatting.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "photorestore.h"

static const char *const pr_errs[PR__MAX] = {
	"success",			/* PR_OK */
	"out of memory",		/* PR_ENOMEM */
	"invalid input",		/* PR_EINVAL */
	"input too large",		/* PR_ETOOBIG */
	"not found",			/* PR_ENOTFOUND */
	"already exists",		/* PR_ECONFLICT */
	"database error",		/* PR_EDB */
	"database busy",		/* PR_EBUSY */
	"input/output error",		/* PR_EIO */
	"cryptography error",		/* PR_ECRYPTO */
	"invalid configuration",	/* PR_ECONFIG */
};

/*
 * Return a static English phrase for an error value.
 */
const char *
pr_strerror(enum pr_err e)
{

	if ((unsigned)e >= PR__MAX)
		return "unknown error";
	return pr_errs[e];
}

/*
 * Initialise an empty buffer that may never hold more than max bytes.
 */
void
buf_init(struct buf *b, size_t max)
{

	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

/* Make room for n more bytes plus the NUL; PR_ETOOBIG past max. */
static enum pr_err
buf_grow(struct buf *b, size_t n)
{
	size_t	 need, ncap;
	char	*p;

	if (n > b->max || b->len > b->max - n)
		return PR_ETOOBIG;
	need = b->len + n + 1;
	if (need <= b->cap)
		return PR_OK;
	ncap = b->cap ? b->cap : 256;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2) {
			ncap = need;
			break;
		}
		ncap *= 2;
	}
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	if ((p = realloc(b->data, ncap)) == NULL)
		return PR_ENOMEM;
	b->data = p;
	b->cap = ncap;
	return PR_OK;
}

/*
 * Append n bytes.  Returns PR_OK, PR_ETOOBIG (nothing appended) or
 * PR_ENOMEM.
 */
enum pr_err
buf_append(struct buf *b, const void *p, size_t n)
{
	enum pr_err	 e;

	if ((e = buf_grow(b, n)) != PR_OK)
		return e;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return PR_OK;
}

/*
 * Append a NUL-terminated string.
 */
enum pr_err
buf_puts(struct buf *b, const char *s)
{

	return buf_append(b, s, strlen(s));
}

/*
 * Append printf-formatted text.
 */
enum pr_err
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list		 ap;
	int		 n;
	enum pr_err	 e;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return PR_EINVAL;
	if ((e = buf_grow(b, (size_t)n)) != PR_OK)
		return e;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return PR_OK;
}

/*
 * Empty the buffer, keeping its memory and maximum.
 */
void
buf_reset(struct buf *b)
{

	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

/*
 * Release the buffer's memory; it is empty and reusable afterwards.
 */
void
buf_free(struct buf *b)
{

	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/*
 * Parse a whole string as a decimal integer within [min, max]: no
 * leading space, no trailing bytes, no overflow.  Returns 0 or -1.
 */
int
pr_strtonum(const char *s, long long min, long long max, long long *out)
{
	char		*end;
	long long	 v;

	if (s == NULL || *s == '\0' || *s == ' ' || *s == '\t' ||
	    *s == '\n' || *s == '+')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/*
 * Fill buf with n bytes from the kernel CSPRNG (getrandom(2)).
 * Returns 0 or -1.
 */
int
pr_random(void *buf, size_t n)
{
	unsigned char	*p = buf;
	ssize_t		 r;

	while (n > 0) {
		r = getrandom(p, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/*
 * Write a random RFC 4122 §4.4 version-4 UUID in lower-case hex.
 * Returns 0 or -1.
 */
int
pr_uuid4(char out[37])
{
	unsigned char	 b[16];
	static const char hex[] = "0123456789abcdef";
	size_t		 i, j;

	if (pr_random(b, sizeof(b)) == -1)
		return -1;
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	for (i = j = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[j++] = '-';
		out[j++] = hex[b[i] >> 4];
		out[j++] = hex[b[i] & 15];
	}
	out[j] = '\0';
	return 0;
}

/*
 * Format unix seconds as ISO-8601 UTC with a trailing Z.
 */
void
pr_isotime(int64_t t, char out[32])
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "1970-01-01T00:00:00Z");
}

/*
 * The current time in unix seconds.
 */
int64_t
pr_now(void)
{

	return (int64_t)time(NULL);
}

/*
 * Copy in to out lower-cased (ASCII only), truncating to outsz - 1.
 */
void
pr_lower(const char *in, char *out, size_t outsz)
{
	size_t	 i;

	if (outsz == 0)
		return;
	for (i = 0; in[i] != '\0' && i + 1 < outsz; i++)
		out[i] = (in[i] >= 'A' && in[i] <= 'Z') ?
		    (char)(in[i] - 'A' + 'a') : in[i];
	out[i] = '\0';
}
