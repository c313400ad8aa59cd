/*
 * A stand-alone driver for cli/migrate_db.c, so that t/pg-migrate-db.t
 * can run `migrate-db` before (and independently of) its wiring into
 * photorestore(1).  Usage: migrate_db --from URL --to URL
 */
#include "../../cli/migrate_db.c"

int
main(int argc, char *argv[])
{

	return cmd_migrate_db(argc, argv);
}
