/*
 * t/fuzz/multipart.c: libFuzzer driver for the streaming
 * multipart/form-data parser (lib/multipart.c).
 *
 * Input: "<Content-Type>\n<body>" (when there is no newline the whole
 * input is the body with a fixed boundary).  The body is parsed once in
 * one piece and once in pseudo-random chunks (sizes 1-64 and some large,
 * drawn from a generator seeded by the input), and the two transcripts
 * of what the callbacks saw (part headers, data bytes, ends) and the
 * results must be identical: chunking never changes the parse.  The
 * parser also never hands out zero-length data, never more data than it
 * was fed, and part fields are NUL-terminated (name may be empty:
 * name="" is a name, see t/unit/multipart.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "photorestore.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define TMAX	(1 << 18)

struct rec {
	unsigned char	 t[TMAX];
	size_t		 len;
	int		 overflow;
	size_t		 data;
	int		 open;
	int		 nbegin;
};

static struct rec	 r1, r2;

static void
put(struct rec *r, const void *p, size_t n)
{

	if (r->len + n > TMAX) {
		r->overflow = 1;
		return;
	}
	memcpy(r->t + r->len, p, n);
	r->len += n;
}

static int
on_begin(void *arg, const struct mp_part *p)
{
	struct rec	*r = arg;

	if (r->open || memchr(p->name, '\0', sizeof(p->name)) == NULL ||
	    memchr(p->filename, '\0', sizeof(p->filename)) == NULL ||
	    memchr(p->content_type, '\0', sizeof(p->content_type)) == NULL)
		abort();
	r->open = 1;
	r->nbegin++;
	put(r, "<", 1);
	put(r, p->name, strlen(p->name));
	put(r, "|", 1);
	put(r, p->filename, strlen(p->filename));
	put(r, p->has_filename ? "|1|" : "|0|", 3);
	put(r, p->content_type, strlen(p->content_type));
	put(r, ">", 1);
	return 0;
}

static int
on_data(void *arg, const void *d, size_t n)
{
	struct rec	*r = arg;

	if (n == 0 || !r->open)
		abort();
	r->data += n;
	put(r, d, n);
	return 0;
}

static int
on_end(void *arg)
{
	struct rec	*r = arg;

	if (!r->open)
		abort();
	r->open = 0;
	put(r, "</>", 3);
	return 0;
}

static const struct mp_callbacks cb = { on_begin, on_data, on_end };

static uint32_t
next(uint32_t *s)
{

	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Parse body in chunks (chunk == 0: all at once); returns the result. */
static enum mp_err
parse(const char *ct, const unsigned char *body, size_t n, struct rec *r,
    uint32_t seed)
{
	struct multipart	*m;
	enum mp_err		 e, e2;
	size_t			 off = 0, k;
	unsigned char		*copy;

	r->len = 0;
	r->overflow = 0;
	r->data = 0;
	r->open = r->nbegin = 0;
	if ((m = mp_new(ct, &cb, r, &e)) == NULL) {
		if (e == MP_OK)
			abort();
		return e;
	}
	e = MP_OK;
	while (off < n && e == MP_OK) {
		if (seed == 0)
			k = n - off;
		else {
			uint32_t v = next(&seed);

			k = (v & 7) == 0 ? 1 + (v >> 8) % 4096 :
			    1 + (v >> 8) % 64;
			if (k > n - off)
				k = n - off;
		}
		/* An exact-size heap copy of each chunk: no over-read. */
		if ((copy = malloc(k)) == NULL)
			abort();
		memcpy(copy, body + off, k);
		e = mp_feed(m, copy, k);
		free(copy);
		off += k;
	}
	e2 = mp_finish(m);
	if (e != MP_OK && e2 != e)
		abort();	/* errors are sticky */
	mp_free(m);
	if (r->data > n)
		abort();
	return e2;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char defct[] = "multipart/form-data; boundary=XbOuNdArY";
	const uint8_t	*nl;
	char		 ct[1024];
	const unsigned char *body;
	size_t		 n, i;
	uint32_t	 seed = 2166136261u;
	enum mp_err	 e1, e2;

	if (size > 1 << 17)
		return 0;
	nl = memchr(data, '\n', size < sizeof(ct) ? size : sizeof(ct));
	if (nl != NULL) {
		memcpy(ct, data, (size_t)(nl - data));
		ct[nl - data] = '\0';
		body = nl + 1;
		n = size - (size_t)(nl + 1 - data);
	} else {
		memcpy(ct, defct, sizeof(defct));
		body = data;
		n = size;
	}
	for (i = 0; i < size; i++)
		seed = (seed ^ data[i]) * 16777619u;
	if (seed == 0)
		seed = 1;
	e1 = parse(ct, body, n, &r1, 0);
	e2 = parse(ct, body, n, &r2, seed);
	if (e1 != e2)
		abort();
	if (!r1.overflow && !r2.overflow &&
	    (r1.len != r2.len || memcmp(r1.t, r2.t, r1.len) != 0))
		abort();
	return 0;
}
