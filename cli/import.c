/*
 * import.c: `photorestore import-fastapi DB [--uploads DIR --processed
 * DIR]` (photorestore(1)); the work is in lib/db_import.c.
 */
#include <stdio.h>
#include <string.h>

#include "photorestore.h"
#include "cli.h"

/* Print one skipped row. */
static void
report(void *arg, const char *msg)
{

	(void)arg;
	printf("  %s\n", msg);
}

/*
 * photorestore import-fastapi DB [--uploads DIR --processed DIR]: import
 * the users (and, with both directories, the images) of the original
 * FastAPI site's database.  Returns the exit status: 0 done (rows may
 * have been skipped, each is reported), 1 failed (nothing imported).
 */
int
cmd_import_fastapi(int argc, char *argv[])
{
	struct config		*cfg = NULL;
	struct db		*db = NULL;
	struct import_stats	 st;
	const char		*src = NULL, *up = NULL, *proc = NULL;
	char			 err[1024];
	int			 i, applied, rc = 1;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--uploads") == 0 && i + 1 < argc)
			up = argv[++i];
		else if (strcmp(argv[i], "--processed") == 0 && i + 1 < argc)
			proc = argv[++i];
		else if (argv[i][0] != '-' && src == NULL)
			src = argv[i];
		else
			break;
	}
	if (i < argc || src == NULL || (up == NULL) != (proc == NULL)) {
		fprintf(stderr, "usage: photorestore import-fastapi DB "
		    "[--uploads DIR --processed DIR]\n");
		return 2;
	}
	if (cfg_load(&cfg, err, sizeof(err)) != PR_OK) {
		fprintf(stderr, "photorestore: configuration: %s\n", err);
		return 1;
	}
	log_init("photorestore", cfg->log_level, NULL);
	/* Our schema must be current: import_map comes with migration 3. */
	if (db_open(cfg, &db) != PR_OK || db_migrate(db, &applied) != PR_OK) {
		fprintf(stderr, "photorestore: database could not be opened "
		    "or migrated\n");
		goto err;
	}
	db_close(db);
	db = NULL;
	printf("importing %s\n", src);
	if (import_fastapi(cfg, src, up, proc, &st, report, NULL, err,
	    sizeof(err)) != PR_OK) {
		fprintf(stderr, "photorestore: import-fastapi: %s (nothing "
		    "was imported)\n", err);
		goto err;
	}
	printf("users: %lld imported, %lld already imported, %lld skipped\n"
	    "images: %lld imported, %lld already imported, %lld skipped "
	    "(%lld files copied)\n", (long long)st.users,
	    (long long)st.users_known, (long long)st.users_skipped,
	    (long long)st.images, (long long)st.images_known,
	    (long long)st.images_skipped, (long long)st.files);
	rc = 0;
err:
	db_close(db);
	cfg_free(cfg);
	return rc;
}
