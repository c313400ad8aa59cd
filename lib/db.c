/*
 * db.c: the backend-neutral database handle.  The public db_* functions of
 * photorestore.h are thin wrappers that dispatch to the backend chosen by
 * the configuration's DATABASE_URL (lib/db_sqlite.c or lib/db_pg.c), so
 * handlers never know which one they talk to.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "photorestore.h"
#include "extern.h"

struct db {
	const struct db_ops	*ops;
	void			*impl;
};

/*
 * Open the database named by the configuration through its backend.  On
 * success *out is a handle for db_close(); on failure *out is NULL and the
 * backend has logged why (never the URL's password).
 */
enum pr_err
db_open(const struct config *cfg, struct db **out)
{
	struct db	*db;
	enum pr_err	 e;

	*out = NULL;
	if ((db = calloc(1, sizeof(*db))) == NULL)
		return PR_ENOMEM;
	switch (cfg->db_kind) {
	case DB_SQLITE:
		db->ops = &sqlite_ops;
		break;
	case DB_POSTGRES:
		db->ops = &pg_ops;
		break;
	}
	if (db->ops == NULL) {
		log_error("database: this backend is not built in");
		free(db);
		return PR_ECONFIG;
	}
	if ((e = db->ops->open(cfg, &db->impl)) != PR_OK) {
		free(db);
		return e;
	}
	*out = db;
	return PR_OK;
}

/*
 * Close the backend's handle and free ours.  db_close(NULL) is a no-op.
 */
void
db_close(struct db *db)
{

	if (db == NULL)
		return;
	db->ops->close(db->impl);
	free(db);
}

/*
 * The backend's last error message, for logs.  Borrowed.
 */
const char *
db_errmsg(struct db *db)
{

	return db->ops->errmsg(db->impl);
}

/*
 * The name of the backend behind db ("sqlite" or "postgresql").
 */
const char *
db_backend(const struct db *db)
{

	return db->ops->name;
}


/* See photorestore.h. */
enum pr_err
db_begin(struct db *db)
{

	return db->ops->begin(db->impl);
}

/* See photorestore.h. */
enum pr_err
db_commit(struct db *db)
{

	return db->ops->commit(db->impl);
}

/* See photorestore.h. */
enum pr_err
db_rollback(struct db *db)
{

	return db->ops->rollback(db->impl);
}

/* See photorestore.h. */
int
db_read_begin(struct db *db)
{

	return db->ops->read_begin(db->impl);
}

/* See photorestore.h. */
void
db_read_end(struct db *db)
{

	db->ops->read_end(db->impl);
}

/* See photorestore.h. */
enum pr_err
db_ping(struct db *db)
{

	return db->ops->ping(db->impl);
}

/* See photorestore.h. */
enum pr_err
db_migrate(struct db *db, int *applied)
{

	return db->ops->migrate(db->impl, applied);
}

/* See photorestore.h. */
enum pr_err
db_user_by_id(struct db *db, int64_t id, struct user *u)
{

	return db->ops->user_by_id(db->impl, id, u);
}

/* See photorestore.h. */
enum pr_err
db_user_by_login(struct db *db, const char *login, struct user *u)
{

	return db->ops->user_by_login(db->impl, login, u);
}

/* See photorestore.h. */
enum pr_err
db_user_taken(struct db *db, const char *username, const char *email,
    int64_t except_id, int *username_taken, int *email_taken)
{

	return db->ops->user_taken(db->impl, username, email, except_id,
	    username_taken, email_taken);
}

/* See photorestore.h. */
enum pr_err
db_user_insert(struct db *db, struct user *u, int64_t now)
{

	return db->ops->user_insert(db->impl, u, now);
}

/* See photorestore.h. */
enum pr_err
db_user_update(struct db *db, const struct user *u)
{

	return db->ops->user_update(db->impl, u);
}

/* See photorestore.h. */
enum pr_err
db_user_set_password(struct db *db, int64_t id, const char *hash,
    int must_change)
{

	return db->ops->user_set_password(db->impl, id, hash, must_change);
}

/* See photorestore.h. */
enum pr_err
db_user_set_last_login(struct db *db, int64_t id, int64_t now)
{

	return db->ops->user_set_last_login(db->impl, id, now);
}

/* See photorestore.h. */
enum pr_err
db_user_delete(struct db *db, int64_t id)
{

	return db->ops->user_delete(db->impl, id);
}

/* See photorestore.h. */
enum pr_err
db_user_list(struct db *db, const struct user_filter *f, db_user_cb cb,
    void *arg, int64_t *total)
{

	return db->ops->user_list(db->impl, f, cb, arg, total);
}

/* See photorestore.h. */
enum pr_err
db_user_count_active_admins(struct db *db, int64_t *n)
{

	return db->ops->user_count_active_admins(db->impl, n);
}

/* See photorestore.h. */
enum pr_err
db_user_count(struct db *db, int64_t *n)
{

	return db->ops->user_count(db->impl, n);
}

/* See photorestore.h. */
enum pr_err
db_session_insert(struct db *db, struct session *s, int64_t now)
{

	return db->ops->session_insert(db->impl, s, now);
}

/* See photorestore.h. */
enum pr_err
db_session_by_uuid(struct db *db, const char *uuid, struct session *s)
{

	return db->ops->session_by_uuid(db->impl, uuid, s);
}

/* See photorestore.h. */
enum pr_err
db_session_touch(struct db *db, int64_t id, int64_t now)
{

	return db->ops->session_touch(db->impl, id, now);
}

/* See photorestore.h. */
enum pr_err
db_session_delete(struct db *db, int64_t id)
{

	return db->ops->session_delete(db->impl, id);
}

/* See photorestore.h. */
enum pr_err
db_session_delete_user(struct db *db, int64_t user_id, const char *except_uuid)
{

	return db->ops->session_delete_user(db->impl, user_id, except_uuid);
}

/* See photorestore.h. */
enum pr_err
db_session_list(struct db *db, int64_t user_id, db_session_cb cb, void *arg)
{

	return db->ops->session_list(db->impl, user_id, cb, arg);
}

/* See photorestore.h. */
enum pr_err
db_session_delete_expired(struct db *db, int64_t now, int64_t *deleted)
{

	return db->ops->session_delete_expired(db->impl, now, deleted);
}

/* See photorestore.h. */
enum pr_err
db_login_failures(struct db *db, const char *key, int64_t since,
    int64_t *count, int64_t *oldest)
{

	return db->ops->login_failures(db->impl, key, since, count, oldest);
}

/* See photorestore.h. */
enum pr_err
db_login_fail_add(struct db *db, const char *key, int64_t now)
{

	return db->ops->login_fail_add(db->impl, key, now);
}

/* See photorestore.h. */
enum pr_err
db_login_fail_clear(struct db *db, const char *key)
{

	return db->ops->login_fail_clear(db->impl, key);
}

/* See photorestore.h. */
enum pr_err
db_image_insert(struct db *db, struct image *im, int64_t now)
{

	return db->ops->image_insert(db->impl, im, now);
}

/* See photorestore.h. */
enum pr_err
db_image_get(struct db *db, int64_t id, int64_t user_id, struct image *im)
{

	return db->ops->image_get(db->impl, id, user_id, im);
}

/* See photorestore.h. */
enum pr_err
db_image_list(struct db *db, int64_t user_id, const char *session_uuid,
    int64_t limit, int64_t offset, db_image_cb cb, void *arg, int64_t *total)
{

	return db->ops->image_list(db->impl, user_id, session_uuid, limit,
	    offset, cb, arg, total);
}

/* See photorestore.h. */
enum pr_err
db_image_delete(struct db *db, int64_t id, int64_t user_id)
{

	return db->ops->image_delete(db->impl, id, user_id);
}

/* See photorestore.h. */
enum pr_err
db_image_each_of_user(struct db *db, int64_t user_id, db_image_cb cb,
    void *arg)
{

	return db->ops->image_each_of_user(db->impl, user_id, cb, arg);
}

/* See photorestore.h. */
enum pr_err
db_image_older_than(struct db *db, int64_t before, db_image_cb cb, void *arg)
{

	return db->ops->image_older_than(db->impl, before, cb, arg);
}

/* See photorestore.h. */
enum pr_err
db_slot_acquire(struct db *db, int64_t session_row, int max, int64_t now,
    int64_t *slot)
{

	return db->ops->slot_acquire(db->impl, session_row, max, now, slot);
}

/* See photorestore.h. */
enum pr_err
db_slot_release(struct db *db, int64_t slot)
{

	return db->ops->slot_release(db->impl, slot);
}

/*
 * Count the rows of a table of schema.sql (migrate-db).
 */
enum pr_err
db_table_count(struct db *db, const char *table, int64_t *n)
{

	return db->ops->table_count(db->impl, table, n);
}

/*
 * Walk every row of a table of schema.sql as text, ordered by its first
 * column (migrate-db).
 */
enum pr_err
db_table_each(struct db *db, const char *table, db_row_cb cb, void *arg)
{

	return db->ops->table_each(db->impl, table, cb, arg);
}

/*
 * Insert one row given as text, ids included (migrate-db).
 */
enum pr_err
db_row_insert(struct db *db, const char *table, size_t n,
    const char *const *cols, const char *const *vals)
{

	return db->ops->row_insert(db->impl, table, n, cols, vals);
}

/*
 * Tell the backend a table has been filled with explicit ids, so that
 * the next generated id follows the largest copied one.
 */
enum pr_err
db_table_copied(struct db *db, const char *table)
{

	return db->ops->table_copied(db->impl, table);
}

/*
 * Walk the migrations embedded from schema.sql; see extern.h.  The same
 * rules as the SQLite runner: a "-- migration: N title" line starts
 * migration N, numbers count up from 1 without gaps.
 */
int
schema_each(schema_fn fn, void *arg)
{
	const char	*p, *line, *eol, *start = NULL;
	char		 name[128], num[24];
	long long	 version = 0, v;
	size_t		 i;
	int		 rc;
	static const char mark[] = "-- migration: ";

	name[0] = '\0';
	for (p = schema_sql; ; p = eol + 1) {
		line = p;
		if ((eol = strchr(line, '\n')) == NULL)
			eol = line + strlen(line);
		if (*line == '\0' ||
		    strncmp(line, mark, sizeof(mark) - 1) == 0) {
			if (start != NULL &&
			    (rc = fn(arg, version, name, start,
			    (size_t)(line - start))) != 0)
				return rc;
			if (*line == '\0')
				return 0;
			line += sizeof(mark) - 1;
			for (i = 0; i < sizeof(num) - 1 && line[i] >= '0' &&
			    line[i] <= '9'; i++)
				num[i] = line[i];
			num[i] = '\0';
			if (pr_strtonum(num, 1, 1000000, &v) == -1 ||
			    v != version + 1) {
				log_error("schema.sql: bad migration number");
				return -1;
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
			if (start != NULL &&
			    (rc = fn(arg, version, name, start,
			    (size_t)(eol - start))) != 0)
				return rc;
			return 0;
		}
	}
}

/* Whether the word w (case-insensitive) starts at p and ends there. */
static int
word_at(const char *p, const char *w)
{
	size_t	 n = strlen(w);

	return strncasecmp(p, w, n) == 0 &&
	    !isalnum((unsigned char)p[n]) && p[n] != '_';
}

struct tables {
	char	(*names)[SCHEMA_NAME_MAX];
	size_t	 max;
	size_t	 n;
};

/* schema_each callback: collect "CREATE TABLE [IF NOT EXISTS] name". */
static int
tables_of(void *arg, long long version, const char *name, const char *text,
    size_t len)
{
	struct tables	*t = arg;
	const char	*p = text, *end = text + len, *w;
	size_t		 n;

	(void)version;
	(void)name;
	while (p < end) {
		if (p[0] == '-' && p + 1 < end && p[1] == '-') {
			while (p < end && *p != '\n')
				p++;
			continue;
		}
		if (p[0] == '\'') {
			for (p++; p < end && *p != '\''; p++)
				;
			p++;
			continue;
		}
		if ((p == text || !isalnum((unsigned char)p[-1])) &&
		    word_at(p, "create")) {
			p += 6;
			while (p < end && isspace((unsigned char)*p))
				p++;
			if (!word_at(p, "table"))
				continue;
			p += 5;
			while (p < end && isspace((unsigned char)*p))
				p++;
			if (word_at(p, "if")) {
				/* IF NOT EXISTS */
				for (n = 0; n < 3 && p < end; n++) {
					while (p < end &&
					    !isspace((unsigned char)*p))
						p++;
					while (p < end &&
					    isspace((unsigned char)*p))
						p++;
				}
			}
			for (w = p; p < end && (isalnum((unsigned char)*p) ||
			    *p == '_'); p++)
				;
			n = (size_t)(p - w);
			if (n == 0 || n >= SCHEMA_NAME_MAX || t->n >= t->max)
				return -1;
			memcpy(t->names[t->n], w, n);
			t->names[t->n][n] = '\0';
			pr_lower(t->names[t->n], t->names[t->n],
			    SCHEMA_NAME_MAX);
			t->n++;
			continue;
		}
		p++;
	}
	return 0;
}

/*
 * The tables schema.sql creates, in order; see extern.h.
 */
int
schema_tables(char (*names)[SCHEMA_NAME_MAX], size_t max, size_t *n)
{
	struct tables	 t = { names, max, 0 };

	*n = 0;
	if (schema_each(tables_of, &t) != 0)
		return -1;
	*n = t.n;
	return 0;
}

/*
 * Jobs, the result cache and daily usage (issue 10).  A backend that does
 * not implement them yet (a NULL member) answers PR_EDB, logged once per
 * call, so the synchronous paths keep working without them.
 */
static enum pr_err
db_unsupported(const struct db *db, const char *what)
{

	log_error("database: %s is not implemented for %s", what,
	    db->ops->name);
	return PR_EDB;
}

/* See photorestore.h. */
enum pr_err
db_job_insert(struct db *db, struct job *j, int64_t now)
{

	if (db->ops->job_insert == NULL)
		return db_unsupported(db, "job_insert");
	return db->ops->job_insert(db->impl, j, now);
}

/* See photorestore.h. */
enum pr_err
db_job_item_insert(struct db *db, struct job_item *it)
{

	if (db->ops->job_item_insert == NULL)
		return db_unsupported(db, "job_item_insert");
	return db->ops->job_item_insert(db->impl, it);
}

/* See photorestore.h. */
enum pr_err
db_job_get(struct db *db, int64_t id, int64_t user_id, struct job *j)
{

	if (db->ops->job_get == NULL)
		return db_unsupported(db, "job_get");
	return db->ops->job_get(db->impl, id, user_id, j);
}

/* See photorestore.h. */
enum pr_err
db_job_list(struct db *db, int64_t user_id, int64_t limit, int64_t offset,
    db_job_cb cb, void *arg, int64_t *total)
{

	if (db->ops->job_list == NULL)
		return db_unsupported(db, "job_list");
	return db->ops->job_list(db->impl, user_id, limit, offset, cb, arg,
	    total);
}

/* See photorestore.h. */
enum pr_err
db_job_items(struct db *db, int64_t job_id, db_job_item_cb cb, void *arg)
{

	if (db->ops->job_items == NULL)
		return db_unsupported(db, "job_items");
	return db->ops->job_items(db->impl, job_id, cb, arg);
}

/* See photorestore.h. */
enum pr_err
db_job_count_active(struct db *db, int64_t *n)
{

	if (db->ops->job_count_active == NULL)
		return db_unsupported(db, "job_count_active");
	return db->ops->job_count_active(db->impl, n);
}

/* See photorestore.h. */
enum pr_err
db_job_pending_items(struct db *db, int64_t user_id, int64_t *n)
{

	if (db->ops->job_pending_items == NULL)
		return db_unsupported(db, "job_pending_items");
	return db->ops->job_pending_items(db->impl, user_id, n);
}

/* See photorestore.h. */
enum pr_err
db_job_cancel(struct db *db, int64_t id, int64_t user_id, int64_t now)
{

	if (db->ops->job_cancel == NULL)
		return db_unsupported(db, "job_cancel");
	return db->ops->job_cancel(db->impl, id, user_id, now);
}

/* See photorestore.h. */
enum pr_err
db_job_lease(struct db *db, const char *owner, int64_t now, int64_t expires,
    struct job *j)
{

	if (db->ops->job_lease == NULL)
		return db_unsupported(db, "job_lease");
	return db->ops->job_lease(db->impl, owner, now, expires, j);
}

/* See photorestore.h. */
enum pr_err
db_job_renew(struct db *db, int64_t id, const char *owner, int64_t expires)
{

	if (db->ops->job_renew == NULL)
		return db_unsupported(db, "job_renew");
	return db->ops->job_renew(db->impl, id, owner, expires);
}

/* See photorestore.h. */
enum pr_err
db_job_release(struct db *db, int64_t id, const char *owner)
{

	if (db->ops->job_release == NULL)
		return db_unsupported(db, "job_release");
	return db->ops->job_release(db->impl, id, owner);
}

/* See photorestore.h. */
enum pr_err
db_job_next_item(struct db *db, int64_t job_id, struct job_item *it)
{

	if (db->ops->job_next_item == NULL)
		return db_unsupported(db, "job_next_item");
	return db->ops->job_next_item(db->impl, job_id, it);
}

/* See photorestore.h. */
enum pr_err
db_job_item_start(struct db *db, int64_t item_id)
{

	if (db->ops->job_item_start == NULL)
		return db_unsupported(db, "job_item_start");
	return db->ops->job_item_start(db->impl, item_id);
}

/* See photorestore.h. */
enum pr_err
db_job_item_finish(struct db *db, const struct job_item *it, int64_t now)
{

	if (db->ops->job_item_finish == NULL)
		return db_unsupported(db, "job_item_finish");
	return db->ops->job_item_finish(db->impl, it, now);
}

/* See photorestore.h. */
enum pr_err
db_job_finish(struct db *db, int64_t job_id, int64_t now)
{

	if (db->ops->job_finish == NULL)
		return db_unsupported(db, "job_finish");
	return db->ops->job_finish(db->impl, job_id, now);
}

/* See photorestore.h. */
enum pr_err
db_usage_get(struct db *db, int64_t user_id, const char *day, int64_t *n)
{

	if (db->ops->usage_get == NULL)
		return db_unsupported(db, "usage_get");
	return db->ops->usage_get(db->impl, user_id, day, n);
}

/* See photorestore.h. */
enum pr_err
db_usage_add(struct db *db, int64_t user_id, const char *day, int64_t n)
{

	if (db->ops->usage_add == NULL)
		return db_unsupported(db, "usage_add");
	return db->ops->usage_add(db->impl, user_id, day, n);
}

/* See photorestore.h. */
enum pr_err
db_cache_get(struct db *db, int64_t user_id, const char *sha,
    const char *model_id, const char *params, int64_t *image_id)
{

	if (db->ops->cache_get == NULL)
		return db_unsupported(db, "cache_get");
	return db->ops->cache_get(db->impl, user_id, sha, model_id, params,
	    image_id);
}

/* See photorestore.h. */
enum pr_err
db_cache_put(struct db *db, int64_t user_id, const char *sha,
    const char *model_id, const char *params, int64_t image_id)
{

	if (db->ops->cache_put == NULL)
		return db_unsupported(db, "cache_put");
	return db->ops->cache_put(db->impl, user_id, sha, model_id, params,
	    image_id);
}
