/*
 * db_sqlite.c: the SQLite implementation of the database interface in
 * photorestore.h.  The only file that includes sqlite3.h.
 *
 * Every statement lives in the enum-indexed table below, is prepared once
 * per process on first use and reset after each use; user data reaches
 * SQL only through sqlite3_bind_*.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "photorestore.h"
#include "extern.h"

enum stmt {
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_BEGIN_READ,
	STMT_PING,
	STMT_USER_BY_ID,
	STMT_USER_BY_LOGIN,
	STMT_USER_NAME_TAKEN,
	STMT_USER_EMAIL_TAKEN,
	STMT_USER_INSERT,
	STMT_USER_UPDATE,
	STMT_USER_SET_PASSWORD,
	STMT_USER_SET_LAST_LOGIN,
	STMT_USER_DELETE,
	STMT_USER_LIST,
	STMT_USER_LIST_COUNT,
	STMT_USER_COUNT_ADMINS,
	STMT_USER_COUNT,
	STMT_SESSION_INSERT,
	STMT_SESSION_BY_UUID,
	STMT_SESSION_TOUCH,
	STMT_SESSION_DELETE,
	STMT_SESSION_DELETE_USER,
	STMT_SESSION_LIST,
	STMT_SESSION_DELETE_EXPIRED,
	STMT_LOGIN_FAIL_COUNT,
	STMT_LOGIN_FAIL_ADD,
	STMT_LOGIN_FAIL_CLEAR,
	STMT_LOGIN_FAIL_PRUNE,
	STMT_IMAGE_INSERT,
	STMT_IMAGE_GET,
	STMT_IMAGE_LIST,
	STMT_IMAGE_LIST_COUNT,
	STMT_IMAGE_DELETE,
	STMT_IMAGE_EACH_OF_USER,
	STMT_IMAGE_OLDER_THAN,
	STMT_SLOT_PRUNE,
	STMT_SLOT_COUNT,
	STMT_SLOT_INSERT,
	STMT_SLOT_DELETE,
	STMT_MIGRATION_HAS,
	STMT_MIGRATION_ADD,
	STMT_JOB_INSERT,
	STMT_JOB_ITEM_INSERT,
	STMT_JOB_GET,
	STMT_JOB_LIST,
	STMT_JOB_LIST_COUNT,
	STMT_JOB_ITEMS,
	STMT_JOB_COUNT_ACTIVE,
	STMT_JOB_PENDING_ITEMS,
	STMT_JOB_CANCEL,
	STMT_JOB_CANCEL_ITEMS,
	STMT_JOB_LEASE_PICK,
	STMT_JOB_LEASE_TAKE,
	STMT_JOB_BY_ID,
	STMT_JOB_RENEW,
	STMT_JOB_RELEASE,
	STMT_JOB_NEXT_ITEM,
	STMT_JOB_ITEM_START,
	STMT_JOB_ITEM_FINISH,
	STMT_JOB_COUNT_DONE,
	STMT_JOB_FINISH,
	STMT_USAGE_GET,
	STMT_USAGE_ADD,
	STMT_CACHE_GET,
	STMT_CACHE_PUT,
	STMT__MAX
};

#define USER_COLS "id, username, email, full_name, role, is_active, " \
	"password_must_change, hashed_password, created_at, last_login"
#define SESSION_COLS "id, user_id, session_id, created_at, last_accessed, " \
	"expires_at, user_agent, ip_address"
#define IMAGE_COLS "id, user_id, session_uuid, original_filename, " \
	"model_id, original_path, processed_path, model_parameters, " \
	"created_at"
#define USER_FILTER "WHERE (?1 IS NULL OR role = ?1) " \
	"AND (?2 IS NULL OR is_active = ?2) " \
	"AND (?3 IS NULL OR instr(lower(username), ?3) > 0 " \
	"OR instr(lower(email), ?3) > 0 OR instr(lower(full_name), ?3) > 0)"
#define IMAGE_FILTER "WHERE user_id = ?1 AND (?2 IS NULL OR session_uuid = ?2)"
#define JOB_COLS "id, user_id, session_uuid, model_id, parameters, " \
	"params_canonical, status, total, done_count, created_at, updated_at, " \
	"lease_owner, lease_expires"
#define ITEM_COLS "id, job_id, position, original_filename, upload_path, " \
	"status, image_id, error_status, error_detail, input_sha256"

static const char *const sql[STMT__MAX] = {
	/* STMT_BEGIN */
	"BEGIN IMMEDIATE",
	/* STMT_COMMIT */
	"COMMIT",
	/* STMT_ROLLBACK */
	"ROLLBACK",
	/* STMT_BEGIN_READ */
	"BEGIN DEFERRED",
	/* STMT_PING */
	"SELECT count(*) FROM users",
	/* STMT_USER_BY_ID */
	"SELECT " USER_COLS " FROM users WHERE id = ?1",
	/* STMT_USER_BY_LOGIN: the username wins over another's email. */
	"SELECT " USER_COLS " FROM users WHERE username = ?1 "
	"OR email = ?1 ORDER BY username = ?1 DESC LIMIT 1",
	/* STMT_USER_NAME_TAKEN */
	"SELECT count(*) FROM users WHERE username = ?1 AND id <> ?2",
	/* STMT_USER_EMAIL_TAKEN */
	"SELECT count(*) FROM users WHERE email = ?1 AND id <> ?2",
	/* STMT_USER_INSERT */
	"INSERT INTO users (username, email, hashed_password, full_name, "
	"role, is_active, password_must_change, created_at) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	/* STMT_USER_UPDATE */
	"UPDATE users SET email = ?1, full_name = ?2, role = ?3, "
	"is_active = ?4, password_must_change = ?5 WHERE id = ?6",
	/* STMT_USER_SET_PASSWORD */
	"UPDATE users SET hashed_password = ?1, password_must_change = ?2 "
	"WHERE id = ?3",
	/* STMT_USER_SET_LAST_LOGIN */
	"UPDATE users SET last_login = ?1 WHERE id = ?2",
	/* STMT_USER_DELETE */
	"DELETE FROM users WHERE id = ?1",
	/* STMT_USER_LIST */
	"SELECT " USER_COLS " FROM users " USER_FILTER
	" ORDER BY id LIMIT ?4 OFFSET ?5",
	/* STMT_USER_LIST_COUNT */
	"SELECT count(*) FROM users " USER_FILTER,
	/* STMT_USER_COUNT_ADMINS */
	"SELECT count(*) FROM users WHERE role = 'admin' AND is_active = 1",
	/* STMT_USER_COUNT */
	"SELECT count(*) FROM users",
	/* STMT_SESSION_INSERT */
	"INSERT INTO sessions (user_id, session_id, created_at, "
	"last_accessed, expires_at, user_agent, ip_address) "
	"VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6)",
	/* STMT_SESSION_BY_UUID */
	"SELECT " SESSION_COLS ", 0 FROM sessions WHERE session_id = ?1",
	/* STMT_SESSION_TOUCH */
	"UPDATE sessions SET last_accessed = ?1 WHERE id = ?2",
	/* STMT_SESSION_DELETE */
	"DELETE FROM sessions WHERE id = ?1",
	/* STMT_SESSION_DELETE_USER */
	"DELETE FROM sessions WHERE user_id = ?1 "
	"AND (?2 IS NULL OR session_id <> ?2)",
	/* STMT_SESSION_LIST */
	"SELECT " SESSION_COLS ", (SELECT count(*) FROM processed_images p "
	"WHERE p.session_id = sessions.id) FROM sessions WHERE user_id = ?1 "
	"ORDER BY last_accessed DESC, id DESC",
	/* STMT_SESSION_DELETE_EXPIRED */
	"DELETE FROM sessions WHERE expires_at <= ?1",
	/* STMT_LOGIN_FAIL_COUNT */
	"SELECT count(*), min(ts) FROM login_failures "
	"WHERE key = ?1 AND ts > ?2",
	/* STMT_LOGIN_FAIL_ADD */
	"INSERT INTO login_failures (key, ts) VALUES (?1, ?2)",
	/* STMT_LOGIN_FAIL_CLEAR */
	"DELETE FROM login_failures WHERE key = ?1",
	/* STMT_LOGIN_FAIL_PRUNE */
	"DELETE FROM login_failures WHERE ts < ?1",
	/* STMT_IMAGE_INSERT */
	"INSERT INTO processed_images (user_id, session_id, session_uuid, "
	"original_filename, model_id, original_path, processed_path, "
	"model_parameters, created_at) VALUES (?1, "
	"(SELECT id FROM sessions WHERE session_id = ?2), ?2, ?3, ?4, ?5, "
	"?6, ?7, ?8)",
	/* STMT_IMAGE_GET */
	"SELECT " IMAGE_COLS " FROM processed_images "
	"WHERE id = ?1 AND user_id = ?2",
	/* STMT_IMAGE_LIST */
	"SELECT " IMAGE_COLS " FROM processed_images " IMAGE_FILTER
	" ORDER BY id DESC LIMIT ?3 OFFSET ?4",
	/* STMT_IMAGE_LIST_COUNT */
	"SELECT count(*) FROM processed_images " IMAGE_FILTER,
	/* STMT_IMAGE_DELETE */
	"DELETE FROM processed_images WHERE id = ?1 AND user_id = ?2",
	/* STMT_IMAGE_EACH_OF_USER */
	"SELECT " IMAGE_COLS " FROM processed_images WHERE user_id = ?1 "
	"ORDER BY id",
	/* STMT_IMAGE_OLDER_THAN */
	"SELECT " IMAGE_COLS " FROM processed_images WHERE created_at < ?1 "
	"ORDER BY id",
	/* STMT_SLOT_PRUNE */
	"DELETE FROM upload_slots WHERE expires_at <= ?1",
	/* STMT_SLOT_COUNT */
	"SELECT count(*) FROM upload_slots WHERE session_row = ?1",
	/* STMT_SLOT_INSERT */
	"INSERT INTO upload_slots (session_row, pid, expires_at) "
	"VALUES (?1, ?2, ?3)",
	/* STMT_SLOT_DELETE */
	"DELETE FROM upload_slots WHERE id = ?1",
	/* STMT_MIGRATION_HAS */
	"SELECT count(*) FROM schema_migrations WHERE version = ?1",
	/* STMT_MIGRATION_ADD */
	"INSERT INTO schema_migrations (version, name, applied_at) "
	"VALUES (?1, ?2, ?3)",
	/* STMT_JOB_INSERT */
	"INSERT INTO jobs (user_id, session_uuid, model_id, parameters, "
	"params_canonical, status, total, done_count, created_at, "
	"updated_at) VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6, ?7, ?8, ?8)",
	/* STMT_JOB_ITEM_INSERT */
	"INSERT INTO job_items (job_id, position, original_filename, "
	"upload_path, status, image_id, error_status, error_detail, "
	"input_sha256) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	/* STMT_JOB_GET */
	"SELECT " JOB_COLS " FROM jobs WHERE id = ?1 AND user_id = ?2",
	/* STMT_JOB_LIST */
	"SELECT " JOB_COLS " FROM jobs WHERE user_id = ?1 "
	"ORDER BY id DESC LIMIT ?2 OFFSET ?3",
	/* STMT_JOB_LIST_COUNT */
	"SELECT count(*) FROM jobs WHERE user_id = ?1",
	/* STMT_JOB_ITEMS */
	"SELECT " ITEM_COLS " FROM job_items WHERE job_id = ?1 "
	"ORDER BY position",
	/* STMT_JOB_COUNT_ACTIVE */
	"SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')",
	/* STMT_JOB_PENDING_ITEMS */
	"SELECT count(*) FROM job_items i JOIN jobs j ON j.id = i.job_id "
	"WHERE j.user_id = ?1 AND j.status IN ('queued', 'running') "
	"AND i.status IN ('queued', 'running')",
	/* STMT_JOB_CANCEL */
	"UPDATE jobs SET status = 'cancelled', updated_at = ?3 "
	"WHERE id = ?1 AND user_id = ?2 AND status IN ('queued', 'running')",
	/* STMT_JOB_CANCEL_ITEMS */
	"UPDATE job_items SET status = 'cancelled' WHERE job_id = ?1 "
	"AND status = 'queued'",
	/* STMT_JOB_LEASE_PICK */
	"SELECT id FROM jobs WHERE status IN ('queued', 'running') "
	"AND lease_expires < ?1 ORDER BY id LIMIT 1",
	/* STMT_JOB_LEASE_TAKE */
	"UPDATE jobs SET status = 'running', lease_owner = ?2, "
	"lease_expires = ?3, updated_at = ?4 WHERE id = ?1 "
	"AND status IN ('queued', 'running') AND lease_expires < ?5",
	/* STMT_JOB_BY_ID */
	"SELECT " JOB_COLS " FROM jobs WHERE id = ?1",
	/* STMT_JOB_RENEW */
	"UPDATE jobs SET lease_expires = ?3 WHERE id = ?1 "
	"AND lease_owner = ?2",
	/* STMT_JOB_RELEASE */
	"UPDATE jobs SET lease_owner = NULL, lease_expires = 0 "
	"WHERE id = ?1 AND lease_owner = ?2",
	/* STMT_JOB_NEXT_ITEM */
	"SELECT " ITEM_COLS " FROM job_items WHERE job_id = ?1 "
	"AND status IN ('queued', 'running') ORDER BY position LIMIT 1",
	/* STMT_JOB_ITEM_START */
	"UPDATE job_items SET status = 'running' WHERE id = ?1 "
	"AND status IN ('queued', 'running')",
	/* STMT_JOB_ITEM_FINISH */
	"UPDATE job_items SET status = ?2, image_id = ?3, error_status = ?4, "
	"error_detail = ?5 WHERE id = ?1 AND status = 'running'",
	/* STMT_JOB_COUNT_DONE */
	"UPDATE jobs SET done_count = done_count + 1, updated_at = ?2 "
	"WHERE id = ?1",
	/* STMT_JOB_FINISH */
	"UPDATE jobs SET status = CASE WHEN EXISTS (SELECT 1 FROM job_items "
	"WHERE job_id = ?1 AND status = 'done') THEN 'done' ELSE 'failed' END, "
	"lease_owner = NULL, lease_expires = 0, updated_at = ?2 "
	"WHERE id = ?1 AND status IN ('queued', 'running') AND NOT EXISTS "
	"(SELECT 1 FROM job_items WHERE job_id = ?1 "
	"AND status IN ('queued', 'running'))",
	/* STMT_USAGE_GET */
	"SELECT count FROM image_usage WHERE user_id = ?1 AND day = ?2",
	/* STMT_USAGE_ADD */
	"INSERT INTO image_usage (user_id, day, count) VALUES (?1, ?2, ?3) "
	"ON CONFLICT (user_id, day) DO UPDATE SET count = count + ?3",
	/* STMT_CACHE_GET */
	"SELECT image_id FROM result_cache WHERE user_id = ?1 "
	"AND input_sha256 = ?2 AND model_id = ?3 AND params_canonical = ?4",
	/* STMT_CACHE_PUT */
	"INSERT INTO result_cache (user_id, input_sha256, model_id, "
	"params_canonical, image_id) VALUES (?1, ?2, ?3, ?4, ?5) "
	"ON CONFLICT (user_id, input_sha256, model_id, params_canonical) "
	"DO UPDATE SET image_id = excluded.image_id",
};

struct sdb {
	sqlite3		*h;
	sqlite3_stmt	*st[STMT__MAX];
	int		 busy_ms;
};

/* Map an SQLite result code onto our errors. */
static enum pr_err
db_err(struct sdb *db, int rc)
{

	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return PR_OK;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		log_warn("database busy: %s", sqlite3_errmsg(db->h));
		return PR_EBUSY;
	case SQLITE_CONSTRAINT:
		return PR_ECONFLICT;
	case SQLITE_NOMEM:
		return PR_ENOMEM;
	default:
		log_error("database: %s", sqlite3_errmsg(db->h));
		return PR_EDB;
	}
}

/* The prepared statement for s, reset and unbound, or NULL. */
static sqlite3_stmt *
stmt(struct sdb *db, enum stmt s)
{
	int	 rc;

	if (db->st[s] == NULL) {
		rc = sqlite3_prepare_v3(db->h, sql[s], -1,
		    SQLITE_PREPARE_PERSISTENT, &db->st[s], NULL);
		if (rc != SQLITE_OK) {
			log_error("prepare %d: %s", (int)s,
			    sqlite3_errmsg(db->h));
			return NULL;
		}
	}
	sqlite3_reset(db->st[s]);
	sqlite3_clear_bindings(db->st[s]);
	return db->st[s];
}

static int
bind_text(sqlite3_stmt *st, int i, const char *s)
{

	if (s == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

static int
bind_int(sqlite3_stmt *st, int i, int64_t v)
{

	return sqlite3_bind_int64(st, i, (sqlite3_int64)v);
}

/* Copy a text column into a fixed buffer; NULL gives "" and returns 0. */
static int
col_text(sqlite3_stmt *st, int i, char *out, size_t outsz)
{
	const unsigned char	*s;

	if ((s = sqlite3_column_text(st, i)) == NULL) {
		out[0] = '\0';
		return 0;
	}
	snprintf(out, outsz, "%s", (const char *)s);
	return 1;
}

/* Run a statement that returns no rows; reset it afterwards. */
static enum pr_err
exec_done(struct sdb *db, sqlite3_stmt *st)
{
	int	 rc;

	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return PR_OK;
	return db_err(db, rc);
}

/* Run a statement returning one integer (count); reset afterwards. */
static enum pr_err
exec_count(struct sdb *db, sqlite3_stmt *st, int64_t *out)
{
	int	 rc;

	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		return PR_OK;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? PR_ENOTFOUND : db_err(db, rc);
}

static void
row_user(sqlite3_stmt *st, struct user *u)
{

	memset(u, 0, sizeof(*u));
	u->id = sqlite3_column_int64(st, 0);
	col_text(st, 1, u->username, sizeof(u->username));
	col_text(st, 2, u->email, sizeof(u->email));
	col_text(st, 3, u->full_name, sizeof(u->full_name));
	col_text(st, 4, u->role, sizeof(u->role));
	u->is_active = sqlite3_column_int(st, 5) != 0;
	u->password_must_change = sqlite3_column_int(st, 6) != 0;
	col_text(st, 7, u->password_hash, sizeof(u->password_hash));
	col_text(st, 8, u->created_at, sizeof(u->created_at));
	col_text(st, 9, u->last_login, sizeof(u->last_login));
}

static void
row_session(sqlite3_stmt *st, struct session *s)
{

	memset(s, 0, sizeof(*s));
	s->id = sqlite3_column_int64(st, 0);
	s->user_id = sqlite3_column_int64(st, 1);
	col_text(st, 2, s->session_id, sizeof(s->session_id));
	col_text(st, 3, s->created_at, sizeof(s->created_at));
	col_text(st, 4, s->last_accessed, sizeof(s->last_accessed));
	s->expires_at = sqlite3_column_int64(st, 5);
	s->has_user_agent = col_text(st, 6, s->user_agent,
	    sizeof(s->user_agent));
	s->has_ip_address = col_text(st, 7, s->ip_address,
	    sizeof(s->ip_address));
	s->image_count = sqlite3_column_int64(st, 8);
}

static void
row_image(sqlite3_stmt *st, struct image *im)
{

	im->id = sqlite3_column_int64(st, 0);
	im->user_id = sqlite3_column_int64(st, 1);
	col_text(st, 2, im->session_id, sizeof(im->session_id));
	col_text(st, 3, im->original_filename, sizeof(im->original_filename));
	col_text(st, 4, im->model_id, sizeof(im->model_id));
	col_text(st, 5, im->original_path, sizeof(im->original_path));
	col_text(st, 6, im->processed_path, sizeof(im->processed_path));
	im->has_model_parameters = col_text(st, 7, im->model_parameters,
	    sizeof(im->model_parameters));
	col_text(st, 8, im->created_at, sizeof(im->created_at));
}

/* Step a single-row query into a struct through fn. */
static enum pr_err
exec_one(struct sdb *db, sqlite3_stmt *st, void (*fn)(sqlite3_stmt *,
    void *), void *out)
{
	int	 rc;

	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		fn(st, out);
		sqlite3_reset(st);
		return PR_OK;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? PR_ENOTFOUND : db_err(db, rc);
}

static void
row_user_v(sqlite3_stmt *st, void *p)
{

	row_user(st, p);
}

static void
row_session_v(sqlite3_stmt *st, void *p)
{

	row_session(st, p);
}

static void
row_image_v(sqlite3_stmt *st, void *p)
{

	memset(p, 0, sizeof(struct image));
	row_image(st, p);
}

/*
 * Step a multi-row query, decoding each row with dec into a scratch
 * struct of size sz and handing it to cb (which may stop the walk).
 */
static enum pr_err
exec_each(struct sdb *db, sqlite3_stmt *st, void (*dec)(sqlite3_stmt *,
    void *), size_t sz, int (*cb)(const void *, void *), void *arg)
{
	void	*row;
	int	 rc;
	enum pr_err e = PR_OK;

	if ((row = calloc(1, sz)) == NULL) {
		sqlite3_reset(st);
		return PR_ENOMEM;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		dec(st, row);
		if (cb(row, arg) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		e = db_err(db, rc);
	sqlite3_reset(st);
	free(row);
	return e;
}

/*
 * Open the SQLite database at cfg->db_path (creating it and its
 * directory's file), with WAL, foreign keys, NORMAL sync, the busy
 * timeout and SQLITE_DBCONFIG_DEFENSIVE.
 */
static enum pr_err
sq_open(const struct config *cfg, void **out)
{
	struct sdb	*db;
	struct timespec	 t0, t;
	int		 rc, on = 1;
	char		*msg = NULL;

	*out = NULL;
	if ((db = calloc(1, sizeof(*db))) == NULL)
		return PR_ENOMEM;
	rc = sqlite3_open_v2(cfg->db_path, &db->h, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
	    NULL);
	if (rc != SQLITE_OK) {
		log_error("database %s: %s", cfg->db_path,
		    db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
		goto err;
	}
	db->busy_ms = cfg->db_busy_timeout_ms;
	sqlite3_busy_timeout(db->h, db->busy_ms);
	sqlite3_db_config(db->h, SQLITE_DBCONFIG_DEFENSIVE, on, NULL);
	sqlite3_db_config(db->h, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	/*
	 * The first open of a new file switches it to WAL, which needs an
	 * exclusive lock.  When several processes start at once on a fresh
	 * file, SQLite sees the lock upgrade as a deadlock and answers
	 * SQLITE_BUSY at once, without calling the busy handler: retry
	 * (the pragmas are idempotent) until the busy timeout is used up.
	 */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		rc = sqlite3_exec(db->h, "PRAGMA journal_mode=WAL; "
		    "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
		    "PRAGMA secure_delete=ON;", NULL, NULL, &msg);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((rc & 0xff) != SQLITE_BUSY ||
		    (t.tv_sec - t0.tv_sec) * 1000 +
		    (t.tv_nsec - t0.tv_nsec) / 1000000 >= db->busy_ms)
			break;
		sqlite3_free(msg);
		msg = NULL;
		sqlite3_sleep(2 + (int)(getpid() % 8));
	}
	if (rc != SQLITE_OK) {
		log_error("database %s: %s", cfg->db_path,
		    msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		goto err;
	}
	*out = db;
	return PR_OK;
err:
	if (db->h != NULL)
		sqlite3_close_v2(db->h);
	free(db);
	return (rc & 0xff) == SQLITE_BUSY ? PR_EBUSY : PR_EDB;
}

/*
 * Finalise every statement and close the handle.
 */
static void
sq_close(void *vdb)
{
	struct sdb	*db = vdb;
	size_t		 i;

	if (db == NULL)
		return;
	for (i = 0; i < STMT__MAX; i++)
		sqlite3_finalize(db->st[i]);
	sqlite3_close_v2(db->h);
	free(db);
}

/*
 * The last SQLite error message (for logs).
 */
static const char *
sq_errmsg(void *vdb)
{
	struct sdb	*db = vdb;

	return sqlite3_errmsg(db->h);
}

/*
 * BEGIN IMMEDIATE: take the write lock now, so a transaction that reads
 * then writes cannot fail half-way with SQLITE_BUSY.
 */
static enum pr_err
sq_begin(void *vdb)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;

	if ((st = stmt(db, STMT_BEGIN)) == NULL)
		return PR_EDB;
	return exec_done(db, st);
}

/*
 * Commit the open transaction.
 */
static enum pr_err
sq_commit(void *vdb)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;

	if ((st = stmt(db, STMT_COMMIT)) == NULL)
		return PR_EDB;
	return exec_done(db, st);
}

/*
 * Roll back the open transaction (a no-op when none is open).
 */
static enum pr_err
sq_rollback(void *vdb)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;

	if (sqlite3_get_autocommit(db->h))
		return PR_OK;
	if ((st = stmt(db, STMT_ROLLBACK)) == NULL)
		return PR_EDB;
	return exec_done(db, st);
}

/*
 * A read transaction: BEGIN DEFERRED takes the WAL read lock at the first
 * statement and holds it to the COMMIT, so the statements inside share
 * one lock instead of taking and dropping it each (2 fcntl calls each).
 */
static int
sq_read_begin(void *vdb)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;

	if (!sqlite3_get_autocommit(db->h) ||
	    (st = stmt(db, STMT_BEGIN_READ)) == NULL)
		return 0;
	return exec_done(db, st) == PR_OK;
}

static void
sq_read_end(void *vdb)
{
	struct sdb	*db = vdb;

	if (!sqlite3_get_autocommit(db->h) && sq_commit(db) != PR_OK)
		(void)sq_rollback(db);
}

/*
 * Read the users table: the health check.
 */
static enum pr_err
sq_ping(void *vdb)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;
	int64_t		 n;

	if ((st = stmt(db, STMT_PING)) == NULL)
		return PR_EDB;
	return exec_count(db, st, &n);
}

/* Whether a table of that name exists. */
static int
table_exists(struct sdb *db, const char *name)
{
	sqlite3_stmt	*st;
	int		 found = 0;

	if (sqlite3_prepare_v2(db->h, "SELECT 1 FROM sqlite_master WHERE "
	    "type = 'table' AND name = ?1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		found = 1;
	sqlite3_finalize(st);
	return found;
}

/*
 * Apply one migration (its SQL text of len bytes) unless already
 * recorded, inside one IMMEDIATE transaction.  *done is 1 when applied.
 */
static enum pr_err
migrate_one(struct sdb *db, long long version, const char *name,
    const char *text, size_t len, int *done)
{
	sqlite3_stmt	*st;
	char		*sqltext = NULL, *msg = NULL, ts[32];
	int64_t		 n;
	enum pr_err	 e;

	*done = 0;
	if ((e = sq_begin(db)) != PR_OK)
		return e;
	if ((st = stmt(db, STMT_MIGRATION_HAS)) == NULL) {
		e = PR_EDB;
		goto err;
	}
	bind_int(st, 1, version);
	if ((e = exec_count(db, st, &n)) != PR_OK)
		goto err;
	if (n > 0)
		return sq_commit(db);
	/* Version 1 on a database that already has users: not ours. */
	if (version == 1 && table_exists(db, "users") != 0) {
		log_error("database has a users table but no migration "
		    "record: refusing to touch it (see photorestore "
		    "import-fastapi)");
		e = PR_EDB;
		goto err;
	}
	if ((sqltext = strndup(text, len)) == NULL) {
		e = PR_ENOMEM;
		goto err;
	}
	if (sqlite3_exec(db->h, sqltext, NULL, NULL, &msg) != SQLITE_OK) {
		log_error("migration %lld: %s", version, msg ? msg : "?");
		sqlite3_free(msg);
		e = PR_EDB;
		goto err;
	}
	if ((st = stmt(db, STMT_MIGRATION_ADD)) == NULL) {
		e = PR_EDB;
		goto err;
	}
	pr_isotime(pr_now(), ts);
	bind_int(st, 1, version);
	bind_text(st, 2, name);
	bind_text(st, 3, ts);
	if ((e = exec_done(db, st)) != PR_OK)
		goto err;
	free(sqltext);
	if ((e = sq_commit(db)) == PR_OK) {
		*done = 1;
		log_info("applied migration %lld (%s)", version, name);
	}
	return e;
err:
	free(sqltext);
	sq_rollback(db);
	return e;
}

/*
 * Apply the migrations embedded from schema.sql ("-- migration: N title"
 * lines start each one) that schema_migrations does not record yet.
 */
static enum pr_err
sq_migrate(void *vdb, int *applied)
{
	struct sdb	*db = vdb;
	const char	*p, *start = NULL, *line, *eol;
	char		 name[128], num[24];
	long long	 version = 0, v;
	size_t		 i;
	int		 done, count = 0;
	enum pr_err	 e;
	static const char mark[] = "-- migration: ";

	if (sqlite3_exec(db->h, "CREATE TABLE IF NOT EXISTS "
	    "schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT "
	    "NULL, applied_at TEXT NOT NULL)", NULL, NULL, NULL) != SQLITE_OK)
		return db_err(db, sqlite3_errcode(db->h));
	name[0] = '\0';
	for (p = schema_sql; ; p = eol + 1) {
		line = p;
		if ((eol = strchr(line, '\n')) == NULL)
			eol = line + strlen(line);
		if (*line == '\0' || strncmp(line, mark, sizeof(mark) - 1) == 0) {
			if (start != NULL) {
				e = migrate_one(db, version, name, start,
				    (size_t)(line - start), &done);
				if (e != PR_OK)
					return e;
				count += done;
			}
			if (*line == '\0')
				break;
			line += sizeof(mark) - 1;
			for (i = 0; i < sizeof(num) - 1 && line[i] >= '0' &&
			    line[i] <= '9'; i++)
				num[i] = line[i];
			num[i] = '\0';
			if (pr_strtonum(num, 1, 1000000, &v) == -1 ||
			    v != version + 1) {
				log_error("schema.sql: bad migration number");
				return PR_EDB;
			}
			version = v;
			line += i;
			while (*line == ' ')
				line++;
			snprintf(name, sizeof(name), "%.*s",
			    (int)(eol - line), line);
			start = eol;
		}
		if (*eol == '\0') {
			if (start != NULL) {
				e = migrate_one(db, version, name, start,
				    (size_t)(eol - start), &done);
				if (e != PR_OK)
					return e;
				count += done;
			}
			break;
		}
	}
	if (applied != NULL)
		*applied = count;
	return PR_OK;
}

/*
 * The user with that id.
 */
static enum pr_err
sq_user_by_id(void *vdb, int64_t id, struct user *u)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;

	if ((st = stmt(db, STMT_USER_BY_ID)) == NULL)
		return PR_EDB;
	bind_int(st, 1, id);
	return exec_one(db, st, row_user_v, u);
}

/*
 * The user whose username or email is login (case-insensitive); a
 * username match wins.
 */
static enum pr_err
sq_user_by_login(void *vdb, const char *login, struct user *u)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;

	if ((st = stmt(db, STMT_USER_BY_LOGIN)) == NULL)
		return PR_EDB;
	bind_text(st, 1, login);
	return exec_one(db, st, row_user_v, u);
}

/*
 * Whether username or email (either may be NULL) are used by a user
 * other than except_id (0 for none).
 */
static enum pr_err
sq_user_taken(void *vdb, const char *username, const char *email,
    int64_t except_id, int *username_taken, int *email_taken)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;
	int64_t		 n = 0;
	enum pr_err	 e;

	*username_taken = *email_taken = 0;
	if (username != NULL) {
		if ((st = stmt(db, STMT_USER_NAME_TAKEN)) == NULL)
			return PR_EDB;
		bind_text(st, 1, username);
		bind_int(st, 2, except_id);
		if ((e = exec_count(db, st, &n)) != PR_OK)
			return e;
		*username_taken = n > 0;
	}
	if (email != NULL) {
		if ((st = stmt(db, STMT_USER_EMAIL_TAKEN)) == NULL)
			return PR_EDB;
		bind_text(st, 1, email);
		bind_int(st, 2, except_id);
		if ((e = exec_count(db, st, &n)) != PR_OK)
			return e;
		*email_taken = n > 0;
	}
	return PR_OK;
}

/*
 * Insert a user; fills u->id and u->created_at.  PR_ECONFLICT when the
 * username or email exists.
 */
static enum pr_err
sq_user_insert(void *vdb, struct user *u, int64_t now)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;
	enum pr_err	 e;

	if ((st = stmt(db, STMT_USER_INSERT)) == NULL)
		return PR_EDB;
	pr_isotime(now, u->created_at);
	bind_text(st, 1, u->username);
	bind_text(st, 2, u->email);
	bind_text(st, 3, u->password_hash);
	bind_text(st, 4, u->full_name);
	bind_text(st, 5, u->role);
	bind_int(st, 6, u->is_active);
	bind_int(st, 7, u->password_must_change);
	bind_text(st, 8, u->created_at);
	if ((e = exec_done(db, st)) != PR_OK)
		return e;
	u->id = sqlite3_last_insert_rowid(db->h);
	u->last_login[0] = '\0';
	return PR_OK;
}

/*
 * Write back email, full name, role, active flag and must-change flag.
 */
static enum pr_err
sq_user_update(void *vdb, const struct user *u)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;

	if ((st = stmt(db, STMT_USER_UPDATE)) == NULL)
		return PR_EDB;
	bind_text(st, 1, u->email);
	bind_text(st, 2, u->full_name);
	bind_text(st, 3, u->role);
	bind_int(st, 4, u->is_active);
	bind_int(st, 5, u->password_must_change);
	bind_int(st, 6, u->id);
	return exec_done(db, st);
}

/*
 * Replace a user's password hash and must-change flag.
 */
static enum pr_err
sq_user_set_password(void *vdb, int64_t id, const char *hash,
    int must_change)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;

	if ((st = stmt(db, STMT_USER_SET_PASSWORD)) == NULL)
		return PR_EDB;
	bind_text(st, 1, hash);
	bind_int(st, 2, must_change != 0);
	bind_int(st, 3, id);
	return exec_done(db, st);
}

/*
 * Record a successful login time.
 */
static enum pr_err
sq_user_set_last_login(void *vdb, int64_t id, int64_t now)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;
	char		 ts[32];

	if ((st = stmt(db, STMT_USER_SET_LAST_LOGIN)) == NULL)
		return PR_EDB;
	pr_isotime(now, ts);
	bind_text(st, 1, ts);
	bind_int(st, 2, id);
	return exec_done(db, st);
}

/*
 * Delete a user; sessions and image rows go by cascade (the caller
 * removes the image files first).
 */
static enum pr_err
sq_user_delete(void *vdb, int64_t id)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;

	if ((st = stmt(db, STMT_USER_DELETE)) == NULL)
		return PR_EDB;
	bind_int(st, 1, id);
	if (exec_done(db, st) != PR_OK)
		return PR_EDB;
	return sqlite3_changes(db->h) > 0 ? PR_OK : PR_ENOTFOUND;
}

/* Bind the three user-list filters as ?1 ?2 ?3. */
static void
bind_user_filter(sqlite3_stmt *st, const struct user_filter *f)
{
	char	 search[512];

	bind_text(st, 1, f->role != NULL && *f->role ? f->role : NULL);
	if (f->is_active >= 0)
		bind_int(st, 2, f->is_active != 0);
	if (f->search != NULL && *f->search != '\0') {
		pr_lower(f->search, search, sizeof(search));
		bind_text(st, 3, search);
	}
}

/*
 * Walk the users matching the filter, ordered by id, and count all
 * matches (ignoring skip/limit) into *total.
 */
static enum pr_err
sq_user_list(void *vdb, const struct user_filter *f, db_user_cb cb,
    void *arg, int64_t *total)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;
	enum pr_err	 e;

	if ((st = stmt(db, STMT_USER_LIST_COUNT)) == NULL)
		return PR_EDB;
	bind_user_filter(st, f);
	if ((e = exec_count(db, st, total)) != PR_OK)
		return e;
	if ((st = stmt(db, STMT_USER_LIST)) == NULL)
		return PR_EDB;
	bind_user_filter(st, f);
	bind_int(st, 4, f->limit);
	bind_int(st, 5, f->skip);
	return exec_each(db, st, row_user_v, sizeof(struct user),
	    (int (*)(const void *, void *))cb, arg);
}

/*
 * Count the active administrators.
 */
static enum pr_err
sq_user_count_active_admins(void *vdb, int64_t *n)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;

	if ((st = stmt(db, STMT_USER_COUNT_ADMINS)) == NULL)
		return PR_EDB;
	return exec_count(db, st, n);
}

/*
 * Count all users.
 */
static enum pr_err
sq_user_count(void *vdb, int64_t *n)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;

	if ((st = stmt(db, STMT_USER_COUNT)) == NULL)
		return PR_EDB;
	return exec_count(db, st, n);
}

/*
 * Insert a session row (session_id, user_id, expires_at, user agent and
 * IP from s); fills s->id and the times.
 */
static enum pr_err
sq_session_insert(void *vdb, struct session *s, int64_t now)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;
	enum pr_err	 e;

	if ((st = stmt(db, STMT_SESSION_INSERT)) == NULL)
		return PR_EDB;
	pr_isotime(now, s->created_at);
	snprintf(s->last_accessed, sizeof(s->last_accessed), "%s",
	    s->created_at);
	bind_int(st, 1, s->user_id);
	bind_text(st, 2, s->session_id);
	bind_text(st, 3, s->created_at);
	bind_int(st, 4, s->expires_at);
	bind_text(st, 5, s->has_user_agent ? s->user_agent : NULL);
	bind_text(st, 6, s->has_ip_address ? s->ip_address : NULL);
	if ((e = exec_done(db, st)) != PR_OK)
		return e;
	s->id = sqlite3_last_insert_rowid(db->h);
	return PR_OK;
}

/*
 * The session with that UUID.
 */
static enum pr_err
sq_session_by_uuid(void *vdb, const char *uuid, struct session *s)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;

	if ((st = stmt(db, STMT_SESSION_BY_UUID)) == NULL)
		return PR_EDB;
	bind_text(st, 1, uuid);
	return exec_one(db, st, row_session_v, s);
}

/*
 * Set a session's last_accessed to now.
 */
static enum pr_err
sq_session_touch(void *vdb, int64_t id, int64_t now)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;
	char		 ts[32];

	if ((st = stmt(db, STMT_SESSION_TOUCH)) == NULL)
		return PR_EDB;
	pr_isotime(now, ts);
	bind_text(st, 1, ts);
	bind_int(st, 2, id);
	return exec_done(db, st);
}

/*
 * Delete one session row (its images stay, unlinked).
 */
static enum pr_err
sq_session_delete(void *vdb, int64_t id)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;

	if ((st = stmt(db, STMT_SESSION_DELETE)) == NULL)
		return PR_EDB;
	bind_int(st, 1, id);
	return exec_done(db, st);
}

/*
 * Delete all of a user's sessions but the one with except_uuid (NULL:
 * all of them).
 */
static enum pr_err
sq_session_delete_user(void *vdb, int64_t user_id,
    const char *except_uuid)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;

	if ((st = stmt(db, STMT_SESSION_DELETE_USER)) == NULL)
		return PR_EDB;
	bind_int(st, 1, user_id);
	bind_text(st, 2, except_uuid);
	return exec_done(db, st);
}

/*
 * Walk a user's sessions, newest last_accessed first, with image counts.
 */
static enum pr_err
sq_session_list(void *vdb, int64_t user_id, db_session_cb cb,
    void *arg)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;

	if ((st = stmt(db, STMT_SESSION_LIST)) == NULL)
		return PR_EDB;
	bind_int(st, 1, user_id);
	return exec_each(db, st, row_session_v, sizeof(struct session),
	    (int (*)(const void *, void *))cb, arg);
}

/*
 * Delete sessions whose token lifetime has passed; *deleted counts them.
 */
static enum pr_err
sq_session_delete_expired(void *vdb, int64_t now, int64_t *deleted)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;
	enum pr_err	 e;

	if ((st = stmt(db, STMT_SESSION_DELETE_EXPIRED)) == NULL)
		return PR_EDB;
	bind_int(st, 1, now);
	e = exec_done(db, st);
	*deleted = e == PR_OK ? sqlite3_changes(db->h) : 0;
	return e;
}

/*
 * Count failures for key newer than since, and the oldest of them.
 * Also prunes failures older than since for every key.
 */
static enum pr_err
sq_login_failures(void *vdb, const char *key, int64_t since,
    int64_t *count, int64_t *oldest)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = stmt(db, STMT_LOGIN_FAIL_COUNT)) == NULL)
		return PR_EDB;
	bind_text(st, 1, key);
	bind_int(st, 2, since);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return db_err(db, rc);
	}
	*count = sqlite3_column_int64(st, 0);
	*oldest = sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	return PR_OK;
}

/*
 * Record one failed login for key at now, pruning stale entries.
 */
static enum pr_err
sq_login_fail_add(void *vdb, const char *key, int64_t now)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;
	enum pr_err	 e;

	if ((st = stmt(db, STMT_LOGIN_FAIL_ADD)) == NULL)
		return PR_EDB;
	bind_text(st, 1, key);
	bind_int(st, 2, now);
	if ((e = exec_done(db, st)) != PR_OK)
		return e;
	if ((st = stmt(db, STMT_LOGIN_FAIL_PRUNE)) == NULL)
		return PR_EDB;
	bind_int(st, 1, now - 86400);
	return exec_done(db, st);
}

/*
 * Forget the failures of key (after a successful login).
 */
static enum pr_err
sq_login_fail_clear(void *vdb, const char *key)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;

	if ((st = stmt(db, STMT_LOGIN_FAIL_CLEAR)) == NULL)
		return PR_EDB;
	bind_text(st, 1, key);
	return exec_done(db, st);
}

/*
 * Insert an image row for im->user_id linked to the session im->session_id
 * (a UUID); fills im->id and im->created_at.
 */
static enum pr_err
sq_image_insert(void *vdb, struct image *im, int64_t now)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;
	enum pr_err	 e;

	if ((st = stmt(db, STMT_IMAGE_INSERT)) == NULL)
		return PR_EDB;
	pr_isotime(now, im->created_at);
	bind_int(st, 1, im->user_id);
	bind_text(st, 2, im->session_id[0] ? im->session_id : NULL);
	bind_text(st, 3, im->original_filename);
	bind_text(st, 4, im->model_id);
	bind_text(st, 5, im->original_path);
	bind_text(st, 6, im->processed_path);
	bind_text(st, 7, im->has_model_parameters ? im->model_parameters :
	    NULL);
	bind_text(st, 8, im->created_at);
	if ((e = exec_done(db, st)) != PR_OK)
		return e;
	im->id = sqlite3_last_insert_rowid(db->h);
	return PR_OK;
}

/*
 * The image id if it belongs to user_id, else PR_ENOTFOUND.
 */
static enum pr_err
sq_image_get(void *vdb, int64_t id, int64_t user_id, struct image *im)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;

	if ((st = stmt(db, STMT_IMAGE_GET)) == NULL)
		return PR_EDB;
	bind_int(st, 1, id);
	bind_int(st, 2, user_id);
	return exec_one(db, st, row_image_v, im);
}

/*
 * Walk a user's images (optionally of one session UUID), newest first,
 * with the total count.
 */
static enum pr_err
sq_image_list(void *vdb, int64_t user_id, const char *session_uuid,
    int64_t limit, int64_t offset, db_image_cb cb, void *arg,
    int64_t *total)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;
	enum pr_err	 e;

	if (session_uuid != NULL && *session_uuid == '\0')
		session_uuid = NULL;
	if ((st = stmt(db, STMT_IMAGE_LIST_COUNT)) == NULL)
		return PR_EDB;
	bind_int(st, 1, user_id);
	bind_text(st, 2, session_uuid);
	if ((e = exec_count(db, st, total)) != PR_OK)
		return e;
	if ((st = stmt(db, STMT_IMAGE_LIST)) == NULL)
		return PR_EDB;
	bind_int(st, 1, user_id);
	bind_text(st, 2, session_uuid);
	bind_int(st, 3, limit);
	bind_int(st, 4, offset);
	return exec_each(db, st, row_image_v, sizeof(struct image),
	    (int (*)(const void *, void *))cb, arg);
}

/*
 * Delete the image row id of user_id; PR_ENOTFOUND when none.
 */
static enum pr_err
sq_image_delete(void *vdb, int64_t id, int64_t user_id)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;

	if ((st = stmt(db, STMT_IMAGE_DELETE)) == NULL)
		return PR_EDB;
	bind_int(st, 1, id);
	bind_int(st, 2, user_id);
	if (exec_done(db, st) != PR_OK)
		return PR_EDB;
	return sqlite3_changes(db->h) > 0 ? PR_OK : PR_ENOTFOUND;
}

/*
 * Walk every image of a user (for deleting their files).
 */
static enum pr_err
sq_image_each_of_user(void *vdb, int64_t user_id, db_image_cb cb,
    void *arg)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;

	if ((st = stmt(db, STMT_IMAGE_EACH_OF_USER)) == NULL)
		return PR_EDB;
	bind_int(st, 1, user_id);
	return exec_each(db, st, row_image_v, sizeof(struct image),
	    (int (*)(const void *, void *))cb, arg);
}

/*
 * Walk every image created before the unix time before (retention).
 */
static enum pr_err
sq_image_older_than(void *vdb, int64_t before, db_image_cb cb,
    void *arg)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;
	char		 ts[32];

	if ((st = stmt(db, STMT_IMAGE_OLDER_THAN)) == NULL)
		return PR_EDB;
	pr_isotime(before, ts);
	bind_text(st, 1, ts);
	return exec_each(db, st, row_image_v, sizeof(struct image),
	    (int (*)(const void *, void *))cb, arg);
}

/*
 * Take one of max upload slots of a session, in one transaction so that
 * concurrent workers cannot both take the last one.  Slots expire after
 * an hour so a killed worker does not hold one forever.
 */
static enum pr_err
sq_slot_acquire(void *vdb, int64_t session_row, int max, int64_t now,
    int64_t *slot)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;
	int64_t		 n;
	enum pr_err	 e;

	if ((e = sq_begin(db)) != PR_OK)
		return e;
	if ((st = stmt(db, STMT_SLOT_PRUNE)) == NULL)
		goto err;
	bind_int(st, 1, now);
	if ((e = exec_done(db, st)) != PR_OK)
		goto err;
	if ((st = stmt(db, STMT_SLOT_COUNT)) == NULL)
		goto err;
	bind_int(st, 1, session_row);
	if ((e = exec_count(db, st, &n)) != PR_OK)
		goto err;
	if (n >= max) {
		sq_rollback(db);
		return PR_EBUSY;
	}
	if ((st = stmt(db, STMT_SLOT_INSERT)) == NULL)
		goto err;
	bind_int(st, 1, session_row);
	bind_int(st, 2, (int64_t)getpid());
	bind_int(st, 3, now + 3600);
	if ((e = exec_done(db, st)) != PR_OK)
		goto err;
	*slot = sqlite3_last_insert_rowid(db->h);
	return sq_commit(db);
err:
	sq_rollback(db);
	return e != PR_OK ? e : PR_EDB;
}

/*
 * Give a slot back.
 */
static enum pr_err
sq_slot_release(void *vdb, int64_t slot)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;

	if ((st = stmt(db, STMT_SLOT_DELETE)) == NULL)
		return PR_EDB;
	bind_int(st, 1, slot);
	return exec_done(db, st);
}

/*
 * Whole-table access for photorestore migrate-db.  Table names come from
 * schema.sql and column names from the source database; both are checked
 * to be plain identifiers before they are put into SQL (in quotes).
 */
static int
plain_ident(const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++)
		if (!(s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (i > 0 && s[i] >= '0' && s[i] <= '9')))
			return 0;
	return i > 0 && i < 64;
}

static enum pr_err
sq_table_count(void *vdb, const char *table, int64_t *n)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;
	char		 q[128];
	int		 rc;

	if (!plain_ident(table))
		return PR_EINVAL;
	snprintf(q, sizeof(q), "SELECT count(*) FROM \"%s\"", table);
	if ((rc = sqlite3_prepare_v2(db->h, q, -1, &st, NULL)) != SQLITE_OK)
		return db_err(db, rc);
	rc = sqlite3_step(st);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? PR_OK : db_err(db, rc);
}

static enum pr_err
sq_table_each(void *vdb, const char *table, db_row_cb cb, void *arg)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;
	const char	**cols = NULL, **vals = NULL;
	char		 q[128];
	int		 rc, i, n;
	enum pr_err	 e = PR_OK;

	if (!plain_ident(table))
		return PR_EINVAL;
	snprintf(q, sizeof(q), "SELECT * FROM \"%s\" ORDER BY 1", table);
	if ((rc = sqlite3_prepare_v2(db->h, q, -1, &st, NULL)) != SQLITE_OK)
		return db_err(db, rc);
	n = sqlite3_column_count(st);
	if ((cols = calloc((size_t)n + 1, sizeof(*cols))) == NULL ||
	    (vals = calloc((size_t)n + 1, sizeof(*vals))) == NULL) {
		e = PR_ENOMEM;
		goto err;
	}
	for (i = 0; i < n; i++)
		cols[i] = sqlite3_column_name(st, i);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < n; i++)
			vals[i] = (const char *)sqlite3_column_text(st, i);
		if (cb((size_t)n, cols, vals, arg) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		e = db_err(db, rc);
err:
	sqlite3_finalize(st);
	free(cols);
	free(vals);
	return e;
}

static enum pr_err
sq_row_insert(void *vdb, const char *table, size_t n,
    const char *const *cols, const char *const *vals)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st = NULL;
	struct buf	 q;
	size_t		 i;
	int		 rc;
	enum pr_err	 e = PR_OK;

	if (!plain_ident(table) || n == 0 || n > 1000)
		return PR_EINVAL;
	buf_init(&q, 256 * 1024);
	e = buf_printf(&q, "INSERT INTO \"%s\" (", table);
	for (i = 0; i < n && e == PR_OK; i++)
		e = !plain_ident(cols[i]) ? PR_EINVAL :
		    buf_printf(&q, "%s\"%s\"", i ? ", " : "", cols[i]);
	if (e == PR_OK)
		e = buf_puts(&q, ") VALUES (");
	for (i = 0; i < n && e == PR_OK; i++)
		e = buf_printf(&q, "%s?%zu", i ? ", " : "", i + 1);
	if (e == PR_OK)
		e = buf_puts(&q, ")");
	if (e != PR_OK)
		goto err;
	if ((rc = sqlite3_prepare_v2(db->h, q.data, -1, &st, NULL)) !=
	    SQLITE_OK) {
		e = db_err(db, rc);
		goto err;
	}
	for (i = 0; i < n; i++)
		bind_text(st, (int)i + 1, vals[i]);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		e = db_err(db, rc);
err:
	sqlite3_finalize(st);
	buf_free(&q);
	return e;
}

/* AUTOINCREMENT's sqlite_sequence follows explicit ids by itself. */
static enum pr_err
sq_table_copied(void *vdb, const char *table)
{

	(void)vdb;
	(void)table;
	return PR_OK;
}

/* ------------------------------- jobs, result cache, daily usage */

static void
row_job_v(sqlite3_stmt *st, void *p)
{
	struct job	*j = p;

	memset(j, 0, sizeof(*j));
	j->id = sqlite3_column_int64(st, 0);
	j->user_id = sqlite3_column_int64(st, 1);
	col_text(st, 2, j->session_uuid, sizeof(j->session_uuid));
	col_text(st, 3, j->model_id, sizeof(j->model_id));
	j->has_parameters = col_text(st, 4, j->parameters,
	    sizeof(j->parameters));
	col_text(st, 5, j->params_canonical, sizeof(j->params_canonical));
	col_text(st, 6, j->status, sizeof(j->status));
	j->total = sqlite3_column_int64(st, 7);
	j->done_count = sqlite3_column_int64(st, 8);
	col_text(st, 9, j->created_at, sizeof(j->created_at));
	col_text(st, 10, j->updated_at, sizeof(j->updated_at));
	col_text(st, 11, j->lease_owner, sizeof(j->lease_owner));
	j->lease_expires = sqlite3_column_int64(st, 12);
}

static void
row_item_v(sqlite3_stmt *st, void *p)
{
	struct job_item	*it = p;

	memset(it, 0, sizeof(*it));
	it->id = sqlite3_column_int64(st, 0);
	it->job_id = sqlite3_column_int64(st, 1);
	it->position = sqlite3_column_int64(st, 2);
	col_text(st, 3, it->original_filename, sizeof(it->original_filename));
	col_text(st, 4, it->upload_path, sizeof(it->upload_path));
	col_text(st, 5, it->status, sizeof(it->status));
	it->image_id = sqlite3_column_int64(st, 6);
	it->error_status = sqlite3_column_int(st, 7);
	col_text(st, 8, it->error_detail, sizeof(it->error_detail));
	col_text(st, 9, it->input_sha256, sizeof(it->input_sha256));
}

/*
 * Insert a queued job; fills its id and times.
 */
static enum pr_err
sq_job_insert(void *vdb, struct job *j, int64_t now)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;
	enum pr_err	 e;

	if ((st = stmt(db, STMT_JOB_INSERT)) == NULL)
		return PR_EDB;
	pr_isotime(now, j->created_at);
	snprintf(j->updated_at, sizeof(j->updated_at), "%s", j->created_at);
	snprintf(j->status, sizeof(j->status), "queued");
	bind_int(st, 1, j->user_id);
	bind_text(st, 2, j->session_uuid[0] ? j->session_uuid : NULL);
	bind_text(st, 3, j->model_id);
	bind_text(st, 4, j->has_parameters ? j->parameters : NULL);
	bind_text(st, 5, j->params_canonical);
	bind_int(st, 6, j->total);
	bind_int(st, 7, j->done_count);
	bind_text(st, 8, j->created_at);
	if ((e = exec_done(db, st)) != PR_OK)
		return e;
	j->id = sqlite3_last_insert_rowid(db->h);
	return PR_OK;
}

/*
 * Insert one item of a job; fills its id.
 */
static enum pr_err
sq_job_item_insert(void *vdb, struct job_item *it)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;
	enum pr_err	 e;

	if ((st = stmt(db, STMT_JOB_ITEM_INSERT)) == NULL)
		return PR_EDB;
	bind_int(st, 1, it->job_id);
	bind_int(st, 2, it->position);
	bind_text(st, 3, it->original_filename);
	bind_text(st, 4, it->upload_path[0] ? it->upload_path : NULL);
	bind_text(st, 5, it->status[0] ? it->status : "queued");
	if (it->image_id > 0)
		bind_int(st, 6, it->image_id);
	if (it->error_status > 0) {
		bind_int(st, 7, it->error_status);
		bind_text(st, 8, it->error_detail);
	}
	bind_text(st, 9, it->input_sha256);
	if ((e = exec_done(db, st)) != PR_OK)
		return e;
	it->id = sqlite3_last_insert_rowid(db->h);
	return PR_OK;
}

/*
 * The job id of user_id.
 */
static enum pr_err
sq_job_get(void *vdb, int64_t id, int64_t user_id, struct job *j)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;

	if ((st = stmt(db, STMT_JOB_GET)) == NULL)
		return PR_EDB;
	bind_int(st, 1, id);
	bind_int(st, 2, user_id);
	return exec_one(db, st, row_job_v, j);
}

/*
 * A user's jobs, newest first, and their number.
 */
static enum pr_err
sq_job_list(void *vdb, int64_t user_id, int64_t limit, int64_t offset,
    db_job_cb cb, void *arg, int64_t *total)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;
	enum pr_err	 e;

	if ((st = stmt(db, STMT_JOB_LIST_COUNT)) == NULL)
		return PR_EDB;
	bind_int(st, 1, user_id);
	if ((e = exec_count(db, st, total)) != PR_OK)
		return e;
	if ((st = stmt(db, STMT_JOB_LIST)) == NULL)
		return PR_EDB;
	bind_int(st, 1, user_id);
	bind_int(st, 2, limit);
	bind_int(st, 3, offset);
	return exec_each(db, st, row_job_v, sizeof(struct job),
	    (int (*)(const void *, void *))cb, arg);
}

/*
 * A job's items in order.
 */
static enum pr_err
sq_job_items(void *vdb, int64_t job_id, db_job_item_cb cb, void *arg)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;

	if ((st = stmt(db, STMT_JOB_ITEMS)) == NULL)
		return PR_EDB;
	bind_int(st, 1, job_id);
	return exec_each(db, st, row_item_v, sizeof(struct job_item),
	    (int (*)(const void *, void *))cb, arg);
}

/*
 * Jobs queued or running over all users.
 */
static enum pr_err
sq_job_count_active(void *vdb, int64_t *n)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;

	if ((st = stmt(db, STMT_JOB_COUNT_ACTIVE)) == NULL)
		return PR_EDB;
	return exec_count(db, st, n);
}

/*
 * Items not yet run in a user's active jobs.
 */
static enum pr_err
sq_job_pending_items(void *vdb, int64_t user_id, int64_t *n)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;

	if ((st = stmt(db, STMT_JOB_PENDING_ITEMS)) == NULL)
		return PR_EDB;
	bind_int(st, 1, user_id);
	return exec_count(db, st, n);
}

/*
 * Cancel a job and its queued items (the caller may hold a transaction
 * around this; the two updates are only meaningful together).
 */
static enum pr_err
sq_job_cancel(void *vdb, int64_t id, int64_t user_id, int64_t now)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;
	char		 ts[32];
	enum pr_err	 e;

	if ((st = stmt(db, STMT_JOB_CANCEL)) == NULL)
		return PR_EDB;
	pr_isotime(now, ts);
	bind_int(st, 1, id);
	bind_int(st, 2, user_id);
	bind_text(st, 3, ts);
	if ((e = exec_done(db, st)) != PR_OK)
		return e;
	if (sqlite3_changes(db->h) == 0)
		return PR_OK;
	if ((st = stmt(db, STMT_JOB_CANCEL_ITEMS)) == NULL)
		return PR_EDB;
	bind_int(st, 1, id);
	return exec_done(db, st);
}

/*
 * Lease the oldest job that is not finished and whose lease has run
 * out, in one IMMEDIATE transaction so two workers never take the same.
 */
static enum pr_err
sq_job_lease(void *vdb, const char *owner, int64_t now, int64_t expires,
    struct job *j)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;
	int64_t		 id;
	char		 ts[32];
	enum pr_err	 e;

	if ((e = sq_begin(db)) != PR_OK)
		return e;
	if ((st = stmt(db, STMT_JOB_LEASE_PICK)) == NULL) {
		e = PR_EDB;
		goto err;
	}
	bind_int(st, 1, now);
	if ((e = exec_count(db, st, &id)) != PR_OK)
		goto err;
	if ((st = stmt(db, STMT_JOB_LEASE_TAKE)) == NULL) {
		e = PR_EDB;
		goto err;
	}
	pr_isotime(now, ts);
	bind_int(st, 1, id);
	bind_text(st, 2, owner);
	bind_int(st, 3, expires);
	bind_text(st, 4, ts);
	bind_int(st, 5, now);
	if ((e = exec_done(db, st)) != PR_OK)
		goto err;
	if ((st = stmt(db, STMT_JOB_BY_ID)) == NULL) {
		e = PR_EDB;
		goto err;
	}
	bind_int(st, 1, id);
	if ((e = exec_one(db, st, row_job_v, j)) != PR_OK)
		goto err;
	return sq_commit(db);
err:
	sq_rollback(db);
	return e;
}

/*
 * Extend a lease that owner still holds.
 */
static enum pr_err
sq_job_renew(void *vdb, int64_t id, const char *owner, int64_t expires)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;
	enum pr_err	 e;

	if ((st = stmt(db, STMT_JOB_RENEW)) == NULL)
		return PR_EDB;
	bind_int(st, 1, id);
	bind_text(st, 2, owner);
	bind_int(st, 3, expires);
	if ((e = exec_done(db, st)) != PR_OK)
		return e;
	return sqlite3_changes(db->h) > 0 ? PR_OK : PR_ENOTFOUND;
}

/*
 * Drop owner's lease so another worker may take the job at once.
 */
static enum pr_err
sq_job_release(void *vdb, int64_t id, const char *owner)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;

	if ((st = stmt(db, STMT_JOB_RELEASE)) == NULL)
		return PR_EDB;
	bind_int(st, 1, id);
	bind_text(st, 2, owner);
	return exec_done(db, st);
}

/*
 * The first item still to run (a running one was interrupted).
 */
static enum pr_err
sq_job_next_item(void *vdb, int64_t job_id, struct job_item *it)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;

	if ((st = stmt(db, STMT_JOB_NEXT_ITEM)) == NULL)
		return PR_EDB;
	bind_int(st, 1, job_id);
	return exec_one(db, st, row_item_v, it);
}

/*
 * Mark an item running unless it was cancelled.
 */
static enum pr_err
sq_job_item_start(void *vdb, int64_t item_id)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;
	enum pr_err	 e;

	if ((st = stmt(db, STMT_JOB_ITEM_START)) == NULL)
		return PR_EDB;
	bind_int(st, 1, item_id);
	if ((e = exec_done(db, st)) != PR_OK)
		return e;
	return sqlite3_changes(db->h) > 0 ? PR_OK : PR_ENOTFOUND;
}

/*
 * Record a running item's end and count it in its job.
 */
static enum pr_err
sq_job_item_finish(void *vdb, const struct job_item *it, int64_t now)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;
	char		 ts[32];
	enum pr_err	 e;

	if ((st = stmt(db, STMT_JOB_ITEM_FINISH)) == NULL)
		return PR_EDB;
	bind_int(st, 1, it->id);
	bind_text(st, 2, it->status);
	if (it->image_id > 0)
		bind_int(st, 3, it->image_id);
	if (it->error_status > 0) {
		bind_int(st, 4, it->error_status);
		bind_text(st, 5, it->error_detail);
	}
	if ((e = exec_done(db, st)) != PR_OK)
		return e;
	if (sqlite3_changes(db->h) == 0)
		return PR_ENOTFOUND;
	if ((st = stmt(db, STMT_JOB_COUNT_DONE)) == NULL)
		return PR_EDB;
	pr_isotime(now, ts);
	bind_int(st, 1, it->job_id);
	bind_text(st, 2, ts);
	return exec_done(db, st);
}

/*
 * Close a job whose items have all ended.
 */
static enum pr_err
sq_job_finish(void *vdb, int64_t job_id, int64_t now)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;
	char		 ts[32];

	if ((st = stmt(db, STMT_JOB_FINISH)) == NULL)
		return PR_EDB;
	pr_isotime(now, ts);
	bind_int(st, 1, job_id);
	bind_text(st, 2, ts);
	return exec_done(db, st);
}

/*
 * Images made by a user on a day (0 when none).
 */
static enum pr_err
sq_usage_get(void *vdb, int64_t user_id, const char *day, int64_t *n)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;
	enum pr_err	 e;

	if ((st = stmt(db, STMT_USAGE_GET)) == NULL)
		return PR_EDB;
	bind_int(st, 1, user_id);
	bind_text(st, 2, day);
	e = exec_count(db, st, n);
	if (e == PR_ENOTFOUND) {
		*n = 0;
		e = PR_OK;
	}
	return e;
}

/*
 * Count n more images of a user on a day.
 */
static enum pr_err
sq_usage_add(void *vdb, int64_t user_id, const char *day, int64_t n)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;

	if ((st = stmt(db, STMT_USAGE_ADD)) == NULL)
		return PR_EDB;
	bind_int(st, 1, user_id);
	bind_text(st, 2, day);
	bind_int(st, 3, n);
	return exec_done(db, st);
}

/*
 * The cached image for (user, input, model, parameters).
 */
static enum pr_err
sq_cache_get(void *vdb, int64_t user_id, const char *sha,
    const char *model_id, const char *params, int64_t *image_id)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;

	if ((st = stmt(db, STMT_CACHE_GET)) == NULL)
		return PR_EDB;
	bind_int(st, 1, user_id);
	bind_text(st, 2, sha);
	bind_text(st, 3, model_id);
	bind_text(st, 4, params);
	return exec_count(db, st, image_id);
}

/*
 * Remember (or move) the cached image for (user, input, model,
 * parameters).
 */
static enum pr_err
sq_cache_put(void *vdb, int64_t user_id, const char *sha,
    const char *model_id, const char *params, int64_t image_id)
{
	struct sdb	*db = vdb;
	sqlite3_stmt	*st;

	if ((st = stmt(db, STMT_CACHE_PUT)) == NULL)
		return PR_EDB;
	bind_int(st, 1, user_id);
	bind_text(st, 2, sha);
	bind_text(st, 3, model_id);
	bind_text(st, 4, params);
	bind_int(st, 5, image_id);
	return exec_done(db, st);
}

/* The SQLite backend, selected by sqlite:// URLs and bare paths. */
const struct db_ops sqlite_ops = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.errmsg = sq_errmsg,
	.migrate = sq_migrate,
	.ping = sq_ping,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.read_begin = sq_read_begin,
	.read_end = sq_read_end,
	.user_by_id = sq_user_by_id,
	.user_by_login = sq_user_by_login,
	.user_taken = sq_user_taken,
	.user_insert = sq_user_insert,
	.user_update = sq_user_update,
	.user_set_password = sq_user_set_password,
	.user_set_last_login = sq_user_set_last_login,
	.user_delete = sq_user_delete,
	.user_list = sq_user_list,
	.user_count_active_admins = sq_user_count_active_admins,
	.user_count = sq_user_count,
	.session_insert = sq_session_insert,
	.session_by_uuid = sq_session_by_uuid,
	.session_touch = sq_session_touch,
	.session_delete = sq_session_delete,
	.session_delete_user = sq_session_delete_user,
	.session_list = sq_session_list,
	.session_delete_expired = sq_session_delete_expired,
	.login_failures = sq_login_failures,
	.login_fail_add = sq_login_fail_add,
	.login_fail_clear = sq_login_fail_clear,
	.image_insert = sq_image_insert,
	.image_get = sq_image_get,
	.image_list = sq_image_list,
	.image_delete = sq_image_delete,
	.image_each_of_user = sq_image_each_of_user,
	.image_older_than = sq_image_older_than,
	.slot_acquire = sq_slot_acquire,
	.slot_release = sq_slot_release,
	.table_count = sq_table_count,
	.table_each = sq_table_each,
	.row_insert = sq_row_insert,
	.table_copied = sq_table_copied,
	.job_insert = sq_job_insert,
	.job_item_insert = sq_job_item_insert,
	.job_get = sq_job_get,
	.job_list = sq_job_list,
	.job_items = sq_job_items,
	.job_count_active = sq_job_count_active,
	.job_pending_items = sq_job_pending_items,
	.job_cancel = sq_job_cancel,
	.job_lease = sq_job_lease,
	.job_renew = sq_job_renew,
	.job_release = sq_job_release,
	.job_next_item = sq_job_next_item,
	.job_item_start = sq_job_item_start,
	.job_item_finish = sq_job_item_finish,
	.job_finish = sq_job_finish,
	.usage_get = sq_usage_get,
	.usage_add = sq_usage_add,
	.cache_get = sq_cache_get,
	.cache_put = sq_cache_put,
};
