/*
 * extern.h: internals of libcommon shared between its files (and unit
 * tests).  Not for cgi-bin/.
 */
#ifndef EXTERN_H
#define EXTERN_H

/* schema.sql, compiled in by scripts/embed.sh. */
extern const char schema_sql[];

/* Whether a JSON object has two members with the same name. */
int	 json_has_duplicates(const cJSON *);

/*
 * Rows as text for photorestore migrate-db: n columns named cols, values
 * vals (NULL for SQL NULL).  Return 0 to go on, non-zero to stop.
 */
typedef int (*db_row_cb)(size_t n, const char *const *cols,
		    const char *const *vals, void *arg);

/*
 * A database backend: the implementation behind the public db_* functions
 * (lib/db.c dispatches through it).  Every member takes the backend's own
 * handle, made by open() and released by close().  A new db_* function
 * needs its prototype in photorestore.h, a member here, a wrapper in db.c
 * and an implementation in both db_sqlite.c and db_pg.c (its SQL in that
 * file's statement table, in PostgreSQL's dialect).
 */
struct db_ops {
	const char	*name;
	enum pr_err	 (*open)(const struct config *, void **);
	void		 (*close)(void *);
	const char	*(*errmsg)(void *);
	enum pr_err	 (*migrate)(void *, int *);
	enum pr_err	 (*ping)(void *);
	enum pr_err	 (*begin)(void *);
	enum pr_err	 (*commit)(void *);
	enum pr_err	 (*rollback)(void *);
	int		 (*read_begin)(void *);
	void		 (*read_end)(void *);
	enum pr_err	 (*user_by_id)(void *, int64_t, struct user *);
	enum pr_err	 (*user_by_login)(void *, const char *, struct user *);
	enum pr_err	 (*user_taken)(void *, const char *, const char *,
			    int64_t, int *, int *);
	enum pr_err	 (*user_insert)(void *, struct user *, int64_t);
	enum pr_err	 (*user_update)(void *, const struct user *);
	enum pr_err	 (*user_set_password)(void *, int64_t, const char *,
			    int);
	enum pr_err	 (*user_set_last_login)(void *, int64_t, int64_t);
	enum pr_err	 (*user_delete)(void *, int64_t);
	enum pr_err	 (*user_list)(void *, const struct user_filter *,
			    db_user_cb, void *, int64_t *);
	enum pr_err	 (*user_count_active_admins)(void *, int64_t *);
	enum pr_err	 (*user_count)(void *, int64_t *);
	enum pr_err	 (*session_insert)(void *, struct session *, int64_t);
	enum pr_err	 (*session_by_uuid)(void *, const char *,
			    struct session *);
	enum pr_err	 (*session_touch)(void *, int64_t, int64_t);
	enum pr_err	 (*session_delete)(void *, int64_t);
	enum pr_err	 (*session_delete_user)(void *, int64_t, const char *);
	enum pr_err	 (*session_list)(void *, int64_t, db_session_cb, void *);
	enum pr_err	 (*session_delete_expired)(void *, int64_t, int64_t *);
	enum pr_err	 (*login_failures)(void *, const char *, int64_t,
			    int64_t *, int64_t *);
	enum pr_err	 (*login_fail_add)(void *, const char *, int64_t);
	enum pr_err	 (*login_fail_clear)(void *, const char *);
	enum pr_err	 (*image_insert)(void *, struct image *, int64_t);
	enum pr_err	 (*image_get)(void *, int64_t, int64_t, struct image *);
	enum pr_err	 (*image_list)(void *, int64_t, const char *, int64_t,
			    int64_t, db_image_cb, void *, int64_t *);
	enum pr_err	 (*image_delete)(void *, int64_t, int64_t);
	enum pr_err	 (*image_each_of_user)(void *, int64_t, db_image_cb,
			    void *);
	enum pr_err	 (*image_older_than)(void *, int64_t, db_image_cb,
			    void *);
	enum pr_err	 (*slot_acquire)(void *, int64_t, int, int64_t,
			    int64_t *);
	enum pr_err	 (*slot_release)(void *, int64_t);
	/* Whole-table access for migrate-db (table names from schema.sql). */
	enum pr_err	 (*table_count)(void *, const char *, int64_t *);
	enum pr_err	 (*table_each)(void *, const char *, db_row_cb, void *);
	enum pr_err	 (*row_insert)(void *, const char *, size_t,
			    const char *const *, const char *const *);
	enum pr_err	 (*table_copied)(void *, const char *);
	/* Jobs, result cache, daily usage (issue 10); NULL: not supported. */
	enum pr_err	 (*job_insert)(void *, struct job *, int64_t);
	enum pr_err	 (*job_item_insert)(void *, struct job_item *);
	enum pr_err	 (*job_get)(void *, int64_t, int64_t, struct job *);
	enum pr_err	 (*job_list)(void *, int64_t, int64_t, int64_t, db_job_cb,
			    void *, int64_t *);
	enum pr_err	 (*job_items)(void *, int64_t, db_job_item_cb, void *);
	enum pr_err	 (*job_count_active)(void *, int64_t *);
	enum pr_err	 (*job_pending_items)(void *, int64_t, int64_t *);
	enum pr_err	 (*job_cancel)(void *, int64_t, int64_t, int64_t);
	enum pr_err	 (*job_lease)(void *, const char *, int64_t, int64_t,
			    struct job *);
	enum pr_err	 (*job_renew)(void *, int64_t, const char *, int64_t);
	enum pr_err	 (*job_release)(void *, int64_t, const char *);
	enum pr_err	 (*job_next_item)(void *, int64_t, struct job_item *);
	enum pr_err	 (*job_item_start)(void *, int64_t);
	enum pr_err	 (*job_item_finish)(void *, const struct job_item *,
			    int64_t);
	enum pr_err	 (*job_finish)(void *, int64_t, int64_t);
	enum pr_err	 (*usage_get)(void *, int64_t, const char *, int64_t *);
	enum pr_err	 (*usage_add)(void *, int64_t, const char *, int64_t);
	enum pr_err	 (*cache_get)(void *, int64_t, const char *, const char *,
			    const char *, int64_t *);
	enum pr_err	 (*cache_put)(void *, int64_t, const char *, const char *,
			    const char *, int64_t);
};

/* The backends: lib/db_sqlite.c and lib/db_pg.c. */
extern const struct db_ops sqlite_ops;
extern const struct db_ops pg_ops;

/* The name of the backend behind a handle: "sqlite" or "postgresql". */
const char	*db_backend(const struct db *);

/*
 * Whole-table access used by photorestore migrate-db: count the rows of a
 * table, walk them as text, insert one (keeping its id), and after a copy
 * let the backend catch up (PostgreSQL resets identity sequences).
 */
enum pr_err	 db_table_count(struct db *, const char *table, int64_t *);
enum pr_err	 db_table_each(struct db *, const char *table, db_row_cb,
		    void *);
enum pr_err	 db_row_insert(struct db *, const char *table, size_t n,
		    const char *const *cols, const char *const *vals);
enum pr_err	 db_table_copied(struct db *, const char *table);

/*
 * Walk the numbered migrations of schema.sql in order ("-- migration: N
 * title" lines start each; N counts up from 1).  fn gets the number, the
 * title and the text (len bytes, not NUL-terminated); a non-zero return
 * stops the walk and is returned.  Returns -1 for a malformed schema.sql.
 */
typedef int (*schema_fn)(void *, long long version, const char *name,
		    const char *text, size_t len);
int		 schema_each(schema_fn, void *);

#define SCHEMA_NAME_MAX	64
#define SCHEMA_TABLE_MAX 64

/*
 * The tables schema.sql creates, in creation order (so that a table comes
 * after those it references).  Returns 0 or -1 (too many, too long).
 */
int		 schema_tables(char (*names)[SCHEMA_NAME_MAX], size_t max,
		    size_t *n);

/*
 * Translate one migration of schema.sql from the SQLite dialect into
 * PostgreSQL (lib/db_pg.c).  Returns a malloc'd text, or NULL with a
 * message in err.  When tables is non-NULL the names of the tables the
 * migration creates are appended to it, each followed by a newline.
 */
char		*pg_translate(const char *sql, size_t len, struct buf *tables,
		    char *err, size_t errsz);

#endif /* !EXTERN_H */
