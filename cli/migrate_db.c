/*
 * migrate_db.c: `photorestore migrate-db --from URL --to URL`, copying a
 * whole site's database into another one, typically from SQLite to
 * PostgreSQL when a site outgrows one host (docs/scale-out.md).
 *
 * Both databases are first brought to the current schema by the ordinary
 * migrations, so they have the same tables and columns.  Then every table
 * schema.sql creates is copied in creation order (a table after those it
 * references), rows with their ids, in ONE transaction on the target that
 * first checks the target holds no rows at all: a failure anywhere leaves
 * the target as it was.  Afterwards the target's id generators continue
 * after the largest copied id.  The source is read inside a transaction of
 * its own (a consistent copy; on SQLite writers wait meanwhile) and never
 * written.  URLs are printed only redacted.
 *
 * Any direction between the backends works (sqlite -> postgresql is the
 * point; postgresql -> sqlite brings a site back).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "photorestore.h"
#include "extern.h"
#include "migrate_db.h"

struct copy {
	struct db	*to;
	const char	*table;
	int64_t		 rows;
	enum pr_err	 e;
};

/* db_table_each callback: insert the row into the target. */
static int
copy_row(size_t n, const char *const *cols, const char *const *vals,
    void *arg)
{
	struct copy	*c = arg;

	if ((c->e = db_row_insert(c->to, c->table, n, cols, vals)) != PR_OK)
		return 1;
	c->rows++;
	return 0;
}

/* Open the database at url with the settings of cfg; NULL on failure. */
static struct db *
open_url(const struct config *cfg, const char *url, const char *what)
{
	struct config	*c;
	struct db	*db = NULL;
	char		 red[1024];
	int		 applied = 0;

	cfg_redact_url(url, red, sizeof(red));
	if ((c = malloc(sizeof(*c))) == NULL)
		return NULL;
	*c = *cfg;
	if (strlen(url) >= sizeof(c->database_url) ||
	    cfg_parse_db_url(url, cfg->vardir, &c->db_kind, c->db_path,
	    sizeof(c->db_path)) == -1) {
		fprintf(stderr, "photorestore: migrate-db: %s: not a database "
		    "URL (sqlite:///..., postgresql://...)\n", red);
		goto err;
	}
	snprintf(c->database_url, sizeof(c->database_url), "%s", url);
	if (db_open(c, &db) != PR_OK) {
		fprintf(stderr, "photorestore: migrate-db: cannot open the %s "
		    "database %s\n", what, red);
		goto err;
	}
	if (db_migrate(db, &applied) != PR_OK) {
		fprintf(stderr, "photorestore: migrate-db: cannot migrate the "
		    "%s database %s\n", what, red);
		db_close(db);
		db = NULL;
		goto err;
	}
	if (applied > 0)
		printf("%s %s: applied %d migration(s)\n", what, red, applied);
err:
	pr_wipe(c->database_url, sizeof(c->database_url));
	free(c);
	return db;
}

/*
 * photorestore migrate-db --from URL --to URL: see migrate_db.h and the
 * top of this file.
 */
int
cmd_migrate_db(int argc, char *argv[])
{
	struct config	*cfg = NULL;
	struct db	*from = NULL, *to = NULL;
	struct copy	 c;
	const char	*src = NULL, *dst = NULL;
	char		 err[1024], red[2][1024];
	char		 tables[SCHEMA_TABLE_MAX][SCHEMA_NAME_MAX];
	size_t		 ntables, i;
	int64_t		 n, m, total = 0;
	int		 a, rc = 1, to_tx = 0, from_tx = 0;

	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--from") == 0 && a + 1 < argc)
			src = argv[++a];
		else if (strncmp(argv[a], "--from=", 7) == 0)
			src = argv[a] + 7;
		else if (strcmp(argv[a], "--to") == 0 && a + 1 < argc)
			dst = argv[++a];
		else if (strncmp(argv[a], "--to=", 5) == 0)
			dst = argv[a] + 5;
		else
			break;
	}
	if (a < argc || src == NULL || dst == NULL || *src == '\0' ||
	    *dst == '\0') {
		fprintf(stderr, "usage: photorestore migrate-db --from URL "
		    "--to URL\n  e.g. --from sqlite:///photorestore.db --to "
		    "postgresql://user:pass@host/db\n");
		return 2;
	}
	if (strcmp(src, dst) == 0) {
		fprintf(stderr, "photorestore: migrate-db: --from and --to are "
		    "the same database\n");
		return 2;
	}
	if (cfg_load(&cfg, err, sizeof(err)) != PR_OK) {
		fprintf(stderr, "photorestore: configuration: %s\n", err);
		return 1;
	}
	log_init("photorestore", cfg->log_level, NULL);
	cfg_redact_url(src, red[0], sizeof(red[0]));
	cfg_redact_url(dst, red[1], sizeof(red[1]));
	if (schema_tables(tables, SCHEMA_TABLE_MAX, &ntables) == -1) {
		fprintf(stderr, "photorestore: migrate-db: schema.sql: cannot "
		    "list its tables\n");
		goto err;
	}
	if ((from = open_url(cfg, src, "source")) == NULL ||
	    (to = open_url(cfg, dst, "target")) == NULL)
		goto err;

	if (db_begin(to) != PR_OK) {
		fprintf(stderr, "photorestore: migrate-db: cannot start a "
		    "transaction on the target\n");
		goto err;
	}
	to_tx = 1;
	for (i = 0; i < ntables; i++) {
		if (db_table_count(to, tables[i], &n) != PR_OK) {
			fprintf(stderr, "photorestore: migrate-db: target: "
			    "cannot count %s\n", tables[i]);
			goto err;
		}
		if (n > 0) {
			fprintf(stderr, "photorestore: migrate-db: the target "
			    "%s is not empty (%s has %lld rows): refusing to "
			    "copy into it\n", red[1], tables[i], (long long)n);
			goto err;
		}
	}
	if (db_begin(from) != PR_OK) {
		fprintf(stderr, "photorestore: migrate-db: cannot start a "
		    "transaction on the source\n");
		goto err;
	}
	from_tx = 1;
	for (i = 0; i < ntables; i++) {
		memset(&c, 0, sizeof(c));
		c.to = to;
		c.table = tables[i];
		if (db_table_each(from, tables[i], copy_row, &c) != PR_OK ||
		    c.e != PR_OK) {
			fprintf(stderr, "photorestore: migrate-db: copying %s "
			    "failed (%s) after %lld rows; nothing was changed "
			    "on the target\n", tables[i],
			    pr_strerror(c.e != PR_OK ? c.e : PR_EDB),
			    (long long)c.rows);
			goto err;
		}
		if (db_table_copied(to, tables[i]) != PR_OK ||
		    db_table_count(from, tables[i], &n) != PR_OK ||
		    db_table_count(to, tables[i], &m) != PR_OK ||
		    n != c.rows || m != c.rows) {
			fprintf(stderr, "photorestore: migrate-db: %s: the "
			    "row counts do not agree after the copy\n",
			    tables[i]);
			goto err;
		}
		printf("  %-20s %lld rows\n", tables[i], (long long)c.rows);
		total += c.rows;
	}
	if (db_commit(to) != PR_OK) {
		fprintf(stderr, "photorestore: migrate-db: commit on the "
		    "target failed; nothing was changed\n");
		goto err;
	}
	to_tx = 0;
	printf("copied %lld rows in %zu tables from %s to %s\n",
	    (long long)total, ntables, red[0], red[1]);
	rc = 0;
err:
	if (to_tx)
		db_rollback(to);
	if (from_tx)
		db_rollback(from);	/* it was only read */
	db_close(from);
	db_close(to);
	cfg_free(cfg);
	return rc;
}
