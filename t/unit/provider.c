/*
 * provider.c: tests of the provider interface against the fake provider
 * server (t/lib/fakeprovider.pl), which this program starts on a free
 * 127.0.0.1 port and stops at the end.  argv[1] names the behaviour:
 * hf-ok, replicate-ok, replicate-errors, rate-limit, loading, timeout,
 * errors, local.  Run from the top of the checkout.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "photorestore.h"
#include "tap.h"

/* A 16x12 RGB PNG made with zlib (not by the code under test). */
static const unsigned char png16x12[] = {
	0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d,
	0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x0c,
	0x08, 0x02, 0x00, 0x00, 0x00, 0xe4, 0x85, 0xaa, 0xd6, 0x00, 0x00, 0x01,
	0xfa, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x15, 0xd0, 0x31, 0x48, 0x1c,
	0x41, 0x18, 0x86, 0xe1, 0x0f, 0x02, 0xa2, 0x20, 0xba, 0x39, 0x46, 0x38,
	0x10, 0x8e, 0x15, 0x8e, 0x64, 0x94, 0x08, 0x53, 0x1d, 0x81, 0x0c, 0xb8,
	0x48, 0x8a, 0xc3, 0x40, 0xf8, 0x05, 0xab, 0x6b, 0xb2, 0xe0, 0x14, 0x4a,
	0xae, 0xd8, 0x26, 0x30, 0xa4, 0x90, 0x2d, 0x24, 0x36, 0x53, 0x0c, 0x84,
	0x58, 0xa5, 0x18, 0x24, 0x82, 0x4d, 0x60, 0x8b, 0x69, 0x85, 0x25, 0x01,
	0x99, 0x2a, 0x2c, 0x56, 0x16, 0x53, 0x6c, 0x2a, 0x21, 0x4d, 0x06, 0xd2,
	0xa6, 0x48, 0xec, 0xdf, 0xe2, 0xe1, 0x05, 0x80, 0x0c, 0xc8, 0x01, 0x01,
	0x14, 0x00, 0x01, 0x25, 0x50, 0x01, 0x35, 0x60, 0x01, 0x07, 0x34, 0x40,
	0x0b, 0x74, 0x40, 0x0f, 0xa4, 0xff, 0x35, 0x18, 0x32, 0xf6, 0x28, 0x67,
	0x0b, 0x82, 0x2d, 0x15, 0x6c, 0x99, 0xd8, 0x6a, 0xc9, 0x06, 0x15, 0x5b,
	0xab, 0xd9, 0xd0, 0xb2, 0x75, 0xc7, 0x46, 0x0d, 0xdb, 0x68, 0xd9, 0xb8,
	0x63, 0x4f, 0x7b, 0xb6, 0x95, 0xd8, 0x36, 0xc0, 0x91, 0xf1, 0x85, 0x9c,
	0x2f, 0x0b, 0x3e, 0x28, 0xf8, 0x90, 0xf8, 0xa8, 0xe4, 0xe3, 0x8a, 0x6f,
	0xd5, 0x5c, 0x58, 0x3e, 0x71, 0x5c, 0x36, 0x7c, 0xb7, 0xe5, 0xd3, 0x8e,
	0xbf, 0xee, 0xf9, 0x41, 0xe2, 0x33, 0x40, 0x22, 0x93, 0x4b, 0xb9, 0x1c,
	0x08, 0xb9, 0x5e, 0xc8, 0x31, 0xc9, 0xed, 0x52, 0x4e, 0x2a, 0xb9, 0x53,
	0xcb, 0xa9, 0x95, 0xfb, 0x4e, 0xce, 0x1a, 0x79, 0xd8, 0xca, 0x79, 0x27,
	0xdf, 0xf5, 0xf2, 0x24, 0xc9, 0xb3, 0x07, 0x75, 0x46, 0xcb, 0x39, 0x0d,
	0x05, 0x8d, 0x0b, 0x12, 0x44, 0xb2, 0xa4, 0x69, 0x45, 0x07, 0x35, 0x95,
	0x96, 0xe6, 0x8e, 0x74, 0x43, 0xa7, 0x2d, 0xd9, 0x8e, 0x3e, 0xf7, 0x74,
	0x95, 0xc8, 0x03, 0x0a, 0x99, 0x5a, 0xcd, 0xd5, 0x48, 0xa8, 0xed, 0x42,
	0x49, 0x52, 0xaf, 0x4a, 0x35, 0xab, 0xd4, 0x71, 0xad, 0xb4, 0x55, 0x67,
	0x4e, 0x9d, 0x37, 0xea, 0xb2, 0x55, 0xbe, 0x53, 0xdf, 0x7b, 0x75, 0x9b,
	0xd4, 0x4f, 0x40, 0x23, 0xd3, 0x83, 0x5c, 0x8f, 0x85, 0x9e, 0x14, 0x7a,
	0x4a, 0x7a, 0x56, 0xea, 0x79, 0xa5, 0x4f, 0x6a, 0x6d, 0xad, 0xbe, 0x70,
	0xda, 0x37, 0xfa, 0xa6, 0xd5, 0x77, 0x9d, 0xfe, 0xd5, 0xeb, 0xbf, 0x49,
	0xaf, 0x00, 0x06, 0x99, 0x59, 0xcb, 0xcd, 0x96, 0x30, 0x3b, 0x85, 0x39,
	0x20, 0x73, 0x5c, 0x9a, 0x93, 0xca, 0x7c, 0xac, 0xcd, 0x95, 0x35, 0xd7,
	0xce, 0xdc, 0x36, 0xe6, 0xbe, 0x35, 0x7f, 0x3b, 0xf3, 0xb8, 0x37, 0x4f,
	0x92, 0x79, 0xf1, 0xb0, 0x3a, 0x73, 0xc3, 0xdc, 0x09, 0xe1, 0xa6, 0x85,
	0x2b, 0xc9, 0xe9, 0xd2, 0xd9, 0xca, 0x5d, 0xd5, 0xae, 0xb5, 0xee, 0xce,
	0xb9, 0xd4, 0xb8, 0xc5, 0xd6, 0xe5, 0x9d, 0x7b, 0xde, 0x3b, 0x4a, 0xee,
	0x08, 0xf0, 0xc8, 0xfc, 0x7a, 0xee, 0x27, 0xc2, 0xef, 0x17, 0x7e, 0x4e,
	0xfe, 0xac, 0xf4, 0x17, 0x95, 0xbf, 0xae, 0xfd, 0x9d, 0xf5, 0x7f, 0x9c,
	0x5f, 0x69, 0xfc, 0x66, 0xeb, 0x5f, 0x76, 0xfe, 0x4d, 0xef, 0xdf, 0x27,
	0xff, 0x09, 0x08, 0xc8, 0xc2, 0x28, 0x0f, 0x52, 0x84, 0x59, 0x11, 0x34,
	0x85, 0xf3, 0x32, 0xf8, 0x2a, 0xdc, 0xd6, 0x21, 0xd9, 0xb0, 0xe2, 0xc2,
	0xb3, 0x26, 0xec, 0xb5, 0xe1, 0xa8, 0x0b, 0x1f, 0xfa, 0xf0, 0x25, 0x85,
	0x6f, 0x40, 0x44, 0x16, 0x37, 0xf2, 0xb8, 0x2b, 0xe2, 0x61, 0x11, 0x4f,
	0x29, 0x5e, 0x96, 0xf1, 0xa6, 0x8a, 0xf7, 0x75, 0x5c, 0xb4, 0x71, 0xd3,
	0xc5, 0xbd, 0x26, 0xbe, 0x6d, 0xa3, 0xe9, 0xe2, 0xd7, 0x3e, 0xfe, 0x48,
	0xf1, 0xf7, 0x3f, 0x2f, 0xb5, 0xeb, 0x51, 0x1d, 0x70, 0xbf, 0x6e, 0x00,
	0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
};

#define HF_KEY	"hf-test-key-123"
#define R8_KEY	"r8-test-token-456"

static char	 tmpdir[] = "/tmp/provider-test.XXXXXX";
static char	 logpath[PATH_MAX], inpath[PATH_MAX], errpath[PATH_MAX];
static pid_t	 srv = -1;
static int	 port;

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Start the fake server in its own process group; read its port. */
static int
server_start(void)
{
	struct pollfd	 pfd;
	char		 line[32];
	size_t		 n = 0;
	long long	 v;
	int		 fds[2];

	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(logpath, sizeof(logpath), "%s/requests.log", tmpdir);
	snprintf(inpath, sizeof(inpath), "%s/requests.log.input", tmpdir);
	snprintf(errpath, sizeof(errpath), "%s/stderr.log", tmpdir);
	if (pipe(fds) == -1)
		return -1;
	if ((srv = fork()) == -1)
		return -1;
	if (srv == 0) {
		setpgid(0, 0);
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		setenv("FAKEPROV_LOG", logpath, 1);
		setenv("FAKEPROV_SLOW", "5", 1);
		setenv("FAKEPROV_POLLS", "2", 1);
		setenv("FAKEPROV_HUGE", "2097152", 1);
		execlp("perl", "perl", "t/lib/fakeprovider.pl", (char *)NULL);
		_exit(127);
	}
	setpgid(srv, srv);
	close(fds[1]);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	while (n < sizeof(line) - 1 && poll(&pfd, 1, 10000) == 1) {
		if (read(fds[0], line + n, 1) != 1)
			break;
		if (line[n] == '\n')
			break;
		n++;
	}
	close(fds[0]);
	line[n] = '\0';
	if (pr_strtonum(line, 1, 65535, &v) == -1)
		return -1;
	port = (int)v;
	return 0;
}

static void
server_stop(void)
{
	char	 p[PATH_MAX + 32];

	if (srv > 0) {
		kill(-srv, SIGTERM);
		waitpid(srv, NULL, 0);
	}
	unlink(logpath);
	unlink(inpath);
	unlink(errpath);
	snprintf(p, sizeof(p), "%s", tmpdir);
	rmdir(p);
}

/* The whole of a file, NUL-terminated (malloc'd), or NULL. */
static char *
slurp(const char *path, size_t *lenp)
{
	FILE	*f;
	char	*s = NULL;
	long	 n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (s = malloc((size_t)n + 1)) != NULL) {
		if (fread(s, 1, (size_t)n, f) != (size_t)n) {
			free(s);
			s = NULL;
		} else {
			s[n] = '\0';
			if (lenp != NULL)
				*lenp = (size_t)n;
		}
	}
	fclose(f);
	return s;
}

/* How many request lines start with prefix ("POST\t/hf/fake/ok\t"). */
static int
logcount(const char *prefix)
{
	char	*s, *p;
	int	 n = 0;

	if ((s = slurp(logpath, NULL)) == NULL)
		return 0;
	for (p = s; *p != '\0'; p = strchr(p, '\n') + 1) {
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			n++;
		if (strchr(p, '\n') == NULL)
			break;
	}
	free(s);
	return n;
}

/* The log line of the last request starting with prefix, or "". */
static const char *
logline(const char *prefix)
{
	static char	 out[4096];
	char		*s, *p, *e;

	out[0] = '\0';
	if ((s = slurp(logpath, NULL)) == NULL)
		return out;
	for (p = s; p != NULL && *p != '\0'; p = e != NULL ? e + 1 : NULL) {
		e = strchr(p, '\n');
		if (strncmp(p, prefix, strlen(prefix)) == 0) {
			size_t n = e != NULL ? (size_t)(e - p) : strlen(p);

			if (n >= sizeof(out))
				n = sizeof(out) - 1;
			memcpy(out, p, n);
			out[n] = '\0';
		}
	}
	free(s);
	return out;
}

static int
has(const char *hay, const char *needle)
{

	return strstr(hay, needle) != NULL;
}

/* Whether the server saved exactly our input image. */
static int
input_was_ours(void)
{
	size_t	 n = 0;
	char	*s;
	int	 same;

	if ((s = slurp(inpath, &n)) == NULL)
		return 0;
	same = n == sizeof(png16x12) && memcmp(s, png16x12, n) == 0;
	free(s);
	unlink(inpath);
	return same;
}

static struct config *
mkcfg(void)
{
	struct config	*cfg;

	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		exit(2);
	snprintf(cfg->hf.api_key, sizeof(cfg->hf.api_key), "%s", HF_KEY);
	snprintf(cfg->hf.api_url, sizeof(cfg->hf.api_url),
	    "http://127.0.0.1:%d/hf/", port);
	cfg->hf.timeout_seconds = 10;
	cfg->hf.retry_attempts = 2;
	cfg->hf.retry_delay_seconds = 0.05;
	cfg->hf.max_response_bytes = 1024 * 1024;
	snprintf(cfg->replicate.api_key, sizeof(cfg->replicate.api_key), "%s",
	    R8_KEY);
	snprintf(cfg->replicate.api_url, sizeof(cfg->replicate.api_url),
	    "http://127.0.0.1:%d/r", port);
	cfg->replicate.timeout_seconds = 10;
	cfg->replicate.retry_attempts = 2;
	cfg->replicate.retry_delay_seconds = 0.05;
	cfg->replicate.max_response_bytes = 1024 * 1024;
	cfg->max_pixels = 40000000;
	cfg->jpeg_quality = 90;
	return cfg;
}

static cJSON *
model(const char *json)
{
	cJSON	*m;

	if ((m = cJSON_Parse(json)) == NULL) {
		diag("bad model JSON in the test: %s", json);
		exit(2);
	}
	return m;
}

/* Run a model given as JSON text on the test PNG. */
static enum prov_err
runm(struct config *cfg, const char *mjson, const char *pjson,
    struct prov_result *res)
{
	cJSON		*m = model(mjson), *p = NULL;
	enum prov_err	 e;

	if (pjson != NULL)
		p = model(pjson);
	e = provider_run(cfg, m, p, png16x12, sizeof(png16x12), "image/png",
	    res);
	cJSON_Delete(m);
	cJSON_Delete(p);
	return e;
}

static int
is_png(const struct prov_result *res)
{

	return res->data.len > 8 &&
	    memcmp(res->data.data, "\x89PNG\r\n\x1a\n", 8) == 0;
}

#define HF(name)	"{\"id\":\"hf-" name "\",\"provider\":\"huggingface\"," \
			"\"model\":\"fake/" name "\",\"category\":\"restoration\"}"
#define R8(name)	"{\"id\":\"r8-" name "\",\"provider\":\"replicate\"," \
			"\"model\":\"fake/" name "\"}"

/* Run and expect an error with a detail containing want. */
static void
expect(struct config *cfg, const char *mjson, enum prov_err want,
    const char *detail, const char *what)
{
	struct prov_result	 res;
	enum prov_err		 e;

	/* An empty detail means: any, as long as there is one. */
	e = runm(cfg, mjson, NULL, &res);
	if (!ok(e == want && has(res.detail, detail) && res.detail[0] != '\0' &&
	    res.data.len == 0, "%s -> %s (\"%s\")", what, prov_strerror(want),
	    res.detail))
		diag("got %s (\"%s\"), %zu bytes", prov_strerror(e),
		    res.detail, res.data.len);
	prov_result_free(&res);
}

static void
t_hf_ok(struct config *cfg)
{
	struct prov_result	 res;
	enum prov_err		 e;
	const char		*l;
	char			*s;
	int			 i;

	e = runm(cfg, HF("ok"), NULL, &res);
	is_int(e, PROV_OK, "huggingface image-to-image model runs");
	is_str(res.mime, "image/png", "mime from the sniffed result");
	ok(is_png(&res), "result is the server's PNG");
	prov_result_free(&res);
	prov_result_free(&res);
	ok(res.data.data == NULL, "prov_result_free twice is harmless");
	l = logline("POST\t/hf/fake/ok\t");
	ok(has(l, "\tauth=Bearer " HF_KEY "\t"), "Bearer key sent");
	ok(has(l, "\tctype=image/png\t") && has(l, "\tmode=raw"),
	    "raw image bytes sent as image/png");
	ok(input_was_ours(), "server got exactly our image bytes");
	is_int(logcount("POST\t/hf/fake/ok\t"), 1, "one request");

	/* Prompt-guided: JSON with base64 inputs and merged parameters. */
	e = runm(cfg, "{\"id\":\"hf-p\",\"provider\":\"huggingface\","
	    "\"model\":\"fake/ok\",\"category\":\"restoration\","
	    "\"parameters\":{\"prompt\":\"old photo\"}}",
	    "{\"prompt\":\"restore the faded photo\",\"strength\":0.5}", &res);
	is_int(e, PROV_OK, "prompt-guided model runs");
	prov_result_free(&res);
	l = logline("POST\t/hf/fake/ok\t");
	ok(has(l, "\tctype=application/json\t") && has(l, "\tmode=json"),
	    "prompt model gets JSON");
	ok(has(l, "\tparams={\"prompt\":\"restore the faded photo\","
	    "\"strength\":0.5}"), "merged parameters sent: %s", l);
	ok(input_was_ours(), "base64 inputs decode to our image");

	e = runm(cfg, "{\"id\":\"hf-e\",\"provider\":\"huggingface\","
	    "\"model\":\"fake/ok\",\"category\":\"enhance\","
	    "\"parameters\":{\"steps\":20}}", NULL, &res);
	is_int(e, PROV_OK, "enhance model runs");
	prov_result_free(&res);
	l = logline("POST\t/hf/fake/ok\t");
	ok(has(l, "\tmode=json") && has(l, "\tparams={\"steps\":20}"),
	    "enhance category gets JSON with the model's parameters");

	/* Availability. */
	ok(provider_available(cfg, "local"), "local available");
	ok(provider_available(cfg, "huggingface"), "huggingface with key");
	ok(provider_available(cfg, "replicate"), "replicate with token");
	ok(!provider_available(cfg, "other"), "unknown provider unavailable");
	ok(!provider_available(cfg, NULL), "NULL provider unavailable");
	ok(provider_available(NULL, "local"), "local needs no config");
	cfg->hf.api_key[0] = '\0';
	ok(!provider_available(cfg, "huggingface"), "huggingface without key");
	i = logcount("POST\t/hf/");
	expect(cfg, HF("ok"), PROV_EMODEL, "not configured",
	    "huggingface without a key");
	is_int(logcount("POST\t/hf/"), i, "nothing sent without a key");
	snprintf(cfg->hf.api_key, sizeof(cfg->hf.api_key), "bad\r\nX: y");
	expect(cfg, HF("ok"), PROV_EMODEL, "invalid API key",
	    "key with CR LF");
	is_int(logcount("POST\t/hf/"), i, "nothing sent with a bad key");
	snprintf(cfg->hf.api_key, sizeof(cfg->hf.api_key), "%s", HF_KEY);

	for (i = 0; i <= PROV__MAX; i++)
		ok(prov_strerror(i) != NULL && prov_strerror(i)[0] != '\0',
		    "prov_strerror(%d) = \"%s\"", i, prov_strerror(i));

	/* The key never reaches our own log lines. */
	fflush(stderr);
	s = slurp(errpath, NULL);
	ok(s != NULL && has(s, "huggingface: POST http://127.0.0.1:"),
	    "requests are logged");
	ok(s != NULL && !has(s, HF_KEY), "the key is never logged");
	free(s);
}

static void
t_replicate_ok(struct config *cfg)
{
	struct prov_result	 res;
	enum prov_err		 e;
	const char		*l;
	char			 want[128];
	double			 t0;

	t0 = now();
	e = runm(cfg, "{\"id\":\"r8\",\"provider\":\"replicate\","
	    "\"model\":\"fake/ok\",\"parameters\":{\"scale\":2},"
	    "\"replicate_schema\":{\"image_param\":\"img\"}}", NULL, &res);
	is_int(e, PROV_OK, "replicate prediction with polling succeeds");
	is_str(res.mime, "image/png", "mime from the sniffed output");
	ok(is_png(&res), "output bytes fetched");
	prov_result_free(&res);
	diag("took %.2f s", now() - t0);
	l = logline("POST\t/r/models/fake/ok/predictions\t");
	ok(has(l, "\tauth=Bearer " R8_KEY "\t"), "Bearer token reached the "
	    "server");
	ok(has(l, "\tctype=application/json\t"), "JSON body");
	ok(has(l, "\tprefer=wait=5\t"), "Prefer: wait=5 (half the timeout)");
	ok(has(l, "\timage_param=img\tdatauri=image/png\t"),
	    "data: URI under the schema's image_param: %s", l);
	ok(has(l, "\tinput={\"scale\":2}"), "model parameters sent as input");
	ok(input_was_ours(), "data: URI decodes to our image");
	is_int(logcount("GET\t/r/predictions/ok-1\t"), 2, "polled twice");
	l = logline("GET\t/r/predictions/ok-1\t");
	ok(has(l, "\tauth=Bearer " R8_KEY "\t"), "polls carry the token");
	is_int(logcount("GET\t/files/out.png\t"), 1, "output fetched once");
	l = logline("GET\t/files/out.png\t");
	ok(has(l, "\tauth=-\t"), "the token is not sent to the output URL");

	/* Done at once (Prefer: wait), output a string, default "image". */
	e = runm(cfg, R8("sync"), "{\"scale\":4,\"image\":\"replaced\"}",
	    &res);
	is_int(e, PROV_OK, "prediction finished in the first answer");
	prov_result_free(&res);
	l = logline("POST\t/r/models/fake/sync/predictions\t");
	ok(has(l, "\timage_param=image\tdatauri=image/png\t"),
	    "default image_param is \"image\"");
	ok(has(l, "\tinput={\"scale\":4}"), "merged parameters as input, the "
	    "image replaced: %s", l);
	is_int(logcount("GET\t/r/predictions/sync-1\t"), 0, "no poll needed");

	/* A model pinned to a version goes to /predictions. */
	e = runm(cfg, "{\"id\":\"r8v\",\"provider\":\"replicate\","
	    "\"model\":\"fake/whatever\",\"version\":\"ok\"}", NULL, &res);
	is_int(e, PROV_OK, "versioned model runs");
	prov_result_free(&res);
	l = logline("POST\t/r/predictions\t");
	ok(has(l, "\tversion=ok\t") && has(l, "\tauth=Bearer " R8_KEY),
	    "version sent to /predictions");
	snprintf(want, sizeof(want), "GET\t/r/predictions/ok-1\t");
	ok(logcount(want) >= 2, "versioned prediction polled");
}

static void
t_replicate_errors(struct config *cfg)
{
	int	 n;

	expect(cfg, R8("failed"), PROV_ESERVICE,
	    "prediction failed: CUDA out of memory", "failed prediction");
	expect(cfg, R8("canceled"), PROV_ESERVICE, "canceled",
	    "canceled prediction");
	expect(cfg, R8("404"), PROV_EMODEL, "model not found", "404");
	expect(cfg, R8("401"), PROV_EMODEL, "API key", "401");
	expect(cfg, R8("422"), PROV_EMODEL, "invalid input: - input.image",
	    "422");
	expect(cfg, R8("500"), PROV_ESERVICE, "HTTP 500 from provider", "500");
	expect(cfg, R8("garbage-json"), PROV_ESERVICE, "invalid response",
	    "prediction that is not JSON");
	expect(cfg, R8("garbage"), PROV_ESERVICE, "invalid response",
	    "output that is not an image");
	expect(cfg, R8("huge"), PROV_ESERVICE, "response too large",
	    "oversized output");
	expect(cfg, R8("output-404"), PROV_ESERVICE, "HTTP 404 fetching",
	    "output URL gone");
	expect(cfg, R8("offsite"), PROV_ESERVICE, "invalid response",
	    "poll URL on another host");
	is_int(logcount("GET\t/r/predictions/offsite-1\t"), 0,
	    "the token is not sent to another host");
	n = logcount("POST\t/r/");
	expect(cfg, "{\"id\":\"x\",\"provider\":\"replicate\","
	    "\"model\":\"no-owner\"}", PROV_EMODEL, "invalid model name",
	    "model without owner");
	expect(cfg, "{\"id\":\"x\",\"provider\":\"replicate\","
	    "\"model\":\"a/b/c\"}", PROV_EMODEL, "invalid model name",
	    "model with two slashes");
	is_int(logcount("POST\t/r/"), n, "no request for bad names");
}

static void
t_rate_limit(struct config *cfg)
{
	struct prov_result	 res;
	enum prov_err		 e;
	double			 t0, dt;

	t0 = now();
	e = runm(cfg, HF("429"), NULL, &res);
	dt = now() - t0;
	is_int(e, PROV_ERATE, "429 after the retries -> rate limited");
	is_str(res.detail, "rate limited", "detail");
	is_int(res.retry_after, 1, "retry_after from Retry-After");
	prov_result_free(&res);
	is_int(logcount("POST\t/hf/fake/429\t"), 3,
	    "1 request + 2 retries (retry_attempts)");
	ok(dt >= 1.9 && dt < 6, "Retry-After: 1 honoured over the backoff "
	    "(%.2f s)", dt);

	e = runm(cfg, HF("429-once"), NULL, &res);
	is_int(e, PROV_OK, "429 then success on the retry");
	ok(is_png(&res), "result after the retry");
	prov_result_free(&res);
	is_int(logcount("POST\t/hf/fake/429-once\t"), 2, "two requests");

	t0 = now();
	e = runm(cfg, HF("429-long"), NULL, &res);
	dt = now() - t0;
	ok(e == PROV_ERATE && res.retry_after == 120,
	    "Retry-After over the cap: rate limited at once, retry_after 120");
	prov_result_free(&res);
	ok(logcount("POST\t/hf/fake/429-long\t") == 1 && dt < 2,
	    "no retry when asked to wait too long (%.2f s)", dt);

	cfg->hf.retry_attempts = 0;
	e = runm(cfg, HF("429"), NULL, &res);
	prov_result_free(&res);
	ok(e == PROV_ERATE && logcount("POST\t/hf/fake/429\t") == 4,
	    "retry_attempts 0: a single request");
	cfg->hf.retry_attempts = 2;

	e = runm(cfg, R8("429"), NULL, &res);
	ok(e == PROV_ERATE && res.retry_after == 1,
	    "replicate 429 -> rate limited, retry_after 1");
	prov_result_free(&res);
	is_int(logcount("POST\t/r/models/fake/429/predictions\t"), 3,
	    "replicate: 1 request + 2 retries");
	e = runm(cfg, R8("429-once"), NULL, &res);
	is_int(e, PROV_OK, "replicate 429 then success");
	prov_result_free(&res);

	/* Backoff without Retry-After: 0.2 + 0.4 s. */
	cfg->hf.retry_delay_seconds = 0.2;
	t0 = now();
	e = runm(cfg, HF("500"), NULL, &res);
	prov_result_free(&res);
	ok(e == PROV_ESERVICE && logcount("POST\t/hf/fake/500\t") == 1,
	    "500 is not retried");
	e = runm(cfg, HF("close"), NULL, &res);
	dt = now() - t0;
	prov_result_free(&res);
	ok(e == PROV_ESERVICE && logcount("POST\t/hf/fake/close\t") == 3,
	    "broken connections retried");
	ok(dt >= 0.55, "exponential backoff 0.2 s, 0.4 s (%.2f s)", dt);
	cfg->hf.retry_delay_seconds = 0.05;
}

static void
t_loading(struct config *cfg)
{
	struct prov_result	 res;
	enum prov_err		 e;

	e = runm(cfg, HF("503-loading"), NULL, &res);
	is_int(e, PROV_ERATE, "model still loading after the retries");
	is_str(res.detail, "model is loading", "detail");
	is_int(res.retry_after, 1, "retry_after from estimated_time");
	prov_result_free(&res);
	is_int(logcount("POST\t/hf/fake/503-loading\t"), 3,
	    "1 request + 2 retries");

	e = runm(cfg, HF("503-once"), NULL, &res);
	is_int(e, PROV_OK, "loaded on the retry");
	ok(is_png(&res), "result after loading");
	prov_result_free(&res);
	is_int(logcount("POST\t/hf/fake/503-once\t"), 2, "two requests");
}

static void
t_timeout(struct config *cfg)
{
	struct prov_result	 res;
	enum prov_err		 e;
	double			 t0, dt;

	cfg->hf.timeout_seconds = 1;
	t0 = now();
	e = runm(cfg, HF("slow"), NULL, &res);
	dt = now() - t0;
	is_int(e, PROV_ETIMEOUT, "slow huggingface -> timed out");
	is_str(res.detail, "timed out after 1 s", "detail");
	ok(dt < 3, "gave up in time (%.2f s)", dt);
	prov_result_free(&res);
	is_int(logcount("POST\t/hf/fake/slow\t"), 1, "timeouts not retried");

	cfg->replicate.timeout_seconds = 1;
	t0 = now();
	e = runm(cfg, R8("slow"), NULL, &res);
	dt = now() - t0;
	ok(e == PROV_ETIMEOUT && dt < 3, "slow replicate -> timed out "
	    "(%.2f s)", dt);
	prov_result_free(&res);

	cfg->replicate.timeout_seconds = 2;
	t0 = now();
	e = runm(cfg, R8("stuck"), NULL, &res);
	dt = now() - t0;
	is_int(e, PROV_ETIMEOUT, "prediction that never ends -> timed out");
	is_str(res.detail, "timed out after 2 s", "detail");
	ok(dt < 5, "polling stopped at the deadline (%.2f s)", dt);
	prov_result_free(&res);
	ok(logcount("GET\t/r/predictions/stuck-1\t") >= 2, "it was polled");
	is_int(logcount("POST\t/r/predictions/stuck-1/cancel\t"), 1,
	    "and canceled");
}

static void
t_errors(struct config *cfg)
{
	struct prov_result	 res;
	enum prov_err		 e;
	cJSON			*m;
	int			 s, closed;
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);

	expect(cfg, HF("404"), PROV_EMODEL, "model not found", "404");
	expect(cfg, HF("410"), PROV_EMODEL, "no longer available", "410");
	expect(cfg, HF("401"), PROV_EMODEL, "API key", "401");
	expect(cfg, HF("403"), PROV_EMODEL, "denied", "403");
	expect(cfg, HF("500"), PROV_ESERVICE, "HTTP 500 from provider", "500");
	is_int(logcount("POST\t/hf/fake/404\t") + logcount("POST\t/hf/fake/500"
	    "\t"), 2, "errors other than 429/503 are not retried");
	expect(cfg, HF("garbage"), PROV_ESERVICE, "invalid response",
	    "200 image/png that is not an image");
	expect(cfg, HF("json"), PROV_ESERVICE, "invalid response",
	    "200 with JSON instead of an image");
	expect(cfg, HF("huge"), PROV_ESERVICE, "response too large",
	    "body over the cap (Content-Length)");
	expect(cfg, HF("huge-chunked"), PROV_ESERVICE, "response too large",
	    "body over the cap (no length)");
	cfg->hf.max_response_bytes = 4 * 1024 * 1024;
	e = runm(cfg, HF("huge-chunked"), NULL, &res);
	ok(e == PROV_OK && res.data.len == 2097152,
	    "under a larger cap the same body is read whole (it has PNG "
	    "magic): the cap is what refused it");
	prov_result_free(&res);
	cfg->hf.max_response_bytes = 1024 * 1024;

	/* Nothing listens: connection refused, retried, then an error. */
	s = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(s, (struct sockaddr *)&sin, sizeof(sin));
	getsockname(s, (struct sockaddr *)&sin, &sl);
	closed = ntohs(sin.sin_port);
	close(s);
	snprintf(cfg->hf.api_url, sizeof(cfg->hf.api_url),
	    "http://127.0.0.1:%d/hf", closed);
	expect(cfg, HF("ok"), PROV_ESERVICE, "could not reach the provider",
	    "connection refused");
	snprintf(cfg->hf.api_url, sizeof(cfg->hf.api_url),
	    "file:///etc/passwd");
	expect(cfg, HF("ok"), PROV_EMODEL, "invalid api_url",
	    "api_url that is not http(s)");
	snprintf(cfg->hf.api_url, sizeof(cfg->hf.api_url),
	    "http://127.0.0.1:%d/hf", port);

	expect(cfg, "{\"id\":\"x\",\"provider\":\"huggingface\","
	    "\"model\":\"../../etc\"}", PROV_EMODEL, "invalid model name",
	    "model name with ..");
	expect(cfg, "{\"id\":\"x\",\"provider\":\"huggingface\","
	    "\"model\":\"a/b?c\"}", PROV_EMODEL, "invalid model name",
	    "model name with ?");
	expect(cfg, "{\"id\":\"x\",\"provider\":\"huggingface\"}", PROV_EMODEL,
	    "invalid model name", "model without a name");
	expect(cfg, "{\"id\":\"x\",\"provider\":\"magic\",\"model\":\"a/b\"}",
	    PROV_EMODEL, "unknown provider", "unknown provider");
	expect(cfg, "{\"provider\":\"huggingface\",\"model\":\"a/b\"}",
	    PROV_EMODEL, "invalid model configuration", "model without id");
	is_int(logcount("POST\t/hf/../"), 0, "bad names never sent");

	m = model(HF("ok"));
	e = provider_run(cfg, m, NULL, (const unsigned char *)"GIF89a", 6,
	    "image/gif", &res);
	ok(e == PROV_EINPUT, "input that is not JPEG/PNG -> %s",
	    prov_strerror(PROV_EINPUT));
	prov_result_free(&res);
	e = provider_run(cfg, m, NULL, NULL, 0, NULL, &res);
	ok(e == PROV_EINPUT, "no input -> %s", prov_strerror(PROV_EINPUT));
	prov_result_free(&res);
	cJSON_Delete(m);
	e = runm(cfg, HF("ok"), "[1,2]", &res);
	ok(e == PROV_EMODEL, "parameters that are not an object refused");
	prov_result_free(&res);
}

static void
t_local(struct config *cfg)
{
	struct prov_result	 res;
	struct pr_image		 img;
	struct buf		 jpeg;
	enum prov_err		 e;
	enum img_err		 ie;
	cJSON			*m;
	char			 reason[128];

	e = runm(cfg, "{\"id\":\"local-upscale-2x\",\"provider\":\"local\","
	    "\"model\":\"local-upscale-2x\"}", NULL, &res);
	if (!ok(e == PROV_OK, "local-upscale-2x through provider_run"))
		diag("%s: %s", prov_strerror(e), res.detail);
	is_str(res.mime, "image/png", "PNG in, PNG out");
	memset(&img, 0, sizeof(img));
	ie = img_decode(res.data.data, res.data.len, 1000000, &img, reason,
	    sizeof(reason));
	ok(ie == IMG_OK && img.w == 32 && img.h == 24,
	    "result decodes as 32x24 (got %ux%u)", img.w, img.h);
	prov_result_free(&res);

	e = runm(cfg, "{\"id\":\"local-restore\",\"provider\":\"local\"}",
	    NULL, &res);
	if (!ok(e == PROV_OK && is_png(&res), "local-restore runs"))
		diag("%s: %s", prov_strerror(e), res.detail);
	prov_result_free(&res);

	/* JPEG in, JPEG out. */
	buf_init(&jpeg, 1024 * 1024);
	if (ie == IMG_OK && img_encode(&img, IMG_JPEG, 90, &jpeg) == IMG_OK) {
		m = model("{\"id\":\"local-restore\",\"provider\":\"local\"}");
		e = provider_run(cfg, m, NULL, (unsigned char *)jpeg.data,
		    jpeg.len, "image/jpeg", &res);
		ok(e == PROV_OK && strcmp(res.mime, "image/jpeg") == 0,
		    "JPEG in, JPEG out");
		prov_result_free(&res);
		cJSON_Delete(m);
	} else
		ok(0, "could not make a JPEG to test with");
	buf_free(&jpeg);
	img_free(&img);

	expect(cfg, "{\"id\":\"local-nonesuch\",\"provider\":\"local\"}",
	    PROV_EMODEL, "", "unknown local model");
	e = runm(cfg, "{\"id\":\"local-restore\",\"provider\":\"local\"}",
	    "{\"strength\":\"very\"}", &res);
	ok(e == PROV_EMODEL && res.data.len == 0,
	    "a bad parameter is a model error (%s: %s)",
	    prov_strerror(e), res.detail);
	prov_result_free(&res);
	cfg->max_pixels = 100;
	expect(cfg, "{\"id\":\"local-restore\",\"provider\":\"local\"}",
	    PROV_EINPUT, "", "more pixels than max_pixels");
	cfg->max_pixels = 40000000;
	m = model("{\"id\":\"local-restore\",\"provider\":\"local\"}");
	e = provider_run(cfg, m, NULL, png16x12, 100, "image/png", &res);
	ok(e == PROV_EINPUT && res.detail[0] != '\0',
	    "truncated PNG -> invalid input (\"%s\")", res.detail);
	prov_result_free(&res);
	cJSON_Delete(m);
}

int
main(int argc, char *argv[])
{
	static const struct {
		const char	*name;
		void		(*fn)(struct config *);
		int		 server;
	} tests[] = {
		{ "hf-ok", t_hf_ok, 1 },
		{ "replicate-ok", t_replicate_ok, 1 },
		{ "replicate-errors", t_replicate_errors, 1 },
		{ "rate-limit", t_rate_limit, 1 },
		{ "loading", t_loading, 1 },
		{ "timeout", t_timeout, 1 },
		{ "errors", t_errors, 1 },
		{ "local", t_local, 0 },
	};
	struct config	*cfg;
	size_t		 i;
	int		 fd;

	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (argc > 1 && strcmp(argv[1], tests[i].name) == 0)
			break;
	if (i == sizeof(tests) / sizeof(tests[0])) {
		fprintf(stderr, "usage: %s hf-ok|replicate-ok|replicate-errors|"
		    "rate-limit|loading|timeout|errors|local\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	/* The fake server is on 127.0.0.1: no proxy may get in between. */
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("ALL_PROXY");
	unsetenv("all_proxy");
	if (tests[i].server && server_start() == -1) {
		printf("Bail out! cannot start t/lib/fakeprovider.pl\n");
		server_stop();
		return 1;
	}
	if (!tests[i].server && mkdtemp(tmpdir) != NULL)
		snprintf(errpath, sizeof(errpath), "%s/stderr.log", tmpdir);
	/* Our log lines go to a file the tests read (the key must not be in it). */
	if ((fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600)) != -1) {
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
	log_init("provider-test", PRLOG_DEBUG, NULL);
	cfg = mkcfg();
	tests[i].fn(cfg);
	free(cfg);
	if (tap_failed) {
		char *s = slurp(logpath, NULL);

		diag("requests seen by the fake server:\n%s", s ? s : "");
		free(s);
	}
	server_stop();
	return done_testing();
}
