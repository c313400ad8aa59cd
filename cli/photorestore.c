/*
 * photorestore: the administration command (see photorestore(1)).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "photorestore.h"
#include "cli.h"
#include "migrate_db.h"

static struct config	*cfg;
static struct db	*db;

static void
usage(void)
{

	fprintf(stderr, "usage: photorestore command [args]\n"
	    "  migrate                      apply database migrations\n"
	    "  init                         migrate and create the seed admin\n"
	    "  config                       print the effective configuration\n"
	    "  user list                    list the accounts\n"
	    "  user add NAME EMAIL [admin]  create an account (password on "
	    "stdin, or generated)\n"
	    "  user passwd NAME             set a password (stdin, or "
	    "generated)\n"
	    "  cleanup                      delete expired sessions, images "
	    "past retention\n"
	    "  backup FILE                  archive the database and images\n"
	    "  restore-backup FILE [--force] restore such an archive\n"
	    "  import-fastapi DB [--uploads DIR --processed DIR]\n"
	    "                               import the original site's data\n"
	    "  migrate-db --from URL --to URL copy all data to another "
	    "database\n"
	    "  worker                       run background restoration jobs\n");
	exit(2);
}

/* Load the configuration, secret and database; exit on failure. */
static void
open_all(int need_db)
{
	char	 err[1024];
	int	 applied;

	if (cfg_load(&cfg, err, sizeof(err)) != PR_OK) {
		fprintf(stderr, "photorestore: configuration: %s\n", err);
		exit(1);
	}
	log_init("photorestore", cfg->log_level, NULL);
	if (!need_db)
		return;
	if (cfg_secret(cfg, err, sizeof(err)) != PR_OK) {
		fprintf(stderr, "photorestore: %s\n", err);
		exit(1);
	}
	if (db_open(cfg, &db) != PR_OK || db_migrate(db, &applied) != PR_OK) {
		fprintf(stderr, "photorestore: database could not be opened "
		    "or migrated\n");
		exit(1);
	}
}

/* Read a password from standard input (first line), or generate one. */
static int
read_password(char *pw, size_t pwsz, int *generated)
{
	size_t	 n;

	*generated = 0;
	if (isatty(STDIN_FILENO) || fgets(pw, (int)pwsz, stdin) == NULL ||
	    pw[0] == '\n' || pw[0] == '\0') {
		*generated = 1;
		return pw_generate(pw, pwsz);
	}
	n = strcspn(pw, "\r\n");
	pw[n] = '\0';
	return 0;
}

static int
print_user(const struct user *u, void *arg)
{

	(void)arg;
	printf("%lld\t%s\t%s\t%s\t%s\t%s\n", (long long)u->id, u->username,
	    u->email, u->role, u->is_active ? "active" : "inactive",
	    u->password_must_change ? "must-change" : "-");
	return 0;
}

static int
cmd_user(int argc, char *argv[])
{
	struct user		 u;
	struct user_filter	 f;
	char			 pw[256];
	const char		*type;
	int64_t			 total;
	int			 gen, ut, et;

	if (argc < 2)
		usage();
	if (strcmp(argv[1], "list") == 0) {
		memset(&f, 0, sizeof(f));
		f.is_active = -1;
		f.limit = INT64_MAX;
		return db_user_list(db, &f, print_user, NULL, &total) ==
		    PR_OK ? 0 : 1;
	}
	if (strcmp(argv[1], "add") == 0 && (argc == 4 || argc == 5)) {
		memset(&u, 0, sizeof(u));
		pr_lower(argv[2], u.username, sizeof(u.username));
		pr_lower(argv[3], u.email, sizeof(u.email));
		snprintf(u.full_name, sizeof(u.full_name), "%s", argv[2]);
		snprintf(u.role, sizeof(u.role), "%s",
		    argc == 5 && strcmp(argv[4], "admin") == 0 ? "admin" :
		    "user");
		u.is_active = 1;
		if (db_user_taken(db, u.username, u.email, 0, &ut, &et) !=
		    PR_OK || ut || et) {
			fprintf(stderr, "photorestore: username or email "
			    "already exists\n");
			return 1;
		}
		if (read_password(pw, sizeof(pw), &gen) == -1)
			return 1;
		if (!gen && pw_policy(pw, &type) != NULL) {
			fprintf(stderr, "photorestore: %s\n",
			    pw_policy(pw, &type));
			return 1;
		}
		u.password_must_change = gen;
		if (pw_hash(pw, strlen(pw), cfg->pbkdf2_iterations,
		    u.password_hash) == -1 ||
		    db_user_insert(db, &u, pr_now()) != PR_OK) {
			fprintf(stderr, "photorestore: could not add user\n");
			return 1;
		}
		printf("created user %s (id %lld)\n", u.username,
		    (long long)u.id);
		if (gen)
			printf("password: %s\n", pw);
		pr_wipe(pw, sizeof(pw));
		return 0;
	}
	if (strcmp(argv[1], "passwd") == 0 && argc == 3) {
		if (db_user_by_login(db, argv[2], &u) != PR_OK) {
			fprintf(stderr, "photorestore: no such user\n");
			return 1;
		}
		if (read_password(pw, sizeof(pw), &gen) == -1)
			return 1;
		if (!gen && pw_policy(pw, &type) != NULL) {
			fprintf(stderr, "photorestore: %s\n",
			    pw_policy(pw, &type));
			return 1;
		}
		if (pw_hash(pw, strlen(pw), cfg->pbkdf2_iterations,
		    u.password_hash) == -1 ||
		    db_user_set_password(db, u.id, u.password_hash, gen) !=
		    PR_OK || db_session_delete_user(db, u.id, NULL) != PR_OK) {
			fprintf(stderr, "photorestore: could not set the "
			    "password\n");
			return 1;
		}
		if (gen)
			printf("password: %s\n", pw);
		pr_wipe(pw, sizeof(pw));
		return 0;
	}
	usage();
	return 2;
}

/*
 * photorestore cleanup: expired sessions, images older than
 * file_storage.retention_days (files first, then the row) and stale
 * temporary files; prints what went.  Exit 1 when an image had to be
 * kept or the database failed.
 */
static int
cmd_cleanup(void)
{
	struct cleanup_stats	 st;
	enum pr_err		 e;

	e = cleanup_run(cfg, db, pr_now(), &st);
	printf("cleanup: removed %lld expired sessions, %lld images "
	    "(%lld files), %lld temporary files, %lld job zips\n",
	    (long long)st.sessions, (long long)st.images, (long long)st.files,
	    (long long)st.temp_files, (long long)st.zips);
	if (st.failed > 0)
		fprintf(stderr, "photorestore: cleanup: kept %lld images whose "
		    "files could not be removed\n", (long long)st.failed);
	if (e != PR_OK)
		fprintf(stderr, "photorestore: cleanup: %s\n",
		    pr_strerror(e));
	return e != PR_OK || st.failed > 0 ? 1 : 0;
}

/* Commands that live in their own files (cli/cli.h); argv[0] is the name. */
static const struct {
	const char	*name;
	int		(*fn)(int, char *[]);
} commands[] = {
	{ "backup", cmd_backup },
	{ "restore-backup", cmd_restore_backup },
	{ "import-fastapi", cmd_import_fastapi },
	{ "migrate-db", cmd_migrate_db },
	{ "worker", cmd_worker },
};

int
main(int argc, char *argv[])
{
	char	 genpw[128], *s;
	int	 created, rc = 0;
	size_t	 i;

	if (argc < 2)
		usage();
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	if (strcmp(argv[1], "config") == 0) {
		open_all(0);
		if ((s = cfg_dump_redacted(cfg)) == NULL)
			return 1;
		printf("%s\n", s);
		free(s);
	} else if (strcmp(argv[1], "migrate") == 0) {
		open_all(1);
		printf("database is up to date\n");
	} else if (strcmp(argv[1], "init") == 0) {
		open_all(1);
		if (seed_admin(cfg, db, genpw, sizeof(genpw), &created) !=
		    PR_OK) {
			fprintf(stderr, "photorestore: could not create the "
			    "seed administrator\n");
			rc = 1;
		} else if (created) {
			printf("admin user: %s\n", cfg->auth_username);
			if (genpw[0] != '\0')
				printf("admin password (generated, shown "
				    "once; you must change it at first "
				    "login): %s\n", genpw);
		} else
			printf("admin user: %s\n", cfg->auth_username);
		pr_wipe(genpw, sizeof(genpw));
	} else if (strcmp(argv[1], "stack-env") == 0) {
		/* For scripts/stack: shell assignments (values are checked). */
		open_all(1);
		if (strchr(cfg->upload_dir, '\'') != NULL ||
		    strchr(cfg->processed_dir, '\'') != NULL) {
			fprintf(stderr, "photorestore: directory names must not "
			    "contain a single quote\n");
			rc = 1;
		} else
			printf("PR_UPLOAD_DIR='%s'\nPR_PROCESSED_DIR='%s'\n"
			    "PR_MAX_BODY='%dm'\nPR_URL_SECRET='%s'\n",
			    cfg->upload_dir, cfg->processed_dir,
			    (int)(cfg->max_upload_size_mb * 2) + 2,
			    cfg->url_secret);
	} else if (strcmp(argv[1], "cleanup") == 0 && argc == 2) {
		open_all(1);
		rc = cmd_cleanup();
	} else if (strcmp(argv[1], "user") == 0) {
		open_all(1);
		rc = cmd_user(argc - 1, argv + 1);
	} else
		usage();
	db_close(db);
	cfg_free(cfg);
	return rc;
}
