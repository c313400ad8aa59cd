/*
 * cleanup.c: unit tests of lib/cleanup.c (`photorestore cleanup`).
 * argv[1] names the behaviour, each with a wrapper t/cleanup-<name>.t:
 *   retention  images older than retention_days go, files then row; a
 *              file that cannot be removed keeps its row; newer stay
 *   keep       retention_days 0 keeps every image
 *   sessions   sessions past their lifetime go, their images stay
 *   temp       stale temporary files in the user directories go
 *   paths      store_path refuses paths that leave the directory
 * Run from the top of the checkout (conf/default.json); state goes to a
 * fresh directory under /tmp.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "photorestore.h"
#include "tap.h"

#define DAY	86400

static char		 vardir[] = "/tmp/prclean.XXXXXX";
static struct config	*cfg;
static struct db	*db;
static int64_t		 now;
static struct user	 user;

static void
fail(const char *what)
{

	printf("Bail out! %s\n", what);
	exit(2);
}

static void
rmtree(void)
{
	char	 cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", vardir);
	if (system(cmd) != 0)
		diag("could not remove %s", vardir);
}

/* Configuration and database in a fresh VARDIR; one user. */
static void
setup(void)
{
	char	 err[1024];
	int	 applied;

	log_init("cleanup-test", PRLOG_ERROR, NULL);
	if (mkdtemp(vardir) == NULL)
		fail("mkdtemp");
	atexit(rmtree);
	setenv("VARDIR", vardir, 1);
	setenv("CONFIG_DIR", "conf", 1);
	unsetenv("APP_ENV");
	unsetenv("DATABASE_URL");
	unsetenv("UPLOAD_DIR");
	unsetenv("PROCESSED_DIR");
	if (cfg_load(&cfg, err, sizeof(err)) != PR_OK) {
		diag("%s", err);
		fail("cfg_load");
	}
	if (cfg_secret(cfg, err, sizeof(err)) != PR_OK)
		fail("cfg_secret");
	if (db_open(cfg, &db) != PR_OK || db_migrate(db, &applied) != PR_OK)
		fail("database");
	if (mkdir(cfg->upload_dir, 0750) == -1 && errno != EEXIST)
		fail(cfg->upload_dir);
	if (mkdir(cfg->processed_dir, 0750) == -1 && errno != EEXIST)
		fail(cfg->processed_dir);
	now = pr_now();
	memset(&user, 0, sizeof(user));
	snprintf(user.username, sizeof(user.username), "carol");
	snprintf(user.email, sizeof(user.email), "carol@example.com");
	snprintf(user.full_name, sizeof(user.full_name), "Carol");
	snprintf(user.role, sizeof(user.role), "user");
	snprintf(user.password_hash, sizeof(user.password_hash), "x");
	user.is_active = 1;
	if (db_user_insert(db, &user, now) != PR_OK)
		fail("user");
	if (user.id != 1)
		fail("the first user of a fresh database is not id 1");
}

/* Write a small file at <dir>/<rel>, making <dir>/<uid>/ first. */
static void
put(const char *dir, const char *rel)
{
	char	 p[PATH_MAX * 2];
	FILE	*f;

	snprintf(p, sizeof(p), "%s/%lld", dir, (long long)user.id);
	if (mkdir(p, 0750) == -1 && errno != EEXIST)
		fail(p);
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	if ((f = fopen(p, "w")) == NULL || fputs("img", f) == EOF ||
	    fclose(f) != 0)
		fail(p);
}

static int
exists(const char *dir, const char *rel)
{
	char		 p[PATH_MAX * 2];
	struct stat	 sb;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	return lstat(p, &sb) == 0;
}

/* An image row created at t, with its files unless told otherwise. */
static int64_t
image(const char *name, int64_t t, int with_orig, int with_proc)
{
	struct image	*im;
	int64_t		 id;

	if ((im = calloc(1, sizeof(*im))) == NULL)
		fail("calloc");
	im->user_id = user.id;
	snprintf(im->original_filename, sizeof(im->original_filename),
	    "%s.png", name);
	snprintf(im->model_id, sizeof(im->model_id), "local-restore");
	snprintf(im->original_path, sizeof(im->original_path), "%lld/%s.png",
	    (long long)user.id, name);
	snprintf(im->processed_path, sizeof(im->processed_path),
	    "%lld/%s-p.png", (long long)user.id, name);
	if (with_orig)
		put(cfg->upload_dir, im->original_path);
	if (with_proc)
		put(cfg->processed_dir, im->processed_path);
	if (db_image_insert(db, im, t) != PR_OK)
		fail("image row");
	id = im->id;
	free(im);
	return id;
}

static int
row_exists(int64_t id)
{
	struct image	*im;
	enum pr_err	 e;

	if ((im = malloc(sizeof(*im))) == NULL)
		fail("malloc");
	e = db_image_get(db, id, user.id, im);
	free(im);
	return e == PR_OK;
}

static void
t_retention(void)
{
	struct cleanup_stats	 st;
	int64_t			 old, half, stuck, fresh;
	char			 p[PATH_MAX * 2], uid[32];

	cfg->retention_days = 7;
	old = image("old", now - 8 * DAY, 1, 1);
	half = image("half", now - 30 * DAY, 1, 0);
	stuck = image("stuck", now - 9 * DAY, 1, 0);
	fresh = image("fresh", now - 6 * DAY, 1, 1);
	/* stuck's processed "file" is a non-empty directory: unlink fails. */
	snprintf(uid, sizeof(uid), "%lld", (long long)user.id);
	snprintf(p, sizeof(p), "%s/%s/stuck-p.png", cfg->processed_dir, uid);
	if (mkdir(p, 0750) == -1)
		fail(p);
	put(cfg->processed_dir, "1/stuck-p.png/inner");

	is_int(cleanup_run(cfg, db, now, &st), PR_OK, "cleanup_run succeeds");
	is_int(st.images, 2, "two old images deleted");
	is_int(st.files, 4, "their files, and stuck's original, counted");
	is_int(st.failed, 1, "one image kept: a file could not go");
	ok(!row_exists(old) && !exists(cfg->upload_dir, "1/old.png") &&
	    !exists(cfg->processed_dir, "1/old-p.png"),
	    "old image: row and both files gone");
	ok(!row_exists(half) && !exists(cfg->upload_dir, "1/half.png"),
	    "an image missing a file still goes");
	ok(row_exists(stuck), "the row stays while a file cannot be removed");
	ok(row_exists(fresh) && exists(cfg->upload_dir, "1/fresh.png") &&
	    exists(cfg->processed_dir, "1/fresh-p.png"),
	    "a newer image stays with its files");

	/* Once the obstacle is gone, the next run finishes the job. */
	snprintf(p, sizeof(p), "%s/1/stuck-p.png/inner", cfg->processed_dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/1/stuck-p.png", cfg->processed_dir);
	rmdir(p);
	is_int(cleanup_run(cfg, db, now, &st), PR_OK, "second run");
	is_int(st.images, 1, "the kept image goes now");
	is_int(st.failed, 0, "nothing kept");
	ok(!row_exists(stuck), "its row is gone");
}

static void
t_keep(void)
{
	struct cleanup_stats	 st;
	int64_t			 id;

	is_int(cfg->retention_days, 0, "retention_days defaults to 0");
	id = image("ancient", now - 3650 * DAY, 1, 1);
	is_int(cleanup_run(cfg, db, now, &st), PR_OK, "cleanup_run succeeds");
	is_int(st.images, 0, "no image deleted");
	is_int(st.files, 0, "no file removed");
	ok(row_exists(id) && exists(cfg->upload_dir, "1/ancient.png") &&
	    exists(cfg->processed_dir, "1/ancient-p.png"),
	    "a ten-year-old image stays with its files");
}

static void
t_sessions(void)
{
	struct cleanup_stats	 st;
	struct session		 s;
	struct image		*im;
	char			 dead[37], live[37];
	int64_t			 id;

	if (pr_uuid4(dead) == -1 || pr_uuid4(live) == -1)
		fail("uuid");
	memset(&s, 0, sizeof(s));
	s.user_id = user.id;
	snprintf(s.session_id, sizeof(s.session_id), "%s", dead);
	s.expires_at = now - 10;
	if (db_session_insert(db, &s, now - DAY) != PR_OK)
		fail("session");
	snprintf(s.session_id, sizeof(s.session_id), "%s", live);
	s.expires_at = now + 3600;
	if (db_session_insert(db, &s, now) != PR_OK)
		fail("session");
	if ((im = calloc(1, sizeof(*im))) == NULL)
		fail("calloc");
	im->user_id = user.id;
	snprintf(im->session_id, sizeof(im->session_id), "%s", dead);
	snprintf(im->original_filename, sizeof(im->original_filename), "a");
	snprintf(im->model_id, sizeof(im->model_id), "local-restore");
	snprintf(im->original_path, sizeof(im->original_path), "1/s.png");
	snprintf(im->processed_path, sizeof(im->processed_path), "1/s-p.png");
	put(cfg->upload_dir, im->original_path);
	put(cfg->processed_dir, im->processed_path);
	if (db_image_insert(db, im, now - DAY) != PR_OK)
		fail("image");
	id = im->id;

	is_int(cleanup_run(cfg, db, now, &st), PR_OK, "cleanup_run succeeds");
	is_int(st.sessions, 1, "one expired session deleted");
	is_int(db_session_by_uuid(db, dead, &s), PR_ENOTFOUND,
	    "the expired session is gone");
	is_int(db_session_by_uuid(db, live, &s), PR_OK, "the live one stays");
	is_int(db_image_get(db, id, user.id, im), PR_OK,
	    "the expired session's image stays in the history");
	is_str(im->session_id, dead, "with its session id");
	free(im);
}

static void
t_temp(void)
{
	struct cleanup_stats	 st;
	struct timespec		 ts[2];
	char			 p[PATH_MAX * 2];

	put(cfg->upload_dir, "1/" STORE_TMP_PREFIX "stale.png");
	put(cfg->processed_dir, "1/" STORE_TMP_PREFIX "stale.png");
	put(cfg->upload_dir, "1/" STORE_TMP_PREFIX "busy.png");
	put(cfg->upload_dir, "1/kept.png");
	ts[0].tv_sec = ts[1].tv_sec = (time_t)(now - 7200);
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	snprintf(p, sizeof(p), "%s/1/" STORE_TMP_PREFIX "stale.png",
	    cfg->upload_dir);
	if (utimensat(AT_FDCWD, p, ts, 0) == -1)
		fail(p);
	snprintf(p, sizeof(p), "%s/1/" STORE_TMP_PREFIX "stale.png",
	    cfg->processed_dir);
	if (utimensat(AT_FDCWD, p, ts, 0) == -1)
		fail(p);
	snprintf(p, sizeof(p), "%s/1/kept.png", cfg->upload_dir);
	if (utimensat(AT_FDCWD, p, ts, 0) == -1)
		fail(p);

	is_int(cleanup_run(cfg, db, now, &st), PR_OK, "cleanup_run succeeds");
	is_int(st.temp_files, 2, "two stale temporary files removed");
	ok(!exists(cfg->upload_dir, "1/" STORE_TMP_PREFIX "stale.png") &&
	    !exists(cfg->processed_dir, "1/" STORE_TMP_PREFIX "stale.png"),
	    "stale temporary files gone from both roots");
	ok(exists(cfg->upload_dir, "1/" STORE_TMP_PREFIX "busy.png"),
	    "a fresh temporary file (a restore in progress) stays");
	ok(exists(cfg->upload_dir, "1/kept.png"),
	    "other files are not touched");
}

static void
t_paths(void)
{
	static const char *const bad[] = { "", "/etc/passwd", "../x",
	    "1/../../x", "1/./x", "1//x", "1/", "a\nb", ".." };
	char	 out[PATH_MAX];
	size_t	 i;

	is_int(store_path("/srv/up", "1/abc.png", out, sizeof(out)), 0,
	    "a plain relative path");
	is_str(out, "/srv/up/1/abc.png", "joined");
	is_int(store_path("/srv/up", "sess/x_my photo.png", out, sizeof(out)),
	    0, "an imported name with a space");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(store_path("/srv/up", bad[i], out, sizeof(out)), -1,
		    "refused: \"%s\"", bad[i]);
	is_int(store_path("/srv/up", "1/abc.png", out, 10), -1,
	    "too long for the buffer");
}

int
main(int argc, char *argv[])
{
	const char	*b = argc > 1 ? argv[1] : "";

	if (strcmp(b, "paths") == 0)
		t_paths();
	else {
		setup();
		if (strcmp(b, "retention") == 0)
			t_retention();
		else if (strcmp(b, "keep") == 0)
			t_keep();
		else if (strcmp(b, "sessions") == 0)
			t_sessions();
		else if (strcmp(b, "temp") == 0)
			t_temp();
		else {
			fprintf(stderr, "usage: cleanup retention|keep|"
			    "sessions|temp|paths\n");
			return 2;
		}
		db_close(db);
		cfg_free(cfg);
	}
	return done_testing();
}
