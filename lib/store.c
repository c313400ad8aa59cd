/*
 * store.c: stored image files and the pieces the synchronous restoration
 * (cgi-bin/restore.c) and the background worker (cli/worker.c) share:
 * durable writes, the result cache's reuse of a stored result, the
 * canonical form of parameters, the HTTP form of provider failures and
 * the daily quota's day (issue 10).
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "photorestore.h"

#define COPY_MAX	((off_t)2048 * 1024 * 1024)	/* a copied file */

/*
 * Make <root>/<sub> (mode 0750) when missing, and root too (scripts/stack
 * makes it, a hand-made setup may not), syncing root so the new entry
 * survives a crash.  Returns 0 or -1 (errno set).
 */
static int
store_mkdir(const char *root, const char *sub)
{
	char	 path[PATH_MAX];
	int	 fd, n;

	n = snprintf(path, sizeof(path), "%s/%s", root, sub);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (mkdir(root, 0750) == -1 && errno != EEXIST)
		return -1;
	if (mkdir(path, 0750) == -1)
		return errno == EEXIST ? 0 : -1;
	if ((fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(fd);
		close(fd);
	}
	return 0;
}

/* fsync a directory; 0 or -1. */
static int
sync_dir(const char *dir)
{
	int	 fd, rc;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/*
 * Write n bytes durably as <root>/<sub>/<name>: into a temporary file in
 * the same directory (O_EXCL, mode 0640), fsync, rename into place, then
 * fsync the directory.  Nothing is left behind on failure.  Returns 0 or
 * -1 with errno set.
 */
int
store_write(const char *root, const char *sub, const char *name,
    const void *data, size_t n)
{
	char		 dir[PATH_MAX], tmp[PATH_MAX], dst[PATH_MAX];
	const char	*p = data;
	ssize_t		 w;
	int		 fd = -1, saved, a, b, c;

	a = snprintf(dir, sizeof(dir), "%s/%s", root, sub);
	b = snprintf(tmp, sizeof(tmp), "%s/%s%s", dir, STORE_TMP_PREFIX, name);
	c = snprintf(dst, sizeof(dst), "%s/%s", dir, name);
	if (a < 0 || b < 0 || c < 0 || (size_t)a >= sizeof(dir) ||
	    (size_t)b >= sizeof(tmp) || (size_t)c >= sizeof(dst)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (store_mkdir(root, sub) == -1)
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0640);
	if (fd == -1)
		return -1;
	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			goto err;
		}
		p += w;
		n -= (size_t)w;
	}
	if (fsync(fd) == -1)
		goto err;
	if (close(fd) == -1) {
		fd = -1;
		goto err;
	}
	fd = -1;
	if (rename(tmp, dst) == -1)
		goto err;
	if (sync_dir(dir) == -1) {
		saved = errno;
		unlink(dst);
		errno = saved;
		return -1;
	}
	return 0;
err:
	saved = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

/*
 * Remove a stored file again (a later step failed) and sync its
 * directory.  rel is relative to root and checked by store_path().
 */
void
store_undo(const char *root, const char *rel)
{
	char	 path[PATH_MAX];
	char	*slash;

	if (rel == NULL || *rel == '\0' ||
	    store_path(root, rel, path, sizeof(path)) == -1)
		return;
	if (unlink(path) == -1 && errno != ENOENT)
		log_error("could not remove %s: %s", path, strerror(errno));
	if ((slash = strrchr(path, '/')) == NULL)
		return;
	*slash = '\0';
	(void)sync_dir(path);
}

/* The extension of a stored (server-made) name: ".jpg" or ".png". */
static const char *
stored_ext(const char *rel)
{
	const char	*dot = strrchr(rel, '.');

	return dot != NULL && strcmp(dot, ".png") == 0 ? ".png" : ".jpg";
}

/*
 * Give the stored file <root>/<src> a second name <root>/<sub>/<name>:
 * a hard link, or a durable copy where the file system refuses links.
 */
static int
link_or_copy(const char *root, const char *src, const char *sub,
    const char *name)
{
	char		 from[PATH_MAX], to[PATH_MAX], dir[PATH_MAX];
	struct stat	 sb;
	char		*data = NULL;
	ssize_t		 got;
	size_t		 off = 0;
	int		 fd = -1, rc = -1, n;

	if (store_path(root, src, from, sizeof(from)) == -1)
		return -1;
	n = snprintf(dir, sizeof(dir), "%s/%s", root, sub);
	if (n < 0 || (size_t)n >= sizeof(dir) ||
	    snprintf(to, sizeof(to), "%s/%s", dir, name) >= (int)sizeof(to)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (store_mkdir(root, sub) == -1)
		return -1;
	if (link(from, to) == 0)
		return sync_dir(dir) == -1 ? (unlink(to), -1) : 0;
	if (errno != EXDEV && errno != EPERM && errno != EMLINK &&
	    errno != ENOTSUP)
		return -1;
	if ((fd = open(from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) == -1)
		goto err;
	if (!S_ISREG(sb.st_mode) || sb.st_size > COPY_MAX) {
		errno = EINVAL;
		goto err;
	}
	if ((data = malloc((size_t)sb.st_size + 1)) == NULL)
		goto err;
	while (off < (size_t)sb.st_size) {
		if ((got = read(fd, data + off, (size_t)sb.st_size - off)) <= 0) {
			if (got == -1 && errno == EINTR)
				continue;
			if (got == 0)
				errno = EIO;
			goto err;
		}
		off += (size_t)got;
	}
	rc = store_write(root, sub, name, data, off);
err:
	if (fd != -1)
		close(fd);
	free(data);
	return rc;
}

/*
 * A cache hit (see photorestore.h): new names for the stored files of
 * src under im->user_id's directories, then the new history row.  The
 * files of one user are never given to another: src must be the user's.
 */
enum pr_err
store_reuse(const struct config *cfg, struct db *db,
    const struct image *src, struct image *im, int64_t now)
{
	char		 uuid[37], sub[32], name[64];
	int		 have_orig = 0, have_proc = 0;
	enum pr_err	 e = PR_EIO;

	if (src->user_id != im->user_id)
		return PR_EINVAL;
	if (pr_uuid4(uuid) == -1)
		return PR_ECRYPTO;
	snprintf(sub, sizeof(sub), "%lld", (long long)im->user_id);
	snprintf(name, sizeof(name), "%s%s", uuid,
	    stored_ext(src->original_path));
	snprintf(im->original_path, sizeof(im->original_path), "%s/%s", sub,
	    name);
	if (link_or_copy(cfg->upload_dir, src->original_path, sub, name) ==
	    -1) {
		log_warn("cache: could not reuse an original: %s",
		    strerror(errno));
		goto err;
	}
	have_orig = 1;
	snprintf(name, sizeof(name), "%s%s", uuid,
	    stored_ext(src->processed_path));
	snprintf(im->processed_path, sizeof(im->processed_path), "%s/%s",
	    sub, name);
	if (link_or_copy(cfg->processed_dir, src->processed_path, sub,
	    name) == -1) {
		log_warn("cache: could not reuse a result: %s",
		    strerror(errno));
		goto err;
	}
	have_proc = 1;
	snprintf(im->model_id, sizeof(im->model_id), "%s", src->model_id);
	if ((e = db_image_insert(db, im, now)) != PR_OK)
		goto err;
	return PR_OK;
err:
	if (have_proc)
		store_undo(cfg->processed_dir, im->processed_path);
	if (have_orig)
		store_undo(cfg->upload_dir, im->original_path);
	return e;
}

static int
cmp_keys(const void *a, const void *b)
{
	const cJSON	*x = *(const cJSON *const *)a;
	const cJSON	*y = *(const cJSON *const *)b;

	return strcmp(x->string, y->string);
}

/* Sort the members of every object in j by name, recursively. */
static int
sort_keys(cJSON *j)
{
	cJSON	**v, *c;
	size_t	  n = 0, i;

	for (c = j->child; c != NULL; c = c->next) {
		if (sort_keys(c) == -1)
			return -1;
		n++;
	}
	if (!cJSON_IsObject(j) || n < 2)
		return 0;
	if ((v = calloc(n, sizeof(*v))) == NULL)
		return -1;
	for (i = 0, c = j->child; c != NULL; c = c->next)
		v[i++] = c;
	qsort(v, n, sizeof(*v), cmp_keys);
	j->child = NULL;
	for (i = 0; i < n; i++) {
		v[i]->next = v[i]->prev = NULL;
		cJSON_AddItemToArray(j, v[i]);	/* keeps v[i]->string */
	}
	free(v);
	return 0;
}

/*
 * The canonical text of a JSON value: object keys sorted at every level,
 * no white space (cJSON's number format).  NULL obj gives "{}".  The
 * caller frees the result; NULL when out of memory.
 */
char *
json_canonical(const cJSON *obj)
{
	cJSON	*dup;
	char	*s;

	if (obj == NULL)
		return strdup("{}");
	if ((dup = cJSON_Duplicate(obj, 1)) == NULL)
		return NULL;
	s = sort_keys(dup) == -1 ? NULL : cJSON_PrintUnformatted(dup);
	cJSON_Delete(dup);
	return s;
}

/*
 * The status and detail with which API.md §4.2 answers a provider
 * failure (rate limited 503, timeout 504, model 400, bad input 400,
 * anything else 502).
 */
void
prov_http_error(enum prov_err pe, const struct prov_result *res,
    int *status, char *detail, size_t detailsz)
{
	const char	*d = res->detail[0] != '\0' ? res->detail :
			    prov_strerror(pe);

	switch (pe) {
	case PROV_ERATE:
		*status = 503;
		snprintf(detail, detailsz, "Model service temporarily "
		    "unavailable: %s", d);
		break;
	case PROV_ETIMEOUT:
		*status = 504;
		snprintf(detail, detailsz, "Model processing timed out: %s", d);
		break;
	case PROV_EMODEL:
		*status = 400;
		snprintf(detail, detailsz, "Model error: %s", d);
		break;
	case PROV_EINPUT:
		*status = 400;
		snprintf(detail, detailsz, "Invalid image data: %s", d);
		break;
	default:
		*status = 502;
		snprintf(detail, detailsz, "Model service error: %s", d);
		break;
	}
}

/*
 * An integer member of the configuration's "processing" object (cfg_load
 * has checked its range), or def when absent.
 */
int64_t
cfg_processing(const struct config *cfg, const char *key, int64_t def)
{
	const cJSON	*v;

	v = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(cfg->root, "processing"), key);
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 ||
	    v->valuedouble > 1e12)
		return def;
	return (int64_t)v->valuedouble;
}

/*
 * The UTC day of t as "YYYY-MM-DD" (the key of the daily image count)
 * and, in *ends, the unix time of the next UTC midnight.
 */
void
usage_day(int64_t t, char out[16], int64_t *ends)
{
	char	 iso[32];

	pr_isotime(t, iso);
	snprintf(out, 16, "%.10s", iso);
	if (ends != NULL)
		*ends = (t < 0 ? 0 : t / 86400 + 1) * 86400;
}
