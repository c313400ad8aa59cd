/*
 * multipart.c: a streaming, bounded multipart/form-data parser
 * (RFC 7578 on top of the RFC 2046 §5.1 syntax).
 *
 * The body is fed in any chunking, down to one byte at a time.  Nothing is
 * buffered but one part's header block (at most MP_MAX_HEADER bytes): part
 * data goes straight from the caller's chunk to part_data.  While a
 * possible delimiter ("\r\n--" boundary) is being matched across chunks,
 * the bytes already seen are by construction a prefix of the delimiter, so
 * the look-behind is the delimiter string itself and never needs a copy.
 * Because the delimiter starts with CR and a boundary never contains CR,
 * a mismatch can only restart a match at the current byte (no KMP table).
 *
 * Deliberately strict, since a browser never sends these:
 * - a full delimiter followed by anything but "--", transport padding
 *   (spaces, tabs) or CRLF is an error (RFC 2046 forbids the delimiter
 *   inside a part), not data;
 * - header lines end in CRLF; bare CR or LF, NUL, other control bytes and
 *   obsolete line folding are errors, which is also how a name or filename
 *   with NUL, CR or LF is refused;
 * - every part needs Content-Disposition: form-data with a name.
 */

#include <stdlib.h>
#include <string.h>

#include "photorestore.h"

#define MP_MAX_BOUNDARY	70			/* RFC 2046 §5.1.1 */
#define MP_DELIM_MAX	(4 + MP_MAX_BOUNDARY)	/* "\r\n--" boundary */
#define MP_MAX_PARAM	1024			/* one decoded parameter */

enum mp_state {
	S_PREAMBLE,	/* before the first delimiter: discarded */
	S_DELIM_TAIL,	/* just after a delimiter: "--", padding or CRLF */
	S_CLOSE,	/* "-" seen after the delimiter, need the second */
	S_PADDING,	/* transport padding after the delimiter */
	S_DELIM_LF,	/* CR seen after the delimiter, need LF */
	S_HEADERS,	/* collecting a part's header block */
	S_DATA,		/* part data: streamed out */
	S_EPILOGUE,	/* after the close delimiter: discarded */
	S_ERROR
};

struct multipart {
	struct mp_callbacks	 cb;
	void			*arg;
	char			 delim[MP_DELIM_MAX + 1];
	size_t			 dlen;
	size_t			 match;	/* bytes of delim matched so far */
	enum mp_state		 state;
	enum mp_err		 err;	/* sticky once set */
	size_t			 nparts;
	struct mp_part		 part;
	size_t			 hdrlen;
	char			 hdr[MP_MAX_HEADER];
};

static const char *const mp_errs[MP__MAX] = {
	"success",				/* MP_OK */
	"out of memory",			/* MP_ENOMEM */
	"missing or invalid multipart boundary",	/* MP_EBOUNDARY */
	"malformed multipart body",		/* MP_EFORMAT */
	"malformed or oversized part headers",	/* MP_EHEADER */
	"too many parts",			/* MP_ETOOMANY */
	"multipart body is truncated",		/* MP_ETRUNC */
	"aborted",				/* MP_EABORT */
};

/*
 * A short English phrase for an mp_err; never NULL.
 */
const char *
mp_strerror(enum mp_err e)
{

	if ((unsigned)e >= MP__MAX)
		return "unknown multipart error";
	return mp_errs[e];
}

static int
mp_lower(int c)
{

	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int
mp_casecmp(const char *a, size_t alen, const char *b)
{
	size_t	 i;

	if (alen != strlen(b))
		return -1;
	for (i = 0; i < alen; i++)
		if (mp_lower((unsigned char)a[i]) != mp_lower((unsigned char)b[i]))
			return -1;
	return 0;
}

/* RFC 7230 tchar: what a header name or parameter name may contain. */
static int
mp_istoken(int c)
{

	if (c <= 0x20 || c >= 0x7f)
		return 0;
	return strchr("()<>@,;:\\\"/[]?={}", c) == NULL;
}

/* RFC 2045 tspecials: what a backslash may escape inside quotes. */
static int
mp_istspecial(int c)
{

	return c != '\0' && strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

static const char *
mp_skipws(const char *p, const char *end)
{

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/*
 * Read one "; name=value" parameter from *pp (up to end).  The value is a
 * token or a quoted string, copied (unquoted) into val, NUL-terminated,
 * its length in *vallen.  A backslash escapes only a tspecial (so MSIE's
 * unescaped "C:\dir\file.jpg" survives, as in Go's mime package).  Returns
 * 1 with a parameter, 0 at the end of the value, -1 on a syntax error or
 * an over-long name or value.
 */
static int
mp_param(const char **pp, const char *end, char *name, size_t namesz,
    char *val, size_t valsz, size_t *vallen)
{
	const char	*p = *pp, *s;
	size_t		 n = 0;

	p = mp_skipws(p, end);
	if (p == end)
		return 0;
	if (*p != ';')
		return -1;
	p = mp_skipws(p + 1, end);
	if (p == end)
		return 0;		/* a trailing ';' is harmless */
	for (s = p; p < end && mp_istoken((unsigned char)*p); p++)
		continue;
	if (p == s || (size_t)(p - s) >= namesz)
		return -1;
	memcpy(name, s, (size_t)(p - s));
	name[p - s] = '\0';
	p = mp_skipws(p, end);
	if (p == end || *p != '=')
		return -1;
	p = mp_skipws(p + 1, end);
	if (p < end && *p == '"') {
		for (p++; ; p++) {
			if (p == end)
				return -1;	/* unterminated */
			if (*p == '"')
				break;
			if (*p == '\\' && p + 1 < end &&
			    mp_istspecial((unsigned char)p[1]))
				p++;
			if (n + 1 >= valsz)
				return -1;
			val[n++] = *p;
		}
		p++;
	} else {
		for (s = p; p < end && mp_istoken((unsigned char)*p); p++)
			continue;
		if (p == s || (size_t)(p - s) >= valsz)
			return -1;
		n = (size_t)(p - s);
		memcpy(val, s, n);
	}
	val[n] = '\0';
	*vallen = n;
	*pp = p;
	return 1;
}

/*
 * Parse the request's Content-Type: "multipart/form-data" (any case),
 * then parameters of which "boundary" (exactly once) must be 1..70 bytes
 * of printable ASCII not ending in a space (RFC 2046 §5.1.1).  Writes the
 * delimiter "\r\n--<boundary>" into m.
 */
static enum mp_err
mp_boundary(struct multipart *m, const char *ct)
{
	static const char type[] = "multipart/form-data";
	const char	*p, *end;
	char		 name[64], val[MP_MAX_PARAM];
	size_t		 vlen, i;
	int		 rc, found = 0;

	if (ct == NULL)
		return MP_EBOUNDARY;
	end = ct + strlen(ct);
	for (p = ct; p < end; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t')
			return MP_EBOUNDARY;
	p = mp_skipws(ct, end);
	if ((size_t)(end - p) < sizeof(type) - 1 ||
	    mp_casecmp(p, sizeof(type) - 1, type) != 0)
		return MP_EBOUNDARY;
	p += sizeof(type) - 1;
	while ((rc = mp_param(&p, end, name, sizeof(name), val, sizeof(val),
	    &vlen)) == 1) {
		if (mp_casecmp(name, strlen(name), "boundary") != 0)
			continue;
		if (found++)
			return MP_EBOUNDARY;
		if (vlen < 1 || vlen > MP_MAX_BOUNDARY || val[vlen - 1] == ' ')
			return MP_EBOUNDARY;
		for (i = 0; i < vlen; i++)
			if ((unsigned char)val[i] < 0x20 ||
			    (unsigned char)val[i] > 0x7e)
				return MP_EBOUNDARY;
		memcpy(m->delim, "\r\n--", 4);
		memcpy(m->delim + 4, val, vlen);
		m->dlen = 4 + vlen;
		m->delim[m->dlen] = '\0';
	}
	if (rc < 0 || !found)
		return MP_EBOUNDARY;
	return MP_OK;
}

/*
 * Create a parser for a body of the given Content-Type.  The callbacks
 * (any may be NULL) receive arg.  Returns NULL and sets *err (when
 * non-NULL) to MP_EBOUNDARY or MP_ENOMEM.  Free with mp_free().
 */
struct multipart *
mp_new(const char *content_type, const struct mp_callbacks *cb, void *arg,
    enum mp_err *err)
{
	struct multipart	*m;
	enum mp_err		 e;

	if ((m = calloc(1, sizeof(*m))) == NULL) {
		e = MP_ENOMEM;
		goto err;
	}
	if ((e = mp_boundary(m, content_type)) != MP_OK)
		goto err;
	if (cb != NULL)
		m->cb = *cb;
	m->arg = arg;
	/*
	 * The first delimiter may open the body without the CRLF in front
	 * (RFC 2046: the CRLF belongs to the delimiter, and there is none
	 * before the first).  Pretend it was already seen.
	 */
	m->state = S_PREAMBLE;
	m->match = 2;
	if (err != NULL)
		*err = MP_OK;
	return m;
err:
	free(m);
	if (err != NULL)
		*err = e;
	return NULL;
}

/*
 * Release a parser (NULL is fine).
 */
void
mp_free(struct multipart *m)
{

	free(m);
}

static enum mp_err
mp_fail(struct multipart *m, enum mp_err e)
{

	m->state = S_ERROR;
	m->err = e;
	return e;
}

/* Hand n data bytes to part_data; only part data is ever emitted. */
static enum mp_err
mp_emit(struct multipart *m, const void *p, size_t n)
{

	if (n == 0 || m->state != S_DATA || m->cb.part_data == NULL)
		return MP_OK;
	if (m->cb.part_data(m->arg, p, n) != 0)
		return mp_fail(m, MP_EABORT);
	return MP_OK;
}

static int
mp_hex(int c)
{

	if (c >= '0' && c <= '9')
		return c - '0';
	c = mp_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Decode an RFC 8187 ext-value ("UTF-8''caf%C3%A9.jpg") into out.
 * Returns 1 when decoded, 0 for a charset other than UTF-8 (ignored, as
 * RFC 6266 §4.3 allows), -1 when malformed, too long, or when it decodes
 * to a control byte.
 */
static int
mp_extvalue(const char *v, char *out, size_t outsz)
{
	const char	*q, *lang;
	size_t		 n = 0;
	int		 hi, lo;

	if ((q = strchr(v, '\'')) == NULL ||
	    (lang = strchr(q + 1, '\'')) == NULL)
		return -1;
	if (mp_casecmp(v, (size_t)(q - v), "utf-8") != 0)
		return 0;
	for (q = lang + 1; *q != '\0'; q++) {
		unsigned char c = (unsigned char)*q;

		if (c == '%') {
			hi = mp_hex((unsigned char)q[1]);
			lo = hi < 0 ? -1 : mp_hex((unsigned char)q[2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (unsigned char)(hi << 4 | lo);
			q += 2;
		}
		if (c < 0x20 || c == 0x7f || n + 1 >= outsz)
			return -1;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return 1;
}

/* Copy a parameter value into a fixed field; -1 when it does not fit. */
static int
mp_setfield(char *field, size_t fieldsz, const char *v, size_t vlen)
{

	if (vlen >= fieldsz)
		return -1;
	memcpy(field, v, vlen);
	field[vlen] = '\0';
	return 0;
}

/*
 * Content-Disposition: form-data; name="..."; filename="..." (RFC 7578
 * §4.2).  Each known parameter may appear once; filename* (RFC 8187)
 * wins over filename when both are present.
 */
static enum mp_err
mp_disposition(struct multipart *m, const char *p, const char *end)
{
	static const char type[] = "form-data";
	const char	*s;
	char		 name[64], val[MP_MAX_PARAM];
	char		 ext[sizeof(m->part.filename)];
	size_t		 vlen;
	int		 rc, seen_name = 0, seen_fn = 0, seen_ext = 0;
	int		 have_ext = 0;

	for (s = p; p < end && mp_istoken((unsigned char)*p); p++)
		continue;
	if (mp_casecmp(s, (size_t)(p - s), type) != 0)
		return MP_EHEADER;
	ext[0] = '\0';
	while ((rc = mp_param(&p, end, name, sizeof(name), val, sizeof(val),
	    &vlen)) == 1) {
		if (mp_casecmp(name, strlen(name), "name") == 0) {
			if (seen_name++ || mp_setfield(m->part.name,
			    sizeof(m->part.name), val, vlen) == -1)
				return MP_EHEADER;
		} else if (mp_casecmp(name, strlen(name), "filename") == 0) {
			if (seen_fn++ || mp_setfield(m->part.filename,
			    sizeof(m->part.filename), val, vlen) == -1)
				return MP_EHEADER;
			m->part.has_filename = 1;
		} else if (mp_casecmp(name, strlen(name), "filename*") == 0) {
			if (seen_ext++)
				return MP_EHEADER;
			have_ext = mp_extvalue(val, ext,
			    sizeof(m->part.filename));
			if (have_ext == -1)
				return MP_EHEADER;
		}
	}
	if (rc < 0 || !seen_name)
		return MP_EHEADER;
	if (have_ext == 1) {
		if (mp_setfield(m->part.filename, sizeof(m->part.filename),
		    ext, strlen(ext)) == -1)
			return MP_EHEADER;
		m->part.has_filename = 1;
	}
	return MP_OK;
}

/*
 * Parse the collected header block (it ends in CRLF CRLF, or is a lone
 * CRLF when the part has no headers) into m->part.
 */
static enum mp_err
mp_headers(struct multipart *m)
{
	const char	*p = m->hdr, *end = m->hdr + m->hdrlen;
	const char	*eol, *colon, *v, *vend;
	size_t		 i;
	int		 seen_cd = 0, seen_ct = 0;
	enum mp_err	 e;

	for (i = 0; i < m->hdrlen; i++) {
		unsigned char c = (unsigned char)m->hdr[i];

		if (c == '\r') {
			if (i + 1 == m->hdrlen || m->hdr[i + 1] != '\n')
				return MP_EHEADER;	/* bare CR */
		} else if (c == '\n') {
			if (i == 0 || m->hdr[i - 1] != '\r')
				return MP_EHEADER;	/* bare LF */
		} else if ((c < 0x20 && c != '\t') || c == 0x7f)
			return MP_EHEADER;		/* NUL and friends */
	}
	for (;;) {
		/* The block ends in CRLF CRLF, so each search succeeds. */
		eol = p;
		while (eol[0] != '\r')
			eol++;
		if (eol == p)
			break;			/* the empty line */
		if (*p == ' ' || *p == '\t')
			return MP_EHEADER;	/* obsolete line folding */
		for (colon = p; colon < eol && mp_istoken((unsigned char)*colon);
		    colon++)
			continue;
		if (colon == p || colon == eol || *colon != ':')
			return MP_EHEADER;
		v = mp_skipws(colon + 1, eol);
		for (vend = eol; vend > v && (vend[-1] == ' ' ||
		    vend[-1] == '\t'); vend--)
			continue;
		if (mp_casecmp(p, (size_t)(colon - p),
		    "content-disposition") == 0) {
			if (seen_cd++)
				return MP_EHEADER;
			if ((e = mp_disposition(m, v, vend)) != MP_OK)
				return e;
		} else if (mp_casecmp(p, (size_t)(colon - p),
		    "content-type") == 0) {
			/* Absent means text/plain (RFC 7578 §4.4): left "". */
			if (seen_ct++ || mp_setfield(m->part.content_type,
			    sizeof(m->part.content_type), v,
			    (size_t)(vend - v)) == -1)
				return MP_EHEADER;
		}
		p = eol + 2;
		if (p >= end)
			break;
	}
	return seen_cd ? MP_OK : MP_EHEADER;
}

/*
 * Collect header bytes from p (n of them) until the block ends; returns
 * the number used, or sets an error.
 */
static size_t
mp_feed_headers(struct multipart *m, const char *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (m->hdrlen == sizeof(m->hdr)) {
			mp_fail(m, MP_EHEADER);
			return i;
		}
		m->hdr[m->hdrlen++] = p[i];
		if (p[i] != '\n')
			continue;
		if ((m->hdrlen == 2 && m->hdr[0] == '\r') ||
		    (m->hdrlen >= 4 &&
		    memcmp(m->hdr + m->hdrlen - 4, "\r\n\r\n", 4) == 0)) {
			enum mp_err e = mp_headers(m);

			if (e != MP_OK) {
				mp_fail(m, e);
				return i + 1;
			}
			m->state = S_DATA;
			m->match = 0;
			if (m->cb.part_begin != NULL &&
			    m->cb.part_begin(m->arg, &m->part) != 0)
				mp_fail(m, MP_EABORT);
			return i + 1;
		}
	}
	return n;
}

/*
 * Look for the delimiter in p (n bytes), emitting part data in the data
 * state.  Returns the bytes used: all of them, or up to and including the
 * delimiter's last byte (then the state has moved on).
 */
static size_t
mp_scan(struct multipart *m, const char *p, size_t n)
{
	size_t		 i = 0, run = 0, carried = m->match;
	const char	*cr;

	while (i < n) {
		if (m->match == 0) {
			if ((cr = memchr(p + i, '\r', n - i)) == NULL) {
				i = n;
				break;
			}
			i = (size_t)(cr - p);
		}
		if (p[i] == m->delim[m->match]) {
			if (m->match == 0) {
				/* A possible delimiter: data before it is out. */
				if (mp_emit(m, p + run, i - run) != MP_OK)
					return i;
				run = i;
				carried = 0;
			}
			i++;
			if (++m->match < m->dlen)
				continue;
			/* The delimiter: bytes run..i are not data. */
			m->match = 0;
			if (m->state == S_DATA) {
				if (m->cb.part_end != NULL &&
				    m->cb.part_end(m->arg) != 0) {
					mp_fail(m, MP_EABORT);
					return i;
				}
			}
			m->state = S_DELIM_TAIL;
			return i;
		}
		/*
		 * A mismatch after a partial match: what was matched is
		 * data.  Bytes matched in earlier chunks are a prefix of the
		 * delimiter, so they are emitted from it; bytes matched in
		 * this chunk stay in the pending run.  The current byte is
		 * looked at again as a possible start.
		 */
		if (carried > 0) {
			if (mp_emit(m, m->delim, carried) != MP_OK)
				return i;
			carried = 0;
		}
		m->match = 0;
		if (p[i] != '\r')
			i++;
	}
	/*
	 * With a partial match pending, p[run..n) is exactly the matched
	 * prefix of the delimiter: kept back (as the delimiter itself).
	 */
	if (m->match == 0)
		mp_emit(m, p + run, n - run);
	return n;
}

/*
 * Feed n more body bytes.  Returns MP_OK or the (sticky) error; after an
 * error every later call returns it again.
 */
enum mp_err
mp_feed(struct multipart *m, const void *buf, size_t n)
{
	const char	*p = buf;
	size_t		 used;
	char		 c;

	while (n > 0 && m->state != S_ERROR) {
		switch (m->state) {
		case S_PREAMBLE:
		case S_DATA:
			used = mp_scan(m, p, n);
			break;
		case S_HEADERS:
			used = mp_feed_headers(m, p, n);
			break;
		case S_EPILOGUE:
			return MP_OK;
		default:
			c = *p;
			used = 1;
			switch (m->state) {
			case S_DELIM_TAIL:
				if (c == '-')
					m->state = S_CLOSE;
				else if (c == ' ' || c == '\t')
					m->state = S_PADDING;
				else if (c == '\r')
					m->state = S_DELIM_LF;
				else
					mp_fail(m, MP_EFORMAT);
				break;
			case S_CLOSE:
				if (c == '-')
					m->state = S_EPILOGUE;
				else
					mp_fail(m, MP_EFORMAT);
				break;
			case S_PADDING:
				if (c == '\r')
					m->state = S_DELIM_LF;
				else if (c != ' ' && c != '\t')
					mp_fail(m, MP_EFORMAT);
				break;
			case S_DELIM_LF:
				if (c != '\n')
					mp_fail(m, MP_EFORMAT);
				else if (m->nparts == MP_MAX_PARTS)
					mp_fail(m, MP_ETOOMANY);
				else {
					m->nparts++;
					memset(&m->part, 0, sizeof(m->part));
					m->hdrlen = 0;
					m->state = S_HEADERS;
				}
				break;
			default:
				mp_fail(m, MP_EFORMAT);
				break;
			}
			break;
		}
		p += used;
		n -= used;
	}
	return m->state == S_ERROR ? m->err : MP_OK;
}

/*
 * Declare the end of the body.  Returns MP_OK when the close delimiter was
 * seen, MP_ETRUNC when the body stopped short, or the earlier error.
 */
enum mp_err
mp_finish(struct multipart *m)
{

	if (m->state == S_ERROR)
		return m->err;
	if (m->state != S_EPILOGUE)
		return mp_fail(m, MP_ETRUNC);
	return MP_OK;
}
