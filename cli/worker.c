/*
 * worker.c: `photorestore worker` (photorestore(1)), the background
 * runner of POST /api/v1/jobs (issue 10).
 *
 * A small master forks processing.worker_concurrency children and keeps
 * them alive.  Each child opens its own database handle and loops: take
 * a job with a lease (db_job_lease: the oldest unfinished job whose lease
 * has run out becomes ours until now + processing.job_lease_seconds),
 * then run its items one by one, renewing the lease before each, until
 * the job is over, cancelled, or we are told to stop.  A killed child's
 * job is taken again by any worker once its lease has run out, and the
 * interrupted item runs again: an item's image row, its end and the
 * job's count are written in one transaction that also checks that we
 * still hold the lease, so an item never yields two rows.
 *
 * Each item is run as POST /api/v1/restore runs a file: the result cache
 * first (the same user, input bytes, model and canonical parameters give
 * the stored result again, without the provider), else provider_run();
 * the result is stored durably, then the row.  The upload stored by
 * restore.fcgi becomes the image's original.
 *
 * SIGTERM or SIGINT: the master passes it on; each child finishes the
 * item in hand, gives its lease back and exits.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "photorestore.h"
#include "cli.h"

#define WORKER_MAX	64
#define INPUT_MAX	((size_t)2048 * 1024 * 1024)
#define POLL_MS		300
#define ITEM_TRIES	3	/* runs of one item by one child */

static volatile sig_atomic_t stopping;

static void
on_stop(int sig)
{

	(void)sig;
	stopping = 1;
}

/* Sleep ms milliseconds unless a signal comes first. */
static void
nap(int ms)
{
	struct timespec	 ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	(void)nanosleep(&ts, NULL);
}

/* Read a stored upload whole.  Returns 0 or -1 (errno). */
static int
read_input(const char *path, struct buf *b)
{
	char		 chunk[64 * 1024];
	ssize_t		 n;
	int		 fd, saved;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return -1;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			goto err;
		}
		if (buf_append(b, chunk, (size_t)n) != PR_OK) {
			errno = EFBIG;
			goto err;
		}
	}
	close(fd);
	return 0;
err:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/* What a child knows while it runs a job. */
struct wctx {
	const struct config	*cfg;
	struct db		*db;
	char			 owner[JOB_OWNER_MAX];
	int64_t			 lease;		/* seconds */
};

/*
 * The lease an item needs: job_lease_seconds, plus the provider's
 * timeout for every attempt when the model goes out over the network.
 */
static int64_t
item_lease(const struct wctx *w, const cJSON *model)
{
	const struct provider_cfg	*pc = NULL;
	const char			*prov;

	prov = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(model,
	    "provider"));
	if (prov != NULL && strcmp(prov, "huggingface") == 0)
		pc = &w->cfg->hf;
	else if (prov != NULL && strcmp(prov, "replicate") == 0)
		pc = &w->cfg->replicate;
	if (pc == NULL)
		return w->lease;
	return w->lease + (int64_t)pc->timeout_seconds *
	    (pc->retry_attempts + 1) + (int64_t)(pc->retry_delay_seconds *
	    (pc->retry_attempts + 1) * 4);
}

/*
 * Write an item's end in one transaction with (for a success) its image
 * row, the day's count and the cache entry, checking that we still hold
 * the job's lease.  im is NULL for a failure.  On a lost lease or an
 * error nothing is written and -1 is returned (the caller removes what
 * it stored).
 */
static int
item_commit(struct wctx *w, const struct job *j, struct job_item *it,
    struct image *im, const struct image *reuse_src, int64_t expires)
{
	char		 day[16];
	int64_t		 now = pr_now();
	enum pr_err	 e;

	if ((e = db_begin(w->db)) != PR_OK)
		goto err;
	if ((e = db_job_renew(w->db, j->id, w->owner, expires)) != PR_OK) {
		if (e == PR_ENOTFOUND)
			log_warn("job %lld: lease lost; item %lld is left to "
			    "its new holder", (long long)j->id,
			    (long long)it->id);
		goto err;
	}
	if (im != NULL) {
		e = reuse_src != NULL ? store_reuse(w->cfg, w->db, reuse_src,
		    im, now) : db_image_insert(w->db, im, now);
		if (e != PR_OK)
			goto err;
		it->image_id = im->id;
		usage_day(now, day, NULL);
		if ((e = db_usage_add(w->db, j->user_id, day, 1)) != PR_OK)
			goto err;
		if (reuse_src == NULL && (e = db_cache_put(w->db, j->user_id,
		    it->input_sha256, j->model_id, j->params_canonical,
		    im->id)) != PR_OK)
			goto err;
	}
	if ((e = db_job_item_finish(w->db, it, now)) != PR_OK)
		goto err;
	if ((e = db_commit(w->db)) != PR_OK)
		goto err;
	return 0;
err:
	if (e != PR_ENOTFOUND)
		log_error("job %lld item %lld: %s", (long long)j->id,
		    (long long)it->id, pr_strerror(e));
	db_rollback(w->db);
	return -1;
}

/* Record an item's failure with §4.2's status and detail. */
static void
item_fail(struct wctx *w, const struct job *j, struct job_item *it,
    int status, const char *detail)
{

	snprintf(it->status, sizeof(it->status), "failed");
	it->error_status = status;
	snprintf(it->error_detail, sizeof(it->error_detail), "%s", detail);
	if (item_commit(w, j, it, NULL, NULL, pr_now() + w->lease) == 0) {
		store_undo(w->cfg->upload_dir, it->upload_path);
		log_info("job %lld item %lld failed: %d %s", (long long)j->id,
		    (long long)it->id, status, detail);
	}
}

/*
 * Run one item: the cache, else the provider; store, then commit.
 */
static void
item_run(struct wctx *w, const struct job *j, struct job_item *it)
{
	const struct config	*cfg = w->cfg;
	const cJSON		*model, *en;
	cJSON			*params = NULL;
	struct prov_result	 res;
	struct image		*im = NULL, *src = NULL;
	struct buf		 in;
	char			 path[PATH_MAX], sub[32], name[64], uuid[37];
	char			 detail[1024];
	int64_t			 cached, expires;
	enum img_format		 infmt, outfmt;
	enum prov_err		 pe;
	int			 status, have_proc = 0;

	memset(&res, 0, sizeof(res));
	buf_init(&in, INPUT_MAX);
	model = cfg_model(cfg, j->model_id);
	en = cJSON_GetObjectItemCaseSensitive(model, "enabled");
	if (model == NULL || !cJSON_IsTrue(en) || !provider_available(cfg,
	    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(model,
	    "provider")))) {
		snprintf(detail, sizeof(detail), "Unknown model: %s",
		    j->model_id);
		item_fail(w, j, it, 400, detail);
		goto out;
	}
	expires = pr_now() + item_lease(w, model);
	if (db_job_renew(w->db, j->id, w->owner, expires) != PR_OK)
		goto out;	/* lost: the new holder runs it */
	if ((im = calloc(1, sizeof(*im))) == NULL ||
	    (src = calloc(1, sizeof(*src))) == NULL)
		goto out;
	im->user_id = j->user_id;
	snprintf(im->session_id, sizeof(im->session_id), "%s",
	    j->session_uuid);
	snprintf(im->original_filename, sizeof(im->original_filename), "%s",
	    it->original_filename);
	snprintf(im->model_id, sizeof(im->model_id), "%s", j->model_id);
	if (j->has_parameters) {
		snprintf(im->model_parameters, sizeof(im->model_parameters),
		    "%s", j->parameters);
		im->has_model_parameters = 1;
	}

	/* The result cache: no provider run for a result we have. */
	if (db_cache_get(w->db, j->user_id, it->input_sha256, j->model_id,
	    j->params_canonical, &cached) == PR_OK &&
	    db_image_get(w->db, cached, j->user_id, src) == PR_OK) {
		snprintf(it->status, sizeof(it->status), "done");
		if (item_commit(w, j, it, im, src, expires) == 0) {
			store_undo(cfg->upload_dir, it->upload_path);
			log_info("job %lld item %lld: image %lld (cached)",
			    (long long)j->id, (long long)it->id,
			    (long long)im->id);
			goto out;
		}
		/* The cached files may be gone: run the model. */
	}

	if (store_path(cfg->upload_dir, it->upload_path, path,
	    sizeof(path)) == -1 || read_input(path, &in) == -1) {
		log_error("job %lld item %lld: upload %s: %s",
		    (long long)j->id, (long long)it->id, it->upload_path,
		    strerror(errno));
		item_fail(w, j, it, 500, "Internal Server Error");
		goto out;
	}
	infmt = img_sniff(in.data, in.len);
	if ((params = cJSON_Parse(j->params_canonical)) == NULL) {
		item_fail(w, j, it, 500, "Internal Server Error");
		goto out;
	}
	pe = provider_run(cfg, model, params, (const unsigned char *)in.data,
	    in.len, infmt == IMG_PNG ? "image/png" : "image/jpeg", &res);
	if (pe != PROV_OK) {
		prov_http_error(pe, &res, &status, detail, sizeof(detail));
		item_fail(w, j, it, status, detail);
		goto out;
	}
	if ((outfmt = img_sniff(res.data.data, res.data.len)) == IMG_NONE) {
		item_fail(w, j, it, 502, "Model service error: the model did "
		    "not return a JPEG or PNG image");
		goto out;
	}
	if (pr_uuid4(uuid) == -1)
		goto out;
	snprintf(sub, sizeof(sub), "%lld", (long long)j->user_id);
	snprintf(name, sizeof(name), "%s%s", uuid, outfmt == IMG_PNG ?
	    ".png" : ".jpg");
	snprintf(im->original_path, sizeof(im->original_path), "%s",
	    it->upload_path);
	snprintf(im->processed_path, sizeof(im->processed_path), "%s/%s",
	    sub, name);
	if (store_write(cfg->processed_dir, sub, name, res.data.data,
	    res.data.len) == -1) {
		log_error("job %lld item %lld: storing the result: %s",
		    (long long)j->id, (long long)it->id, strerror(errno));
		goto out;	/* the lease runs out; it is tried again */
	}
	/*
	 * XXX A worker killed between here and the commit leaves this
	 * result file without a row; the item runs again and makes
	 * another.  `photorestore cleanup` does not look for such files.
	 */
	have_proc = 1;
	snprintf(it->status, sizeof(it->status), "done");
	if (item_commit(w, j, it, im, NULL, expires) == 0) {
		have_proc = 0;
		log_info("job %lld item %lld: image %lld with %s",
		    (long long)j->id, (long long)it->id, (long long)im->id,
		    j->model_id);
	}
out:
	if (have_proc)
		store_undo(cfg->processed_dir, im->processed_path);
	prov_result_free(&res);
	cJSON_Delete(params);
	buf_free(&in);
	free(src);
	free(im);
}

/*
 * Run a leased job's items until it is over, cancelled, the lease is
 * lost or we stop; then give the lease back.
 */
static void
job_run(struct wctx *w, struct job *j)
{
	struct job_item	*it;
	int64_t		 last = 0;
	int		 tries = 0;
	enum pr_err	 e;

	if ((it = calloc(1, sizeof(*it))) == NULL)
		return;
	log_info("job %lld: taken by %s", (long long)j->id, w->owner);
	while (!stopping) {
		if (db_job_renew(w->db, j->id, w->owner, pr_now() + w->lease) !=
		    PR_OK)
			break;
		if (db_job_get(w->db, j->id, j->user_id, j) != PR_OK ||
		    (strcmp(j->status, "queued") != 0 &&
		    strcmp(j->status, "running") != 0))
			break;	/* cancelled, or the user is gone */
		e = db_job_next_item(w->db, j->id, it);
		if (e == PR_ENOTFOUND) {
			if (db_job_finish(w->db, j->id, pr_now()) == PR_OK)
				log_info("job %lld: finished", (long long)j->id);
			break;
		}
		if (e != PR_OK)
			break;
		if ((e = db_job_item_start(w->db, it->id)) == PR_ENOTFOUND)
			continue;	/* cancelled meanwhile */
		if (e != PR_OK)
			break;
		/* An item that keeps failing to be stored ends as failed. */
		tries = it->id == last ? tries + 1 : 1;
		last = it->id;
		if (tries > ITEM_TRIES) {
			item_fail(w, j, it, 500, "Internal Server Error");
			break;
		}
		item_run(w, j, it);
	}
	db_job_release(w->db, j->id, w->owner);
	free(it);
}

/* One child: lease jobs and run them until told to stop. */
static int
child_main(const struct config *cfg, pid_t master)
{
	struct wctx	 w;
	struct job	*j;
	unsigned char	 rnd[6];
	enum pr_err	 e;
	int		 fails = 0;

#ifdef __linux__
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
	memset(&w, 0, sizeof(w));
	w.cfg = cfg;
	w.lease = cfg_processing(cfg, "job_lease_seconds", 60);
	if (pr_random(rnd, sizeof(rnd)) == -1)
		return 1;
	snprintf(w.owner, sizeof(w.owner), "%ld-%02x%02x%02x%02x%02x%02x",
	    (long)getpid(), rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return 1;
	if (db_open(cfg, &w.db) != PR_OK) {
		free(j);
		return 1;
	}
	while (!stopping && getppid() == master) {
		e = db_job_lease(w.db, w.owner, pr_now(), pr_now() + w.lease, j);
		if (e == PR_OK) {
			fails = 0;
			job_run(&w, j);
		} else if (e == PR_ENOTFOUND) {
			fails = 0;
			nap(POLL_MS);
		} else {
			/* Logged once; then back off up to 10 s. */
			if (fails++ == 0)
				log_warn("worker: could not take a job: %s",
				    pr_strerror(e));
			nap(fails < 30 ? POLL_MS * fails : 10000);
		}
	}
	db_close(w.db);
	free(j);
	return 0;
}

/* Fork a child; returns its pid or -1. */
static pid_t
spawn(const struct config *cfg, pid_t master)
{
	pid_t	 pid;

	if ((pid = fork()) == -1) {
		log_error("worker: fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0)
		_exit(child_main(cfg, master));
	return pid;
}

/*
 * photorestore worker: run the job queue with
 * processing.worker_concurrency children until SIGTERM or SIGINT.
 * Returns the exit status: 0 after a clean stop, 1 when it could not
 * start (configuration or database).
 */
int
cmd_worker(int argc, char *argv[])
{
	struct config		*cfg = NULL;
	struct db		*db = NULL;
	struct sigaction	 sa;
	struct runas		 ra;
	pid_t			 kids[WORKER_MAX], pid, master = getpid();
	char			 err[1024];
	int64_t			 n, i;
	int			 applied, status, rc = 1, alive;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "usage: photorestore worker\n");
		return 2;
	}
	if (runas_lookup("photorestore worker", &ra) == -1)
		return 1;
	if (cfg_load(&cfg, err, sizeof(err)) != PR_OK) {
		fprintf(stderr, "photorestore: configuration: %s\n", err);
		return 1;
	}
	runas_file(&ra, cfg->log_file);
	log_init("worker", cfg->log_level, cfg->log_file);
	/* Started as root outside systemd: switch users before the database. */
	if (runas_drop(&ra, cfg) == -1) {
		fprintf(stderr, "photorestore: could not switch to user %s\n",
		    ra.name);
		goto out;
	}
	if (db_open(cfg, &db) != PR_OK || db_migrate(db, &applied) != PR_OK) {
		log_error("worker: database could not be opened or migrated");
		fprintf(stderr, "photorestore: database could not be opened "
		    "or migrated\n");
		goto out;
	}
	db_close(db);
	db = NULL;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	n = cfg_processing(cfg, "worker_concurrency", 1);
	if (n < 1 || n > WORKER_MAX)
		n = 1;
	for (i = 0; i < n; i++)
		kids[i] = spawn(cfg, master);
	log_info("worker: %lld children running the job queue", (long long)n);
	while (!stopping) {
		pid = waitpid(-1, &status, 0);
		if (pid == -1) {
			if (errno == EINTR)
				continue;
			nap(1000);
		}
		for (i = 0; i < n && !stopping; i++)
			if (kids[i] == -1 || kids[i] == pid) {
				if (kids[i] == pid)
					log_warn("worker: child %ld ended; "
					    "starting another", (long)pid);
				nap(200);
				kids[i] = spawn(cfg, master);
			}
	}
	for (i = 0; i < n; i++)
		if (kids[i] > 0)
			kill(kids[i], SIGTERM);
	do {
		alive = 0;
		for (i = 0; i < n; i++) {
			if (kids[i] <= 0)
				continue;
			if (waitpid(kids[i], &status, 0) == kids[i] ||
			    errno == ECHILD)
				kids[i] = -1;
			else
				alive = 1;
		}
	} while (alive);
	log_info("worker: stopped");
	rc = 0;
out:
	db_close(db);
	cfg_free(cfg);
	return rc;
}
