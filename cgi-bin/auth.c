/*
 * auth.fcgi: log in, validate, who-am-I and log out (API.md §1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "photorestore.h"

/* Add the X-RateLimit-* headers of a login answer. */
static void
ratelimit_headers(struct resp *r, int limit, int64_t remaining,
    int64_t reset)
{

	if (remaining < 0)
		remaining = 0;
	resp_header(r, "X-RateLimit-Limit", "%d", limit);
	resp_header(r, "X-RateLimit-Remaining", "%lld", (long long)remaining);
	resp_header(r, "X-RateLimit-Reset", "%lld", (long long)reset);
}

/* 401 Invalid credentials, after recording the failure. */
static void
login_failed(struct req *q, struct resp *r, const char *key, int64_t count)
{
	const struct config	*cfg = q->cfg;

	if (db_login_fail_add(q->db, key, q->now) != PR_OK)
		log_warn("could not record a failed login");
	resp_error(r, 401, "Invalid credentials");
	resp_header(r, "WWW-Authenticate", "Bearer");
	ratelimit_headers(r, cfg->login_max_failures,
	    cfg->login_max_failures - count - 1,
	    q->now + cfg->login_window_seconds);
}

/* Create the session row and sign its token; 0 or -1 (resp filled). */
static int
open_session(struct req *q, struct resp *r, const struct user *u,
    int64_t lifetime, char **tok)
{
	struct session		 s;
	struct jwt_claims	 c;
	enum pr_err		 e;

	memset(&s, 0, sizeof(s));
	memset(&c, 0, sizeof(c));
	if (pr_uuid4(s.session_id) == -1 || pr_uuid4(c.jti) == -1) {
		resp_error(r, 500, "Internal Server Error");
		return -1;
	}
	s.user_id = u->id;
	s.expires_at = q->now + lifetime;
	if (q->user_agent != NULL) {
		snprintf(s.user_agent, sizeof(s.user_agent), "%s",
		    q->user_agent);
		s.has_user_agent = 1;
	}
	if (q->remote_addr != NULL && *q->remote_addr != '\0') {
		snprintf(s.ip_address, sizeof(s.ip_address), "%s",
		    q->remote_addr);
		s.has_ip_address = 1;
	}
	if ((e = db_begin(q->db)) != PR_OK)
		goto err;
	if ((e = db_session_insert(q->db, &s, q->now)) != PR_OK ||
	    (e = db_user_set_last_login(q->db, u->id, q->now)) != PR_OK ||
	    (e = db_commit(q->db)) != PR_OK) {
		db_rollback(q->db);
		goto err;
	}
	snprintf(c.sub, sizeof(c.sub), "%s", u->username);
	c.user_id = u->id;
	snprintf(c.role, sizeof(c.role), "%s", u->role);
	snprintf(c.session_id, sizeof(c.session_id), "%s", s.session_id);
	c.password_must_change = u->password_must_change;
	c.iat = q->now;
	c.exp = q->now + lifetime;
	if (jwt_sign(&c, q->cfg->secret, q->cfg->secret_len, tok) != JWT_OK) {
		resp_error(r, 500, "Internal Server Error");
		return -1;
	}
	return 0;
err:
	resp_error(r, e == PR_EBUSY ? 503 : 500, e == PR_EBUSY ?
	    "Service temporarily unavailable" : "Internal Server Error");
	return -1;
}

/*
 * POST /api/v1/auth/login (API.md §1.1).
 */
static void
login(struct req *q, struct resp *r)
{
	const struct config	*cfg = q->cfg;
	cJSON			*body = NULL, *errs = NULL, *o;
	const char		*username = NULL, *password = NULL;
	int			 remember = 0, ok, rehash = 0;
	char			 key[512], lname[128], hash[PW_HASHLEN];
	char			*tok = NULL;
	int64_t			 count = 0, oldest = 0, lifetime, retry;
	struct user		 u;
	enum pr_err		 e;

	if (req_json(q, r, &body) == -1)
		return;
	errs = verr_new();
	jf_string(body, "username", 1, 1, 100, errs, &username);
	jf_string(body, "password", 1, 1, 200, errs, &password);
	jf_bool(body, "remember_me", 0, errs, &remember);
	if (cJSON_GetArraySize(errs) > 0) {
		resp_422(r, errs);
		errs = NULL;
		goto out;
	}

	pr_lower(username, lname, sizeof(lname));
	snprintf(key, sizeof(key), "%s|%s", lname,
	    q->remote_addr ? q->remote_addr : "");
	e = db_login_failures(q->db, key, q->now - cfg->login_window_seconds,
	    &count, &oldest);
	if (e != PR_OK) {
		resp_error(r, 503, "Service temporarily unavailable");
		goto out;
	}
	if (count >= cfg->login_max_failures) {
		retry = oldest + cfg->login_window_seconds - q->now;
		if (retry < 1)
			retry = 1;
		resp_error(r, 429, "Too many requests");
		resp_header(r, "Retry-After", "%lld", (long long)retry);
		ratelimit_headers(r, cfg->login_max_failures, 0,
		    q->now + retry);
		goto out;
	}

	e = db_user_by_login(q->db, lname, &u);
	if (e == PR_ENOTFOUND) {
		pw_verify_dummy(password, strlen(password),
		    cfg->pbkdf2_iterations);
		login_failed(q, r, key, count);
		goto out;
	} else if (e != PR_OK) {
		resp_error(r, 503, "Service temporarily unavailable");
		goto out;
	}
	ok = pw_verify(password, strlen(password), u.password_hash,
	    cfg->pbkdf2_iterations, &rehash);
	if (ok != 1 || !u.is_active) {
		login_failed(q, r, key, count);
		goto out;
	}

	if (count > 0)
		db_login_fail_clear(q->db, key);
	if (rehash) {
		if (pw_hash(password, strlen(password),
		    cfg->pbkdf2_iterations, hash) == 0 &&
		    db_user_set_password(q->db, u.id, hash,
		    u.password_must_change) == PR_OK)
			log_info("re-hashed the password of user %lld",
			    (long long)u.id);
		pr_wipe(hash, sizeof(hash));
	}
	lifetime = remember ? cfg->remember_me_expire_days * 86400 :
	    cfg->access_token_expire_minutes * 60;
	if (open_session(q, r, &u, lifetime, &tok) == -1)
		goto out;
	if ((o = cJSON_CreateObject()) == NULL) {
		resp_json(r, 500, NULL);
		goto out;
	}
	cJSON_AddStringToObject(o, "access_token", tok);
	cJSON_AddStringToObject(o, "token_type", "bearer");
	cJSON_AddNumberToObject(o, "expires_in", (double)lifetime);
	resp_json(r, 200, o);
	ratelimit_headers(r, cfg->login_max_failures, cfg->login_max_failures,
	    q->now + cfg->login_window_seconds);
	log_info("user %lld logged in", (long long)u.id);
out:
	if (tok != NULL) {
		pr_wipe(tok, strlen(tok));
		free(tok);
	}
	pr_wipe(&u, sizeof(u));
	cJSON_Delete(errs);
	cJSON_Delete(body);
}

/*
 * POST /api/v1/auth/validate: {"valid": true, "username": sub}.
 */
static void
validate(struct req *q, struct resp *r)
{
	struct auth	 a;
	cJSON		*o;

	if (auth_check(q, r, AUTH_USER, AUTH_ALLOW_MUST_CHANGE, &a) == -1)
		return;
	if ((o = cJSON_CreateObject()) != NULL) {
		cJSON_AddBoolToObject(o, "valid", 1);
		cJSON_AddStringToObject(o, "username", a.claims.sub);
	}
	resp_json(r, 200, o);
}

/*
 * GET /api/v1/auth/me: {"username": sub}.
 */
static void
me(struct req *q, struct resp *r)
{
	struct auth	 a;
	cJSON		*o;

	if (auth_check(q, r, AUTH_USER, AUTH_ALLOW_MUST_CHANGE, &a) == -1)
		return;
	if ((o = cJSON_CreateObject()) != NULL)
		cJSON_AddStringToObject(o, "username", a.claims.sub);
	resp_json(r, 200, o);
}

/*
 * POST /api/v1/auth/logout: delete the caller's session; 204.
 */
static void
logout(struct req *q, struct resp *r)
{
	struct auth	 a;

	if (auth_check(q, r, AUTH_USER, AUTH_ALLOW_MUST_CHANGE, &a) == -1)
		return;
	if (db_session_delete(q->db, a.session.id) != PR_OK) {
		resp_error(r, 503, "Service temporarily unavailable");
		return;
	}
	resp_empty(r, 204);
}

static const struct route routes[] = {
	{ "POST", "/api/v1/auth/login", login, 0 },
	{ "POST", "/api/v1/auth/validate", validate, 0 },
	{ "GET", "/api/v1/auth/me", me, 0 },
	{ "POST", "/api/v1/auth/logout", logout, 0 },
	{ "GET", "/health", health_handler, 0 },
	{ "GET", "/api/v1/health", health_handler, 0 },
};

static const struct app app = {
	"auth", routes, sizeof(routes) / sizeof(routes[0]), 0
};

int
main(int argc, char *argv[])
{

	return fcgi_main(&app, argc, argv);
}
