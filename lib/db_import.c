/*
 * db_import.c: `photorestore import-fastapi`, bringing the users and
 * images of the original FastAPI version of this site into ours.
 *
 * Its database (API.md, appendix): users (bcrypt "$2b$" hashes), sessions
 * (integer id, UUID session_id) and processed_images, whose session_id is
 * the INTEGER sessions.id and whose paths are "<session_uuid>/<file>"
 * below its upload and processed directories; times are naive UTC text.
 *
 * Everything happens on one connection of our own to our database, in one
 * IMMEDIATE transaction: the users, the image rows and the import_map
 * rows (migration 3) that make a second run skip what the first brought
 * in.  That is why the rows are written with the statements below rather
 * than through db_user_insert()/db_image_insert(): those run on the
 * connection behind struct db, and SQLite lets only one connection write
 * at a time, so the map and the rows could not share a transaction.
 * Image files are copied (never moved) before the commit and removed
 * again when the transaction fails.  XXX: the write lock is held while
 * the files are copied; import before opening the site, or in a quiet
 * hour, when there are many.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sqlite3.h>

#include "photorestore.h"

#define COPY_CHUNK	65536
#define ISO_FMT		"'%Y-%m-%dT%H:%M:%SZ'"

enum tstmt {
	T_BEGIN,
	T_COMMIT,
	T_ROLLBACK,
	T_MAP_GET,
	T_MAP_ADD,
	T_USER_TAKEN,
	T_USER_INSERT,
	T_USER_EXISTS,
	T_IMAGE_INSERT,
	T__MAX
};

static const char *const tsql[T__MAX] = {
	/* T_BEGIN */
	"BEGIN IMMEDIATE",
	/* T_COMMIT */
	"COMMIT",
	/* T_ROLLBACK */
	"ROLLBACK",
	/* T_MAP_GET */
	"SELECT target_id FROM import_map WHERE source = ?1 AND kind = ?2 "
	"AND source_id = ?3",
	/* T_MAP_ADD */
	"INSERT INTO import_map (source, kind, source_id, target_id) "
	"VALUES (?1, ?2, ?3, ?4)",
	/* T_USER_TAKEN: the columns are NOCASE. */
	"SELECT (SELECT count(*) FROM users WHERE username = ?1), "
	"(SELECT count(*) FROM users WHERE email = ?2)",
	/* T_USER_INSERT */
	"INSERT INTO users (username, email, hashed_password, full_name, "
	"role, is_active, password_must_change, created_at, last_login) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	/* T_USER_EXISTS */
	"SELECT count(*) FROM users WHERE id = ?1",
	/* T_IMAGE_INSERT: no session row here; the UUID stays for history. */
	"INSERT INTO processed_images (user_id, session_id, session_uuid, "
	"original_filename, model_id, original_path, processed_path, "
	"model_parameters, created_at) "
	"VALUES (?1, NULL, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
};

enum sstmt {
	S_USERS,
	S_IMAGES,
	S__MAX
};

/* The source, read as it is; times converted by SQLite (NULL if bad). */
static const char *const ssql[S__MAX] = {
	/* S_USERS */
	"SELECT id, username, email, hashed_password, full_name, role, "
	"is_active, password_must_change, "
	"strftime(" ISO_FMT ", created_at), strftime(" ISO_FMT ", last_login) "
	"FROM users ORDER BY id",
	/* S_IMAGES */
	"SELECT p.id, s.user_id, s.session_id, p.original_filename, "
	"p.model_id, p.original_path, p.processed_path, p.model_parameters, "
	"strftime(" ISO_FMT ", p.created_at) "
	"FROM processed_images p LEFT JOIN sessions s ON s.id = p.session_id "
	"ORDER BY p.id",
};

/* Files made by this run, removed again if it fails. */
struct made {
	char	**v;
	size_t	  n;
	size_t	  cap;
};

struct imp {
	const struct config	*cfg;
	sqlite3			*dst;
	sqlite3			*src;
	sqlite3_stmt		*t[T__MAX];
	sqlite3_stmt		*s[S__MAX];
	char			 source[PATH_MAX + 16];
	const char		*updir;		/* source directories */
	const char		*procdir;
	struct stat		 ref;		/* owner for new files */
	struct made		 made;
	struct import_stats	*st;
	import_report_fn	 report;
	void			*arg;
	char			 now[32];
};

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

/* Tell the caller about a row left out. */
static void PR_PRINTF(2, 3)
say(struct imp *im, const char *fmt, ...)
{
	char	 msg[1024];
	va_list	 ap;

	if (im->report == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	im->report(im->arg, msg);
}

/* A text column or NULL. */
static const char *
col(sqlite3_stmt *st, int i)
{

	return (const char *)sqlite3_column_text(st, i);
}

/* The target statement s, reset and unbound. */
static sqlite3_stmt *
tstmt(struct imp *im, enum tstmt s)
{

	sqlite3_reset(im->t[s]);
	sqlite3_clear_bindings(im->t[s]);
	return im->t[s];
}

/* Step a statement that returns nothing; 0 or -1. */
static int
run(sqlite3_stmt *st)
{
	int	 rc;

	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

/*
 * Look (kind, id) up in import_map: 1 found (*target set), 0 not, -1
 * error.
 */
static int
map_get(struct imp *im, const char *kind, int64_t id, int64_t *target)
{
	sqlite3_stmt	*st = tstmt(im, T_MAP_GET);
	int		 rc;

	sqlite3_bind_text(st, 1, im->source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*target = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		return 1;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
map_add(struct imp *im, const char *kind, int64_t id, int64_t target)
{
	sqlite3_stmt	*st = tstmt(im, T_MAP_ADD);

	sqlite3_bind_text(st, 1, im->source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, id);
	sqlite3_bind_int64(st, 4, target);
	return run(st);
}

static int
made_add(struct made *m, const char *path)
{
	char	**v;

	if (m->n == m->cap) {
		if ((v = reallocarray(m->v, m->cap ? m->cap * 2 : 64,
		    sizeof(*v))) == NULL)
			return -1;
		m->v = v;
		m->cap = m->cap ? m->cap * 2 : 64;
	}
	if ((m->v[m->n] = strdup(path)) == NULL)
		return -1;
	m->n++;
	return 0;
}

/* Forget the list; with undo, remove the files first. */
static void
made_free(struct made *m, int undo)
{
	size_t	 i;

	for (i = 0; i < m->n; i++) {
		if (undo && unlink(m->v[i]) == -1 && errno != ENOENT)
			log_warn("import: could not remove %s: %s", m->v[i],
			    strerror(errno));
		free(m->v[i]);
	}
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* mkdir -p (mode 0750). */
static int
mkdirs(const char *dir)
{
	char	 p[PATH_MAX];
	size_t	 i;
	int	 n;

	n = snprintf(p, sizeof(p), "%s", dir);
	if (n < 0 || (size_t)n >= sizeof(p))
		return -1;
	for (i = 1; p[i] != '\0'; i++) {
		if (p[i] != '/')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0750) == -1 && errno != EEXIST)
			return -1;
		p[i] = '/';
	}
	return mkdir(p, 0750) == -1 && errno != EEXIST ? -1 : 0;
}

/* Running as root: hand a new file to the owner of the state. */
static void
own_like(const char *path, const struct stat *ref)
{

	if (geteuid() != 0 || ref->st_uid == 0)
		return;
	if (lchown(path, ref->st_uid, ref->st_gid) == -1)
		log_warn("chown %s: %s", path, strerror(errno));
}

/*
 * The lower-case extension of the last segment of rel (".jpg"), if it
 * is one we store: 0 or -1.
 */
static int
image_ext(const char *rel, char *ext, size_t extsz)
{
	const char	*base, *dot;
	static const char *const ok[] = { ".jpg", ".jpeg", ".png" };
	size_t		 i;

	base = (base = strrchr(rel, '/')) != NULL ? base + 1 : rel;
	if ((dot = strrchr(base, '.')) == NULL || dot == base)
		return -1;
	pr_lower(dot, ext, extsz);
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(ext, ok[i]) == 0)
			return 0;
	return -1;
}

/*
 * Copy the regular file src to <root>/<sub>/<name> through a temporary
 * name, fsync'd, and note it for undo.  Returns 0, or -1 with errno set
 * (ENOENT: the source is missing).
 */
static int
copy_file(struct imp *im, const char *src, const char *root,
    const char *sub, const char *name)
{
	char		 dir[PATH_MAX], tmp[PATH_MAX], dst[PATH_MAX];
	char		 chunk[COPY_CHUNK];
	const char	*p;
	struct stat	 sb;
	ssize_t		 n, w;
	int		 in = -1, out = -1, saved, a, b, c;

	a = snprintf(dir, sizeof(dir), "%s/%s", root, sub);
	b = snprintf(tmp, sizeof(tmp), "%s/%s%s", dir, STORE_TMP_PREFIX, name);
	c = snprintf(dst, sizeof(dst), "%s/%s", dir, name);
	if (a < 0 || b < 0 || c < 0 || (size_t)a >= sizeof(dir) ||
	    (size_t)b >= sizeof(tmp) || (size_t)c >= sizeof(dst)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(in, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		close(in);
		errno = EINVAL;
		return -1;
	}
	if (mkdir(dir, 0750) == 0)
		own_like(dir, &im->ref);
	else if (errno != EEXIST)
		goto err;
	if ((out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0640)) == -1)
		goto err;
	while ((n = read(in, chunk, sizeof(chunk))) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			goto err;
		}
		for (p = chunk; n > 0; p += w, n -= w)
			if ((w = write(out, p, (size_t)n)) == -1) {
				if (errno != EINTR)
					goto err;
				w = 0;
			}
	}
	if (fsync(out) == -1 || close(out) == -1) {
		out = -1;
		goto err;
	}
	out = -1;
	close(in);
	in = -1;
	own_like(tmp, &im->ref);
	if (rename(tmp, dst) == -1)
		goto err;
	if (made_add(&im->made, dst) == -1) {
		unlink(dst);
		errno = ENOMEM;
		return -1;
	}
	im->st->files++;
	return 0;
err:
	saved = errno;
	if (in != -1)
		close(in);
	if (out != -1)
		close(out);
	unlink(tmp);
	errno = saved;
	return -1;
}

/* Import one source user row (the S_USERS columns).  0 or -1 (DB). */
static int
one_user(struct imp *im, sqlite3_stmt *r)
{
	sqlite3_stmt	*st;
	int64_t		 sid, known;
	const char	*uname, *email, *hash, *fname, *role, *created;
	char		 u[64], e[256], rl[16];
	int		 ut, et, active, must;

	sid = sqlite3_column_int64(r, 0);
	if ((ut = map_get(im, "user", sid, &known)) != 0) {
		if (ut == 1)
			im->st->users_known++;
		return ut == 1 ? 0 : -1;
	}
	uname = col(r, 1);
	email = col(r, 2);
	hash = col(r, 3);
	fname = col(r, 4) != NULL ? col(r, 4) : "";
	role = col(r, 5) != NULL ? col(r, 5) : "user";
	active = sqlite3_column_int(r, 6) != 0;
	must = sqlite3_column_int(r, 7) != 0;
	created = col(r, 8) != NULL ? col(r, 8) : im->now;
	if (uname == NULL || *uname == '\0' || strlen(uname) > 50 ||
	    email == NULL || *email == '\0' || strlen(email) > 255 ||
	    strlen(fname) > 255) {
		say(im, "user id %lld: username, e-mail or full name missing "
		    "or too long: skipped", (long long)sid);
		im->st->users_skipped++;
		return 0;
	}
	if (hash == NULL || *hash == '\0' || strlen(hash) >= PW_HASHLEN) {
		say(im, "user '%s': no usable password hash: skipped", uname);
		im->st->users_skipped++;
		return 0;
	}
	pr_lower(uname, u, sizeof(u));
	pr_lower(email, e, sizeof(e));
	pr_lower(role, rl, sizeof(rl));
	if (strcmp(rl, "admin") != 0 && strcmp(rl, "user") != 0) {
		say(im, "user '%s': unknown role '%s': imported as 'user'", u,
		    role);
		snprintf(rl, sizeof(rl), "user");
	}
	st = tstmt(im, T_USER_TAKEN);
	sqlite3_bind_text(st, 1, u, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, e, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return -1;
	}
	ut = sqlite3_column_int(st, 0) > 0;
	et = sqlite3_column_int(st, 1) > 0;
	sqlite3_reset(st);
	if (ut || et) {
		say(im, "user '%s': %s '%s' already exists here: skipped "
		    "(and their images)", u, ut ? "username" : "e-mail",
		    ut ? u : e);
		im->st->users_skipped++;
		return 0;
	}
	if (strncmp(hash, "$2a$", 4) != 0 && strncmp(hash, "$2b$", 4) != 0 &&
	    strncmp(hash, "$2y$", 4) != 0)
		say(im, "user '%s': the password hash is not bcrypt; set a "
		    "new password with photorestore user passwd", u);

	st = tstmt(im, T_USER_INSERT);
	sqlite3_bind_text(st, 1, u, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, e, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, fname, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, rl, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, active);
	sqlite3_bind_int(st, 7, must);
	sqlite3_bind_text(st, 8, created, -1, SQLITE_STATIC);
	if (col(r, 9) != NULL)
		sqlite3_bind_text(st, 9, col(r, 9), -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 9);
	if (run(st) == -1 ||
	    map_add(im, "user", sid, sqlite3_last_insert_rowid(im->dst)) == -1)
		return -1;
	im->st->users++;
	return 0;
}

/* Count an image left out (the reason was reported); returns 0. */
static int
skipped(struct imp *im)
{

	im->st->images_skipped++;
	return 0;
}

/* Import one source image row (the S_IMAGES columns).  0 or -1 (DB). */
static int
one_image(struct imp *im, sqlite3_stmt *r)
{
	const struct config	*cfg = im->cfg;
	sqlite3_stmt		*st;
	int64_t			 sid, owner, known;
	const char		*suuid, *fname, *model, *opath, *ppath;
	const char		*params, *created;
	char			 oext[16], pext[16], uuid[37], sub[32];
	char			 oname[64], pname[64], orel[128], prel[128];
	char			 osrc[PATH_MAX], psrc[PATH_MAX];
	size_t			 mark;
	int			 rc;

	sid = sqlite3_column_int64(r, 0);
	if ((rc = map_get(im, "image", sid, &known)) != 0) {
		if (rc == 1)
			im->st->images_known++;
		return rc == 1 ? 0 : -1;
	}
	suuid = col(r, 2);
	fname = col(r, 3);
	model = col(r, 4);
	opath = col(r, 5);
	ppath = col(r, 6);
	params = col(r, 7);
	created = col(r, 8) != NULL ? col(r, 8) : im->now;
	if (sqlite3_column_type(r, 1) == SQLITE_NULL) {
		say(im, "image id %lld: its session is gone, so its owner is "
		    "unknown: skipped", (long long)sid);
		return skipped(im);
	}
	if ((rc = map_get(im, "user", sqlite3_column_int64(r, 1), &owner)) ==
	    -1)
		return -1;
	if (rc == 0) {
		say(im, "image id %lld: its owner (user id %lld) was not "
		    "imported: skipped", (long long)sid,
		    (long long)sqlite3_column_int64(r, 1));
		return skipped(im);
	}
	st = tstmt(im, T_USER_EXISTS);
	sqlite3_bind_int64(st, 1, owner);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return -1;
	}
	rc = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	if (rc == 0) {
		say(im, "image id %lld: its owner was deleted here since an "
		    "earlier import: skipped", (long long)sid);
		return skipped(im);
	}
	if (fname == NULL || strlen(fname) > 255 || model == NULL ||
	    strlen(model) > 100 || (suuid != NULL && strlen(suuid) != 36)) {
		say(im, "image id %lld: file name, model or session missing or "
		    "too long: skipped", (long long)sid);
		return skipped(im);
	}
	if (opath == NULL || ppath == NULL ||
	    store_path(im->updir, opath, osrc, sizeof(osrc)) == -1 ||
	    store_path(im->procdir, ppath, psrc, sizeof(psrc)) == -1 ||
	    image_ext(opath, oext, sizeof(oext)) == -1 ||
	    image_ext(ppath, pext, sizeof(pext)) == -1) {
		say(im, "image id %lld: bad stored path or not a JPEG/PNG "
		    "name: skipped", (long long)sid);
		return skipped(im);
	}
	if (params != NULL && strlen(params) >= IMG_PARAMS_MAX) {
		say(im, "image id %lld: model parameters too long: left out",
		    (long long)sid);
		params = NULL;
	}
	if (pr_uuid4(uuid) == -1)
		return -1;
	snprintf(sub, sizeof(sub), "%lld", (long long)owner);
	snprintf(oname, sizeof(oname), "%s%s", uuid, oext);
	snprintf(pname, sizeof(pname), "%s%s", uuid, pext);
	snprintf(orel, sizeof(orel), "%s/%s", sub, oname);
	snprintf(prel, sizeof(prel), "%s/%s", sub, pname);
	mark = im->made.n;
	if (copy_file(im, osrc, cfg->upload_dir, sub, oname) == -1 ||
	    copy_file(im, psrc, cfg->processed_dir, sub, pname) == -1) {
		say(im, "image id %lld: %s: %s: skipped", (long long)sid,
		    im->made.n == mark ? opath : ppath, strerror(errno));
		/* Take back the first copy of this image. */
		while (im->made.n > mark) {
			im->made.n--;
			unlink(im->made.v[im->made.n]);
			free(im->made.v[im->made.n]);
			im->st->files--;
		}
		return skipped(im);
	}
	st = tstmt(im, T_IMAGE_INSERT);
	sqlite3_bind_int64(st, 1, owner);
	if (suuid != NULL)
		sqlite3_bind_text(st, 2, suuid, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_text(st, 3, fname, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, model, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, orel, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, prel, -1, SQLITE_STATIC);
	if (params != NULL)
		sqlite3_bind_text(st, 7, params, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 7);
	sqlite3_bind_text(st, 8, created, -1, SQLITE_STATIC);
	if (run(st) == -1 || map_add(im, "image", sid,
	    sqlite3_last_insert_rowid(im->dst)) == -1)
		return -1;
	im->st->images++;
	return 0;
}

/* Open a database file that must exist. */
static int
open_db(const char *path, int flags, sqlite3 **h, char *err, size_t errsz)
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
	sqlite3_busy_timeout(*h, 10000);
	sqlite3_db_config(*h, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(*h, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	return 0;
}

/* Describe a failed write on our database; returns the error. */
static enum pr_err
write_err(struct imp *im, char *err, size_t errsz)
{

	seterr(err, errsz, "database %s: %s", im->cfg->db_path,
	    im->dst != NULL ? sqlite3_errmsg(im->dst) : "not open");
	if (im->dst != NULL &&
	    (sqlite3_errcode(im->dst) & 0xff) == SQLITE_BUSY)
		return PR_EBUSY;
	return PR_EDB;
}

/* Run every step of the import inside the open transaction. */
static enum pr_err
import_rows(struct imp *im, char *err, size_t errsz)
{
	sqlite3_stmt	*r;
	int		 rc;

	r = im->s[S_USERS];
	while ((rc = sqlite3_step(r)) == SQLITE_ROW)
		if (one_user(im, r) == -1)
			return write_err(im, err, errsz);
	if (rc != SQLITE_DONE) {
		seterr(err, errsz, "reading users: %s",
		    sqlite3_errmsg(im->src));
		return PR_EDB;
	}
	if (im->updir == NULL || im->procdir == NULL) {
		say(im, "images not imported: give both --uploads and "
		    "--processed");
		return PR_OK;
	}
	r = im->s[S_IMAGES];
	while ((rc = sqlite3_step(r)) == SQLITE_ROW)
		if (one_image(im, r) == -1)
			return write_err(im, err, errsz);
	if (rc != SQLITE_DONE) {
		seterr(err, errsz, "reading images: %s",
		    sqlite3_errmsg(im->src));
		return PR_EDB;
	}
	return PR_OK;
}

/* See photorestore.h. */
enum pr_err
import_fastapi(const struct config *cfg, const char *srcdb,
    const char *updir, const char *procdir, struct import_stats *st,
    import_report_fn report, void *arg, char *err, size_t errsz)
{
	struct imp	 im;
	char		 real[PATH_MAX];
	size_t		 i;
	int		 in_tx = 0;
	enum pr_err	 e = PR_EDB;

	memset(st, 0, sizeof(*st));
	memset(&im, 0, sizeof(im));
	im.cfg = cfg;
	im.st = st;
	im.report = report;
	im.arg = arg;
	im.updir = updir;
	im.procdir = procdir;
	pr_isotime(pr_now(), im.now);
	if (cfg->db_kind != DB_SQLITE) {
		seterr(err, errsz, "import supports only the SQLite backend");
		return PR_ECONFIG;
	}
	if (realpath(srcdb, real) == NULL) {
		seterr(err, errsz, "%s: %s", srcdb, strerror(errno));
		return PR_ENOTFOUND;
	}
	if (strcmp(real, cfg->db_path) == 0) {
		seterr(err, errsz, "%s is this site's own database", srcdb);
		return PR_EINVAL;
	}
	/* The map keys rows by the source's path. */
	snprintf(im.source, sizeof(im.source), "fastapi:%s", real);

	if (open_db(real, SQLITE_OPEN_READONLY, &im.src, err, errsz) == -1) {
		e = PR_EIO;
		goto err;
	}
	for (i = 0; i < S__MAX; i++)
		if (sqlite3_prepare_v2(im.src, ssql[i], -1, &im.s[i], NULL) !=
		    SQLITE_OK) {
			seterr(err, errsz, "%s does not look like the FastAPI "
			    "site's database: %s", srcdb,
			    sqlite3_errmsg(im.src));
			e = PR_EINVAL;
			goto err;
		}
	if (open_db(cfg->db_path, SQLITE_OPEN_READWRITE, &im.dst, err,
	    errsz) == -1)
		goto err;
	if (sqlite3_exec(im.dst, "PRAGMA foreign_keys=ON", NULL, NULL,
	    NULL) != SQLITE_OK) {
		e = write_err(&im, err, errsz);
		goto err;
	}
	for (i = 0; i < T__MAX; i++)
		if (sqlite3_prepare_v2(im.dst, tsql[i], -1, &im.t[i], NULL) !=
		    SQLITE_OK) {
			e = write_err(&im, err, errsz);
			goto err;
		}
	if (mkdirs(cfg->upload_dir) == -1 || mkdirs(cfg->processed_dir) == -1 ||
	    stat(cfg->upload_dir, &im.ref) == -1) {
		seterr(err, errsz, "%s: %s", cfg->upload_dir, strerror(errno));
		e = PR_EIO;
		goto err;
	}

	if (run(im.t[T_BEGIN]) == -1) {
		e = write_err(&im, err, errsz);
		goto err;
	}
	in_tx = 1;
	if ((e = import_rows(&im, err, errsz)) != PR_OK)
		goto err;
	if (run(im.t[T_COMMIT]) == -1) {
		e = write_err(&im, err, errsz);
		goto err;
	}
	in_tx = 0;
	e = PR_OK;
err:
	if (in_tx)
		run(im.t[T_ROLLBACK]);
	/* On failure nothing was imported: take the copies back. */
	made_free(&im.made, e != PR_OK);
	if (e != PR_OK)
		st->users = st->images = st->files = 0;
	for (i = 0; i < T__MAX; i++)
		sqlite3_finalize(im.t[i]);
	for (i = 0; i < S__MAX; i++)
		sqlite3_finalize(im.s[i]);
	sqlite3_close_v2(im.dst);
	sqlite3_close_v2(im.src);
	return e;
}
