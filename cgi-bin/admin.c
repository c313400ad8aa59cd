/*
 * admin.fcgi: user administration (API.md §3), every route at admin
 * level: create, list with filters, get, partial update, delete (with the
 * user's image files) and password reset.
 *
 * auth_check() reads the caller's role from the database on every
 * request, so a demoted admin loses access at once.  Checks that must
 * hold together with their write (unique names, the last active admin)
 * run inside one BEGIN IMMEDIATE transaction, so concurrent workers
 * cannot both pass them.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "photorestore.h"

/* Longest new password accepted: login takes at most 200 characters. */
#define NEWPW_MAXCHARS	200
#define NEWPW_TOOLONG	"String should have at most 200 characters"

/* Longest search string (no user field is longer). */
#define SEARCH_MAXCHARS	255

#define MSG_INT		"Input should be a valid integer, unable to parse " \
			"string as an integer"
#define MSG_BOOL	"Input should be a valid boolean, unable to " \
			"interpret input"
#define MSG_ROLE	"Value error, Role must be either 'admin' or 'user'"
#define MSG_USERNAME	"Value error, Username can only contain letters, " \
			"numbers, underscores, and hyphens"

/* The answer for a database failure: 503 when busy, else 500. */
static void
db_fail(struct resp *r, enum pr_err e)
{

	if (e == PR_EBUSY)
		resp_error(r, 503, "Service temporarily unavailable");
	else
		resp_error(r, 500, "Internal Server Error");
}

/* Overwrite a string member of a parsed body (a password) in place. */
static void
wipe_member(cJSON *obj, const char *name)
{
	cJSON	*v;

	if (obj == NULL)
		return;
	v = cJSON_GetObjectItemCaseSensitive(obj, name);
	if (cJSON_IsString(v) && v->valuestring != NULL)
		pr_wipe(v->valuestring, strlen(v->valuestring));
}

/* The number of UTF-8 characters in s. */
static size_t
utf8_chars(const char *s)
{
	size_t	 n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/*
 * A JSON string of n bytes of client input (for the "input" of a 422
 * entry), with bytes that are not valid UTF-8 replaced by U+FFFD so the
 * answer is always valid JSON.
 */
static cJSON *
json_text(const char *s, size_t n)
{
	const unsigned char	*p = (const unsigned char *)s;
	char			*out;
	size_t			 o = 0, k;
	cJSON			*j;

	if (n > (SIZE_MAX - 1) / 3 || (out = malloc(n * 3 + 1)) == NULL)
		return NULL;
	while (n > 0) {
		if (*p != '\0' && (k = utf8_seq(p, n)) > 0) {
			memcpy(out + o, p, k);
			o += k;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			k = 1;
		}
		p += k;
		n -= k;
	}
	out[o] = '\0';
	j = cJSON_CreateString(out);
	free(out);
	return j;
}

/* Add a pydantic "ctx" object {key: val} to the last entry of errs. */
static void
verr_ctx(cJSON *errs, const char *key, long long val)
{
	cJSON	*e, *ctx;

	if ((e = cJSON_GetArrayItem(errs, cJSON_GetArraySize(errs) - 1)) ==
	    NULL || (ctx = cJSON_AddObjectToObject(e, "ctx")) == NULL)
		return;
	cJSON_AddNumberToObject(ctx, key, (double)val);
}

/*
 * Parse path parameter i (one segment) as the user id.  Returns 0, or -1
 * after adding the 422 int_parsing entry to errs.
 */
static int
path_id(const struct req *q, size_t i, cJSON *errs, int64_t *id)
{
	const char	*p = q->params[i];
	size_t		 n = strcspn(p, "/");
	char		 seg[32];
	long long	 v;

	if (n < sizeof(seg)) {
		memcpy(seg, p, n);
		seg[n] = '\0';
		if (pr_strtonum(seg, INT64_MIN, INT64_MAX, &v) == 0) {
			*id = v;
			return 0;
		}
	}
	verr_add(errs, "int_parsing", "path", "user_id", MSG_INT,
	    json_text(p, n));
	return -1;
}

/*
 * Read the integer query parameter name in [min, max] (max < 0: no upper
 * bound) into *out, which keeps its default when the name is absent.
 * Adds the pydantic entry to errs on failure.
 */
static void
query_int(const char *query, const char *name, long long min,
    long long max, cJSON *errs, int64_t *out)
{
	char		 val[64], msg[80];
	long long	 v;
	int		 rc;

	if ((rc = query_get(query, name, val, sizeof(val))) == 0)
		return;
	if (rc == -1 || pr_strtonum(val, LLONG_MIN, LLONG_MAX, &v) == -1) {
		verr_add(errs, "int_parsing", "query", name, MSG_INT,
		    rc == -1 ? NULL : json_text(val, strlen(val)));
		return;
	}
	if (v < min) {
		snprintf(msg, sizeof(msg), "Input should be greater than or "
		    "equal to %lld", min);
		verr_add(errs, "greater_than_equal", "query", name, msg,
		    json_text(val, strlen(val)));
		verr_ctx(errs, "ge", min);
		return;
	}
	if (max >= 0 && v > max) {
		snprintf(msg, sizeof(msg), "Input should be less than or "
		    "equal to %lld", max);
		verr_add(errs, "less_than_equal", "query", name, msg,
		    json_text(val, strlen(val)));
		verr_ctx(errs, "le", max);
		return;
	}
	*out = v;
}

/* Whether a username has only [A-Za-z0-9_-]. */
static int
username_ok(const char *s)
{

	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

/* RFC 5322 atext, the characters of a dot-atom local part. */
static int
is_atext(int c)
{

	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr("!#$%&'*+/=?^_`{|}~-", c) != NULL);
}

/* Describe an unacceptable byte c for a message. */
static void
bad_char(const char *where, int c, char *why, size_t whysz)
{

	if (c <= ' ' || c == 0x7f)
		snprintf(why, whysz, "The email address contains invalid "
		    "characters %s: whitespace or control characters.", where);
	else if (c >= 0x80)
		snprintf(why, whysz, "The email address contains invalid "
		    "characters %s: non-ASCII or invalid UTF-8.", where);
	else
		snprintf(why, whysz, "The email address contains invalid "
		    "characters %s: '%c'.", where, c);
}

/*
 * A practical RFC 5322 dot-atom check of an email address: exactly one
 * @, a local part of atext and dots (UTF-8 allowed, RFC 6531), a domain
 * of LDH labels with at least one dot.  Quoted local parts and
 * internationalised domains are refused.  Returns 0, or -1 with the
 * reason (email-validator's wording where it has one) in why.
 */
static int
email_check(const char *s, char *why, size_t whysz)
{
	const char	*at, *p, *dom, *label;
	size_t		 len = strlen(s), llen, k;
	int		 c, alpha;

	if ((at = strchr(s, '@')) == NULL) {
		snprintf(why, whysz, "An email address must have an @-sign.");
		return -1;
	}
	if (strchr(at + 1, '@') != NULL) {
		snprintf(why, whysz, "The part after the @-sign contains "
		    "invalid characters: '@'.");
		return -1;
	}
	if (len > 254) {
		snprintf(why, whysz, "The email address is too long (%zu "
		    "bytes too many).", len - 254);
		return -1;
	}
	llen = (size_t)(at - s);
	if (llen == 0) {
		snprintf(why, whysz, "There must be something before the "
		    "@-sign.");
		return -1;
	}
	if (llen > 64) {
		snprintf(why, whysz, "The email address is too long before "
		    "the @-sign (%zu bytes too many).", llen - 64);
		return -1;
	}
	for (p = s; p < at; p += k) {
		c = (unsigned char)*p;
		k = 1;
		if (c >= 0x80 && (k = utf8_seq((const unsigned char *)p,
		    (size_t)(at - p))) > 0)
			continue;
		if (c >= 0x80 || (!is_atext(c) && c != '.')) {
			bad_char("before the @-sign", c, why, whysz);
			return -1;
		}
	}
	if (s[0] == '.') {
		snprintf(why, whysz, "An email address cannot start with a "
		    "period.");
		return -1;
	}
	if (at[-1] == '.') {
		snprintf(why, whysz, "An email address cannot have a period "
		    "immediately before the @-sign.");
		return -1;
	}
	dom = at + 1;
	if (*dom == '\0') {
		snprintf(why, whysz, "There must be something after the "
		    "@-sign.");
		return -1;
	}
	for (p = dom; *p != '\0'; p++) {
		c = (unsigned char)*p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.')) {
			bad_char("after the @-sign", c, why, whysz);
			return -1;
		}
	}
	if (strstr(s, "..") != NULL) {
		snprintf(why, whysz, "An email address cannot have two "
		    "periods in a row.");
		return -1;
	}
	if (*dom == '.') {
		snprintf(why, whysz, "An email address cannot have a period "
		    "immediately after the @-sign.");
		return -1;
	}
	if (s[len - 1] == '.') {
		snprintf(why, whysz, "An email address cannot end with a "
		    "period.");
		return -1;
	}
	if (strchr(dom, '.') == NULL) {
		snprintf(why, whysz, "The part after the @-sign is not valid. "
		    "It should have a period.");
		return -1;
	}
	for (label = dom; ; label = p + 1) {
		p = label + strcspn(label, ".");
		if (label[0] == '-' || p[-1] == '-') {
			snprintf(why, whysz, "The part after the @-sign is not "
			    "valid. A domain label cannot start or end with a "
			    "hyphen.");
			return -1;
		}
		if (p - label > 63) {
			snprintf(why, whysz, "The part after the @-sign is not "
			    "valid. A domain label is too long.");
			return -1;
		}
		if (*p == '\0')
			break;
	}
	/* The top-level domain (the last label) is not all digits. */
	for (alpha = 0, p = label; *p != '\0'; p++)
		if (!(*p >= '0' && *p <= '9'))
			alpha = 1;
	if (!alpha) {
		snprintf(why, whysz, "The part after the @-sign is not valid. "
		    "It is not within a valid top-level domain.");
		return -1;
	}
	return 0;
}

/* Validate a present email member; adds the 422 entry when bad. */
static int
check_email(cJSON *errs, const char *email)
{
	char	 why[160], msg[256];

	if (email_check(email, why, sizeof(why)) == 0)
		return 0;
	snprintf(msg, sizeof(msg), "value is not a valid email address: %s",
	    why);
	verr_add(errs, "value_error", "body", "email", msg,
	    json_text(email, strlen(email)));
	return -1;
}

/* Validate a present full_name member beyond its length in characters. */
static int
check_full_name(cJSON *errs, const char *name, size_t maxbytes)
{

	/* XXX struct user holds 255 bytes, not 255 characters. */
	if (strlen(name) > maxbytes) {
		verr_add(errs, "value_error", "body", "full_name",
		    "Value error, Full name must be at most 255 bytes of "
		    "UTF-8", cJSON_CreateString(name));
		return -1;
	}
	return 0;
}

/* Validate a present role member: "admin" or "user". */
static int
check_role(cJSON *errs, const char *role)
{

	if (strcmp(role, "admin") == 0 || strcmp(role, "user") == 0)
		return 0;
	verr_add(errs, "value_error", "body", "role", MSG_ROLE,
	    json_text(role, strlen(role)));
	return -1;
}

/*
 * Read a new password member name (required): at most NEWPW_MAXCHARS
 * characters and PW_MAXLEN bytes, then the policy of API.md §2.
 * Returns 1 when acceptable (*out set), -1 after adding an entry.
 */
static int
new_password(const cJSON *body, const char *name, cJSON *errs,
    const char **out)
{
	const char	*pw = NULL, *msg, *type;
	int		 rc;

	if ((rc = jf_string(body, name, 1, 0, NEWPW_MAXCHARS, errs,
	    &pw)) != 1)
		return -1;
	if (strlen(pw) > PW_MAXLEN) {
		verr_add(errs, "string_too_long", "body", name, NEWPW_TOOLONG,
		    json_text(pw, strlen(pw)));
		return -1;
	}
	if ((msg = pw_policy(pw, &type)) != NULL) {
		verr_add(errs, type, "body", name, msg,
		    json_text(pw, strlen(pw)));
		return -1;
	}
	*out = pw;
	return 1;
}

/* Whether obj has member name with a non-null value. */
static int
present(const cJSON *obj, const char *name)
{
	const cJSON	*v;

	v = cJSON_GetObjectItemCaseSensitive(obj, name);
	return v != NULL && !cJSON_IsNull(v);
}

/*
 * POST /api/v1/admin/users: create a user; 201 UserResponse.
 */
static void
user_create(struct req *q, struct resp *r)
{
	struct auth	 a;
	struct user	 u;
	cJSON		*body = NULL, *errs = NULL;
	const char	*username = NULL, *email = NULL, *full_name = NULL;
	const char	*password = NULL, *role = NULL;
	int		 must_change = 1, utaken = 0, etaken = 0;
	enum pr_err	 e;

	memset(&u, 0, sizeof(u));
	if (auth_check(q, r, AUTH_ADMIN, 0, &a) == -1)
		return;
	pr_wipe(&a.user.password_hash, sizeof(a.user.password_hash));
	if (req_json_utf8(q, r, &body) == -1)
		goto out;
	if ((errs = verr_new()) == NULL) {
		resp_json(r, 500, NULL);
		goto out;
	}
	if (jf_string(body, "username", 1, 3, 50, errs, &username) == 1 &&
	    !username_ok(username)) {
		verr_add(errs, "value_error", "body", "username",
		    MSG_USERNAME, json_text(username, strlen(username)));
		username = NULL;
	}
	if (jf_string(body, "email", 1, 0, SIZE_MAX, errs, &email) == 1 &&
	    check_email(errs, email) == -1)
		email = NULL;
	if (jf_string(body, "full_name", 1, 1, 255, errs, &full_name) == 1 &&
	    check_full_name(errs, full_name, sizeof(u.full_name) - 1) == -1)
		full_name = NULL;
	new_password(body, "password", errs, &password);
	if (jf_string(body, "role", 0, 0, SIZE_MAX, errs, &role) == 1 &&
	    check_role(errs, role) == -1)
		role = NULL;
	jf_bool(body, "password_must_change", 0, errs, &must_change);
	if (cJSON_GetArraySize(errs) > 0) {
		resp_422(r, errs);
		errs = NULL;
		goto out;
	}

	pr_lower(username, u.username, sizeof(u.username));
	pr_lower(email, u.email, sizeof(u.email));
	snprintf(u.full_name, sizeof(u.full_name), "%s", full_name);
	snprintf(u.role, sizeof(u.role), "%s", role != NULL ? role : "user");
	u.is_active = 1;
	u.password_must_change = must_change;
	if (pw_hash(password, strlen(password), q->cfg->pbkdf2_iterations,
	    u.password_hash) == -1) {
		resp_error(r, 500, "Internal Server Error");
		goto out;
	}

	if ((e = db_begin(q->db)) != PR_OK) {
		db_fail(r, e);
		goto out;
	}
	e = db_user_taken(q->db, u.username, u.email, 0, &utaken, &etaken);
	if (e == PR_OK && !utaken && !etaken)
		e = db_user_insert(q->db, &u, q->now);
	if (e == PR_OK && !utaken && !etaken)
		e = db_commit(q->db);
	if (e != PR_OK || utaken || etaken) {
		db_rollback(q->db);
		/* The UNIQUE constraint caught what the check did not. */
		if (e == PR_ECONFLICT && db_user_taken(q->db, u.username,
		    u.email, 0, &utaken, &etaken) == PR_OK && !utaken &&
		    !etaken)
			utaken = 1;
		if (e != PR_OK && e != PR_ECONFLICT)
			db_fail(r, e);
		else if (utaken)
			resp_errorf(r, 400, "Username '%s' already exists",
			    u.username);
		else
			resp_errorf(r, 400, "Email '%s' already exists",
			    u.email);
		goto out;
	}
	log_info("admin %lld created user %lld (%s)", (long long)a.user.id,
	    (long long)u.id, u.username);
	resp_json(r, 201, user_json(&u));
out:
	wipe_member(body, "password");
	cJSON_Delete(body);
	cJSON_Delete(errs);
	pr_wipe(&u, sizeof(u));
}

/* Append one UserResponse to the array arg. */
static int
list_add(const struct user *u, void *arg)
{
	cJSON	*o;

	if ((o = user_json(u)) == NULL)
		return 1;
	cJSON_AddItemToArray(arg, o);
	return 0;
}

/*
 * GET /api/v1/admin/users?skip=&limit=&role=&is_active=&search=: users
 * by id with the filtered total (a SQL COUNT).
 */
static void
user_list(struct req *q, struct resp *r)
{
	static const char *const yes[] = { "true", "1", "yes", "on" };
	static const char *const no[] = { "false", "0", "no", "off" };
	struct auth		 a;
	struct user_filter	 f;
	cJSON			*errs = NULL, *o = NULL, *arr;
	char			 role[32], act[16], low[16], search[1024];
	int			 rc;
	size_t			 i;
	int64_t			 total = 0;
	enum pr_err		 e;

	if (auth_check(q, r, AUTH_ADMIN, 0, &a) == -1)
		return;
	pr_wipe(&a.user.password_hash, sizeof(a.user.password_hash));
	memset(&f, 0, sizeof(f));
	f.skip = 0;
	f.limit = 100;
	f.is_active = -1;
	if ((errs = verr_new()) == NULL) {
		resp_json(r, 500, NULL);
		return;
	}
	query_int(q->query, "skip", 0, -1, errs, &f.skip);
	query_int(q->query, "limit", 1, 1000, errs, &f.limit);

	rc = query_get(q->query, "role", role, sizeof(role));
	if (rc == 1 && role[0] != '\0') {
		if (strcmp(role, "admin") == 0 || strcmp(role, "user") == 0)
			f.role = role;
		else
			verr_add(errs, "value_error", "query", "role",
			    MSG_ROLE, json_text(role, strlen(role)));
	} else if (rc == -1)
		verr_add(errs, "value_error", "query", "role", MSG_ROLE,
		    NULL);

	rc = query_get(q->query, "is_active", act, sizeof(act));
	if (rc == 1 && act[0] != '\0') {
		pr_lower(act, low, sizeof(low));
		for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
			if (strcmp(low, yes[i]) == 0)
				f.is_active = 1;
			else if (strcmp(low, no[i]) == 0)
				f.is_active = 0;
		}
		if (f.is_active == -1)
			verr_add(errs, "bool_parsing", "query", "is_active",
			    MSG_BOOL, json_text(act, strlen(act)));
	} else if (rc == -1)
		verr_add(errs, "bool_parsing", "query", "is_active",
		    MSG_BOOL, NULL);

	rc = query_get(q->query, "search", search, sizeof(search));
	if (rc == 1 && utf8_chars(search) > SEARCH_MAXCHARS) {
		verr_add(errs, "string_too_long", "query", "search",
		    "String should have at most 255 characters",
		    json_text(search, strlen(search)));
		verr_ctx(errs, "max_length", SEARCH_MAXCHARS);
	} else if (rc == 1)
		f.search = search;
	else if (rc == -1)
		verr_add(errs, "value_error", "query", "search",
		    "Value error, Search must be URL-encoded text of at "
		    "most 255 characters", NULL);

	if (cJSON_GetArraySize(errs) > 0) {
		resp_422(r, errs);
		return;
	}
	cJSON_Delete(errs);

	if ((o = cJSON_CreateObject()) == NULL ||
	    (arr = cJSON_AddArrayToObject(o, "users")) == NULL) {
		cJSON_Delete(o);
		resp_json(r, 500, NULL);
		return;
	}
	if ((e = db_user_list(q->db, &f, list_add, arr, &total)) != PR_OK) {
		cJSON_Delete(o);
		db_fail(r, e);
		return;
	}
	cJSON_AddNumberToObject(o, "total", (double)total);
	resp_json(r, 200, o);
}

/*
 * GET /api/v1/admin/users/{id}: one UserResponse; 404 when none.
 */
static void
user_get(struct req *q, struct resp *r)
{
	struct auth	 a;
	struct user	 u;
	cJSON		*errs;
	int64_t		 id;
	enum pr_err	 e;

	if (auth_check(q, r, AUTH_ADMIN, 0, &a) == -1)
		return;
	pr_wipe(&a.user.password_hash, sizeof(a.user.password_hash));
	if ((errs = verr_new()) == NULL) {
		resp_json(r, 500, NULL);
		return;
	}
	if (path_id(q, 0, errs, &id) == -1) {
		resp_422(r, errs);
		return;
	}
	cJSON_Delete(errs);
	if ((e = db_user_by_id(q->db, id, &u)) == PR_ENOTFOUND)
		resp_errorf(r, 404, "User with ID %lld not found",
		    (long long)id);
	else if (e != PR_OK)
		db_fail(r, e);
	else
		resp_json(r, 200, user_json(&u));
	pr_wipe(&u, sizeof(u));
}

/* Whether a user counts as an active administrator. */
static int
active_admin(const struct user *u)
{

	return u->is_active && strcmp(u->role, "admin") == 0;
}

/*
 * PUT /api/v1/admin/users/{id}: apply the members present (email,
 * full_name, role, is_active; a null value counts as absent).  Never
 * deactivates or demotes the caller or the last active admin; a
 * deactivation ends the user's sessions in the same transaction.
 */
static void
user_update(struct req *q, struct resp *r)
{
	struct auth	 a;
	struct user	 u, nu;
	cJSON		*body = NULL, *errs = NULL;
	const char	*email = NULL, *full_name = NULL, *role = NULL;
	int		 active = -1, utaken, etaken, has_email = 0;
	int64_t		 id = 0, admins;
	enum pr_err	 e;

	memset(&u, 0, sizeof(u));
	memset(&nu, 0, sizeof(nu));
	if (auth_check(q, r, AUTH_ADMIN, 0, &a) == -1)
		return;
	pr_wipe(&a.user.password_hash, sizeof(a.user.password_hash));
	if (req_json_utf8(q, r, &body) == -1)
		goto out;
	if ((errs = verr_new()) == NULL) {
		resp_json(r, 500, NULL);
		goto out;
	}
	path_id(q, 0, errs, &id);
	if (present(body, "email") && jf_string(body, "email", 0, 0,
	    SIZE_MAX, errs, &email) == 1 && check_email(errs, email) == 0)
		has_email = 1;
	if (present(body, "full_name") && jf_string(body, "full_name", 0, 1,
	    255, errs, &full_name) == 1 && check_full_name(errs, full_name,
	    sizeof(u.full_name) - 1) == -1)
		full_name = NULL;
	if (present(body, "role") && jf_string(body, "role", 0, 0, SIZE_MAX,
	    errs, &role) == 1 && check_role(errs, role) == -1)
		role = NULL;
	if (present(body, "is_active"))
		jf_bool(body, "is_active", 0, errs, &active);
	if (cJSON_GetArraySize(errs) > 0) {
		resp_422(r, errs);
		errs = NULL;
		goto out;
	}

	if ((e = db_begin(q->db)) != PR_OK) {
		db_fail(r, e);
		goto out;
	}
	if ((e = db_user_by_id(q->db, id, &u)) != PR_OK) {
		db_rollback(q->db);
		if (e == PR_ENOTFOUND)
			resp_errorf(r, 404, "User with ID %lld not found",
			    (long long)id);
		else
			db_fail(r, e);
		goto out;
	}
	nu = u;
	if (has_email)
		pr_lower(email, nu.email, sizeof(nu.email));
	if (full_name != NULL)
		snprintf(nu.full_name, sizeof(nu.full_name), "%s", full_name);
	if (role != NULL)
		snprintf(nu.role, sizeof(nu.role), "%s", role);
	if (active != -1)
		nu.is_active = active;

	if (has_email) {
		e = db_user_taken(q->db, NULL, nu.email, id, &utaken, &etaken);
		if (e != PR_OK || etaken) {
			db_rollback(q->db);
			if (e != PR_OK)
				db_fail(r, e);
			else
				resp_errorf(r, 400, "Email '%s' already "
				    "exists", nu.email);
			goto out;
		}
	}
	if (id == a.user.id && !active_admin(&nu)) {
		db_rollback(q->db);
		resp_error(r, 400, "Cannot deactivate or demote your own "
		    "account");
		goto out;
	}
	if (active_admin(&u) && !active_admin(&nu)) {
		if ((e = db_user_count_active_admins(q->db, &admins)) !=
		    PR_OK) {
			db_rollback(q->db);
			db_fail(r, e);
			goto out;
		}
		if (admins <= 1) {
			db_rollback(q->db);
			resp_error(r, 400, "Cannot remove the last active "
			    "administrator");
			goto out;
		}
	}
	e = db_user_update(q->db, &nu);
	if (e == PR_OK && !nu.is_active)
		e = db_session_delete_user(q->db, id, NULL);
	if (e == PR_OK)
		e = db_commit(q->db);
	if (e != PR_OK) {
		db_rollback(q->db);
		if (e == PR_ECONFLICT && has_email)
			resp_errorf(r, 400, "Email '%s' already exists",
			    nu.email);
		else
			db_fail(r, e);
		goto out;
	}
	log_info("admin %lld updated user %lld", (long long)a.user.id,
	    (long long)id);
	resp_json(r, 200, user_json(&nu));
out:
	cJSON_Delete(body);
	cJSON_Delete(errs);
	pr_wipe(&u, sizeof(u));
	pr_wipe(&nu, sizeof(nu));
}

/* State for removing a deleted user's image files. */
struct rmfiles {
	const struct config	*cfg;
	int			 removed;
};

/*
 * Remove dir/rel, then its directory if now empty.  Stored paths are
 * relative and made by the server; one that is absolute or has ".." is
 * refused rather than trusted.  Logs name the image id, not the path,
 * so a stored path cannot forge log lines.
 */
static void
rm_stored(const char *dir, const char *rel, int64_t img, int *removed)
{
	char		 path[PATH_MAX];
	const char	*slash;
	int		 n;

	if (rel[0] == '\0')
		return;
	if (rel[0] == '/' || strstr(rel, "..") != NULL) {
		log_warn("image %lld: refusing to follow its stored path",
		    (long long)img);
		return;
	}
	n = snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		log_warn("image %lld: stored path too long", (long long)img);
		return;
	}
	if (unlink(path) == 0)
		(*removed)++;
	else if (errno != ENOENT)
		log_warn("image %lld: cannot remove a file: %s",
		    (long long)img, strerror(errno));
	/* The per-session directory <session_uuid>/, if now empty. */
	if ((slash = strrchr(rel, '/')) != NULL &&
	    snprintf(path, sizeof(path), "%s/%.*s", dir, (int)(slash - rel),
	    rel) < (int)sizeof(path))
		rmdir(path);
}

/* Remove both files of one image row. */
static int
rm_image(const struct image *im, void *arg)
{
	struct rmfiles	*rf = arg;

	rm_stored(rf->cfg->upload_dir, im->original_path, im->id,
	    &rf->removed);
	rm_stored(rf->cfg->processed_dir, im->processed_path, im->id,
	    &rf->removed);
	return 0;
}

/*
 * DELETE /api/v1/admin/users/{id}: remove the user's image files, then
 * the user (sessions and image rows go by cascade); 204.  Both happen
 * inside one write transaction, so no image can be added meanwhile; if
 * the row cannot be deleted, a retry finds the files already gone.  Never
 * the caller, never the last active admin.
 */
static void
user_delete(struct req *q, struct resp *r)
{
	struct auth	 a;
	struct user	 u;
	struct rmfiles	 rf;
	cJSON		*errs;
	int64_t		 id, admins;
	enum pr_err	 e;

	if (auth_check(q, r, AUTH_ADMIN, 0, &a) == -1)
		return;
	pr_wipe(&a.user.password_hash, sizeof(a.user.password_hash));
	if ((errs = verr_new()) == NULL) {
		resp_json(r, 500, NULL);
		return;
	}
	if (path_id(q, 0, errs, &id) == -1) {
		resp_422(r, errs);
		return;
	}
	cJSON_Delete(errs);
	if (id == a.user.id) {
		resp_error(r, 400, "Cannot delete your own account");
		return;
	}
	if ((e = db_begin(q->db)) != PR_OK) {
		db_fail(r, e);
		return;
	}
	if ((e = db_user_by_id(q->db, id, &u)) != PR_OK) {
		db_rollback(q->db);
		if (e == PR_ENOTFOUND)
			resp_errorf(r, 404, "User with ID %lld not found",
			    (long long)id);
		else
			db_fail(r, e);
		pr_wipe(&u, sizeof(u));
		return;
	}
	/*
	 * The caller is another active admin, so this only fires when two
	 * admins remove each other at the same moment.
	 */
	if (active_admin(&u)) {
		if ((e = db_user_count_active_admins(q->db, &admins)) !=
		    PR_OK || admins <= 1) {
			db_rollback(q->db);
			if (e != PR_OK)
				db_fail(r, e);
			else
				resp_error(r, 400, "Cannot remove the last "
				    "active administrator");
			pr_wipe(&u, sizeof(u));
			return;
		}
	}
	pr_wipe(&u, sizeof(u));
	rf.cfg = q->cfg;
	rf.removed = 0;
	if ((e = db_image_each_of_user(q->db, id, rm_image, &rf)) != PR_OK ||
	    (e = db_user_delete(q->db, id)) != PR_OK ||
	    (e = db_commit(q->db)) != PR_OK) {
		db_rollback(q->db);
		db_fail(r, e);
		return;
	}
	log_info("admin %lld deleted user %lld and %d image file(s)",
	    (long long)a.user.id, (long long)id, rf.removed);
	resp_empty(r, 204);
}

/*
 * PUT /api/v1/admin/users/{id}/reset-password: set a new password (the
 * policy applies), set the must-change flag (default true) and end all
 * of the user's sessions; the UserResponse.
 */
static void
user_reset_password(struct req *q, struct resp *r)
{
	struct auth	 a;
	struct user	 u;
	cJSON		*body = NULL, *errs = NULL;
	const char	*pw = NULL;
	char		 hash[PW_HASHLEN];
	int		 must_change = 1;
	int64_t		 id = 0;
	enum pr_err	 e;

	memset(&u, 0, sizeof(u));
	hash[0] = '\0';
	if (auth_check(q, r, AUTH_ADMIN, 0, &a) == -1)
		return;
	pr_wipe(&a.user.password_hash, sizeof(a.user.password_hash));
	if (req_json_utf8(q, r, &body) == -1)
		goto out;
	if ((errs = verr_new()) == NULL) {
		resp_json(r, 500, NULL);
		goto out;
	}
	path_id(q, 0, errs, &id);
	new_password(body, "new_password", errs, &pw);
	jf_bool(body, "password_must_change", 0, errs, &must_change);
	if (cJSON_GetArraySize(errs) > 0) {
		resp_422(r, errs);
		errs = NULL;
		goto out;
	}
	if (pw_hash(pw, strlen(pw), q->cfg->pbkdf2_iterations, hash) == -1) {
		resp_error(r, 500, "Internal Server Error");
		goto out;
	}
	if ((e = db_begin(q->db)) != PR_OK) {
		db_fail(r, e);
		goto out;
	}
	if ((e = db_user_by_id(q->db, id, &u)) != PR_OK) {
		db_rollback(q->db);
		if (e == PR_ENOTFOUND)
			resp_errorf(r, 404, "User with ID %lld not found",
			    (long long)id);
		else
			db_fail(r, e);
		goto out;
	}
	if ((e = db_user_set_password(q->db, id, hash, must_change)) !=
	    PR_OK || (e = db_session_delete_user(q->db, id, NULL)) != PR_OK ||
	    (e = db_commit(q->db)) != PR_OK) {
		db_rollback(q->db);
		db_fail(r, e);
		goto out;
	}
	u.password_must_change = must_change;
	log_info("admin %lld reset the password of user %lld",
	    (long long)a.user.id, (long long)id);
	resp_json(r, 200, user_json(&u));
out:
	wipe_member(body, "new_password");
	cJSON_Delete(body);
	cJSON_Delete(errs);
	pr_wipe(hash, sizeof(hash));
	pr_wipe(&u, sizeof(u));
}

static const struct route routes[] = {
	{ "POST", "/api/v1/admin/users", user_create, 0 },
	{ "GET", "/api/v1/admin/users", user_list, 0 },
	{ "GET", "/api/v1/admin/users/*", user_get, 0 },
	{ "PUT", "/api/v1/admin/users/*", user_update, 0 },
	{ "DELETE", "/api/v1/admin/users/*", user_delete, 0 },
	{ "PUT", "/api/v1/admin/users/*/reset-password",
	    user_reset_password, 0 },
	{ "GET", "/health", health_handler, 0 },
	{ "GET", "/api/v1/health", health_handler, 0 },
};

static const struct app app = {
	"admin", routes, sizeof(routes) / sizeof(routes[0]), 0
};

/*
 * Serve the admin routes as a FastCGI program (see fcgi_main()).
 */
int
main(int argc, char *argv[])
{

	return fcgi_main(&app, argc, argv);
}
