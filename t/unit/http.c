/*
 * Unit tests of the request/response layer, and of auth.fcgi's handlers
 * run straight from a test without FastCGI.  Usage: http <behaviour>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "photorestore.h"
#include "tap.h"

/* auth.fcgi's handlers and route table, without its main(). */
#define main auth_main
#include "../../cgi-bin/auth.c"
#undef main

static char dir[] = "/tmp/pr-http-XXXXXX";
static struct config cfg;
static struct db *db;

static void
setup(void)
{
	char	 pw[64];
	int	 created;

	if (mkdtemp(dir) == NULL)
		exit(2);
	snprintf(cfg.db_path, sizeof(cfg.db_path), "%s/t.db", dir);
	cfg.db_busy_timeout_ms = 5000;
	cfg.pbkdf2_iterations = 1000;
	cfg.login_max_failures = 5;
	cfg.login_window_seconds = 300;
	cfg.access_token_expire_minutes = 1440;
	cfg.remember_me_expire_days = 7;
	memset(cfg.secret, 'k', 32);
	cfg.secret_len = 32;
	snprintf(cfg.app_name, sizeof(cfg.app_name), "T");
	snprintf(cfg.auth_username, sizeof(cfg.auth_username), "admin");
	snprintf(cfg.auth_email, sizeof(cfg.auth_email), "a@example.com");
	snprintf(cfg.auth_password, sizeof(cfg.auth_password), "Admin-Pass-1");
	log_init("t-http", PRLOG_ERROR, NULL);
	if (db_open(&cfg, &db) != PR_OK || db_migrate(db, NULL) != PR_OK ||
	    seed_admin(&cfg, db, pw, sizeof(pw), &created) != PR_OK)
		exit(2);
}

static void
cleanup(void)
{
	char	 cmd[128];

	db_close(db);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("cleanup failed");
}

/* Run one request through auth.fcgi's routes. */
static void
run(struct resp *r, const char *method, const char *path, const char *body,
    const char *authz)
{
	struct req	 q;

	memset(&q, 0, sizeof(q));
	q.method = method;
	q.path = path;
	q.query = "";
	q.body = body;
	q.bodylen = body ? strlen(body) : 0;
	q.authorization = authz;
	q.remote_addr = "127.0.0.1";
	q.user_agent = "unit";
	q.now = pr_now();
	q.cfg = &cfg;
	q.db = db;
	resp_init(r);
	http_dispatch(routes, sizeof(routes) / sizeof(routes[0]), &q, r);
}

static void
t_handlers_direct(void)
{
	struct resp	 r;
	cJSON		*j;
	char		 authz[JWT_MAXLEN + 16];

	run(&r, "POST", "/api/v1/auth/login",
	    "{\"username\":\"ADMIN\",\"password\":\"Admin-Pass-1\"}", NULL);
	is_int(r.status, 200, "login handler without FastCGI");
	j = cJSON_Parse(r.body.data);
	ok(j != NULL && cJSON_GetObjectItem(j, "access_token") != NULL,
	    "token in body");
	snprintf(authz, sizeof(authz), "Bearer %s",
	    cJSON_GetObjectItem(j, "access_token")->valuestring);
	cJSON_Delete(j);
	ok(strstr(r.headers.data, "X-RateLimit-Limit: 5\r\n") != NULL,
	    "rate-limit header");
	resp_free(&r);

	run(&r, "GET", "/api/v1/auth/me", NULL, authz);
	is_int(r.status, 200, "me");
	is_str(r.body.data, "{\"username\":\"admin\"}", "me body");
	resp_free(&r);

	run(&r, "POST", "/api/v1/auth/logout", NULL, authz);
	is_int(r.status, 204, "logout");
	is_int((long long)r.body.len, 0, "empty");
	resp_free(&r);

	run(&r, "GET", "/api/v1/auth/me", NULL, authz);
	is_int(r.status, 401, "after logout");
	is_str(r.body.data, "{\"detail\":\"Session has been terminated\"}",
	    "detail");
	ok(strstr(r.headers.data, "WWW-Authenticate: Bearer\r\n") != NULL,
	    "WWW-Authenticate");
	resp_free(&r);

	run(&r, "DELETE", "/api/v1/auth/me", NULL, NULL);
	is_int(r.status, 405, "wrong method");
	ok(strstr(r.headers.data, "Allow: GET\r\n") != NULL, "Allow header");
	resp_free(&r);

	run(&r, "GET", "/api/v1/auth/me/", NULL, NULL);
	is_int(r.status, 404, "trailing slash is another path");
	is_str(r.body.data, "{\"detail\":\"Not Found\"}", "404 body");
	resp_free(&r);
}

static void
t_query(void)
{
	char	 v[16];

	is_int(query_get("a=1&b=2&a=3", "a", v, sizeof(v)), 1, "found");
	is_str(v, "3", "last occurrence wins");
	is_int(query_get("x=%41%62+c", "x", v, sizeof(v)), 1, "decoded");
	is_str(v, "Ab c", "percent and plus");
	is_int(query_get("x=%4", "x", v, sizeof(v)), -1, "short escape");
	is_int(query_get("x=%zz", "x", v, sizeof(v)), -1, "bad hex");
	is_int(query_get("x=%00", "x", v, sizeof(v)), -1, "NUL refused");
	is_int(query_get("x=0123456789abcdefgh", "x", v, sizeof(v)), -1,
	    "too long for the buffer");
	is_int(query_get("y=1", "x", v, sizeof(v)), 0, "absent");
	is_int(query_get("x", "x", v, sizeof(v)), 1, "bare key");
	is_str(v, "", "bare key is empty");
	is_int(query_get("", "x", v, sizeof(v)), 0, "empty query");
}

static void
t_resp(void)
{
	struct resp	 r;
	struct buf	 b;

	resp_init(&r);
	resp_header(&r, "X-A", "ok");
	resp_header(&r, "X-B", "evil\r\nSet-Cookie: x=1");
	resp_header(&r, "X-C\r\nY", "v");
	is_str(r.headers.data, "X-A: ok\r\n", "CR/LF headers dropped");
	resp_errorf(&r, 404, "Image %d not found or not accessible", 7);
	is_str(r.body.data,
	    "{\"detail\":\"Image 7 not found or not accessible\"}", "detail");
	is_str(r.content_type, "application/json", "JSON type");
	resp_free(&r);

	buf_init(&b, 4);
	is_int(buf_append(&b, "abcd", 4), PR_OK, "up to max");
	is_int(buf_append(&b, "e", 1), PR_ETOOBIG, "past max refused");
	is_str(b.data, "abcd", "unchanged after refusal");
	buf_free(&b);
	is_int(pr_strtonum("42", 0, 100, &(long long){0}), 0, "strtonum ok");
	is_int(pr_strtonum("101", 0, 100, &(long long){0}), -1, "range");
	is_int(pr_strtonum("4x", 0, 100, &(long long){0}), -1, "trailing");
	is_int(pr_strtonum(" 4", 0, 100, &(long long){0}), -1, "space");
	is_int(pr_strtonum("99999999999999999999", 0, INT64_MAX,
	    &(long long){0}), -1, "overflow");
	is_int(pr_strtonum("", 0, 100, &(long long){0}), -1, "empty");
}

static void
t_json_fields(void)
{
	cJSON	*o, *errs;
	const char *s;
	int	 b;
	char	*txt;

	o = cJSON_Parse("{\"n\":\"\\u00e9t\\u00e9\",\"b\":\"yes\",\"x\":3}");
	errs = verr_new();
	is_int(jf_string(o, "n", 1, 4, 9, errs, &s), -1,
	    "length counts characters: 5 bytes but 3 characters");
	is_int(jf_string(o, "n", 1, 3, 3, errs, &s), 1, "3 characters ok");
	is_int(jf_bool(o, "b", 1, errs, &b), 1, "lax bool");
	is_int(b, 1, "yes is true");
	is_int(jf_bool(o, "x", 1, errs, &b), -1, "3 is not a bool");
	is_int(jf_string(o, "missing", 1, 1, 5, errs, &s), -1, "missing");
	txt = cJSON_PrintUnformatted(errs);
	ok(strstr(txt, "{\"type\":\"string_too_short\",\"loc\":[\"body\","
	    "\"n\"],\"msg\":\"String should have at least 4 characters\","
	    "\"input\":\"") != NULL, "entry shape and order");
	ok(strstr(txt, "\"type\":\"missing\",\"loc\":[\"body\",\"missing\"],"
	    "\"msg\":\"Field required\"") != NULL, "missing entry");
	free(txt);
	cJSON_Delete(errs);
	cJSON_Delete(o);
}

int
main(int argc, char *argv[])
{
	static const struct { const char *name; void (*fn)(void); } t[] = {
		{ "handlers-direct", t_handlers_direct },
		{ "http-query", t_query },
		{ "http-resp", t_resp },
		{ "http-json-fields", t_json_fields },
	};
	size_t	 i;
	int	 rc;

	if (argc != 2)
		return 2;
	setup();
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(argv[1], t[i].name) == 0)
			t[i].fn();
	rc = done_testing();
	cleanup();
	return rc;
}
