/*
 * cli.h: the commands of photorestore(1) that live in their own files.
 * Each takes the arguments from its command name on (argv[0] is the
 * command, e.g. "backup"), loads the configuration and database itself,
 * prints what it did, and returns the exit status.
 */
#ifndef CLI_H
#define CLI_H

int	 cmd_backup(int argc, char *argv[]);		/* cli/backup.c */
int	 cmd_restore_backup(int argc, char *argv[]);	/* cli/backup.c */
int	 cmd_import_fastapi(int argc, char *argv[]);	/* cli/import.c */
int	 cmd_worker(int argc, char *argv[]);		/* cli/worker.c */

#endif /* !CLI_H */
