/*
 * backup.c: `photorestore backup FILE` and `photorestore restore-backup
 * [--force] FILE` (photorestore(1)); the work is in lib/db_backup.c.
 *
 * Neither command loads the signing keys or opens the database through
 * db_open() before it works: a backup must not create or change anything
 * in the state it copies, and a restore replaces the database file.  The
 * restore migrates the restored database afterwards, so a backup made by
 * an older version comes up to date.
 */
#include <stdio.h>
#include <string.h>

#include "photorestore.h"
#include "cli.h"

/* Load the configuration; print why not.  NULL on failure. */
static struct config *
load(void)
{
	struct config	*cfg = NULL;
	char		 err[1024];

	if (cfg_load(&cfg, err, sizeof(err)) != PR_OK) {
		fprintf(stderr, "photorestore: configuration: %s\n", err);
		return NULL;
	}
	log_init("photorestore", cfg->log_level, NULL);
	return cfg;
}

/*
 * photorestore backup FILE: write a .tar.gz of the database (SQLite
 * online backup) and the image directories.  Returns the exit status.
 */
int
cmd_backup(int argc, char *argv[])
{
	struct config		*cfg = NULL;
	struct backup_stats	 st;
	char			 err[1024];
	int			 rc = 1;

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: photorestore backup FILE\n");
		return 2;
	}
	if ((cfg = load()) == NULL)
		goto err;
	if (backup_create(cfg, argv[1], &st, err, sizeof(err)) != PR_OK) {
		fprintf(stderr, "photorestore: backup: %s\n", err);
		goto err;
	}
	printf("backup: %s: %lld users, %lld images, %lld files "
	    "(%lld bytes), schema %lld\n", argv[1], (long long)st.users,
	    (long long)st.images, (long long)st.files, (long long)st.bytes,
	    (long long)st.schema_version);
	rc = 0;
err:
	cfg_free(cfg);
	return rc;
}

/*
 * photorestore restore-backup [--force] FILE: replace the (empty, or with
 * --force any) state by the backup's, then migrate.  Returns the exit
 * status: 0 done, 1 failed or refused.
 */
int
cmd_restore_backup(int argc, char *argv[])
{
	struct config		*cfg = NULL;
	struct db		*db = NULL;
	struct backup_stats	 st;
	const char		*file = NULL;
	char			 err[1024];
	int			 i, force = 0, applied = 0, rc = 1;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--force") == 0)
			force = 1;
		else if (argv[i][0] != '-' && file == NULL)
			file = argv[i];
		else
			break;
	}
	if (i < argc || file == NULL) {
		fprintf(stderr, "usage: photorestore restore-backup [--force] "
		    "FILE\n");
		return 2;
	}
	if ((cfg = load()) == NULL)
		goto err;
	if (backup_restore(cfg, file, force, &st, err, sizeof(err)) != PR_OK) {
		fprintf(stderr, "photorestore: restore-backup: %s\n", err);
		goto err;
	}
	printf("restored %s: %lld users, %lld images, %lld files, "
	    "schema %lld\n", file, (long long)st.users, (long long)st.images,
	    (long long)st.files, (long long)st.schema_version);
	if (st.saved_dir[0] != '\0')
		printf("the previous state is in %s\n", st.saved_dir);
	if (db_open(cfg, &db) != PR_OK || db_migrate(db, &applied) != PR_OK) {
		fprintf(stderr, "photorestore: restore-backup: the restored "
		    "database could not be opened or migrated\n");
		goto err;
	}
	if (applied > 0)
		printf("applied %d migrations\n", applied);
	rc = 0;
err:
	db_close(db);
	cfg_free(cfg);
	return rc;
}
