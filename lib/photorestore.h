/*
 * photorestore.h: the public interface of libcommon.
 *
 * The FastCGI programs in cgi-bin/ and the photorestore(1) command include
 * only this header (and libc).  It never exposes SQLite, libfcgi, libcurl or
 * OpenSSL types, so the transport, the database and the providers can change
 * under the handlers.  cJSON is part of the interface: handlers build their
 * JSON answers with it (it keeps insertion order, which the API needs).
 */
#ifndef PHOTORESTORE_H
#define PHOTORESTORE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#define PR_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* ---------------------------------------------------------------- errors */

/*
 * One error enum for the library.  PR_OK is zero; pr_strerror() gives a
 * short English phrase for each value.
 */
enum pr_err {
	PR_OK = 0,
	PR_ENOMEM,	/* memory allocation failed */
	PR_EINVAL,	/* malformed or out-of-range input */
	PR_ETOOBIG,	/* input over its fixed maximum */
	PR_ENOTFOUND,	/* no such row / file */
	PR_ECONFLICT,	/* a unique constraint would be broken */
	PR_EDB,		/* database error */
	PR_EBUSY,	/* database locked past the busy timeout */
	PR_EIO,		/* file system or network I/O error */
	PR_ECRYPTO,	/* the crypto library failed */
	PR_ECONFIG,	/* invalid configuration */
	PR__MAX
};

const char	*pr_strerror(enum pr_err);

/* ---------------------------------------------------------------- buffers */

/*
 * A growable byte buffer with a maximum fixed at creation (like curl's
 * dynbuf).  data is always NUL-terminated when non-NULL; len excludes the
 * NUL.  Appending past max fails with PR_ETOOBIG and leaves the buffer as it
 * was.
 */
struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
	size_t	 max;
};

void		 buf_init(struct buf *, size_t max);
enum pr_err	 buf_append(struct buf *, const void *, size_t);
enum pr_err	 buf_puts(struct buf *, const char *);
enum pr_err	 buf_printf(struct buf *, const char *, ...) PR_PRINTF(2, 3);
void		 buf_reset(struct buf *);
void		 buf_free(struct buf *);

/* ---------------------------------------------------------------- utilities */

/*
 * Parse a decimal integer in [min, max] (OpenBSD strtonum's idea on top of
 * strtoll, errno and the end pointer).  Returns 0 and sets *out, or -1.
 */
int		 pr_strtonum(const char *, long long min, long long max,
		    long long *out);

/* Fill buf with n bytes from the OS CSPRNG.  Returns 0 or -1. */
int		 pr_random(void *buf, size_t n);

/* Write a fresh random RFC 4122 version-4 UUID (36 chars + NUL). */
int		 pr_uuid4(char out[37]);

/* Format unix seconds as "YYYY-MM-DDTHH:MM:SSZ" (21 bytes with NUL). */
void		 pr_isotime(int64_t t, char out[32]);

/* Current time in unix seconds. */
int64_t		 pr_now(void);

/* ASCII lower-casing into out (NUL-terminated, truncated to outsz). */
void		 pr_lower(const char *in, char *out, size_t outsz);

/* Overwrite a secret so the compiler cannot elide it (OPENSSL_cleanse). */
void		 pr_wipe(void *, size_t);

/* --------------------------------------------------------------- logging */

enum prlog_level {
	PRLOG_DEBUG = 0,
	PRLOG_INFO,
	PRLOG_WARN,
	PRLOG_ERROR
};

/*
 * Logging goes to stderr, and to file when non-NULL (opened O_APPEND).
 * Each line: ISO time, level, program name, pid, request id, message.
 * Messages must never contain secrets: use cfg_redact_url() for URLs.
 */
void		 log_init(const char *prog, enum prlog_level, const char *file);
int		 log_level_parse(const char *, enum prlog_level *);
void		 log_set_request_id(const char *);
void		 log_msg(enum prlog_level, const char *, ...) PR_PRINTF(2, 3);
#define log_debug(...)	log_msg(PRLOG_DEBUG, __VA_ARGS__)
#define log_info(...)	log_msg(PRLOG_INFO, __VA_ARGS__)
#define log_warn(...)	log_msg(PRLOG_WARN, __VA_ARGS__)
#define log_error(...)	log_msg(PRLOG_ERROR, __VA_ARGS__)

/* ------------------------------------------------------------- base64url */

/*
 * RFC 4648 §5 base64url without padding.  b64url_encode writes
 * b64url_enclen(n)+1 bytes (NUL-terminated).  b64url_decode is strict:
 * alphabet only, no padding, no whitespace, zero unused trailing bits,
 * length mod 4 != 1; it writes at most b64url_declen(n) bytes to out and
 * sets *outlen.  Returns 0 or -1.
 */
size_t		 b64url_enclen(size_t);
size_t		 b64url_declen(size_t);
void		 b64url_encode(const unsigned char *, size_t, char *out);
int		 b64url_decode(const char *, size_t, unsigned char *out,
		    size_t outsz, size_t *outlen);

/* Standard base64 with padding (for data: URIs), NUL-terminated. */
size_t		 b64_enclen(size_t);
void		 b64_encode(const unsigned char *, size_t, char *out);

/* ------------------------------------------------------------------- JWT */

#define JWT_MAXLEN	4096	/* tokens longer than this are rejected */
#define JWT_LEEWAY	60	/* seconds of clock skew accepted on exp */
#define JWT_MAXLIFE	(400LL * 86400)	/* exp - iat must not exceed this */

enum jwt_err {
	JWT_OK = 0,
	JWT_ETOOLONG,	/* over JWT_MAXLEN */
	JWT_EFORMAT,	/* not exactly three dot-separated segments */
	JWT_EBASE64,	/* a segment is not strict base64url */
	JWT_ESIG,	/* signature does not match */
	JWT_EHEADER,	/* header not a JSON object, duplicate keys, crit... */
	JWT_EALG,	/* alg is not exactly "HS256" */
	JWT_ECLAIMS,	/* payload not a JSON object, duplicates, bad types */
	JWT_EMISSING,	/* a required claim is missing */
	JWT_EEXPIRED,	/* exp + leeway <= now, or lifetime too long */
	JWT_ENOMEM,
	JWT_ECRYPTO,
	JWT__MAX
};

const char	*jwt_strerror(enum jwt_err);

/* The claims photorestore puts in and reads from a token (API.md §1.2). */
struct jwt_claims {
	char	 sub[128];		/* username */
	int64_t	 user_id;
	char	 role[16];		/* "admin" or "user" */
	char	 session_id[40];	/* UUID of sessions.session_id */
	int	 password_must_change;
	int64_t	 exp;
	int64_t	 iat;
	char	 jti[40];
};

/*
 * Sign claims as an HS256 JWT with header {"alg":"HS256","typ":"JWT"} and
 * claims in the order sub, user_id, role, session_id, password_must_change,
 * exp, iat, jti.  *out is malloc'd, NUL-terminated; the caller frees it.
 */
enum jwt_err	 jwt_sign(const struct jwt_claims *, const unsigned char *key,
		    size_t keylen, char **out);

/*
 * Verify a token in the fixed order of STYLE.md: length cap, three segments,
 * strict base64url, HMAC-SHA256 over the received "header.payload" bytes,
 * CRYPTO_memcmp on 32 bytes, header checks (alg exactly HS256, no duplicate
 * keys, no crit/jku/jwk/x5u), payload a JSON object without duplicate keys,
 * exp required (numeric) and exp + JWT_LEEWAY > now.  On success *payload
 * (when non-NULL) receives the parsed claims object; the caller frees it
 * with cJSON_Delete.  now is a parameter so published vectors stay testable.
 */
enum jwt_err	 jwt_decode(const char *tok, size_t len,
		    const unsigned char *key, size_t keylen, int64_t now,
		    cJSON **payload);

/*
 * jwt_decode, then require sub (string), user_id (integer), role (string),
 * session_id (string, UUID form), password_must_change (bool) and exp, and
 * copy them into *out (JWT_EMISSING / JWT_ECLAIMS otherwise).
 */
enum jwt_err	 jwt_verify(const char *tok, size_t len,
		    const unsigned char *key, size_t keylen, int64_t now,
		    struct jwt_claims *out);

/* ------------------------------------------------------------- passwords */

#define PW_MAXLEN	1024	/* passwords longer than this are refused */
#define PW_HASHLEN	256	/* enough for any stored hash string */
#define PW_MIN_ITER	1
#define PW_MAX_ITER	10000000

/*
 * PBKDF2-HMAC-SHA256 over explicit lengths (so embedded NULs count).
 * Returns 0 or -1.
 */
int		 pbkdf2_sha256(const void *pw, size_t pwlen, const void *salt,
		    size_t saltlen, unsigned iter, unsigned char *out,
		    size_t outlen);

/*
 * Hash a password as "$pbkdf2-sha256$i=<iter>$<b64 salt>$<b64 hash>" with a
 * fresh 16-byte salt and a 32-byte key (b64 = base64url, no padding).
 * out must hold PW_HASHLEN bytes.  Returns 0 or -1.
 */
int		 pw_hash(const char *pw, size_t pwlen, unsigned iter,
		    char out[PW_HASHLEN]);

/*
 * Verify a password against a stored string in constant time.  Accepts our
 * PBKDF2 format and, for imported accounts, bcrypt "$2a$/$2b$/$2y$" through
 * crypt(3).  Returns 1 on match, 0 on mismatch, -1 on a malformed stored
 * string.  *rehash (when non-NULL) is set to 1 when the stored hash is not
 * PBKDF2 or has fewer iterations than iter, so the caller can re-hash.
 */
int		 pw_verify(const char *pw, size_t pwlen, const char *stored,
		    unsigned iter, int *rehash);

/*
 * Burn the same time as pw_verify() against a real hash of iter rounds, for
 * unknown users (no timing oracle).  Always returns 0.
 */
int		 pw_verify_dummy(const char *pw, size_t pwlen, unsigned iter);

/*
 * Password policy of API.md §2.  Returns NULL when acceptable, else the
 * pydantic-style message: "String should have at least 8 characters" (then
 * *type = "string_too_short") or "Value error, Password must ..."
 * (*type = "value_error").
 */
const char	*pw_policy(const char *pw, const char **type);

/* Generate a random password that satisfies pw_policy (len >= 16). */
int		 pw_generate(char *out, size_t outsz);

/* ----------------------------------------------------------------- config */

#define CFG_MAX_EXT	16

enum db_kind {
	DB_SQLITE = 0,
	DB_POSTGRES
};

struct provider_cfg {
	char	 api_key[512];		/* token; never printed */
	char	 api_url[1024];
	int	 timeout_seconds;
	int	 retry_attempts;
	double	 retry_delay_seconds;
	size_t	 max_response_bytes;
};

/*
 * The effective configuration (API.md §6).  Loaded by cfg_load() from
 * CONFIG_DIR (default "conf" beside the binaries' checkout), default.json
 * deep-merged with <APP_ENV>.json (lists replace), then every environment
 * name overrides its key.  All paths are absolute after loading.
 */
struct config {
	cJSON	*root;			/* merged tree (secrets included) */
	char	 config_dir[PATH_MAX];
	char	 vardir[PATH_MAX];	/* VARDIR, absolute */

	char	 app_name[128];
	char	 app_version[64];
	int	 debug;

	int64_t	 access_token_expire_minutes;
	int64_t	 remember_me_expire_days;
	unsigned pbkdf2_iterations;
	int	 login_max_failures;
	int	 login_window_seconds;
	unsigned char secret[256];	/* HS256 key; see cfg_secret() */
	size_t	 secret_len;
	char	 url_secret[65];	/* nginx secure_link key (hex) */

	char	 database_url[1024];	/* as given; print only redacted */
	enum db_kind db_kind;
	char	 db_path[PATH_MAX];	/* SQLite file, absolute */
	int	 db_busy_timeout_ms;

	char	 upload_dir[PATH_MAX];
	char	 processed_dir[PATH_MAX];
	double	 max_upload_size_mb;
	char	 allowed_ext[CFG_MAX_EXT][16];	/* ".jpg", lower case */
	size_t	 n_allowed_ext;
	int64_t	 max_pixels;
	int	 url_ttl_seconds;
	int	 retention_days;
	int	 jpeg_quality;

	struct provider_cfg hf;
	struct provider_cfg replicate;
	const cJSON *models;		/* array, borrowed from root */
	int	 models_require_auth;

	int	 session_cleanup_hours;
	int	 max_concurrent_uploads_per_session;

	enum prlog_level log_level;
	char	 log_file[PATH_MAX];	/* "" = stderr only */

	char	 auth_username[128];
	char	 auth_email[256];
	char	 auth_full_name[256];
	char	 auth_password[256];	/* "" when unset: generate one */

	int	 workers;		/* processes per FastCGI program */
	int	 max_requests;		/* recycle a worker after this many */
};

/*
 * Load the configuration.  On failure returns PR_ECONFIG (or PR_ENOMEM)
 * and writes a message naming the key and the file into err.  The caller
 * frees the result with cfg_free(), which wipes the secrets.
 */
enum pr_err	 cfg_load(struct config **, char *err, size_t errsz);
void		 cfg_free(struct config *);

/*
 * Load or create the HS256 key and the URL-signing key: SECRET_KEY from
 * the environment if set (refused when shorter than 32 bytes), else
 * <vardir>/secret.key, created once with 32 random bytes, mode 0600.  The
 * URL key lives in <vardir>/url.key likewise.
 */
enum pr_err	 cfg_secret(struct config *, char *err, size_t errsz);

/*
 * Parse a DATABASE_URL (API.md §6) into a kind and, for SQLite, an absolute
 * path (three slashes: relative to vardir; four: absolute; bare path:
 * relative to vardir unless absolute).  Returns 0 or -1.
 */
int		 cfg_parse_db_url(const char *url, const char *vardir,
		    enum db_kind *, char *path, size_t pathsz);

/* Copy url into out with any password replaced by "***". */
void		 cfg_redact_url(const char *url, char *out, size_t outsz);

/*
 * The effective configuration as a JSON text with every secret replaced by
 * "***" and URLs redacted.  malloc'd; the caller frees.
 */
char		*cfg_dump_redacted(const struct config *);

/* The model object with the given id, or NULL.  Borrowed. */
const cJSON	*cfg_model(const struct config *, const char *id);

/* ------------------------------------------------------------- database */

#define DB_TIMELEN	32

struct user {
	int64_t	 id;
	char	 username[64];
	char	 email[256];
	char	 full_name[1024];	/* 255 characters of UTF-8 */
	char	 role[16];
	int	 is_active;
	int	 password_must_change;
	char	 password_hash[PW_HASHLEN];
	char	 created_at[DB_TIMELEN];
	char	 last_login[DB_TIMELEN];	/* "" when never */
};

struct session {
	int64_t	 id;
	int64_t	 user_id;
	char	 session_id[40];
	char	 created_at[DB_TIMELEN];
	char	 last_accessed[DB_TIMELEN];
	int64_t	 expires_at;		/* unix seconds */
	char	 user_agent[512];	/* "" with has_user_agent = 0 for NULL */
	int	 has_user_agent;
	char	 ip_address[64];
	int	 has_ip_address;
	int64_t	 image_count;		/* filled by db_session_list only */
};

#define IMG_PARAMS_MAX	16384

struct image {
	int64_t	 id;
	int64_t	 user_id;
	char	 session_id[40];	/* uuid; "" when the session is gone */
	char	 original_filename[256];
	char	 model_id[128];
	char	 original_path[512];	/* relative to upload_dir */
	char	 processed_path[512];	/* relative to processed_dir */
	char	 model_parameters[IMG_PARAMS_MAX]; /* JSON text */
	int	 has_model_parameters;
	char	 created_at[DB_TIMELEN];
};

struct user_filter {
	const char	*role;		/* NULL or "" = any */
	int		 is_active;	/* -1 = any */
	const char	*search;	/* NULL or "" = any */
	int64_t		 skip;
	int64_t		 limit;
};

struct db;

/* Callbacks return 0 to go on, non-zero to stop (that value is kept). */
typedef int (*db_user_cb)(const struct user *, void *);
typedef int (*db_session_cb)(const struct session *, void *);
typedef int (*db_image_cb)(const struct image *, void *);

/*
 * Open the database named by the configuration (SQLite: WAL, foreign keys,
 * busy timeout, SQLITE_DBCONFIG_DEFENSIVE).  Statements are prepared once
 * per process.  db_close(NULL) is a no-op.
 */
enum pr_err	 db_open(const struct config *, struct db **);
void		 db_close(struct db *);
const char	*db_errmsg(struct db *);

/*
 * Apply the numbered migrations in schema.sql that are not yet recorded in
 * schema_migrations, each in one IMMEDIATE transaction, so concurrent
 * starts do not race.  *applied (when non-NULL) counts those applied now.
 */
enum pr_err	 db_migrate(struct db *, int *applied);

/* Read one row from a core table: health check. */
enum pr_err	 db_ping(struct db *);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. */
enum pr_err	 db_begin(struct db *);
enum pr_err	 db_commit(struct db *);
enum pr_err	 db_rollback(struct db *);

/*
 * A read-only snapshot around a few lookups (the access gate's user and
 * session): on SQLite one WAL read lock instead of one per statement.
 * db_read_begin returns 1 when it opened one (then db_read_end must be
 * called), 0 when it did not (a transaction is already open, the backend
 * gains nothing from it, or it failed: the lookups then run on their own).
 */
int		 db_read_begin(struct db *);
void		 db_read_end(struct db *);

/* Users.  Lookups of username and email are case-insensitive. */
enum pr_err	 db_user_by_id(struct db *, int64_t, struct user *);
enum pr_err	 db_user_by_login(struct db *, const char *, struct user *);
enum pr_err	 db_user_taken(struct db *, const char *username,
		    const char *email, int64_t except_id, int *username_taken,
		    int *email_taken);
enum pr_err	 db_user_insert(struct db *, struct user *, int64_t now);
enum pr_err	 db_user_update(struct db *, const struct user *);
enum pr_err	 db_user_set_password(struct db *, int64_t id,
		    const char *hash, int must_change);
enum pr_err	 db_user_set_last_login(struct db *, int64_t id, int64_t now);
enum pr_err	 db_user_delete(struct db *, int64_t id);
enum pr_err	 db_user_list(struct db *, const struct user_filter *,
		    db_user_cb, void *, int64_t *total);
enum pr_err	 db_user_count_active_admins(struct db *, int64_t *);
enum pr_err	 db_user_count(struct db *, int64_t *);

/*
 * Create the seed administrator from cfg->auth_* unless that username or
 * email exists; a generated password (when none is configured) is copied
 * to genpw, else genpw is "".  Race-safe across processes.
 */
enum pr_err	 seed_admin(const struct config *, struct db *, char *genpw,
		    size_t genpwsz, int *created);

/* Sessions. */
enum pr_err	 db_session_insert(struct db *, struct session *, int64_t now);
enum pr_err	 db_session_by_uuid(struct db *, const char *,
		    struct session *);
enum pr_err	 db_session_touch(struct db *, int64_t id, int64_t now);
enum pr_err	 db_session_delete(struct db *, int64_t id);
enum pr_err	 db_session_delete_user(struct db *, int64_t user_id,
		    const char *except_uuid);
enum pr_err	 db_session_list(struct db *, int64_t user_id, db_session_cb,
		    void *);
enum pr_err	 db_session_delete_expired(struct db *, int64_t now,
		    int64_t *deleted);

/* Login failures per key ("username|ip"), kept in the database. */
enum pr_err	 db_login_failures(struct db *, const char *key,
		    int64_t since, int64_t *count, int64_t *oldest);
enum pr_err	 db_login_fail_add(struct db *, const char *key, int64_t now);
enum pr_err	 db_login_fail_clear(struct db *, const char *key);

/* Images, always scoped to a user. */
enum pr_err	 db_image_insert(struct db *, struct image *, int64_t now);
enum pr_err	 db_image_get(struct db *, int64_t id, int64_t user_id,
		    struct image *);
enum pr_err	 db_image_list(struct db *, int64_t user_id,
		    const char *session_uuid, int64_t limit, int64_t offset,
		    db_image_cb, void *, int64_t *total);
enum pr_err	 db_image_delete(struct db *, int64_t id, int64_t user_id);
enum pr_err	 db_image_each_of_user(struct db *, int64_t user_id,
		    db_image_cb, void *);
enum pr_err	 db_image_older_than(struct db *, int64_t before,
		    db_image_cb, void *);

/*
 * Per-session upload slots held across processes: acquire fails with
 * PR_EBUSY when max slots are taken.  Slots carry the holder's pid and
 * expire, so a killed worker cannot leak one.
 */
enum pr_err	 db_slot_acquire(struct db *, int64_t session_row, int max,
		    int64_t now, int64_t *slot);
enum pr_err	 db_slot_release(struct db *, int64_t slot);

/* ----------------------------------------------------------------- HTTP */

#define REQ_MAXPARAMS	4
#define REQ_JSON_MAX	(64 * 1024)	/* JSON bodies larger than this: 413 */
#define REQ_JSON_DEPTH	16

struct req;

/* Read up to n body bytes; returns bytes read, 0 at end, -1 on error. */
typedef ssize_t (*req_read_fn)(struct req *, void *, size_t);

struct req {
	const char	*method;
	const char	*path;		/* without the query string */
	const char	*query;		/* raw, "" when none */
	const char	*authorization;	/* NULL when absent */
	const char	*content_type;
	const char	*user_agent;
	const char	*remote_addr;
	const char	*request_id;
	int64_t		 content_length;	/* -1 when absent */
	const char	*body;		/* pre-read body (non-stream routes) */
	size_t		 bodylen;
	req_read_fn	 read;		/* stream routes read with this */
	void		*io;
	int64_t		 now;
	struct config	*cfg;
	struct db	*db;
	const char	*params[REQ_MAXPARAMS];	/* captured "*" segments */
	size_t		 nparams;
};

struct resp {
	int		 status;
	struct buf	 headers;	/* "Name: value\r\n" lines */
	struct buf	 body;
	const char	*content_type;	/* NULL: no body type */
};

void		 resp_init(struct resp *);
void		 resp_free(struct resp *);
const char	*http_reason(int status);

/* Add a header; name and value must not contain CR or LF (checked). */
void		 resp_header(struct resp *, const char *name,
		    const char *fmt, ...) PR_PRINTF(3, 4);

/* Serialise obj (which is freed) as the JSON body with the status. */
void		 resp_json(struct resp *, int status, cJSON *obj);

/* {"detail": "<text>"} with the status. */
void		 resp_error(struct resp *, int status, const char *detail);
void		 resp_errorf(struct resp *, int status, const char *, ...)
		    PR_PRINTF(3, 4);

/* An empty answer (204). */
void		 resp_empty(struct resp *, int status);

/*
 * 422 validation errors in the pydantic form of API.md §0.  verr_add
 * appends {"type","loc":[where, field],"msg","input"} to list (input is
 * taken over; NULL becomes JSON null).  resp_422 sends and frees the list.
 */
cJSON		*verr_new(void);
void		 verr_add(cJSON *list, const char *type, const char *where,
		    const char *field, const char *msg, cJSON *input);
void		 resp_422(struct resp *, cJSON *list);

/*
 * Parse the body as a JSON object (size <= REQ_JSON_MAX, depth <=
 * REQ_JSON_DEPTH, no trailing bytes).  On failure fills resp with the 422
 * json_invalid / model_attributes_type answer and returns -1.
 */
int		 req_json(const struct req *, struct resp *, cJSON **out);
/*
 * req_json(), after refusing a body that is not UTF-8 the way FastAPI
 * does on the users and admin routes (400 "There was an error parsing the
 * body"), so no invalid UTF-8 can reach the database or be echoed in a
 * 422 "input".
 */
int		 req_json_utf8(const struct req *, struct resp *, cJSON **out);
/*
 * The length of the well-formed UTF-8 sequence at s (n bytes available),
 * or 0 when there is none (RFC 3629: no overlongs, no surrogates, at most
 * U+10FFFF).
 */
size_t		 utf8_seq(const unsigned char *s, size_t n);

/*
 * Field readers for a parsed JSON body: each checks presence and type and
 * length, appending pydantic-style entries to errs; they return 1 when the
 * field was present and valid, 0 when absent (default applies), -1 when
 * invalid (an entry was added).  Strings are borrowed from obj.
 */
int		 jf_string(const cJSON *obj, const char *name, int required,
		    size_t minlen, size_t maxlen, cJSON *errs,
		    const char **out);
int		 jf_bool(const cJSON *obj, const char *name, int required,
		    cJSON *errs, int *out);

/*
 * Query string helpers: query_get copies the url-decoded value of name into
 * out (returns 1 found, 0 absent, -1 too long or bad encoding).
 */
int		 query_get(const char *query, const char *name, char *out,
		    size_t outsz);
/* Percent-decode in place semantics into out; returns 0 or -1. */
int		 url_decode(const char *in, size_t len, char *out,
		    size_t outsz, int plus_is_space);

typedef void (*handler_fn)(struct req *, struct resp *);

#define RT_STREAM	0x01	/* handler reads the body itself */

struct route {
	const char	*method;	/* "GET", "POST", ... */
	const char	*pattern;	/* "/api/v1/users/me/sessions/ *" */
	handler_fn	 fn;
	int		 flags;
};

/*
 * Find the route for req->method and req->path ("*" matches one non-empty
 * segment, captured in req->params) and call it; 404 {"detail":"Not
 * Found"} when no pattern matches, 405 "Method Not Allowed" (with Allow)
 * when only the method differs.  Returns the route used or NULL.
 */
const struct route *http_route(const struct route *, size_t n,
		    struct req *);
void		 http_dispatch(const struct route *, size_t n, struct req *,
		    struct resp *);

/* ------------------------------------------------------------- auth gate */

enum auth_level {
	AUTH_USER = 1,
	AUTH_ADMIN
};

#define AUTH_ALLOW_MUST_CHANGE	0x01	/* endpoint of API.md §1.3 list */

struct auth {
	struct jwt_claims claims;
	struct user	 user;
	struct session	 session;
};

/*
 * The gate of API.md §0: Bearer header, jwt_verify, session row exists and
 * belongs to user_id, user exists and is active, admin role from the DB,
 * the password-change gate.  Returns 0 and fills *out, or fills resp with
 * the contract's 401/403 (WWW-Authenticate on 401) and returns -1.
 */
int		 auth_check(struct req *, struct resp *, enum auth_level,
		    int flags, struct auth *out);

/* Serialise a user as the UserResponse object of API.md §2. */
cJSON		*user_json(const struct user *);

/* ---------------------------------------------------------------- runas */

/*
 * Started as root outside systemd, a program switches to the user in env
 * PHOTORESTORE_USER (default "photorestore") once its socket and log are
 * open.  Only a uid-0 user named explicitly (PHOTORESTORE_USER=root, the
 * development stack run by root) keeps root, with a warning.
 */
struct runas {
	int	 drop;		/* started as root: switch users */
	uid_t	 uid;
	gid_t	 gid;
	char	 name[64];
};

/* Look the user up (prog names us in messages).  Returns 0 or -1. */
int		 runas_lookup(const char *prog, struct runas *);
/* Root creating a file the switched user keeps writing: chown it. */
void		 runas_file(const struct runas *, const char *path);
/* Switch for good and check it worked.  Returns 0 or -1 (logged). */
int		 runas_drop(const struct runas *, const struct config *);

/* -------------------------------------------------------------- FastCGI */

struct app {
	const char		*name;		/* "auth", "users", ... */
	const struct route	*routes;
	size_t			 nroutes;
	size_t			 max_body;	/* for stream routes */
};

/*
 * Run a FastCGI program: load the configuration, open the database, run
 * migrations, then serve requests on the socket in fd 0 (spawn-fcgi) as a
 * small prefork master that keeps cfg->workers children alive and recycles
 * each after cfg->max_requests requests.  Returns the exit status.
 */
int		 fcgi_main(const struct app *, int argc, char *argv[]);

/*
 * GET /health and /api/v1/health (API.md §5), for every program's route
 * table: 200 {"status":"healthy","app","version"}, or 503 "unhealthy"
 * when the database cannot be read.
 */
void		 health_handler(struct req *, struct resp *);

/* ------------------------------------------------------------ multipart */

#define MP_MAX_PARTS	16	/* more parts than this: MP_ETOOMANY */
#define MP_MAX_HEADER	4096	/* one part's header block */

struct mp_part {
	char	 name[128];		/* form field name */
	char	 filename[256];		/* as sent (raw bytes, NUL-free) */
	int	 has_filename;		/* filename="..." was present */
	char	 content_type[128];
};

/*
 * Streaming multipart/form-data parser (RFC 7578): bytes are fed in any
 * chunking; the callbacks see each part's headers, then its data in
 * pieces, then its end.  Nothing but one part header block and the
 * boundary look-behind is buffered.  A callback returning non-zero stops
 * the parse with MP_EABORT.
 */
struct mp_callbacks {
	int	(*part_begin)(void *arg, const struct mp_part *);
	int	(*part_data)(void *arg, const void *, size_t);
	int	(*part_end)(void *arg);
};

enum mp_err {
	MP_OK = 0,
	MP_ENOMEM,
	MP_EBOUNDARY,	/* no or bad boundary in Content-Type */
	MP_EFORMAT,	/* malformed body */
	MP_EHEADER,	/* part header block too long or malformed */
	MP_ETOOMANY,	/* more than MP_MAX_PARTS parts */
	MP_ETRUNC,	/* body ended before the closing boundary */
	MP_EABORT,	/* a callback asked to stop */
	MP__MAX
};

struct multipart;

const char	*mp_strerror(enum mp_err);
struct multipart *mp_new(const char *content_type,
		    const struct mp_callbacks *, void *arg, enum mp_err *);
enum mp_err	 mp_feed(struct multipart *, const void *, size_t);
enum mp_err	 mp_finish(struct multipart *);
void		 mp_free(struct multipart *);

/* ------------------------------------------------------------ providers */

enum prov_err {
	PROV_OK = 0,
	PROV_ERATE,	/* provider rate limited: 503 + Retry-After */
	PROV_ETIMEOUT,	/* provider timed out: 504 */
	PROV_EMODEL,	/* model missing or unauthorized: 400 "Model error: " */
	PROV_ESERVICE,	/* anything else: 502 "Model service error: " */
	PROV_EINPUT,	/* our input was bad (400 "Invalid image data: ") */
	PROV__MAX
};

struct prov_result {
	struct buf	 data;		/* the restored image bytes */
	char		 mime[64];	/* "image/png" or "image/jpeg" */
	int		 retry_after;	/* seconds, for PROV_ERATE */
	char		 detail[512];	/* text after the detail prefix */
};

const char	*prov_strerror(enum prov_err);

/*
 * Whether a provider ("local", "huggingface", "replicate") can be used
 * with this configuration (local always; the others need their key).
 */
int		 provider_available(const struct config *, const char *);

/*
 * Run the model (a config "models" entry) on the image bytes with the
 * merged parameters (object or NULL).  res->data is initialised by the
 * call and freed by the caller with prov_result_free().  Local models run
 * in-process through the image engine; the others go out through libcurl
 * with timeouts, retries with backoff and a capped response size.
 */
enum prov_err	 provider_run(const struct config *, const cJSON *model,
		    const cJSON *params, const unsigned char *img,
		    size_t imglen, const char *mime, struct prov_result *res);
void		 prov_result_free(struct prov_result *);

/* ------------------------------------------ stored images, URLs, cleanup */

/*
 * Stored images (API.md §4): <upload_dir>/<user_id>/<uuid>.<ext> and
 * <processed_dir>/<user_id>/<uuid>.<ext>, server-made names whose
 * relative part is kept in the row.  A file is written as
 * STORE_TMP_PREFIX<name> in the same directory, fsync'd and renamed.
 */
#define STORE_TMP_PREFIX	".tmp-"
#define URL_MAX			2048	/* a signed image URL */

/*
 * The capability URL of API.md §4.4 for nginx's secure_link: path is the
 * not percent-encoded root-relative path ("/uploads/7/<uuid>.jpg");
 * writes "<encoded path>?e=<expires>&s=<base64url MD5("<expires><path>
 * <secret>")>" into out.  Returns 0 or -1 (bad path, small out).
 */
int		 url_sign(const char *secret, const char *path,
		    int64_t expires, char *out, size_t outsz);

/* "<dir>/<rel>" for a stored relative path, refusing escapes; 0 or -1. */
int		 store_path(const char *dir, const char *rel, char *out,
		    size_t outsz);

/*
 * Remove an image row's two files; *removed counts those removed.
 * Returns 0 when neither is left, -1 when one could not be removed.
 */
int		 store_remove(const struct config *, const struct image *,
		    int *removed);

struct cleanup_stats {
	int64_t	 sessions;	/* expired sessions deleted */
	int64_t	 images;	/* image rows deleted (files first) */
	int64_t	 files;		/* image files removed */
	int64_t	 temp_files;	/* stale temporary files removed */
	int64_t	 zips;		/* job zips older than an hour removed */
	int64_t	 failed;	/* images kept: a file could not go */
};

/*
 * `photorestore cleanup`: expired sessions, images older than
 * cfg->retention_days (0 keeps them), stale temporary files and job zips
 * written more than an hour ago.
 */
enum pr_err	 cleanup_run(const struct config *, struct db *, int64_t now,
		    struct cleanup_stats *);

/* ------------------------------------------------- backup and import */

/*
 * `photorestore backup FILE` and `restore-backup FILE` (lib/db_backup.c):
 * one gzip-compressed tar made with libarchive, holding, in this order,
 * manifest.json ({"format": BACKUP_FORMAT, "format_version", "schema_version",
 * "app_version", "created_at", "users", "images"}), db.sqlite (a copy of
 * the live database made with SQLite's online backup API, so the site
 * keeps serving) and the uploads/ and processed/ trees.  The signing keys
 * are not included.  SQLite only.
 */
#define BACKUP_FORMAT		"photorestore-backup"
#define BACKUP_FORMAT_VERSION	1

struct backup_stats {
	int64_t	 schema_version;	/* of the database in the archive */
	int64_t	 users;
	int64_t	 images;
	int64_t	 files;			/* image files archived / restored */
	int64_t	 bytes;			/* their total size */
	char	 saved_dir[PATH_MAX];	/* restore: where the old state went */
};

/*
 * Write a backup of the state of cfg into file (made as file.tmp-* in the
 * same directory and renamed into place, mode 0600).  Never creates or
 * changes the live database.  On failure err holds a sentence.
 */
enum pr_err	 backup_create(const struct config *, const char *file,
		    struct backup_stats *, char *err, size_t errsz);

/*
 * Restore a backup into the state of cfg: refuse (PR_ECONFLICT) when the
 * state holds users, images or image files unless force; check the
 * archive (manifest first, names, types, a newer schema refused, SQLite
 * quick_check), extract it into a temporary directory in VARDIR, then
 * move the old database and image directories into
 * VARDIR/pre-restore-<time>/ (st->saved_dir; removed again when they were
 * empty) and rename the new ones into place.  The programs must be
 * stopped.  The caller migrates the restored database afterwards.
 */
enum pr_err	 backup_restore(const struct config *, const char *file,
		    int force, struct backup_stats *, char *err,
		    size_t errsz);

/*
 * `photorestore import-fastapi` (lib/db_import.c): bring the users and the
 * images of the original FastAPI site's SQLite database (API.md appendix)
 * into ours in one transaction.  Usernames and e-mails are lower-cased;
 * bcrypt hashes are kept (pw_verify() accepts them, the next login
 * re-hashes); a user whose name or e-mail exists is skipped and reported.
 * Images are copied from upload_dir/processed_dir (both NULL: users only)
 * to <upload_dir>/<user_id>/<uuid>.<ext> and the processed twin, keeping
 * the original file name, model, parameters, time and session UUID.  Rows
 * already imported from the same source (table import_map) are skipped,
 * so a second run changes nothing.  report (may be NULL) receives one
 * sentence per skipped row.
 */
struct import_stats {
	int64_t	 users;			/* imported now */
	int64_t	 users_known;		/* imported by an earlier run */
	int64_t	 users_skipped;		/* conflicts and bad rows */
	int64_t	 images;
	int64_t	 images_known;
	int64_t	 images_skipped;
	int64_t	 files;			/* files copied */
};

typedef void (*import_report_fn)(void *arg, const char *msg);

enum pr_err	 import_fastapi(const struct config *, const char *srcdb,
		    const char *upload_dir, const char *processed_dir,
		    struct import_stats *, import_report_fn, void *arg,
		    char *err, size_t errsz);

/* ----------------------------------- jobs, result cache, daily quotas */

/*
 * Background jobs (POST /api/v1/jobs, `photorestore worker`), the result
 * cache and the per-user daily image count (lib/db_sqlite.c; the SQL of
 * migration 4 of schema.sql).  Status words: "queued", "running",
 * "done", "failed", "cancelled".
 */
#define JOB_STATUS_MAX	16
#define JOB_OWNER_MAX	64
#define SHA256_HEXLEN	64

struct job {
	int64_t	 id;
	int64_t	 user_id;
	char	 session_uuid[40];	/* "" when none */
	char	 model_id[128];
	char	 parameters[IMG_PARAMS_MAX];	/* client JSON text */
	int	 has_parameters;
	char	 params_canonical[IMG_PARAMS_MAX]; /* merged, keys sorted */
	char	 status[JOB_STATUS_MAX];
	int64_t	 total;
	int64_t	 done_count;		/* items finished (done or failed) */
	char	 created_at[DB_TIMELEN];
	char	 updated_at[DB_TIMELEN];
	char	 lease_owner[JOB_OWNER_MAX];
	int64_t	 lease_expires;		/* unix seconds; 0 = free */
};

struct job_item {
	int64_t	 id;
	int64_t	 job_id;
	int64_t	 position;		/* 0, 1, ... in upload order */
	char	 original_filename[256];
	char	 upload_path[512];	/* relative to upload_dir; "" none */
	char	 status[JOB_STATUS_MAX];
	int64_t	 image_id;		/* 0 when none */
	int	 error_status;		/* HTTP status of a failure, or 0 */
	char	 error_detail[512];
	char	 input_sha256[SHA256_HEXLEN + 1];
};

typedef int (*db_job_cb)(const struct job *, void *);
typedef int (*db_job_item_cb)(const struct job_item *, void *);

/* Insert a job (status "queued"); fills id, created_at, updated_at. */
enum pr_err	 db_job_insert(struct db *, struct job *, int64_t now);
/* Insert an item of a job; fills id. */
enum pr_err	 db_job_item_insert(struct db *, struct job_item *);
/* The job id of user_id (PR_ENOTFOUND otherwise). */
enum pr_err	 db_job_get(struct db *, int64_t id, int64_t user_id,
		    struct job *);
/* A user's jobs, newest first, with the total count. */
enum pr_err	 db_job_list(struct db *, int64_t user_id, int64_t limit,
		    int64_t offset, db_job_cb, void *, int64_t *total);
/* The items of a job in position order. */
enum pr_err	 db_job_items(struct db *, int64_t job_id, db_job_item_cb,
		    void *);
/* Jobs queued or running, over all users (the bounded queue). */
enum pr_err	 db_job_count_active(struct db *, int64_t *);
/* Items queued or running in a user's jobs (reserved against quota). */
enum pr_err	 db_job_pending_items(struct db *, int64_t user_id,
		    int64_t *);
/*
 * Cancel a queued or running job of user_id: the job becomes
 * "cancelled" and its queued items too (an item already running
 * finishes).  A finished job is left as it is.
 */
enum pr_err	 db_job_cancel(struct db *, int64_t id, int64_t user_id,
		    int64_t now);
/*
 * Take the oldest queued or running job whose lease has run out (in one
 * IMMEDIATE transaction): it becomes "running", leased to owner until
 * expires.  PR_ENOTFOUND when there is none.
 */
enum pr_err	 db_job_lease(struct db *, const char *owner, int64_t now,
		    int64_t expires, struct job *);
/* Extend owner's lease; PR_ENOTFOUND when owner no longer holds it. */
enum pr_err	 db_job_renew(struct db *, int64_t id, const char *owner,
		    int64_t expires);
/* Give the lease back at once (lease_expires 0), if owner holds it. */
enum pr_err	 db_job_release(struct db *, int64_t id, const char *owner);
/* The first item of a job still queued or running. */
enum pr_err	 db_job_next_item(struct db *, int64_t job_id,
		    struct job_item *);
/* Mark a queued (or re-leased running) item running; PR_ENOTFOUND when
 * it was cancelled meanwhile. */
enum pr_err	 db_job_item_start(struct db *, int64_t item_id);
/*
 * Record an item's end (it->status "done" with it->image_id, or
 * "failed" with error_status and error_detail) and count it in the
 * job's done_count.  PR_ENOTFOUND when the item was not running.
 */
enum pr_err	 db_job_item_finish(struct db *, const struct job_item *,
		    int64_t now);
/* A running job with no item left queued or running becomes "done"
 * (some item done) or "failed" (none), and its lease is dropped. */
enum pr_err	 db_job_finish(struct db *, int64_t job_id, int64_t now);

/* Images made by user_id on day ("YYYY-MM-DD", UTC); add n to it. */
enum pr_err	 db_usage_get(struct db *, int64_t user_id, const char *day,
		    int64_t *);
enum pr_err	 db_usage_add(struct db *, int64_t user_id, const char *day,
		    int64_t n);

/*
 * The result cache: the image made from these input bytes (SHA-256 hex),
 * model and canonical parameters for user_id (PR_ENOTFOUND when none);
 * put records (or replaces) it.
 */
enum pr_err	 db_cache_get(struct db *, int64_t user_id, const char *sha,
		    const char *model_id, const char *params,
		    int64_t *image_id);
enum pr_err	 db_cache_put(struct db *, int64_t user_id, const char *sha,
		    const char *model_id, const char *params,
		    int64_t image_id);

/*
 * lib/hash.c: the SHA-256 of n bytes as 64 lower-case hex digits.
 * Returns 0 or -1.
 */
int		 sha256_hex(const void *, size_t n,
		    char out[SHA256_HEXLEN + 1]);
/* Build OpenSSL's lazy tables before fork (hash.c). */
void		 crypto_warm(void);

/*
 * lib/store.c: stored files and what the synchronous and background
 * restorations share.
 *
 * store_write writes n bytes durably as <root>/<sub>/<name> (a
 * STORE_TMP_PREFIX file in the same directory, fsync, rename, fsync of
 * the directory); nothing is left behind on failure.  store_undo removes
 * a stored file again.  Both return/keep errno; 0 or -1.
 */
int		 store_write(const char *root, const char *sub,
		    const char *name, const void *data, size_t n);
void		 store_undo(const char *root, const char *rel);

/*
 * A cache hit: give user im->user_id a new history row for the stored
 * image src (of the same user) — hard links under new server-made names
 * (a copy where links are refused), then the row.  im carries the new
 * row's session, original_filename and parameters; paths, model_id and
 * id are filled.  Returns PR_OK, or an error with nothing left behind.
 */
enum pr_err	 store_reuse(const struct config *, struct db *,
		    const struct image *src, struct image *im, int64_t now);

/*
 * The JSON text of obj with object keys sorted (recursively), no white
 * space: the canonical form of parameters.  malloc'd, or NULL.
 */
char		*json_canonical(const cJSON *obj);

/*
 * How API.md §4.2 answers a provider failure: *status and the detail
 * text ("Model error: ...", "Model service error: ...", ...).
 */
void		 prov_http_error(enum prov_err, const struct prov_result *,
		    int *status, char *detail, size_t detailsz);

/* An integer "processing.<key>" of the configuration, or def. */
int64_t		 cfg_processing(const struct config *, const char *key,
		    int64_t def);

/* "YYYY-MM-DD" of the UTC day of t, and the unix time it ends. */
void		 usage_day(int64_t t, char out[16], int64_t *ends);

/*
 * lib/zip.c: write a zip file at path holding each member's file (path,
 * absolute) under its name (UTF-8, no directories), via a temporary file
 * and rename.  Returns 0 or -1 (logged).
 */
struct zip_member {
	const char	*name;
	const char	*path;
};

int		 zip_write(const char *path, const struct zip_member *,
		    size_t n, int64_t mtime);

/* Include the image codec and restoration engine interface. */
#include "image.h"

#endif /* !PHOTORESTORE_H */
