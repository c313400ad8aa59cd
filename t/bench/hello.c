/*
 * t/bench/hello.c: the reference for `make bench` (scripts/bench): the
 * smallest FastCGI program we can write on the same library (libfcgi,
 * FCGX_*_r) and in the same shape as ours (a socket on fd 0 from
 * spawn-fcgi, N preforked processes accepting on it), answering every
 * request with a fixed JSON body the size of /api/v1/health's.  It does
 * no parsing, no database and no logging: the gap between it and a real
 * route is what our own code costs.
 *
 *   spawn-fcgi -s hello.sock -- hello [processes]	(default 2)
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

static const char answer[] =
    "Status: 200 OK\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 68\r\n"
    "Cache-Control: no-store\r\n"
    "\r\n"
    "{\"status\":\"healthy\",\"app\":\"Photo Restoration API\",\"version\":\"1.0.0\"}";

static int
serve(void)
{
	FCGX_Request	 rq;

	if (FCGX_InitRequest(&rq, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&rq) >= 0) {
		FCGX_PutStr(answer, (int)sizeof(answer) - 1, rq.out);
		FCGX_Finish_r(&rq);
	}
	return 0;
}

static volatile sig_atomic_t	 stop;

static void
onterm(int sig)
{

	(void)sig;
	stop = 1;
}

/*
 * The parent only holds the children and, on SIGTERM, stops them: the
 * pid spawn-fcgi writes is the parent's, so stopping it stops all.
 */
int
main(int argc, char *argv[])
{
	struct sigaction sa;
	pid_t	 kids[64];
	int	 n = 2, i;

	if (argc > 1)
		n = (int)strtol(argv[1], NULL, 10);
	if (n < 1 || n > 64)
		n = 2;
	if (FCGX_Init() != 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	/* No SA_RESTART: the wait below must return on SIGTERM. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = onterm;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (i = 0; i < n; i++) {
		if ((kids[i] = fork()) == -1)
			return 1;
		if (kids[i] == 0) {
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			_exit(serve());
		}
	}
	while (!stop && wait(NULL) > 0)
		continue;
	for (i = 0; i < n; i++)
		kill(kids[i], SIGTERM);
	while (wait(NULL) > 0)
		continue;
	return 0;
}
