/*
 * users.fcgi: the signed-in user's own account (API.md §2): profile,
 * password change, and the list and remote logout of their sessions.
 *
 * Every route runs auth_check() first, so the session, the user and the
 * active flag are read from the database on each request.  All four
 * routes are on the password-change exemption list of API.md §1.3.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "photorestore.h"

/* Longest new password accepted: login takes at most 200 characters. */
#define NEWPW_MAXCHARS	200

/* How much of a bad session id is echoed in a 404 detail. */
#define SID_ECHO_MAX	64

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

/*
 * Whether s is a UUID in the 8-4-4-4-12 hex form (either case), the only
 * shape a sessions.session_id can have.
 */
static int
is_uuid(const char *s)
{
	size_t	 i;

	for (i = 0; i < 36; i++) {
		if (s[i] == '\0')
			return 0;
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f') ||
		    (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	}
	return s[36] == '\0';
}

/*
 * Copy a client-supplied id for an error text: raw when it is short
 * printable ASCII, else with other bytes as '?' and cut with "...", so
 * the detail is always valid UTF-8 of bounded length.
 */
static void
sanitize_id(const char *in, char *out, size_t outsz)
{
	size_t	 i, o = 0;

	for (i = 0; in[i] != '\0' && o + 4 < outsz; i++) {
		if (i >= SID_ECHO_MAX)
			break;
		out[o++] = (in[i] >= 0x20 && in[i] < 0x7f) ? in[i] : '?';
	}
	if (in[i] != '\0' && o + 4 <= outsz) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

/*
 * GET /api/v1/users/me: the caller's UserResponse, from the database.
 */
static void
me_get(struct req *q, struct resp *r)
{
	struct auth	 a;

	if (auth_check(q, r, AUTH_USER, AUTH_ALLOW_MUST_CHANGE, &a) == -1)
		return;
	resp_json(r, 200, user_json(&a.user));
	pr_wipe(&a.user, sizeof(a.user));
}

/*
 * PUT /api/v1/users/me/password: check the current password, apply the
 * policy to the new one, store it, clear the must-change flag and end
 * every other session of the user, all in one transaction.
 */
static void
me_password(struct req *q, struct resp *r)
{
	struct auth	 a;
	cJSON		*body = NULL, *errs = NULL, *o;
	const char	*cur = NULL, *npw = NULL, *msg, *type;
	char		 hash[PW_HASHLEN];
	int		 ok;
	enum pr_err	 e;

	hash[0] = '\0';
	if (auth_check(q, r, AUTH_USER, AUTH_ALLOW_MUST_CHANGE, &a) == -1)
		return;
	if (req_json_utf8(q, r, &body) == -1)
		goto out;
	if ((errs = verr_new()) == NULL) {
		resp_json(r, 500, NULL);
		goto out;
	}
	jf_string(body, "current_password", 1, 0, SIZE_MAX, errs, &cur);
	if (jf_string(body, "new_password", 1, 0, NEWPW_MAXCHARS, errs,
	    &npw) == 1) {
		if (strlen(npw) > PW_MAXLEN)
			verr_add(errs, "string_too_long", "body",
			    "new_password", "String should have at most 200 "
			    "characters", cJSON_CreateString(npw));
		else if ((msg = pw_policy(npw, &type)) != NULL)
			verr_add(errs, type, "body", "new_password", msg,
			    cJSON_CreateString(npw));
	}
	if (cJSON_GetArraySize(errs) > 0) {
		resp_422(r, errs);
		errs = NULL;
		goto out;
	}

	ok = pw_verify(cur, strlen(cur), a.user.password_hash,
	    q->cfg->pbkdf2_iterations, NULL);
	if (ok == -1) {
		log_error("user %lld: stored password hash is malformed",
		    (long long)a.user.id);
		resp_error(r, 500, "Internal Server Error");
		goto out;
	}
	if (ok != 1) {
		resp_error(r, 400, "Current password is incorrect");
		goto out;
	}
	if (strcmp(cur, npw) == 0) {
		resp_error(r, 400, "New password must be different from "
		    "current password");
		goto out;
	}
	if (pw_hash(npw, strlen(npw), q->cfg->pbkdf2_iterations,
	    hash) == -1) {
		resp_error(r, 500, "Internal Server Error");
		goto out;
	}
	if ((e = db_begin(q->db)) != PR_OK) {
		db_fail(r, e);
		goto out;
	}
	if ((e = db_user_set_password(q->db, a.user.id, hash, 0)) != PR_OK ||
	    (e = db_session_delete_user(q->db, a.user.id,
	    a.session.session_id)) != PR_OK ||
	    (e = db_commit(q->db)) != PR_OK) {
		db_rollback(q->db);
		db_fail(r, e);
		goto out;
	}
	if ((o = cJSON_CreateObject()) != NULL)
		cJSON_AddStringToObject(o, "message",
		    "Password changed successfully");
	resp_json(r, 200, o);
	log_info("user %lld changed their password", (long long)a.user.id);
out:
	wipe_member(body, "current_password");
	wipe_member(body, "new_password");
	cJSON_Delete(body);
	cJSON_Delete(errs);
	pr_wipe(hash, sizeof(hash));
	pr_wipe(&a.user, sizeof(a.user));
}

/* State for collecting the session list. */
struct sess_list {
	cJSON		*arr;
	const char	*current;	/* the caller's session UUID */
	int64_t		 n;
	int		 oom;
};

/* Append one session object, keys in the contract's order. */
static int
sess_add(const struct session *s, void *arg)
{
	struct sess_list	*l = arg;
	cJSON			*o;

	if ((o = cJSON_CreateObject()) == NULL) {
		l->oom = 1;
		return 1;
	}
	cJSON_AddNumberToObject(o, "id", (double)s->id);
	cJSON_AddStringToObject(o, "session_id", s->session_id);
	cJSON_AddStringToObject(o, "created_at", s->created_at);
	cJSON_AddStringToObject(o, "last_accessed", s->last_accessed);
	cJSON_AddNumberToObject(o, "image_count", (double)s->image_count);
	cJSON_AddBoolToObject(o, "is_current",
	    strcmp(s->session_id, l->current) == 0);
	if (s->has_user_agent)
		cJSON_AddStringToObject(o, "user_agent", s->user_agent);
	else
		cJSON_AddNullToObject(o, "user_agent");
	if (s->has_ip_address)
		cJSON_AddStringToObject(o, "ip_address", s->ip_address);
	else
		cJSON_AddNullToObject(o, "ip_address");
	cJSON_AddItemToArray(l->arr, o);
	l->n++;
	return 0;
}

/*
 * GET /api/v1/users/me/sessions: the caller's sessions, newest
 * last_accessed first, the current one marked.
 */
static void
me_sessions(struct req *q, struct resp *r)
{
	struct auth		 a;
	struct sess_list	 l;
	cJSON			*o;
	enum pr_err		 e;

	if (auth_check(q, r, AUTH_USER, AUTH_ALLOW_MUST_CHANGE, &a) == -1)
		return;
	memset(&l, 0, sizeof(l));
	l.current = a.session.session_id;
	if ((o = cJSON_CreateObject()) == NULL ||
	    (l.arr = cJSON_AddArrayToObject(o, "sessions")) == NULL) {
		cJSON_Delete(o);
		resp_json(r, 500, NULL);
		goto out;
	}
	e = db_session_list(q->db, a.user.id, sess_add, &l);
	if (e != PR_OK || l.oom) {
		cJSON_Delete(o);
		db_fail(r, l.oom ? PR_ENOMEM : e);
		goto out;
	}
	cJSON_AddNumberToObject(o, "total", (double)l.n);
	resp_json(r, 200, o);
out:
	pr_wipe(&a.user, sizeof(a.user));
}

/*
 * DELETE /api/v1/users/me/sessions/{session_id}: remote logout of one of
 * the caller's sessions (its images stay in the history).  204; 404 for
 * an unknown or malformed id; 403 for another user's session.
 */
static void
me_session_delete(struct req *q, struct resp *r)
{
	struct auth	 a;
	struct session	 s;
	char		 sid[40], echo[SID_ECHO_MAX + 8];
	const char	*param = q->params[0];
	enum pr_err	 e;

	if (auth_check(q, r, AUTH_USER, AUTH_ALLOW_MUST_CHANGE, &a) == -1)
		return;
	pr_wipe(a.user.password_hash, sizeof(a.user.password_hash));
	if (!is_uuid(param)) {
		sanitize_id(param, echo, sizeof(echo));
		resp_errorf(r, 404, "Session %s not found", echo);
		return;
	}
	/* RFC 4122 §3: UUIDs compare case-insensitively; ours are lower. */
	pr_lower(param, sid, sizeof(sid));
	e = db_session_by_uuid(q->db, sid, &s);
	if (e == PR_ENOTFOUND) {
		resp_errorf(r, 404, "Session %s not found", param);
		return;
	}
	if (e != PR_OK) {
		db_fail(r, e);
		return;
	}
	if (s.user_id != a.user.id) {
		resp_error(r, 403, "You can only delete your own sessions");
		return;
	}
	if ((e = db_session_delete(q->db, s.id)) != PR_OK) {
		db_fail(r, e);
		return;
	}
	log_info("user %lld ended session %lld", (long long)a.user.id,
	    (long long)s.id);
	resp_empty(r, 204);
}

/*
 * GET /api/v1/users/me/usage (issue 10): the caller's images today (UTC)
 * against processing.max_images_per_day (0 = unlimited):
 * {"images_today", "max_images_per_day", "remaining" (null when
 * unlimited; what queued jobs have reserved is taken off, as the 429
 * check does), "pending" (those reserved images), "resets_at" (the next
 * UTC midnight)}.
 */
static void
me_usage(struct req *q, struct resp *r)
{
	struct auth	 a;
	cJSON		*o;
	char		 day[16], resets[32];
	int64_t		 max, used = 0, pending = 0, ends, left;
	enum pr_err	 e;

	if (auth_check(q, r, AUTH_USER, 0, &a) == -1)
		return;
	max = cfg_processing(q->cfg, "max_images_per_day", 0);
	usage_day(q->now, day, &ends);
	if ((e = db_usage_get(q->db, a.user.id, day, &used)) != PR_OK ||
	    (e = db_job_pending_items(q->db, a.user.id, &pending)) != PR_OK) {
		db_fail(r, e);
		return;
	}
	pr_isotime(ends, resets);
	if ((o = cJSON_CreateObject()) == NULL) {
		resp_json(r, 500, NULL);
		return;
	}
	cJSON_AddNumberToObject(o, "images_today", (double)used);
	cJSON_AddNumberToObject(o, "max_images_per_day", (double)max);
	left = max - used - pending;
	if (max <= 0)
		cJSON_AddNullToObject(o, "remaining");
	else
		cJSON_AddNumberToObject(o, "remaining", (double)(left > 0 ?
		    left : 0));
	cJSON_AddNumberToObject(o, "pending", (double)pending);
	cJSON_AddStringToObject(o, "resets_at", resets);
	resp_json(r, 200, o);
}

static const struct route routes[] = {
	{ "GET", "/api/v1/users/me", me_get, 0 },
	{ "PUT", "/api/v1/users/me/password", me_password, 0 },
	{ "GET", "/api/v1/users/me/sessions", me_sessions, 0 },
	{ "DELETE", "/api/v1/users/me/sessions/*", me_session_delete, 0 },
	{ "GET", "/api/v1/users/me/usage", me_usage, 0 },
	{ "GET", "/health", health_handler, 0 },
	{ "GET", "/api/v1/health", health_handler, 0 },
};

static const struct app app = {
	"users", routes, sizeof(routes) / sizeof(routes[0]), 0
};

/*
 * Serve the users routes as a FastCGI program (see fcgi_main()).
 */
int
main(int argc, char *argv[])
{

	return fcgi_main(&app, argc, argv);
}
