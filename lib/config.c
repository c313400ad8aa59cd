/*
 * config.c: the effective configuration (API.md §6).
 *
 * cfg_load() reads <CONFIG_DIR>/default.json, deep-merges
 * <CONFIG_DIR>/<APP_ENV>.json over it (objects merge, arrays and scalars
 * replace), then lets every environment name of §6 override its key, and
 * finally fills the keys nobody set with built-in defaults.  All of this
 * happens in one cJSON tree (cfg->root), so cfg_dump_redacted() shows the
 * values actually in effect.  Then every key is type- and range-checked
 * and copied into struct config.
 *
 * For the error messages we remember where each key came from (the file,
 * "environment variable NAME" or "built-in default") in a side table of
 * dotted paths, so a bad value is reported as
 * "conf/default.json: security.access_token_expire_minutes: must be an
 * integer between 1 and 525600".
 *
 * Secrets (security.secret_key, api_providers.*.api_key/api_token,
 * auth.password, and the keys cfg_secret() loads) are never printed and
 * are wiped with OPENSSL_cleanse() when freed.  OpenSSL is included here
 * for that alone.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "photorestore.h"

#define CFG_FILE_MAX	(1024 * 1024)	/* bigger config files are refused */
#define CFG_DEPTH_MAX	32		/* JSON nesting limit */
#define CFG_MODELS_MAX	256
#define CFG_ORIGINS_MAX	64
#define CFG_WARN_MAX	20		/* unknown-key warnings per load */
#define CFG_PATHLEN	256		/* dotted key paths in messages */
#define KEY_LEN		32		/* bytes in a generated key */
#define BUILTIN		"built-in default"

/*
 * The models used when no configuration file lists any: the three local
 * ones, so that even a minimal default.json restores photos offline
 * (API.md §4.5).
 */
static const char builtin_models[] =
	"[{\"id\":\"local-restore\",\"name\":\"Local Restore\","
	"\"model\":\"restore\",\"provider\":\"local\",\"category\":\"restore\","
	"\"description\":\"Automatic restoration on this server\","
	"\"parameters\":{\"strength\":0.7,\"denoise\":true,"
	"\"scratch_removal\":true,\"color_correction\":true},"
	"\"tags\":[\"local\",\"restore\"],\"version\":null,\"enabled\":true},"
	"{\"id\":\"local-upscale-2x\",\"name\":\"Local Upscale 2x\","
	"\"model\":\"upscale\",\"provider\":\"local\",\"category\":\"upscale\","
	"\"description\":\"2x upscaling on this server\","
	"\"parameters\":{\"scale\":2},\"tags\":[\"local\",\"upscale\"],"
	"\"version\":null,\"enabled\":true},"
	"{\"id\":\"local-upscale-4x\",\"name\":\"Local Upscale 4x\","
	"\"model\":\"upscale\",\"provider\":\"local\",\"category\":\"upscale\","
	"\"description\":\"4x upscaling on this server\","
	"\"parameters\":{\"scale\":4},\"tags\":[\"local\",\"upscale\"],"
	"\"version\":null,\"enabled\":true}]";

static const char builtin_exts[] = "[\".jpg\",\".jpeg\",\".png\"]";

static const char builtin_origins[] =
	"[\"http://localhost:3000\",\"http://localhost:5173\","
	"\"http://127.0.0.1:3000\",\"http://127.0.0.1:5173\","
	"\"http://localhost:8080\",\"https://localhost:8443\"]";

enum ktype {
	KT_STR,		/* char[] field */
	KT_INT,		/* int field */
	KT_I64,		/* int64_t field */
	KT_UINT,	/* unsigned field */
	KT_DBL,		/* double field */
	KT_BOOL		/* int field, 0 or 1 */
};

#define KF_SECRET	0x01	/* never printed; wiped */
#define KF_URL		0x02	/* must start with http:// or https:// */
#define KF_MINEXCL	0x04	/* number must be > min, not >= */
#define KF_ANYBYTE	0x08	/* control characters allowed (HMAC key) */

#define NOFIELD		SIZE_MAX
#define F(x)		offsetof(struct config, x), \
			sizeof(((struct config *)0)->x)
#define NOF		NOFIELD, 0

/*
 * One scalar key: its dotted path, its environment name (or NULL), its
 * type and range (for strings: length in bytes), its built-in default
 * and where it goes in struct config (NOFIELD: validated, kept in root).
 */
struct key {
	const char	*path;
	const char	*env;
	enum ktype	 type;
	double		 min;
	double		 max;
	const char	*def_s;
	double		 def_n;
	size_t		 off;
	size_t		 size;
	int		 flags;
};

#define KSTR(p, e, lo, hi, d, fld, fl) \
	{ p, e, KT_STR, lo, hi, d, 0, fld, fl }
#define KNUM(p, e, t, lo, hi, d, fld, fl) \
	{ p, e, t, lo, hi, NULL, d, fld, fl }

static const struct key keys[] = {
	KSTR("application.name", NULL, 1, 127, "Photo Restoration API",
	    F(app_name), 0),
	KSTR("application.version", NULL, 1, 63, "1.0.0", F(app_version), 0),
	KNUM("application.debug", "DEBUG", KT_BOOL, 0, 1, 0, F(debug), 0),

	KNUM("server.http_port", "HTTP_PORT", KT_INT, 1, 65535, 8080, NOF, 0),
	KNUM("server.https_port", "HTTPS_PORT", KT_INT, 1, 65535, 8443, NOF,
	    0),
	KNUM("server.workers", NULL, KT_INT, 1, 64, 2, F(workers), 0),
	KNUM("server.max_requests", NULL, KT_INT, 1, 10000000, 10000,
	    F(max_requests), 0),

	KNUM("cors.allow_credentials", NULL, KT_BOOL, 0, 1, 1, NOF, 0),

	KSTR("security.secret_key", "SECRET_KEY", 0, 256, "", NOF,
	    KF_SECRET | KF_ANYBYTE),
	KSTR("security.algorithm", NULL, 1, 16, "HS256", NOF, 0),
	KNUM("security.access_token_expire_minutes",
	    "ACCESS_TOKEN_EXPIRE_MINUTES", KT_I64, 1, 525600, 1440,
	    F(access_token_expire_minutes), 0),
	KNUM("security.remember_me_expire_days", NULL, KT_I64, 1, 365, 7,
	    F(remember_me_expire_days), 0),
	KNUM("security.pbkdf2_iterations", "PBKDF2_ITERATIONS", KT_UINT,
	    PW_MIN_ITER, PW_MAX_ITER, 600000, F(pbkdf2_iterations), 0),
	KNUM("security.login_max_failures", NULL, KT_INT, 1, 1000, 5,
	    F(login_max_failures), 0),
	KNUM("security.login_window_seconds", NULL, KT_INT, 1, 86400, 300,
	    F(login_window_seconds), 0),

	KSTR("api_providers.huggingface.api_key", "HF_API_KEY", 0, 511, "",
	    F(hf.api_key), KF_SECRET),
	KSTR("api_providers.huggingface.api_url", "HF_API_URL", 1, 1023,
	    "https://api-inference.huggingface.co/models", F(hf.api_url),
	    KF_URL),
	KNUM("api_providers.huggingface.timeout_seconds", "HF_API_TIMEOUT",
	    KT_INT, 1, 3600, 60, F(hf.timeout_seconds), 0),
	KNUM("api_providers.huggingface.retry_attempts", NULL, KT_INT, 0, 10,
	    3, F(hf.retry_attempts), 0),
	KNUM("api_providers.huggingface.retry_delay_seconds", NULL, KT_DBL, 0,
	    60, 2, F(hf.retry_delay_seconds), 0),
	KNUM("api_providers.huggingface.max_response_mb", NULL, KT_INT, 1,
	    1024, 50, NOF, 0),
	KSTR("api_providers.replicate.api_token", "REPLICATE_API_TOKEN", 0,
	    511, "", F(replicate.api_key), KF_SECRET),
	KSTR("api_providers.replicate.api_url", "REPLICATE_API_URL", 1, 1023,
	    "https://api.replicate.com/v1", F(replicate.api_url), KF_URL),
	KNUM("api_providers.replicate.timeout_seconds",
	    "REPLICATE_API_TIMEOUT", KT_INT, 1, 3600, 300,
	    F(replicate.timeout_seconds), 0),
	KNUM("api_providers.replicate.retry_attempts", NULL, KT_INT, 0, 10, 3,
	    F(replicate.retry_attempts), 0),
	KNUM("api_providers.replicate.retry_delay_seconds", NULL, KT_DBL, 0,
	    60, 2, F(replicate.retry_delay_seconds), 0),
	KNUM("api_providers.replicate.max_response_mb", NULL, KT_INT, 1, 1024,
	    50, NOF, 0),

	KNUM("models_api.require_auth", "MODELS_REQUIRE_AUTH", KT_BOOL, 0, 1,
	    0, F(models_require_auth), 0),

	KSTR("database.url", "DATABASE_URL", 1, 1023,
	    "sqlite:///photorestore.db", F(database_url), 0),
	KNUM("database.busy_timeout_ms", NULL, KT_INT, 0, 600000, 5000,
	    F(db_busy_timeout_ms), 0),

	KSTR("file_storage.upload_dir", "UPLOAD_DIR", 1, PATH_MAX - 1,
	    "uploads", F(upload_dir), 0),
	KSTR("file_storage.processed_dir", "PROCESSED_DIR", 1, PATH_MAX - 1,
	    "processed", F(processed_dir), 0),
	KNUM("file_storage.max_upload_size_mb", "MAX_UPLOAD_SIZE_MB", KT_DBL,
	    0, 1024, 10, F(max_upload_size_mb), KF_MINEXCL),
	KNUM("file_storage.max_pixels", NULL, KT_I64, 1, 1e9, 40000000,
	    F(max_pixels), 0),
	KNUM("file_storage.url_ttl_seconds", NULL, KT_INT, 1, 31536000, 3600,
	    F(url_ttl_seconds), 0),
	KNUM("file_storage.retention_days", NULL, KT_INT, 0, 36500, 0,
	    F(retention_days), 0),
	KNUM("file_storage.jpeg_quality", NULL, KT_INT, 1, 100, 92,
	    F(jpeg_quality), 0),

	KNUM("session.cleanup_hours", "SESSION_CLEANUP_HOURS", KT_INT, 1, 8760,
	    24, F(session_cleanup_hours), 0),

	KNUM("processing.max_concurrent_uploads_per_session",
	    "MAX_CONCURRENT_UPLOADS_PER_SESSION", KT_INT, 1, 100, 3,
	    F(max_concurrent_uploads_per_session), 0),
	KNUM("processing.queue_size", NULL, KT_INT, 1, 100000, 100, NOF, 0),
	KNUM("processing.max_images_per_day", NULL, KT_INT, 0, 1000000, 0,
	    NOF, 0),
	KNUM("processing.worker_concurrency", NULL, KT_INT, 1, 64, 1, NOF, 0),
	KNUM("processing.job_lease_seconds", NULL, KT_INT, 2, 3600, 60, NOF, 0),

	KSTR("logging.level", "LOG_LEVEL", 1, 16, "info", NOF, 0),
	KSTR("logging.file", NULL, 0, PATH_MAX - 1, "log/photorestore.log",
	    F(log_file), 0),

	KSTR("auth.username", "AUTH_USERNAME", 3, 50, "admin",
	    F(auth_username), 0),
	KSTR("auth.email", "AUTH_EMAIL", 3, 254, "admin@example.com",
	    F(auth_email), 0),
	KSTR("auth.full_name", "AUTH_FULL_NAME", 1, 255, "Administrator",
	    F(auth_full_name), 0),
	KSTR("auth.password", "AUTH_PASSWORD", 0, 255, "", F(auth_password),
	    KF_SECRET),
};

#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

/* Keys validated by their own code rather than the table. */
static const char *const extra_keys[] = {
	"cors.origins",
	"file_storage.allowed_extensions",
	"models",
};

struct loader {
	struct config	*cfg;
	cJSON		*origins;	/* object: dotted path -> source */
	char		*err;
	size_t		 errsz;
	int		 nwarn;
};

/* ------------------------------------------------------------ messages */

/*
 * out = a.b (just b when a is empty), for key paths in messages; an
 * over-long path is cut short, which only shortens a message.
 */
static void
pjoin(char out[CFG_PATHLEN], const char *a, const char *b)
{

	if (snprintf(out, CFG_PATHLEN, "%s%s%s", a, *a ? "." : "", b) < 0)
		out[0] = '\0';
}

static enum pr_err lerr(struct loader *, const char *, ...) PR_PRINTF(2, 3);
static enum pr_err kerr(struct loader *, const char *, const char *, ...)
    PR_PRINTF(3, 4);
static enum pr_err kerr_at(struct loader *, const char *, const char *,
    const char *, ...) PR_PRINTF(4, 5);
static void kwarn(struct loader *, const char *, const char *, ...)
    PR_PRINTF(3, 4);

/* Write a whole message into the caller's error buffer. */
static enum pr_err
lerr(struct loader *L, const char *fmt, ...)
{
	va_list	 ap;

	if (L->errsz > 0) {
		va_start(ap, fmt);
		vsnprintf(L->err, L->errsz, fmt, ap);
		va_end(ap);
	}
	return PR_ECONFIG;
}

/* The source of the last setting of path, exactly, or NULL. */
static const char *
origin_find(const struct loader *L, const char *path)
{
	const cJSON	*c;
	const char	*found = NULL;

	cJSON_ArrayForEach(c, L->origins)
		if (strcmp(c->string, path) == 0)
			found = c->valuestring;
	return found;
}

/*
 * Where path got its value: the longest recorded prefix, so that
 * "models[2].id" is blamed on the file that set "models".
 */
static const char *
origin_of(const struct loader *L, const char *path)
{
	char		 p[CFG_PATHLEN];
	const char	*o;
	char		*cut, *br;

	snprintf(p, sizeof(p), "%s", path);
	for (;;) {
		if ((o = origin_find(L, p)) != NULL)
			return o;
		cut = strrchr(p, '.');
		br = strrchr(p, '[');
		if (br != NULL && (cut == NULL || br > cut))
			cut = br;
		if (cut == NULL)
			return BUILTIN;
		*cut = '\0';
	}
}

static enum pr_err
vkerr(struct loader *L, const char *origin, const char *path,
    const char *fmt, va_list ap)
{
	char	 msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	return lerr(L, "%s: %s: %s", origin, path, msg);
}

/* "<origin of path>: <path>: <message>" */
static enum pr_err
kerr(struct loader *L, const char *path, const char *fmt, ...)
{
	va_list		 ap;
	enum pr_err	 e;

	va_start(ap, fmt);
	e = vkerr(L, origin_of(L, path), path, fmt, ap);
	va_end(ap);
	return e;
}

/* The same with an explicit origin (a value not yet in the tree). */
static enum pr_err
kerr_at(struct loader *L, const char *origin, const char *path,
    const char *fmt, ...)
{
	va_list		 ap;
	enum pr_err	 e;

	va_start(ap, fmt);
	e = vkerr(L, origin, path, fmt, ap);
	va_end(ap);
	return e;
}

/* A warning about path (unknown keys), at most CFG_WARN_MAX per load. */
static void
kwarn(struct loader *L, const char *path, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[512];

	if (L->nwarn++ >= CFG_WARN_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warn("config: %s: %s: %s", origin_of(L, path), path, msg);
}

static enum pr_err
set_origin(struct loader *L, const char *path, const char *origin)
{
	cJSON	*s;

	if ((s = cJSON_CreateString(origin)) == NULL)
		return PR_ENOMEM;
	if (!cJSON_AddItemToObject(L->origins, path, s)) {
		cJSON_Delete(s);
		return PR_ENOMEM;
	}
	return PR_OK;
}

/* Record origin for path and, inside objects, for every member. */
static enum pr_err
set_origins(struct loader *L, const cJSON *item, const char *path,
    const char *origin)
{
	const cJSON	*c;
	char		 p[CFG_PATHLEN];
	enum pr_err	 e;

	if (*path != '\0' && (e = set_origin(L, path, origin)) != PR_OK)
		return e;
	if (!cJSON_IsObject(item))
		return PR_OK;
	cJSON_ArrayForEach(c, item) {
		pjoin(p, path, c->string);
		if ((e = set_origins(L, c, p, origin)) != PR_OK)
			return e;
	}
	return PR_OK;
}

/* --------------------------------------------------------------- tree */

/* Overwrite a string item's bytes before it is freed. */
static void
wipe_string(cJSON *item)
{

	if (cJSON_IsString(item) && item->valuestring != NULL)
		OPENSSL_cleanse(item->valuestring, strlen(item->valuestring));
}


/*
 * Find the item at a dotted path in the merged tree.  *out is NULL when a
 * component is missing; an intermediate that is not an object is an
 * error naming it.
 */
static enum pr_err
get_path(struct loader *L, const char *path, cJSON **out)
{
	char		 seg[CFG_PATHLEN], pre[CFG_PATHLEN];
	const char	*p = path, *dot;
	cJSON		*cur = L->cfg->root;
	size_t		 n;

	*out = NULL;
	for (;;) {
		dot = strchr(p, '.');
		n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof(seg))
			return lerr(L, "%s: key path too long", path);
		memcpy(seg, p, n);
		seg[n] = '\0';
		cur = cJSON_GetObjectItemCaseSensitive(cur, seg);
		if (cur == NULL)
			return PR_OK;
		if (dot == NULL) {
			*out = cur;
			return PR_OK;
		}
		if (!cJSON_IsObject(cur)) {
			snprintf(pre, sizeof(pre), "%.*s", (int)(dot - path),
			    path);
			return kerr(L, pre, "must be an object");
		}
		p = dot + 1;
	}
}

/*
 * Put item (taken over, also on failure) at a dotted path, creating
 * missing intermediate objects, replacing any value there, and record
 * origin as its source.
 */
static enum pr_err
set_path(struct loader *L, const char *path, cJSON *item,
    const char *origin)
{
	char		 seg[CFG_PATHLEN], pre[CFG_PATHLEN];
	const char	*p = path, *dot;
	cJSON		*cur = L->cfg->root, *next;
	size_t		 n;
	enum pr_err	 e;

	if (item == NULL)
		return PR_ENOMEM;
	for (;;) {
		dot = strchr(p, '.');
		n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof(seg)) {
			e = lerr(L, "%s: key path too long", path);
			goto err;
		}
		memcpy(seg, p, n);
		seg[n] = '\0';
		next = cJSON_GetObjectItemCaseSensitive(cur, seg);
		if (dot == NULL)
			break;
		if (next == NULL) {
			if ((next = cJSON_AddObjectToObject(cur, seg)) == NULL) {
				e = PR_ENOMEM;
				goto err;
			}
		} else if (!cJSON_IsObject(next)) {
			snprintf(pre, sizeof(pre), "%.*s", (int)(dot - path),
			    path);
			e = kerr(L, pre, "must be an object");
			goto err;
		}
		cur = next;
		p = dot + 1;
	}
	if (next != NULL) {
		wipe_string(next);	/* it may be a secret */
		if (!cJSON_ReplaceItemInObjectCaseSensitive(cur, seg, item)) {
			e = PR_ENOMEM;
			goto err;
		}
	} else if (!cJSON_AddItemToObject(cur, seg, item)) {
		e = PR_ENOMEM;
		goto err;
	}
	return set_origin(L, path, origin);
err:
	cJSON_Delete(item);
	return e;
}

/*
 * Wipe every secret string in a tree before cJSON_Delete: the key of
 * security, auth.password, and api_key/api_token of every provider.
 */
static void
wipe_tree_secrets(cJSON *root)
{
	cJSON	*c;

	wipe_string(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(root, "security"), "secret_key"));
	wipe_string(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(root, "auth"), "password"));
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(root,
	    "api_providers")) {
		wipe_string(cJSON_GetObjectItemCaseSensitive(c, "api_key"));
		wipe_string(cJSON_GetObjectItemCaseSensitive(c, "api_token"));
	}
}

/* ---------------------------------------------------------- JSON files */

/* Whether brackets nest deeper than max (strings skipped). */
static int
json_too_deep(const char *s, size_t n, size_t max)
{
	size_t	 i, depth = 0;
	int	 instr = 0, esc = 0;

	for (i = 0; i < n; i++) {
		if (instr) {
			if (esc)
				esc = 0;
			else if (s[i] == '\\')
				esc = 1;
			else if (s[i] == '"')
				instr = 0;
			continue;
		}
		if (s[i] == '"')
			instr = 1;
		else if (s[i] == '{' || s[i] == '[') {
			if (++depth > max)
				return 1;
		} else if ((s[i] == '}' || s[i] == ']') && depth > 0)
			depth--;
	}
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{

	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Reject duplicate keys anywhere in the tree (cJSON keeps them all and
 * lookups see the first, which would silently ignore the later one).
 * Sorting keeps a hostile million-key file from costing n^2.
 */
static enum pr_err
check_dups(struct loader *L, const cJSON *item, const char *file,
    const char *path)
{
	const cJSON	*c;
	const char	**names = NULL;
	char		 p[CFG_PATHLEN];
	size_t		 n = 0, i;
	enum pr_err	 e = PR_OK;

	if (cJSON_IsObject(item)) {
		cJSON_ArrayForEach(c, item)
			n++;
		if (n > 1) {
			if ((names = calloc(n, sizeof(*names))) == NULL)
				return PR_ENOMEM;
			i = 0;
			cJSON_ArrayForEach(c, item)
				names[i++] = c->string;
			qsort(names, n, sizeof(*names), cmp_names);
			for (i = 1; i < n; i++)
				if (strcmp(names[i - 1], names[i]) == 0) {
					e = lerr(L, "%s: duplicate key "
					    "\"%s%s%s\"", file, path,
					    *path ? "." : "", names[i]);
					goto err;
				}
		}
	}
	i = 0;
	cJSON_ArrayForEach(c, item) {
		if (cJSON_IsObject(item))
			pjoin(p, path, c->string);
		else
			snprintf(p, sizeof(p), "%s[%zu]", path, i);
		i++;
		if ((cJSON_IsObject(c) || cJSON_IsArray(c)) &&
		    (e = check_dups(L, c, file, p)) != PR_OK)
			goto err;
	}
err:
	free(names);
	return e;
}

/*
 * Read and parse one configuration file: at most CFG_FILE_MAX bytes, no
 * NUL bytes, nesting at most CFG_DEPTH_MAX, nothing but white space after
 * the value, a JSON object at the top, no duplicate keys.  A missing file
 * is an error when required, else *out is NULL.
 */
static enum pr_err
read_json(struct loader *L, const char *file, int required, cJSON **out)
{
	struct buf	 b;
	struct stat	 st;
	char		 chunk[8192];
	const char	*text, *end = NULL, *p;
	ssize_t		 r;
	size_t		 len, line, col;
	int		 fd = -1;
	enum pr_err	 e;

	*out = NULL;
	buf_init(&b, CFG_FILE_MAX);
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT && !required)
			return PR_OK;
		return lerr(L, "%s: %s", file, strerror(errno));
	}
	if (fstat(fd, &st) == -1) {
		e = lerr(L, "%s: %s", file, strerror(errno));
		goto err;
	}
	if (!S_ISREG(st.st_mode)) {
		e = lerr(L, "%s: not a regular file", file);
		goto err;
	}
	if (st.st_size > CFG_FILE_MAX) {
		e = lerr(L, "%s: larger than %d bytes", file, CFG_FILE_MAX);
		goto err;
	}
	for (;;) {
		r = read(fd, chunk, sizeof(chunk));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			e = lerr(L, "%s: %s", file, strerror(errno));
			goto err;
		}
		if (r == 0)
			break;
		if ((e = buf_append(&b, chunk, (size_t)r)) != PR_OK) {
			if (e == PR_ETOOBIG)
				e = lerr(L, "%s: larger than %d bytes", file,
				    CFG_FILE_MAX);
			goto err;
		}
	}
	OPENSSL_cleanse(chunk, sizeof(chunk));
	text = b.data != NULL ? b.data : "";
	len = b.len;
	if (memchr(text, '\0', len) != NULL) {
		e = lerr(L, "%s: contains a NUL byte", file);
		goto err;
	}
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		text += 3;	/* UTF-8 byte order mark */
		len -= 3;
	}
	if (json_too_deep(text, len, CFG_DEPTH_MAX)) {
		e = lerr(L, "%s: JSON nested deeper than %d levels", file,
		    CFG_DEPTH_MAX);
		goto err;
	}
	/* len + 1 takes in the NUL: cJSON then rejects trailing bytes. */
	*out = cJSON_ParseWithLengthOpts(text, len + 1, &end, 1);
	if (*out == NULL) {
		line = 1;
		col = 1;
		for (p = text; end != NULL && p < end && *p != '\0'; p++) {
			if (*p == '\n') {
				line++;
				col = 1;
			} else
				col++;
		}
		e = lerr(L, "%s: invalid JSON (or trailing bytes) at line "
		    "%zu, column %zu", file, line, col);
		goto err;
	}
	if (!cJSON_IsObject(*out)) {
		e = lerr(L, "%s: the top level must be a JSON object", file);
		goto err;
	}
	if ((e = check_dups(L, *out, file, "")) != PR_OK)
		goto err;
	close(fd);
	if (b.data != NULL)
		OPENSSL_cleanse(b.data, b.len);
	buf_free(&b);
	return PR_OK;
err:
	if (*out != NULL) {
		wipe_tree_secrets(*out);
		cJSON_Delete(*out);
		*out = NULL;
	}
	if (fd != -1)
		close(fd);
	if (b.data != NULL)
		OPENSSL_cleanse(b.data, b.len);
	buf_free(&b);
	OPENSSL_cleanse(chunk, sizeof(chunk));
	return e;
}

/*
 * Deep-merge src into dst: objects merge member by member, everything
 * else (arrays included) replaces.  Members are moved out of src.
 */
static enum pr_err
merge(struct loader *L, cJSON *dst, cJSON *src, const char *path,
    const char *origin)
{
	cJSON		*c, *next, *d;
	char		 p[CFG_PATHLEN];
	enum pr_err	 e;

	for (c = src->child; c != NULL; c = next) {
		next = c->next;
		pjoin(p, path, c->string);
		d = cJSON_GetObjectItemCaseSensitive(dst, c->string);
		if (d != NULL && cJSON_IsObject(d) && cJSON_IsObject(c)) {
			if ((e = set_origin(L, p, origin)) != PR_OK ||
			    (e = merge(L, d, c, p, origin)) != PR_OK)
				return e;
			continue;
		}
		if ((e = set_origins(L, c, p, origin)) != PR_OK)
			return e;
		cJSON_DetachItemViaPointer(src, c);
		if (d != NULL) {
			wipe_tree_secrets(d);
			cJSON_ReplaceItemViaPointer(dst, d, c);
		} else if (!cJSON_AddItemToObject(dst, c->string, c)) {
			cJSON_Delete(c);
			return PR_ENOMEM;
		}
	}
	return PR_OK;
}

/* ------------------------------------------------------------- places */

static int
is_dir(const char *p)
{
	struct stat	 st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * CONFIG_DIR, else "conf" in the current directory, else "../conf"
 * beside the parent of the executable's directory (build/cgi-bin/x.fcgi
 * finds the checkout's conf/).
 */
static enum pr_err
find_config_dir(struct loader *L)
{
	struct config	*cfg = L->cfg;
	const char	*env = getenv("CONFIG_DIR");
	char		 exe[PATH_MAX], cand[PATH_MAX];
	char		*slash;
	ssize_t		 n;
	int		 w;

	if (env != NULL && *env != '\0') {
		w = snprintf(cfg->config_dir, sizeof(cfg->config_dir), "%s",
		    env);
		if (w < 0 || (size_t)w >= sizeof(cfg->config_dir))
			return lerr(L, "CONFIG_DIR: path too long");
		return PR_OK;
	}
	snprintf(cfg->config_dir, sizeof(cfg->config_dir), "conf");
	if (is_dir("conf"))
		return PR_OK;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return PR_OK;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return PR_OK;
	*slash = '\0';				/* the binary's directory */
	if ((slash = strrchr(exe, '/')) == NULL)
		return PR_OK;
	*slash = '\0';				/* its parent */
	w = snprintf(cand, sizeof(cand), "%s/../conf", exe);
	if (w > 0 && (size_t)w < sizeof(cand) && is_dir(cand))
		snprintf(cfg->config_dir, sizeof(cfg->config_dir), "%s", cand);
	return PR_OK;
}

/* VARDIR (default "var"), made absolute; it need not exist yet. */
static enum pr_err
find_vardir(struct loader *L)
{
	struct config	*cfg = L->cfg;
	const char	*env = getenv("VARDIR");
	char		 cwd[PATH_MAX], real[PATH_MAX];
	size_t		 len;
	int		 w;

	if (env == NULL || *env == '\0')
		env = "var";
	if (realpath(env, real) != NULL)
		w = snprintf(cfg->vardir, sizeof(cfg->vardir), "%s", real);
	else if (*env == '/')
		w = snprintf(cfg->vardir, sizeof(cfg->vardir), "%s", env);
	else {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return lerr(L, "VARDIR: cannot get the current "
			    "directory: %s", strerror(errno));
		w = snprintf(cfg->vardir, sizeof(cfg->vardir), "%s/%s",
		    strcmp(cwd, "/") == 0 ? "" : cwd, env);
	}
	if (w < 0 || (size_t)w >= sizeof(cfg->vardir))
		return lerr(L, "VARDIR: path too long");
	len = strlen(cfg->vardir);
	while (len > 1 && cfg->vardir[len - 1] == '/')
		cfg->vardir[--len] = '\0';
	return PR_OK;
}

/* rel if absolute, else base/rel.  Returns 0 or -1 (too long). */
static int
join_path(const char *base, const char *rel, char *out, size_t outsz)
{
	int	 w;

	if (*rel == '/')
		w = snprintf(out, outsz, "%s", rel);
	else
		w = snprintf(out, outsz, "%s%s%s", base,
		    (*base != '\0' && base[strlen(base) - 1] == '/') ? "" : "/",
		    rel);
	return (w < 0 || (size_t)w >= outsz) ? -1 : 0;
}

/* Make a path field absolute against the state directory. */
static enum pr_err
resolve_path(struct loader *L, const char *key, char *field, size_t sz)
{
	char	 tmp[PATH_MAX];

	if (*field == '\0')
		return PR_OK;
	if (join_path(L->cfg->vardir, field, tmp, sizeof(tmp)) == -1 ||
	    strlen(tmp) >= sz)
		return kerr(L, key, "path too long once joined to VARDIR");
	snprintf(field, sz, "%s", tmp);
	return PR_OK;
}

/* ------------------------------------------------------------ scalars */

/* true/false/1/0/yes/no/on/off in any case.  Returns 0/1, or -1. */
static int
parse_bool(const char *s)
{
	static const char *const t[] = { "true", "1", "yes", "on" };
	static const char *const f[] = { "false", "0", "no", "off" };
	size_t	 i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(s, t[i]) == 0)
			return 1;
		if (strcasecmp(s, f[i]) == 0)
			return 0;
	}
	return -1;
}

/* A whole string as a finite double.  Returns 0 or -1. */
static int
parse_double(const char *s, double *out)
{
	char	*end;
	double	 d;

	if (*s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	d = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(d))
		return -1;
	*out = d;
	return 0;
}

/* The rule a key's value breaks, for messages. */
static void
key_rule(const struct key *k, int from_env, char *out, size_t outsz)
{
	size_t	 max;

	switch (k->type) {
	case KT_STR:
		max = (size_t)k->max;
		if (k->off != NOFIELD && max > k->size - 1)
			max = k->size - 1;
		if (k->min == 0)
			snprintf(out, outsz, "must be a string of at most "
			    "%zu bytes without control characters", max);
		else
			snprintf(out, outsz, "must be a string of %.0f to %zu "
			    "bytes without control characters", k->min, max);
		break;
	case KT_BOOL:
		snprintf(out, outsz, from_env ? "must be one of true, false, "
		    "1, 0, yes, no, on, off" : "must be true or false");
		break;
	case KT_DBL:
		snprintf(out, outsz, (k->flags & KF_MINEXCL) ?
		    "must be a number greater than %g and at most %g" :
		    "must be a number between %g and %g", k->min, k->max);
		break;
	default:
		snprintf(out, outsz, "must be an integer between %.0f and "
		    "%.0f", k->min, k->max);
		break;
	}
}

/* Turn an environment value into a JSON item of the key's type. */
static enum pr_err
env_item(struct loader *L, const struct key *k, const char *ev,
    cJSON **out)
{
	char		 origin[128], rule[128];
	long long	 v;
	double		 d;
	int		 b;

	*out = NULL;
	snprintf(origin, sizeof(origin), "environment variable %s", k->env);
	switch (k->type) {
	case KT_STR:
		*out = cJSON_CreateString(ev);
		break;
	case KT_BOOL:
		if ((b = parse_bool(ev)) == -1)
			goto err;
		*out = cJSON_CreateBool(b);
		break;
	case KT_DBL:
		if (parse_double(ev, &d) == -1)
			goto err;
		*out = cJSON_CreateNumber(d);
		break;
	default:
		if (pr_strtonum(ev, (long long)k->min, (long long)k->max,
		    &v) == -1)
			goto err;
		*out = cJSON_CreateNumber((double)v);
		break;
	}
	return *out != NULL ? PR_OK : PR_ENOMEM;
err:
	key_rule(k, 1, rule, sizeof(rule));
	return kerr_at(L, origin, k->path, "%s", rule);
}

static int
has_ctrl(const char *s)
{

	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* Type- and range-check one table key and copy it into its field. */
static enum pr_err
check_key(struct loader *L, const struct key *k, const cJSON *item)
{
	char	*field = k->off != NOFIELD ? (char *)L->cfg + k->off : NULL;
	char	 rule[128];
	double	 d = 0;
	size_t	 len, max;
	int	 iv;
	int64_t	 i64;
	unsigned uv;

	switch (k->type) {
	case KT_STR:
		if (!cJSON_IsString(item))
			goto err;
		len = strlen(item->valuestring);
		max = (size_t)k->max;
		if (k->off != NOFIELD && max > k->size - 1)
			max = k->size - 1;
		if (len < (size_t)k->min || len > max)
			goto err;
		if (!(k->flags & KF_ANYBYTE) && has_ctrl(item->valuestring))
			goto err;
		if ((k->flags & KF_URL) &&
		    strncmp(item->valuestring, "http://", 7) != 0 &&
		    strncmp(item->valuestring, "https://", 8) != 0)
			return kerr(L, k->path, "must be an http:// or "
			    "https:// URL");
		if (k->off != NOFIELD)
			memcpy(field, item->valuestring, len + 1);
		return PR_OK;
	case KT_BOOL:
		if (!cJSON_IsBool(item))
			goto err;
		iv = cJSON_IsTrue(item);
		if (k->off != NOFIELD)
			memcpy(field, &iv, sizeof(iv));
		return PR_OK;
	default:
		break;
	}
	if (!cJSON_IsNumber(item))
		goto err;
	d = item->valuedouble;
	if (!isfinite(d) || d > k->max || d < k->min ||
	    ((k->flags & KF_MINEXCL) && d == k->min))
		goto err;
	if (k->type != KT_DBL && d != floor(d))
		goto err;
	if (k->off == NOFIELD)
		return PR_OK;
	switch (k->type) {
	case KT_INT:
		iv = (int)d;
		memcpy(field, &iv, sizeof(iv));
		break;
	case KT_I64:
		i64 = (int64_t)d;
		memcpy(field, &i64, sizeof(i64));
		break;
	case KT_UINT:
		uv = (unsigned)d;
		memcpy(field, &uv, sizeof(uv));
		break;
	default:
		memcpy(field, &d, sizeof(d));
		break;
	}
	return PR_OK;
err:
	key_rule(k, 0, rule, sizeof(rule));
	return kerr(L, k->path, "%s", rule);
}

/* Environment, else the files, else the built-in default; then check. */
static enum pr_err
load_key(struct loader *L, const struct key *k)
{
	const char	*ev = k->env != NULL ? getenv(k->env) : NULL;
	char		 origin[128];
	cJSON		*item = NULL;
	enum pr_err	 e;

	if (ev != NULL && *ev != '\0') {
		if ((e = env_item(L, k, ev, &item)) != PR_OK)
			return e;
		snprintf(origin, sizeof(origin), "environment variable %s",
		    k->env);
		if ((e = set_path(L, k->path, item, origin)) != PR_OK)
			return e;
	} else {
		if ((e = get_path(L, k->path, &item)) != PR_OK)
			return e;
		if (item == NULL) {
			item = k->type == KT_STR ?
			    cJSON_CreateString(k->def_s) :
			    k->type == KT_BOOL ? cJSON_CreateBool(k->def_n != 0) :
			    cJSON_CreateNumber(k->def_n);
			if ((e = set_path(L, k->path, item, BUILTIN)) != PR_OK)
				return e;
		}
	}
	return check_key(L, k, item);
}

/* -------------------------------------------------------------- lists */

/*
 * A list from the environment: a JSON array text, or comma-separated
 * items with surrounding blanks trimmed.
 */
static enum pr_err
env_list(struct loader *L, const char *env, const char *path,
    const char *ev, cJSON **out)
{
	const char	*p = ev, *q, *end;
	char		 item[1024];
	cJSON		*s;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '[') {
		*out = cJSON_ParseWithLengthOpts(p, strlen(p) + 1, &end, 1);
		if (*out == NULL || !cJSON_IsArray(*out)) {
			cJSON_Delete(*out);
			*out = NULL;
			return kerr_at(L, env, path, "not a valid JSON "
			    "array");
		}
		return PR_OK;
	}
	if ((*out = cJSON_CreateArray()) == NULL)
		return PR_ENOMEM;
	for (;;) {
		q = strchr(p, ',');
		end = q != NULL ? q : p + strlen(p);
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (end == p || (size_t)(end - p) >= sizeof(item)) {
			cJSON_Delete(*out);
			*out = NULL;
			return kerr_at(L, env, path, "empty or over-long "
			    "entry in the comma-separated list");
		}
		snprintf(item, sizeof(item), "%.*s", (int)(end - p), p);
		if ((s = cJSON_CreateString(item)) == NULL ||
		    !cJSON_AddItemToArray(*out, s)) {
			cJSON_Delete(s);
			cJSON_Delete(*out);
			*out = NULL;
			return PR_ENOMEM;
		}
		if (q == NULL)
			break;
		p = q + 1;
	}
	return PR_OK;
}

/* The list at path: from env, else the files, else the default text. */
static enum pr_err
load_list(struct loader *L, const char *path, const char *env,
    const char *def, cJSON **out)
{
	const char	*ev = getenv(env);
	char		 origin[128];
	cJSON		*item;
	enum pr_err	 e;

	*out = NULL;
	snprintf(origin, sizeof(origin), "environment variable %s", env);
	if (ev != NULL && *ev != '\0') {
		if ((e = env_list(L, origin, path, ev, &item)) != PR_OK ||
		    (e = set_path(L, path, item, origin)) != PR_OK)
			return e;
	} else {
		if ((e = get_path(L, path, &item)) != PR_OK)
			return e;
		if (item == NULL &&
		    (e = set_path(L, path, item = cJSON_Parse(def), BUILTIN))
		    != PR_OK)
			return e;
	}
	*out = item;
	return PR_OK;
}

/*
 * file_storage.allowed_extensions: 1 to CFG_MAX_EXT extensions of letters
 * and digits, stored lower case with a leading dot, duplicates dropped.
 * The tree gets the normalised list.
 */
static enum pr_err
load_exts(struct loader *L)
{
	static const char path[] = "file_storage.allowed_extensions";
	struct config	*cfg = L->cfg;
	const cJSON	*c;
	cJSON		*list, *norm;
	char		 ext[16];
	const char	*s;
	size_t		 i, j;
	enum pr_err	 e;

	if ((e = load_list(L, path, "ALLOWED_EXTENSIONS", builtin_exts,
	    &list)) != PR_OK)
		return e;
	if (!cJSON_IsArray(list))
		goto err;
	cfg->n_allowed_ext = 0;
	cJSON_ArrayForEach(c, list) {
		if (!cJSON_IsString(c))
			goto err;
		s = c->valuestring;
		if (*s == '.')
			s++;
		if (*s == '\0' || strlen(s) > sizeof(ext) - 2)
			goto err;
		ext[0] = '.';
		pr_lower(s, ext + 1, sizeof(ext) - 1);
		for (i = 1; ext[i] != '\0'; i++)
			if (!islower((unsigned char)ext[i]) &&
			    !isdigit((unsigned char)ext[i]))
				goto err;
		for (j = 0; j < cfg->n_allowed_ext; j++)
			if (strcmp(cfg->allowed_ext[j], ext) == 0)
				break;
		if (j < cfg->n_allowed_ext)
			continue;
		if (cfg->n_allowed_ext == CFG_MAX_EXT)
			goto err;
		memcpy(cfg->allowed_ext[cfg->n_allowed_ext++], ext,
		    sizeof(ext));
	}
	if (cfg->n_allowed_ext == 0)
		goto err;
	if ((norm = cJSON_CreateArray()) == NULL)
		return PR_ENOMEM;
	for (j = 0; j < cfg->n_allowed_ext; j++)
		if (!cJSON_AddItemToArray(norm,
		    cJSON_CreateString(cfg->allowed_ext[j]))) {
			cJSON_Delete(norm);
			return PR_ENOMEM;
		}
	return set_path(L, path, norm, origin_of(L, path));
err:
	return kerr(L, path, "must be a list of 1 to %d file extensions of "
	    "letters and digits, such as \".jpg\"", CFG_MAX_EXT);
}

/* cors.origins: "*" or scheme://host[:port] strings. */
static enum pr_err
load_origins(struct loader *L)
{
	static const char path[] = "cors.origins";
	const cJSON	*c;
	cJSON		*list;
	const char	*s, *colon;
	size_t		 i;
	enum pr_err	 e;

	if ((e = load_list(L, path, "CORS_ORIGINS", builtin_origins,
	    &list)) != PR_OK)
		return e;
	if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) > CFG_ORIGINS_MAX)
		goto err;
	cJSON_ArrayForEach(c, list) {
		if (!cJSON_IsString(c))
			goto err;
		s = c->valuestring;
		if (strcmp(s, "*") == 0)
			continue;
		if (strlen(s) > 512 || (colon = strstr(s, "://")) == NULL ||
		    colon == s || colon[3] == '\0')
			goto err;
		for (i = 0; s[i] != '\0'; i++)
			if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f ||
			    s[i] == ',')
				goto err;
	}
	return PR_OK;
err:
	return kerr(L, path, "must be a list of at most %d origins such as "
	    "\"http://localhost:3000\" (or \"*\")", CFG_ORIGINS_MAX);
}

/* ----------------------------------------------------- special checks */

static enum pr_err
check_specials(struct loader *L)
{
	struct config	*cfg = L->cfg;
	cJSON		*item;
	const char	*s, *at;
	char		 canon[16];
	enum pr_err	 e;
	static const char *const lvl[] = { "debug", "info", "warning",
	    "error" };

	if ((e = get_path(L, "security.algorithm", &item)) != PR_OK)
		return e;
	if (strcmp(item->valuestring, "HS256") != 0)
		return kerr(L, "security.algorithm", "must be \"HS256\" "
		    "(the only algorithm supported)");

	if ((e = get_path(L, "security.secret_key", &item)) != PR_OK)
		return e;
	if (*item->valuestring != '\0' && strlen(item->valuestring) < 32)
		return kerr(L, "security.secret_key", "SECRET_KEY must be at "
		    "least 32 bytes");

	if ((e = get_path(L, "logging.level", &item)) != PR_OK)
		return e;
	if (log_level_parse(item->valuestring, &cfg->log_level) == -1 ||
	    strcasecmp(item->valuestring, "critical") == 0)
		return kerr(L, "logging.level", "must be one of debug, info, "
		    "warning (or warn), error");
	snprintf(canon, sizeof(canon), "%s", lvl[cfg->log_level]);
	if (strcmp(canon, item->valuestring) != 0 &&
	    (e = set_path(L, "logging.level", cJSON_CreateString(canon),
	    origin_of(L, "logging.level"))) != PR_OK)
		return e;

	for (s = cfg->auth_username; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return kerr(L, "auth.username", "must be 3 to 50 "
			    "letters, digits, underscores or hyphens");
	s = cfg->auth_email;
	at = strchr(s, '@');
	if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@') ||
	    strchr(s, ' ') != NULL)
		return kerr(L, "auth.email", "must be an e-mail address");

	if (get_path(L, "api_providers.huggingface.max_response_mb",
	    &item) != PR_OK)
		return PR_ECONFIG;
	cfg->hf.max_response_bytes = (size_t)item->valuedouble * 1024 * 1024;
	if (get_path(L, "api_providers.replicate.max_response_mb",
	    &item) != PR_OK)
		return PR_ECONFIG;
	cfg->replicate.max_response_bytes =
	    (size_t)item->valuedouble * 1024 * 1024;

	if (cfg_parse_db_url(cfg->database_url, cfg->vardir, &cfg->db_kind,
	    cfg->db_path, sizeof(cfg->db_path)) == -1)
		return kerr(L, "database.url", "unsupported database URL "
		    "(use sqlite:///relative.db, sqlite:////absolute.db, a "
		    "file path, or postgresql://...)");

	if ((e = resolve_path(L, "file_storage.upload_dir", cfg->upload_dir,
	    sizeof(cfg->upload_dir))) != PR_OK ||
	    (e = resolve_path(L, "file_storage.processed_dir",
	    cfg->processed_dir, sizeof(cfg->processed_dir))) != PR_OK ||
	    (e = resolve_path(L, "logging.file", cfg->log_file,
	    sizeof(cfg->log_file))) != PR_OK)
		return e;
	return PR_OK;
}

/* ------------------------------------------------------------- models */

static int
model_id_ok(const char *s)
{
	size_t	 n;

	for (n = 0; s[n] != '\0'; n++)
		if (!isalnum((unsigned char)s[n]) && s[n] != '.' &&
		    s[n] != '_' && s[n] != '-')
			return 0;
	return n >= 1 && n <= 100;
}

/*
 * A required (or optional, when !req) string member of length lo..hi.
 * Returns PR_OK with *out NULL when optional and absent.
 */
static enum pr_err
mstr(struct loader *L, const cJSON *obj, const char *path, const char *name,
    int req, size_t lo, size_t hi, const char **out)
{
	const cJSON	*c = cJSON_GetObjectItemCaseSensitive(obj, name);
	char		 p[CFG_PATHLEN];
	size_t		 len;

	*out = NULL;
	pjoin(p, path, name);
	if (c == NULL && !req)
		return PR_OK;
	if (c == NULL)
		return kerr(L, p, "missing (a string is required)");
	if (!cJSON_IsString(c) || (len = strlen(c->valuestring)) < lo ||
	    len > hi || has_ctrl(c->valuestring))
		return kerr(L, p, "must be a string of %zu to %zu bytes", lo,
		    hi);
	*out = c->valuestring;
	return PR_OK;
}

/* An optional array of 0..max strings of 1..hi bytes. */
static enum pr_err
mstrlist(struct loader *L, const cJSON *obj, const char *path,
    const char *name, int max, size_t hi, const cJSON *names_in)
{
	const cJSON	*c = cJSON_GetObjectItemCaseSensitive(obj, name), *s;
	char		 p[CFG_PATHLEN];

	pjoin(p, path, name);
	if (c == NULL)
		return PR_OK;
	if (!cJSON_IsArray(c) || cJSON_GetArraySize(c) > max)
		return kerr(L, p, "must be an array of at most %d strings",
		    max);
	cJSON_ArrayForEach(s, c) {
		if (!cJSON_IsString(s) || *s->valuestring == '\0' ||
		    strlen(s->valuestring) > hi || has_ctrl(s->valuestring))
			return kerr(L, p, "must be an array of strings of 1 "
			    "to %zu bytes", hi);
		if (names_in != NULL && !cJSON_GetObjectItemCaseSensitive(
		    names_in, s->valuestring))
			return kerr(L, p, "\"%s\" is not a parameter in "
			    "input", s->valuestring);
	}
	return PR_OK;
}

/* An optional number member in [lo, hi]. */
static enum pr_err
mnum(struct loader *L, const cJSON *obj, const char *path, const char *name,
    double lo, double hi, int excl)
{
	const cJSON	*c = cJSON_GetObjectItemCaseSensitive(obj, name);
	char		 p[CFG_PATHLEN];

	pjoin(p, path, name);
	if (c == NULL)
		return PR_OK;
	if (!cJSON_IsNumber(c) || !isfinite(c->valuedouble) ||
	    c->valuedouble < lo || c->valuedouble > hi ||
	    (excl && c->valuedouble == lo))
		return kerr(L, p, excl ? "must be a number greater than %g "
		    "and at most %g" : "must be a number between %g and %g",
		    lo, hi);
	return PR_OK;
}

/* Warn about members of obj not named in known[]. */
static void
warn_unknown(struct loader *L, const cJSON *obj, const char *path,
    const char *const *known, size_t nknown)
{
	const cJSON	*c;
	char		 p[CFG_PATHLEN];
	size_t		 i;

	cJSON_ArrayForEach(c, obj) {
		for (i = 0; i < nknown; i++)
			if (strcmp(c->string, known[i]) == 0)
				break;
		if (i == nknown) {
			pjoin(p, path, c->string);
			kwarn(L, p, "unknown key, ignored");
		}
	}
}

/* Whether a schema default/enum value fits the declared type. */
static int
fits_type(const cJSON *v, const char *type)
{

	if (type == NULL)
		return cJSON_IsString(v) || cJSON_IsNumber(v) ||
		    cJSON_IsBool(v);
	if (strcmp(type, "string") == 0)
		return cJSON_IsString(v);
	if (strcmp(type, "boolean") == 0)
		return cJSON_IsBool(v);
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
		return 0;
	if (strcmp(type, "integer") == 0)
		return v->valuedouble == floor(v->valuedouble);
	return 1;
}

/* One parameter of a replicate_schema "input" object. */
static enum pr_err
check_param(struct loader *L, const cJSON *prm, const char *p)
{
	static const char *const known[] = { "type", "enum", "default",
	    "minimum", "maximum", "description", "title", "format",
	    "x-order" };
	static const char *const types[] = { "string", "integer", "number",
	    "boolean" };
	const cJSON	*en, *def, *v, *mn, *mx;
	const char	*type, *s;
	char		 q[CFG_PATHLEN];
	size_t		 i;
	enum pr_err	 e;

	if (!cJSON_IsObject(prm))
		return kerr(L, p, "must be an object");
	if ((e = mstr(L, prm, p, "type", 0, 1, 16, &type)) != PR_OK ||
	    (e = mstr(L, prm, p, "description", 0, 0, 2000, &s)) != PR_OK ||
	    (e = mstr(L, prm, p, "title", 0, 0, 200, &s)) != PR_OK ||
	    (e = mstr(L, prm, p, "format", 0, 1, 64, &s)) != PR_OK ||
	    (e = mnum(L, prm, p, "x-order", 0, 1000, 0)) != PR_OK)
		return e;
	if (type != NULL) {
		for (i = 0; i < 4; i++)
			if (strcmp(type, types[i]) == 0)
				break;
		if (i == 4) {
			pjoin(q, p, "type");
			return kerr(L, q, "must be one of string, integer, "
			    "number, boolean");
		}
	}
	en = cJSON_GetObjectItemCaseSensitive(prm, "enum");
	if (en == NULL && type == NULL)
		return kerr(L, p, "needs a \"type\" or an \"enum\"");
	if (en != NULL) {
		pjoin(q, p, "enum");
		if (!cJSON_IsArray(en) || cJSON_GetArraySize(en) < 1 ||
		    cJSON_GetArraySize(en) > 64)
			return kerr(L, q, "must be an array of 1 to 64 values");
		cJSON_ArrayForEach(v, en)
			if (!fits_type(v, type) || cJSON_IsBool(v))
				return kerr(L, q, "values must be strings or "
				    "numbers of the parameter's type");
	}
	mn = cJSON_GetObjectItemCaseSensitive(prm, "minimum");
	mx = cJSON_GetObjectItemCaseSensitive(prm, "maximum");
	if ((mn != NULL || mx != NULL) && (type == NULL ||
	    (strcmp(type, "integer") != 0 && strcmp(type, "number") != 0)))
		return kerr(L, p, "minimum and maximum need type integer or "
		    "number");
	if ((e = mnum(L, prm, p, "minimum", -1e15, 1e15, 0)) != PR_OK ||
	    (e = mnum(L, prm, p, "maximum", -1e15, 1e15, 0)) != PR_OK)
		return e;
	if (mn != NULL && mx != NULL && mn->valuedouble > mx->valuedouble)
		return kerr(L, p, "minimum is greater than maximum");
	if ((def = cJSON_GetObjectItemCaseSensitive(prm, "default")) != NULL) {
		pjoin(q, p, "default");
		if (!cJSON_IsNull(def) && !fits_type(def, type))
			return kerr(L, q, "does not match the parameter's "
			    "type");
		if (cJSON_IsNumber(def) &&
		    ((mn != NULL && def->valuedouble < mn->valuedouble) ||
		    (mx != NULL && def->valuedouble > mx->valuedouble)))
			return kerr(L, q, "is outside minimum..maximum");
		if (en != NULL && !cJSON_IsNull(def)) {
			cJSON_ArrayForEach(v, en)
				if (cJSON_Compare(v, def, 1))
					break;
			if (v == NULL)
				return kerr(L, q, "is not one of the enum "
				    "values");
		}
	}
	warn_unknown(L, prm, p, known, sizeof(known) / sizeof(known[0]));
	return PR_OK;
}

/*
 * A model's replicate_schema: the parameters the UI may set (docs/config.md
 * describes the shape; restore.fcgi turns it into ModelInfo.schema).
 */
static enum pr_err
check_schema(struct loader *L, const cJSON *s, const char *path)
{
	static const char *const known[] = { "input", "image_param",
	    "hidden", "required", "ui_groups", "custom" };
	static const char *const cknown[] = { "max_file_size_mb",
	    "supported_formats", "estimated_time_seconds" };
	const cJSON	*in, *c, *g;
	const char	*img;
	char		 p[CFG_PATHLEN], q[CFG_PATHLEN];
	enum pr_err	 e;

	if (!cJSON_IsObject(s))
		return kerr(L, path, "must be an object");
	pjoin(p, path, "input");
	in = cJSON_GetObjectItemCaseSensitive(s, "input");
	if (!cJSON_IsObject(in) || in->child == NULL ||
	    cJSON_GetArraySize(in) > 64)
		return kerr(L, p, "must be an object of 1 to 64 parameters");
	cJSON_ArrayForEach(c, in) {
		pjoin(q, p, c->string);
		if (!model_id_ok(c->string))
			return kerr(L, q, "parameter names must be 1 to 100 "
			    "letters, digits, '.', '_' or '-'");
		if ((e = check_param(L, c, q)) != PR_OK)
			return e;
	}
	if ((e = mstr(L, s, path, "image_param", 1, 1, 100, &img)) != PR_OK)
		return e;
	if (!cJSON_GetObjectItemCaseSensitive(in, img)) {
		pjoin(q, path, "image_param");
		return kerr(L, q, "must name a parameter in input");
	}
	if ((e = mstrlist(L, s, path, "hidden", 64, 100, in)) != PR_OK ||
	    (e = mstrlist(L, s, path, "required", 64, 100, in)) != PR_OK)
		return e;
	if ((g = cJSON_GetObjectItemCaseSensitive(s, "ui_groups")) != NULL) {
		pjoin(p, path, "ui_groups");
		if (!cJSON_IsObject(g))
			return kerr(L, p, "must be an object of group name "
			    "to parameter names");
		cJSON_ArrayForEach(c, g) {
			if ((e = mstrlist(L, g, p, c->string, 64, 100, in)) !=
			    PR_OK)
				return e;
		}
	}
	if ((c = cJSON_GetObjectItemCaseSensitive(s, "custom")) != NULL) {
		pjoin(p, path, "custom");
		if (!cJSON_IsObject(c))
			return kerr(L, p, "must be an object");
		if ((e = mnum(L, c, p, "max_file_size_mb", 0, 1024, 1)) !=
		    PR_OK ||
		    (e = mstrlist(L, c, p, "supported_formats", 16, 15,
		    NULL)) != PR_OK ||
		    (e = mnum(L, c, p, "estimated_time_seconds", 0, 86400,
		    0)) != PR_OK)
			return e;
		warn_unknown(L, c, p, cknown,
		    sizeof(cknown) / sizeof(cknown[0]));
	}
	warn_unknown(L, s, path, known, sizeof(known) / sizeof(known[0]));
	return PR_OK;
}

/* Add name = item to a model when missing (taken over). */
static enum pr_err
mdefault(cJSON *m, const char *name, cJSON *item)
{

	if (item == NULL)
		return PR_ENOMEM;
	if (cJSON_GetObjectItemCaseSensitive(m, name) != NULL) {
		cJSON_Delete(item);
		return PR_OK;
	}
	if (!cJSON_AddItemToObject(m, name, item)) {
		cJSON_Delete(item);
		return PR_ENOMEM;
	}
	return PR_OK;
}

/*
 * One entry of "models".  Missing optional members are filled in so that
 * readers need not care: parameters {}, tags [], version null, enabled
 * true.
 */
static enum pr_err
check_model(struct loader *L, cJSON *m, const char *path)
{
	static const char *const known[] = { "id", "name", "model",
	    "provider", "category", "description", "parameters", "tags",
	    "version", "enabled", "replicate_schema" };
	const cJSON	*c;
	const char	*s;
	char		 p[CFG_PATHLEN];
	enum pr_err	 e;

	if (!cJSON_IsObject(m))
		return kerr(L, path, "must be an object");
	if ((e = mstr(L, m, path, "id", 1, 1, 100, &s)) != PR_OK)
		return e;
	if (!model_id_ok(s)) {
		pjoin(p, path, "id");
		return kerr(L, p, "must be 1 to 100 letters, digits, '.', "
		    "'_' or '-'");
	}
	if ((e = mstr(L, m, path, "name", 1, 1, 200, &s)) != PR_OK ||
	    (e = mstr(L, m, path, "model", 1, 1, 200, &s)) != PR_OK ||
	    (e = mstr(L, m, path, "category", 1, 1, 64, &s)) != PR_OK ||
	    (e = mstr(L, m, path, "description", 1, 0, 2000, &s)) != PR_OK ||
	    (e = mstr(L, m, path, "provider", 1, 1, 32, &s)) != PR_OK)
		return e;
	if (strcmp(s, "local") != 0 && strcmp(s, "huggingface") != 0 &&
	    strcmp(s, "replicate") != 0) {
		pjoin(p, path, "provider");
		return kerr(L, p, "must be one of local, huggingface, "
		    "replicate");
	}
	if ((e = mdefault(m, "parameters", cJSON_CreateObject())) != PR_OK ||
	    (e = mdefault(m, "tags", cJSON_CreateArray())) != PR_OK ||
	    (e = mdefault(m, "version", cJSON_CreateNull())) != PR_OK ||
	    (e = mdefault(m, "enabled", cJSON_CreateTrue())) != PR_OK)
		return e;
	pjoin(p, path, "parameters");
	if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(m, "parameters")))
		return kerr(L, p, "must be an object");
	if ((e = mstrlist(L, m, path, "tags", 32, 64, NULL)) != PR_OK)
		return e;
	c = cJSON_GetObjectItemCaseSensitive(m, "version");
	pjoin(p, path, "version");
	if (!cJSON_IsNull(c) && (e = mstr(L, m, path, "version", 1, 1, 200,
	    &s)) != PR_OK)
		return kerr(L, p, "must be a string or null");
	pjoin(p, path, "enabled");
	if (!cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(m, "enabled")))
		return kerr(L, p, "must be true or false");
	if ((c = cJSON_GetObjectItemCaseSensitive(m, "replicate_schema")) !=
	    NULL) {
		pjoin(p, path, "replicate_schema");
		if ((e = check_schema(L, c, p)) != PR_OK)
			return e;
	}
	warn_unknown(L, m, path, known, sizeof(known) / sizeof(known[0]));
	return PR_OK;
}

/* "models": an array of unique model objects, defaults built in. */
static enum pr_err
load_models(struct loader *L)
{
	cJSON		*models, *m, *o;
	const char	*id;
	char		 p[CFG_PATHLEN];
	size_t		 i = 0;
	enum pr_err	 e;

	if ((e = get_path(L, "models", &models)) != PR_OK)
		return e;
	if (models == NULL && (e = set_path(L, "models",
	    models = cJSON_Parse(builtin_models), BUILTIN)) != PR_OK)
		return e;
	if (!cJSON_IsArray(models) ||
	    cJSON_GetArraySize(models) > CFG_MODELS_MAX)
		return kerr(L, "models", "must be an array of at most %d model "
		    "objects", CFG_MODELS_MAX);
	cJSON_ArrayForEach(m, models) {
		snprintf(p, sizeof(p), "models[%zu]", i++);
		if ((e = check_model(L, m, p)) != PR_OK)
			return e;
		id = cJSON_GetObjectItemCaseSensitive(m, "id")->valuestring;
		for (o = models->child; o != m; o = o->next)
			if (strcmp(cJSON_GetObjectItemCaseSensitive(o,
			    "id")->valuestring, id) == 0) {
				snprintf(p, sizeof(p), "models[%zu].id", i - 1);
				return kerr(L, p, "duplicate model id \"%s\"",
				    id);
			}
	}
	L->cfg->models = models;
	return PR_OK;
}

/* Warn about keys no code reads (typos, most likely). */
static void
warn_unknown_keys(struct loader *L, const cJSON *obj, const char *path)
{
	const cJSON	*c;
	char		 p[CFG_PATHLEN];
	size_t		 i, n;
	int		 exact, prefix;

	cJSON_ArrayForEach(c, obj) {
		pjoin(p, path, c->string);
		n = strlen(p);
		exact = prefix = 0;
		for (i = 0; i < NKEYS; i++) {
			if (strcmp(keys[i].path, p) == 0)
				exact = 1;
			else if (strncmp(keys[i].path, p, n) == 0 &&
			    keys[i].path[n] == '.')
				prefix = 1;
		}
		for (i = 0; i < sizeof(extra_keys) / sizeof(extra_keys[0]);
		    i++)
			if (strcmp(extra_keys[i], p) == 0)
				exact = 1;
		if (exact)
			continue;
		if (prefix && cJSON_IsObject(c))
			warn_unknown_keys(L, c, p);
		else
			kwarn(L, p, "unknown key, ignored");
	}
}

/* -------------------------------------------------------------- public */

/*
 * Load the configuration of API.md §6 (see the top of this file for the
 * order).  On success *out is the new configuration, which the caller
 * frees with cfg_free().  On failure *out is NULL, err holds one line
 * naming the key and the file (or environment variable) at fault, and
 * the result is PR_ECONFIG, or PR_ENOMEM.  Keys cfg_secret() fills
 * (secret, url_secret) are left empty here, and nothing is created on
 * disk.
 */
enum pr_err
cfg_load(struct config **out, char *err, size_t errsz)
{
	struct loader	 L;
	struct config	*cfg;
	const char	*appenv;
	char		 file[PATH_MAX + 16];
	cJSON		*over = NULL;
	size_t		 i;
	int		 w;
	enum pr_err	 e;

	*out = NULL;
	if (errsz > 0)
		err[0] = '\0';
	memset(&L, 0, sizeof(L));
	L.err = err;
	L.errsz = errsz;
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL) {
		e = PR_ENOMEM;
		goto err;
	}
	L.cfg = cfg;
	if ((L.origins = cJSON_CreateObject()) == NULL) {
		e = PR_ENOMEM;
		goto err;
	}
	if ((e = find_config_dir(&L)) != PR_OK ||
	    (e = find_vardir(&L)) != PR_OK)
		goto err;

	w = snprintf(file, sizeof(file), "%s/default.json", cfg->config_dir);
	if (w < 0 || (size_t)w >= sizeof(file)) {
		e = lerr(&L, "CONFIG_DIR: path too long");
		goto err;
	}
	if ((e = read_json(&L, file, 1, &cfg->root)) != PR_OK ||
	    (e = set_origins(&L, cfg->root, "", file)) != PR_OK)
		goto err;

	appenv = getenv("APP_ENV");
	if (appenv != NULL && *appenv != '\0') {
		for (i = 0; appenv[i] != '\0'; i++)
			if (!isalnum((unsigned char)appenv[i]) &&
			    appenv[i] != '_' && appenv[i] != '-')
				break;
		if (appenv[i] != '\0' || i > 64) {
			e = lerr(&L, "APP_ENV: must be 1 to 64 letters, "
			    "digits, '_' or '-'");
			goto err;
		}
		w = snprintf(file, sizeof(file), "%s/%s.json",
		    cfg->config_dir, appenv);
		if (w < 0 || (size_t)w >= sizeof(file)) {
			e = lerr(&L, "CONFIG_DIR: path too long");
			goto err;
		}
		if ((e = read_json(&L, file, 1, &over)) != PR_OK ||
		    (e = merge(&L, cfg->root, over, "", file)) != PR_OK)
			goto err;
	}

	for (i = 0; i < NKEYS; i++)
		if ((e = load_key(&L, &keys[i])) != PR_OK)
			goto err;
	if ((e = load_exts(&L)) != PR_OK ||
	    (e = load_origins(&L)) != PR_OK ||
	    (e = check_specials(&L)) != PR_OK ||
	    (e = load_models(&L)) != PR_OK)
		goto err;
	warn_unknown_keys(&L, cfg->root, "");

	*out = cfg;
	cfg = NULL;
	e = PR_OK;
err:
	if (e == PR_ENOMEM && errsz > 0)
		snprintf(err, errsz, "configuration: out of memory");
	if (over != NULL) {
		wipe_tree_secrets(over);
		cJSON_Delete(over);
	}
	cJSON_Delete(L.origins);
	cfg_free(cfg);
	return e;
}

/*
 * Free a configuration, first wiping every secret it holds (in the
 * struct and in the tree).  cfg_free(NULL) is a no-op.
 */
void
cfg_free(struct config *cfg)
{

	if (cfg == NULL)
		return;
	if (cfg->root != NULL) {
		wipe_tree_secrets(cfg->root);
		cJSON_Delete(cfg->root);
	}
	OPENSSL_cleanse(cfg, sizeof(*cfg));
	free(cfg);
}

/* ------------------------------------------------------------- secrets */

/* mkdir -p with mode for the missing components. */
static int
mkdir_p(const char *path, mode_t mode)
{
	char	 p[PATH_MAX];
	size_t	 i;

	if (snprintf(p, sizeof(p), "%s", path) >= (int)sizeof(p))
		return -1;
	for (i = 1; p[i] != '\0'; i++) {
		if (p[i] != '/')
			continue;
		p[i] = '\0';
		if (mkdir(p, mode) == -1 && errno != EEXIST)
			return -1;
		p[i] = '/';
	}
	if (mkdir(p, mode) == -1 && errno != EEXIST)
		return -1;
	return is_dir(p) ? 0 : -1;
}

static int
write_all(int fd, const void *p, size_t n)
{
	const unsigned char	*c = p;
	ssize_t			 w;

	while (n > 0) {
		if ((w = write(fd, c, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Read up to max bytes of a key file into out (*got: bytes read; max + 1
 * read means "too long").  Returns 0, or -1 with errno (ENOENT when the
 * file does not exist, EINVAL when it is not a regular file).
 */
static int
key_read(const char *path, unsigned char *out, size_t max, size_t *got)
{
	struct stat	 st;
	ssize_t		 r;
	int		 fd, save, rc = -1;

	*got = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1)
		goto err;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto err;
	}
	if (st.st_mode & 077)
		log_warn("%s: accessible by group or others; it should be "
		    "mode 0600", path);
	while (*got < max + 1) {
		r = read(fd, out + *got, max + 1 - *got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			goto err;
		if (r == 0)
			break;
		*got += (size_t)r;
	}
	rc = 0;
err:
	save = errno;
	close(fd);
	errno = save;
	return rc;
}

/*
 * Create path holding n bytes with O_CREAT|O_EXCL, mode 0600.  A file we
 * created but could not fill is removed again.  Returns 0 when we created
 * it, 1 when it already existed, -1 on error.
 */
static int
key_create_excl(const char *path, const unsigned char *p, size_t n)
{
	int	 fd, save;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1)
		return errno == EEXIST ? 1 : -1;
	if (fchmod(fd, 0600) == -1 || write_all(fd, p, n) == -1 ||
	    fsync(fd) == -1) {
		save = errno;
		close(fd);
		unlink(path);
		errno = save;
		return -1;
	}
	return close(fd) == -1 ? -1 : 0;
}

/*
 * Create path holding n bytes, mode 0600, only if it does not exist.
 * The bytes go to a private temporary file first (O_CREAT|O_EXCL), which
 * link(2) then puts in place atomically, so a concurrent process never
 * sees a half-written key and exactly one creator wins.  Where the file
 * system cannot link, fall back to key_create_excl() (readers then retry
 * briefly on an empty file).  Returns 0 when we created it, 1 when it
 * already existed, -1 on error.
 */
static int
key_create(const char *path, const unsigned char *p, size_t n)
{
	char		 tmp[PATH_MAX];
	unsigned char	 rnd[8];
	int		 fd, save, w;

	if (pr_random(rnd, sizeof(rnd)) == -1)
		return -1;
	w = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld.%02x%02x%02x%02x%02x%02x"
	    "%02x%02x", path, (long)getpid(), rnd[0], rnd[1], rnd[2], rnd[3],
	    rnd[4], rnd[5], rnd[6], rnd[7]);
	if (w < 0 || (size_t)w >= sizeof(tmp))
		return key_create_excl(path, p, n);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1)
		return key_create_excl(path, p, n);
	if (fchmod(fd, 0600) == -1 || write_all(fd, p, n) == -1 ||
	    fsync(fd) == -1) {
		save = errno;
		close(fd);
		unlink(tmp);
		errno = save;
		return -1;
	}
	if (close(fd) == -1) {
		save = errno;
		unlink(tmp);
		errno = save;
		return -1;
	}
	if (link(tmp, path) == 0) {
		unlink(tmp);
		return 0;
	}
	save = errno;
	unlink(tmp);
	if (save == EEXIST)
		return 1;
	if (save == EPERM || save == ENOTSUP || save == EOPNOTSUPP ||
	    save == ENOSYS || save == EXDEV || save == EMLINK)
		return key_create_excl(path, p, n);
	errno = save;
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
 * Load the key file at path into out (want bytes), creating it with
 * fresh random content when missing.  hex: the file holds the key as
 * 2 * want hex digits (an optional final newline is allowed), else the
 * raw bytes.  Returns PR_OK or an error with a message in err.
 */
static enum pr_err
key_file(const char *path, int hex, unsigned char *out, size_t want,
    char *err, size_t errsz)
{
	static const char	 digits[] = "0123456789abcdef";
	unsigned char		 raw[KEY_LEN], text[2 * KEY_LEN + 2];
	struct timespec		 ts = { 0, 20 * 1000 * 1000 };
	size_t			 flen = hex ? 2 * want : want, got, i;
	int			 tries, rc, hi, lo;
	enum pr_err		 e = PR_EIO;

	if (want > KEY_LEN)
		return PR_EINVAL;
	for (tries = 0; tries < 100; tries++) {
		if (key_read(path, text, flen, &got) == -1) {
			if (errno != ENOENT) {
				snprintf(err, errsz, "%s: %s", path,
				    strerror(errno));
				goto err;
			}
			if (pr_random(raw, want) == -1) {
				snprintf(err, errsz, "%s: no random bytes",
				    path);
				e = PR_ECRYPTO;
				goto err;
			}
			for (i = 0; i < want; i++) {
				text[2 * i] = (unsigned char)digits[raw[i] >> 4];
				text[2 * i + 1] = (unsigned char)digits[raw[i] & 15];
			}
			rc = key_create(path, hex ? text : raw, flen);
			if (rc == 0) {
				memcpy(out, raw, want);
				e = PR_OK;
				goto err;
			}
			if (rc == -1) {
				snprintf(err, errsz, "%s: cannot create: %s",
				    path, strerror(errno));
				goto err;
			}
			continue;	/* someone else made it: read theirs */
		}
		if (hex && got == flen + 1 && text[flen] == '\n')
			got = flen;
		if (got == flen)
			break;
		if (got != 0) {
			snprintf(err, errsz, "%s: must hold exactly %zu %s",
			    path, flen, hex ? "hex digits" : "bytes");
			e = PR_ECONFIG;
			goto err;
		}
		nanosleep(&ts, NULL);	/* being written: wait */
	}
	if (tries == 100) {
		snprintf(err, errsz, "%s: must hold exactly %zu %s", path,
		    flen, hex ? "hex digits" : "bytes");
		e = PR_ECONFIG;
		goto err;
	}
	if (!hex)
		memcpy(out, text, want);
	else
		for (i = 0; i < want; i++) {
			hi = hexval(text[2 * i]);
			lo = hexval(text[2 * i + 1]);
			if (hi < 0 || lo < 0) {
				snprintf(err, errsz, "%s: must hold exactly "
				    "%zu hex digits", path, flen);
				e = PR_ECONFIG;
				goto err;
			}
			out[i] = (unsigned char)(hi << 4 | lo);
		}
	e = PR_OK;
err:
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(text, sizeof(text));
	return e;
}

/*
 * Fill cfg->secret (the HS256 key) and cfg->url_secret (the URL-signing
 * key, 64 lower-case hex digits).  The HS256 key is security.secret_key
 * (SECRET_KEY overrides it) when non-empty, refused when shorter than 32
 * bytes; else the 32 raw bytes of <vardir>/secret.key.  The URL key is
 * the 64 hex digits in <vardir>/url.key.  Missing key files are created
 * once with random content, mode 0600, race-free between processes (see
 * key_create); vardir is created (0700) when missing.  Returns PR_OK or
 * an error with a message in err.
 */
enum pr_err
cfg_secret(struct config *cfg, char *err, size_t errsz)
{
	static const char	 digits[] = "0123456789abcdef";
	const cJSON		*sk;
	unsigned char		 key[KEY_LEN];
	char			 path[PATH_MAX];
	size_t			 len, i;
	enum pr_err		 e;

	if (errsz > 0)
		err[0] = '\0';
	sk = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(cfg->root, "security"),
	    "secret_key");
	len = cJSON_IsString(sk) ? strlen(sk->valuestring) : 0;
	if (mkdir_p(cfg->vardir, 0700) == -1) {
		snprintf(err, errsz, "VARDIR %s: cannot create: %s",
		    cfg->vardir, strerror(errno));
		return PR_EIO;
	}
	if (len > 0) {
		if (len < 32) {
			snprintf(err, errsz, "SECRET_KEY must be at least 32 "
			    "bytes");
			return PR_ECONFIG;
		}
		if (len > sizeof(cfg->secret)) {
			snprintf(err, errsz, "SECRET_KEY must be at most %zu "
			    "bytes", sizeof(cfg->secret));
			return PR_ECONFIG;
		}
		memcpy(cfg->secret, sk->valuestring, len);
		cfg->secret_len = len;
	} else {
		if (join_path(cfg->vardir, "secret.key", path,
		    sizeof(path)) == -1) {
			snprintf(err, errsz, "VARDIR: path too long");
			return PR_ECONFIG;
		}
		if ((e = key_file(path, 0, cfg->secret, KEY_LEN, err,
		    errsz)) != PR_OK)
			return e;
		cfg->secret_len = KEY_LEN;
	}
	if (join_path(cfg->vardir, "url.key", path, sizeof(path)) == -1) {
		snprintf(err, errsz, "VARDIR: path too long");
		return PR_ECONFIG;
	}
	if ((e = key_file(path, 1, key, KEY_LEN, err, errsz)) == PR_OK) {
		for (i = 0; i < KEY_LEN; i++) {
			cfg->url_secret[2 * i] = digits[key[i] >> 4];
			cfg->url_secret[2 * i + 1] = digits[key[i] & 15];
		}
		cfg->url_secret[2 * KEY_LEN] = '\0';
	}
	OPENSSL_cleanse(key, sizeof(key));
	return e;
}

/* --------------------------------------------------------- database URL */

/*
 * Parse DATABASE_URL (API.md §6): "sqlite:///rel.db" is relative to
 * vardir, "sqlite:////abs.db" absolute, "sqlite+aiosqlite://" the same,
 * a query string after a sqlite URL ("?check_same_thread=...") is
 * ignored, a bare path is relative to vardir unless absolute, and
 * "postgresql://" or "postgres://" gives DB_POSTGRES with path "".
 * Anything else that looks like "scheme:" is refused.  Returns 0 or -1.
 */
int
cfg_parse_db_url(const char *url, const char *vardir, enum db_kind *kind,
    char *path, size_t pathsz)
{
	char		 p[PATH_MAX];
	const char	*s;
	size_t		 i, n;

	if (url == NULL || *url == '\0' || kind == NULL || path == NULL ||
	    pathsz == 0)
		return -1;
	path[0] = '\0';
	if (has_ctrl(url))
		return -1;
	if (strncmp(url, "postgresql://", 13) == 0 ||
	    strncmp(url, "postgres://", 11) == 0) {
		*kind = DB_POSTGRES;
		return 0;
	}
	if (strncmp(url, "sqlite+aiosqlite://", 19) == 0)
		s = url + 19;
	else if (strncmp(url, "sqlite://", 9) == 0)
		s = url + 9;
	else {
		/* A scheme is a letter, then letters, digits, + - . */
		for (i = 0; isalnum((unsigned char)url[i]) || url[i] == '+' ||
		    url[i] == '-' || url[i] == '.'; i++)
			;
		if (i > 0 && isalpha((unsigned char)url[0]) && url[i] == ':')
			return -1;
		s = NULL;
	}
	if (s != NULL) {
		if (*s++ != '/')	/* "sqlite://host/x.db" */
			return -1;
		n = strcspn(s, "?");
	} else {
		s = url;
		n = strlen(s);
	}
	if (n == 0 || n >= sizeof(p) || s[n - 1] == '/')
		return -1;
	memcpy(p, s, n);
	p[n] = '\0';
	if (*p != '/' && (vardir == NULL || *vardir != '/'))
		return -1;
	if (join_path(vardir != NULL ? vardir : "/", p, path, pathsz) == -1) {
		path[0] = '\0';
		return -1;
	}
	*kind = DB_SQLITE;
	return 0;
}

/* ------------------------------------------------------------- redaction */

struct rbuf {
	char	*p;
	size_t	 sz;
	size_t	 len;
};

/* Append n bytes, silently truncating (the result stays NUL-terminated). */
static void
rb_add(struct rbuf *b, const char *s, size_t n)
{

	if (b->len + 1 >= b->sz)
		return;
	if (n > b->sz - 1 - b->len)
		n = b->sz - 1 - b->len;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* Query parameter names whose values are secrets. */
static int
secret_param(const char *name, size_t n)
{
	static const char *const words[] = { "password", "passwd", "pwd",
	    "token", "key", "secret" };
	size_t	 i, w;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		w = strlen(words[i]);
		if (n >= w && strncasecmp(name + n - w, words[i], w) == 0)
			return 1;
	}
	return 0;
}

/*
 * Copy url into out (always NUL-terminated, truncated to outsz) with the
 * password of the user-info part ("scheme://user:PASS@host") and the
 * values of query parameters named *password, *passwd, *pwd, *token,
 * *key or *secret replaced by "***".  A URL without either comes out
 * unchanged.  When an unencoded '/', '?' or '#' in the password hides
 * the '@', everything up to the last '@' is redacted: better too much
 * than a leak.
 */
void
cfg_redact_url(const char *url, char *out, size_t outsz)
{
	struct rbuf	 b = { out, outsz, 0 };
	const char	*auth, *aend, *at = NULL, *colon = NULL, *p, *q, *amp;
	const char	*eq, *hash;

	if (outsz == 0)
		return;
	out[0] = '\0';
	if (url == NULL)
		return;
	p = url;
	if ((auth = strstr(url, "://")) != NULL) {
		auth += 3;
		aend = auth + strcspn(auth, "/?#");
		for (q = auth; q < aend; q++)
			if (*q == '@')
				at = q;
		if (at == NULL && (at = strrchr(aend, '@')) != NULL &&
		    memchr(auth, ':', (size_t)(at - auth)) == NULL)
			at = NULL;
		if (at != NULL)
			colon = memchr(auth, ':', (size_t)(at - auth));
		if (colon != NULL && colon + 1 < at) {
			rb_add(&b, url, (size_t)(colon + 1 - url));
			rb_add(&b, "***", 3);
			p = at;
		}
	}
	/* The query string, up to any fragment. */
	if ((q = strchr(p, '?')) == NULL) {
		rb_add(&b, p, strlen(p));
		return;
	}
	rb_add(&b, p, (size_t)(q + 1 - p));
	p = q + 1;
	hash = p + strcspn(p, "#");
	while (p < hash) {
		amp = p + strcspn(p, "&;#");
		if (amp > hash)
			amp = hash;
		eq = memchr(p, '=', (size_t)(amp - p));
		if (eq != NULL && eq + 1 < amp &&
		    secret_param(p, (size_t)(eq - p))) {
			rb_add(&b, p, (size_t)(eq + 1 - p));
			rb_add(&b, "***", 3);
		} else
			rb_add(&b, p, (size_t)(amp - p));
		p = amp;
		if (p < hash) {
			rb_add(&b, p, 1);
			p++;
		}
	}
	rb_add(&b, hash, strlen(hash));
}

/* Replace obj[name] by "***" when it is a non-empty string. */
static void
redact_member(cJSON *obj, const char *name)
{
	cJSON	*c = cJSON_GetObjectItemCaseSensitive(obj, name), *r;

	if (!cJSON_IsString(c) || *c->valuestring == '\0')
		return;
	wipe_string(c);
	if ((r = cJSON_CreateString("***")) != NULL &&
	    !cJSON_ReplaceItemInObjectCaseSensitive(obj, name, r))
		cJSON_Delete(r);
}

/* Replace obj[name], a URL string, by its redacted form. */
static void
redact_url_member(cJSON *obj, const char *name)
{
	cJSON	*c = cJSON_GetObjectItemCaseSensitive(obj, name), *r;
	char	 red[2048];

	if (!cJSON_IsString(c))
		return;
	cfg_redact_url(c->valuestring, red, sizeof(red));
	wipe_string(c);
	if ((r = cJSON_CreateString(red)) != NULL &&
	    !cJSON_ReplaceItemInObjectCaseSensitive(obj, name, r))
		cJSON_Delete(r);
}

/*
 * The merged configuration as pretty-printed JSON, with
 * security.secret_key, every api_providers.*.api_key/api_token and
 * auth.password replaced by "***" when set, and database.url and the
 * provider URLs redacted with cfg_redact_url().  Returns a malloc'd
 * string the caller frees, or NULL when out of memory.
 */
char *
cfg_dump_redacted(const struct config *cfg)
{
	cJSON	*t, *c;
	char	*s;

	if (cfg == NULL || cfg->root == NULL)
		return NULL;
	if ((t = cJSON_Duplicate(cfg->root, 1)) == NULL)
		return NULL;
	redact_member(cJSON_GetObjectItemCaseSensitive(t, "security"),
	    "secret_key");
	redact_member(cJSON_GetObjectItemCaseSensitive(t, "auth"),
	    "password");
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(t,
	    "api_providers")) {
		redact_member(c, "api_key");
		redact_member(c, "api_token");
		redact_url_member(c, "api_url");
	}
	redact_url_member(cJSON_GetObjectItemCaseSensitive(t, "database"),
	    "url");
	s = cJSON_Print(t);
	wipe_tree_secrets(t);
	cJSON_Delete(t);
	return s;
}

/*
 * The entry of cfg->models whose "id" is id, or NULL.  Borrowed from
 * cfg->root; valid until cfg_free().
 */
const cJSON *
cfg_model(const struct config *cfg, const char *id)
{
	const cJSON	*m, *mid;

	if (cfg == NULL || id == NULL)
		return NULL;
	cJSON_ArrayForEach(m, cfg->models) {
		mid = cJSON_GetObjectItemCaseSensitive(m, "id");
		if (cJSON_IsString(mid) && strcmp(mid->valuestring, id) == 0)
			return m;
	}
	return NULL;
}
