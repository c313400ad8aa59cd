/*
 * fcgi.c: the FastCGI transport (the only file that includes fcgiapp.h)
 * and the small prefork master every FastCGI program runs.
 *
 * spawn-fcgi creates the listening socket and executes the program with
 * it on fd 0 (like slowcgi hands sockets to its children).  The master
 * loads and checks the configuration, runs the migrations once, then
 * keeps cfg->workers children accepting on that socket: a child that
 * exits (recycled after cfg->max_requests, or killed) is replaced at
 * once.  SIGTERM stops the children gracefully: an idle child exits, a
 * busy one finishes its request first.  Started as root (outside
 * systemd, whose units start it as the service user), it switches to
 * PHOTORESTORE_USER once the socket and the log are open, before it
 * touches the keys or the database.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "photorestore.h"

#define MAX_WORKERS	64

static volatile sig_atomic_t	 stop_flag;
static volatile sig_atomic_t	 busy_flag;
static volatile sig_atomic_t	 child_flag;

struct fcgi_io {
	FCGX_Request	*rq;
	int64_t		 left;		/* CONTENT_LENGTH bytes not yet read */
};

static void
child_term(int sig)
{

	(void)sig;
	if (!busy_flag)
		_exit(0);
	stop_flag = 1;
}

static void
master_term(int sig)
{

	(void)sig;
	stop_flag = 1;
}

static void
master_chld(int sig)
{

	(void)sig;
	child_flag = 1;
}

/* Body reader for stream routes: never past CONTENT_LENGTH. */
static ssize_t
fcgi_read(struct req *q, void *buf, size_t n)
{
	struct fcgi_io	*io = q->io;
	int		 got;

	if (io->left <= 0)
		return 0;
	if ((int64_t)n > io->left)
		n = (size_t)io->left;
	if (n > INT_MAX)
		n = INT_MAX;
	got = FCGX_GetStr(buf, (int)n, io->rq->in);
	if (got < 0)
		return -1;
	if (got == 0)
		return FCGX_HasSeenEOF(io->rq->in) ? -1 : 0;
	io->left -= got;
	return got;
}

/* Write the answer: Status line with phrase, headers, body. */
static void
fcgi_write(FCGX_Request *rq, struct resp *r, int head_only)
{
	char	 hdr[512];
	int	 n;

	n = snprintf(hdr, sizeof(hdr), "Status: %d %s\r\n", r->status,
	    http_reason(r->status));
	FCGX_PutStr(hdr, n, rq->out);
	if (r->content_type != NULL) {
		n = snprintf(hdr, sizeof(hdr), "Content-Type: %s\r\n"
		    "Content-Length: %zu\r\n", r->content_type, r->body.len);
		FCGX_PutStr(hdr, n, rq->out);
	} else if (r->status != 204 && r->status != 304)
		FCGX_PutStr("Content-Length: 0\r\n", 19, rq->out);
	if (r->headers.len > 0)
		FCGX_PutStr(r->headers.data, (int)r->headers.len, rq->out);
	FCGX_PutStr("\r\n", 2, rq->out);
	if (!head_only && r->content_type != NULL && r->body.len > 0)
		FCGX_PutStr(r->body.data, (int)r->body.len, rq->out);
}

/* A parameter or NULL. */
static const char *
param(FCGX_Request *rq, const char *name)
{

	return FCGX_GetParam(name, rq->envp);
}

/*
 * Health check (API.md §5): 200 healthy when the database reads, else
 * 503 unhealthy.
 */
void
health_handler(struct req *q, struct resp *r)
{
	cJSON	*o;
	int	 ok;

	ok = q->db != NULL && db_ping(q->db) == PR_OK;
	if ((o = cJSON_CreateObject()) == NULL) {
		resp_json(r, 500, NULL);
		return;
	}
	cJSON_AddStringToObject(o, "status", ok ? "healthy" : "unhealthy");
	cJSON_AddStringToObject(o, "app", q->cfg->app_name);
	cJSON_AddStringToObject(o, "version", q->cfg->app_version);
	if (!ok)
		cJSON_AddStringToObject(o, "detail", "Database unavailable");
	resp_json(r, ok ? 200 : 503, o);
}

/* Serve one accepted request. */
static int
serve(const struct app *app, struct config *cfg, struct db **dbp,
    FCGX_Request *rq)
{
	struct req		 q;
	struct resp		 r;
	struct fcgi_io		 io;
	const struct route	*rt = NULL;
	const char		*s, *uri;
	char			 path[4096], rid[64];
	struct buf		 body;
	long long		 cl = -1;
	char			 chunk[16384];
	ssize_t			 got;
	int			 head = 0;

	memset(&q, 0, sizeof(q));
	resp_init(&r);
	buf_init(&body, REQ_JSON_MAX);
	q.cfg = cfg;
	q.now = pr_now();
	q.method = (s = param(rq, "REQUEST_METHOD")) ? s : "GET";
	if (strcmp(q.method, "HEAD") == 0) {
		q.method = "GET";
		head = 1;
	}
	if ((uri = param(rq, "DOCUMENT_URI")) == NULL &&
	    (uri = param(rq, "REQUEST_URI")) == NULL)
		uri = "/";
	snprintf(path, sizeof(path), "%.*s", (int)strcspn(uri, "?"), uri);
	q.path = path;
	q.query = (s = param(rq, "QUERY_STRING")) ? s : "";
	q.authorization = param(rq, "HTTP_AUTHORIZATION");
	q.content_type = param(rq, "CONTENT_TYPE");
	q.user_agent = param(rq, "HTTP_USER_AGENT");
	q.remote_addr = param(rq, "REMOTE_ADDR");
	if ((s = param(rq, "REQUEST_ID")) == NULL || strlen(s) > 40) {
		if (pr_uuid4(rid) == -1)
			rid[0] = '\0';
		s = rid;
	}
	q.request_id = s;
	log_set_request_id(s);
	q.content_length = -1;
	if ((s = param(rq, "CONTENT_LENGTH")) != NULL && *s != '\0') {
		if (pr_strtonum(s, 0, INT64_MAX, &cl) == -1) {
			resp_error(&r, 400, "Invalid Content-Length");
			goto out;
		}
		q.content_length = cl;
	}
	io.rq = rq;
	io.left = cl > 0 ? cl : 0;
	q.io = &io;
	q.read = fcgi_read;

	if (*dbp == NULL && db_open(cfg, dbp) != PR_OK)
		*dbp = NULL;
	q.db = *dbp;

	rt = http_route(app->routes, app->nroutes, &q);
	if (rt != NULL && !(rt->flags & RT_STREAM) && io.left > 0) {
		if (io.left > REQ_JSON_MAX) {
			resp_error(&r, 413, "Request body too large");
			goto out;
		}
		while ((got = fcgi_read(&q, chunk, sizeof(chunk))) > 0)
			if (buf_append(&body, chunk, (size_t)got) != PR_OK)
				break;
		if (got < 0 || io.left > 0) {
			resp_error(&r, 400, "Incomplete request body");
			goto out;
		}
		q.body = body.data;
		q.bodylen = body.len;
	}
	if (rt != NULL && q.db == NULL && rt->fn != health_handler) {
		resp_error(&r, 503, "Database unavailable");
		goto out;
	}
	http_dispatch(app->routes, app->nroutes, &q, &r);
out:
	if (r.content_type != NULL &&
	    strncmp(r.content_type, "application/json", 16) == 0 &&
	    (r.headers.data == NULL ||
	    strstr(r.headers.data, "Cache-Control:") == NULL))
		resp_header(&r, "Cache-Control", "no-store");
	/* Drain what the handler did not read, within reason. */
	while (io.left > 0 && fcgi_read(&q, chunk, sizeof(chunk)) > 0)
		continue;
	fcgi_write(rq, &r, head);
	log_info("%s %s %d", head ? "HEAD" : q.method, q.path, r.status);
	log_set_request_id(NULL);
	resp_free(&r);
	/* The body may hold passwords. */
	if (body.data != NULL)
		pr_wipe(body.data, body.cap);
	buf_free(&body);
	return rt != NULL && (rt->flags & RT_STREAM);
}

/* The child: accept and serve until recycled or told to stop. */
static int
child_main(const struct app *app, struct config *cfg, int fd)
{
	FCGX_Request	 rq;
	struct db	*db = NULL;
	int		 n = 0, big;
	struct sigaction sa;
	sigset_t	 none;

	sigemptyset(&none);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = child_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if (db_open(cfg, &db) != PR_OK)
		db = NULL;
	if (FCGX_InitRequest(&rq, fd, 0) != 0)
		return 1;
	while (!stop_flag && n < cfg->max_requests) {
		if (FCGX_Accept_r(&rq) < 0)
			break;
		busy_flag = 1;
		big = serve(app, cfg, &db, &rq);
		FCGX_Finish_r(&rq);
		/*
		 * An upload's image buffers were freed, but glibc keeps the
		 * freed heap (its mmap threshold adapts upwards): give it
		 * back, or each worker keeps megabytes it rarely needs.
		 */
		if (big)
			malloc_trim(0);
		busy_flag = 0;
		n++;
	}
	db_close(db);
	return 0;
}

/* Fork one worker; returns its pid or -1. */
static pid_t
spawn(const struct app *app, struct config *cfg, int fd)
{
	pid_t	 pid;

	if ((pid = fork()) == -1) {
		log_error("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0)
		_exit(child_main(app, cfg, fd));
	return pid;
}

/*
 * Load the configuration and open the log; print problems to stderr
 * and the log.  Returns 0 or -1.
 */
static int
startup(const struct app *app, const struct runas *ra,
    struct config **cfgp)
{
	struct config	*cfg = NULL;
	char		 err[1024], logf[PATH_MAX];
	const char	*vd;

	if (cfg_load(&cfg, err, sizeof(err)) != PR_OK) {
		/* Report it on stderr and in the default log file. */
		if ((vd = getenv("VARDIR")) == NULL || *vd == '\0')
			vd = "var";
		snprintf(logf, sizeof(logf), "%s/log/photorestore.log", vd);
		runas_file(ra, logf);
		log_init(app->name, PRLOG_INFO, logf);
		log_error("configuration: %s", err);
		return -1;
	}
	runas_file(ra, cfg->log_file);
	log_init(app->name, cfg->log_level, cfg->log_file);
	*cfgp = cfg;
	return 0;
}

/*
 * Load (or create) the keys and migrate the database once, as the user
 * the workers run as, so what this creates is theirs.  Returns 0 or -1.
 */
static int
startup_state(struct config *cfg)
{
	struct db	*db = NULL;
	char		 err[1024];
	int		 applied = 0;

	if (cfg_secret(cfg, err, sizeof(err)) != PR_OK) {
		log_error("configuration: %s", err);
		return -1;
	}
	if (db_open(cfg, &db) != PR_OK ||
	    db_migrate(db, &applied) != PR_OK) {
		log_error("database could not be opened or migrated");
		db_close(db);
		return -1;
	}
	db_close(db);
	return 0;
}

/*
 * See photorestore.h.  Options: -s path binds the socket itself (mode
 * 0660) instead of using fd 0; -n N overrides the number of workers.
 */
int
fcgi_main(const struct app *app, int argc, char *argv[])
{
	struct config	*cfg = NULL;
	struct runas	 ra;
	const char	*sock = NULL;
	char		 prog[64];
	pid_t		 kids[MAX_WORKERS], pid;
	int		 c, fd = 0, i, n, status;
	long long	 v;
	struct sigaction sa;
	sigset_t	 block, old;
	time_t		 last_spawn = 0;

	n = -1;
	while ((c = getopt(argc, argv, "n:s:")) != -1) {
		switch (c) {
		case 'n':
			if (pr_strtonum(optarg, 1, MAX_WORKERS, &v) == -1) {
				fprintf(stderr, "%s: -n: 1 to %d\n",
				    app->name, MAX_WORKERS);
				return 2;
			}
			n = (int)v;
			break;
		case 's':
			sock = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s.fcgi [-n workers] "
			    "[-s socket]\n", app->name);
			return 2;
		}
	}
	snprintf(prog, sizeof(prog), "%s.fcgi", app->name);
	if (runas_lookup(prog, &ra) == -1 || startup(app, &ra, &cfg) == -1)
		return 1;
	if (n == -1)
		n = cfg->workers < MAX_WORKERS ? cfg->workers : MAX_WORKERS;
	if (FCGX_Init() != 0) {
		log_error("FCGX_Init failed");
		goto err;
	}
	if (sock != NULL) {
		unlink(sock);
		if ((fd = FCGX_OpenSocket(sock, 128)) < 0 ||
		    chmod(sock, 0660) == -1) {
			log_error("socket %s: %s", sock, strerror(errno));
			goto err;
		}
	} else if (FCGX_IsCGI()) {
		fprintf(stderr, "%s.fcgi: standard input is not a FastCGI "
		    "socket: start me with spawn-fcgi or -s socket\n",
		    app->name);
		goto err;
	}
	/* Everything root was needed for is open: switch users. */
	if (sock != NULL && ra.drop && chown(sock, ra.uid, ra.gid) == -1) {
		log_error("socket %s: %s", sock, strerror(errno));
		goto err;
	}
	if (runas_drop(&ra, cfg) == -1 || startup_state(cfg) == -1)
		goto err;

	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = master_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = master_chld;
	sigaction(SIGCHLD, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	crypto_warm();
	for (i = 0; i < n; i++)
		kids[i] = spawn(app, cfg, fd);
	log_info("serving with %d workers", n);
	while (!stop_flag) {
		/* Respawn any child that exited; throttle crash loops. */
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			for (i = 0; i < n; i++)
				if (kids[i] == pid)
					kids[i] = -1;
			if (WIFSIGNALED(status))
				log_warn("worker %d killed by signal %d",
				    (int)pid, WTERMSIG(status));
		}
		for (i = 0; i < n && !stop_flag; i++) {
			if (kids[i] != -1)
				continue;
			if (time(NULL) == last_spawn && i == 0)
				usleep(100000);
			kids[i] = spawn(app, cfg, fd);
			last_spawn = time(NULL);
		}
		if (!child_flag && !stop_flag)
			sigsuspend(&old);
		child_flag = 0;
	}
	for (i = 0; i < n; i++)
		if (kids[i] > 0)
			kill(kids[i], SIGTERM);
	for (i = 0; i < n; i++)
		if (kids[i] > 0)
			waitpid(kids[i], NULL, 0);
	log_info("stopped");
	cfg_free(cfg);
	return 0;
err:
	cfg_free(cfg);
	return 1;
}
