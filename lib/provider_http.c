/*
 * provider_http.c: libcurl plumbing for the outbound providers, so the
 * HuggingFace and Replicate clients only speak their protocols.
 *
 * Every request: the protocols limited to http and https (redirects too),
 * TLS verification on, a connect timeout, a total timeout that is the
 * remainder of the run's deadline (never more than timeout_seconds), a
 * write callback that refuses bodies over the caller's buffer maximum
 * (curl's dynbuf idea), and retries with exponential backoff on 429, 503
 * and connection failures.  The API key goes into one header that is
 * wiped after use; it is never logged, and logged URLs lose their user
 * info and query.  Redirects are followed only for requests without the
 * key, so it can never be replayed to another host.
 */

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "photorestore.h"
#include "provider_http.h"

/* What one transfer came to, before HTTP status mapping. */
enum ph_tr {
	TR_OK,		/* an HTTP answer arrived (any status) */
	TR_TIMEOUT,
	TR_TOOBIG,	/* body over the buffer's maximum */
	TR_CONNECT,	/* no connection: always safe to retry */
	TR_BROKEN,	/* connection broke mid-request: retry if idempotent */
	TR_NOMEM,
	TR_OTHER	/* TLS failure, bad URL, unsupported protocol... */
};

struct ph_sink {
	struct buf	*buf;
	int		 toobig;
	int		 nomem;
};

/*
 * Set the detail text of a result (printf-style, truncated to fit).
 */
void
prov_detail(struct prov_result *res, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(res->detail, sizeof(res->detail), fmt, ap);
	va_end(ap);
}

/*
 * Monotonic time in seconds, for deadlines and backoff.
 */
double
ph_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Sleep for s seconds (fractions allowed), resuming after signals.
 */
void
ph_sleep(double s)
{
	struct timespec	 ts, rem;

	if (!(s > 0))
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &rem) == -1 && errno == EINTR)
		ts = rem;
}

/*
 * Copy provider-supplied text for a detail or a log line: printable ASCII
 * only (anything else becomes '?'), cut with "..." to fit outsz.
 */
void
ph_clean(char *out, size_t outsz, const char *in)
{
	size_t	 i;

	if (outsz == 0)
		return;
	for (i = 0; in[i] != '\0' && i + 1 < outsz; i++)
		out[i] = (unsigned char)in[i] >= 0x20 &&
		    (unsigned char)in[i] < 0x7f ? in[i] : '?';
	out[i] = '\0';
	if (in[i] != '\0' && outsz > 4)
		memcpy(out + outsz - 4, "...", 4);
}

/* The length of "scheme://authority" at the start of url, or 0. */
static size_t
ph_origin_len(const char *url)
{
	const char	*p;

	if ((p = strstr(url, "://")) == NULL || p == url)
		return 0;
	p += 3;
	p += strcspn(p, "/?#");
	return (size_t)(p - url);
}

/*
 * Whether two URLs have the same scheme, host and port (compared as
 * written, case-insensitively).  Used before sending the key to a URL a
 * provider handed us.
 */
int
ph_same_origin(const char *a, const char *b)
{
	size_t	 la = ph_origin_len(a), lb = ph_origin_len(b);

	return la > 0 && la == lb && strncasecmp(a, b, la) == 0;
}

/*
 * Whether a configured model name is safe to put in a URL path: letters,
 * digits, '.', '_', '-', with one '/' between owner and name (required
 * when need_owner), no empty or dot-leading segment.
 */
int
ph_model_ok(const char *m, int need_owner)
{
	size_t	 i, seg = 0;
	int	 slashes = 0;

	if (m == NULL || m[0] == '\0' || strlen(m) > 200)
		return 0;
	for (i = 0; m[i] != '\0'; i++) {
		char c = m[i];

		if (c == '/') {
			if (seg == 0 || ++slashes > 1)
				return 0;
			seg = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		    (c == '.' && seg > 0)))
			return 0;
		seg++;
	}
	return seg > 0 && (!need_owner || slashes == 1);
}

/*
 * Put the configured api_url, without trailing slashes, into b (whose max
 * bounds it).  Returns 0, or -1 when it is empty, too long or not http(s).
 */
int
ph_base_url(const struct provider_cfg *pc, struct buf *b)
{
	size_t	 n = strlen(pc->api_url);

	while (n > 0 && pc->api_url[n - 1] == '/')
		n--;
	if (n == 0 || (strncasecmp(pc->api_url, "http://", 7) != 0 &&
	    strncasecmp(pc->api_url, "https://", 8) != 0))
		return -1;
	return buf_append(b, pc->api_url, n) == PR_OK ? 0 : -1;
}

/*
 * The image as a "data:<mime>;base64,..." URI (RFC 2397), malloc'd; the
 * caller frees it.  NULL when out of memory or absurdly large.
 */
char *
ph_data_uri(const unsigned char *img, size_t len, const char *mime)
{
	size_t	 pre, enc;
	char	*s;

	enc = b64_enclen(len);
	pre = strlen("data:") + strlen(mime) + strlen(";base64,");
	if (enc == SIZE_MAX || enc > SIZE_MAX - pre - 1)
		return NULL;
	if ((s = malloc(pre + enc + 1)) == NULL)
		return NULL;
	snprintf(s, pre + 1, "data:%s;base64,", mime);
	b64_encode(img, len, s + pre);
	return s;
}

/* url for a log line: no user info, no query or fragment. */
static void
ph_logurl(const char *url, char *out, size_t outsz)
{
	char		 tmp[PH_URL_MAX];
	const char	*auth, *at, *end;
	size_t		 n;

	n = strcspn(url, "?#");
	if (n >= sizeof(tmp))
		n = sizeof(tmp) - 1;
	memcpy(tmp, url, n);
	tmp[n] = '\0';
	if ((auth = strstr(tmp, "://")) != NULL) {
		auth += 3;
		end = auth + strcspn(auth, "/");
		if ((at = memchr(auth, '@', (size_t)(end - auth))) != NULL)
			memmove(tmp + (auth - tmp), at + 1,
			    strlen(at + 1) + 1);
	}
	ph_clean(out, outsz, tmp);
}

static size_t
ph_write(char *p, size_t sz, size_t n, void *arg)
{
	struct ph_sink	*s = arg;

	switch (buf_append(s->buf, p, sz * n)) {
	case PR_OK:
		return sz * n;
	case PR_ETOOBIG:
		s->toobig = 1;
		return 0;
	default:
		s->nomem = 1;
		return 0;
	}
}

/*
 * Header lines of the answer: the status line (of each answer when there
 * are several, e.g. after a redirect) resets what the previous one said.
 */
static size_t
ph_header(char *p, size_t sz, size_t n, void *arg)
{
	struct ph_resp	*rs = arg;
	size_t		 len = sz * n, i, vlen;
	const char	*v;
	char		 num[16];
	long long	 secs;

	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		rs->ctype[0] = '\0';
		rs->retry_after = -1;
		return len;
	}
	if ((v = memchr(p, ':', len)) == NULL)
		return len;
	i = (size_t)(v - p);
	for (v++; v < p + len && (*v == ' ' || *v == '\t'); v++)
		continue;
	for (vlen = (size_t)(p + len - v); vlen > 0 &&
	    (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' ||
	    v[vlen - 1] == ' ' || v[vlen - 1] == '\t'); vlen--)
		continue;
	if (i == 12 && strncasecmp(p, "content-type", 12) == 0) {
		if (vlen >= sizeof(rs->ctype))
			vlen = sizeof(rs->ctype) - 1;
		memcpy(rs->ctype, v, vlen);
		rs->ctype[vlen] = '\0';
	} else if (i == 11 && strncasecmp(p, "retry-after", 11) == 0 &&
	    vlen < sizeof(num)) {
		/* Delta-seconds only; an HTTP-date counts as absent. */
		memcpy(num, v, vlen);
		num[vlen] = '\0';
		if (pr_strtonum(num, 0, 86400, &secs) == 0)
			rs->retry_after = (int)secs;
	}
	return len;
}

/*
 * Get curl ready and check the key can go into a header.  On failure
 * fills res and returns PROV_EMODEL or PROV_ESERVICE.
 */
enum prov_err
ph_init(struct ph_ctx *c, const struct provider_cfg *pc, const char *name,
    struct prov_result *res)
{
	static int	 inited;
	size_t		 i;
	int		 t;

	memset(c, 0, sizeof(*c));
	c->pc = pc;
	c->name = name;
	t = pc->timeout_seconds > 0 ? pc->timeout_seconds : 60;
	c->deadline = ph_now() + t;
	for (i = 0; pc->api_key[i] != '\0'; i++)
		if ((unsigned char)pc->api_key[i] <= 0x20 ||
		    (unsigned char)pc->api_key[i] >= 0x7f) {
			prov_detail(res, "invalid API key in the configuration");
			return PROV_EMODEL;
		}
	if (!inited) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			prov_detail(res, "could not initialise libcurl");
			return PROV_ESERVICE;
		}
		inited = 1;
	}
	if ((c->curl = curl_easy_init()) == NULL) {
		prov_detail(res, "could not initialise libcurl");
		return PROV_ESERVICE;
	}
	return PROV_OK;
}

/*
 * Release the curl handle (and its connections).
 */
void
ph_free(struct ph_ctx *c)
{

	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	c->curl = NULL;
}

static void
ph_slist_free(struct curl_slist *l)
{
	struct curl_slist	*p;

	for (p = l; p != NULL; p = p->next)
		explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

/* Append a header line (copied by curl); -1 when out of memory. */
static int
ph_hdr(struct curl_slist **hdrs, const char *line)
{
	struct curl_slist	*l;

	if ((l = curl_slist_append(*hdrs, line)) == NULL)
		return -1;
	*hdrs = l;
	return 0;
}

/* One transfer, no retries. */
static enum ph_tr
ph_perform(struct ph_ctx *c, const struct ph_req *rq, struct ph_resp *rs)
{
	CURL			*h = c->curl;
	struct curl_slist	*hdrs = NULL;
	struct ph_sink		 sink;
	char			 line[sizeof(c->pc->api_key) + 64];
	char			 logurl[256];
	double			 remain, t0 = ph_now();
	long			 ms, tmo;
	CURLcode		 cc;
	enum ph_tr		 tr;
	int			 rc, post = strcmp(rq->method, "POST") == 0;

	rs->status = 0;
	rs->ctype[0] = '\0';
	rs->retry_after = -1;
	buf_reset(rs->body);
	memset(&sink, 0, sizeof(sink));
	sink.buf = rs->body;
	ph_logurl(rq->url, logurl, sizeof(logurl));

	remain = c->deadline - t0;
	tmo = (c->pc->timeout_seconds > 0 ? c->pc->timeout_seconds : 60) * 1000L;
	if (remain <= 0.001)
		return TR_TIMEOUT;
	ms = remain * 1000 < (double)tmo ? (long)(remain * 1000) : tmo;
	if (ms < 1)
		ms = 1;

	curl_easy_reset(h);
	tr = TR_NOMEM;
	if (post && rq->ctype != NULL) {
		snprintf(line, sizeof(line), "Content-Type: %s", rq->ctype);
		if (ph_hdr(&hdrs, line) == -1)
			goto err;
	}
	/* Never wait for "100 Continue": send the body straight away. */
	if (post && ph_hdr(&hdrs, "Expect:") == -1)
		goto err;
	if (rq->header != NULL && ph_hdr(&hdrs, rq->header) == -1)
		goto err;
	if (rq->auth) {
		snprintf(line, sizeof(line), "Authorization: Bearer %s",
		    c->pc->api_key);
		rc = ph_hdr(&hdrs, line);
		explicit_bzero(line, sizeof(line));
		if (rc == -1)
			goto err;
	}

	curl_easy_setopt(h, CURLOPT_URL, rq->url);
#if LIBCURL_VERSION_NUM >= 0x075500	/* 7.85.0 */
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(h, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
	    ms < PH_CONNECT_MAX * 1000L ? ms : PH_CONNECT_MAX * 1000L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "photorestore");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, ph_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, ph_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, rs);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)(rs->body->max < (size_t)INT64_MAX ?
	    rs->body->max : (size_t)INT64_MAX));
	if (!rq->auth) {
		curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(h, CURLOPT_MAXREDIRS, 3L);
	}
	if (post) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)rq->bodylen);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);

	cc = curl_easy_perform(h);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);

	switch (cc) {
	case CURLE_OK:
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rs->status);
		tr = TR_OK;
		break;
	case CURLE_WRITE_ERROR:
		tr = sink.nomem ? TR_NOMEM : sink.toobig ? TR_TOOBIG :
		    TR_OTHER;
		break;
	case CURLE_FILESIZE_EXCEEDED:
		tr = TR_TOOBIG;
		break;
	case CURLE_OPERATION_TIMEDOUT:
		tr = TR_TIMEOUT;
		break;
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		tr = TR_CONNECT;
		break;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		tr = TR_BROKEN;
		break;
	case CURLE_OUT_OF_MEMORY:
		tr = TR_NOMEM;
		break;
	default:
		tr = TR_OTHER;
		break;
	}
	if (tr == TR_OK) {
		if ((rs->status == 429 || rs->status == 503) &&
		    rs->retry_after < 0 && rq->hint != NULL)
			rs->retry_after = rq->hint(rs->body);
		log_info("%s: %s %s: HTTP %ld, %zu bytes, %.2f s", c->name,
		    rq->method, logurl, rs->status, rs->body->len,
		    ph_now() - t0);
	} else
		log_warn("%s: %s %s: %s after %.2f s", c->name, rq->method,
		    logurl, tr == TR_TOOBIG ? "response too large" :
		    curl_easy_strerror(cc), ph_now() - t0);
err:
	ph_slist_free(hdrs);
	return tr;
}

/*
 * Send a request, retrying on 429, 503 and connection failures up to
 * retry_attempts times with backoff retry_delay_seconds * 2^k, or longer
 * when the provider asks (Retry-After or the hint), as long as that is at
 * most PH_MAX_WAIT and fits before the deadline.  Returns PROV_OK when an
 * HTTP answer arrived (whatever its status: see ph_status), else fills res
 * with PROV_ETIMEOUT or PROV_ESERVICE.
 */
enum prov_err
ph_send(struct ph_ctx *c, const struct ph_req *rq, struct ph_resp *rs,
    struct prov_result *res)
{
	const struct provider_cfg *pc = c->pc;
	enum ph_tr	 tr;
	double		 delay;
	int		 k, retry;

	for (k = 0; ; k++) {
		tr = ph_perform(c, rq, rs);
		retry = tr == TR_CONNECT ||
		    (tr == TR_BROKEN && rq->idempotent) ||
		    (tr == TR_OK && (rs->status == 429 || rs->status == 503));
		if (!retry || k >= pc->retry_attempts)
			break;
		delay = pc->retry_delay_seconds > 0 ?
		    ldexp(pc->retry_delay_seconds, k) : 0;
		if (tr == TR_OK && rs->retry_after >= 0) {
			if (rs->retry_after > PH_MAX_WAIT)
				break;		/* not worth holding the client */
			if (rs->retry_after > delay)
				delay = rs->retry_after;
		}
		if (delay > PH_MAX_WAIT)
			delay = PH_MAX_WAIT;
		if (ph_now() + delay >= c->deadline)
			break;
		log_info("%s: retrying in %.2f s (%d of %d)", c->name, delay,
		    k + 1, pc->retry_attempts);
		ph_sleep(delay);
	}
	switch (tr) {
	case TR_OK:
		return PROV_OK;
	case TR_TIMEOUT:
		prov_detail(res, "timed out after %d s",
		    pc->timeout_seconds > 0 ? pc->timeout_seconds : 60);
		return PROV_ETIMEOUT;
	case TR_TOOBIG:
		prov_detail(res, "response too large");
		break;
	case TR_CONNECT:
	case TR_BROKEN:
		prov_detail(res, "could not reach the provider");
		break;
	case TR_NOMEM:
		prov_detail(res, "out of memory");
		break;
	default:
		prov_detail(res, "could not talk to the provider");
		break;
	}
	return PROV_ESERVICE;
}

/* The provider's own error text from a JSON body, cleaned, or "". */
static void
ph_errtext(const struct buf *b, char *out, size_t outsz)
{
	static const char *const keys[] = { "error", "detail", "title" };
	cJSON		*j;
	const char	*s;
	size_t		 i;

	out[0] = '\0';
	if (b->len == 0 || (j = cJSON_ParseWithLength(b->data, b->len)) == NULL)
		return;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if ((s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j,
		    keys[i]))) != NULL && s[0] != '\0') {
			ph_clean(out, outsz, s);
			break;
		}
	cJSON_Delete(j);
}

/*
 * Map an HTTP answer that is not a success onto the contract's errors
 * (API.md §4.2), filling res.  Returns the error.
 */
enum prov_err
ph_status(const struct ph_ctx *c, const struct ph_resp *rs,
    struct prov_result *res)
{
	char	 msg[160];

	ph_errtext(rs->body, msg, sizeof(msg));
	if (msg[0] != '\0')
		log_warn("%s: HTTP %ld: %s", c->name, rs->status, msg);
	switch (rs->status) {
	case 401:
		prov_detail(res, "the provider rejected the API key");
		return PROV_EMODEL;
	case 403:
		prov_detail(res, "access to the model denied");
		return PROV_EMODEL;
	case 404:
		prov_detail(res, "model not found");
		return PROV_EMODEL;
	case 410:
		prov_detail(res, "model no longer available");
		return PROV_EMODEL;
	case 422:
		if (msg[0] != '\0')
			prov_detail(res, "invalid input: %s", msg);
		else
			prov_detail(res, "invalid input");
		return PROV_EMODEL;
	case 429:
	case 503:
		res->retry_after = rs->retry_after > 0 ?
		    (rs->retry_after < 3600 ? rs->retry_after : 3600) :
		    PH_RETRY_DEFAULT;
		if (rs->status == 429)
			prov_detail(res, "rate limited");
		else if (strstr(msg, "loading") != NULL)
			prov_detail(res, "model is loading");
		else
			prov_detail(res, "service unavailable");
		return PROV_ERATE;
	default:
		prov_detail(res, "HTTP %ld from provider", rs->status);
		return PROV_ESERVICE;
	}
}
