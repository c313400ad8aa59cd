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
#include <unistd.h>

#include <sqlite3.h>

#include "photorestore.h"
#include "extern.h"

enum stmt {
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
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

static const char *const sql[STMT__MAX] = {
	/* STMT_BEGIN */
	"BEGIN IMMEDIATE",
	/* STMT_COMMIT */
	"COMMIT",
	/* STMT_ROLLBACK */
	"ROLLBACK",
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
};

struct db {
	sqlite3		*h;
	sqlite3_stmt	*st[STMT__MAX];
	int		 busy_ms;
};

/* Map an SQLite result code onto our errors. */
static enum pr_err
db_err(struct db *db, int rc)
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
stmt(struct db *db, enum stmt s)
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
exec_done(struct db *db, sqlite3_stmt *st)
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
exec_count(struct db *db, sqlite3_stmt *st, int64_t *out)
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
exec_one(struct db *db, sqlite3_stmt *st, void (*fn)(sqlite3_stmt *,
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
exec_each(struct db *db, sqlite3_stmt *st, void (*dec)(sqlite3_stmt *,
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
enum pr_err
db_open(const struct config *cfg, struct db **out)
{
	struct db	*db;
	int		 rc, on = 1;
	char		*msg = NULL;

	*out = NULL;
	if (cfg->db_kind != DB_SQLITE) {
		log_error("database: only SQLite is built in");
		return PR_ECONFIG;
	}
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
	rc = sqlite3_exec(db->h, "PRAGMA journal_mode=WAL; "
	    "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
	    "PRAGMA secure_delete=ON;", NULL, NULL, &msg);
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
	return rc == SQLITE_BUSY ? PR_EBUSY : PR_EDB;
}

/*
 * Finalise every statement and close the handle.
 */
void
db_close(struct db *db)
{
	size_t	 i;

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
const char *
db_errmsg(struct db *db)
{

	return sqlite3_errmsg(db->h);
}

/*
 * BEGIN IMMEDIATE: take the write lock now, so a transaction that reads
 * then writes cannot fail half-way with SQLITE_BUSY.
 */
enum pr_err
db_begin(struct db *db)
{
	sqlite3_stmt	*st;

	if ((st = stmt(db, STMT_BEGIN)) == NULL)
		return PR_EDB;
	return exec_done(db, st);
}

/*
 * Commit the open transaction.
 */
enum pr_err
db_commit(struct db *db)
{
	sqlite3_stmt	*st;

	if ((st = stmt(db, STMT_COMMIT)) == NULL)
		return PR_EDB;
	return exec_done(db, st);
}

/*
 * Roll back the open transaction (a no-op when none is open).
 */
enum pr_err
db_rollback(struct db *db)
{
	sqlite3_stmt	*st;

	if (sqlite3_get_autocommit(db->h))
		return PR_OK;
	if ((st = stmt(db, STMT_ROLLBACK)) == NULL)
		return PR_EDB;
	return exec_done(db, st);
}

/*
 * Read the users table: the health check.
 */
enum pr_err
db_ping(struct db *db)
{
	sqlite3_stmt	*st;
	int64_t		 n;

	if ((st = stmt(db, STMT_PING)) == NULL)
		return PR_EDB;
	return exec_count(db, st, &n);
}

/* Whether a table of that name exists. */
static int
table_exists(struct db *db, const char *name)
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
migrate_one(struct db *db, long long version, const char *name,
    const char *text, size_t len, int *done)
{
	sqlite3_stmt	*st;
	char		*sqltext = NULL, *msg = NULL, ts[32];
	int64_t		 n;
	enum pr_err	 e;

	*done = 0;
	if ((e = db_begin(db)) != PR_OK)
		return e;
	if ((st = stmt(db, STMT_MIGRATION_HAS)) == NULL) {
		e = PR_EDB;
		goto err;
	}
	bind_int(st, 1, version);
	if ((e = exec_count(db, st, &n)) != PR_OK)
		goto err;
	if (n > 0)
		return db_commit(db);
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
	if ((e = db_commit(db)) == PR_OK) {
		*done = 1;
		log_info("applied migration %lld (%s)", version, name);
	}
	return e;
err:
	free(sqltext);
	db_rollback(db);
	return e;
}

/*
 * Apply the migrations embedded from schema.sql ("-- migration: N title"
 * lines start each one) that schema_migrations does not record yet.
 */
enum pr_err
db_migrate(struct db *db, int *applied)
{
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
enum pr_err
db_user_by_id(struct db *db, int64_t id, struct user *u)
{
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
enum pr_err
db_user_by_login(struct db *db, const char *login, struct user *u)
{
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
enum pr_err
db_user_taken(struct db *db, const char *username, const char *email,
    int64_t except_id, int *username_taken, int *email_taken)
{
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
enum pr_err
db_user_insert(struct db *db, struct user *u, int64_t now)
{
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
enum pr_err
db_user_update(struct db *db, const struct user *u)
{
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
enum pr_err
db_user_set_password(struct db *db, int64_t id, const char *hash,
    int must_change)
{
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
enum pr_err
db_user_set_last_login(struct db *db, int64_t id, int64_t now)
{
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
enum pr_err
db_user_delete(struct db *db, int64_t id)
{
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
enum pr_err
db_user_list(struct db *db, const struct user_filter *f, db_user_cb cb,
    void *arg, int64_t *total)
{
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
enum pr_err
db_user_count_active_admins(struct db *db, int64_t *n)
{
	sqlite3_stmt	*st;

	if ((st = stmt(db, STMT_USER_COUNT_ADMINS)) == NULL)
		return PR_EDB;
	return exec_count(db, st, n);
}

/*
 * Count all users.
 */
enum pr_err
db_user_count(struct db *db, int64_t *n)
{
	sqlite3_stmt	*st;

	if ((st = stmt(db, STMT_USER_COUNT)) == NULL)
		return PR_EDB;
	return exec_count(db, st, n);
}

/*
 * Insert a session row (session_id, user_id, expires_at, user agent and
 * IP from s); fills s->id and the times.
 */
enum pr_err
db_session_insert(struct db *db, struct session *s, int64_t now)
{
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
enum pr_err
db_session_by_uuid(struct db *db, const char *uuid, struct session *s)
{
	sqlite3_stmt	*st;

	if ((st = stmt(db, STMT_SESSION_BY_UUID)) == NULL)
		return PR_EDB;
	bind_text(st, 1, uuid);
	return exec_one(db, st, row_session_v, s);
}

/*
 * Set a session's last_accessed to now.
 */
enum pr_err
db_session_touch(struct db *db, int64_t id, int64_t now)
{
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
enum pr_err
db_session_delete(struct db *db, int64_t id)
{
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
enum pr_err
db_session_delete_user(struct db *db, int64_t user_id,
    const char *except_uuid)
{
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
enum pr_err
db_session_list(struct db *db, int64_t user_id, db_session_cb cb,
    void *arg)
{
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
enum pr_err
db_session_delete_expired(struct db *db, int64_t now, int64_t *deleted)
{
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
enum pr_err
db_login_failures(struct db *db, const char *key, int64_t since,
    int64_t *count, int64_t *oldest)
{
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
enum pr_err
db_login_fail_add(struct db *db, const char *key, int64_t now)
{
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
enum pr_err
db_login_fail_clear(struct db *db, const char *key)
{
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
enum pr_err
db_image_insert(struct db *db, struct image *im, int64_t now)
{
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
enum pr_err
db_image_get(struct db *db, int64_t id, int64_t user_id, struct image *im)
{
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
enum pr_err
db_image_list(struct db *db, int64_t user_id, const char *session_uuid,
    int64_t limit, int64_t offset, db_image_cb cb, void *arg,
    int64_t *total)
{
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
enum pr_err
db_image_delete(struct db *db, int64_t id, int64_t user_id)
{
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
enum pr_err
db_image_each_of_user(struct db *db, int64_t user_id, db_image_cb cb,
    void *arg)
{
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
enum pr_err
db_image_older_than(struct db *db, int64_t before, db_image_cb cb,
    void *arg)
{
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
enum pr_err
db_slot_acquire(struct db *db, int64_t session_row, int max, int64_t now,
    int64_t *slot)
{
	sqlite3_stmt	*st;
	int64_t		 n;
	enum pr_err	 e;

	if ((e = db_begin(db)) != PR_OK)
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
		db_rollback(db);
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
	return db_commit(db);
err:
	db_rollback(db);
	return e != PR_OK ? e : PR_EDB;
}

/*
 * Give a slot back.
 */
enum pr_err
db_slot_release(struct db *db, int64_t slot)
{
	sqlite3_stmt	*st;

	if ((st = stmt(db, STMT_SLOT_DELETE)) == NULL)
		return PR_EDB;
	bind_int(st, 1, slot);
	return exec_done(db, st);
}
