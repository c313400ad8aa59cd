/*
 * log.c: levelled logging to standard error and optionally a file, one
 * line per message with time, level, program, pid and request id.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "photorestore.h"

static char		 log_prog[32] = "photorestore";
static enum prlog_level	 log_min = PRLOG_INFO;
static int		 log_fd = -1;
static char		 log_rid[64];

static const char *const log_names[] = { "debug", "info", "warning",
	"error" };

/*
 * Set the program name, the minimum level and an optional log file
 * (appended to; created 0640).  A file that cannot be opened is reported
 * on stderr and logging goes on to stderr alone.
 */
void
log_init(const char *prog, enum prlog_level lvl, const char *file)
{

	snprintf(log_prog, sizeof(log_prog), "%s", prog);
	log_min = lvl;
	if (log_fd != -1) {
		close(log_fd);
		log_fd = -1;
	}
	if (file != NULL && *file != '\0') {
		log_fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		    0640);
		if (log_fd == -1)
			fprintf(stderr, "%s: log file %s: %s\n", log_prog,
			    file, strerror(errno));
	}
}

/*
 * Parse "debug", "info", "warning"/"warn", "error" (any case).
 * Returns 0 or -1.
 */
int
log_level_parse(const char *s, enum prlog_level *out)
{

	if (strcasecmp(s, "debug") == 0)
		*out = PRLOG_DEBUG;
	else if (strcasecmp(s, "info") == 0)
		*out = PRLOG_INFO;
	else if (strcasecmp(s, "warning") == 0 || strcasecmp(s, "warn") == 0)
		*out = PRLOG_WARN;
	else if (strcasecmp(s, "error") == 0 || strcasecmp(s, "critical") == 0)
		*out = PRLOG_ERROR;
	else
		return -1;
	return 0;
}

/*
 * Set the request id printed with each following line ("" or NULL for
 * none).
 */
void
log_set_request_id(const char *id)
{

	snprintf(log_rid, sizeof(log_rid), "%s", id != NULL ? id : "");
}

/*
 * Log one message at the given level.  Control characters in the message
 * are replaced so that a hostile value cannot forge log lines.
 */
void
log_msg(enum prlog_level lvl, const char *fmt, ...)
{
	char		 msg[2048], line[2304], ts[32];
	va_list		 ap;
	size_t		 i;
	int		 n;

	if (lvl < log_min || (unsigned)lvl > PRLOG_ERROR)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (i = 0; msg[i] != '\0'; i++)
		if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
			msg[i] = '?';
	pr_isotime(pr_now(), ts);
	n = snprintf(line, sizeof(line), "%s %s %s[%d]%s%s: %s\n", ts,
	    log_names[lvl], log_prog, (int)getpid(),
	    log_rid[0] != '\0' ? " req=" : "", log_rid, msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* Nothing sensible to do. */
	}
	if (log_fd != -1 && write(log_fd, line, (size_t)n) < 0) {
		/* Likewise. */
	}
}
