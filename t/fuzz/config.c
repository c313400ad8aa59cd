/*
 * t/fuzz/config.c: libFuzzer driver for the configuration loader
 * (cfg_load in lib/config.c: file reading, strict JSON, duplicate keys,
 * the deep merge, every key's type and range checks, the models and
 * their schemas, environment overrides), plus cfg_redact_url and
 * cfg_parse_db_url on the raw input.
 *
 * The first input byte picks a mode; the rest is JSON text:
 * - bit 0 clear: the text is <APP_ENV>.json merged over the real
 *   conf/default.json (so mutations start from a valid configuration);
 *   set: the text is default.json itself;
 * - bit 1 set: the first line of the text is "NAME=value" for one of the
 *   environment names of API.md §6, set for this load only.
 * Properties: no crash or leak; failure always leaves a message and a
 * NULL configuration; success gives a redacted dump without the secret.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "photorestore.h"

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const envnames[] = {
	"SECRET_KEY", "ACCESS_TOKEN_EXPIRE_MINUTES", "DATABASE_URL",
	"UPLOAD_DIR", "PROCESSED_DIR", "MAX_UPLOAD_SIZE_MB",
	"ALLOWED_EXTENSIONS", "HF_API_KEY", "HF_API_URL", "HF_API_TIMEOUT",
	"REPLICATE_API_TOKEN", "REPLICATE_API_URL", "REPLICATE_API_TIMEOUT",
	"MODELS_REQUIRE_AUTH", "SESSION_CLEANUP_HOURS",
	"MAX_CONCURRENT_UPLOADS_PER_SESSION", "CORS_ORIGINS", "DEBUG",
	"LOG_LEVEL", "PBKDF2_ITERATIONS", "AUTH_USERNAME", "AUTH_PASSWORD",
	"AUTH_EMAIL", "AUTH_FULL_NAME", "APP_ENV",
};
#define NENV	(sizeof(envnames) / sizeof(envnames[0]))

static char	 dir[256], deffile[300], envfile[300];
static char	*defjson;
static size_t	 deflen;

static void
spew(const char *path, const void *p, size_t n)
{
	int	 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    (n > 0 && write(fd, p, n) != (ssize_t)n) || close(fd) == -1) {
		perror(path);
		abort();
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*src, *tmp;
	FILE		*f;
	long		 n;
	size_t		 i;
	char		 var[300];

	(void)argc;
	(void)argv;
	if ((src = getenv("FUZZ_DEFAULT_JSON")) == NULL)
		src = "conf/default.json";
	if ((f = fopen(src, "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
	    (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    (defjson = malloc((size_t)n)) == NULL ||
	    fread(defjson, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "fuzz-config: cannot read %s (set "
		    "FUZZ_DEFAULT_JSON)\n", src);
		exit(1);
	}
	fclose(f);
	deflen = (size_t)n;
	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(dir, sizeof(dir), "%s/pr-fuzz-config-XXXXXX", tmp);
	if (mkdtemp(dir) == NULL) {
		perror(dir);
		exit(1);
	}
	snprintf(deffile, sizeof(deffile), "%s/default.json", dir);
	snprintf(envfile, sizeof(envfile), "%s/fuzz.json", dir);
	snprintf(var, sizeof(var), "%s/var", dir);
	for (i = 0; i < NENV; i++)
		unsetenv(envnames[i]);
	setenv("CONFIG_DIR", dir, 1);
	setenv("VARDIR", var, 1);
	log_init("fuzz-config", PRLOG_ERROR + 1, NULL);
	return 0;
}

/* Every secret in the dump is "***" (or empty). */
static void
check_secret(const cJSON *obj, const char *name)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (cJSON_IsString(v) && v->valuestring[0] != '\0' &&
	    strcmp(v->valuestring, "***") != 0)
		abort();
}

static void
check_dump(const char *dump)
{
	cJSON		*t;
	const cJSON	*c;

	if ((t = cJSON_Parse(dump)) == NULL)
		abort();
	check_secret(cJSON_GetObjectItemCaseSensitive(t, "security"),
	    "secret_key");
	check_secret(cJSON_GetObjectItemCaseSensitive(t, "auth"), "password");
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(t,
	    "api_providers")) {
		check_secret(c, "api_key");
		check_secret(c, "api_token");
	}
	cJSON_Delete(t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	*cfg = NULL;
	char		 err[1024], envname[64], *val = NULL, *str, *dump;
	char		 out[2048], path[PATH_MAX];
	const char	*p;
	const uint8_t	*nl;
	enum db_kind	 kind;
	size_t		 n, i, k;
	enum pr_err	 e;
	int		 mode, setone = 0;

	if (size < 1 || size > 256 * 1024)
		return 0;
	mode = data[0];
	p = (const char *)data + 1;
	n = size - 1;

	/* The raw text as a URL, for the redaction and DATABASE_URL parsers. */
	if ((str = malloc(n + 1)) == NULL)
		abort();
	memcpy(str, p, n);
	str[n] = '\0';
	cfg_redact_url(str, out, sizeof(out));
	if (strlen(out) >= sizeof(out))
		abort();
	cfg_parse_db_url(str, "/var/empty", &kind, path, sizeof(path));
	free(str);

	if ((mode & 2) && (nl = memchr(p, '\n', n)) != NULL) {
		const char *eq = memchr(p, '=', (size_t)((const char *)nl - p));

		k = eq != NULL ? (size_t)(eq - p) : 0;
		if (k > 0 && k < sizeof(envname)) {
			memcpy(envname, p, k);
			envname[k] = '\0';
			for (i = 0; i < NENV - 1; i++)
				if (strcmp(envname, envnames[i]) == 0)
					break;
			if (i < NENV - 1 && (val = strndup(eq + 1,
			    (size_t)((const char *)nl - eq - 1))) != NULL &&
			    setenv(envname, val, 1) == 0)
				setone = 1;
		}
		n -= (size_t)((const char *)nl + 1 - p);
		p = (const char *)nl + 1;
	}
	if (mode & 1) {
		spew(deffile, p, n);
		unsetenv("APP_ENV");
	} else {
		spew(deffile, defjson, deflen);
		spew(envfile, p, n);
		setenv("APP_ENV", "fuzz", 1);
	}
	err[0] = '\0';
	e = cfg_load(&cfg, err, sizeof(err));
	if (e == PR_OK) {
		if (cfg == NULL)
			abort();
		if ((dump = cfg_dump_redacted(cfg)) != NULL) {
			check_dump(dump);
			free(dump);
		}
		cfg_model(cfg, "local-restore");
		cfg_free(cfg);
	} else if (cfg != NULL || err[0] == '\0')
		abort();
	if (setone)
		unsetenv(envname);
	free(val);
	return 0;
}
