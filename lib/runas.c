/*
 * runas.c: the switch to an unprivileged user of a program started as
 * root outside systemd (the FastCGI programs and `photorestore worker`).
 * The user is env PHOTORESTORE_USER, default "photorestore"; under
 * systemd the units start the programs as that user already (User=), so
 * none of this runs.  Order: runas_lookup() before anything is opened,
 * runas_file() for the log, open the socket and the log as root, then
 * runas_drop(), which checks that root cannot be regained.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "photorestore.h"

/*
 * Started as root: look the user up now, before anything is opened, and
 * refuse to go on as root when it does not exist.  Only a user of uid 0
 * named explicitly (PHOTORESTORE_USER=root: the development stack run by
 * root) keeps root, with a warning.  Returns 0 or -1.
 */
int
runas_lookup(const char *prog, struct runas *ra)
{
	const char	*name;
	struct passwd	*pw;

	memset(ra, 0, sizeof(*ra));
	if (geteuid() != 0)
		return 0;
	if ((name = getenv("PHOTORESTORE_USER")) == NULL || *name == '\0')
		name = "photorestore";
	if ((pw = getpwnam(name)) == NULL) {
		fprintf(stderr, "%s: started as root, and the user \"%s\" "
		    "to switch to does not exist: refusing to run as root "
		    "(create it, e.g. adduser --system --group %s, or name "
		    "another one in PHOTORESTORE_USER)\n", prog, name,
		    name);
		return -1;
	}
	if (pw->pw_uid == 0) {
		/* Asked for by name: the development stack run by root. */
		fprintf(stderr, "%s: warning: PHOTORESTORE_USER=%s: "
		    "running as root\n", prog, name);
		return 0;
	}
	if (pw->pw_gid == 0) {
		fprintf(stderr, "%s: user \"%s\" has group root: "
		    "refusing to run with it\n", prog, name);
		return -1;
	}
	ra->drop = 1;
	ra->uid = pw->pw_uid;
	ra->gid = pw->pw_gid;
	snprintf(ra->name, sizeof(ra->name), "%s", pw->pw_name);
	return 0;
}

/*
 * Root creating a file the workers keep writing (the log): create it
 * for the user we switch to, so later starts as that user can open it.
 */
void
runas_file(const struct runas *ra, const char *path)
{
	int	 fd;

	if (!ra->drop || path == NULL || *path == '\0')
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW |
	    O_CLOEXEC, 0640);
	if (fd == -1)
		return;		/* there already, or log_init will say why */
	if (fchown(fd, ra->uid, ra->gid) == -1)
		fprintf(stderr, "chown %s: %s\n", path, strerror(errno));
	close(fd);
}

/*
 * Switch to the user for good (groups, then gid, then uid), after the
 * socket and the log are open, then check that it worked: the ids all
 * match, no supplementary group is left and root cannot be regained.
 * Returns 0 or -1.
 */
int
runas_drop(const struct runas *ra, const struct config *cfg)
{
	gid_t	 groups[8];
	int	 n;

	if (!ra->drop)
		return 0;
	if (setgroups(1, &ra->gid) == -1 || setgid(ra->gid) == -1 ||
	    setuid(ra->uid) == -1) {
		log_error("switching to user %s: %s", ra->name,
		    strerror(errno));
		return -1;
	}
	n = getgroups(sizeof(groups) / sizeof(groups[0]), groups);
	if (setuid(0) != -1 || seteuid(0) != -1 || setgid(0) != -1 ||
	    getuid() != ra->uid || geteuid() != ra->uid ||
	    getgid() != ra->gid || getegid() != ra->gid ||
	    n < 0 || n > 1 || (n == 1 && groups[0] != ra->gid)) {
		log_error("switching to user %s did not work: refusing to "
		    "run", ra->name);
		return -1;
	}
	log_info("running as user %s (uid %d, gid %d)", ra->name,
	    (int)ra->uid, (int)ra->gid);
	if (access(cfg->vardir, R_OK | W_OK | X_OK) == -1)
		log_error("%s must be writable by user %s (chown -R %s %s)",
		    cfg->vardir, ra->name, ra->name, cfg->vardir);
	return 0;
}
