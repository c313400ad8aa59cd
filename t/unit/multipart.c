/*
 * multipart.c: tests of the streaming multipart/form-data parser.
 * argv[1] names the behaviour: basic, chunking, malformed, binary.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "photorestore.h"
#include "tap.h"

#define CT	"multipart/form-data; boundary=XbOuNdArY"
#define B	"--XbOuNdArY"
#define CRLF	"\r\n"

/*
 * What the callbacks saw, as one transcript: "<name|filename|has|type>"
 * when a part begins, its data bytes, "</>" when it ends.  Chunking must
 * never change it.
 */
struct rec {
	char	 t[1 << 20];
	size_t	 len;
	int	 nparts;
	int	 nends;
	size_t	 datalen;	/* data bytes of the current part */
	int	 abort_begin, abort_data, abort_end;
	struct mp_part last;
};

static struct rec r1, r2;

static void
rec_put(struct rec *r, const void *p, size_t n)
{

	if (r->len + n > sizeof(r->t)) {
		diag("transcript overflow");
		exit(2);
	}
	memcpy(r->t + r->len, p, n);
	r->len += n;
}

static int
on_begin(void *arg, const struct mp_part *p)
{
	struct rec	*r = arg;
	char		 s[1024];
	int		 n;

	n = snprintf(s, sizeof(s), "<%s|%s|%d|%s>", p->name, p->filename,
	    p->has_filename, p->content_type);
	rec_put(r, s, (size_t)n);
	r->nparts++;
	r->datalen = 0;
	r->last = *p;
	return r->abort_begin;
}

static int
on_data(void *arg, const void *d, size_t n)
{
	struct rec	*r = arg;

	if (n == 0) {
		diag("part_data called with 0 bytes");
		exit(2);
	}
	rec_put(r, d, n);
	r->datalen += n;
	return r->abort_data;
}

static int
on_end(void *arg)
{
	struct rec	*r = arg;

	rec_put(r, "</>", 3);
	r->nends++;
	return r->abort_end;
}

static const struct mp_callbacks cbs = { on_begin, on_data, on_end };

static void
rec_reset(struct rec *r)
{

	r->len = 0;
	r->nparts = r->nends = 0;
	r->datalen = 0;
	r->abort_begin = r->abort_data = r->abort_end = 0;
	memset(&r->last, 0, sizeof(r->last));
}

/*
 * Parse body fed in pieces of chunk bytes (0: all at once), or, when split
 * is non-negative, in two pieces cut at split.  Returns the first error of
 * mp_new, mp_feed or mp_finish.
 */
static enum mp_err
run(const char *ct, const char *body, size_t len, size_t chunk, long split,
    struct rec *r)
{
	struct multipart	*m;
	enum mp_err		 e;
	size_t			 off, n;

	rec_reset(r);
	if ((m = mp_new(ct, &cbs, r, &e)) == NULL)
		return e;
	if (split >= 0) {
		if ((e = mp_feed(m, body, (size_t)split)) == MP_OK)
			e = mp_feed(m, body + split, len - (size_t)split);
	} else {
		if (chunk == 0)
			chunk = len ? len : 1;
		for (off = 0, e = MP_OK; off < len && e == MP_OK; off += n) {
			n = len - off < chunk ? len - off : chunk;
			e = mp_feed(m, body + off, n);
		}
	}
	if (e == MP_OK)
		e = mp_finish(m);
	mp_free(m);
	return e;
}

/* The transcript of a whole-body parse must match every other chunking. */
static void
all_chunkings(const char *what, const char *ct, const char *body, size_t len)
{
	enum mp_err	 e1, e2;
	size_t		 c, bad = 0;
	long		 s;

	e1 = run(ct, body, len, 0, -1, &r1);
	for (s = 0; s <= (long)len; s++) {
		e2 = run(ct, body, len, 0, s, &r2);
		if (e2 != e1 || r2.len != r1.len ||
		    memcmp(r1.t, r2.t, r1.len) != 0) {
			if (bad++ == 0)
				diag("%s: split at %ld differs (%s vs %s)",
				    what, s, mp_strerror(e2), mp_strerror(e1));
		}
	}
	ok(bad == 0, "%s: all %zu split points agree", what, len + 1);
	bad = 0;
	for (c = 1; c <= 80 && c <= len; c++) {
		e2 = run(ct, body, len, c, -1, &r2);
		if (e2 != e1 || r2.len != r1.len ||
		    memcmp(r1.t, r2.t, r1.len) != 0) {
			if (bad++ == 0)
				diag("%s: chunk %zu differs", what, c);
		}
	}
	ok(bad == 0, "%s: chunk sizes 1..80 agree (1-byte feeding included)",
	    what);
}

static const char basic_body[] =
	"This is the preamble; it is ignored." CRLF
	B CRLF
	"Content-Disposition: form-data; name=\"model_id\"" CRLF
	CRLF
	"local-restore" CRLF
	B CRLF
	"content-disposition: form-data; name=\"file\"; filename=\"photo 1.jpg\"" CRLF
	"CONTENT-TYPE: image/jpeg" CRLF
	"X-Other: ignored" CRLF
	CRLF
	"\xff\xd8\xff\xe0 JPEG bytes" CRLF
	B CRLF
	"Content-Disposition: form-data; name=\"parameters\"" CRLF
	"Content-Type: application/json" CRLF
	CRLF
	"{\"strength\": 0.5}" CRLF
	B "--" CRLF
	"This is the epilogue." CRLF;

static const char basic_expect[] =
	"<model_id||0|>local-restore</>"
	"<file|photo 1.jpg|1|image/jpeg>\xff\xd8\xff\xe0 JPEG bytes</>"
	"<parameters||0|application/json>{\"strength\": 0.5}</>";

/* Parse a one-part body whose Content-Disposition line is cd. */
static enum mp_err
one_part(const char *cd, struct rec *r)
{
	char	 body[8192];
	int	 n;

	n = snprintf(body, sizeof(body), B CRLF "%s" CRLF CRLF "x" CRLF
	    B "--", cd);
	return run(CT, body, (size_t)n, 0, -1, r);
}

static void
t_basic(void)
{
	struct multipart	*m;
	enum mp_err		 e;
	char			 ct[256], body[512];
	int			 i, n;
	static const char	 b70[] = "0123456789012345678901234567890123456789"
	    "-_.'()+,/:=?012345678901234567";
	static const char *const cts[] = {
		"multipart/form-data; boundary=XbOuNdArY",
		"multipart/form-data; boundary=\"XbOuNdArY\"",
		"Multipart/Form-Data;boundary=XbOuNdArY",
		"MULTIPART/FORM-DATA; charset=utf-8; boundary=XbOuNdArY",
		"multipart/form-data; boundary=XbOuNdArY; charset=\"utf-8\"",
		"multipart/form-data ; BOUNDARY = XbOuNdArY ;",
	};

	e = run(CT, basic_body, sizeof(basic_body) - 1, 0, -1, &r1);
	is_int(e, MP_OK, "basic body parses");
	is_int(r1.nparts, 3, "three parts begin");
	is_int(r1.nends, 3, "three parts end");
	ok(r1.len == sizeof(basic_expect) - 1 &&
	    memcmp(r1.t, basic_expect, r1.len) == 0,
	    "names, filename, types and data as sent");

	for (i = 0; i < (int)(sizeof(cts) / sizeof(cts[0])); i++) {
		e = run(cts[i], basic_body, sizeof(basic_body) - 1, 0, -1, &r1);
		ok(e == MP_OK && r1.nparts == 3, "Content-Type form %d: %s",
		    i, cts[i]);
	}

	/* A quoted boundary with characters that need quoting. */
	n = snprintf(body, sizeof(body), "--a b:c=d?" CRLF
	    "Content-Disposition: form-data; name=\"f\"" CRLF CRLF
	    "v" CRLF "--a b:c=d?--");
	e = run("multipart/form-data; boundary=\"a b:c=d?\"", body,
	    (size_t)n, 0, -1, &r1);
	ok(e == MP_OK && r1.nparts == 1, "quoted boundary with space, ':', '='");

	/* Boundaries of 1 and 70 characters. */
	n = snprintf(body, sizeof(body), "--z" CRLF
	    "Content-Disposition: form-data; name=a" CRLF CRLF "1" CRLF "--z--");
	e = run("multipart/form-data; boundary=z", body, (size_t)n, 0, -1, &r1);
	ok(e == MP_OK && r1.nparts == 1 && strcmp(r1.last.name, "a") == 0,
	    "one-character boundary, unquoted name token");
	snprintf(ct, sizeof(ct), "multipart/form-data; boundary=\"%s\"", b70);
	n = snprintf(body, sizeof(body), "--%s" CRLF
	    "Content-Disposition: form-data; name=a" CRLF CRLF "1" CRLF "--%s--",
	    b70, b70);
	e = run(ct, body, (size_t)n, 0, -1, &r1);
	ok(strlen(b70) == 70 && e == MP_OK && r1.nparts == 1,
	    "seventy-character boundary");

	/* No preamble, no epilogue, transport padding after delimiters. */
	n = snprintf(body, sizeof(body), B " \t" CRLF
	    "Content-Disposition: form-data; name=a" CRLF CRLF "1" CRLF
	    B "--");
	e = run(CT, body, (size_t)n, 0, -1, &r1);
	ok(e == MP_OK && r1.nparts == 1, "transport padding after delimiter");

	/* An empty part and a part whose data is empty lines. */
	n = snprintf(body, sizeof(body), B CRLF
	    "Content-Disposition: form-data; name=empty" CRLF CRLF CRLF
	    B CRLF
	    "Content-Disposition: form-data; name=lines" CRLF CRLF
	    CRLF CRLF CRLF B "--" CRLF);
	e = run(CT, body, (size_t)n, 0, -1, &r1);
	ok(e == MP_OK && r1.len == strlen("<empty||0|></><lines||0|>\r\n\r\n</>")
	    && memcmp(r1.t, "<empty||0|></><lines||0|>\r\n\r\n</>", r1.len) == 0,
	    "empty part data and data of blank lines");

	/* A body with no parts at all. */
	e = run(CT, B "--" CRLF, strlen(B "--" CRLF), 0, -1, &r1);
	ok(e == MP_OK && r1.nparts == 0, "close delimiter alone: no parts");

	/*
	 * name="" is a name (RFC 7578 requires the parameter, not a
	 * non-empty value; python-multipart keeps such a field too): the
	 * part is handed out, and no handler asks for a field named "".
	 */
	e = one_part("Content-Disposition: form-data; name=\"\"; "
	    "filename=\"a.png\"", &r1);
	ok(e == MP_OK && r1.nparts == 1 && r1.last.name[0] == '\0' &&
	    strcmp(r1.last.filename, "a.png") == 0,
	    "empty name: a part with name \"\"");

	/* Filenames: empty, escapes, MSIE paths, RFC 8187, UTF-8 bytes. */
	e = one_part("Content-Disposition: form-data; name=\"file\"; "
	    "filename=\"\"", &r1);
	ok(e == MP_OK && r1.last.has_filename && r1.last.filename[0] == '\0',
	    "empty filename is present and empty");
	e = one_part("Content-Disposition: form-data; name=\"file\"", &r1);
	ok(e == MP_OK && !r1.last.has_filename, "no filename parameter");
	e = one_part("Content-Disposition: form-data; name=\"file\"; "
	    "filename=\"a \\\"quoted\\\" name.png\"", &r1);
	is_str(r1.last.filename, "a \"quoted\" name.png", "escaped quotes");
	e = one_part("Content-Disposition: form-data; name=\"file\"; "
	    "filename=\"C:\\photos\\old.jpg\"", &r1);
	is_str(r1.last.filename, "C:\\photos\\old.jpg",
	    "MSIE unescaped backslashes kept");
	e = one_part("Content-Disposition: form-data; name=\"file\"; "
	    "filename=\"caf\xc3\xa9.jpg\"", &r1);
	is_str(r1.last.filename, "caf\xc3\xa9.jpg", "raw UTF-8 filename");
	e = one_part("Content-Disposition: form-data; name=\"file\"; "
	    "filename=\"fallback.jpg\"; filename*=UTF-8''caf%C3%A9%20%e2%82%ac.jpg",
	    &r1);
	ok(e == MP_OK && r1.last.has_filename, "filename* accepted");
	is_str(r1.last.filename, "caf\xc3\xa9 \xe2\x82\xac.jpg",
	    "filename* decoded and preferred");
	e = one_part("Content-Disposition: form-data; name=\"file\"; "
	    "filename*=utf-8'en'x.png", &r1);
	is_str(r1.last.filename, "x.png", "filename* with a language tag");
	e = one_part("Content-Disposition: form-data; name=\"file\"; "
	    "filename=\"a.jpg\"; filename*=ISO-8859-1''b.jpg", &r1);
	is_str(r1.last.filename, "a.jpg", "filename* of another charset ignored");
	e = one_part("Content-Disposition: form-data ; name = \"f\" ; "
	    "filename = \"b.png\" ; ", &r1);
	ok(e == MP_OK && strcmp(r1.last.filename, "b.png") == 0,
	    "spaces around ';' and '=' tolerated");
	e = one_part("Content-Disposition: form-data; name=\"file\"; "
	    "filename=\"%s\"", &r1);
	is_str(r1.last.filename, "%s", "no format-string surprises");

	/* Callbacks may be NULL. */
	m = mp_new(CT, NULL, NULL, &e);
	ok(m != NULL && e == MP_OK, "mp_new without callbacks");
	if (m != NULL) {
		e = mp_feed(m, basic_body, sizeof(basic_body) - 1);
		if (e == MP_OK)
			e = mp_finish(m);
		is_int(e, MP_OK, "parse with NULL callbacks");
		mp_free(m);
	}
	mp_free(NULL);
	ok(1, "mp_free(NULL) is harmless");

	for (i = 0; i < MP__MAX; i++)
		ok(mp_strerror(i) != NULL && mp_strerror(i)[0] != '\0',
		    "mp_strerror(%d) = \"%s\"", i, mp_strerror(i));
	ok(mp_strerror(MP__MAX) != NULL, "mp_strerror out of range");
}

/*
 * Random mutations of the basic body (bytes flipped to CR, LF, '-',
 * boundary letters or anything): whatever the outcome, feeding whole,
 * byte by byte and in random pieces must agree.
 */
static void
mutations(void)
{
	static const char alphabet[] = "\r\n-XbOuNdArY\"; =\0";
	char		 body[sizeof(basic_body)];
	size_t		 len = sizeof(basic_body) - 1, k, c, bad = 0, oks = 0;
	uint32_t	 x = 42;
	int		 i, j;
	enum mp_err	 e1, e2, e3;

	for (i = 0; i < 3000; i++) {
		memcpy(body, basic_body, len);
		for (j = 0; j < 1 + i % 4; j++) {
			x = x * 1103515245u + 12345u;
			k = (x >> 8) % len;
			x = x * 1103515245u + 12345u;
			body[k] = (x >> 8) % 3 == 0 ? (char)(x >> 16) :
			    alphabet[(x >> 16) % (sizeof(alphabet) - 1)];
		}
		x = x * 1103515245u + 12345u;
		c = 2 + (x >> 8) % 30;
		e1 = run(CT, body, len, 0, -1, &r1);
		e2 = run(CT, body, len, 1, -1, &r2);
		if (e1 != e2 || r1.len != r2.len ||
		    memcmp(r1.t, r2.t, r1.len) != 0)
			bad++;
		e3 = run(CT, body, len, c, -1, &r2);
		if (e1 != e3 || r1.len != r2.len ||
		    memcmp(r1.t, r2.t, r1.len) != 0)
			bad++;
		oks += e1 == MP_OK;
	}
	ok(bad == 0, "3000 mutated bodies: chunking never changes the result "
	    "(%zu of them parse)", oks);
}

static void
t_chunking(void)
{
	char	 body[2048];
	int	 n;

	all_chunkings("basic body", CT, basic_body, sizeof(basic_body) - 1);
	n = snprintf(body, sizeof(body),
	    "\r\n--XbOuNd\r\r\n" CRLF B CRLF
	    "Content-Disposition: form-data; name=\"a\"; filename=\"b\"" CRLF
	    CRLF "\r\r\n--XbOuNdAr\r\n-\r\n--\r" CRLF B " " CRLF
	    "Content-Disposition: form-data; name=\"c\"" CRLF CRLF
	    CRLF B "--" CRLF "epilogue " B CRLF);
	all_chunkings("tricky body", CT, body, (size_t)n);
	/* Errors are found at the same place whatever the chunking. */
	n = snprintf(body, sizeof(body), B CRLF
	    "Content-Disposition: form-data; name=\"a\"" CRLF CRLF
	    "data" CRLF B "oops" CRLF);
	all_chunkings("delimiter followed by junk", CT, body, (size_t)n);
	n = snprintf(body, sizeof(body), B CRLF
	    "Content-Disposition: form-data; name=\"a\"" CRLF CRLF "data\r\n--Xb");
	all_chunkings("truncated inside a delimiter", CT, body, (size_t)n);
	mutations();
}

struct bad {
	const char	*what;
	const char	*ct;		/* NULL: CT */
	const char	*body;		/* NULL: not reached */
	enum mp_err	 want;
};

static const struct bad bads[] = {
	{ "no Content-Type", "", NULL, MP_EBOUNDARY },
	{ "no boundary parameter", "multipart/form-data", NULL, MP_EBOUNDARY },
	{ "other parameter only", "multipart/form-data; charset=utf-8", NULL,
	    MP_EBOUNDARY },
	{ "empty boundary", "multipart/form-data; boundary=", NULL,
	    MP_EBOUNDARY },
	{ "empty quoted boundary", "multipart/form-data; boundary=\"\"", NULL,
	    MP_EBOUNDARY },
	{ "boundary too long (71)", "multipart/form-data; boundary="
	    "01234567890123456789012345678901234567890123456789"
	    "012345678901234567890", NULL, MP_EBOUNDARY },
	{ "boundary ending in space", "multipart/form-data; boundary=\"ab \"",
	    NULL, MP_EBOUNDARY },
	{ "boundary with CR", "multipart/form-data; boundary=\"a\rb\"", NULL,
	    MP_EBOUNDARY },
	{ "boundary twice", "multipart/form-data; boundary=a; boundary=b",
	    NULL, MP_EBOUNDARY },
	{ "unterminated quoted boundary", "multipart/form-data; boundary=\"ab",
	    NULL, MP_EBOUNDARY },
	{ "not form-data", "multipart/mixed; boundary=a", NULL, MP_EBOUNDARY },
	{ "not multipart", "application/json", NULL, MP_EBOUNDARY },
	{ "type prefix only", "multipart/form-database; boundary=a", NULL,
	    MP_EBOUNDARY },
	{ "empty body", NULL, "", MP_ETRUNC },
	{ "preamble only", NULL, "just some text" CRLF, MP_ETRUNC },
	{ "missing closing boundary", NULL, B CRLF
	    "Content-Disposition: form-data; name=a" CRLF CRLF "data" CRLF,
	    MP_ETRUNC },
	{ "ends after delimiter", NULL, B CRLF
	    "Content-Disposition: form-data; name=a" CRLF CRLF "data" CRLF B,
	    MP_ETRUNC },
	{ "ends in headers", NULL, B CRLF "Content-Disposition: form-da",
	    MP_ETRUNC },
	{ "ends after half the close", NULL, B CRLF
	    "Content-Disposition: form-data; name=a" CRLF CRLF "d" CRLF B "-",
	    MP_ETRUNC },
	{ "missing CRLF after delimiter", NULL, B "Content-Disposition: "
	    "form-data; name=a" CRLF CRLF "d" CRLF B "--", MP_EFORMAT },
	{ "CR without LF after delimiter", NULL, B "\rX", MP_EFORMAT },
	{ "LF only after delimiter", NULL, B "\n"
	    "Content-Disposition: form-data; name=a\n\nd\n" B "--", MP_EFORMAT },
	{ "padding then junk", NULL, B "  x" CRLF, MP_EFORMAT },
	{ "single dash after delimiter", NULL, B CRLF
	    "Content-Disposition: form-data; name=a" CRLF CRLF "d" CRLF B "-x",
	    MP_EFORMAT },
	{ "delimiter followed by junk in data", NULL, B CRLF
	    "Content-Disposition: form-data; name=a" CRLF CRLF "d" CRLF
	    B "XYZ" CRLF, MP_EFORMAT },
	{ "no Content-Disposition", NULL, B CRLF "Content-Type: text/plain"
	    CRLF CRLF "d" CRLF B "--", MP_EHEADER },
	{ "no headers at all", NULL, B CRLF CRLF "d" CRLF B "--", MP_EHEADER },
	{ "disposition not form-data", NULL, B CRLF
	    "Content-Disposition: attachment; name=a" CRLF CRLF "d" CRLF B "--",
	    MP_EHEADER },
	{ "no name", NULL, B CRLF "Content-Disposition: form-data; "
	    "filename=\"a.jpg\"" CRLF CRLF "d" CRLF B "--", MP_EHEADER },
	{ "name twice", NULL, B CRLF "Content-Disposition: form-data; name=a; "
	    "name=b" CRLF CRLF "d" CRLF B "--", MP_EHEADER },
	{ "filename twice", NULL, B CRLF "Content-Disposition: form-data; "
	    "name=a; filename=x; filename=y" CRLF CRLF "d" CRLF B "--",
	    MP_EHEADER },
	{ "Content-Disposition twice", NULL, B CRLF
	    "Content-Disposition: form-data; name=a" CRLF
	    "Content-Disposition: form-data; name=b" CRLF CRLF "d" CRLF B "--",
	    MP_EHEADER },
	{ "Content-Type twice", NULL, B CRLF
	    "Content-Disposition: form-data; name=a" CRLF
	    "Content-Type: a/b" CRLF "Content-Type: c/d" CRLF CRLF "d" CRLF
	    B "--", MP_EHEADER },
	{ "header without colon", NULL, B CRLF
	    "Content-Disposition: form-data; name=a" CRLF "Bogus" CRLF CRLF
	    "d" CRLF B "--", MP_EHEADER },
	{ "space before colon", NULL, B CRLF
	    "Content-Disposition : form-data; name=a" CRLF CRLF "d" CRLF B "--",
	    MP_EHEADER },
	{ "folded header", NULL, B CRLF "Content-Disposition: form-data;" CRLF
	    " name=a" CRLF CRLF "d" CRLF B "--", MP_EHEADER },
	{ "CRLF in quoted filename", NULL, B CRLF
	    "Content-Disposition: form-data; name=a; filename=\"x" CRLF
	    "y.jpg\"" CRLF CRLF "d" CRLF B "--", MP_EHEADER },
	{ "bare CR in filename", NULL, B CRLF
	    "Content-Disposition: form-data; name=a; filename=\"x\ry.jpg\""
	    CRLF CRLF "d" CRLF B "--", MP_EHEADER },
	{ "bare LF in name", NULL, B CRLF
	    "Content-Disposition: form-data; name=\"a\nb\"" CRLF CRLF "d" CRLF
	    B "--", MP_EHEADER },
	{ "control byte in filename", NULL, B CRLF
	    "Content-Disposition: form-data; name=a; filename=\"x\x01y\""
	    CRLF CRLF "d" CRLF B "--", MP_EHEADER },
	{ "NUL in filename* (%00)", NULL, B CRLF
	    "Content-Disposition: form-data; name=a; filename*=UTF-8''x%00y"
	    CRLF CRLF "d" CRLF B "--", MP_EHEADER },
	{ "CR LF in filename* (%0D%0A)", NULL, B CRLF
	    "Content-Disposition: form-data; name=a; filename*=UTF-8''x%0d%0Ay"
	    CRLF CRLF "d" CRLF B "--", MP_EHEADER },
	{ "bad percent escape in filename*", NULL, B CRLF
	    "Content-Disposition: form-data; name=a; filename*=UTF-8''x%g1"
	    CRLF CRLF "d" CRLF B "--", MP_EHEADER },
	{ "filename* without quotes", NULL, B CRLF
	    "Content-Disposition: form-data; name=a; filename*=x.jpg"
	    CRLF CRLF "d" CRLF B "--", MP_EHEADER },
	{ "unterminated quoted filename", NULL, B CRLF
	    "Content-Disposition: form-data; name=a; filename=\"x.jpg"
	    CRLF CRLF "d" CRLF B "--", MP_EHEADER },
	{ "junk between parameters", NULL, B CRLF
	    "Content-Disposition: form-data; name=a junk" CRLF CRLF "d" CRLF
	    B "--", MP_EHEADER },
	{ "name of 128 bytes", NULL, B CRLF "Content-Disposition: form-data; "
	    "name=\"0123456789012345678901234567890123456789012345678901234567"
	    "890123456789012345678901234567890123456789012345678901234567"
	    "0123456789\"" CRLF CRLF "d" CRLF B "--", MP_EHEADER },
};

/* A body whose NUL sits inside a quoted filename (needs explicit length). */
static const char nul_body[] = B CRLF
	"Content-Disposition: form-data; name=\"file\"; filename=\"a\0.jpg\""
	CRLF CRLF "d" CRLF B "--";

static void
t_malformed(void)
{
	char		*body;
	size_t		 i, n, len;
	enum mp_err	 e, e1;
	struct multipart *m;

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *b = &bads[i];
		const char *ct = b->ct != NULL ? b->ct : CT;
		const char *bd = b->body != NULL ? b->body : "";

		e = run(ct, bd, strlen(bd), 0, -1, &r1);
		e1 = run(ct, bd, strlen(bd), 1, -1, &r2);
		if (!ok(e == b->want && e1 == b->want, "%s -> %s", b->what,
		    mp_strerror(b->want)))
			diag("got %s (whole), %s (1-byte)", mp_strerror(e),
			    mp_strerror(e1));
	}
	m = mp_new(NULL, &cbs, &r1, &e);
	ok(m == NULL && e == MP_EBOUNDARY, "NULL Content-Type -> bad boundary");
	m = mp_new(CT, &cbs, &r1, NULL);
	ok(m != NULL, "mp_new with a NULL err pointer");
	mp_free(m);

	e = run(CT, nul_body, sizeof(nul_body) - 1, 0, -1, &r1);
	e1 = run(CT, nul_body, sizeof(nul_body) - 1, 1, -1, &r2);
	ok(e == MP_EHEADER && e1 == MP_EHEADER && r1.nparts == 0,
	    "NUL in filename -> %s", mp_strerror(MP_EHEADER));

	/* Header block: exactly MP_MAX_HEADER is fine, one more is not. */
	body = malloc(2 * MP_MAX_HEADER + 256);
	for (i = 0; i < 2; i++) {
		size_t hdrlen = MP_MAX_HEADER + i;
		size_t fixed = strlen("Content-Disposition: form-data; name=a" CRLF
		    "X-Pad: " CRLF CRLF);

		len = (size_t)snprintf(body, 64, B CRLF
		    "Content-Disposition: form-data; name=a" CRLF "X-Pad: ");
		memset(body + len, 'p', hdrlen - fixed);
		len += hdrlen - fixed;
		memcpy(body + len, CRLF CRLF "d" CRLF B "--", 20);
		len += 20;
		e = run(CT, body, len, 0, -1, &r1);
		e1 = run(CT, body, len, 7, -1, &r2);
		if (i == 0)
			ok(e == MP_OK && e1 == MP_OK,
			    "header block of MP_MAX_HEADER bytes accepted");
		else
			ok(e == MP_EHEADER && e1 == MP_EHEADER,
			    "header block of MP_MAX_HEADER+1 bytes -> %s",
			    mp_strerror(MP_EHEADER));
	}
	/* A header block that never ends. */
	len = (size_t)snprintf(body, 64, B CRLF "X: ");
	memset(body + len, 'q', 2 * MP_MAX_HEADER);
	len += 2 * MP_MAX_HEADER;
	e = run(CT, body, len, 0, -1, &r1);
	is_int(e, MP_EHEADER, "endless header line -> %s",
	    mp_strerror(MP_EHEADER));
	free(body);

	/* MP_MAX_PARTS parts are fine, one more is not. */
	body = malloc(256 * (MP_MAX_PARTS + 2));
	for (i = 0; i < 2; i++) {
		size_t k;

		len = 0;
		for (k = 0; k < MP_MAX_PARTS + i; k++)
			len += (size_t)snprintf(body + len, 256, B CRLF
			    "Content-Disposition: form-data; name=p%zu" CRLF
			    CRLF "v" CRLF, k);
		len += (size_t)snprintf(body + len, 256, B "--");
		e = run(CT, body, len, 0, -1, &r1);
		if (i == 0)
			ok(e == MP_OK && r1.nparts == MP_MAX_PARTS,
			    "%d parts accepted", MP_MAX_PARTS);
		else
			ok(e == MP_ETOOMANY && r1.nparts == MP_MAX_PARTS,
			    "%d parts -> %s", MP_MAX_PARTS + 1,
			    mp_strerror(MP_ETOOMANY));
	}
	free(body);

	/* Callbacks that refuse stop the parse, and errors are sticky. */
	n = sizeof(basic_body) - 1;
	rec_reset(&r1);
	r1.abort_begin = 1;
	m = mp_new(CT, &cbs, &r1, &e);
	e = mp_feed(m, basic_body, n);
	is_int(e, MP_EABORT, "part_begin non-zero -> %s",
	    mp_strerror(MP_EABORT));
	is_int(r1.nparts, 1, "no further part after the abort");
	is_int(mp_feed(m, basic_body, n), MP_EABORT, "error is sticky (feed)");
	is_int(mp_finish(m), MP_EABORT, "error is sticky (finish)");
	mp_free(m);

	rec_reset(&r1);
	r1.abort_data = 1;
	m = mp_new(CT, &cbs, &r1, &e);
	e = mp_feed(m, basic_body, n);
	ok(e == MP_EABORT && r1.nends == 0, "part_data non-zero -> %s",
	    mp_strerror(MP_EABORT));
	mp_free(m);

	rec_reset(&r1);
	r1.abort_end = 1;
	m = mp_new(CT, &cbs, &r1, &e);
	for (i = 0, e = MP_OK; i < n && e == MP_OK; i++)
		e = mp_feed(m, basic_body + i, 1);
	ok(e == MP_EABORT && r1.nends == 1 && r1.nparts == 1,
	    "part_end non-zero -> %s (1-byte feeding)", mp_strerror(MP_EABORT));
	mp_free(m);

	/* Truncation reported by mp_finish only. */
	m = mp_new(CT, &cbs, &r1, &e);
	e = mp_feed(m, basic_body, 40);
	is_int(e, MP_OK, "half a body feeds without error");
	is_int(mp_finish(m), MP_ETRUNC, "mp_finish on half a body -> %s",
	    mp_strerror(MP_ETRUNC));
	mp_free(m);
}

static void
t_binary(void)
{
	static const char *const tricky[] = {
		"\r\n",
		"\r\n--",
		"\r\n--XbOuNdAr",
		"\r\n--XbOuNdArYx"	/* not reached: see below */,
		"--XbOuNdArY",		/* no CR LF before it: data */
		"\r\r\n--XbOuNd\r\n--XbOuNdAr\r",
		"\n--XbOuNdArY",
		"\r--XbOuNdArY",
		"\r\n-XbOuNdArY",
		"\r\n--xboundary",	/* case matters */
		"trailing CR\r",
		"trailing CRLF\r\n",
		"trailing CRLF-\r\n-",
		"trailing partial\r\n--XbOuNdAr",
	};
	struct multipart	*m;
	unsigned char		*data, *body;
	size_t			 i, k, len, dlen, hdr, fed, held, maxheld;
	enum mp_err		 e;
	uint32_t		 x = 12345;

	for (i = 0; i < sizeof(tricky) / sizeof(tricky[0]); i++) {
		char	 b[512], want[256];
		int	 n, w;

		if (i == 3)
			continue;	/* a full delimiter is never data */
		n = snprintf(b, sizeof(b), B CRLF
		    "Content-Disposition: form-data; name=\"f\"; filename=\"x\""
		    CRLF "Content-Type: application/octet-stream" CRLF CRLF
		    "%s" CRLF B "--", tricky[i]);
		w = snprintf(want, sizeof(want),
		    "<f|x|1|application/octet-stream>%s</>", tricky[i]);
		e = run(CT, b, (size_t)n, 0, -1, &r1);
		ok(e == MP_OK && r1.len == (size_t)w &&
		    memcmp(r1.t, want, r1.len) == 0,
		    "data %zu with CR/LF/partial boundary survives", i);
		all_chunkings("binary tricky data", CT, b, (size_t)n);
	}

	/* Every byte value, NULs included, and a partial delimiter. */
	body = malloc(1024);
	len = (size_t)snprintf((char *)body, 256, B CRLF
	    "Content-Disposition: form-data; name=\"bin\"; filename=\"b.bin\""
	    CRLF CRLF);
	hdr = len;
	for (k = 0; k < 256; k++)
		body[len++] = (unsigned char)k;
	memcpy(body + len, "\r\n--XbOuNdAr\0", 13);
	len += 13;
	dlen = len - hdr;
	memcpy(body + len, CRLF B "--", 15);
	len += 15;
	e = run(CT, (char *)body, len, 0, -1, &r1);
	k = strlen("<bin|b.bin|1|>");
	ok(e == MP_OK && r1.len == k + dlen + 3 &&
	    memcmp(r1.t + k, body + hdr, dlen) == 0,
	    "all 256 byte values and NUL pass through");
	all_chunkings("all byte values", CT, (char *)body, len);
	free(body);

	/*
	 * A large random part fed one byte at a time: the parser may hold
	 * back only a partial delimiter (at most its length minus one).
	 */
	dlen = 300000;
	data = malloc(dlen);
	for (i = 0; i < dlen; i++) {
		x = x * 1103515245u + 12345u;
		data[i] = (unsigned char)(x >> 16);
		if (i % 97 == 0)
			data[i] = '\r';
		if (i % 97 == 1)
			data[i] = '\n';
	}
	body = malloc(dlen + 512);
	len = (size_t)snprintf((char *)body, 256, B CRLF
	    "Content-Disposition: form-data; name=\"file\"; filename=\"r.jpg\""
	    CRLF CRLF);
	hdr = len;
	memcpy(body + len, data, dlen);
	len += dlen;
	memcpy(body + len, CRLF B "--", 15);
	len += 15;
	rec_reset(&r1);
	m = mp_new(CT, &cbs, &r1, &e);
	maxheld = 0;
	for (fed = 0, e = MP_OK; fed < hdr + dlen && e == MP_OK; fed++) {
		e = mp_feed(m, body + fed, 1);
		if (fed + 1 > hdr) {
			held = fed + 1 - hdr - r1.datalen;
			if (held > maxheld)
				maxheld = held;
		}
	}
	if (e == MP_OK)
		e = mp_feed(m, body + fed, len - fed);
	if (e == MP_OK)
		e = mp_finish(m);
	mp_free(m);
	is_int(e, MP_OK, "large random part parses byte by byte");
	ok(r1.datalen == dlen && memcmp(r1.t + r1.len - 3 - dlen, data,
	    dlen) == 0, "large random part intact");
	ok(maxheld < strlen(CRLF B), "held back at most %zu bytes (< %zu)",
	    maxheld, strlen(CRLF B));
	e = run(CT, (char *)body, len, 4093, -1, &r2);
	ok(e == MP_OK && r2.len == r1.len && memcmp(r1.t, r2.t, r1.len) == 0,
	    "same result in 4093-byte chunks");
	free(body);
	free(data);
}

int
main(int argc, char *argv[])
{
	const char	*what = argc > 1 ? argv[1] : "";

	if (strcmp(what, "basic") == 0)
		t_basic();
	else if (strcmp(what, "chunking") == 0)
		t_chunking();
	else if (strcmp(what, "malformed") == 0)
		t_malformed();
	else if (strcmp(what, "binary") == 0)
		t_binary();
	else {
		fprintf(stderr, "usage: %s basic|chunking|malformed|binary\n",
		    argv[0]);
		return 2;
	}
	return done_testing();
}
