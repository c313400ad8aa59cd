/*
 * Unit tests of issue 10's library parts: the job queue's leases in the
 * SQLite module, the canonical form of parameters and SHA-256.
 * Usage: jobs <behaviour>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "photorestore.h"
#include "tap.h"

static char dir[] = "/tmp/pr-jobs-XXXXXX";
static struct config cfg;

static void
setup(void)
{

	if (mkdtemp(dir) == NULL)
		exit(2);
	snprintf(cfg.db_path, sizeof(cfg.db_path), "%s/t.db", dir);
	cfg.db_kind = DB_SQLITE;
	cfg.db_busy_timeout_ms = 10000;
	log_init("t-jobs", PRLOG_ERROR, NULL);
}

static void
cleanup(void)
{
	char	 cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("cleanup failed");
}

/* A user and a job of n queued items; returns the job id. */
static int64_t
make_job(struct db *db, int n)
{
	struct user	 u;
	struct job	*j = calloc(1, sizeof(*j));
	struct job_item	 it;
	int64_t		 id;
	int		 i;

	memset(&u, 0, sizeof(u));
	snprintf(u.username, sizeof(u.username), "u%d", n);
	snprintf(u.email, sizeof(u.email), "u%d@example.com", n);
	snprintf(u.password_hash, sizeof(u.password_hash), "x");
	snprintf(u.role, sizeof(u.role), "user");
	u.is_active = 1;
	if (j == NULL || db_user_insert(db, &u, 1000) != PR_OK)
		return -1;
	j->user_id = u.id;
	snprintf(j->model_id, sizeof(j->model_id), "local-restore");
	snprintf(j->params_canonical, sizeof(j->params_canonical), "{}");
	j->total = n;
	if (db_job_insert(db, j, 1000) != PR_OK)
		return -1;
	for (i = 0; i < n; i++) {
		memset(&it, 0, sizeof(it));
		it.job_id = j->id;
		it.position = i;
		snprintf(it.original_filename, sizeof(it.original_filename),
		    "f%d.png", i);
		snprintf(it.upload_path, sizeof(it.upload_path), "1/x%d.png", i);
		memset(it.input_sha256, 'a', SHA256_HEXLEN);
		if (db_job_item_insert(db, &it) != PR_OK)
			return -1;
	}
	id = j->id;
	free(j);
	return id;
}

static void
t_lease(void)
{
	struct db	*db = NULL, *db2 = NULL;
	struct job	*j = calloc(1, sizeof(*j)), *k = calloc(1, sizeof(*k));
	struct job_item	 it;
	int64_t		 id, n;

	ok(db_open(&cfg, &db) == PR_OK && db_open(&cfg, &db2) == PR_OK,
	    "two handles");
	db_migrate(db, NULL);
	id = make_job(db, 2);
	ok(id > 0, "job made");
	is_int(db_job_count_active(db, &n), PR_OK, "count active");
	is_int(n, 1, "one active job");
	is_int(db_job_lease(db, "w1", 2000, 2060, j), PR_OK, "w1 leases");
	is_int(j->id, id, "the job");
	is_str(j->status, "running", "running");
	is_int(db_job_lease(db2, "w2", 2001, 2061, k), PR_ENOTFOUND,
	    "w2 finds nothing while the lease holds");
	is_int(db_job_next_item(db, id, &it), PR_OK, "next item");
	is_int(it.position, 0, "the first");
	is_int(db_job_item_start(db, it.id), PR_OK, "started");
	/* w1 dies here: after the lease w2 takes the job and the item. */
	is_int(db_job_lease(db2, "w2", 2061, 2121, k), PR_OK,
	    "w2 takes it after the lease ran out");
	is_int(db_job_renew(db, id, "w1", 3000), PR_ENOTFOUND,
	    "w1 has lost it");
	is_int(db_job_next_item(db2, id, &it), PR_OK, "w2: next item");
	is_int(it.position, 0, "the interrupted one again");
	is_int(db_job_item_start(db2, it.id), PR_OK, "restarted");
	snprintf(it.status, sizeof(it.status), "done");
	is_int(db_job_item_finish(db2, &it, 2070), PR_OK, "finished");
	is_int(db_job_item_finish(db2, &it, 2070), PR_ENOTFOUND,
	    "not twice");
	is_int(db_job_next_item(db2, id, &it), PR_OK, "next");
	is_int(it.position, 1, "the second");
	is_int(db_job_item_start(db2, it.id), PR_OK, "started");
	snprintf(it.status, sizeof(it.status), "failed");
	it.error_status = 502;
	snprintf(it.error_detail, sizeof(it.error_detail), "Model service "
	    "error: x");
	is_int(db_job_item_finish(db2, &it, 2071), PR_OK, "failed");
	is_int(db_job_next_item(db2, id, &it), PR_ENOTFOUND, "none left");
	is_int(db_job_finish(db2, id, 2072), PR_OK, "job finished");
	is_int(db_job_get(db2, id, j->user_id, k), PR_OK, "get");
	is_str(k->status, "done", "done (one item done)");
	is_int(k->done_count, 2, "done_count 2");
	is_int(db_job_get(db2, id, j->user_id + 1, k), PR_ENOTFOUND,
	    "another user's id: not found");
	is_int(db_job_lease(db2, "w2", 9000, 9060, k), PR_ENOTFOUND,
	    "a finished job is not leased again");
	db_close(db);
	db_close(db2);
	free(j);
	free(k);
}

static void
t_cancel(void)
{
	struct db	*db = NULL;
	struct job	*j = calloc(1, sizeof(*j));
	struct job_item	 it;
	int64_t		 id, n;

	ok(db_open(&cfg, &db) == PR_OK, "open");
	db_migrate(db, NULL);
	id = make_job(db, 3);
	is_int(db_job_lease(db, "w1", 2000, 2060, j), PR_OK, "leased");
	db_job_next_item(db, id, &it);
	is_int(db_job_item_start(db, it.id), PR_OK, "first running");
	is_int(db_job_pending_items(db, j->user_id, &n), PR_OK, "pending");
	is_int(n, 3, "three reserved");
	is_int(db_job_cancel(db, id, j->user_id, 2001), PR_OK, "cancel");
	is_int(db_job_get(db, id, j->user_id, j), PR_OK, "get");
	is_str(j->status, "cancelled", "cancelled");
	is_int(db_job_pending_items(db, j->user_id, &n), PR_OK, "pending");
	is_int(n, 0, "nothing reserved any more");
	snprintf(it.status, sizeof(it.status), "done");
	is_int(db_job_item_finish(db, &it, 2002), PR_OK,
	    "the running item may finish");
	is_int(db_job_next_item(db, id, &it), PR_ENOTFOUND,
	    "the queued ones are not run");
	is_int(db_job_count_active(db, &n), PR_OK, "active");
	is_int(n, 0, "no active job");
	db_close(db);
	free(j);
}

static void
t_usage_cache(void)
{
	struct db	*db = NULL;
	int64_t		 n, img;
	char		 day[16];
	int64_t		 ends;

	ok(db_open(&cfg, &db) == PR_OK, "open");
	db_migrate(db, NULL);
	make_job(db, 1);
	usage_day(86400 * 3 + 5, day, &ends);
	is_str(day, "1970-01-04", "day");
	is_int(ends, 86400 * 4, "ends at midnight");
	is_int(db_usage_get(db, 1, day, &n), PR_OK, "usage");
	is_int(n, 0, "none");
	db_usage_add(db, 1, day, 1);
	db_usage_add(db, 1, day, 1);
	is_int(db_usage_get(db, 1, day, &n), PR_OK, "usage");
	is_int(n, 2, "two");
	is_int(db_cache_get(db, 1, "ab", "m", "{}", &img), PR_ENOTFOUND,
	    "cache miss");
	db_close(db);
}

static void
t_canonical(void)
{
	cJSON	*a = cJSON_Parse("{\"b\":{\"y\":[2,{\"d\":1,\"c\":0}],"
		    "\"x\":1},\"a\":\"s\"}");
	cJSON	*b = cJSON_Parse("{\"a\":\"s\",\"b\":{\"x\":1,\"y\":[2,"
		    "{\"c\":0,\"d\":1}]}}");
	char	*sa = json_canonical(a), *sb = json_canonical(b);
	char	*se = json_canonical(NULL);
	char	 hex[SHA256_HEXLEN + 1];

	is_str(sa, "{\"a\":\"s\",\"b\":{\"x\":1,\"y\":[2,{\"c\":0,\"d\":1}]}}",
	    "keys sorted at every level, arrays kept in order");
	is_str(sb, sa, "the same text for either order");
	is_str(se, "{}", "NULL is {}");
	is_int(sha256_hex("abc", 3, hex), 0, "sha256");
	is_str(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61"
	    "f20015ad", "FIPS 180-2 vector \"abc\"");
	sha256_hex("", 0, hex);
	is_str(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b"
	    "7852b855", "empty input");
	free(sa);
	free(sb);
	free(se);
	cJSON_Delete(a);
	cJSON_Delete(b);
}

int
main(int argc, char *argv[])
{
	static const struct { const char *name; void (*fn)(void); } t[] = {
		{ "jobs-lease", t_lease },
		{ "jobs-cancel-db", t_cancel },
		{ "jobs-usage-cache-db", t_usage_cache },
		{ "params-canonical", t_canonical },
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
