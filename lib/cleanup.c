/*
 * cleanup.c: where the stored image files live, removing them, and the
 * periodic clean-up behind `photorestore cleanup` (issue 5): expired
 * sessions, images past file_storage.retention_days, and temporary files
 * a killed worker left behind, and old zips of jobs.
 *
 * A row and its two files go together: the files are removed first and
 * the row only when neither file is left, so a failure keeps the row
 * (and the next run tries again) rather than leaving a row that points
 * at nothing.  XXX: a worker killed between renaming its files into
 * place and inserting the row leaves two files without a row; nothing
 * sweeps those yet (they are named by fresh UUIDs, so nothing serves
 * them either).
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "photorestore.h"

#define TMP_MAX_AGE	3600	/* temporary files older than this go */
#define ZIP_MAX_AGE	3600	/* job zips written longer ago than this go */
#define IDS_MAX		(16 * 1024 * 1024)	/* images per run, at most */

/*
 * Build "<dir>/<rel>" into out for a path stored in the database.  rel
 * must be relative, without control bytes and without empty, "." or ".."
 * segments, so that no stored value can point outside dir.  Returns 0,
 * or -1 (out then holds "").
 */
int
store_path(const char *dir, const char *rel, char *out, size_t outsz)
{
	const char	*p, *seg;
	size_t		 n;
	int		 w;

	if (outsz > 0)
		out[0] = '\0';
	if (dir == NULL || rel == NULL || rel[0] == '\0' || rel[0] == '/')
		return -1;
	for (p = rel; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return -1;
	for (seg = rel; ; seg = p + 1) {
		p = strchr(seg, '/');
		n = p != NULL ? (size_t)(p - seg) : strlen(seg);
		if (n == 0 || (n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return -1;
		if (p == NULL)
			break;
	}
	w = snprintf(out, outsz, "%s/%s", dir, rel);
	if (w < 0 || (size_t)w >= outsz) {
		if (outsz > 0)
			out[0] = '\0';
		return -1;
	}
	return 0;
}

/* Unlink one stored file: 1 removed, 0 was not there, -1 failed. */
static int
store_unlink(const char *dir, const char *rel)
{
	char	 path[PATH_MAX];

	if (store_path(dir, rel, path, sizeof(path)) == -1) {
		log_warn("refusing to remove a stored path outside %s", dir);
		return -1;
	}
	if (unlink(path) == 0)
		return 1;
	if (errno == ENOENT)
		return 0;
	log_warn("%s: %s", path, strerror(errno));
	return -1;
}

/*
 * Remove the original and the processed file of an image row.  *removed
 * (when non-NULL) receives the number of files that existed and were
 * removed (0, 1 or 2).  Returns 0 when neither file is left afterwards,
 * -1 when one could not be removed (then the caller keeps the row).
 */
int
store_remove(const struct config *cfg, const struct image *im, int *removed)
{
	int	 a, b;

	a = store_unlink(cfg->upload_dir, im->original_path);
	b = store_unlink(cfg->processed_dir, im->processed_path);
	if (removed != NULL)
		*removed = (a > 0) + (b > 0);
	return a < 0 || b < 0 ? -1 : 0;
}

/*
 * Remove the regular files named prefix* and last written before
 * "before" in one per-user directory; count them in *count.
 */
static void
sweep_user_dir(int dfd, const char *name, const char *prefix,
    int64_t before, int64_t *count)
{
	DIR		*d = NULL;
	struct dirent	*de;
	struct stat	 sb;
	int		 fd;

	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
			continue;
		if (fstatat(fd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(sb.st_mode) || sb.st_mtime >= before)
			continue;
		if (unlinkat(fd, de->d_name, 0) == 0)
			(*count)++;
		else
			log_warn("could not remove %s/%s: %s", name,
			    de->d_name, strerror(errno));
	}
	closedir(d);
}

/* Walk the per-user directories (all digits) of one storage root. */
static void
sweep_root(const char *root, const char *prefix, int64_t before,
    int64_t *count)
{
	DIR		*d;
	struct dirent	*de;
	size_t		 n;

	if ((d = opendir(root)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		n = strspn(de->d_name, "0123456789");
		if (n == 0 || de->d_name[n] != '\0')
			continue;
		sweep_user_dir(dirfd(d), de->d_name, prefix, before, count);
	}
	closedir(d);
}

struct idlist {
	int64_t		*v;	/* pairs: image id, user id */
	size_t		 n;
	size_t		 cap;
	int		 oom;
};

/* Collect the ids first: rows are not deleted under a running query. */
static int
collect_id(const struct image *im, void *arg)
{
	struct idlist	*l = arg;
	int64_t		*p;
	size_t		 ncap;

	if (l->n / 2 >= IDS_MAX)
		return 1;
	if (l->n + 2 > l->cap) {
		ncap = l->cap ? l->cap * 2 : 256;
		if ((p = reallocarray(l->v, ncap, sizeof(*p))) == NULL) {
			l->oom = 1;
			return 1;
		}
		l->v = p;
		l->cap = ncap;
	}
	l->v[l->n++] = im->id;
	l->v[l->n++] = im->user_id;
	return 0;
}

/*
 * The periodic clean-up, with "now" as a parameter so tests can move
 * time: delete the sessions whose token lifetime has passed
 * (db_session_delete_expired; their images stay in the owner's history,
 * API.md §2), then, when cfg->retention_days > 0, every image created
 * more than that many days before now: its files first, then its row, a
 * row being kept (and counted in st->failed) when a file could not be
 * removed; then temporary files older than an hour in the per-user
 * storage directories, and job zips (VARDIR/jobs/<user>/job-*) written
 * more than an hour ago: a download made again writes a new one.
 * Counts go into *st.  Returns PR_OK, or the
 * database error that stopped the run (counts so far are kept).
 */
enum pr_err
cleanup_run(const struct config *cfg, struct db *db, int64_t now,
    struct cleanup_stats *st)
{
	struct idlist	 ids;
	struct image	*im = NULL;
	char		 jobs[PATH_MAX];
	enum pr_err	 e;
	size_t		 i;
	int		 removed;

	memset(st, 0, sizeof(*st));
	memset(&ids, 0, sizeof(ids));
	if ((e = db_session_delete_expired(db, now, &st->sessions)) != PR_OK)
		goto err;
	if (cfg->retention_days > 0) {
		e = db_image_older_than(db, now -
		    (int64_t)cfg->retention_days * 86400, collect_id, &ids);
		if (e == PR_OK && ids.oom)
			e = PR_ENOMEM;
		if (e != PR_OK)
			goto err;
		if ((im = malloc(sizeof(*im))) == NULL) {
			e = PR_ENOMEM;
			goto err;
		}
		for (i = 0; i + 1 < ids.n; i += 2) {
			e = db_image_get(db, ids.v[i], ids.v[i + 1], im);
			if (e == PR_ENOTFOUND)
				continue;	/* deleted meanwhile */
			if (e != PR_OK)
				goto err;
			if (store_remove(cfg, im, &removed) == -1) {
				st->files += removed;
				st->failed++;
				continue;
			}
			st->files += removed;
			e = db_image_delete(db, im->id, im->user_id);
			if (e == PR_OK)
				st->images++;
			else if (e != PR_ENOTFOUND)
				goto err;
		}
	}
	sweep_root(cfg->upload_dir, STORE_TMP_PREFIX, now - TMP_MAX_AGE,
	    &st->temp_files);
	sweep_root(cfg->processed_dir, STORE_TMP_PREFIX, now - TMP_MAX_AGE,
	    &st->temp_files);
	/* Job zips (and their stale temporaries) are made again on demand. */
	if (snprintf(jobs, sizeof(jobs), "%s/jobs", cfg->vardir) <
	    (int)sizeof(jobs))
		sweep_root(jobs, "job-", now - ZIP_MAX_AGE, &st->zips);
	e = PR_OK;
err:
	free(im);
	free(ids.v);
	return e;
}
