/*
 * zip.c: the zip of a job's results (GET /api/v1/jobs/{id}/download),
 * written with libarchive into a file that nginx then sends.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "photorestore.h"

#define ZIP_CHUNK	(64 * 1024)

/* Copy one stored file into the archive under name. */
static int
zip_add(struct archive *a, const struct zip_member *m, int64_t mtime)
{
	struct archive_entry	*ent = NULL;
	struct stat		 sb;
	static char		 chunk[ZIP_CHUNK];
	ssize_t			 n;
	int			 fd, rc = -1;

	if ((fd = open(m->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode))
		goto err;
	if ((ent = archive_entry_new()) == NULL)
		goto err;
	archive_entry_set_pathname_utf8(ent, m->name);
	archive_entry_set_filetype(ent, AE_IFREG);
	archive_entry_set_perm(ent, 0644);
	archive_entry_set_size(ent, sb.st_size);
	archive_entry_set_mtime(ent, (time_t)mtime, 0);
	if (archive_write_header(a, ent) != ARCHIVE_OK)
		goto err;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			goto err;
		}
		if (archive_write_data(a, chunk, (size_t)n) != n)
			goto err;
	}
	rc = 0;
err:
	if (rc == -1)
		log_error("zip: %s: %s", m->name, a != NULL &&
		    archive_error_string(a) != NULL ? archive_error_string(a) :
		    strerror(errno));
	archive_entry_free(ent);
	if (fd != -1)
		close(fd);
	return rc;
}

/*
 * Write the n members into a zip file at path (made as a temporary file
 * in the same directory, mode 0640, and renamed into place, so a reader
 * of an older zip keeps a whole file).  Images are stored, not
 * compressed again.  Returns 0 or -1 (logged; nothing left behind).
 */
int
zip_write(const char *path, const struct zip_member *m, size_t n,
    int64_t mtime)
{
	struct archive	*a = NULL;
	char		 tmp[PATH_MAX];
	size_t		 i;
	int		 fd = -1, rc = -1;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp))
		return -1;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0640)) == -1) {
		log_error("zip: %s: %s", tmp, strerror(errno));
		return -1;
	}
	if ((a = archive_write_new()) == NULL ||
	    archive_write_set_format_zip(a) != ARCHIVE_OK ||
	    archive_write_set_options(a, "zip:compression=store") !=
	    ARCHIVE_OK || archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		log_error("zip: %s", a != NULL && archive_error_string(a) !=
		    NULL ? archive_error_string(a) : "out of memory");
		goto err;
	}
	for (i = 0; i < n; i++)
		if (zip_add(a, &m[i], mtime) == -1)
			goto err;
	if (archive_write_close(a) != ARCHIVE_OK) {
		log_error("zip: %s", archive_error_string(a));
		goto err;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		fd = -1;
		goto err;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto err;
	rc = 0;
err:
	if (a != NULL)
		archive_write_free(a);
	if (fd != -1)
		close(fd);
	if (rc == -1)
		unlink(tmp);
	return rc;
}
