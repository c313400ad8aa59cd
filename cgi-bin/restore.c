/*
 * restore.fcgi: the models catalogue, synchronous restoration, history,
 * items, downloads and deletion (API.md §4), and the health routes (§5).
 *
 * POST /api/v1/restore reads its body itself (RT_STREAM) through the
 * streaming multipart parser: file data is kept up to the configured
 * maximum and only counted past it (so the 413 names the true size),
 * text fields up to small fixed sizes, and the whole body up to a cap a
 * little above nginx's client_max_body_size.  The checks of §4.2 then
 * run in the contract's order.  Files are stored under server-made names
 * (<dir>/<user_id>/<uuid>.<ext>, the extension from the detected format)
 * through a temporary name, fsync and rename; the row is written only
 * when both files are in place, and every failure removes what was
 * written.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "photorestore.h"

#define MIB		1048576.0
#define CHUNK		(64 * 1024)
#define MODEL_ID_MAX	255			/* model_id field bytes */
#define PARAMS_MAX	(IMG_PARAMS_MAX - 1)	/* parameters field bytes */
#define BODY_SLACK	(4 * 1024 * 1024)	/* headers, small fields */
#define BODY_HARD_MAX	((size_t)2048 * 1024 * 1024 + BODY_SLACK)
#define SCHEMA_MAX	64			/* parameters in a schema */
#define HISTORY_MAX	1000

/* ------------------------------------------------------------ helpers */

/*
 * Copy s into out as valid UTF-8, each byte of an invalid sequence
 * replaced by U+FFFD, cut at a character boundary to fit outsz.
 * User strings are echoed in JSON, which must be UTF-8.
 */
static void
utf8_clean(const char *s, char *out, size_t outsz)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 o = 0, n, i;
	unsigned		 c, min;

	if (outsz == 0)
		return;
	while (*p != '\0') {
		if (*p < 0x80) {
			n = 1;
		} else {
			if (*p >= 0xc2 && *p <= 0xdf) {
				n = 2;
				c = *p & 0x1f;
				min = 0x80;
			} else if (*p >= 0xe0 && *p <= 0xef) {
				n = 3;
				c = *p & 0x0f;
				min = 0x800;
			} else if (*p >= 0xf0 && *p <= 0xf4) {
				n = 4;
				c = *p & 0x07;
				min = 0x10000;
			} else
				n = 0;
			for (i = 1; n > 0 && i < n; i++) {
				if ((p[i] & 0xc0) != 0x80) {
					n = 0;
					break;
				}
				c = (c << 6) | (p[i] & 0x3f);
			}
			if (n > 0 && (c < min || c > 0x10ffff ||
			    (c >= 0xd800 && c <= 0xdfff)))
				n = 0;
		}
		if (n == 0) {
			if (o + 3 >= outsz)
				break;
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			p++;
			continue;
		}
		if (o + n >= outsz)
			break;
		memcpy(out + o, p, n);
		o += n;
		p += n;
	}
	out[o] = '\0';
}

/*
 * Percent-encode every byte of s but those in keep (plus ALPHA and
 * DIGIT) into out.  Returns 0, or -1 when it does not fit.
 */
static int
pct_encode(const char *s, const char *keep, char *out, size_t outsz)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p;
	size_t			 o = 0;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr(keep, *p) != NULL) {
			if (o + 1 >= outsz)
				return -1;
			out[o++] = (char)*p;
		} else {
			if (o + 3 >= outsz)
				return -1;
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 0x0f];
		}
	}
	if (o >= outsz)
		return -1;
	out[o] = '\0';
	return 0;
}

/* The 500/503 for a database error. */
static void
db_fail(struct resp *r, enum pr_err e)
{

	if (e == PR_EBUSY)
		resp_error(r, 503, "Service temporarily unavailable");
	else
		resp_error(r, 500, "Internal Server Error");
}

/* Add a string member, or null when s is NULL or (if empty_null) "". */
static void
add_str_or_null(cJSON *o, const char *name, const char *s, int empty_null)
{

	if (s == NULL || (empty_null && *s == '\0'))
		cJSON_AddNullToObject(o, name);
	else
		cJSON_AddStringToObject(o, name, s);
}

/*
 * Parse an integer the way pydantic reads one from a string: optional
 * surrounding white space and sign, digits.  Returns 0 with *out, 1 when
 * it is a valid integer too large for int64 (sign in *out: -1 or 1), -1
 * when it is not an integer at all.
 */
static int
parse_int(const char *s, long long *out)
{
	char		 t[64];
	const char	*b = s, *e;
	size_t		 n;

	while (*b == ' ' || *b == '\t' || *b == '\n' || *b == '\r')
		b++;
	e = b + strlen(b);
	while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
	    e[-1] == '\r'))
		e--;
	n = (size_t)(e - b);
	if (n > 0 && (*b == '+' || *b == '-')) {
		if (n == 1)
			return -1;
		if (strspn(b + 1, "0123456789") < n - 1)
			return -1;
	} else if (n == 0 || strspn(b, "0123456789") < n)
		return -1;
	if (n >= sizeof(t)) {
		*out = *b == '-' ? -1 : 1;
		return 1;
	}
	memcpy(t, *b == '+' ? b + 1 : b, *b == '+' ? n - 1 : n);
	t[*b == '+' ? n - 1 : n] = '\0';
	if (pr_strtonum(t, LLONG_MIN, LLONG_MAX, out) == -1) {
		*out = *b == '-' ? -1 : 1;
		return 1;
	}
	return 0;
}

/* Add pydantic's "ctx" to the last entry of a 422 list. */
static void
verr_ctx(cJSON *errs, const char *key, double v)
{
	cJSON	*last, *ctx;

	last = cJSON_GetArrayItem(errs, cJSON_GetArraySize(errs) - 1);
	if (last == NULL || (ctx = cJSON_CreateObject()) == NULL)
		return;
	cJSON_AddNumberToObject(ctx, key, v);
	cJSON_AddItemToObject(last, "ctx", ctx);
}

/*
 * An integer query parameter with a default and bounds: problems are
 * appended to errs in pydantic's words (int_parsing, greater_than_equal,
 * less_than_equal).
 */
static void
query_int(const struct req *q, const char *name, long long def,
    long long lo, long long hi, cJSON *errs, long long *out)
{
	char		 v[256], msg[128];
	long long	 n;
	int		 rc;

	*out = def;
	rc = query_get(q->query, name, v, sizeof(v));
	if (rc == 0)
		return;
	if (rc == -1 || (rc = parse_int(v, &n)) == -1) {
		verr_add(errs, "int_parsing", "query", name, "Input should be "
		    "a valid integer, unable to parse string as an integer",
		    rc == -1 ? cJSON_CreateString(v) : cJSON_CreateNull());
		return;
	}
	if ((rc == 1 && n < 0) || (rc == 0 && n < lo)) {
		snprintf(msg, sizeof(msg), "Input should be greater than or "
		    "equal to %lld", lo);
		verr_add(errs, "greater_than_equal", "query", name, msg,
		    cJSON_CreateString(v));
		verr_ctx(errs, "ge", (double)lo);
		return;
	}
	if (rc == 1 || n > hi) {
		snprintf(msg, sizeof(msg), "Input should be less than or "
		    "equal to %lld", hi);
		verr_add(errs, "less_than_equal", "query", name, msg,
		    cJSON_CreateString(v));
		verr_ctx(errs, "le", (double)hi);
		return;
	}
	*out = n;
}

/*
 * The {image_id} path segment as an integer: 0 with *id, or -1 with the
 * 422 int_parsing answer (and 404 for integers out of range).
 */
static int
path_id(const struct req *q, struct resp *r, int64_t *id)
{
	char		 seg[256];
	size_t		 n;
	long long	 v;
	int		 rc;
	cJSON		*errs;

	n = strcspn(q->params[0], "/");
	if (n >= sizeof(seg))
		n = sizeof(seg) - 1;
	memcpy(seg, q->params[0], n);
	seg[n] = '\0';
	if ((rc = parse_int(seg, &v)) == -1) {
		errs = verr_new();
		utf8_clean(q->params[0], seg, n + 1 < sizeof(seg) ? n + 1 :
		    sizeof(seg));
		verr_add(errs, "int_parsing", "path", "image_id",
		    "Input should be a valid integer, unable to parse string "
		    "as an integer", cJSON_CreateString(seg));
		resp_422(r, errs);
		return -1;
	}
	if (rc == 1) {
		resp_errorf(r, 404, "Image %s not found or not accessible",
		    seg);
		return -1;
	}
	*id = v;
	return 0;
}

/* The stored image's URL under prefix ("/uploads/"), signed; "" on error. */
static void
image_url(const struct req *q, const char *prefix, const char *rel,
    char *out, size_t outsz)
{
	char	 path[PATH_MAX];
	int	 n;

	n = snprintf(path, sizeof(path), "%s%s", prefix, rel);
	if (n < 0 || (size_t)n >= sizeof(path) ||
	    url_sign(q->cfg->url_secret, path, q->now +
	    q->cfg->url_ttl_seconds, out, outsz) == -1) {
		log_warn("could not sign a URL for a stored image");
		out[0] = '\0';
	}
}

/*
 * A history item (API.md §4.3), keys in the contract's order; with_paths
 * adds original_path and processed_path for the single item.
 */
static cJSON *
image_json(const struct req *q, const struct image *im, int with_paths)
{
	cJSON	*o;
	char	 url[URL_MAX];

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddNumberToObject(o, "id", (double)im->id);
	cJSON_AddStringToObject(o, "original_filename", im->original_filename);
	cJSON_AddStringToObject(o, "model_id", im->model_id);
	image_url(q, "/uploads/", im->original_path, url, sizeof(url));
	cJSON_AddStringToObject(o, "original_url", url);
	image_url(q, "/processed/", im->processed_path, url, sizeof(url));
	cJSON_AddStringToObject(o, "processed_url", url);
	cJSON_AddStringToObject(o, "created_at", im->created_at);
	add_str_or_null(o, "model_parameters", im->has_model_parameters ?
	    im->model_parameters : NULL, 0);
	add_str_or_null(o, "session_id", im->session_id, 1);
	if (with_paths) {
		cJSON_AddStringToObject(o, "original_path", im->original_path);
		cJSON_AddStringToObject(o, "processed_path",
		    im->processed_path);
	}
	return o;
}

/* ------------------------------------------------------------- models */

/* A string member of a model, or NULL. */
static const char *
mstr(const cJSON *m, const char *name)
{

	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, name));
}

/* Enabled, and its provider usable with this configuration (§4.1). */
static int
model_visible(const struct config *cfg, const cJSON *m)
{
	const char	*prov = mstr(m, "provider");

	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "enabled")) &&
	    prov != NULL && provider_available(cfg, prov);
}

/* Whether the string array arr holds s. */
static int
list_has(const cJSON *arr, const char *s)
{
	const cJSON	*c;

	cJSON_ArrayForEach(c, arr)
		if (cJSON_IsString(c) && strcmp(c->valuestring, s) == 0)
			return 1;
	return 0;
}

/* A copy of a number member, or null. */
static cJSON *
num_or_null(const cJSON *o, const char *name)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(v) ? cJSON_CreateNumber(v->valuedouble) :
	    cJSON_CreateNull();
}

/* The x-order of a schema parameter, or a large number when absent. */
static double
xorder(const cJSON *p)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(p, "x-order");

	return cJSON_IsNumber(v) ? v->valuedouble : 1e9;
}

/* One entry of schema.parameters. */
static cJSON *
schema_param(const cJSON *rs, const cJSON *p)
{
	const cJSON	*en, *g, *def;
	const char	*type, *desc, *group = NULL;
	cJSON		*o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	en = cJSON_GetObjectItemCaseSensitive(p, "enum");
	type = mstr(p, "type");
	if (cJSON_IsArray(en))
		type = "enum";
	else if (type != NULL && strcmp(type, "number") == 0)
		type = "float";
	else if (type == NULL)
		type = "string";
	if ((desc = mstr(p, "description")) == NULL)
		desc = mstr(p, "title");
	cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(rs,
	    "ui_groups"))
		if (group == NULL && list_has(g, p->string))
			group = g->string;
	def = cJSON_GetObjectItemCaseSensitive(p, "default");

	cJSON_AddStringToObject(o, "name", p->string);
	cJSON_AddStringToObject(o, "type", type);
	cJSON_AddBoolToObject(o, "required", list_has(
	    cJSON_GetObjectItemCaseSensitive(rs, "required"), p->string));
	add_str_or_null(o, "description", desc, 0);
	cJSON_AddItemToObject(o, "default", def != NULL ?
	    cJSON_Duplicate(def, 1) : cJSON_CreateNull());
	cJSON_AddItemToObject(o, "min", num_or_null(p, "minimum"));
	cJSON_AddItemToObject(o, "max", num_or_null(p, "maximum"));
	cJSON_AddItemToObject(o, "values", cJSON_IsArray(en) ?
	    cJSON_Duplicate(en, 1) : cJSON_CreateNull());
	add_str_or_null(o, "ui_group", group, 0);
	return o;
}

/*
 * ModelInfo.schema (API.md §4.1): for a Replicate model with a
 * replicate_schema, its visible parameters in x-order (hidden ones and
 * the image parameter left out) and the "custom" block with the server's
 * limits filled in; null otherwise.
 */
static cJSON *
schema_json(const struct config *cfg, const cJSON *m)
{
	const cJSON	*rs, *in, *p, *list[SCHEMA_MAX], *cu, *v;
	const char	*img, *prov = mstr(m, "provider");
	cJSON		*o, *arr, *c, *fmts;
	size_t		 n = 0, i, j;

	rs = cJSON_GetObjectItemCaseSensitive(m, "replicate_schema");
	if (prov == NULL || strcmp(prov, "replicate") != 0 ||
	    !cJSON_IsObject(rs))
		return cJSON_CreateNull();
	in = cJSON_GetObjectItemCaseSensitive(rs, "input");
	img = mstr(rs, "image_param");
	cJSON_ArrayForEach(p, in) {
		if (n == SCHEMA_MAX || (img != NULL &&
		    strcmp(p->string, img) == 0) || list_has(
		    cJSON_GetObjectItemCaseSensitive(rs, "hidden"), p->string))
			continue;
		/* Stable insertion by x-order. */
		for (j = n; j > 0 && xorder(list[j - 1]) > xorder(p); j--)
			list[j] = list[j - 1];
		list[j] = p;
		n++;
	}
	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	arr = cJSON_AddArrayToObject(o, "parameters");
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, schema_param(rs, list[i]));

	cu = cJSON_GetObjectItemCaseSensitive(rs, "custom");
	c = cJSON_AddObjectToObject(o, "custom");
	v = cJSON_GetObjectItemCaseSensitive(cu, "max_file_size_mb");
	cJSON_AddNumberToObject(c, "max_file_size_mb", cJSON_IsNumber(v) ?
	    v->valuedouble : cfg->max_upload_size_mb);
	v = cJSON_GetObjectItemCaseSensitive(cu, "supported_formats");
	if (cJSON_IsArray(v))
		cJSON_AddItemToObject(c, "supported_formats",
		    cJSON_Duplicate(v, 1));
	else if ((fmts = cJSON_AddArrayToObject(c, "supported_formats")) !=
	    NULL)
		for (i = 0; i < cfg->n_allowed_ext; i++)
			cJSON_AddItemToArray(fmts, cJSON_CreateString(
			    cfg->allowed_ext[i] + 1));
	cJSON_AddItemToObject(c, "estimated_time_seconds",
	    num_or_null(cu, "estimated_time_seconds"));
	return o;
}

/* ModelInfo (API.md §4.1), keys in the contract's order. */
static cJSON *
model_json(const struct config *cfg, const cJSON *m)
{
	static const char *const strs[] = { "id", "name", "model",
	    "provider", "category", "description" };
	const cJSON	*v;
	cJSON		*o;
	size_t		 i;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		add_str_or_null(o, strs[i], mstr(m, strs[i]), 0);
	v = cJSON_GetObjectItemCaseSensitive(m, "parameters");
	cJSON_AddItemToObject(o, "parameters", cJSON_IsObject(v) ?
	    cJSON_Duplicate(v, 1) : cJSON_CreateObject());
	v = cJSON_GetObjectItemCaseSensitive(m, "tags");
	cJSON_AddItemToObject(o, "tags", cJSON_IsArray(v) ?
	    cJSON_Duplicate(v, 1) : cJSON_CreateArray());
	add_str_or_null(o, "version", mstr(m, "version"), 0);
	cJSON_AddItemToObject(o, "schema", schema_json(cfg, m));
	return o;
}

/* The models API's optional gate (models_api.require_auth). */
static int
models_gate(struct req *q, struct resp *r)
{
	struct auth	 a;

	if (!q->cfg->models_require_auth)
		return 0;
	return auth_check(q, r, AUTH_USER, 0, &a);
}

/* Whether filter (query parameter name) lets s through. */
static int
filter_ok(const struct req *q, const char *name, const cJSON *m)
{
	char		 want[256];
	const char	*have;
	int		 rc;

	rc = query_get(q->query, name, want, sizeof(want));
	if (rc == 0 || (rc == 1 && want[0] == '\0'))
		return 1;
	if (rc == -1)
		return 0;
	if (strcmp(name, "tag") == 0)
		return list_has(cJSON_GetObjectItemCaseSensitive(m, "tags"),
		    want);
	have = mstr(m, name);
	return have != NULL && strcmp(have, want) == 0;
}

/*
 * GET /api/v1/models?category=&provider=&tag= (API.md §4.1).
 */
static void
models_list(struct req *q, struct resp *r)
{
	const cJSON	*m;
	cJSON		*o, *arr;
	int		 n = 0;

	if (models_gate(q, r) == -1)
		return;
	if ((o = cJSON_CreateObject()) == NULL ||
	    (arr = cJSON_AddArrayToObject(o, "models")) == NULL) {
		resp_json(r, 500, o);
		return;
	}
	cJSON_ArrayForEach(m, q->cfg->models) {
		if (!model_visible(q->cfg, m) || !filter_ok(q, "category", m) ||
		    !filter_ok(q, "provider", m) || !filter_ok(q, "tag", m))
			continue;
		cJSON_AddItemToArray(arr, model_json(q->cfg, m));
		n++;
	}
	cJSON_AddNumberToObject(o, "total", n);
	resp_json(r, 200, o);
}

/*
 * GET /api/v1/models/{id}: one ModelInfo; 404 for unknown, disabled and
 * unavailable models alike.
 */
static void
models_get(struct req *q, struct resp *r)
{
	const cJSON	*m;
	char		 id[256];

	if (models_gate(q, r) == -1)
		return;
	utf8_clean(q->params[0], id, sizeof(id));
	m = cfg_model(q->cfg, q->params[0]);
	if (m == NULL || !model_visible(q->cfg, m)) {
		resp_errorf(r, 404, "Model '%s' not found", id);
		return;
	}
	resp_json(r, 200, model_json(q->cfg, m));
}

/* ------------------------------------------------------------ upload */

enum field {
	FLD_NONE = 0,
	FLD_FILE,
	FLD_MODEL,
	FLD_PARAMS
};

/* What the multipart callbacks collected. */
struct upload {
	enum field	 cur;
	int		 has_file;	/* a "file" part was seen */
	int		 has_filename;	/* ... with a non-empty filename */
	char		 filename[sizeof(((struct mp_part *)0)->filename)];
	struct buf	 file;		/* its bytes, up to the limit */
	uint64_t	 file_size;	/* all its bytes, counted */
	int		 has_model;
	struct buf	 model;
	int		 model_over;
	int		 has_params;
	struct buf	 params;
	int		 params_over;
};

/* A part begins: the last part of a name wins, as in Starlette. */
static int
up_begin(void *arg, const struct mp_part *p)
{
	struct upload	*u = arg;

	u->cur = FLD_NONE;
	if (strcmp(p->name, "file") == 0) {
		u->cur = FLD_FILE;
		u->has_file = 1;
		u->has_filename = p->has_filename && p->filename[0] != '\0';
		memcpy(u->filename, p->filename, sizeof(u->filename));
		buf_reset(&u->file);
		u->file_size = 0;
	} else if (strcmp(p->name, "model_id") == 0) {
		u->cur = FLD_MODEL;
		u->has_model = 1;
		buf_reset(&u->model);
		u->model_over = 0;
	} else if (strcmp(p->name, "parameters") == 0) {
		u->cur = FLD_PARAMS;
		u->has_params = 1;
		buf_reset(&u->params);
		u->params_over = 0;
	}
	return 0;
}

/* Part data: kept within each field's maximum, file bytes counted. */
static int
up_data(void *arg, const void *p, size_t n)
{
	struct upload	*u = arg;

	switch (u->cur) {
	case FLD_FILE:
		u->file_size += n;
		if (u->file_size <= u->file.max) {
			if (buf_append(&u->file, p, n) != PR_OK)
				return 1;
		} else
			buf_free(&u->file);	/* 413 follows: drop it */
		break;
	case FLD_MODEL:
		if (!u->model_over && buf_append(&u->model, p, n) != PR_OK)
			u->model_over = 1;
		break;
	case FLD_PARAMS:
		if (!u->params_over && buf_append(&u->params, p, n) != PR_OK)
			u->params_over = 1;
		break;
	default:
		break;
	}
	return 0;
}

static int
up_end(void *arg)
{
	struct upload	*u = arg;

	u->cur = FLD_NONE;
	return 0;
}

/* Whether a Content-Type names multipart/form-data. */
static int
is_multipart(const char *ct)
{
	static const char	 mp[] = "multipart/form-data";
	size_t			 i;

	if (ct == NULL)
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	for (i = 0; i < sizeof(mp) - 1; i++)
		if (ct[i] == '\0' || (ct[i] | 0x20) != mp[i])
			return 0;
	return ct[i] == '\0' || ct[i] == ';' || ct[i] == ' ' ||
	    ct[i] == '\t';
}

/*
 * Read the whole body through the multipart parser into u.  Returns 0,
 * or -1 with the answer in r.  A body that is not multipart at all
 * counts as an empty form (the 422 of the missing parts follows).
 */
static int
read_form(struct req *q, struct resp *r, struct upload *u, uint64_t cap)
{
	static char		 chunk[CHUNK];
	struct mp_callbacks	 cb = { up_begin, up_data, up_end };
	struct multipart	*mp = NULL;
	enum mp_err		 me = MP_OK;
	uint64_t		 total = 0;
	ssize_t			 got;
	int			 rc = -1;

	if (q->content_length > 0 && (uint64_t)q->content_length > cap) {
		resp_error(r, 413, "Request body too large");
		goto err;
	}
	if (!is_multipart(q->content_type))
		return 0;
	if ((mp = mp_new(q->content_type, &cb, u, &me)) == NULL) {
		if (me == MP_ENOMEM)
			resp_error(r, 500, "Internal Server Error");
		else
			resp_error(r, 400, "There was an error parsing the "
			    "body");
		goto err;
	}
	for (;;) {
		if ((got = q->read(q, chunk, sizeof(chunk))) < 0) {
			resp_error(r, 400, "Incomplete request body");
			goto err;
		}
		if (got == 0)
			break;
		total += (uint64_t)got;
		if (total > cap) {
			resp_error(r, 413, "Request body too large");
			goto err;
		}
		if ((me = mp_feed(mp, chunk, (size_t)got)) != MP_OK)
			break;
	}
	/* An empty body is an empty form, not a truncated one. */
	if (me == MP_OK && total > 0)
		me = mp_finish(mp);
	if (me == MP_EABORT || me == MP_ENOMEM) {
		resp_error(r, 500, "Internal Server Error");
		goto err;
	}
	if (me != MP_OK) {
		log_info("multipart: %s", mp_strerror(me));
		resp_error(r, 400, "There was an error parsing the body");
		goto err;
	}
	rc = 0;
err:
	mp_free(mp);
	return rc;
}

/*
 * The suffix of a file name as Python's PurePath.suffix sees it: from
 * the last '.' of the last '/'-separated component, unless that dot
 * starts or ends the component.  NULL when there is none.
 */
static const char *
name_suffix(const char *fn)
{
	const char	*base, *dot;

	base = strrchr(fn, '/');
	base = base != NULL ? base + 1 : fn;
	dot = strrchr(base, '.');
	if (dot == NULL || dot == base || dot[1] == '\0')
		return NULL;
	return dot;
}

/* Where parameters JSON text fails, as "line L column C (char N)". */
static void
json_where(const char *text, size_t len, size_t pos, char *out,
    size_t outsz)
{
	size_t	 i, line = 1, col = 1;

	if (pos > len)
		pos = len;
	for (i = 0; i < pos; i++) {
		if (text[i] == '\n') {
			line++;
			col = 1;
		} else
			col++;
	}
	snprintf(out, outsz, "line %zu column %zu (char %zu)", line, col,
	    pos);
}

/* Nesting depth of arrays and objects (1 for a flat object). */
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
		if ((d = json_depth(c, lim - 1)) > max)
			max = d;
	}
	return 1 + max;
}

/*
 * Parse the "parameters" field: a JSON object, nothing after it, depth
 * and size bounded, no duplicate keys.  Returns the object, or NULL with
 * the reason written into why.
 */
static cJSON *
params_parse(const char *text, size_t len, char *why, size_t whysz)
{
	cJSON		*j = NULL;
	const cJSON	*a, *b;
	const char	*end = NULL;
	char		 where[96];

	if (memchr(text, '\0', len) != NULL) {
		json_where(text, len, (size_t)((const char *)memchr(text,
		    '\0', len) - text), where, sizeof(where));
		snprintf(why, whysz, "Invalid control character at: %s",
		    where);
		goto err;
	}
	if ((j = cJSON_ParseWithLengthOpts(text, len, &end, 0)) == NULL) {
		end = cJSON_GetErrorPtr();
		json_where(text, len, end != NULL && end >= text &&
		    end <= text + len ? (size_t)(end - text) : 0, where,
		    sizeof(where));
		snprintf(why, whysz, "Expecting value: %s", where);
		goto err;
	}
	while (end < text + len && (*end == ' ' || *end == '\t' ||
	    *end == '\r' || *end == '\n'))
		end++;
	if (end != text + len) {
		json_where(text, len, (size_t)(end - text), where,
		    sizeof(where));
		snprintf(why, whysz, "Extra data: %s", where);
		goto err;
	}
	if (!cJSON_IsObject(j)) {
		snprintf(why, whysz, "must be a JSON object");
		goto err;
	}
	if (json_depth(j, 17) > 16) {
		snprintf(why, whysz, "nested too deeply");
		goto err;
	}
	for (a = j->child; a != NULL; a = a->next)
		for (b = a->next; b != NULL; b = b->next)
			if (strcmp(a->string, b->string) == 0) {
				snprintf(why, whysz, "duplicate key '%s'",
				    a->string);
				goto err;
			}
	return j;
err:
	cJSON_Delete(j);
	return NULL;
}

/*
 * Check the client's parameters against a Replicate model's schema:
 * known, visible names only; type, enum, minimum and maximum.  Returns 0,
 * or -1 with the reason in why.
 */
static int
params_check(const cJSON *rs, const cJSON *user, char *why, size_t whysz)
{
	const cJSON	*v, *spec, *en, *e, *mn, *mx;
	const char	*type, *img, *k;

	img = mstr(rs, "image_param");
	cJSON_ArrayForEach(v, user) {
		k = v->string;
		spec = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(rs, "input"), k);
		if (spec == NULL || (img != NULL && strcmp(k, img) == 0) ||
		    list_has(cJSON_GetObjectItemCaseSensitive(rs, "hidden"),
		    k)) {
			snprintf(why, whysz, "unknown parameter '%s'", k);
			return -1;
		}
		type = mstr(spec, "type");
		en = cJSON_GetObjectItemCaseSensitive(spec, "enum");
		if (type == NULL)
			;
		else if (strcmp(type, "string") == 0 && !cJSON_IsString(v)) {
			snprintf(why, whysz, "'%s' must be a string", k);
			return -1;
		} else if (strcmp(type, "boolean") == 0 && !cJSON_IsBool(v)) {
			snprintf(why, whysz, "'%s' must be true or false", k);
			return -1;
		} else if (strcmp(type, "integer") == 0 && (!cJSON_IsNumber(v)
		    || !isfinite(v->valuedouble) ||
		    v->valuedouble != floor(v->valuedouble))) {
			snprintf(why, whysz, "'%s' must be an integer", k);
			return -1;
		} else if (strcmp(type, "number") == 0 && (!cJSON_IsNumber(v)
		    || !isfinite(v->valuedouble))) {
			snprintf(why, whysz, "'%s' must be a number", k);
			return -1;
		}
		if (cJSON_IsArray(en)) {
			cJSON_ArrayForEach(e, en)
				if (cJSON_Compare(e, v, 1))
					break;
			if (e == NULL) {
				snprintf(why, whysz, "'%s' must be one of the "
				    "allowed values", k);
				return -1;
			}
		}
		mn = cJSON_GetObjectItemCaseSensitive(spec, "minimum");
		mx = cJSON_GetObjectItemCaseSensitive(spec, "maximum");
		if (cJSON_IsNumber(v) && cJSON_IsNumber(mn) &&
		    v->valuedouble < mn->valuedouble) {
			snprintf(why, whysz, "'%s' must be at least %g", k,
			    mn->valuedouble);
			return -1;
		}
		if (cJSON_IsNumber(v) && cJSON_IsNumber(mx) &&
		    v->valuedouble > mx->valuedouble) {
			snprintf(why, whysz, "'%s' must be at most %g", k,
			    mx->valuedouble);
			return -1;
		}
	}
	return 0;
}

/*
 * The model's configured parameters with the client's laid over them
 * (a new object), or NULL when out of memory.
 */
static cJSON *
params_merge(const cJSON *model, const cJSON *user)
{
	const cJSON	*base, *v;
	cJSON		*out, *dup;

	base = cJSON_GetObjectItemCaseSensitive(model, "parameters");
	out = cJSON_IsObject(base) ? cJSON_Duplicate(base, 1) :
	    cJSON_CreateObject();
	if (out == NULL)
		return NULL;
	cJSON_ArrayForEach(v, user) {
		cJSON_DeleteItemFromObjectCaseSensitive(out, v->string);
		if ((dup = cJSON_Duplicate(v, 1)) == NULL ||
		    !cJSON_AddItemToObject(out, v->string, dup)) {
			cJSON_Delete(dup);
			cJSON_Delete(out);
			return NULL;
		}
	}
	return out;
}

/* ------------------------------------------------------------ storage */

/*
 * Make <root>/<sub> (mode 0750) when missing, and root too (scripts/stack
 * makes it, a hand-made setup may not), syncing root so the new entry
 * survives a crash.  Returns 0 or -1 (errno set).
 */
static int
store_mkdir(const char *root, const char *sub)
{
	char	 path[PATH_MAX];
	int	 fd, n;

	n = snprintf(path, sizeof(path), "%s/%s", root, sub);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (mkdir(root, 0750) == -1 && errno != EEXIST)
		return -1;
	if (mkdir(path, 0750) == -1)
		return errno == EEXIST ? 0 : -1;
	if ((fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(fd);
		close(fd);
	}
	return 0;
}

/*
 * Write n bytes durably as <root>/<sub>/<name>: into a temporary file in
 * the same directory (O_EXCL, mode 0640), fsync, rename into place, then
 * fsync the directory.  Nothing is left behind on failure.  Returns 0 or
 * -1 with errno set.
 */
static int
store_write(const char *root, const char *sub, const char *name,
    const void *data, size_t n)
{
	char		 dir[PATH_MAX], tmp[PATH_MAX], dst[PATH_MAX];
	const char	*p = data;
	ssize_t		 w;
	int		 fd = -1, dfd = -1, saved, a, b, c;

	a = snprintf(dir, sizeof(dir), "%s/%s", root, sub);
	b = snprintf(tmp, sizeof(tmp), "%s/%s%s", dir, STORE_TMP_PREFIX, name);
	c = snprintf(dst, sizeof(dst), "%s/%s", dir, name);
	if (a < 0 || b < 0 || c < 0 || (size_t)a >= sizeof(dir) ||
	    (size_t)b >= sizeof(tmp) || (size_t)c >= sizeof(dst)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (store_mkdir(root, sub) == -1)
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0640);
	if (fd == -1)
		return -1;
	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			goto err;
		}
		p += w;
		n -= (size_t)w;
	}
	if (fsync(fd) == -1)
		goto err;
	if (close(fd) == -1) {
		fd = -1;
		goto err;
	}
	fd = -1;
	if (rename(tmp, dst) == -1)
		goto err;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fsync(dfd) == -1) {
		saved = errno;
		unlink(dst);
		if (dfd != -1)
			close(dfd);
		errno = saved;
		return -1;
	}
	close(dfd);
	return 0;
err:
	saved = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

/* Remove a stored file again (a later step failed); sync its directory. */
static void
store_undo(const char *root, const char *rel)
{
	char	 path[PATH_MAX];
	char	*slash;
	int	 fd;

	if (store_path(root, rel, path, sizeof(path)) == -1)
		return;
	if (unlink(path) == -1 && errno != ENOENT)
		log_error("could not remove %s: %s", path, strerror(errno));
	if ((slash = strrchr(path, '/')) == NULL)
		return;
	*slash = '\0';
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(fd);
		close(fd);
	}
}

/* The 500 or 507 for a storage error (errno). */
static void
store_fail(struct resp *r, const char *what)
{

	log_error("storing the %s: %s", what, strerror(errno));
	if (errno == ENOSPC || errno == EDQUOT)
		resp_error(r, 507, "Insufficient storage");
	else
		resp_error(r, 500, "Internal Server Error");
}

/* The file extension and MIME type of a detected format. */
static const char *
fmt_ext(enum img_format f)
{

	return f == IMG_PNG ? ".png" : ".jpg";
}

static const char *
fmt_mime(enum img_format f)
{

	return f == IMG_PNG ? "image/png" : "image/jpeg";
}

/* Answer a provider failure as API.md §4.2 maps it. */
static void
provider_fail(struct resp *r, enum prov_err pe, const struct prov_result *res)
{
	const char	*d = res->detail[0] != '\0' ? res->detail :
			    prov_strerror(pe);

	switch (pe) {
	case PROV_ERATE:
		resp_errorf(r, 503, "Model service temporarily unavailable: "
		    "%s", d);
		resp_header(r, "Retry-After", "%d", res->retry_after > 0 ?
		    res->retry_after : 10);
		break;
	case PROV_ETIMEOUT:
		resp_errorf(r, 504, "Model processing timed out: %s", d);
		break;
	case PROV_EMODEL:
		resp_errorf(r, 400, "Model error: %s", d);
		break;
	case PROV_EINPUT:
		resp_errorf(r, 400, "Invalid image data: %s", d);
		break;
	default:
		resp_errorf(r, 502, "Model service error: %s", d);
		break;
	}
}

/*
 * Store both files and insert the row (the files first, the row only
 * when both are in place; on failure nothing is left).  Returns 0 with
 * im filled, or -1 with the answer in r.
 */
static int
store_restore(struct req *q, struct resp *r, const struct upload *u,
    enum img_format infmt, const struct prov_result *res,
    enum img_format outfmt, struct image *im)
{
	const struct config	*cfg = q->cfg;
	char			 uuid[37], sub[32], name[64];
	int			 have_orig = 0, have_proc = 0;
	enum pr_err		 e;

	if (pr_uuid4(uuid) == -1) {
		resp_error(r, 500, "Internal Server Error");
		goto err;
	}
	snprintf(sub, sizeof(sub), "%lld", (long long)im->user_id);
	snprintf(name, sizeof(name), "%s%s", uuid, fmt_ext(infmt));
	snprintf(im->original_path, sizeof(im->original_path), "%s/%s", sub,
	    name);
	if (store_write(cfg->upload_dir, sub, name, u->file.data,
	    u->file.len) == -1) {
		store_fail(r, "original");
		goto err;
	}
	have_orig = 1;
	snprintf(name, sizeof(name), "%s%s", uuid, fmt_ext(outfmt));
	snprintf(im->processed_path, sizeof(im->processed_path), "%s/%s",
	    sub, name);
	if (store_write(cfg->processed_dir, sub, name, res->data.data,
	    res->data.len) == -1) {
		store_fail(r, "result");
		goto err;
	}
	have_proc = 1;
	if ((e = db_image_insert(q->db, im, q->now)) != PR_OK) {
		log_error("inserting the image row: %s", pr_strerror(e));
		db_fail(r, e);
		goto err;
	}
	return 0;
err:
	if (have_proc)
		store_undo(cfg->processed_dir, im->processed_path);
	if (have_orig)
		store_undo(cfg->upload_dir, im->original_path);
	return -1;
}

/*
 * POST /api/v1/restore (API.md §4.2): every check in the contract's
 * order, the per-session slot around the provider run, then storage.
 */
static void
restore(struct req *q, struct resp *r)
{
	const struct config	*cfg = q->cfg;
	struct auth		 a;
	struct upload		 u;
	struct pr_image		 img;
	struct prov_result	 res;
	struct image		*im = NULL;
	const cJSON		*model;
	cJSON			*errs = NULL, *user = NULL, *merged = NULL;
	cJSON			*o;
	const char		*suf, *prov;
	char			 ext[32], shown[256], why[512], list[256];
	char			 model_id[MODEL_ID_MAX + 1], *ptext = NULL;
	char			 url[URL_MAX];
	uint64_t		 limit, cap;
	enum img_format		 infmt, outfmt;
	enum img_err		 ie;
	enum prov_err		 pe;
	enum pr_err		 e;
	int64_t			 slot = -1;
	size_t			 i;

	memset(&u, 0, sizeof(u));
	memset(&img, 0, sizeof(img));
	memset(&res, 0, sizeof(res));
	limit = (uint64_t)floor(cfg->max_upload_size_mb * MIB);
	buf_init(&u.file, (size_t)limit);
	buf_init(&u.model, MODEL_ID_MAX);
	buf_init(&u.params, PARAMS_MAX);

	if (auth_check(q, r, AUTH_USER, 0, &a) == -1)
		goto out;
	cap = limit * 2 + BODY_SLACK;
	if (cap > BODY_HARD_MAX)
		cap = BODY_HARD_MAX;
	if (read_form(q, r, &u, cap) == -1)
		goto out;

	/* 1. Missing parts (an empty model_id counts as missing). */
	errs = verr_new();
	if (!u.has_file)
		verr_add(errs, "missing", "body", "file", "Field required",
		    NULL);
	if (!u.has_model || u.model.len == 0)
		verr_add(errs, "missing", "body", "model_id",
		    "Field required", NULL);
	if (cJSON_GetArraySize(errs) > 0) {
		resp_422(r, errs);
		errs = NULL;
		goto out;
	}

	/* 2-4. Filename, extension, allowed extension. */
	if (!u.has_filename) {
		resp_error(r, 400, "No filename provided");
		goto out;
	}
	if ((suf = name_suffix(u.filename)) == NULL) {
		resp_error(r, 400, "File has no extension");
		goto out;
	}
	pr_lower(suf, ext, sizeof(ext));
	for (i = 0; i < cfg->n_allowed_ext; i++)
		if (strlen(suf) < sizeof(ext) &&
		    strcmp(ext, cfg->allowed_ext[i]) == 0)
			break;
	if (i == cfg->n_allowed_ext) {
		list[0] = '\0';
		for (i = 0; i < cfg->n_allowed_ext; i++)
			snprintf(list + strlen(list), sizeof(list) -
			    strlen(list), "%s%s", i ? ", " : "",
			    cfg->allowed_ext[i]);
		pr_lower(suf, shown, sizeof(shown));
		utf8_clean(shown, why, 200);
		resp_errorf(r, 400, "File format '%s' not allowed. Allowed "
		    "formats: %s", why, list);
		goto out;
	}

	/* 5. Size, from the bytes actually sent. */
	if ((double)u.file_size > cfg->max_upload_size_mb * MIB) {
		resp_errorf(r, 413, "File size (%.2fMB) exceeds maximum "
		    "allowed size (%.2fMB)", (double)u.file_size / MIB,
		    cfg->max_upload_size_mb);
		goto out;
	}

	/* 6. Magic bytes and a full decode, pixel count capped. */
	infmt = img_sniff(u.file.data, u.file.len);
	ie = img_decode(u.file.data, u.file.len, cfg->max_pixels, &img, why,
	    sizeof(why));
	img_free(&img);
	if (ie != IMG_OK) {
		if (why[0] == '\0')
			snprintf(why, sizeof(why), "%s", img_strerror(ie));
		resp_errorf(r, 400, "Invalid image data: %s", why);
		goto out;
	}

	/* 7. Model: known, enabled, provider usable. */
	utf8_clean(u.model.data != NULL ? u.model.data : "", model_id,
	    sizeof(model_id));
	model = u.model_over || memchr(u.model.data, '\0', u.model.len) ?
	    NULL : cfg_model(cfg, u.model.data);
	if (model == NULL || !model_visible(cfg, model)) {
		resp_errorf(r, 400, "Unknown model: %s", model_id);
		goto out;
	}

	/* 8. Parameters: a JSON object, checked against a schema. */
	if (u.has_params && u.params.len > 0) {
		if (u.params_over) {
			resp_errorf(r, 400, "Invalid parameters JSON: longer "
			    "than %d bytes", PARAMS_MAX);
			goto out;
		}
		if ((user = params_parse(u.params.data, u.params.len, why,
		    sizeof(why))) == NULL) {
			resp_errorf(r, 400, "Invalid parameters JSON: %s",
			    why);
			goto out;
		}
		prov = mstr(model, "provider");
		if (strcmp(prov, "replicate") == 0 && cJSON_IsObject(
		    cJSON_GetObjectItemCaseSensitive(model,
		    "replicate_schema")) && params_check(
		    cJSON_GetObjectItemCaseSensitive(model,
		    "replicate_schema"), user, why, sizeof(why)) == -1) {
			resp_errorf(r, 400, "Invalid parameters JSON: %s",
			    why);
			goto out;
		}
		if ((ptext = cJSON_PrintUnformatted(user)) == NULL) {
			resp_error(r, 500, "Internal Server Error");
			goto out;
		}
		if (strlen(ptext) > PARAMS_MAX) {
			resp_errorf(r, 400, "Invalid parameters JSON: longer "
			    "than %d bytes", PARAMS_MAX);
			goto out;
		}
	}
	if ((merged = params_merge(model, user)) == NULL) {
		resp_error(r, 500, "Internal Server Error");
		goto out;
	}

	/* 9. The per-session concurrency slot, held across workers. */
	e = db_slot_acquire(q->db, a.session.id,
	    cfg->max_concurrent_uploads_per_session, q->now, &slot);
	if (e == PR_EBUSY) {
		slot = -1;
		resp_errorf(r, 429, "Maximum %d concurrent uploads allowed per "
		    "session", cfg->max_concurrent_uploads_per_session);
		goto out;
	}
	if (e != PR_OK) {
		slot = -1;
		db_fail(r, e);
		goto out;
	}

	/* The model run. */
	pe = provider_run(cfg, model, merged, (const unsigned char *)
	    u.file.data, u.file.len, fmt_mime(infmt), &res);
	if (pe != PROV_OK) {
		log_info("model %s failed: %s", model_id, prov_strerror(pe));
		provider_fail(r, pe, &res);
		goto out;
	}
	if ((outfmt = img_sniff(res.data.data, res.data.len)) == IMG_NONE) {
		resp_error(r, 502, "Model service error: the model did not "
		    "return a JPEG or PNG image");
		goto out;
	}

	/* Storage, then the row. */
	if ((im = calloc(1, sizeof(*im))) == NULL) {
		resp_error(r, 500, "Internal Server Error");
		goto out;
	}
	im->user_id = a.user.id;
	snprintf(im->session_id, sizeof(im->session_id), "%s",
	    a.claims.session_id);
	utf8_clean(u.filename, im->original_filename,
	    sizeof(im->original_filename));
	/* The configured id (at most 100 bytes), not the field's bytes. */
	snprintf(im->model_id, sizeof(im->model_id), "%s", mstr(model, "id"));
	if (ptext != NULL) {
		snprintf(im->model_parameters, sizeof(im->model_parameters),
		    "%s", ptext);
		im->has_model_parameters = 1;
	}
	if (store_restore(q, r, &u, infmt, &res, outfmt, im) == -1)
		goto out;

	if ((o = cJSON_CreateObject()) == NULL) {
		resp_json(r, 500, NULL);
		goto out;
	}
	cJSON_AddNumberToObject(o, "id", (double)im->id);
	cJSON_AddStringToObject(o, "session_id", im->session_id);
	image_url(q, "/uploads/", im->original_path, url, sizeof(url));
	cJSON_AddStringToObject(o, "original_url", url);
	image_url(q, "/processed/", im->processed_path, url, sizeof(url));
	cJSON_AddStringToObject(o, "processed_url", url);
	cJSON_AddStringToObject(o, "model_id", im->model_id);
	cJSON_AddStringToObject(o, "original_filename",
	    im->original_filename);
	cJSON_AddStringToObject(o, "timestamp", im->created_at);
	resp_json(r, 200, o);
	log_info("user %lld restored image %lld with %s",
	    (long long)a.user.id, (long long)im->id, im->model_id);
out:
	if (slot != -1 && db_slot_release(q->db, slot) != PR_OK &&
	    db_slot_release(q->db, slot) != PR_OK)
		log_warn("could not release upload slot %lld (it expires)",
		    (long long)slot);
	prov_result_free(&res);
	free(im);
	free(ptext);
	cJSON_Delete(merged);
	cJSON_Delete(user);
	cJSON_Delete(errs);
	buf_free(&u.file);
	buf_free(&u.model);
	buf_free(&u.params);
}

/* ----------------------------------------------------- history, items */

struct hist {
	struct req	*q;
	cJSON		*items;
};

static int
hist_item(const struct image *im, void *arg)
{
	struct hist	*h = arg;

	cJSON_AddItemToArray(h->items, image_json(h->q, im, 0));
	return 0;
}

/*
 * GET /api/v1/restore/history?limit=50&offset=0&session_id= (API.md
 * §4.3): the user's images over all sessions, newest first.
 */
static void
history(struct req *q, struct resp *r)
{
	struct auth	 a;
	struct hist	 h;
	cJSON		*errs, *o = NULL;
	long long	 limit, offset;
	char		 sid[128];
	int64_t		 total = 0;
	enum pr_err	 e;
	int		 rc;

	if (auth_check(q, r, AUTH_USER, 0, &a) == -1)
		return;
	errs = verr_new();
	query_int(q, "limit", 50, 1, HISTORY_MAX, errs, &limit);
	query_int(q, "offset", 0, 0, LLONG_MAX, errs, &offset);
	if (cJSON_GetArraySize(errs) > 0) {
		resp_422(r, errs);
		return;
	}
	cJSON_Delete(errs);
	if ((rc = query_get(q->query, "session_id", sid, sizeof(sid))) <= 0)
		sid[0] = '\0';
	if (rc == -1) {
		/* Not a session id any row can have: nothing matches. */
		snprintf(sid, sizeof(sid), "-");
	}
	if ((o = cJSON_CreateObject()) == NULL ||
	    (h.items = cJSON_AddArrayToObject(o, "items")) == NULL) {
		resp_json(r, 500, o);
		return;
	}
	h.q = q;
	e = db_image_list(q->db, a.user.id, sid, limit, offset, hist_item, &h,
	    &total);
	if (e != PR_OK) {
		cJSON_Delete(o);
		db_fail(r, e);
		return;
	}
	cJSON_AddNumberToObject(o, "total", (double)total);
	cJSON_AddNumberToObject(o, "limit", (double)limit);
	cJSON_AddNumberToObject(o, "offset", (double)offset);
	resp_json(r, 200, o);
}

/*
 * Load the user's image named by the path, answering 422/404/5xx
 * itself.  Returns the malloc'd row or NULL.
 */
static struct image *
item_load(struct req *q, struct resp *r, struct auth *a)
{
	struct image	*im;
	int64_t		 id;
	enum pr_err	 e;

	if (auth_check(q, r, AUTH_USER, 0, a) == -1 || path_id(q, r, &id) ==
	    -1)
		return NULL;
	if ((im = malloc(sizeof(*im))) == NULL) {
		resp_error(r, 500, "Internal Server Error");
		return NULL;
	}
	if ((e = db_image_get(q->db, id, a->user.id, im)) != PR_OK) {
		if (e == PR_ENOTFOUND)
			resp_errorf(r, 404, "Image %lld not found or not "
			    "accessible", (long long)id);
		else
			db_fail(r, e);
		free(im);
		return NULL;
	}
	return im;
}

/*
 * GET /api/v1/restore/{id}: the item plus its server-relative paths.
 */
static void
item_get(struct req *q, struct resp *r)
{
	struct auth	 a;
	struct image	*im;

	if ((im = item_load(q, r, &a)) == NULL)
		return;
	resp_json(r, 200, image_json(q, im, 1));
	free(im);
}

/*
 * The name for Content-Disposition: the last component of the original
 * name (after '/' or '\'), without quotes, control bytes and (in the
 * ASCII form) with each non-ASCII character as '_'.
 */
static void
download_names(const char *orig, const char *ext, char *ascii,
    size_t asz, char *utf8, size_t usz)
{
	const char	*base, *p;
	size_t		 a = 0, o = 0;

	base = orig;
	for (p = orig; *p != '\0'; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	for (p = base; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c == 0x7f || c == '"')
			continue;
		if (o + 1 < usz)
			utf8[o++] = (char)c;
		if (c >= 0x80 && (c & 0xc0) == 0x80)
			continue;	/* a continuation byte */
		if (a + 1 < asz)
			ascii[a++] = c >= 0x80 ? '_' : (char)c;
	}
	utf8[o] = '\0';
	ascii[a] = '\0';
	if (a == 0) {
		snprintf(ascii, asz, "image%s", ext);
		snprintf(utf8, usz, "image%s", ext);
	}
}

/*
 * GET /api/v1/restore/{id}/download: nginx sends the processed file
 * (X-Accel-Redirect to its internal location), with the type read from
 * the file's own magic bytes and an attachment name.
 */
static void
item_download(struct req *q, struct resp *r)
{
	struct auth	 a;
	struct image	*im;
	char		 path[PATH_MAX], enc[PATH_MAX * 3];
	char		 ascii[256], utf8[256], pct[800];
	unsigned char	 head[16];
	ssize_t		 n = -1;
	int		 fd;
	enum img_format	 f;

	if ((im = item_load(q, r, &a)) == NULL)
		return;
	if (store_path(q->cfg->processed_dir, im->processed_path, path,
	    sizeof(path)) == -1 || pct_encode(im->processed_path, "-._~/",
	    enc, sizeof(enc)) == -1) {
		log_error("image %lld has an unusable processed_path",
		    (long long)im->id);
		resp_error(r, 500, "Internal Server Error");
		goto out;
	}
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) != -1) {
		n = read(fd, head, sizeof(head));
		close(fd);
	}
	if (n <= 0) {
		resp_error(r, 404, "Processed image file not found");
		goto out;
	}
	f = img_sniff(head, (size_t)n);
	download_names(im->original_filename, fmt_ext(f == IMG_NONE ?
	    IMG_JPEG : f), ascii, sizeof(ascii), utf8, sizeof(utf8));
	if (pct_encode(utf8, "!#$&+-.^_`|~", pct, sizeof(pct)) == -1)
		snprintf(pct, sizeof(pct), "image");
	resp_empty(r, 200);
	r->content_type = f == IMG_NONE ? "application/octet-stream" :
	    fmt_mime(f);
	resp_header(r, "Content-Disposition", "attachment; "
	    "filename=\"restored-%s\"; filename*=UTF-8''restored-%s", ascii,
	    pct);
	resp_header(r, "X-Accel-Redirect", "/_protected/processed/%s", enc);
	resp_header(r, "Cache-Control", "private, no-cache");
out:
	free(im);
}

/*
 * DELETE /api/v1/restore/{id}: both files, then the row.
 */
static void
item_delete(struct req *q, struct resp *r)
{
	struct auth	 a;
	struct image	*im;
	cJSON		*o;
	char		 msg[96];
	int		 removed = 0;
	enum pr_err	 e;

	if ((im = item_load(q, r, &a)) == NULL)
		return;
	if (store_remove(q->cfg, im, &removed) == -1) {
		resp_error(r, 500, "Could not delete the image files");
		goto out;
	}
	if ((e = db_image_delete(q->db, im->id, a.user.id)) != PR_OK &&
	    e != PR_ENOTFOUND) {
		db_fail(r, e);
		goto out;
	}
	if ((o = cJSON_CreateObject()) == NULL) {
		resp_json(r, 500, NULL);
		goto out;
	}
	snprintf(msg, sizeof(msg), "Image %lld deleted successfully",
	    (long long)im->id);
	cJSON_AddBoolToObject(o, "success", 1);
	cJSON_AddStringToObject(o, "message", msg);
	cJSON_AddNumberToObject(o, "files_deleted", removed);
	resp_json(r, 200, o);
	log_info("user %lld deleted image %lld (%d files)",
	    (long long)a.user.id, (long long)im->id, removed);
out:
	free(im);
}

static const struct route routes[] = {
	{ "GET", "/api/v1/models", models_list, 0 },
	{ "GET", "/api/v1/models/*", models_get, 0 },
	{ "POST", "/api/v1/restore", restore, RT_STREAM },
	{ "GET", "/api/v1/restore/history", history, 0 },
	{ "GET", "/api/v1/restore/*", item_get, 0 },
	{ "DELETE", "/api/v1/restore/*", item_delete, 0 },
	{ "GET", "/api/v1/restore/*/download", item_download, 0 },
	{ "GET", "/health", health_handler, 0 },
	{ "GET", "/api/v1/health", health_handler, 0 },
};

/*
 * max_body is the hard ceiling of a stream body; the handler caps it
 * lower from file_storage.max_upload_size_mb (twice the file limit plus
 * slack, just above nginx's client_max_body_size).
 */
static const struct app app = {
	"restore", routes, sizeof(routes) / sizeof(routes[0]), BODY_HARD_MAX
};

int
main(int argc, char *argv[])
{

	return fcgi_main(&app, argc, argv);
}
