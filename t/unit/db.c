/*
 * Unit tests of the SQLite module: migrations, seeding, users, sessions,
 * login failures and upload slots.  Usage: db <behaviour>
 */
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "photorestore.h"
#include "tap.h"

static char dir[] = "/tmp/pr-db-XXXXXX";
static struct config cfg;

static void
setup(void)
{

	if (mkdtemp(dir) == NULL)
		exit(2);
	snprintf(cfg.db_path, sizeof(cfg.db_path), "%s/t.db", dir);
	cfg.db_kind = DB_SQLITE;
	cfg.db_busy_timeout_ms = 10000;
	cfg.pbkdf2_iterations = 1000;
	snprintf(cfg.auth_username, sizeof(cfg.auth_username), "Admin");
	snprintf(cfg.auth_email, sizeof(cfg.auth_email), "Admin@Example.com");
	snprintf(cfg.auth_full_name, sizeof(cfg.auth_full_name), "Root");
	log_init("t-db", PRLOG_ERROR, NULL);
}

static void
cleanup(void)
{
	char	 cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("cleanup failed");
}

static struct db *
open_db(void)
{
	struct db	*db = NULL;

	if (db_open(&cfg, &db) != PR_OK)
		return NULL;
	return db;
}

/* Count rows with a raw query (independent of the module). */
static long long
count(const char *sql)
{
	sqlite3		*h;
	sqlite3_stmt	*st;
	long long	 n = -1;

	if (sqlite3_open(cfg.db_path, &h) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(h);
	return n;
}

static void
t_migrate_idempotent(void)
{
	struct db	*db = open_db();
	int		 n = -1;

	ok(db != NULL, "opened");
	is_int(db_migrate(db, &n), PR_OK, "first migration run");
	ok(n >= 2, "applied all migrations (%d)", n);
	is_int(db_migrate(db, &n), PR_OK, "second run");
	is_int(n, 0, "nothing applied the second time");
	db_close(db);
	is_int(count("SELECT count(*) FROM schema_migrations"),
	    count("SELECT max(version) FROM schema_migrations"),
	    "one row per migration, numbered from 1");
	
	db = open_db();
	is_int(db_migrate(db, &n), PR_OK, "third run after reopening");
	is_int(n, 0, "still nothing to apply");
	db_close(db);
}

static void
t_migrate_refuses_foreign(void)
{
	sqlite3		*h;
	struct db	*db;
	int		 n;

	sqlite3_open(cfg.db_path, &h);
	sqlite3_exec(h, "CREATE TABLE users (id INTEGER PRIMARY KEY, "
	    "username TEXT); INSERT INTO users VALUES (1, 'old');", NULL,
	    NULL, NULL);
	sqlite3_close(h);
	db = open_db();
	ok(db_migrate(db, &n) != PR_OK, "refuses a database it did not make");
	db_close(db);
	is_int(count("SELECT count(*) FROM users"), 1, "user data untouched");
	is_int(count("SELECT count(*) FROM schema_migrations"), 0,
	    "nothing recorded");
}

static void
t_migrate_partial(void)
{
	sqlite3		*h;
	struct db	*db = open_db();
	int		 n;

	/* Apply everything, then forget migration 2 and drop its tables:
	 * a database migrated only to version 1. */
	db_migrate(db, &n);
	db_close(db);
	sqlite3_open(cfg.db_path, &h);
	sqlite3_exec(h, "INSERT INTO users (username, email, hashed_password,"
	    " created_at) VALUES ('kept', 'k@x', 'h', 'now'); "
	    "DROP TABLE login_failures; DROP TABLE upload_slots; "
	    "DELETE FROM schema_migrations WHERE version = 2;", NULL, NULL,
	    NULL);
	sqlite3_close(h);
	db = open_db();
	is_int(db_migrate(db, &n), PR_OK, "partially migrated: continues");
	is_int(n, 1, "applies only the missing migration");
	db_close(db);
	is_int(count("SELECT count(*) FROM users WHERE username = 'kept'"), 1,
	    "existing users kept");
	is_int(count("SELECT count(*) FROM login_failures"), 0,
	    "missing table created");
}

/* Run fn in n forked processes at once; returns how many exited 0. */
static int
fork_n(int n, int (*fn)(void))
{
	pid_t	 pids[16];
	int	 i, st, good = 0;

	for (i = 0; i < n; i++)
		if ((pids[i] = fork()) == 0)
			_exit(fn());
	for (i = 0; i < n; i++)
		if (waitpid(pids[i], &st, 0) > 0 && WIFEXITED(st) &&
		    WEXITSTATUS(st) == 0)
			good++;
	return good;
}

static int
child_migrate(void)
{
	struct db	*db = open_db();
	int		 n, rc;

	rc = db != NULL && db_migrate(db, &n) == PR_OK ? 0 : 1;
	db_close(db);
	return rc;
}

/*
 * Eight workers starting at once on a database file that does not exist
 * yet.  The race (switching the new file to WAL) was lost about once in
 * 30 starts, so do it on 25 fresh files.
 */
static void
t_migrate_concurrent(void)
{
	int	 i, good = 0, once = 0, schema = 0;

	for (i = 0; i < 25; i++) {
		unlink(cfg.db_path);
		snprintf(cfg.db_path, sizeof(cfg.db_path), "%s/t%d.db", dir,
		    i);
		good += fork_n(8, child_migrate) == 8;
		once += count("SELECT count(*) FROM schema_migrations "
		    "WHERE version = 1") == 1;
		schema += count("SELECT count(*) FROM sqlite_master WHERE "
		    "name = 'users'") == 1;
	}
	is_int(good, 25, "8 concurrent first starts, 25 times");
	is_int(once, 25, "migration 1 recorded once");
	is_int(schema, 25, "schema created once");
}

static int
child_seed(void)
{
	struct db	*db = open_db();
	char		 pw[64];
	int		 created, rc;

	rc = db != NULL && seed_admin(&cfg, db, pw, sizeof(pw), &created) ==
	    PR_OK ? 0 : 1;
	db_close(db);
	return rc;
}

static void
t_seed_race(void)
{
	struct db	*db = open_db();
	struct user	 u;
	char		 pw[64];
	int		 created;

	db_migrate(db, NULL);
	is_int(fork_n(8, child_seed), 8, "8 concurrent seeds succeed");
	is_int(count("SELECT count(*) FROM users"), 1, "exactly one admin");
	is_int(db_user_by_login(db, "ADMIN", &u), PR_OK, "found by name");
	is_str(u.username, "admin", "stored lower-cased");
	is_str(u.email, "admin@example.com", "email lower-cased");
	is_str(u.role, "admin", "role admin");
	is_int(u.password_must_change, 1, "generated password must change");
	is_int(seed_admin(&cfg, db, pw, sizeof(pw), &created), PR_OK,
	    "seeding again");
	is_int(created, 0, "no second admin");
	is_str(pw, "", "no password printed the second time");
	db_close(db);
}

static void
t_seed_password(void)
{
	struct db	*db = open_db();
	struct user	 u;
	char		 pw[64];
	int		 created, rh;

	db_migrate(db, NULL);
	snprintf(cfg.auth_password, sizeof(cfg.auth_password),
	    "Given-Pass-123");
	is_int(seed_admin(&cfg, db, pw, sizeof(pw), &created), PR_OK, "seed");
	is_int(created, 1, "created");
	is_str(pw, "", "configured password is not echoed");
	db_user_by_login(db, "admin@example.com", &u);
	is_int(u.password_must_change, 0, "configured: no forced change");
	is_int(pw_verify("Given-Pass-123", 14, u.password_hash, 1000, &rh), 1,
	    "password works");
	/* Another admin name but the same email: still no new user. */
	snprintf(cfg.auth_username, sizeof(cfg.auth_username), "other");
	is_int(seed_admin(&cfg, db, pw, sizeof(pw), &created), PR_OK, "again");
	is_int(created, 0, "same email (any case): not created");
	db_close(db);
}

static int
each_user(const struct user *u, void *arg)
{

	(void)u;
	(*(int *)arg)++;
	return 0;
}

static void
t_users(void)
{
	struct db		*db = open_db();
	struct user		 u, v;
	struct user_filter	 f;
	int64_t			 total, n;
	int			 ut, et, seen = 0;

	db_migrate(db, NULL);
	memset(&u, 0, sizeof(u));
	snprintf(u.username, sizeof(u.username), "bob");
	snprintf(u.email, sizeof(u.email), "bob@example.com");
	snprintf(u.full_name, sizeof(u.full_name), "Bob 100%s_done", "%");
	snprintf(u.role, sizeof(u.role), "user");
	snprintf(u.password_hash, sizeof(u.password_hash), "x");
	u.is_active = 1;
	is_int(db_user_insert(db, &u, 1795000000), PR_OK, "insert");
	ok(u.id > 0, "id set");
	is_str(u.created_at, "2026-11-18T11:06:40Z", "created_at ISO with Z");
	v = u;
	snprintf(v.username, sizeof(v.username), "BOB");
	snprintf(v.email, sizeof(v.email), "other@example.com");
	is_int(db_user_insert(db, &v, 0), PR_ECONFLICT,
	    "username unique, case-insensitive");
	snprintf(v.username, sizeof(v.username), "bobby");
	snprintf(v.email, sizeof(v.email), "BOB@example.COM");
	is_int(db_user_insert(db, &v, 0), PR_ECONFLICT,
	    "email unique, case-insensitive");
	is_int(db_user_taken(db, "Bob", "x@y", 0, &ut, &et), PR_OK, "taken");
	ok(ut == 1 && et == 0, "username taken, email free");
	is_int(db_user_taken(db, "bob", NULL, u.id, &ut, &et), PR_OK, "self");
	is_int(ut, 0, "own name is not a conflict with except_id");
	is_int(db_user_by_id(db, 999, &v), PR_ENOTFOUND, "missing id");
	memset(&f, 0, sizeof(f));
	f.is_active = -1;
	f.limit = 100;
	f.search = "%";
	db_user_list(db, &f, each_user, &seen, &total);
	is_int(total, 1, "search %% matches literally");
	f.search = "_d";
	seen = 0;
	db_user_list(db, &f, each_user, &seen, &total);
	is_int(total, 1, "search _d matches the literal _done");
	f.search = "b_b";
	db_user_list(db, &f, each_user, &seen, &total);
	is_int(total, 0, "_ is not a wildcard");
	f.search = "' OR 1=1 --";
	db_user_list(db, &f, each_user, &seen, &total);
	is_int(total, 0, "injection text is just text");
	f.search = NULL;
	f.role = "admin";
	db_user_list(db, &f, each_user, &seen, &total);
	is_int(total, 0, "role filter");
	db_user_count(db, &n);
	is_int(n, 1, "count");
	is_int(db_user_delete(db, u.id), PR_OK, "delete");
	is_int(db_user_delete(db, u.id), PR_ENOTFOUND, "delete again");
	db_close(db);
}

static void
t_sessions(void)
{
	struct db	*db = open_db();
	struct user	 u;
	struct session	 s, t;
	int64_t		 n;

	db_migrate(db, NULL);
	memset(&u, 0, sizeof(u));
	snprintf(u.username, sizeof(u.username), "sam");
	snprintf(u.email, sizeof(u.email), "sam@x.org");
	snprintf(u.role, sizeof(u.role), "user");
	snprintf(u.password_hash, sizeof(u.password_hash), "x");
	u.is_active = 1;
	db_user_insert(db, &u, 1000);
	memset(&s, 0, sizeof(s));
	pr_uuid4(s.session_id);
	s.user_id = u.id;
	s.expires_at = 5000;
	is_int(db_session_insert(db, &s, 1000), PR_OK, "insert session");
	is_int(db_session_by_uuid(db, s.session_id, &t), PR_OK, "lookup");
	is_int(t.has_user_agent, 0, "NULL user agent");
	is_int(t.expires_at, 5000, "expiry");
	db_session_delete_expired(db, 4999, &n);
	is_int(n, 0, "not yet expired");
	db_session_delete_expired(db, 5000, &n);
	is_int(n, 1, "expired session removed");
	is_int(db_session_by_uuid(db, s.session_id, &t), PR_ENOTFOUND, "gone");
	pr_uuid4(s.session_id);
	db_session_insert(db, &s, 1000);
	is_int(db_user_delete(db, u.id), PR_OK, "delete user");
	is_int(db_session_by_uuid(db, s.session_id, &t), PR_ENOTFOUND,
	    "sessions cascade with the user");
	db_close(db);
}

static void
t_login_failures(void)
{
	struct db	*db = open_db();
	int64_t		 c, o;

	db_migrate(db, NULL);
	db_login_fail_add(db, "a|1.2.3.4", 100);
	db_login_fail_add(db, "a|1.2.3.4", 200);
	db_login_fail_add(db, "b|1.2.3.4", 200);
	is_int(db_login_failures(db, "a|1.2.3.4", 50, &c, &o), PR_OK, "count");
	is_int(c, 2, "two failures");
	is_int(o, 100, "oldest");
	db_login_failures(db, "a|1.2.3.4", 150, &c, &o);
	is_int(c, 1, "window excludes old ones");
	db_login_fail_clear(db, "a|1.2.3.4");
	db_login_failures(db, "a|1.2.3.4", 0, &c, &o);
	is_int(c, 0, "cleared");
	db_login_failures(db, "b|1.2.3.4", 0, &c, &o);
	is_int(c, 1, "other keys kept");
	db_close(db);
}

static void
t_slots(void)
{
	struct db	*db = open_db();
	int64_t		 a, b, c, d;

	db_migrate(db, NULL);
	is_int(db_slot_acquire(db, 7, 2, 1000, &a), PR_OK, "slot 1");
	is_int(db_slot_acquire(db, 7, 2, 1000, &b), PR_OK, "slot 2");
	is_int(db_slot_acquire(db, 7, 2, 1000, &c), PR_EBUSY, "third busy");
	is_int(db_slot_acquire(db, 8, 2, 1000, &c), PR_OK,
	    "another session has its own slots");
	db_slot_release(db, a);
	is_int(db_slot_acquire(db, 7, 2, 1000, &d), PR_OK, "after release");
	is_int(db_slot_acquire(db, 7, 2, 1000 + 3600, &d), PR_OK,
	    "stale slots expire");
	(void)b;
	db_close(db);
}

int
main(int argc, char *argv[])
{
	static const struct { const char *name; void (*fn)(void); } t[] = {
		{ "migrate-idempotent", t_migrate_idempotent },
		{ "migrate-refuses-foreign", t_migrate_refuses_foreign },
		{ "migrate-partial", t_migrate_partial },
		{ "migrate-concurrent", t_migrate_concurrent },
		{ "seed-admin-race", t_seed_race },
		{ "seed-admin-password", t_seed_password },
		{ "db-users", t_users },
		{ "db-sessions", t_sessions },
		{ "db-login-failures", t_login_failures },
		{ "db-slots", t_slots },
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
