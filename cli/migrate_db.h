/*
 * migrate_db.h: `photorestore migrate-db` (cli/migrate_db.c).
 */
#ifndef MIGRATE_DB_H
#define MIGRATE_DB_H

/*
 * photorestore migrate-db --from URL --to URL.  argv[0] is "migrate-db".
 * Loads the configuration itself; returns the exit status (0 copied, 1
 * failed and nothing changed on the target, 2 usage).
 */
int	 cmd_migrate_db(int argc, char *argv[]);

#endif /* !MIGRATE_DB_H */
