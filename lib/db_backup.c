/*
 * db_backup.c: `photorestore backup` and `photorestore restore-backup`.
 *
 * A backup is one gzip-compressed tar (libarchive, pax format) with, in
 * this order: manifest.json, db.sqlite, then the uploads/ and processed/
 * trees.  The database is copied with SQLite's online backup API
 * (https://sqlite.org/backup.html), so the site keeps serving while it
 * runs; the image files are read afterwards, so a file written after the
 * copy may come along without its row (harmless), and one deleted in
 * between is skipped.  The signing keys stay out of the archive: a
 * restored site signs new tokens and URLs with its own.
 *
 * A restore checks everything before it touches the state: manifest first
 * and valid, only the names above, only regular files and directories,
 * no schema newer than ours, the database passes PRAGMA quick_check.  It
 * extracts into VARDIR/.restore-XXXXXX, moves the old database and image
 * directories aside into VARDIR/pre-restore-<time>/ and renames the new
 * ones in, undoing the moves when one fails.  XXX: rename(2) needs the
 * image directories and the database on the file system of VARDIR.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <sqlite3.h>

#include "photorestore.h"
#include "extern.h"

#define TREE_DEPTH	8		/* uploads/<user>/<file> is 2 deep */
#define MANIFEST_MAX	(64 * 1024)
#define COPY_CHUNK	65536

static const char *const tops[] = { "uploads", "processed" };

static void PR_PRINTF(3, 4)
seterr(char *err, size_t errsz, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL || errsz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

/* snprintf into a path buffer; -1 when it does not fit. */
static int PR_PRINTF(3, 4)
mkpath(char *out, size_t outsz, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(out, outsz, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= outsz) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* The highest migration number in the compiled-in schema.sql. */
static int64_t
schema_latest(void)
{
	static const char mark[] = "-- migration: ";
	const char	*p;
	char		 num[24];
	long long	 v, max = 0;
	size_t		 i;

	for (p = schema_sql; (p = strstr(p, mark)) != NULL; ) {
		p += sizeof(mark) - 1;
		for (i = 0; i < sizeof(num) - 1 && p[i] >= '0' && p[i] <= '9';
		    i++)
			num[i] = p[i];
		num[i] = '\0';
		if (pr_strtonum(num, 1, 1000000, &v) == 0 && v > max)
			max = v;
	}
	return max;
}

/*
 * Running as root on a state owned by the service user: give what we
 * create to that user, so the programs can still write it.
 */
static void
own_like(const char *path, const struct stat *ref)
{

	if (ref == NULL || geteuid() != 0 || ref->st_uid == 0)
		return;
	if (lchown(path, ref->st_uid, ref->st_gid) == -1)
		log_warn("chown %s: %s", path, strerror(errno));
}

/* mkdir -p (mode 0750) for every missing component of dir. */
static int
mkdirs(const char *dir)
{
	char	 p[PATH_MAX];
	size_t	 i;

	if (mkpath(p, sizeof(p), "%s", dir) == -1)
		return -1;
	for (i = 1; p[i] != '\0'; i++) {
		if (p[i] != '/')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0750) == -1 && errno != EEXIST)
			return -1;
		p[i] = '/';
	}
	if (mkdir(p, 0750) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

/* fsync a directory so renames in it survive a crash. */
static void
sync_dir(const char *dir)
{
	int	 fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	(void)fsync(fd);
	close(fd);
}

/* The directory part of path into out ("." when none). */
static void
dir_of(const char *path, char *out, size_t outsz)
{
	const char	*s;

	if ((s = strrchr(path, '/')) == NULL)
		snprintf(out, outsz, ".");
	else if (s == path)
		snprintf(out, outsz, "/");
	else
		snprintf(out, outsz, "%.*s", (int)(s - path), path);
}

/*
 * Remove a tree (files, symlinks, directories) below and including path.
 * A missing path is not an error.  Returns 0 or -1.
 */
static int
rm_tree(const char *path, int depth)
{
	struct stat	 sb;
	DIR		*d;
	struct dirent	*de;
	char		 sub[PATH_MAX];
	int		 rc = 0;

	if (lstat(path, &sb) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(sb.st_mode))
		return unlink(path);
	if (depth > 32 || (d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (mkpath(sub, sizeof(sub), "%s/%s", path, de->d_name) == -1 ||
		    rm_tree(sub, depth + 1) == -1)
			rc = -1;
	}
	closedir(d);
	if (rmdir(path) == -1)
		rc = -1;
	return rc;
}

/* Count regular files below dir (a missing dir has none). */
static int64_t
count_files(const char *dir, int depth)
{
	struct stat	 sb;
	DIR		*d;
	struct dirent	*de;
	char		 sub[PATH_MAX];
	int64_t		 n = 0;

	if (depth > TREE_DEPTH || (d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    mkpath(sub, sizeof(sub), "%s/%s", dir, de->d_name) == -1 ||
		    lstat(sub, &sb) == -1)
			continue;
		if (S_ISDIR(sb.st_mode))
			n += count_files(sub, depth + 1);
		else if (S_ISREG(sb.st_mode))
			n++;
	}
	closedir(d);
	return n;
}

/* One integer from a query, or -1. */
static int64_t
query_int(sqlite3 *h, const char *q)
{
	sqlite3_stmt	*st;
	int64_t		 v = -1;

	if (sqlite3_prepare_v2(h, q, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Open an existing SQLite file (never create one), defensively. */
static int
open_existing(const char *path, int flags, sqlite3 **h, char *err,
    size_t errsz)
{
	int	 rc;

	rc = sqlite3_open_v2(path, h, flags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		seterr(err, errsz, "database %s: %s", path, *h != NULL ?
		    sqlite3_errmsg(*h) : sqlite3_errstr(rc));
		sqlite3_close_v2(*h);
		*h = NULL;
		return -1;
	}
	sqlite3_busy_timeout(*h, 5000);
	sqlite3_db_config(*h, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(*h, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	return 0;
}

/*
 * Copy the live database into the file dst with the online backup API,
 * then make the copy a self-contained rollback-journal database and read
 * its counts into st.
 */
static enum pr_err
snapshot(const struct config *cfg, const char *dst, struct backup_stats *st,
    char *err, size_t errsz)
{
	sqlite3		*src = NULL, *out = NULL;
	sqlite3_backup	*b = NULL;
	struct stat	 sb, ref;
	char		 side[PATH_MAX];
	enum pr_err	 e = PR_EDB;
	int		 rc, tries = 0, have_ref;
	size_t		 i;
	static const char *const sfx[] = { "-wal", "-shm" };

	if (stat(cfg->db_path, &sb) == -1) {
		seterr(err, errsz, "no database at %s: %s", cfg->db_path,
		    strerror(errno));
		return PR_ENOTFOUND;
	}
	ref = sb;
	have_ref = 1;
	if (open_existing(cfg->db_path, SQLITE_OPEN_READWRITE, &src, err,
	    errsz) == -1)
		goto err;
	if (open_existing(dst, SQLITE_OPEN_READWRITE, &out, err, errsz) == -1)
		goto err;
	if ((b = sqlite3_backup_init(out, "main", src, "main")) == NULL) {
		seterr(err, errsz, "backup: %s", sqlite3_errmsg(out));
		goto err;
	}
	/* Copy in steps; a busy writer only delays us. */
	while ((rc = sqlite3_backup_step(b, 1024)) != SQLITE_DONE) {
		if (rc == SQLITE_OK)
			continue;
		if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) &&
		    tries++ < 600) {
			sqlite3_sleep(100);
			continue;
		}
		seterr(err, errsz, "backup: %s", sqlite3_errstr(rc));
		goto err;
	}
	rc = sqlite3_backup_finish(b);
	b = NULL;
	if (rc != SQLITE_OK) {
		seterr(err, errsz, "backup: %s", sqlite3_errmsg(out));
		goto err;
	}
	if (sqlite3_exec(out, "PRAGMA journal_mode=DELETE", NULL, NULL,
	    NULL) != SQLITE_OK) {
		seterr(err, errsz, "backup copy: %s", sqlite3_errmsg(out));
		goto err;
	}
	st->schema_version = query_int(out,
	    "SELECT max(version) FROM schema_migrations");
	st->users = query_int(out, "SELECT count(*) FROM users");
	st->images = query_int(out, "SELECT count(*) FROM processed_images");
	if (st->schema_version < 1 || st->users < 0 || st->images < 0) {
		seterr(err, errsz, "%s is not a photorestore database",
		    cfg->db_path);
		goto err;
	}
	e = PR_OK;
err:
	if (b != NULL)
		sqlite3_backup_finish(b);
	sqlite3_close_v2(out);
	sqlite3_close_v2(src);
	/* Side files root may have made while the programs were down. */
	for (i = 0; have_ref && i < 2; i++)
		if (mkpath(side, sizeof(side), "%s%s", cfg->db_path,
		    sfx[i]) == 0 && lstat(side, &sb) == 0 && sb.st_uid == 0)
			own_like(side, &ref);
	return e;
}

/* Write a header for name (a file of size bytes, or a directory). */
static int
put_header(struct archive *a, const char *name, int dir, int64_t size,
    int64_t mtime)
{
	struct archive_entry	*ent;
	int			 rc;

	if ((ent = archive_entry_new()) == NULL)
		return -1;
	archive_entry_set_pathname(ent, name);
	archive_entry_set_filetype(ent, dir ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(ent, dir ? 0750 : 0640);
	archive_entry_set_size(ent, dir ? 0 : size);
	archive_entry_set_mtime(ent, (time_t)mtime, 0);
	rc = archive_write_header(a, ent);
	archive_entry_free(ent);
	return rc == ARCHIVE_OK ? 0 : -1;
}

/*
 * Add the regular file path as name.  Returns 1 added, 0 gone meanwhile
 * (or not a regular file), -1 on error.
 */
static int
put_file(struct archive *a, const char *path, const char *name,
    int64_t *bytes, char *err, size_t errsz)
{
	struct stat	 sb;
	char		 chunk[COPY_CHUNK];
	ssize_t		 n;
	int64_t		 left;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT || errno == ELOOP)
			return 0;
		seterr(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return 0;
	}
	if (put_header(a, name, 0, sb.st_size, sb.st_mtime) == -1) {
		seterr(err, errsz, "archive: %s", archive_error_string(a));
		close(fd);
		return -1;
	}
	/* Write exactly the size in the header, even if the file changes. */
	for (left = sb.st_size; left > 0; left -= n) {
		n = read(fd, chunk, left < (int64_t)sizeof(chunk) ?
		    (size_t)left : sizeof(chunk));
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0) {
			/* Shrunk under us: pad with zeros. */
			memset(chunk, 0, sizeof(chunk));
			n = left < (int64_t)sizeof(chunk) ? (ssize_t)left :
			    (ssize_t)sizeof(chunk);
		}
		if (archive_write_data(a, chunk, (size_t)n) != n) {
			seterr(err, errsz, "archive: %s",
			    archive_error_string(a));
			close(fd);
			return -1;
		}
	}
	close(fd);
	*bytes += sb.st_size;
	return 1;
}

/*
 * Add the tree below dir as name/...: directories and regular files,
 * skipping symbolic links and the temporary files of unfinished writes.
 */
static int
put_tree(struct archive *a, const char *dir, const char *name, int depth,
    struct backup_stats *st, char *err, size_t errsz)
{
	struct stat	 sb;
	DIR		*d;
	struct dirent	*de;
	char		 path[PATH_MAX], sub[PATH_MAX];
	int		 rc = 0, r;

	if (depth > TREE_DEPTH)
		return 0;
	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT && depth == 0)
			return put_header(a, name, 1, 0, pr_now());
		seterr(err, errsz, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (put_header(a, name, 1, 0, pr_now()) == -1) {
		seterr(err, errsz, "archive: %s", archive_error_string(a));
		closedir(d);
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' && (de->d_name[1] == '\0' ||
		    strcmp(de->d_name, "..") == 0))
			continue;
		if (strncmp(de->d_name, STORE_TMP_PREFIX,
		    strlen(STORE_TMP_PREFIX)) == 0)
			continue;
		if (mkpath(path, sizeof(path), "%s/%s", dir, de->d_name) ==
		    -1 || mkpath(sub, sizeof(sub), "%s/%s", name,
		    de->d_name) == -1) {
			seterr(err, errsz, "%s/%s: name too long", dir,
			    de->d_name);
			rc = -1;
			break;
		}
		if (lstat(path, &sb) == -1)
			continue;
		if (S_ISDIR(sb.st_mode))
			rc = put_tree(a, path, sub, depth + 1, st, err, errsz);
		else if (S_ISREG(sb.st_mode)) {
			if ((r = put_file(a, path, sub, &st->bytes, err,
			    errsz)) == -1)
				rc = -1;
			else
				st->files += r;
		}
	}
	closedir(d);
	return rc;
}

/* The manifest, first in the archive. */
static int
put_manifest(struct archive *a, const struct config *cfg,
    const struct backup_stats *st, char *err, size_t errsz)
{
	cJSON	*o;
	char	*text = NULL, ts[32];
	size_t	 len;
	int	 rc = -1;

	pr_isotime(pr_now(), ts);
	if ((o = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(o, "format", BACKUP_FORMAT) == NULL ||
	    cJSON_AddNumberToObject(o, "format_version",
	    BACKUP_FORMAT_VERSION) == NULL ||
	    cJSON_AddNumberToObject(o, "schema_version",
	    (double)st->schema_version) == NULL ||
	    cJSON_AddStringToObject(o, "app_version", cfg->app_version) ==
	    NULL ||
	    cJSON_AddStringToObject(o, "created_at", ts) == NULL ||
	    cJSON_AddNumberToObject(o, "users", (double)st->users) == NULL ||
	    cJSON_AddNumberToObject(o, "images", (double)st->images) == NULL ||
	    (text = cJSON_Print(o)) == NULL) {
		seterr(err, errsz, "out of memory");
		goto err;
	}
	len = strlen(text);
	if (put_header(a, "manifest.json", 0, (int64_t)len, pr_now()) == -1 ||
	    archive_write_data(a, text, len) != (ssize_t)len) {
		seterr(err, errsz, "archive: %s", archive_error_string(a));
		goto err;
	}
	rc = 0;
err:
	free(text);
	cJSON_Delete(o);
	return rc;
}

/*
 * See photorestore.h.  The archive and the database copy are made beside
 * file and renamed/removed at the end, so a failed run leaves nothing.
 */
enum pr_err
backup_create(const struct config *cfg, const char *file,
    struct backup_stats *st, char *err, size_t errsz)
{
	struct archive	*a = NULL;
	char		 tmp[PATH_MAX], dbtmp[PATH_MAX];
	int		 fd = -1, dbfd = -1, have_tmp = 0, have_db = 0, r;
	int64_t		 dbbytes = 0;
	enum pr_err	 e = PR_EIO;

	memset(st, 0, sizeof(*st));
	if (cfg->db_kind != DB_SQLITE) {
		seterr(err, errsz, "backup supports only the SQLite backend");
		return PR_ECONFIG;
	}
	if (mkpath(tmp, sizeof(tmp), "%s.tmp-XXXXXX", file) == -1 ||
	    mkpath(dbtmp, sizeof(dbtmp), "%s.db-XXXXXX", file) == -1) {
		seterr(err, errsz, "%s: name too long", file);
		return PR_EINVAL;
	}
	if ((fd = mkstemp(tmp)) == -1) {
		seterr(err, errsz, "%s: %s", tmp, strerror(errno));
		goto err;
	}
	have_tmp = 1;
	if ((dbfd = mkstemp(dbtmp)) == -1) {
		seterr(err, errsz, "%s: %s", dbtmp, strerror(errno));
		goto err;
	}
	have_db = 1;
	close(dbfd);
	if ((e = snapshot(cfg, dbtmp, st, err, errsz)) != PR_OK)
		goto err;
	e = PR_EIO;

	if ((a = archive_write_new()) == NULL ||
	    archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
	    archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		seterr(err, errsz, "archive: %s", a != NULL ?
		    archive_error_string(a) : "out of memory");
		goto err;
	}
	if (put_manifest(a, cfg, st, err, errsz) == -1)
		goto err;
	if ((r = put_file(a, dbtmp, "db.sqlite", &dbbytes, err, errsz)) != 1) {
		if (r == 0)
			seterr(err, errsz, "%s vanished", dbtmp);
		goto err;
	}
	if (put_tree(a, cfg->upload_dir, tops[0], 0, st, err, errsz) == -1 ||
	    put_tree(a, cfg->processed_dir, tops[1], 0, st, err, errsz) == -1)
		goto err;
	if (archive_write_close(a) != ARCHIVE_OK) {
		seterr(err, errsz, "archive: %s", archive_error_string(a));
		goto err;
	}
	archive_write_free(a);
	a = NULL;
	if (fchmod(fd, 0600) == -1 || fsync(fd) == -1 || close(fd) == -1) {
		fd = -1;
		seterr(err, errsz, "%s: %s", tmp, strerror(errno));
		goto err;
	}
	fd = -1;
	if (rename(tmp, file) == -1) {
		seterr(err, errsz, "%s: %s", file, strerror(errno));
		goto err;
	}
	have_tmp = 0;
	unlink(dbtmp);
	return PR_OK;
err:
	if (a != NULL)
		archive_write_free(a);
	if (fd != -1)
		close(fd);
	if (have_tmp)
		unlink(tmp);
	if (have_db)
		unlink(dbtmp);
	return e;
}

/* ------------------------------------------------------------ restore */

/*
 * Whether an archive member name is one of ours: "db.sqlite", or
 * "uploads"/"processed" followed by at most TREE_DEPTH plain segments
 * (no empty, "." or ".." segment, no control bytes).  A trailing slash
 * (directories) is ignored.
 */
static int
name_ok(const char *name, int *is_db)
{
	char		 n[PATH_MAX];
	const char	*seg, *p;
	size_t		 len, i, segs = 0;

	*is_db = 0;
	len = strlen(name);
	if (len == 0 || len >= sizeof(n))
		return 0;
	memcpy(n, name, len + 1);
	while (len > 0 && n[len - 1] == '/')
		n[--len] = '\0';
	if (strcmp(n, "db.sqlite") == 0) {
		*is_db = 1;
		return 1;
	}
	for (p = n; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\')
			return 0;
	for (i = 0; i < 2; i++) {
		len = strlen(tops[i]);
		if (strncmp(n, tops[i], len) == 0 &&
		    (n[len] == '\0' || n[len] == '/'))
			break;
	}
	if (i == 2)
		return 0;
	for (seg = n; ; seg = p + 1) {
		p = strchr(seg, '/');
		len = p != NULL ? (size_t)(p - seg) : strlen(seg);
		if (len == 0 || (len == 1 && seg[0] == '.') ||
		    (len == 2 && seg[0] == '.' && seg[1] == '.'))
			return 0;
		if (++segs > TREE_DEPTH + 1)
			return 0;
		if (p == NULL)
			break;
	}
	return 1;
}

/* Read and check the manifest (the first member). */
static int
read_manifest(struct archive *a, struct archive_entry *ent,
    struct backup_stats *st, char *err, size_t errsz)
{
	char		 text[MANIFEST_MAX + 1];
	la_int64_t	 size;
	ssize_t		 n;
	size_t		 got = 0;
	cJSON		*o = NULL;
	const cJSON	*f, *v, *s;
	int		 rc = -1;

	size = archive_entry_size(ent);
	if (strcmp(archive_entry_pathname(ent), "manifest.json") != 0 ||
	    archive_entry_filetype(ent) != AE_IFREG || size <= 0 ||
	    size > MANIFEST_MAX) {
		seterr(err, errsz, "not a photorestore backup (no manifest "
		    "first)");
		return -1;
	}
	while (got < (size_t)size &&
	    (n = archive_read_data(a, text + got, (size_t)size - got)) > 0)
		got += (size_t)n;
	if (got != (size_t)size) {
		seterr(err, errsz, "manifest: %s", archive_error_string(a) ?
		    archive_error_string(a) : "truncated");
		return -1;
	}
	text[got] = '\0';
	if ((o = cJSON_ParseWithOpts(text, NULL, 1)) == NULL ||
	    !cJSON_IsObject(o)) {
		seterr(err, errsz, "manifest: not a JSON object");
		goto err;
	}
	f = cJSON_GetObjectItemCaseSensitive(o, "format");
	v = cJSON_GetObjectItemCaseSensitive(o, "format_version");
	s = cJSON_GetObjectItemCaseSensitive(o, "schema_version");
	if (!cJSON_IsString(f) || strcmp(f->valuestring, BACKUP_FORMAT) != 0) {
		seterr(err, errsz, "not a photorestore backup");
		goto err;
	}
	if (!cJSON_IsNumber(v) || v->valuedouble != BACKUP_FORMAT_VERSION) {
		seterr(err, errsz, "backup format version not supported");
		goto err;
	}
	if (!cJSON_IsNumber(s) || s->valuedouble < 1 ||
	    s->valuedouble > 1000000 ||
	    s->valuedouble != (double)(int64_t)s->valuedouble) {
		seterr(err, errsz, "manifest: bad schema_version");
		goto err;
	}
	st->schema_version = (int64_t)s->valuedouble;
	if (st->schema_version > schema_latest()) {
		seterr(err, errsz, "the backup has database schema %lld, newer "
		    "than this program's %lld: upgrade photorestore first",
		    (long long)st->schema_version, (long long)schema_latest());
		goto err;
	}
	rc = 0;
err:
	cJSON_Delete(o);
	return rc;
}

/* Extract one regular member's data into path (created, mode). */
static int
extract_file(struct archive *a, const char *path, mode_t mode,
    const struct stat *ref, char *err, size_t errsz)
{
	char		 chunk[COPY_CHUNK];
	const char	*p;
	ssize_t		 n, w;
	int		 fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd == -1) {
		seterr(err, errsz, "%s: %s%s", path, strerror(errno),
		    errno == EEXIST ? " (a member twice in the archive?)" :
		    "");
		return -1;
	}
	while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0) {
		for (p = chunk; n > 0; p += w, n -= w) {
			if ((w = write(fd, p, (size_t)n)) == -1) {
				if (errno == EINTR) {
					w = 0;
					continue;
				}
				seterr(err, errsz, "%s: %s", path,
				    strerror(errno));
				close(fd);
				return -1;
			}
		}
	}
	if (n < 0) {
		seterr(err, errsz, "archive: %s", archive_error_string(a));
		close(fd);
		return -1;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		seterr(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	own_like(path, ref);
	return 0;
}

/* mkdir -p rel below root, each new directory owned like ref. */
static int
mkdirs_below(const char *root, const char *rel, const struct stat *ref)
{
	char	 p[PATH_MAX];
	size_t	 i, base;

	if (mkpath(p, sizeof(p), "%s/%s", root, rel) == -1)
		return -1;
	base = strlen(root) + 1;
	for (i = base; ; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		if (p[i] == '/' && p[i + 1] == '\0')
			break;
		if (p[i] == '\0') {
			if (mkdir(p, 0750) == 0)
				own_like(p, ref);
			else if (errno != EEXIST)
				return -1;
			break;
		}
		p[i] = '\0';
		if (mkdir(p, 0750) == 0)
			own_like(p, ref);
		else if (errno != EEXIST)
			return -1;
		p[i] = '/';
	}
	return 0;
}

/*
 * Extract the archive into the staging directory stage, checking every
 * member.  Fills st (files, bytes, schema_version).
 */
static enum pr_err
extract(const char *file, const char *stage, const struct stat *ref,
    struct backup_stats *st, char *err, size_t errsz)
{
	struct archive		*a;
	struct archive_entry	*ent;
	const char		*name;
	char			 path[PATH_MAX], parent[PATH_MAX];
	int			 rc, first = 1, have_db = 0, is_db;
	enum pr_err		 e = PR_EINVAL;

	if ((a = archive_read_new()) == NULL) {
		seterr(err, errsz, "out of memory");
		return PR_ENOMEM;
	}
	archive_read_support_filter_gzip(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, file, COPY_CHUNK) != ARCHIVE_OK) {
		seterr(err, errsz, "%s: %s", file, archive_error_string(a));
		e = PR_EIO;
		goto err;
	}
	while ((rc = archive_read_next_header(a, &ent)) == ARCHIVE_OK) {
		name = archive_entry_pathname(ent);
		if (name == NULL) {
			seterr(err, errsz, "a member without a name");
			goto err;
		}
		if (first) {
			if (read_manifest(a, ent, st, err, errsz) == -1)
				goto err;
			first = 0;
			continue;
		}
		if (!name_ok(name, &is_db)) {
			seterr(err, errsz, "unexpected member \"%.200s\"", name);
			goto err;
		}
		if (archive_entry_filetype(ent) == AE_IFDIR && !is_db) {
			if (mkdirs_below(stage, name, ref) == -1) {
				seterr(err, errsz, "%s/%s: %s", stage, name,
				    strerror(errno));
				e = PR_EIO;
				goto err;
			}
			continue;
		}
		if (archive_entry_filetype(ent) != AE_IFREG) {
			seterr(err, errsz, "member \"%.200s\" is not a regular "
			    "file or directory", name);
			goto err;
		}
		if (mkpath(path, sizeof(path), "%s/%s", stage, name) == -1) {
			seterr(err, errsz, "%s: name too long", name);
			goto err;
		}
		dir_of(name, parent, sizeof(parent));
		if (strcmp(parent, ".") != 0 &&
		    mkdirs_below(stage, parent, ref) == -1) {
			seterr(err, errsz, "%s/%s: %s", stage, parent,
			    strerror(errno));
			e = PR_EIO;
			goto err;
		}
		if (extract_file(a, path, is_db ? 0600 : 0640, ref, err,
		    errsz) == -1) {
			e = PR_EIO;
			goto err;
		}
		if (is_db)
			have_db = 1;
		else {
			st->files++;
			st->bytes += archive_entry_size(ent);
		}
	}
	if (rc != ARCHIVE_EOF) {
		seterr(err, errsz, "%s: %s", file, archive_error_string(a));
		goto err;
	}
	if (first || !have_db) {
		seterr(err, errsz, "%s: %s", file, first ?
		    "an empty archive" : "no db.sqlite in the archive");
		goto err;
	}
	e = PR_OK;
err:
	archive_read_free(a);
	return e;
}

/* Check the extracted database: intact, ours, the manifest's schema. */
static enum pr_err
check_db(const char *path, struct backup_stats *st, char *err, size_t errsz)
{
	sqlite3		*h = NULL;
	sqlite3_stmt	*q = NULL;
	const char	*res;
	enum pr_err	 e = PR_EINVAL;

	if (open_existing(path, SQLITE_OPEN_READWRITE, &h, err, errsz) == -1)
		return PR_EINVAL;
	if (sqlite3_prepare_v2(h, "PRAGMA quick_check", -1, &q, NULL) !=
	    SQLITE_OK || sqlite3_step(q) != SQLITE_ROW ||
	    (res = (const char *)sqlite3_column_text(q, 0)) == NULL ||
	    strcmp(res, "ok") != 0) {
		seterr(err, errsz, "the database in the backup is damaged");
		goto err;
	}
	if (query_int(h, "SELECT max(version) FROM schema_migrations") !=
	    st->schema_version) {
		seterr(err, errsz, "the database in the backup does not "
		    "match its manifest");
		goto err;
	}
	st->users = query_int(h, "SELECT count(*) FROM users");
	st->images = query_int(h, "SELECT count(*) FROM processed_images");
	if (st->users < 0 || st->images < 0) {
		seterr(err, errsz, "the database in the backup is not a "
		    "photorestore database");
		goto err;
	}
	e = PR_OK;
err:
	sqlite3_finalize(q);
	sqlite3_close_v2(h);
	return e;
}

/*
 * Whether the state holds anything: users or images in the database, or
 * files in the image directories.  Describes it in what.
 */
static int
state_used(const struct config *cfg, char *what, size_t whatsz)
{
	sqlite3		*h = NULL;
	struct stat	 sb;
	int64_t		 users = 0, images = 0, files, tables;
	char		 e[256];

	if (stat(cfg->db_path, &sb) == 0 && sb.st_size > 0 &&
	    open_existing(cfg->db_path, SQLITE_OPEN_READONLY, &h, e,
	    sizeof(e)) == 0) {
		tables = query_int(h, "SELECT count(*) FROM sqlite_master");
		users = query_int(h, "SELECT count(*) FROM users");
		images = query_int(h, "SELECT count(*) FROM processed_images");
		sqlite3_close_v2(h);
		/* Unreadable, or tables that are not ours: not empty. */
		if (tables != 0 && (users < 0 || images < 0))
			users = images = 1;
		if (users < 0)
			users = 0;
		if (images < 0)
			images = 0;
	}
	files = count_files(cfg->upload_dir, 0) +
	    count_files(cfg->processed_dir, 0);
	snprintf(what, whatsz, "%lld users, %lld images, %lld image files",
	    (long long)users, (long long)images, (long long)files);
	return users > 0 || images > 0 || files > 0;
}

struct move {
	char	 from[PATH_MAX];
	char	 to[PATH_MAX];
};

/* Undo the first n moves, last first. */
static void
undo_moves(struct move *mv, size_t n)
{

	while (n-- > 0)
		if (rename(mv[n].to, mv[n].from) == -1)
			log_error("restore: could not move %s back to %s: %s",
			    mv[n].to, mv[n].from, strerror(errno));
}

/*
 * Move the current state aside into old/ and the staged one into place.
 * All or nothing (as far as rename allows).
 */
static enum pr_err
swap_in(const struct config *cfg, const char *stage, const char *old,
    char *err, size_t errsz)
{
	struct move	 mv[8];
	struct stat	 sb;
	char		 dir[PATH_MAX];
	size_t		 n = 0, i;
	const char	*live[5], *saved[5];
	char		 wal[PATH_MAX], shm[PATH_MAX];

	if (mkpath(wal, sizeof(wal), "%s-wal", cfg->db_path) == -1 ||
	    mkpath(shm, sizeof(shm), "%s-shm", cfg->db_path) == -1) {
		seterr(err, errsz, "database path too long");
		return PR_EINVAL;
	}
	live[0] = cfg->db_path;		saved[0] = "db.sqlite";
	live[1] = wal;			saved[1] = "db.sqlite-wal";
	live[2] = shm;			saved[2] = "db.sqlite-shm";
	live[3] = cfg->upload_dir;	saved[3] = "uploads";
	live[4] = cfg->processed_dir;	saved[4] = "processed";

	for (i = 0; i < 5; i++) {
		if (lstat(live[i], &sb) == -1)
			continue;
		if (mkpath(mv[n].from, sizeof(mv[n].from), "%s", live[i]) ==
		    -1 || mkpath(mv[n].to, sizeof(mv[n].to), "%s/%s", old,
		    saved[i]) == -1 || rename(mv[n].from, mv[n].to) == -1)
			goto err;
		n++;
	}
	/* The database last: it is what makes the state "restored". */
	for (i = 0; i < 3; i++) {
		if (i < 2) {
			if (mkpath(mv[n].from, sizeof(mv[n].from), "%s/%s",
			    stage, tops[i]) == -1 || mkpath(mv[n].to,
			    sizeof(mv[n].to), "%s", i == 0 ? cfg->upload_dir :
			    cfg->processed_dir) == -1)
				goto err;
		} else if (mkpath(mv[n].from, sizeof(mv[n].from),
		    "%s/db.sqlite", stage) == -1 || mkpath(mv[n].to,
		    sizeof(mv[n].to), "%s", cfg->db_path) == -1)
			goto err;
		dir_of(mv[n].to, dir, sizeof(dir));
		if (mkdirs(dir) == -1 || rename(mv[n].from, mv[n].to) == -1)
			goto err;
		sync_dir(dir);
		n++;
	}
	return PR_OK;
err:
	seterr(err, errsz, "moving %s to %s: %s%s", mv[n].from, mv[n].to,
	    strerror(errno), errno == EXDEV ? " (the image directories and "
	    "the database must be on the file system of VARDIR)" : "");
	undo_moves(mv, n);
	return PR_EIO;
}

/* See photorestore.h. */
enum pr_err
backup_restore(const struct config *cfg, const char *file, int force,
    struct backup_stats *st, char *err, size_t errsz)
{
	struct stat	 ref, sb;
	char		 stage[PATH_MAX], old[PATH_MAX], what[256], ts[32];
	char		 sub[PATH_MAX];
	int		 used, have_stage = 0, have_old = 0;
	size_t		 i;
	enum pr_err	 e = PR_EIO;

	memset(st, 0, sizeof(*st));
	if (cfg->db_kind != DB_SQLITE) {
		seterr(err, errsz, "restore supports only the SQLite backend");
		return PR_ECONFIG;
	}
	if (stat(file, &sb) == -1) {
		seterr(err, errsz, "%s: %s", file, strerror(errno));
		return PR_ENOTFOUND;
	}
	if (!S_ISREG(sb.st_mode)) {
		seterr(err, errsz, "%s: not a regular file", file);
		return PR_EINVAL;
	}
	if (mkdirs(cfg->vardir) == -1 || stat(cfg->vardir, &ref) == -1) {
		seterr(err, errsz, "%s: %s", cfg->vardir, strerror(errno));
		return PR_EIO;
	}
	used = state_used(cfg, what, sizeof(what));
	if (used && !force) {
		seterr(err, errsz, "the state in %s is not empty (%s): give "
		    "--force to replace it (it is kept in %s/pre-restore-*)",
		    cfg->vardir, what, cfg->vardir);
		return PR_ECONFLICT;
	}

	/* Stage everything, check everything. */
	if (mkpath(stage, sizeof(stage), "%s/.restore-XXXXXX",
	    cfg->vardir) == -1 || mkdtemp(stage) == NULL) {
		seterr(err, errsz, "%s: %s", cfg->vardir, strerror(errno));
		return PR_EIO;
	}
	have_stage = 1;
	own_like(stage, &ref);
	for (i = 0; i < 2; i++)
		if (mkdirs_below(stage, tops[i], &ref) == -1) {
			seterr(err, errsz, "%s: %s", stage, strerror(errno));
			goto err;
		}
	if ((e = extract(file, stage, &ref, st, err, errsz)) != PR_OK)
		goto err;
	if (mkpath(sub, sizeof(sub), "%s/db.sqlite", stage) == -1) {
		e = PR_EINVAL;
		goto err;
	}
	if ((e = check_db(sub, st, err, errsz)) != PR_OK)
		goto err;

	/* Then swap. */
	pr_isotime(pr_now(), ts);
	for (i = 0; ts[i] != '\0'; i++)
		if (ts[i] == ':')
			ts[i] = '-';
	if (mkpath(old, sizeof(old), "%s/pre-restore-%s", cfg->vardir,
	    ts) == -1) {
		e = PR_EINVAL;
		goto err;
	}
	if (mkdir(old, 0700) == -1) {
		if (errno != EEXIST || mkpath(old, sizeof(old),
		    "%s/pre-restore-%s-%d", cfg->vardir, ts, (int)getpid()) ==
		    -1 || mkdir(old, 0700) == -1) {
			seterr(err, errsz, "%s: %s", old, strerror(errno));
			goto err;
		}
	}
	have_old = 1;
	own_like(old, &ref);
	if ((e = swap_in(cfg, stage, old, err, errsz)) != PR_OK)
		goto err;
	sync_dir(cfg->vardir);
	rm_tree(stage, 0);
	if (used)
		snprintf(st->saved_dir, sizeof(st->saved_dir), "%s", old);
	else
		rm_tree(old, 0);
	return PR_OK;
err:
	if (have_stage)
		rm_tree(stage, 0);
	if (have_old)
		rmdir(old);
	return e;
}
