/*
 * http.c: the transport-neutral request/response layer: answers, JSON
 * bodies, pydantic-style 422 lists, query strings and routing.  Handlers
 * built on it run under FastCGI (fcgi.c) or straight from unit tests.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "photorestore.h"
#include "extern.h"

#define RESP_BODY_MAX	(8 * 1024 * 1024)
#define RESP_HDR_MAX	(8 * 1024)

/*
 * Initialise an empty 200 answer with bounded header and body buffers.
 */
void
resp_init(struct resp *r)
{

	r->status = 200;
	buf_init(&r->headers, RESP_HDR_MAX);
	buf_init(&r->body, RESP_BODY_MAX);
	r->content_type = NULL;
}

/*
 * Release an answer's buffers.
 */
void
resp_free(struct resp *r)
{

	buf_free(&r->headers);
	buf_free(&r->body);
}

/*
 * The reason phrase for a status code ("OK", "Not Found", ...).
 */
const char *
http_reason(int status)
{

	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 507: return "Insufficient Storage";
	default: return "Unknown";
	}
}

/*
 * Append "name: value" to the headers.  A value with CR or LF is dropped
 * (and logged) so no header injection is possible.
 */
void
resp_header(struct resp *r, const char *name, const char *fmt, ...)
{
	char	 val[2048];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	if (strpbrk(name, "\r\n:") != NULL || strpbrk(val, "\r\n") != NULL) {
		log_warn("dropped header %s with CR/LF", name);
		return;
	}
	if (buf_printf(&r->headers, "%s: %s\r\n", name, val) != PR_OK)
		log_warn("header %s dropped: too large", name);
}

/*
 * Serialise obj as the JSON body with that status; obj is freed.
 */
void
resp_json(struct resp *r, int status, cJSON *obj)
{
	char	*s;

	buf_reset(&r->body);
	if (obj == NULL || (s = cJSON_PrintUnformatted(obj)) == NULL) {
		cJSON_Delete(obj);
		r->status = 500;
		r->content_type = "application/json";
		buf_puts(&r->body, "{\"detail\":\"Internal Server Error\"}");
		return;
	}
	cJSON_Delete(obj);
	r->status = status;
	r->content_type = "application/json";
	if (buf_puts(&r->body, s) != PR_OK) {
		buf_reset(&r->body);
		r->status = 500;
		buf_puts(&r->body, "{\"detail\":\"Internal Server Error\"}");
	}
	free(s);
}

/*
 * {"detail": detail} with that status.
 */
void
resp_error(struct resp *r, int status, const char *detail)
{
	cJSON	*o;

	if ((o = cJSON_CreateObject()) != NULL)
		cJSON_AddStringToObject(o, "detail", detail);
	resp_json(r, status, o);
}

/*
 * resp_error with a formatted detail.
 */
void
resp_errorf(struct resp *r, int status, const char *fmt, ...)
{
	char	 detail[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	resp_error(r, status, detail);
}

/*
 * An answer without a body (204, or 304).
 */
void
resp_empty(struct resp *r, int status)
{

	buf_reset(&r->body);
	r->status = status;
	r->content_type = NULL;
}

/*
 * A new, empty 422 list.
 */
cJSON *
verr_new(void)
{

	return cJSON_CreateArray();
}

/*
 * Append one pydantic-style problem.  field may be NULL for a problem
 * with the whole body (loc ["body"]).  input is taken over.
 */
void
verr_add(cJSON *list, const char *type, const char *where,
    const char *field, const char *msg, cJSON *input)
{
	cJSON	*e, *loc;

	if (list == NULL || (e = cJSON_CreateObject()) == NULL) {
		cJSON_Delete(input);
		return;
	}
	cJSON_AddStringToObject(e, "type", type);
	if ((loc = cJSON_AddArrayToObject(e, "loc")) != NULL) {
		cJSON_AddItemToArray(loc, cJSON_CreateString(where));
		if (field != NULL)
			cJSON_AddItemToArray(loc, cJSON_CreateString(field));
	}
	cJSON_AddStringToObject(e, "msg", msg);
	cJSON_AddItemToObject(e, "input", input != NULL ? input :
	    cJSON_CreateNull());
	cJSON_AddItemToArray(list, e);
}

/*
 * Send {"detail": list} as 422; list is freed.
 */
void
resp_422(struct resp *r, cJSON *list)
{
	cJSON	*o;

	if ((o = cJSON_CreateObject()) == NULL) {
		cJSON_Delete(list);
		resp_json(r, 500, NULL);
		return;
	}
	cJSON_AddItemToObject(o, "detail", list);
	resp_json(r, 422, o);
}

/* The depth of nested arrays/objects under j. */
static int
json_depth(const cJSON *j, int lim)
{
	const cJSON	*c;
	int		 d, max = 0;

	if (lim <= 0)
		return 1;
	for (c = j->child; c != NULL; c = c->next) {
		if (!cJSON_IsArray(c) && !cJSON_IsObject(c))
			continue;
		d = json_depth(c, lim - 1);
		if (d > max)
			max = d;
	}
	return 1 + max;
}

/*
 * Whether an object has two members of the same name (cJSON keeps both;
 * only the first would be seen by lookups).
 */
int
json_has_duplicates(const cJSON *obj)
{
	const cJSON	*a, *b;

	for (a = obj->child; a != NULL; a = a->next)
		for (b = a->next; b != NULL; b = b->next)
			if (a->string != NULL && b->string != NULL &&
			    strcmp(a->string, b->string) == 0)
				return 1;
	return 0;
}

/* See photorestore.h. */
size_t
utf8_seq(const unsigned char *s, size_t n)
{
	size_t		 len, i;
	unsigned	 cp;

	if (n == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/*
 * Offset of the first byte that is not well-formed UTF-8 (RFC 3629: no
 * overlongs, no surrogates, nothing past U+10FFFF), or len when valid.
 */
static size_t
utf8_invalid_at(const unsigned char *s, size_t len)
{
	size_t		 i = 0, k;

	while (i < len) {
		if ((k = utf8_seq(s + i, len - i)) == 0)
			return i;
		i += k;
	}
	return len;
}

/*
 * Offset of the first byte that makes a JSON string unacceptable to us,
 * or len: a control character not escaped (RFC 8259 §7 requires it; cJSON
 * lets it through, pydantic answers json_invalid), or a "\u0000" escape,
 * which cJSON decodes to a NUL byte inside a C string and so silently
 * cuts the value short: a login as "admin\u0000x" would read as "admin",
 * a member "role\u0000" as "role".  Outside strings such bytes are
 * invalid JSON anyway and cJSON refuses them.
 */
static size_t
json_string_bad_at(const char *s, size_t len)
{
	size_t	 i;
	int	 in = 0;

	for (i = 0; i < len; i++) {
		if (!in) {
			if (s[i] == '"')
				in = 1;
			continue;
		}
		if (s[i] == '"')
			in = 0;
		else if ((unsigned char)s[i] < 0x20)
			return i;
		else if (s[i] == '\\') {
			if (i + 1 < len && s[i + 1] == 'u' && len - i >= 6 &&
			    memcmp(s + i + 2, "0000", 4) == 0)
				return i;
			i++;	/* the escaped character */
		}
	}
	return len;
}

/* The 422 for an undecodable body: pydantic's json_invalid. */
static void
resp_json_invalid(struct resp *r, size_t pos, const char *why)
{
	cJSON	*list, *e, *loc, *ctx;

	list = verr_new();
	if ((e = cJSON_CreateObject()) != NULL) {
		cJSON_AddStringToObject(e, "type", "json_invalid");
		loc = cJSON_AddArrayToObject(e, "loc");
		cJSON_AddItemToArray(loc, cJSON_CreateString("body"));
		cJSON_AddItemToArray(loc, cJSON_CreateNumber((double)pos));
		cJSON_AddStringToObject(e, "msg", "JSON decode error");
		cJSON_AddItemToObject(e, "input", cJSON_CreateObject());
		ctx = cJSON_AddObjectToObject(e, "ctx");
		cJSON_AddStringToObject(ctx, "error", why);
		cJSON_AddItemToArray(list, e);
	}
	resp_422(r, list);
}

/* See photorestore.h. */
int
req_json_utf8(const struct req *q, struct resp *r, cJSON **out)
{

	*out = NULL;
	if (q->body != NULL && q->bodylen <= REQ_JSON_MAX &&
	    utf8_invalid_at((const unsigned char *)q->body, q->bodylen) !=
	    q->bodylen) {
		resp_error(r, 400, "There was an error parsing the body");
		return -1;
	}
	return req_json(q, r, out);
}

/*
 * Parse the request body as one JSON object.  On failure fills resp (422
 * or 413) and returns -1; on success *out owns the tree.
 */
int
req_json(const struct req *q, struct resp *r, cJSON **out)
{
	cJSON		*j;
	const char	*end = NULL;
	cJSON		*list;
	size_t		 bad;

	*out = NULL;
	if (q->bodylen > REQ_JSON_MAX) {
		resp_error(r, 413, "Request body too large");
		return -1;
	}
	if (q->body == NULL || q->bodylen == 0) {
		list = verr_new();
		verr_add(list, "missing", "body", NULL, "Field required", NULL);
		resp_422(r, list);
		return -1;
	}
	if ((bad = utf8_invalid_at((const unsigned char *)q->body,
	    q->bodylen)) != q->bodylen) {
		resp_json_invalid(r, bad, "Invalid UTF-8");
		return -1;
	}
	if (memchr(q->body, '\0', q->bodylen) != NULL) {
		resp_json_invalid(r, (size_t)((const char *)memchr(q->body,
		    '\0', q->bodylen) - q->body), "Invalid control character");
		return -1;
	}
	if ((bad = json_string_bad_at(q->body, q->bodylen)) != q->bodylen) {
		resp_json_invalid(r, bad, "Invalid control character");
		return -1;
	}
	j = cJSON_ParseWithLengthOpts(q->body, q->bodylen, &end, 0);
	if (j == NULL) {
		end = cJSON_GetErrorPtr();
		resp_json_invalid(r, end != NULL && end >= q->body &&
		    end <= q->body + q->bodylen ? (size_t)(end - q->body) : 0,
		    "Expecting value");
		return -1;
	}
	/* Only white space may follow the value. */
	while (end != NULL && end < q->body + q->bodylen &&
	    (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
		end++;
	if (end == NULL || end != q->body + q->bodylen) {
		cJSON_Delete(j);
		resp_json_invalid(r, end ? (size_t)(end - q->body) : 0,
		    "Extra data");
		return -1;
	}
	if (json_depth(j, REQ_JSON_DEPTH + 1) > REQ_JSON_DEPTH) {
		cJSON_Delete(j);
		resp_json_invalid(r, 0, "Nesting too deep");
		return -1;
	}
	if (!cJSON_IsObject(j)) {
		list = verr_new();
		verr_add(list, "model_attributes_type", "body", NULL,
		    "Input should be a valid dictionary or object to extract "
		    "fields from", j);
		resp_422(r, list);
		return -1;
	}
	if (json_has_duplicates(j)) {
		cJSON_Delete(j);
		resp_json_invalid(r, 0, "Duplicate key");
		return -1;
	}
	*out = j;
	return 0;
}

/* Count UTF-8 code points (pydantic measures characters). */
static size_t
utf8_len(const char *s)
{
	size_t	 n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* A copy of the item for the "input" member of an error entry. */
static cJSON *
dup_input(const cJSON *v)
{

	return v != NULL ? cJSON_Duplicate(v, 1) : NULL;
}

/*
 * Read a string member: type string, minlen..maxlen characters.
 */
int
jf_string(const cJSON *obj, const char *name, int required, size_t minlen,
    size_t maxlen, cJSON *errs, const char **out)
{
	const cJSON	*v;
	size_t		 n;
	char		 msg[128];

	v = cJSON_GetObjectItemCaseSensitive(obj, name);
	if (v == NULL) {
		if (required) {
			verr_add(errs, "missing", "body", name,
			    "Field required", dup_input(obj));
			return -1;
		}
		return 0;
	}
	if (!cJSON_IsString(v) || v->valuestring == NULL) {
		verr_add(errs, "string_type", "body", name,
		    "Input should be a valid string", dup_input(v));
		return -1;
	}
	n = utf8_len(v->valuestring);
	if (n < minlen) {
		snprintf(msg, sizeof(msg), "String should have at least %zu "
		    "character%s", minlen, minlen == 1 ? "" : "s");
		verr_add(errs, "string_too_short", "body", name, msg,
		    dup_input(v));
		return -1;
	}
	if (n > maxlen) {
		snprintf(msg, sizeof(msg), "String should have at most %zu "
		    "character%s", maxlen, maxlen == 1 ? "" : "s");
		verr_add(errs, "string_too_long", "body", name, msg,
		    dup_input(v));
		return -1;
	}
	*out = v->valuestring;
	return 1;
}

/*
 * Read a boolean member: JSON true/false, or pydantic's lax strings and
 * 0/1 numbers.
 */
int
jf_bool(const cJSON *obj, const char *name, int required, cJSON *errs,
    int *out)
{
	const cJSON	*v;
	static const char *const yes[] = { "true", "1", "yes", "on", "t", "y" };
	static const char *const no[] = { "false", "0", "no", "off", "f", "n" };
	char		 low[8];
	size_t		 i;

	v = cJSON_GetObjectItemCaseSensitive(obj, name);
	if (v == NULL) {
		if (required) {
			verr_add(errs, "missing", "body", name,
			    "Field required", dup_input(obj));
			return -1;
		}
		return 0;
	}
	if (cJSON_IsBool(v)) {
		*out = cJSON_IsTrue(v);
		return 1;
	}
	if (cJSON_IsNumber(v) && (v->valuedouble == 0 || v->valuedouble == 1)) {
		*out = v->valuedouble == 1;
		return 1;
	}
	if (cJSON_IsString(v) && strlen(v->valuestring) < sizeof(low)) {
		pr_lower(v->valuestring, low, sizeof(low));
		for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
			if (strcmp(low, yes[i]) == 0) {
				*out = 1;
				return 1;
			}
			if (strcmp(low, no[i]) == 0) {
				*out = 0;
				return 1;
			}
		}
	}
	verr_add(errs, "bool_parsing", "body", name,
	    "Input should be a valid boolean, unable to interpret input",
	    dup_input(v));
	return -1;
}

static int
hexval(int c)
{

	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decode len bytes of in into out (NUL-terminated).  Rejects bad
 * escapes, %00 and output longer than outsz - 1.  Returns 0 or -1.
 */
int
url_decode(const char *in, size_t len, char *out, size_t outsz,
    int plus_is_space)
{
	size_t	 i, o = 0;
	int	 hi, lo, c;

	if (outsz == 0)
		return -1;
	for (i = 0; i < len; i++) {
		c = (unsigned char)in[i];
		if (c == '%') {
			if (len - i < 3)
				return -1;
			hi = hexval((unsigned char)in[i + 1]);
			lo = hexval((unsigned char)in[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = hi * 16 + lo;
			if (c == 0)
				return -1;
			i += 2;
		} else if (c == '+' && plus_is_space)
			c = ' ';
		if (o + 1 >= outsz)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

/*
 * Find name in an application/x-www-form-urlencoded query string; the
 * last occurrence wins (as in Starlette).  Returns 1 (out set), 0 when
 * absent, -1 when the value is too long or badly encoded.
 */
int
query_get(const char *query, const char *name, char *out, size_t outsz)
{
	const char	*p, *amp, *eq;
	char		 key[128];
	int		 found = 0;
	size_t		 klen;

	if (query == NULL)
		return 0;
	for (p = query; *p != '\0'; p = *amp ? amp + 1 : amp) {
		if ((amp = strchr(p, '&')) == NULL)
			amp = p + strlen(p);
		eq = memchr(p, '=', (size_t)(amp - p));
		klen = (size_t)((eq ? eq : amp) - p);
		if (url_decode(p, klen, key, sizeof(key), 1) == -1)
			continue;
		if (strcmp(key, name) != 0)
			continue;
		if (eq == NULL) {
			out[0] = '\0';
			found = 1;
			continue;
		}
		if (url_decode(eq + 1, (size_t)(amp - eq - 1), out, outsz,
		    1) == -1)
			return -1;
		found = 1;
	}
	return found;
}

/* Match path against pattern, capturing "*" segments into q->params. */
static int
route_match(const char *pat, const char *path, struct req *q)
{
	const char	*seg;
	size_t		 n = 0;

	while (*pat != '\0') {
		if (*pat == '*') {
			seg = path;
			while (*path != '\0' && *path != '/')
				path++;
			if (path == seg || n >= REQ_MAXPARAMS)
				return 0;
			q->params[n++] = seg;
			pat++;
			continue;
		}
		if (*pat != *path)
			return 0;
		pat++;
		path++;
	}
	if (*path != '\0')
		return 0;
	q->nparams = n;
	return 1;
}

/*
 * Find the route for the request; see photorestore.h.  Captured
 * parameters point into req->path and end at the next '/' or NUL.
 */
const struct route *
http_route(const struct route *rt, size_t n, struct req *q)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(rt[i].method, q->method) == 0 &&
		    route_match(rt[i].pattern, q->path, q))
			return &rt[i];
	return NULL;
}

/*
 * Route and run the request, answering 404/405 in the contract's form.
 */
void
http_dispatch(const struct route *rt, size_t n, struct req *q,
    struct resp *r)
{
	const struct route	*hit;
	struct buf		 allow;
	size_t			 i;
	struct req		 tmp;

	if ((hit = http_route(rt, n, q)) != NULL) {
		hit->fn(q, r);
		return;
	}
	buf_init(&allow, 256);
	tmp = *q;
	for (i = 0; i < n; i++)
		if (route_match(rt[i].pattern, q->path, &tmp))
			buf_printf(&allow, "%s%s", allow.len ? ", " : "",
			    rt[i].method);
	if (allow.len > 0) {
		resp_error(r, 405, "Method Not Allowed");
		resp_header(r, "Allow", "%s", allow.data);
	} else
		resp_error(r, 404, "Not Found");
	buf_free(&allow);
}
