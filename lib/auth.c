/*
 * auth.c: the access gate of API.md §0 shared by every FastCGI program,
 * and the UserResponse serialiser.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "photorestore.h"

/* A 401 with WWW-Authenticate: Bearer, as every 401 must carry. */
static int
deny401(struct resp *r, const char *detail)
{

	resp_error(r, 401, detail);
	resp_header(r, "WWW-Authenticate", "Bearer");
	return -1;
}

/*
 * Check the request's credentials for the level; see photorestore.h.
 * Every check reads the database, so logout, deactivation and deletion
 * take effect on the next request.
 */
int
auth_check(struct req *q, struct resp *r, enum auth_level level, int flags,
    struct auth *a)
{
	const char	*h, *tok;
	char		 now[DB_TIMELEN];
	size_t		 len;
	enum jwt_err	 je;
	enum pr_err	 e, se = PR_EDB;
	int		 rd;

	memset(a, 0, sizeof(*a));
	h = q->authorization;
	if (h == NULL)
		return deny401(r, "Not authenticated");
	while (*h == ' ' || *h == '\t')
		h++;
	if (strncasecmp(h, "bearer", 6) != 0 || (h[6] != ' ' && h[6] != '\t'))
		return deny401(r, "Not authenticated");
	tok = h + 6;
	while (*tok == ' ' || *tok == '\t')
		tok++;
	len = strlen(tok);
	while (len > 0 && (tok[len - 1] == ' ' || tok[len - 1] == '\t'))
		len--;
	if (len == 0)
		return deny401(r, "Not authenticated");
	je = jwt_verify(tok, len, q->cfg->secret, q->cfg->secret_len, q->now,
	    &a->claims);
	if (je != JWT_OK) {
		log_info("token rejected: %s", jwt_strerror(je));
		return deny401(r, "Could not validate credentials");
	}
	/* Both lookups in one read snapshot (one WAL read lock). */
	rd = db_read_begin(q->db);
	e = db_user_by_id(q->db, a->claims.user_id, &a->user);
	if (e == PR_OK && a->user.is_active)
		se = db_session_by_uuid(q->db, a->claims.session_id,
		    &a->session);
	if (rd)
		db_read_end(q->db);
	if (e == PR_ENOTFOUND)
		return deny401(r, "User account no longer exists");
	if (e != PR_OK)
		goto dberr;
	if (!a->user.is_active)
		return deny401(r, "User account has been disabled");
	e = se;
	if (e == PR_ENOTFOUND || (e == PR_OK &&
	    (a->session.user_id != a->user.id ||
	    a->session.expires_at <= q->now)))
		return deny401(r, "Session has been terminated");
	if (e != PR_OK)
		goto dberr;
	if (level == AUTH_ADMIN && strcmp(a->user.role, "admin") != 0) {
		resp_error(r, 403, "Admin access required. You do not have "
		    "permission to perform this action.");
		return -1;
	}
	if (a->user.password_must_change &&
	    !(flags & AUTH_ALLOW_MUST_CHANGE)) {
		resp_error(r, 403, "Password change required");
		return -1;
	}
	/*
	 * last_accessed has one-second resolution: when it already says
	 * this second there is nothing to write.  Under load (many requests
	 * per session per second) this saves a write transaction, and the
	 * cache invalidation it causes in every other worker, per request.
	 */
	pr_isotime(q->now, now);
	if (strcmp(now, a->session.last_accessed) != 0 &&
	    db_session_touch(q->db, a->session.id, q->now) != PR_OK)
		log_warn("could not update session %lld last_accessed",
		    (long long)a->session.id);
	memcpy(a->session.last_accessed, now, sizeof(now));
	return 0;
dberr:
	if (e == PR_EBUSY)
		resp_error(r, 503, "Service temporarily unavailable");
	else
		resp_error(r, 500, "Internal Server Error");
	return -1;
}

/*
 * The UserResponse object (API.md §2), keys in the contract's order.
 */
cJSON *
user_json(const struct user *u)
{
	cJSON	*o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddNumberToObject(o, "id", (double)u->id);
	cJSON_AddStringToObject(o, "username", u->username);
	cJSON_AddStringToObject(o, "email", u->email);
	cJSON_AddStringToObject(o, "full_name", u->full_name);
	cJSON_AddStringToObject(o, "role", u->role);
	cJSON_AddBoolToObject(o, "is_active", u->is_active);
	cJSON_AddStringToObject(o, "created_at", u->created_at);
	if (u->last_login[0] != '\0')
		cJSON_AddStringToObject(o, "last_login", u->last_login);
	else
		cJSON_AddNullToObject(o, "last_login");
	cJSON_AddBoolToObject(o, "password_must_change",
	    u->password_must_change);
	return o;
}
