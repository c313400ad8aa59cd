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
 *
 * The same checks serve the background jobs (issue 10): POST
 * /api/v1/jobs stores the accepted uploads and queues a job that
 * `photorestore worker` (cli/worker.c) runs; GET, DELETE and the zip
 * download of a job are here too.  Both paths count the daily quota
 * (processing.max_images_per_day) and use the result cache (the same
 * user, bytes, model and canonical parameters: the stored result again,
 * no provider run).
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

/*
 * File bytes: counted, and kept while within b's maximum (past it the
 * 413 follows, so they are dropped).  Returns 0, or 1 to stop the parse.
 */
static int
part_file(struct buf *b, uint64_t *size, const void *p, size_t n)
{

	*size += n;
	if (*size > b->max) {
		buf_free(b);
		return 0;
	}
	return buf_append(b, p, n) != PR_OK;
}

/* A text field's bytes: kept within b's maximum, else *over is set. */
static void
part_field(struct buf *b, int *over, const void *p, size_t n)
{

	if (!*over && buf_append(b, p, n) != PR_OK)
		*over = 1;
}

/* Part data: kept within each field's maximum, file bytes counted. */
static int
up_data(void *arg, const void *p, size_t n)
{
	struct upload	*u = arg;

	switch (u->cur) {
	case FLD_FILE:
		return part_file(&u->file, &u->file_size, p, n);
	case FLD_MODEL:
		part_field(&u->model, &u->model_over, p, n);
		break;
	case FLD_PARAMS:
		part_field(&u->params, &u->params_over, p, n);
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
 * Read the whole body through the multipart parser, whose callbacks cb
 * fill u.  Returns 0, or -1 with the answer in r.  A body that is not
 * multipart at all counts as an empty form (the 422 of the missing parts
 * follows).
 */
static int
read_form(struct req *q, struct resp *r, const struct mp_callbacks *cb,
    void *u, uint64_t cap)
{
	static char		 chunk[CHUNK];
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
	if ((mp = mp_new(q->content_type, cb, u, &me)) == NULL) {
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
	char	 detail[1024];
	int	 status;

	prov_http_error(pe, res, &status, detail, sizeof(detail));
	resp_error(r, status, detail);
	if (pe == PROV_ERATE)
		resp_header(r, "Retry-After", "%d", res->retry_after > 0 ?
		    res->retry_after : 10);
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
 * Checks 2-6 of API.md §4.2 for one uploaded file, in the contract's
 * order: a filename, an extension, an allowed one, the size (from the
 * bytes actually sent), then magic bytes and a full decode with the pixel
 * count capped.  Returns 0 with *infmt, or -1 with the answer in r.
 */
static int
file_check(const struct config *cfg, struct resp *r, int has_filename,
    const char *filename, uint64_t size, const struct buf *data,
    enum img_format *infmt)
{
	struct pr_image	 img;
	const char	*suf;
	char		 ext[32], shown[256], why[512], list[256];
	enum img_err	 ie;
	size_t		 i;

	if (!has_filename) {
		resp_error(r, 400, "No filename provided");
		return -1;
	}
	if ((suf = name_suffix(filename)) == NULL) {
		resp_error(r, 400, "File has no extension");
		return -1;
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
		return -1;
	}
	if ((double)size > cfg->max_upload_size_mb * MIB) {
		resp_errorf(r, 413, "File size (%.2fMB) exceeds maximum "
		    "allowed size (%.2fMB)", (double)size / MIB,
		    cfg->max_upload_size_mb);
		return -1;
	}
	memset(&img, 0, sizeof(img));
	why[0] = '\0';
	*infmt = img_sniff(data->data, data->len);
	ie = img_decode(data->data, data->len, cfg->max_pixels, &img, why,
	    sizeof(why));
	img_free(&img);
	if (ie != IMG_OK) {
		if (why[0] == '\0')
			snprintf(why, sizeof(why), "%s", img_strerror(ie));
		resp_errorf(r, 400, "Invalid image data: %s", why);
		return -1;
	}
	return 0;
}

/* The model and parameters fields of a restore or job form. */
struct mform {
	const struct buf *model;
	int		 model_over;
	int		 has_params;
	const struct buf *params;
	int		 params_over;
};

/* What model_check() found: all but model are freed by the caller. */
struct mchoice {
	const cJSON	*model;		/* borrowed from the configuration */
	cJSON		*user;		/* the client's parameters, or NULL */
	char		*ptext;		/* their JSON text, or NULL */
	cJSON		*merged;	/* laid over the model's */
	char		*canon;		/* json_canonical(merged) */
};

static void
mchoice_free(struct mchoice *c)
{

	cJSON_Delete(c->user);
	cJSON_Delete(c->merged);
	free(c->ptext);
	free(c->canon);
	memset(c, 0, sizeof(*c));
}

/*
 * Checks 7-8 of API.md §4.2: the model (known, enabled, provider
 * usable), then the parameters (a JSON object, checked against a
 * Replicate schema), merged over the model's own.  Returns 0 with c
 * filled, or -1 with the answer in r.
 */
static int
model_check(const struct config *cfg, struct resp *r, const struct mform *f,
    struct mchoice *c)
{
	const cJSON	*rs;
	const char	*prov;
	char		 model_id[MODEL_ID_MAX + 1], why[512];

	memset(c, 0, sizeof(*c));
	utf8_clean(f->model->data != NULL ? f->model->data : "", model_id,
	    sizeof(model_id));
	c->model = f->model_over || f->model->data == NULL ||
	    memchr(f->model->data, '\0', f->model->len) ? NULL :
	    cfg_model(cfg, f->model->data);
	if (c->model == NULL || !model_visible(cfg, c->model)) {
		resp_errorf(r, 400, "Unknown model: %s", model_id);
		return -1;
	}
	if (f->has_params && f->params->len > 0) {
		if (f->params_over) {
			resp_errorf(r, 400, "Invalid parameters JSON: longer "
			    "than %d bytes", PARAMS_MAX);
			return -1;
		}
		if ((c->user = params_parse(f->params->data, f->params->len,
		    why, sizeof(why))) == NULL) {
			resp_errorf(r, 400, "Invalid parameters JSON: %s",
			    why);
			return -1;
		}
		prov = mstr(c->model, "provider");
		rs = cJSON_GetObjectItemCaseSensitive(c->model,
		    "replicate_schema");
		if (strcmp(prov, "replicate") == 0 && cJSON_IsObject(rs) &&
		    params_check(rs, c->user, why, sizeof(why)) == -1) {
			resp_errorf(r, 400, "Invalid parameters JSON: %s",
			    why);
			return -1;
		}
		if ((c->ptext = cJSON_PrintUnformatted(c->user)) == NULL) {
			resp_error(r, 500, "Internal Server Error");
			return -1;
		}
		if (strlen(c->ptext) > PARAMS_MAX) {
			resp_errorf(r, 400, "Invalid parameters JSON: longer "
			    "than %d bytes", PARAMS_MAX);
			return -1;
		}
	}
	if ((c->merged = params_merge(c->model, c->user)) == NULL ||
	    (c->canon = json_canonical(c->merged)) == NULL) {
		resp_error(r, 500, "Internal Server Error");
		return -1;
	}
	if (strlen(c->canon) >= IMG_PARAMS_MAX) {
		resp_errorf(r, 400, "Invalid parameters JSON: longer than %d "
		    "bytes", PARAMS_MAX);
		return -1;
	}
	return 0;
}

/*
 * The daily quota (processing.max_images_per_day, 0 = none): n more
 * images on top of today's and those that the user's queued jobs have
 * reserved.  Returns 0, or -1 with the 429 (Retry-After: the seconds to
 * the next UTC midnight) or the 5xx in r.
 * XXX Two synchronous requests of one user at the same moment may both
 * pass the last free image: the count is taken when the image is made.
 */
static int
quota_check(struct req *q, struct resp *r, int64_t user_id, int64_t n)
{
	int64_t		 max, used = 0, pending = 0, ends;
	char		 day[16];
	enum pr_err	 e;

	if ((max = cfg_processing(q->cfg, "max_images_per_day", 0)) <= 0)
		return 0;
	usage_day(q->now, day, &ends);
	if ((e = db_usage_get(q->db, user_id, day, &used)) != PR_OK ||
	    (e = db_job_pending_items(q->db, user_id, &pending)) != PR_OK) {
		db_fail(r, e);
		return -1;
	}
	if (used + pending + n <= max)
		return 0;
	resp_error(r, 429, "Daily image quota exceeded");
	resp_header(r, "Retry-After", "%lld", (long long)(ends - q->now));
	return -1;
}

/* Count one more image made today by the user. */
static void
usage_count(struct req *q, int64_t user_id)
{
	char	 day[16];

	usage_day(q->now, day, NULL);
	if (db_usage_add(q->db, user_id, day, 1) != PR_OK)
		log_warn("could not count an image of user %lld",
		    (long long)user_id);
}

/* The RestoreResponse of API.md §4.2 for a stored image. */
static cJSON *
restore_json(const struct req *q, const struct image *im)
{
	cJSON	*o;
	char	 url[URL_MAX];

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
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
	return o;
}

/*
 * The result cache: when this user has restored the same bytes with the
 * same model and canonical parameters before, and that image is still
 * there, give it again as a new history row (new names linked to the
 * same files; see store_reuse).  Returns 1 on a hit (im filled), 0 on a
 * miss.  Errors count as misses.
 */
static int
cache_hit(struct req *q, const char *sha, const char *model_id,
    const char *canon, struct image *im)
{
	struct image	*src;
	int64_t		 id;
	enum pr_err	 e;
	int		 hit = 0;

	if ((e = db_cache_get(q->db, im->user_id, sha, model_id, canon,
	    &id)) != PR_OK) {
		if (e != PR_ENOTFOUND)
			log_warn("cache lookup: %s", pr_strerror(e));
		return 0;
	}
	if ((src = calloc(1, sizeof(*src))) == NULL)
		return 0;
	if (db_image_get(q->db, id, im->user_id, src) == PR_OK &&
	    store_reuse(q->cfg, q->db, src, im, q->now) == PR_OK)
		hit = 1;
	free(src);
	return hit;
}

/*
 * POST /api/v1/restore (API.md §4.2): every check in the contract's
 * order, the daily quota, the result cache, the per-session slot around
 * the provider run, then storage.
 */
static void
restore(struct req *q, struct resp *r)
{
	const struct config	*cfg = q->cfg;
	struct mp_callbacks	 cb = { up_begin, up_data, up_end };
	struct auth		 a;
	struct upload		 u;
	struct mform		 mf;
	struct mchoice		 mc;
	struct prov_result	 res;
	struct image		*im = NULL;
	cJSON			*errs = NULL;
	char			 sha[SHA256_HEXLEN + 1];
	uint64_t		 limit, cap;
	enum img_format		 infmt, outfmt;
	enum prov_err		 pe;
	enum pr_err		 e;
	int64_t			 slot = -1;

	memset(&u, 0, sizeof(u));
	memset(&mc, 0, sizeof(mc));
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
	if (read_form(q, r, &cb, &u, cap) == -1)
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

	/* 2-6. The file; 7-8. the model and the parameters. */
	if (file_check(cfg, r, u.has_filename, u.filename, u.file_size,
	    &u.file, &infmt) == -1)
		goto out;
	mf.model = &u.model;
	mf.model_over = u.model_over;
	mf.has_params = u.has_params;
	mf.params = &u.params;
	mf.params_over = u.params_over;
	if (model_check(cfg, r, &mf, &mc) == -1)
		goto out;

	/* The daily quota. */
	if (quota_check(q, r, a.user.id, 1) == -1)
		goto out;

	if ((im = calloc(1, sizeof(*im))) == NULL ||
	    sha256_hex(u.file.data, u.file.len, sha) == -1) {
		resp_error(r, 500, "Internal Server Error");
		goto out;
	}
	im->user_id = a.user.id;
	snprintf(im->session_id, sizeof(im->session_id), "%s",
	    a.claims.session_id);
	utf8_clean(u.filename, im->original_filename,
	    sizeof(im->original_filename));
	/* The configured id (at most 100 bytes), not the field's bytes. */
	snprintf(im->model_id, sizeof(im->model_id), "%s",
	    mstr(mc.model, "id"));
	if (mc.ptext != NULL) {
		snprintf(im->model_parameters, sizeof(im->model_parameters),
		    "%s", mc.ptext);
		im->has_model_parameters = 1;
	}

	/* The result cache: no provider run for a result we have. */
	if (cache_hit(q, sha, im->model_id, mc.canon, im)) {
		usage_count(q, a.user.id);
		resp_json(r, 200, restore_json(q, im));
		log_info("user %lld restored image %lld with %s (cached)",
		    (long long)a.user.id, (long long)im->id, im->model_id);
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
	pe = provider_run(cfg, mc.model, mc.merged, (const unsigned char *)
	    u.file.data, u.file.len, fmt_mime(infmt), &res);
	if (pe != PROV_OK) {
		log_info("model %s failed: %s", im->model_id,
		    prov_strerror(pe));
		provider_fail(r, pe, &res);
		goto out;
	}
	if ((outfmt = img_sniff(res.data.data, res.data.len)) == IMG_NONE) {
		resp_error(r, 502, "Model service error: the model did not "
		    "return a JPEG or PNG image");
		goto out;
	}

	/* Storage, then the row. */
	if (store_restore(q, r, &u, infmt, &res, outfmt, im) == -1)
		goto out;
	usage_count(q, a.user.id);
	if ((e = db_cache_put(q->db, a.user.id, sha, im->model_id, mc.canon,
	    im->id)) != PR_OK)
		log_warn("could not remember image %lld in the cache: %s",
		    (long long)im->id, pr_strerror(e));
	resp_json(r, 200, restore_json(q, im));
	log_info("user %lld restored image %lld with %s",
	    (long long)a.user.id, (long long)im->id, im->model_id);
out:
	if (slot != -1 && db_slot_release(q->db, slot) != PR_OK &&
	    db_slot_release(q->db, slot) != PR_OK)
		log_warn("could not release upload slot %lld (it expires)",
		    (long long)slot);
	prov_result_free(&res);
	free(im);
	mchoice_free(&mc);
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

/* --------------------------------------------------------------- jobs */

/*
 * POST /api/v1/jobs takes up to JOB_FILES_MAX "file" parts (the
 * multipart parser allows MP_MAX_PARTS parts, model_id and parameters
 * among them), all within the same body cap as POST /api/v1/restore
 * (nginx's client_max_body_size for /api/v1/jobs is the same).
 */
#define JOB_FILES_MAX	(MP_MAX_PARTS - 2)
#define JOBS_LIST_MAX	100

struct jfile {
	int		 has_filename;
	char		 filename[sizeof(((struct mp_part *)0)->filename)];
	struct buf	 data;
	uint64_t	 size;
	enum img_format	 fmt;
	char		 rel[512];	/* stored upload, "" until stored */
	char		 sha[SHA256_HEXLEN + 1];
};

struct jobform {
	enum field	 cur;
	size_t		 limit;
	struct jfile	 files[JOB_FILES_MAX];
	size_t		 nfiles;
	int		 too_many;
	int		 has_model;
	struct buf	 model;
	int		 model_over;
	int		 has_params;
	struct buf	 params;
	int		 params_over;
};

static int
jf_begin(void *arg, const struct mp_part *p)
{
	struct jobform	*f = arg;
	struct jfile	*jf;

	f->cur = FLD_NONE;
	if (strcmp(p->name, "file") == 0) {
		if (f->nfiles == JOB_FILES_MAX) {
			f->too_many = 1;
			return 0;
		}
		jf = &f->files[f->nfiles++];
		f->cur = FLD_FILE;
		jf->has_filename = p->has_filename && p->filename[0] != '\0';
		memcpy(jf->filename, p->filename, sizeof(jf->filename));
		buf_init(&jf->data, f->limit);
	} else if (strcmp(p->name, "model_id") == 0) {
		f->cur = FLD_MODEL;
		f->has_model = 1;
		buf_reset(&f->model);
		f->model_over = 0;
	} else if (strcmp(p->name, "parameters") == 0) {
		f->cur = FLD_PARAMS;
		f->has_params = 1;
		buf_reset(&f->params);
		f->params_over = 0;
	}
	return 0;
}

static int
jf_data(void *arg, const void *p, size_t n)
{
	struct jobform	*f = arg;
	struct jfile	*jf;

	switch (f->cur) {
	case FLD_FILE:
		jf = &f->files[f->nfiles - 1];
		return part_file(&jf->data, &jf->size, p, n);
	case FLD_MODEL:
		part_field(&f->model, &f->model_over, p, n);
		break;
	case FLD_PARAMS:
		part_field(&f->params, &f->params_over, p, n);
		break;
	default:
		break;
	}
	return 0;
}

static int
jf_end(void *arg)
{
	struct jobform	*f = arg;

	f->cur = FLD_NONE;
	return 0;
}

/*
 * The {job_id} path segment: 0 with *id, or -1 with the 422 (not an
 * integer) or 404 (out of range) in r.
 */
static int
job_path_id(const struct req *q, struct resp *r, int64_t *id)
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
		verr_add(errs, "int_parsing", "path", "job_id",
		    "Input should be a valid integer, unable to parse string "
		    "as an integer", cJSON_CreateString(seg));
		resp_422(r, errs);
		return -1;
	}
	if (rc == 1 || v <= 0) {
		resp_errorf(r, 404, "Job %s not found", seg);
		return -1;
	}
	*id = v;
	return 0;
}

/* Progress 0-100: finished items over all; 100 once the job is over. */
static int
job_progress(const struct job *j)
{

	if (strcmp(j->status, "done") == 0 || strcmp(j->status, "failed") == 0
	    || j->total <= 0)
		return 100;
	if (j->done_count >= j->total)
		return 100;
	return (int)(j->done_count * 100 / j->total);
}

struct jitems {
	struct req	*q;
	int64_t		 user_id;
	cJSON		*items;
	int		 fail;
};

/* One item of a job: its name, status, RestoreResponse or error. */
static int
jitem_json(const struct job_item *it, void *arg)
{
	struct jitems	*ji = arg;
	struct image	*im;
	cJSON		*o, *e;

	if ((o = cJSON_CreateObject()) == NULL) {
		ji->fail = 1;
		return 1;
	}
	cJSON_AddItemToArray(ji->items, o);
	cJSON_AddStringToObject(o, "original_filename", it->original_filename);
	cJSON_AddStringToObject(o, "status", it->status);
	im = NULL;
	if (it->image_id > 0 && (im = calloc(1, sizeof(*im))) != NULL &&
	    db_image_get(ji->q->db, it->image_id, ji->user_id, im) == PR_OK)
		cJSON_AddItemToObject(o, "result", restore_json(ji->q, im));
	else
		cJSON_AddNullToObject(o, "result");
	free(im);
	if (it->error_status > 0 && (e = cJSON_CreateObject()) != NULL) {
		cJSON_AddNumberToObject(e, "status", it->error_status);
		cJSON_AddStringToObject(e, "detail", it->error_detail);
		cJSON_AddItemToObject(o, "error", e);
	} else
		cJSON_AddNullToObject(o, "error");
	return 0;
}

/*
 * A job as GET /api/v1/jobs/{id} shows it (with_items) or as one entry
 * of GET /api/v1/jobs.  NULL when out of memory or the items could not
 * be read.
 */
static cJSON *
job_json(struct req *q, const struct job *j, int with_items)
{
	struct jitems	 ji;
	cJSON		*o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddNumberToObject(o, "job_id", (double)j->id);
	cJSON_AddStringToObject(o, "status", j->status);
	cJSON_AddNumberToObject(o, "progress", job_progress(j));
	cJSON_AddNumberToObject(o, "total", (double)j->total);
	cJSON_AddNumberToObject(o, "done", (double)j->done_count);
	cJSON_AddStringToObject(o, "model_id", j->model_id);
	add_str_or_null(o, "model_parameters", j->has_parameters ?
	    j->parameters : NULL, 0);
	add_str_or_null(o, "session_id", j->session_uuid, 1);
	cJSON_AddStringToObject(o, "created_at", j->created_at);
	cJSON_AddStringToObject(o, "updated_at", j->updated_at);
	if (!with_items)
		return o;
	memset(&ji, 0, sizeof(ji));
	ji.q = q;
	ji.user_id = j->user_id;
	if ((ji.items = cJSON_AddArrayToObject(o, "items")) == NULL ||
	    db_job_items(q->db, j->id, jitem_json, &ji) != PR_OK || ji.fail) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* Load the caller's job named by the path; 422/404/5xx answered. */
static struct job *
job_load(struct req *q, struct resp *r, struct auth *a)
{
	struct job	*j;
	int64_t		 id;
	enum pr_err	 e;

	if (auth_check(q, r, AUTH_USER, 0, a) == -1 ||
	    job_path_id(q, r, &id) == -1)
		return NULL;
	if ((j = malloc(sizeof(*j))) == NULL) {
		resp_error(r, 500, "Internal Server Error");
		return NULL;
	}
	if ((e = db_job_get(q->db, id, a->user.id, j)) != PR_OK) {
		if (e == PR_ENOTFOUND)
			resp_errorf(r, 404, "Job %lld not found", (long long)id);
		else
			db_fail(r, e);
		free(j);
		return NULL;
	}
	return j;
}

/*
 * Store the accepted uploads under server-made names (they become the
 * originals of the images the worker makes).  Returns 0, or -1 with the
 * answer in r and nothing left behind.
 */
static int
job_store_uploads(struct req *q, struct resp *r, struct jobform *f,
    int64_t user_id)
{
	char		 uuid[37], sub[32], name[64];
	size_t		 i;

	snprintf(sub, sizeof(sub), "%lld", (long long)user_id);
	for (i = 0; i < f->nfiles; i++) {
		if (pr_uuid4(uuid) == -1) {
			resp_error(r, 500, "Internal Server Error");
			return -1;
		}
		snprintf(name, sizeof(name), "%s%s", uuid,
		    fmt_ext(f->files[i].fmt));
		if (store_write(q->cfg->upload_dir, sub, name,
		    f->files[i].data.data, f->files[i].data.len) == -1) {
			store_fail(r, "upload");
			return -1;
		}
		snprintf(f->files[i].rel, sizeof(f->files[i].rel), "%s/%s",
		    sub, name);
		buf_free(&f->files[i].data);
	}
	return 0;
}

/*
 * POST /api/v1/jobs: a batch restoration run by `photorestore worker`.
 * The form is that of POST /api/v1/restore with one or more "file"
 * parts.  Every file is checked as §4.2 checks one (name, extension,
 * size, decode) before anything is stored, and the first bad file fails
 * the whole request with §4.2's status and detail: a batch is accepted
 * whole or not at all, so the client learns at once and no quota is
 * spent.  Errors met later (the provider's) are per file, in the job.
 * Then: the bounded queue (processing.queue_size jobs queued or running
 * over all users: 429 "Job queue is full"), the daily quota (all the
 * files count), then the uploads are stored and the job and its items
 * written in one transaction.  202 {"job_id", "status", "total"}.
 */
static void
jobs_create(struct req *q, struct resp *r)
{
	const struct config	*cfg = q->cfg;
	struct mp_callbacks	 cb = { jf_begin, jf_data, jf_end };
	struct auth		 a;
	struct jobform		*f;
	struct mform		 mf;
	struct mchoice		 mc;
	struct job		*j = NULL;
	struct job_item		 it;
	cJSON			*errs = NULL, *o;
	uint64_t		 limit, cap;
	int64_t			 active, qsize;
	size_t			 i;
	enum pr_err		 e;
	int			 intx = 0, stored = 0;

	memset(&mc, 0, sizeof(mc));
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		resp_error(r, 500, "Internal Server Error");
		return;
	}
	limit = (uint64_t)floor(cfg->max_upload_size_mb * MIB);
	f->limit = (size_t)limit;
	buf_init(&f->model, MODEL_ID_MAX);
	buf_init(&f->params, PARAMS_MAX);
	if (auth_check(q, r, AUTH_USER, 0, &a) == -1)
		goto out;
	cap = limit * 2 + BODY_SLACK;
	if (cap > BODY_HARD_MAX)
		cap = BODY_HARD_MAX;
	if (read_form(q, r, &cb, f, cap) == -1)
		goto out;

	errs = verr_new();
	if (f->nfiles == 0)
		verr_add(errs, "missing", "body", "file", "Field required",
		    NULL);
	if (!f->has_model || f->model.len == 0)
		verr_add(errs, "missing", "body", "model_id",
		    "Field required", NULL);
	if (cJSON_GetArraySize(errs) > 0) {
		resp_422(r, errs);
		errs = NULL;
		goto out;
	}
	if (f->too_many) {
		resp_errorf(r, 400, "At most %d files per job",
		    JOB_FILES_MAX);
		goto out;
	}
	for (i = 0; i < f->nfiles; i++)
		if (file_check(cfg, r, f->files[i].has_filename,
		    f->files[i].filename, f->files[i].size, &f->files[i].data,
		    &f->files[i].fmt) == -1)
			goto out;
	mf.model = &f->model;
	mf.model_over = f->model_over;
	mf.has_params = f->has_params;
	mf.params = &f->params;
	mf.params_over = f->params_over;
	if (model_check(cfg, r, &mf, &mc) == -1)
		goto out;
	for (i = 0; i < f->nfiles; i++)
		if (sha256_hex(f->files[i].data.data, f->files[i].data.len,
		    f->files[i].sha) == -1) {
			resp_error(r, 500, "Internal Server Error");
			goto out;
		}

	/* The uploads first (outside the lock), then the rows. */
	if (job_store_uploads(q, r, f, a.user.id) == -1)
		goto out;
	stored = 1;
	if ((e = db_begin(q->db)) != PR_OK) {
		db_fail(r, e);
		goto out;
	}
	intx = 1;
	qsize = cfg_processing(cfg, "queue_size", 100);
	if ((e = db_job_count_active(q->db, &active)) != PR_OK) {
		db_fail(r, e);
		goto out;
	}
	if (active >= qsize) {
		resp_error(r, 429, "Job queue is full");
		resp_header(r, "Retry-After", "30");
		goto out;
	}
	if (quota_check(q, r, a.user.id, (int64_t)f->nfiles) == -1)
		goto out;
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		resp_error(r, 500, "Internal Server Error");
		goto out;
	}
	j->user_id = a.user.id;
	snprintf(j->session_uuid, sizeof(j->session_uuid), "%s",
	    a.claims.session_id);
	snprintf(j->model_id, sizeof(j->model_id), "%s",
	    mstr(mc.model, "id"));
	if (mc.ptext != NULL) {
		snprintf(j->parameters, sizeof(j->parameters), "%s",
		    mc.ptext);
		j->has_parameters = 1;
	}
	snprintf(j->params_canonical, sizeof(j->params_canonical), "%s",
	    mc.canon);
	j->total = (int64_t)f->nfiles;
	if ((e = db_job_insert(q->db, j, q->now)) != PR_OK) {
		db_fail(r, e);
		goto out;
	}
	for (i = 0; i < f->nfiles; i++) {
		memset(&it, 0, sizeof(it));
		it.job_id = j->id;
		it.position = (int64_t)i;
		utf8_clean(f->files[i].filename, it.original_filename,
		    sizeof(it.original_filename));
		snprintf(it.upload_path, sizeof(it.upload_path), "%s",
		    f->files[i].rel);
		snprintf(it.status, sizeof(it.status), "queued");
		memcpy(it.input_sha256, f->files[i].sha,
		    sizeof(it.input_sha256));
		if ((e = db_job_item_insert(q->db, &it)) != PR_OK) {
			db_fail(r, e);
			goto out;
		}
	}
	if ((e = db_commit(q->db)) != PR_OK) {
		db_fail(r, e);
		goto out;
	}
	intx = 0;
	stored = 0;	/* the job owns the uploads now */
	if ((o = cJSON_CreateObject()) == NULL) {
		resp_json(r, 500, NULL);
		goto out;
	}
	cJSON_AddNumberToObject(o, "job_id", (double)j->id);
	cJSON_AddStringToObject(o, "status", j->status);
	cJSON_AddNumberToObject(o, "total", (double)j->total);
	resp_json(r, 202, o);
	log_info("user %lld queued job %lld (%lld files, %s)",
	    (long long)a.user.id, (long long)j->id, (long long)j->total,
	    j->model_id);
out:
	if (intx)
		db_rollback(q->db);
	for (i = 0; i < f->nfiles; i++) {
		if (stored && f->files[i].rel[0] != '\0')
			store_undo(cfg->upload_dir, f->files[i].rel);
		buf_free(&f->files[i].data);
	}
	free(j);
	mchoice_free(&mc);
	cJSON_Delete(errs);
	buf_free(&f->model);
	buf_free(&f->params);
	free(f);
}

/*
 * GET /api/v1/jobs/{id}: the job with its items (RestoreResponse or
 * error each); another user's job is 404 like a missing one.
 */
static void
jobs_get(struct req *q, struct resp *r)
{
	struct auth	 a;
	struct job	*j;

	if ((j = job_load(q, r, &a)) == NULL)
		return;
	resp_json(r, 200, job_json(q, j, 1));
	free(j);
}

struct jlist {
	struct req	*q;
	cJSON		*jobs;
};

static int
jlist_one(const struct job *j, void *arg)
{
	struct jlist	*jl = arg;

	cJSON_AddItemToArray(jl->jobs, job_json(jl->q, j, 0));
	return 0;
}

/*
 * GET /api/v1/jobs?limit=20&offset=0: the caller's jobs, newest first,
 * without their items: {"jobs": [...], "total", "limit", "offset"}.
 */
static void
jobs_list(struct req *q, struct resp *r)
{
	struct auth	 a;
	struct jlist	 jl;
	cJSON		*errs, *o;
	long long	 limit, offset;
	int64_t		 total = 0;
	enum pr_err	 e;

	if (auth_check(q, r, AUTH_USER, 0, &a) == -1)
		return;
	errs = verr_new();
	query_int(q, "limit", 20, 1, JOBS_LIST_MAX, errs, &limit);
	query_int(q, "offset", 0, 0, LLONG_MAX, errs, &offset);
	if (cJSON_GetArraySize(errs) > 0) {
		resp_422(r, errs);
		return;
	}
	cJSON_Delete(errs);
	if ((o = cJSON_CreateObject()) == NULL ||
	    (jl.jobs = cJSON_AddArrayToObject(o, "jobs")) == NULL) {
		resp_json(r, 500, o);
		return;
	}
	jl.q = q;
	if ((e = db_job_list(q->db, a.user.id, limit, offset, jlist_one, &jl,
	    &total)) != PR_OK) {
		cJSON_Delete(o);
		db_fail(r, e);
		return;
	}
	cJSON_AddNumberToObject(o, "total", (double)total);
	cJSON_AddNumberToObject(o, "limit", (double)limit);
	cJSON_AddNumberToObject(o, "offset", (double)offset);
	resp_json(r, 200, o);
}

/* The stored uploads of a job's queued items (cancel removes them). */
struct jqueued {
	char	(*rel)[512];
	size_t	 n;
	size_t	 max;
};

static int
jqueued_one(const struct job_item *it, void *arg)
{
	struct jqueued	*jq = arg;

	if (strcmp(it->status, "queued") == 0 && it->upload_path[0] != '\0' &&
	    jq->n < jq->max)
		snprintf(jq->rel[jq->n++], sizeof(jq->rel[0]), "%s",
		    it->upload_path);
	return 0;
}

/*
 * DELETE /api/v1/jobs/{id}: cancel.  Items not yet started are not run
 * (their uploads are removed); an item the worker is running finishes and
 * keeps its result; a job already over is left as it is.  200 with the
 * job.
 */
static void
jobs_cancel(struct req *q, struct resp *r)
{
	struct auth	 a;
	struct job	*j;
	struct jqueued	 jq;
	enum pr_err	 e;
	size_t		 i;

	memset(&jq, 0, sizeof(jq));
	if ((j = job_load(q, r, &a)) == NULL)
		return;
	jq.max = (size_t)(j->total > 0 && j->total <= 1000 ? j->total : 1);
	if ((jq.rel = calloc(jq.max, sizeof(*jq.rel))) == NULL) {
		resp_error(r, 500, "Internal Server Error");
		goto out;
	}
	if ((e = db_begin(q->db)) != PR_OK) {
		db_fail(r, e);
		goto out;
	}
	if (strcmp(j->status, "queued") == 0 ||
	    strcmp(j->status, "running") == 0) {
		if ((e = db_job_items(q->db, j->id, jqueued_one, &jq)) !=
		    PR_OK || (e = db_job_cancel(q->db, j->id, a.user.id,
		    q->now)) != PR_OK) {
			db_rollback(q->db);
			db_fail(r, e);
			goto out;
		}
	}
	if ((e = db_commit(q->db)) != PR_OK) {
		db_rollback(q->db);
		db_fail(r, e);
		goto out;
	}
	for (i = 0; i < jq.n; i++)
		store_undo(q->cfg->upload_dir, jq.rel[i]);
	if ((e = db_job_get(q->db, j->id, a.user.id, j)) != PR_OK) {
		db_fail(r, e);
		goto out;
	}
	resp_json(r, 200, job_json(q, j, 1));
	log_info("user %lld cancelled job %lld", (long long)a.user.id,
	    (long long)j->id);
out:
	free(jq.rel);
	free(j);
}

/* What goes into a job's zip: a name and the stored result per item. */
struct jzip {
	struct req		*q;
	int64_t			 user_id;
	struct zip_member	*m;
	char			(*names)[300];
	char			(*paths)[PATH_MAX];
	size_t			 n;
	size_t			 max;
	int			 fail;
};

/* Whether name is already in the zip. */
static int
jzip_taken(const struct jzip *z, const char *name)
{
	size_t	 i;

	for (i = 0; i < z->n; i++)
		if (strcmp(z->names[i], name) == 0)
			return 1;
	return 0;
}

static int
jzip_one(const struct job_item *it, void *arg)
{
	struct jzip	*z = arg;
	struct image	*im;
	char		 ascii[256], utf8[256];

	if (it->image_id <= 0 || z->n >= z->max)
		return 0;
	if ((im = calloc(1, sizeof(*im))) == NULL) {
		z->fail = 1;
		return 1;
	}
	if (db_image_get(z->q->db, it->image_id, z->user_id, im) != PR_OK ||
	    store_path(z->q->cfg->processed_dir, im->processed_path,
	    z->paths[z->n], sizeof(z->paths[0])) == -1) {
		free(im);
		return 0;	/* deleted from the history since */
	}
	download_names(im->original_filename, fmt_ext(IMG_JPEG), ascii,
	    sizeof(ascii), utf8, sizeof(utf8));
	snprintf(z->names[z->n], sizeof(z->names[0]), "restored-%s", utf8);
	if (jzip_taken(z, z->names[z->n]))
		snprintf(z->names[z->n], sizeof(z->names[0]),
		    "restored-%lld-%s", (long long)it->position + 1, utf8);
	z->m[z->n].name = z->names[z->n];
	z->m[z->n].path = z->paths[z->n];
	z->n++;
	free(im);
	return 0;
}

/*
 * GET /api/v1/jobs/{id}/download: a zip of the job's results, each as
 * "restored-<original name>" (a later duplicate gets its position too),
 * written to VARDIR/jobs/<user_id>/job-<id>.zip and sent by nginx
 * (X-Accel-Redirect to the internal /_protected/jobs/).  404 when the
 * job has no result yet.
 * The zip stays until the next download of the job replaces it or
 * `photorestore cleanup` removes it an hour later.
 */
static void
jobs_download(struct req *q, struct resp *r)
{
	struct auth	 a;
	struct job	*j;
	struct jzip	 z;
	char		 dir[PATH_MAX], path[PATH_MAX];
	int		 n;

	memset(&z, 0, sizeof(z));
	if ((j = job_load(q, r, &a)) == NULL)
		return;
	z.q = q;
	z.user_id = a.user.id;
	z.max = (size_t)(j->total > 0 && j->total <= 1000 ? j->total : 1);
	if ((z.m = calloc(z.max, sizeof(*z.m))) == NULL ||
	    (z.names = calloc(z.max, sizeof(*z.names))) == NULL ||
	    (z.paths = calloc(z.max, sizeof(*z.paths))) == NULL) {
		resp_error(r, 500, "Internal Server Error");
		goto out;
	}
	if (db_job_items(q->db, j->id, jzip_one, &z) != PR_OK || z.fail) {
		resp_error(r, 500, "Internal Server Error");
		goto out;
	}
	if (z.n == 0) {
		resp_errorf(r, 404, "Job %lld has no results to download",
		    (long long)j->id);
		goto out;
	}
	n = snprintf(dir, sizeof(dir), "%s/jobs", q->cfg->vardir);
	if (n < 0 || (size_t)n >= sizeof(dir) ||
	    (mkdir(dir, 0750) == -1 && errno != EEXIST)) {
		store_fail(r, "zip");
		goto out;
	}
	n = snprintf(path, sizeof(path), "%s/%lld", dir,
	    (long long)a.user.id);
	if (n < 0 || (size_t)n >= sizeof(path) ||
	    (mkdir(path, 0750) == -1 && errno != EEXIST)) {
		store_fail(r, "zip");
		goto out;
	}
	n = snprintf(path, sizeof(path), "%s/%lld/job-%lld.zip", dir,
	    (long long)a.user.id, (long long)j->id);
	if (n < 0 || (size_t)n >= sizeof(path) ||
	    zip_write(path, z.m, z.n, q->now) == -1) {
		resp_error(r, 500, "Internal Server Error");
		goto out;
	}
	resp_empty(r, 200);
	r->content_type = "application/zip";
	resp_header(r, "Content-Disposition", "attachment; "
	    "filename=\"photorestore-job-%lld.zip\"", (long long)j->id);
	resp_header(r, "X-Accel-Redirect", "/_protected/jobs/%lld/job-%lld.zip",
	    (long long)a.user.id, (long long)j->id);
	resp_header(r, "Cache-Control", "private, no-cache");
out:
	free(z.m);
	free(z.names);
	free(z.paths);
	free(j);
}

static const struct route routes[] = {
	{ "GET", "/api/v1/models", models_list, 0 },
	{ "GET", "/api/v1/models/*", models_get, 0 },
	{ "POST", "/api/v1/restore", restore, RT_STREAM },
	{ "GET", "/api/v1/restore/history", history, 0 },
	{ "GET", "/api/v1/restore/*", item_get, 0 },
	{ "DELETE", "/api/v1/restore/*", item_delete, 0 },
	{ "GET", "/api/v1/restore/*/download", item_download, 0 },
	{ "POST", "/api/v1/jobs", jobs_create, RT_STREAM },
	{ "GET", "/api/v1/jobs", jobs_list, 0 },
	{ "GET", "/api/v1/jobs/*", jobs_get, 0 },
	{ "DELETE", "/api/v1/jobs/*", jobs_cancel, 0 },
	{ "GET", "/api/v1/jobs/*/download", jobs_download, 0 },
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
