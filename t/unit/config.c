/*
 * config.c: unit tests of lib/config.c (API.md §6).  argv[1] names the
 * behaviour to run; each has a wrapper t/config-<behaviour>.t.  Tests run
 * from the top of the checkout (conf/default.json is read from there) and
 * make their own configuration and state directories under /tmp.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "photorestore.h"
#include "tap.h"

/* Every environment name config.c reads. */
static const char *const envnames[] = {
	"CONFIG_DIR", "APP_ENV", "VARDIR", "SECRET_KEY",
	"ACCESS_TOKEN_EXPIRE_MINUTES", "DATABASE_URL", "UPLOAD_DIR",
	"PROCESSED_DIR", "MAX_UPLOAD_SIZE_MB", "ALLOWED_EXTENSIONS",
	"HF_API_KEY", "HF_API_URL", "HF_API_TIMEOUT", "REPLICATE_API_TOKEN",
	"REPLICATE_API_URL", "REPLICATE_API_TIMEOUT", "MODELS_REQUIRE_AUTH",
	"SESSION_CLEANUP_HOURS", "MAX_CONCURRENT_UPLOADS_PER_SESSION",
	"CORS_ORIGINS", "DEBUG", "LOG_LEVEL", "PBKDF2_ITERATIONS",
	"AUTH_USERNAME", "AUTH_PASSWORD", "AUTH_EMAIL", "AUTH_FULL_NAME",
	"HTTP_PORT", "HTTPS_PORT",
};

static char	 errbuf[1024];
static char	*tmpdirs[256];
static size_t	 ntmpdirs;

static void
clear_env(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(envnames) / sizeof(envnames[0]); i++)
		unsetenv(envnames[i]);
}

/* A fresh directory under /tmp, removed at exit. */
static const char *
mktmp(void)
{
	char	 t[] = "/tmp/prcfg.XXXXXX";

	if (ntmpdirs == 256 || mkdtemp(t) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
	return tmpdirs[ntmpdirs++] = strdup(t);
}

static void
cleanup(void)
{
	char	 cmd[PATH_MAX + 16];
	size_t	 i;

	for (i = 0; i < ntmpdirs; i++) {
		if (strncmp(tmpdirs[i], "/tmp/prcfg.", 11) == 0) {
			snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdirs[i]);
			if (system(cmd) != 0)
				diag("could not remove %s", tmpdirs[i]);
		}
		free(tmpdirs[i]);
	}
}

static void
write_file(const char *dir, const char *name, const char *text, size_t len)
{
	char	 p[PATH_MAX];
	FILE	*f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if ((f = fopen(p, "w")) == NULL || fwrite(text, 1, len, f) != len ||
	    fclose(f) != 0) {
		perror(p);
		exit(2);
	}
}

#define WRITE(dir, name, text)	write_file(dir, name, text, strlen(text))

/* Load with the current environment; NULL (errbuf set) on failure. */
static struct config *
load(void)
{
	struct config	*cfg = NULL;
	enum pr_err	 e;

	errbuf[0] = '\0';
	e = cfg_load(&cfg, errbuf, sizeof(errbuf));
	if (e != PR_OK && cfg != NULL) {
		diag("cfg_load failed but returned a config");
		cfg = NULL;
	}
	if (e == PR_OK && cfg == NULL)
		diag("cfg_load succeeded without a config");
	return cfg;
}

/* A fresh config dir holding default.json = text, selected by env. */
static const char *
confdir(const char *deftext)
{
	const char	*d = mktmp();

	WRITE(d, "default.json", deftext);
	setenv("CONFIG_DIR", d, 1);
	return d;
}

/* The item at a dotted path of a tree. */
static const cJSON *
node(const cJSON *root, const char *path)
{
	char		 seg[128];
	const char	*dot;
	size_t		 n;

	while (root != NULL) {
		dot = strchr(path, '.');
		n = dot ? (size_t)(dot - path) : strlen(path);
		snprintf(seg, sizeof(seg), "%.*s", (int)n, path);
		root = cJSON_GetObjectItemCaseSensitive(root, seg);
		if (dot == NULL)
			return root;
		path = dot + 1;
	}
	return NULL;
}

/* The compact JSON text of the item at path ("(none)" if missing). */
static const char *
jtext(const cJSON *root, const char *path)
{
	static char	 out[1024];
	const cJSON	*n = node(root, path);
	char		*s;

	if (n == NULL)
		return "(none)";
	s = cJSON_PrintUnformatted(n);
	snprintf(out, sizeof(out), "%s", s != NULL ? s : "(oom)");
	free(s);
	return out;
}

static void
is_path(const char *got, const char *vardir, const char *rel,
    const char *what)
{
	char	 want[PATH_MAX * 2];

	snprintf(want, sizeof(want), "%s/%s", vardir, rel);
	is_str(got, want, "%s", what);
}

/* ------------------------------------------------------------ defaults */

/* Every key of API.md §6 and the brief, as default.json must spell it. */
static const char *const default_keys[] = {
	"application.name", "application.version", "application.debug",
	"server.http_port", "server.https_port", "server.workers",
	"server.max_requests", "cors.origins", "cors.allow_credentials",
	"security.secret_key", "security.algorithm",
	"security.access_token_expire_minutes",
	"security.remember_me_expire_days", "security.pbkdf2_iterations",
	"security.login_max_failures", "security.login_window_seconds",
	"api_providers.huggingface.api_key",
	"api_providers.huggingface.api_url",
	"api_providers.huggingface.timeout_seconds",
	"api_providers.huggingface.retry_attempts",
	"api_providers.huggingface.retry_delay_seconds",
	"api_providers.huggingface.max_response_mb",
	"api_providers.replicate.api_token",
	"api_providers.replicate.api_url",
	"api_providers.replicate.timeout_seconds",
	"api_providers.replicate.retry_attempts",
	"api_providers.replicate.retry_delay_seconds",
	"api_providers.replicate.max_response_mb",
	"models", "models_api.require_auth", "database.url",
	"database.busy_timeout_ms", "file_storage.upload_dir",
	"file_storage.processed_dir", "file_storage.max_upload_size_mb",
	"file_storage.allowed_extensions", "file_storage.max_pixels",
	"file_storage.url_ttl_seconds", "file_storage.retention_days",
	"file_storage.jpeg_quality", "session.cleanup_hours",
	"processing.max_concurrent_uploads_per_session",
	"processing.queue_size", "processing.max_images_per_day",
	"logging.level", "logging.file", "auth.username", "auth.email",
	"auth.full_name", "auth.password",
};

static void
t_defaults(void)
{
	struct config	*cfg;
	const char	*v = mktmp();
	const cJSON	*m, *first;
	cJSON		*raw;
	FILE		*f;
	char		 text[1 << 16];
	size_t		 i, n;
	static const char *const ids[] = { "local-restore",
	    "local-upscale-2x", "local-upscale-4x" };

	clear_env();
	setenv("VARDIR", v, 1);
	/* CONFIG_DIR unset: "conf" in the current directory. */
	if ((cfg = load()) == NULL) {
		ok(0, "conf/default.json loads: %s", errbuf);
		return;
	}
	ok(1, "conf/default.json loads");
	is_str(cfg->config_dir, "conf", "config dir defaults to conf");
	is_str(cfg->vardir, v, "vardir from VARDIR");

	is_str(cfg->app_name, "Photo Restoration API", "application.name");
	is_str(cfg->app_version, "1.0.0", "application.version");
	is_int(cfg->debug, 0, "application.debug");
	is_str(jtext(cfg->root, "server.http_port"), "8080", "http_port");
	is_str(jtext(cfg->root, "server.https_port"), "8443", "https_port");
	is_int(cfg->workers, 2, "server.workers");
	is_int(cfg->max_requests, 10000, "server.max_requests");
	ok(strstr(jtext(cfg->root, "cors.origins"),
	    "\"http://localhost:3000\"") != NULL, "cors.origins has the "
	    "React dev server");
	is_str(jtext(cfg->root, "cors.allow_credentials"), "true",
	    "cors.allow_credentials");

	is_str(jtext(cfg->root, "security.secret_key"), "\"\"",
	    "security.secret_key empty");
	is_str(jtext(cfg->root, "security.algorithm"), "\"HS256\"",
	    "security.algorithm");
	is_int(cfg->access_token_expire_minutes, 1440,
	    "access_token_expire_minutes");
	is_int(cfg->remember_me_expire_days, 7, "remember_me_expire_days");
	is_int(cfg->pbkdf2_iterations, 600000, "pbkdf2_iterations");
	is_int(cfg->login_max_failures, 5, "login_max_failures");
	is_int(cfg->login_window_seconds, 300, "login_window_seconds");
	is_int(cfg->secret_len, 0, "no secret before cfg_secret");
	is_str(cfg->url_secret, "", "no url secret before cfg_secret");

	is_str(cfg->hf.api_key, "", "hf api_key empty");
	is_str(cfg->hf.api_url, "https://api-inference.huggingface.co/models",
	    "hf api_url");
	is_int(cfg->hf.timeout_seconds, 60, "hf timeout");
	is_int(cfg->hf.retry_attempts, 3, "hf retries");
	ok(cfg->hf.retry_delay_seconds == 2.0, "hf retry delay");
	is_int(cfg->hf.max_response_bytes, 50 * 1024 * 1024, "hf max bytes");
	is_str(cfg->replicate.api_key, "", "replicate token empty");
	is_str(cfg->replicate.api_url, "https://api.replicate.com/v1",
	    "replicate api_url");
	is_int(cfg->replicate.timeout_seconds, 300, "replicate timeout");
	is_int(cfg->replicate.retry_attempts, 3, "replicate retries");
	ok(cfg->replicate.retry_delay_seconds == 2.0, "replicate delay");
	is_int(cfg->replicate.max_response_bytes, 50 * 1024 * 1024,
	    "replicate max bytes");

	is_int(cfg->models_require_auth, 0, "models_api.require_auth");
	is_str(cfg->database_url, "sqlite:///photorestore.db", "database.url");
	is_int(cfg->db_kind, DB_SQLITE, "sqlite");
	is_path(cfg->db_path, v, "photorestore.db", "db in vardir");
	is_int(cfg->db_busy_timeout_ms, 5000, "busy_timeout_ms");

	is_path(cfg->upload_dir, v, "uploads", "upload_dir");
	is_path(cfg->processed_dir, v, "processed", "processed_dir");
	ok(cfg->max_upload_size_mb == 10.0, "max_upload_size_mb");
	is_int(cfg->n_allowed_ext, 3, "three extensions");
	is_str(cfg->allowed_ext[0], ".jpg", ".jpg");
	is_str(cfg->allowed_ext[1], ".jpeg", ".jpeg");
	is_str(cfg->allowed_ext[2], ".png", ".png");
	is_int(cfg->max_pixels, 40000000, "max_pixels");
	is_int(cfg->url_ttl_seconds, 3600, "url_ttl_seconds");
	is_int(cfg->retention_days, 0, "retention_days");
	is_int(cfg->jpeg_quality, 92, "jpeg_quality");
	is_int(cfg->session_cleanup_hours, 24, "session.cleanup_hours");
	is_int(cfg->max_concurrent_uploads_per_session, 3, "max uploads");
	is_str(jtext(cfg->root, "processing.queue_size"), "100", "queue_size");
	is_str(jtext(cfg->root, "processing.max_images_per_day"), "0",
	    "max_images_per_day");
	is_int(cfg->log_level, PRLOG_INFO, "logging.level");
	is_path(cfg->log_file, v, "log/photorestore.log", "logging.file");
	is_str(cfg->auth_username, "admin", "auth.username");
	is_str(cfg->auth_email, "admin@example.com", "auth.email");
	is_str(cfg->auth_full_name, "Administrator", "auth.full_name");
	is_str(cfg->auth_password, "", "auth.password empty");

	/* Models: local first, in config order, with their parameters. */
	ok(cJSON_IsArray(cfg->models), "models is an array");
	for (i = 0; i < 3; i++) {
		m = cJSON_GetArrayItem(cfg->models, (int)i);
		is_str(cJSON_GetObjectItem(m, "id") ?
		    cJSON_GetObjectItem(m, "id")->valuestring : NULL, ids[i],
		    "model %zu is %s", i, ids[i]);
		is_str(jtext(m, "provider"), "\"local\"", "%s is local",
		    ids[i]);
	}
	first = cfg_model(cfg, "local-restore");
	ok(first == cJSON_GetArrayItem(cfg->models, 0), "cfg_model finds "
	    "local-restore");
	is_str(jtext(first, "parameters"), "{\"strength\":0.7,\"denoise\":"
	    "true,\"scratch_removal\":true,\"color_correction\":true}",
	    "local-restore parameters");
	is_str(jtext(cfg_model(cfg, "local-upscale-2x"), "parameters"),
	    "{\"scale\":2}", "2x parameters");
	is_str(jtext(cfg_model(cfg, "local-upscale-4x"), "parameters"),
	    "{\"scale\":4}", "4x parameters");
	is_str(jtext(cfg_model(cfg, "swin2sr-2x"), "model"),
	    "\"caidas/swin2SR-classical-sr-x2-64\"", "swin2sr model");
	is_str(jtext(cfg_model(cfg, "instruct-pix2pix"), "parameters.prompt"),
	    "\"restore this old photo\"", "pix2pix prompt");
	is_str(jtext(cfg_model(cfg, "gfpgan"), "version"), "null",
	    "gfpgan version null");
	is_str(jtext(cfg_model(cfg, "gfpgan"), "category"), "\"face\"",
	    "gfpgan category face");
	is_str(jtext(cfg_model(cfg, "gfpgan"), "replicate_schema.image_param"),
	    "\"img\"", "gfpgan image_param");
	ok(cfg_model(cfg, "nope") == NULL, "unknown model id is NULL");
	ok(cfg_model(cfg, NULL) == NULL, "NULL id is NULL");
	n = 0;
	cJSON_ArrayForEach(m, cfg->models) {
		n++;
		if (!cJSON_IsTrue(cJSON_GetObjectItem(m, "enabled")))
			diag("model %s not enabled", jtext(m, "id"));
	}
	ok(n >= 7, "%zu models configured", n);

	/* default.json itself spells out every key (not only built-ins). */
	if ((f = fopen("conf/default.json", "r")) == NULL) {
		ok(0, "open conf/default.json");
		cfg_free(cfg);
		return;
	}
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	raw = cJSON_Parse(text);
	for (i = 0; i < sizeof(default_keys) / sizeof(default_keys[0]); i++)
		ok(node(raw, default_keys[i]) != NULL,
		    "default.json has %s", default_keys[i]);
	cJSON_Delete(raw);
	cfg_free(cfg);

	/* conf/test.json, the test override, lowers the PBKDF2 cost. */
	setenv("APP_ENV", "test", 1);
	if ((cfg = load()) == NULL) {
		ok(0, "APP_ENV=test loads: %s", errbuf);
		return;
	}
	ok(cfg->pbkdf2_iterations < 600000, "test.json lowers "
	    "pbkdf2_iterations (%u)", cfg->pbkdf2_iterations);
	is_int(cfg->access_token_expire_minutes, 1440, "test.json keeps the "
	    "rest");
	cfg_free(cfg);
}

/* ---------------------------------------------------------- precedence */

/* Each environment name, a value, the key it sets and its JSON text. */
static const struct {
	const char	*env;
	const char	*value;
	const char	*path;
	const char	*json;
} envcases[] = {
	{ "SECRET_KEY", "0123456789abcdef0123456789abcdef",
	    "security.secret_key", "\"0123456789abcdef0123456789abcdef\"" },
	{ "ACCESS_TOKEN_EXPIRE_MINUTES", "42",
	    "security.access_token_expire_minutes", "42" },
	{ "DATABASE_URL", "sqlite:////srv/x.db", "database.url",
	    "\"sqlite:////srv/x.db\"" },
	{ "UPLOAD_DIR", "/srv/up", "file_storage.upload_dir", "\"/srv/up\"" },
	{ "PROCESSED_DIR", "done", "file_storage.processed_dir",
	    "\"done\"" },
	{ "MAX_UPLOAD_SIZE_MB", "2.5", "file_storage.max_upload_size_mb",
	    "2.5" },
	{ "ALLOWED_EXTENSIONS", "JPG, .Png,webp",
	    "file_storage.allowed_extensions", "[\".jpg\",\".png\",\".webp\"]" },
	{ "ALLOWED_EXTENSIONS", "[\".TIFF\",\"jpg\"]",
	    "file_storage.allowed_extensions", "[\".tiff\",\".jpg\"]" },
	{ "HF_API_KEY", "hf_x", "api_providers.huggingface.api_key",
	    "\"hf_x\"" },
	{ "HF_API_URL", "http://127.0.0.1:9999/models",
	    "api_providers.huggingface.api_url",
	    "\"http://127.0.0.1:9999/models\"" },
	{ "HF_API_TIMEOUT", "7", "api_providers.huggingface.timeout_seconds",
	    "7" },
	{ "REPLICATE_API_TOKEN", "r8_x", "api_providers.replicate.api_token",
	    "\"r8_x\"" },
	{ "REPLICATE_API_URL", "http://127.0.0.1:9998/v1",
	    "api_providers.replicate.api_url",
	    "\"http://127.0.0.1:9998/v1\"" },
	{ "REPLICATE_API_TIMEOUT", "3600",
	    "api_providers.replicate.timeout_seconds", "3600" },
	{ "MODELS_REQUIRE_AUTH", "yes", "models_api.require_auth", "true" },
	{ "MODELS_REQUIRE_AUTH", "ON", "models_api.require_auth", "true" },
	{ "MODELS_REQUIRE_AUTH", "0", "models_api.require_auth", "false" },
	{ "SESSION_CLEANUP_HOURS", "8760", "session.cleanup_hours", "8760" },
	{ "MAX_CONCURRENT_UPLOADS_PER_SESSION", "1",
	    "processing.max_concurrent_uploads_per_session", "1" },
	{ "CORS_ORIGINS", "http://a.example, https://b.example:8443",
	    "cors.origins", "[\"http://a.example\",\"https://b.example:8443\"]" },
	{ "CORS_ORIGINS", "[\"*\"]", "cors.origins", "[\"*\"]" },
	{ "DEBUG", "true", "application.debug", "true" },
	{ "DEBUG", "off", "application.debug", "false" },
	{ "LOG_LEVEL", "WARN", "logging.level", "\"warning\"" },
	{ "LOG_LEVEL", "Debug", "logging.level", "\"debug\"" },
	{ "PBKDF2_ITERATIONS", "1", "security.pbkdf2_iterations", "1" },
	{ "AUTH_USERNAME", "root_1", "auth.username", "\"root_1\"" },
	{ "AUTH_PASSWORD", "Passw0rd!", "auth.password", "\"Passw0rd!\"" },
	{ "AUTH_EMAIL", "ops@example.org", "auth.email",
	    "\"ops@example.org\"" },
	{ "AUTH_FULL_NAME", "Ops Person", "auth.full_name",
	    "\"Ops Person\"" },
	{ "HTTP_PORT", "9080", "server.http_port", "9080" },
};

static void
t_precedence(void)
{
	struct config	*cfg;
	const char	*v = mktmp(), *d;
	char		*dump;
	size_t		 i;

	clear_env();
	setenv("VARDIR", v, 1);
	d = confdir("{\"security\":{\"access_token_expire_minutes\":100,"
	    "\"login_max_failures\":7},\"api_providers\":{\"huggingface\":"
	    "{\"timeout_seconds\":11}},\"logging\":{\"level\":\"warning\"},"
	    "\"database\":{\"url\":\"sqlite:///d.db\"},\"application\":"
	    "{\"debug\":true}}");
	WRITE(d, "staging.json", "{\"security\":{"
	    "\"access_token_expire_minutes\":200},\"api_providers\":"
	    "{\"huggingface\":{\"timeout_seconds\":22}},\"database\":{\"url\":"
	    "\"sqlite:///s.db\"}}");

	/* default.json over built-in defaults. */
	if ((cfg = load()) == NULL) {
		ok(0, "load: %s", errbuf);
		return;
	}
	is_int(cfg->access_token_expire_minutes, 100, "default.json beats "
	    "built-in (security.access_token_expire_minutes)");
	is_int(cfg->hf.timeout_seconds, 11, "default.json beats built-in "
	    "(nested api_providers.huggingface.timeout_seconds)");
	is_int(cfg->log_level, PRLOG_WARN, "default.json logging.level");
	is_path(cfg->db_path, v, "d.db", "default.json database.url");
	is_int(cfg->remember_me_expire_days, 7, "built-in default when no "
	    "file sets remember_me_expire_days");
	is_int(cfg->pbkdf2_iterations, 600000, "built-in pbkdf2_iterations");
	is_int(cfg->hf.retry_attempts, 3, "built-in hf retry_attempts");
	is_str(cfg->app_name, "Photo Restoration API", "built-in app name");
	is_str(jtext(cfg->root, "security.remember_me_expire_days"), "7",
	    "built-in defaults appear in the tree");
	is_int(cfg->debug, 1, "default.json application.debug");
	cfg_free(cfg);

	/* <APP_ENV>.json over default.json. */
	setenv("APP_ENV", "staging", 1);
	if ((cfg = load()) == NULL) {
		ok(0, "load staging: %s", errbuf);
		return;
	}
	is_int(cfg->access_token_expire_minutes, 200, "APP_ENV json beats "
	    "default.json");
	is_int(cfg->hf.timeout_seconds, 22, "APP_ENV json beats default.json "
	    "(nested)");
	is_int(cfg->login_max_failures, 7, "default.json keys the override "
	    "does not name stay");
	is_path(cfg->db_path, v, "s.db", "APP_ENV database.url");
	cfg_free(cfg);

	/* The environment over everything. */
	setenv("ACCESS_TOKEN_EXPIRE_MINUTES", "300", 1);
	setenv("HF_API_TIMEOUT", "33", 1);
	setenv("DATABASE_URL", "sqlite:///e.db", 1);
	setenv("LOG_LEVEL", "ERROR", 1);
	setenv("PBKDF2_ITERATIONS", "1234", 1);
	setenv("DEBUG", "no", 1);
	if ((cfg = load()) == NULL) {
		ok(0, "load env: %s", errbuf);
		return;
	}
	is_int(cfg->access_token_expire_minutes, 300, "env beats APP_ENV json");
	is_int(cfg->hf.timeout_seconds, 33, "env beats APP_ENV json (nested)");
	is_path(cfg->db_path, v, "e.db", "DATABASE_URL beats the files");
	is_str(cfg->database_url, "sqlite:///e.db", "database_url from env");
	is_int(cfg->log_level, PRLOG_ERROR, "LOG_LEVEL beats default.json");
	is_int(cfg->pbkdf2_iterations, 1234, "env beats built-in");
	is_int(cfg->debug, 0, "DEBUG=no beats default.json true");
	is_str(jtext(cfg->root, "security.access_token_expire_minutes"),
	    "300", "env value is in the tree");
	is_str(jtext(cfg->root, "logging.level"), "\"error\"",
	    "LOG_LEVEL normalised in the tree");
	dump = cfg_dump_redacted(cfg);
	ok(dump != NULL && strstr(dump, "\"access_token_expire_minutes\":\t300")
	    != NULL, "the dump shows the effective value");
	free(dump);
	cfg_free(cfg);

	/* An empty variable counts as unset. */
	setenv("ACCESS_TOKEN_EXPIRE_MINUTES", "", 1);
	if ((cfg = load()) == NULL) {
		ok(0, "load empty env: %s", errbuf);
		return;
	}
	is_int(cfg->access_token_expire_minutes, 200, "empty variable is "
	    "ignored");
	cfg_free(cfg);

	/* Every environment name reaches its key (and the tree). */
	for (i = 0; i < sizeof(envcases) / sizeof(envcases[0]); i++) {
		clear_env();
		setenv("VARDIR", v, 1);
		setenv("CONFIG_DIR", d, 1);
		setenv(envcases[i].env, envcases[i].value, 1);
		if ((cfg = load()) == NULL) {
			ok(0, "%s=%s: %s", envcases[i].env, envcases[i].value,
			    errbuf);
			continue;
		}
		is_str(jtext(cfg->root, envcases[i].path), envcases[i].json,
		    "%s=%s sets %s", envcases[i].env, envcases[i].value,
		    envcases[i].path);
		cfg_free(cfg);
	}

	/* And the struct fields of a few. */
	clear_env();
	setenv("VARDIR", v, 1);
	setenv("CONFIG_DIR", d, 1);
	setenv("UPLOAD_DIR", "/srv/up", 1);
	setenv("PROCESSED_DIR", "done", 1);
	setenv("MAX_UPLOAD_SIZE_MB", "2.5", 1);
	setenv("HF_API_KEY", "hf_x", 1);
	setenv("REPLICATE_API_TOKEN", "r8_x", 1);
	setenv("MODELS_REQUIRE_AUTH", "1", 1);
	setenv("SESSION_CLEANUP_HOURS", "5", 1);
	setenv("MAX_CONCURRENT_UPLOADS_PER_SESSION", "9", 1);
	setenv("AUTH_USERNAME", "boss", 1);
	setenv("AUTH_PASSWORD", "Secret-Passw0rd", 1);
	setenv("AUTH_EMAIL", "boss@example.org", 1);
	setenv("AUTH_FULL_NAME", "The Boss", 1);
	setenv("REPLICATE_API_TIMEOUT", "9", 1);
	setenv("ALLOWED_EXTENSIONS", "png", 1);
	if ((cfg = load()) == NULL) {
		ok(0, "load fields: %s", errbuf);
		return;
	}
	is_str(cfg->upload_dir, "/srv/up", "absolute UPLOAD_DIR kept");
	is_path(cfg->processed_dir, v, "done", "relative PROCESSED_DIR in "
	    "vardir");
	ok(cfg->max_upload_size_mb == 2.5, "MAX_UPLOAD_SIZE_MB");
	is_str(cfg->hf.api_key, "hf_x", "HF_API_KEY");
	is_str(cfg->replicate.api_key, "r8_x", "REPLICATE_API_TOKEN");
	is_int(cfg->models_require_auth, 1, "MODELS_REQUIRE_AUTH");
	is_int(cfg->session_cleanup_hours, 5, "SESSION_CLEANUP_HOURS");
	is_int(cfg->max_concurrent_uploads_per_session, 9,
	    "MAX_CONCURRENT_UPLOADS_PER_SESSION");
	is_str(cfg->auth_username, "boss", "AUTH_USERNAME");
	is_str(cfg->auth_password, "Secret-Passw0rd", "AUTH_PASSWORD");
	is_str(cfg->auth_email, "boss@example.org", "AUTH_EMAIL");
	is_str(cfg->auth_full_name, "The Boss", "AUTH_FULL_NAME");
	is_int(cfg->replicate.timeout_seconds, 9, "REPLICATE_API_TIMEOUT");
	is_int(cfg->n_allowed_ext, 1, "ALLOWED_EXTENSIONS one entry");
	is_str(cfg->allowed_ext[0], ".png", "normalised with a dot");
	cfg_free(cfg);
}

/* ---------------------------------------------------------- deep merge */

static void
t_deep_merge(void)
{
	struct config	*cfg;
	const char	*d;

	clear_env();
	setenv("VARDIR", mktmp(), 1);
	d = confdir("{\"security\":{\"access_token_expire_minutes\":100,"
	    "\"login_max_failures\":7},\"file_storage\":{\"allowed_extensions\":"
	    "[\".jpg\",\".png\",\".gif\"],\"jpeg_quality\":80},\"cors\":"
	    "{\"origins\":[\"http://a.example\",\"http://b.example\"],"
	    "\"allow_credentials\":false},\"api_providers\":{\"huggingface\":"
	    "{\"timeout_seconds\":11,\"retry_attempts\":4}},\"models\":["
	    "{\"id\":\"m1\",\"name\":\"M1\",\"model\":\"restore\",\"provider\":"
	    "\"local\",\"category\":\"restore\",\"description\":\"\","
	    "\"parameters\":{\"a\":1,\"b\":2}},"
	    "{\"id\":\"m2\",\"name\":\"M2\",\"model\":\"upscale\",\"provider\":"
	    "\"local\",\"category\":\"upscale\",\"description\":\"\"}]}");
	WRITE(d, "over.json", "{\"security\":{\"login_max_failures\":9},"
	    "\"file_storage\":{\"allowed_extensions\":[\".PNG\"]},\"cors\":"
	    "{\"origins\":[\"http://c.example\"]},\"api_providers\":"
	    "{\"huggingface\":{\"retry_attempts\":5}},\"models\":[{\"id\":"
	    "\"m3\",\"name\":\"M3\",\"model\":\"restore\",\"provider\":"
	    "\"local\",\"category\":\"restore\",\"description\":\"x\","
	    "\"parameters\":{\"b\":3}}]}");
	setenv("APP_ENV", "over", 1);
	if ((cfg = load()) == NULL) {
		ok(0, "load: %s", errbuf);
		return;
	}
	is_int(cfg->access_token_expire_minutes, 100, "sibling key of an "
	    "overridden key stays (objects merge)");
	is_int(cfg->login_max_failures, 9, "overridden key changes");
	is_int(cfg->jpeg_quality, 80, "untouched group member stays");
	is_int(cfg->hf.timeout_seconds, 11, "three-level merge keeps "
	    "siblings");
	is_int(cfg->hf.retry_attempts, 5, "three-level merge overrides");
	is_int(cfg->n_allowed_ext, 1, "lists replace, not append");
	is_str(cfg->allowed_ext[0], ".png", "replacement list normalised");
	is_str(jtext(cfg->root, "cors.origins"), "[\"http://c.example\"]",
	    "cors.origins replaced");
	is_str(jtext(cfg->root, "cors.allow_credentials"), "false",
	    "cors sibling stays");
	is_int(cJSON_GetArraySize(cfg->models), 1, "models list replaced");
	ok(cfg_model(cfg, "m1") == NULL && cfg_model(cfg, "m3") != NULL,
	    "only the override's models remain");
	is_str(jtext(cfg_model(cfg, "m3"), "parameters"), "{\"b\":3}",
	    "objects inside a replaced list are not merged");
	is_str(jtext(cfg_model(cfg, "m3"), "enabled"), "true",
	    "enabled defaults to true");
	is_str(jtext(cfg_model(cfg, "m3"), "tags"), "[]", "tags default []");
	is_str(jtext(cfg_model(cfg, "m3"), "version"), "null",
	    "version defaults to null");
	cfg_free(cfg);

	/* A scalar replacing an object, and an object replacing a scalar. */
	WRITE(d, "over.json", "{\"file_storage\":{\"allowed_extensions\":"
	    "\".png\"}}");
	if ((cfg = load()) != NULL) {
		ok(0, "a string where a list belongs is refused");
		cfg_free(cfg);
	} else
		ok(strstr(errbuf, "over.json: file_storage.allowed_extensions")
		    != NULL, "type error blamed on the override: %s", errbuf);
	WRITE(d, "over.json", "{\"security\":5}");
	if ((cfg = load()) != NULL) {
		ok(0, "a number replacing the security object is refused");
		cfg_free(cfg);
	} else
		ok(strstr(errbuf, "over.json: security: must be an object")
		    != NULL, "%s", errbuf);
	/* No models anywhere: the built-in local ones. */
	clear_env();
	setenv("VARDIR", mktmp(), 1);
	confdir("{}");
	if ((cfg = load()) == NULL) {
		ok(0, "empty default.json loads: %s", errbuf);
		return;
	}
	ok(1, "an empty default.json loads (built-in defaults)");
	is_int(cJSON_GetArraySize(cfg->models), 3, "three built-in models");
	ok(cfg_model(cfg, "local-restore") != NULL, "built-in local-restore");
	is_int(cfg->access_token_expire_minutes, 1440, "built-in 1440");
	cfg_free(cfg);
}

/* ------------------------------------------------------------- invalid */

/*
 * Each case: text for default.json ("{}" when NULL), optional override
 * file bad.json (APP_ENV=bad), optional environment variable, and the
 * substrings the message must contain (source, key, rule).
 */
static const struct {
	const char	*def;
	const char	*over;
	const char	*env;
	const char	*val;
	const char	*want[3];
} badcases[] = {
	{ "{\"security\":{\"access_token_expire_minutes\":0}}", NULL, NULL,
	    NULL, { "default.json: security.access_token_expire_minutes: "
	    "must be an integer between 1 and 525600" } },
	{ NULL, "{\"security\":{\"pbkdf2_iterations\":\"many\"}}", NULL, NULL,
	    { "bad.json: security.pbkdf2_iterations", "integer" } },
	{ NULL, NULL, "ACCESS_TOKEN_EXPIRE_MINUTES", "abc",
	    { "environment variable ACCESS_TOKEN_EXPIRE_MINUTES: "
	    "security.access_token_expire_minutes: must be an integer "
	    "between 1 and 525600" } },
	{ NULL, NULL, "ACCESS_TOKEN_EXPIRE_MINUTES", "525601",
	    { "ACCESS_TOKEN_EXPIRE_MINUTES", "access_token_expire_minutes" } },
	{ NULL, NULL, "ACCESS_TOKEN_EXPIRE_MINUTES", " 5",
	    { "ACCESS_TOKEN_EXPIRE_MINUTES", "access_token_expire_minutes" } },
	{ NULL, NULL, "ACCESS_TOKEN_EXPIRE_MINUTES", "99999999999999999999",
	    { "ACCESS_TOKEN_EXPIRE_MINUTES", "access_token_expire_minutes" } },
	{ NULL, NULL, "PBKDF2_ITERATIONS", "0",
	    { "PBKDF2_ITERATIONS", "security.pbkdf2_iterations" } },
	{ NULL, NULL, "PBKDF2_ITERATIONS", "10000001",
	    { "PBKDF2_ITERATIONS", "security.pbkdf2_iterations" } },
	{ NULL, NULL, "MAX_UPLOAD_SIZE_MB", "0",
	    { "MAX_UPLOAD_SIZE_MB", "file_storage.max_upload_size_mb",
	    "greater than 0" } },
	{ NULL, NULL, "MAX_UPLOAD_SIZE_MB", "-1",
	    { "MAX_UPLOAD_SIZE_MB", "file_storage.max_upload_size_mb" } },
	{ NULL, NULL, "MAX_UPLOAD_SIZE_MB", "10MB",
	    { "MAX_UPLOAD_SIZE_MB", "file_storage.max_upload_size_mb" } },
	{ NULL, NULL, "MAX_UPLOAD_SIZE_MB", "nan",
	    { "MAX_UPLOAD_SIZE_MB", "file_storage.max_upload_size_mb" } },
	{ NULL, NULL, "MAX_UPLOAD_SIZE_MB", "1025",
	    { "MAX_UPLOAD_SIZE_MB", "file_storage.max_upload_size_mb" } },
	{ NULL, NULL, "HF_API_TIMEOUT", "0",
	    { "HF_API_TIMEOUT", "api_providers.huggingface.timeout_seconds" } },
	{ NULL, NULL, "REPLICATE_API_TIMEOUT", "3601",
	    { "REPLICATE_API_TIMEOUT",
	    "api_providers.replicate.timeout_seconds" } },
	{ NULL, NULL, "HF_API_URL", "ftp://example.com",
	    { "HF_API_URL", "api_providers.huggingface.api_url", "http" } },
	{ NULL, NULL, "REPLICATE_API_URL", "api.replicate.com",
	    { "REPLICATE_API_URL", "api_providers.replicate.api_url" } },
	{ NULL, NULL, "MODELS_REQUIRE_AUTH", "maybe",
	    { "MODELS_REQUIRE_AUTH", "models_api.require_auth",
	    "true, false" } },
	{ NULL, NULL, "DEBUG", "2", { "DEBUG", "application.debug" } },
	{ NULL, NULL, "LOG_LEVEL", "verbose",
	    { "LOG_LEVEL", "logging.level", "debug, info, warning" } },
	{ NULL, NULL, "SESSION_CLEANUP_HOURS", "8761",
	    { "SESSION_CLEANUP_HOURS", "session.cleanup_hours" } },
	{ NULL, NULL, "MAX_CONCURRENT_UPLOADS_PER_SESSION", "101",
	    { "MAX_CONCURRENT_UPLOADS_PER_SESSION",
	    "processing.max_concurrent_uploads_per_session" } },
	{ NULL, NULL, "ALLOWED_EXTENSIONS", ".jpg,,.png",
	    { "ALLOWED_EXTENSIONS", "file_storage.allowed_extensions" } },
	{ NULL, NULL, "ALLOWED_EXTENSIONS", ".j/pg",
	    { "ALLOWED_EXTENSIONS", "file_storage.allowed_extensions" } },
	{ NULL, NULL, "ALLOWED_EXTENSIONS", "[\".jpg\"",
	    { "ALLOWED_EXTENSIONS", "file_storage.allowed_extensions",
	    "JSON array" } },
	{ NULL, NULL, "CORS_ORIGINS", "[1,2]",
	    { "CORS_ORIGINS", "cors.origins" } },
	{ NULL, NULL, "CORS_ORIGINS", "localhost",
	    { "CORS_ORIGINS", "cors.origins" } },
	{ NULL, NULL, "SECRET_KEY", "tooshort",
	    { "SECRET_KEY", "security.secret_key",
	    "SECRET_KEY must be at least 32 bytes" } },
	{ NULL, NULL, "DATABASE_URL", "mysql://u:p@h/db",
	    { "environment variable DATABASE_URL: database.url" } },
	{ NULL, NULL, "AUTH_USERNAME", "a b", { "AUTH_USERNAME",
	    "auth.username" } },
	{ NULL, NULL, "AUTH_USERNAME", "ab", { "AUTH_USERNAME",
	    "auth.username" } },
	{ NULL, NULL, "AUTH_EMAIL", "nope", { "AUTH_EMAIL", "auth.email" } },
	{ NULL, NULL, "HTTP_PORT", "70000", { "HTTP_PORT",
	    "server.http_port" } },
	{ NULL, NULL, "HF_API_KEY", "hf_abc\r\nX-Evil: 1", { "HF_API_KEY",
	    "api_providers.huggingface.api_key", "control" } },
	{ "{\"security\":{\"algorithm\":\"none\"}}", NULL, NULL, NULL,
	    { "default.json: security.algorithm", "HS256" } },
	{ "{\"security\":{\"secret_key\":\"short\"}}", NULL, NULL, NULL,
	    { "default.json: security.secret_key",
	    "SECRET_KEY must be at least 32 bytes" } },
	{ "{\"security\":{\"remember_me_expire_days\":366}}", NULL, NULL,
	    NULL, { "default.json: security.remember_me_expire_days",
	    "between 1 and 365" } },
	{ "{\"security\":{\"login_max_failures\":1001}}", NULL, NULL, NULL,
	    { "default.json: security.login_max_failures" } },
	{ "{\"security\":{\"login_window_seconds\":0}}", NULL, NULL, NULL,
	    { "default.json: security.login_window_seconds" } },
	{ "{\"file_storage\":{\"jpeg_quality\":101}}", NULL, NULL, NULL,
	    { "default.json: file_storage.jpeg_quality", "between 1 and 100" } },
	{ "{\"file_storage\":{\"jpeg_quality\":null}}", NULL, NULL, NULL,
	    { "default.json: file_storage.jpeg_quality" } },
	{ "{\"file_storage\":{\"max_pixels\":1e10}}", NULL, NULL, NULL,
	    { "default.json: file_storage.max_pixels" } },
	{ "{\"file_storage\":{\"url_ttl_seconds\":0}}", NULL, NULL, NULL,
	    { "default.json: file_storage.url_ttl_seconds" } },
	{ "{\"file_storage\":{\"retention_days\":36501}}", NULL, NULL, NULL,
	    { "default.json: file_storage.retention_days" } },
	{ "{\"file_storage\":{\"max_upload_size_mb\":0}}", NULL, NULL, NULL,
	    { "default.json: file_storage.max_upload_size_mb" } },
	{ "{\"file_storage\":{\"upload_dir\":\"\"}}", NULL, NULL, NULL,
	    { "default.json: file_storage.upload_dir" } },
	{ "{\"file_storage\":{\"allowed_extensions\":[]}}", NULL, NULL, NULL,
	    { "default.json: file_storage.allowed_extensions" } },
	{ "{\"server\":{\"workers\":65}}", NULL, NULL, NULL,
	    { "default.json: server.workers", "between 1 and 64" } },
	{ "{\"server\":{\"workers\":1.5}}", NULL, NULL, NULL,
	    { "default.json: server.workers", "integer" } },
	{ "{\"server\":{\"max_requests\":0}}", NULL, NULL, NULL,
	    { "default.json: server.max_requests" } },
	{ "{\"database\":{\"busy_timeout_ms\":-1}}", NULL, NULL, NULL,
	    { "default.json: database.busy_timeout_ms" } },
	{ "{\"database\":{\"url\":\"oracle://x\"}}", NULL, NULL, NULL,
	    { "default.json: database.url" } },
	{ "{\"api_providers\":{\"replicate\":{\"retry_attempts\":11}}}", NULL,
	    NULL, NULL, { "default.json: api_providers.replicate."
	    "retry_attempts", "between 0 and 10" } },
	{ "{\"api_providers\":{\"huggingface\":{\"retry_delay_seconds\":61}}}",
	    NULL, NULL, NULL, { "default.json: api_providers.huggingface."
	    "retry_delay_seconds", "between 0 and 60" } },
	{ "{\"api_providers\":{\"huggingface\":{\"max_response_mb\":0}}}",
	    NULL, NULL, NULL, { "api_providers.huggingface.max_response_mb" } },
	{ "{\"api_providers\":[]}", NULL, NULL, NULL,
	    { "default.json: api_providers", "must be an object" } },
	{ "{\"application\":{\"debug\":\"yes\"}}", NULL, NULL, NULL,
	    { "default.json: application.debug", "true or false" } },
	{ "{\"application\":{\"name\":\"\"}}", NULL, NULL, NULL,
	    { "default.json: application.name" } },
	{ "{\"application\":{\"name\":\"a\\nb\"}}", NULL, NULL, NULL,
	    { "default.json: application.name", "control" } },
	{ "{\"logging\":{\"level\":3}}", NULL, NULL, NULL,
	    { "default.json: logging.level" } },
	{ "{\"logging\":{\"level\":\"loud\"}}", NULL, NULL, NULL,
	    { "default.json: logging.level" } },
	{ "{\"session\":{\"cleanup_hours\":0}}", NULL, NULL, NULL,
	    { "default.json: session.cleanup_hours" } },
	{ "{\"processing\":{\"queue_size\":0}}", NULL, NULL, NULL,
	    { "default.json: processing.queue_size" } },
	{ "{\"models_api\":{\"require_auth\":1}}", NULL, NULL, NULL,
	    { "default.json: models_api.require_auth" } },
	{ "{\"auth\":{\"email\":\"@x\"}}", NULL, NULL, NULL,
	    { "default.json: auth.email" } },
	{ "{\"models\":{}}", NULL, NULL, NULL,
	    { "default.json: models", "array" } },
	{ "{\"models\":[1]}", NULL, NULL, NULL,
	    { "default.json: models[0]", "object" } },
	{ "{\"models\":[{\"name\":\"x\"}]}", NULL, NULL, NULL,
	    { "default.json: models[0].id", "missing" } },
	{ NULL, "{\"models\":[{\"id\":\"a b\",\"name\":\"x\"}]}", NULL, NULL,
	    { "bad.json: models[0].id" } },
#define M(id, prov)	"{\"id\":\"" id "\",\"name\":\"N\",\"model\":\"m\"," \
	"\"provider\":\"" prov "\",\"category\":\"c\",\"description\":\"d\""
	{ "{\"models\":[" M("a", "openai") "}]}", NULL, NULL, NULL,
	    { "default.json: models[0].provider", "local, huggingface, "
	    "replicate" } },
	{ "{\"models\":[" M("a", "local") "}," M("a", "local") "}]}", NULL,
	    NULL, NULL, { "default.json: models[1].id", "duplicate" } },
	{ "{\"models\":[" M("a", "local") ",\"tags\":[1]}]}", NULL, NULL,
	    NULL, { "default.json: models[0].tags" } },
	{ "{\"models\":[" M("a", "local") ",\"version\":3}]}", NULL, NULL,
	    NULL, { "default.json: models[0].version" } },
	{ "{\"models\":[" M("a", "local") ",\"enabled\":\"no\"}]}", NULL,
	    NULL, NULL, { "default.json: models[0].enabled" } },
	{ "{\"models\":[" M("a", "local") ",\"parameters\":[]}]}", NULL,
	    NULL, NULL, { "default.json: models[0].parameters" } },
	{ "{\"models\":[" M("a", "replicate") ",\"replicate_schema\":"
	    "{\"input\":{\"img\":{\"type\":\"string\"}},\"image_param\":"
	    "\"image\"}}]}", NULL, NULL, NULL,
	    { "default.json: models[0].replicate_schema.image_param" } },
	{ "{\"models\":[" M("a", "replicate") ",\"replicate_schema\":"
	    "{\"input\":{\"img\":{\"type\":\"string\"},\"s\":{\"type\":"
	    "\"integer\",\"default\":2.5}},\"image_param\":\"img\"}}]}", NULL,
	    NULL, NULL,
	    { "default.json: models[0].replicate_schema.input.s.default" } },
	{ "{\"models\":[" M("a", "replicate") ",\"replicate_schema\":"
	    "{\"input\":{\"img\":{\"type\":\"string\"},\"v\":{\"enum\":"
	    "[\"x\",\"y\"],\"default\":\"z\"}},\"image_param\":\"img\"}}]}",
	    NULL, NULL, NULL,
	    { "models[0].replicate_schema.input.v.default", "enum" } },
	{ "{\"models\":[" M("a", "replicate") ",\"replicate_schema\":"
	    "{\"input\":{\"img\":{\"type\":\"string\"}},\"image_param\":"
	    "\"img\",\"hidden\":[\"nope\"]}}]}", NULL, NULL, NULL,
	    { "models[0].replicate_schema.hidden", "nope" } },
	{ "{\"models\":[" M("a", "replicate") ",\"replicate_schema\":"
	    "{\"input\":{\"img\":{\"type\":\"float\"}},\"image_param\":"
	    "\"img\"}}]}", NULL, NULL, NULL,
	    { "models[0].replicate_schema.input.img.type" } },
	{ "{\"models\":[" M("a", "replicate") ",\"replicate_schema\":"
	    "{\"input\":{\"img\":{\"type\":\"string\"},\"n\":{\"type\":"
	    "\"number\",\"minimum\":5,\"maximum\":1}},\"image_param\":"
	    "\"img\"}}]}", NULL, NULL, NULL,
	    { "models[0].replicate_schema.input.n", "minimum" } },
	{ "{\"models\":[" M("a", "replicate") ",\"replicate_schema\":"
	    "{\"input\":{\"img\":{\"type\":\"string\"}},\"image_param\":"
	    "\"img\",\"custom\":{\"max_file_size_mb\":0}}}]}", NULL, NULL,
	    NULL, { "models[0].replicate_schema.custom.max_file_size_mb" } },
#undef M
};

static void
t_invalid(void)
{
	struct config	*cfg;
	const char	*v = mktmp(), *d;
	size_t		 i, j;
	int		 good;

	for (i = 0; i < sizeof(badcases) / sizeof(badcases[0]); i++) {
		clear_env();
		setenv("VARDIR", v, 1);
		d = confdir(badcases[i].def != NULL ? badcases[i].def : "{}");
		if (badcases[i].over != NULL) {
			WRITE(d, "bad.json", badcases[i].over);
			setenv("APP_ENV", "bad", 1);
		}
		if (badcases[i].env != NULL)
			setenv(badcases[i].env, badcases[i].val, 1);
		if ((cfg = load()) != NULL) {
			ok(0, "case %zu (%s) refused", i, badcases[i].want[0]);
			cfg_free(cfg);
			continue;
		}
		good = errbuf[0] != '\0';
		for (j = 0; j < 3 && badcases[i].want[j] != NULL; j++)
			if (strstr(errbuf, badcases[i].want[j]) == NULL)
				good = 0;
		/* The file named must be the one at fault, with its dir. */
		if (badcases[i].env == NULL && strstr(errbuf, d) != errbuf)
			good = 0;
		ok(good, "case %zu: %s", i, errbuf);
		if (!good)
			diag("wanted '%s' '%s' '%s'", badcases[i].want[0],
			    badcases[i].want[1] ? badcases[i].want[1] : "",
			    badcases[i].want[2] ? badcases[i].want[2] : "");
		/* Secrets never appear in messages. */
		if (badcases[i].val != NULL && strlen(badcases[i].val) > 3 &&
		    strcmp(badcases[i].env, "SECRET_KEY") == 0)
			ok(strstr(errbuf, badcases[i].val) == NULL,
			    "the bad secret is not echoed");
	}
	/* Good values next to the limits load. */
	clear_env();
	setenv("VARDIR", v, 1);
	confdir("{\"security\":{\"access_token_expire_minutes\":525600,"
	    "\"remember_me_expire_days\":365},\"file_storage\":"
	    "{\"max_upload_size_mb\":1024,\"retention_days\":36500,"
	    "\"max_pixels\":1000000000,\"jpeg_quality\":1},\"database\":"
	    "{\"busy_timeout_ms\":0},\"api_providers\":{\"huggingface\":"
	    "{\"retry_attempts\":0,\"retry_delay_seconds\":0.5}},"
	    "\"unknown_group\":{\"x\":1},\"server\":{\"typo\":1}}");
	setenv("MAX_UPLOAD_SIZE_MB", "0.5", 1);
	if ((cfg = load()) == NULL)
		ok(0, "limits accepted: %s", errbuf);
	else {
		ok(1, "values at the limits load; unknown keys only warn");
		is_int(cfg->access_token_expire_minutes, 525600, "525600");
		is_int(cfg->max_pixels, 1000000000, "1e9 pixels");
		ok(cfg->max_upload_size_mb == 0.5, "fractional MB from env");
		ok(cfg->hf.retry_delay_seconds == 0.5, "fractional delay");
		cfg_free(cfg);
	}
}

/* ---------------------------------------------------------- json strict */

static void
expect_fail(const char *what, const char *w1, const char *w2)
{
	struct config	*cfg;

	if ((cfg = load()) != NULL) {
		ok(0, "%s refused", what);
		cfg_free(cfg);
		return;
	}
	ok(strstr(errbuf, w1) != NULL && (w2 == NULL ||
	    strstr(errbuf, w2) != NULL), "%s: %s", what, errbuf);
}

static void
t_json_strict(void)
{
	struct config	*cfg;
	const char	*d;
	char		*big, deep[200];
	size_t		 i;

	clear_env();
	setenv("VARDIR", mktmp(), 1);

	d = confdir("{\"security\":{}} x");
	expect_fail("trailing bytes", "default.json", "trailing");
	confdir("{}{}");
	expect_fail("two values", "default.json", "invalid JSON");
	d = confdir("{\n  \"security\": {\n    \"x\": tru\n  }\n}\n");
	expect_fail("invalid JSON", "default.json", "line 3");
	confdir("[]");
	expect_fail("top level array", "default.json", "object");
	confdir("");
	expect_fail("empty file", "default.json", "invalid JSON");
	confdir("{\"security\":{\"pbkdf2_iterations\":1,"
	    "\"pbkdf2_iterations\":600000}}");
	expect_fail("nested duplicate key", "default.json",
	    "duplicate key \"security.pbkdf2_iterations\"");
	confdir("{\"security\":{},\"security\":{}}");
	expect_fail("top-level duplicate key", "default.json",
	    "duplicate key \"security\"");
	d = confdir("{}");
	WRITE(d, "dup.json", "{\"models\":[{\"id\":\"a\",\"id\":\"b\"}]}");
	setenv("APP_ENV", "dup", 1);
	expect_fail("duplicate inside a list in the override", "dup.json",
	    "duplicate key \"models[0].id\"");
	unsetenv("APP_ENV");

	for (i = 0; i < 40; i++)
		deep[i] = '[';
	for (i = 0; i < 40; i++)
		deep[40 + i] = ']';
	deep[80] = '\0';
	{
		char	 text[256];

		snprintf(text, sizeof(text), "{\"x\":%s}", deep);
		confdir(text);
	}
	expect_fail("deep nesting", "default.json", "deeper");

	d = confdir("{}");
	write_file(d, "default.json", "{\"a\":\"\0\"}", 9);
	expect_fail("NUL byte", "default.json", "NUL");

	big = malloc(1024 * 1024 + 64);
	memset(big, ' ', 1024 * 1024 + 64);
	big[0] = '{';
	big[1024 * 1024 + 62] = '}';
	write_file(d, "default.json", big, 1024 * 1024 + 63);
	expect_fail("file over 1 MiB", "default.json", "larger than");
	write_file(d, "default.json", big + 100, 1024 * 1024 - 37);
	big[100] = '{';
	write_file(d, "default.json", big + 100, 1024 * 1024 - 37);
	cfg = load();
	ok(cfg != NULL, "a file just under 1 MiB loads: %s", errbuf);
	cfg_free(cfg);
	free(big);

	confdir("\xef\xbb\xbf{\"application\":{\"name\":\"BOM\"}}\n\n");
	cfg = load();
	ok(cfg != NULL && strcmp(cfg->app_name, "BOM") == 0,
	    "UTF-8 byte order mark and trailing white space accepted");
	cfg_free(cfg);

	d = confdir("{}");
	setenv("APP_ENV", "../etc/passwd", 1);
	expect_fail("APP_ENV with a slash", "APP_ENV", NULL);
	setenv("APP_ENV", "a.b", 1);
	expect_fail("APP_ENV with a dot", "APP_ENV", NULL);
	setenv("APP_ENV", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaa", 1);
	expect_fail("APP_ENV longer than 64", "APP_ENV", NULL);
	setenv("APP_ENV", "missing", 1);
	expect_fail("APP_ENV file missing", "missing.json", NULL);
	unsetenv("APP_ENV");

	setenv("CONFIG_DIR", "/nonexistent/prcfg", 1);
	expect_fail("default.json missing", "/nonexistent/prcfg/default.json",
	    NULL);
	setenv("CONFIG_DIR", d, 1);
	WRITE(d, "default.json", "{\"models\":\"x\"}");
	expect_fail("wrong type", "default.json: models", NULL);
}

/* --------------------------------------------------------- database url */

static void
t_database_url(void)
{
	static const struct {
		const char	*url;
		int		 rc;
		enum db_kind	 kind;
		const char	*path;
	} cases[] = {
		{ "sqlite:///photorestore.db", 0, DB_SQLITE,
		    "/srv/var/photorestore.db" },
		{ "sqlite:///sub/x.db", 0, DB_SQLITE, "/srv/var/sub/x.db" },
		{ "sqlite:////abs/x.db", 0, DB_SQLITE, "/abs/x.db" },
		{ "sqlite+aiosqlite:///x.db", 0, DB_SQLITE, "/srv/var/x.db" },
		{ "sqlite+aiosqlite:////abs/x.db", 0, DB_SQLITE, "/abs/x.db" },
		{ "sqlite:///./photo.db?check_same_thread=False", 0, DB_SQLITE,
		    "/srv/var/./photo.db" },
		{ "data/x.db", 0, DB_SQLITE, "/srv/var/data/x.db" },
		{ "x.db", 0, DB_SQLITE, "/srv/var/x.db" },
		{ "/abs/y.db", 0, DB_SQLITE, "/abs/y.db" },
		{ "postgresql://u:p@h/db", 0, DB_POSTGRES, "" },
		{ "postgres://h:5432/db", 0, DB_POSTGRES, "" },
		{ "mysql://u:p@h/db", -1, 0, "" },
		{ "http://x/y.db", -1, 0, "" },
		{ "sqlite:relative.db", -1, 0, "" },
		{ "sqlite:///", -1, 0, "" },
		{ "sqlite:////", -1, 0, "" },
		{ "sqlite://host/x.db", -1, 0, "" },
		{ "sqlite:///dir/", -1, 0, "" },
		{ "sqlite:///?x=1", -1, 0, "" },
		{ "", -1, 0, "" },
		{ "x\ty.db", -1, 0, "" },
	};
	struct config	*cfg;
	enum db_kind	 kind;
	char		 path[PATH_MAX];
	const char	*v;
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		kind = DB_POSTGRES + 7;
		snprintf(path, sizeof(path), "junk");
		rc = cfg_parse_db_url(cases[i].url, "/srv/var", &kind, path,
		    sizeof(path));
		is_int(rc, cases[i].rc, "'%s' %s", cases[i].url,
		    cases[i].rc == 0 ? "accepted" : "refused");
		if (rc == 0) {
			is_int(kind, cases[i].kind, "'%s' kind", cases[i].url);
			is_str(path, cases[i].path, "'%s' path", cases[i].url);
		}
	}
	ok(cfg_parse_db_url("x.db", NULL, &kind, path, sizeof(path)) == -1,
	    "relative path without vardir refused");
	ok(cfg_parse_db_url("sqlite:///x.db", "/v", &kind, path, 7) == -1,
	    "path longer than the buffer refused");
	ok(cfg_parse_db_url(NULL, "/v", &kind, path, sizeof(path)) == -1,
	    "NULL refused");

	/* Through cfg_load. */
	clear_env();
	v = mktmp();
	setenv("VARDIR", v, 1);
	confdir("{}");
	setenv("DATABASE_URL", "postgresql://user:pw@db.example/photos", 1);
	if ((cfg = load()) == NULL)
		ok(0, "postgres URL loads: %s", errbuf);
	else {
		is_int(cfg->db_kind, DB_POSTGRES, "DB_POSTGRES");
		is_str(cfg->db_path, "", "no db_path for PostgreSQL");
		cfg_free(cfg);
	}
	setenv("DATABASE_URL", "sqlite+aiosqlite:////data/p.db", 1);
	if ((cfg = load()) == NULL)
		ok(0, "aiosqlite URL loads: %s", errbuf);
	else {
		is_str(cfg->db_path, "/data/p.db", "absolute path");
		cfg_free(cfg);
	}
	setenv("DATABASE_URL", "db/p.db", 1);
	if ((cfg = load()) == NULL)
		ok(0, "bare path loads: %s", errbuf);
	else {
		is_path(cfg->db_path, v, "db/p.db", "bare path in vardir");
		cfg_free(cfg);
	}
	setenv("DATABASE_URL", "mongodb://user:hunter2@h/db", 1);
	expect_fail("garbage DATABASE_URL",
	    "environment variable DATABASE_URL: database.url", NULL);
	ok(strstr(errbuf, "hunter2") == NULL, "the URL's password is not "
	    "in the message");
}

/* ----------------------------------------------------------- redaction */

static void
t_redaction(void)
{
	static const struct {
		const char	*in;
		const char	*out;
	} cases[] = {
		{ "postgresql://user:pass@host/db",
		    "postgresql://user:***@host/db" },
		{ "postgresql://user@host/db", "postgresql://user@host/db" },
		{ "postgresql://host:5432/db", "postgresql://host:5432/db" },
		{ "postgresql://user:@host/db", "postgresql://user:@host/db" },
		{ "postgresql://user:p%40ss@host:5432/db?sslmode=require",
		    "postgresql://user:***@host:5432/db?sslmode=require" },
		{ "postgresql://user:pa@ss@host/db",
		    "postgresql://user:***@host/db" },
		{ "postgresql://user:pa/ss@host/db",
		    "postgresql://user:***@host/db" },
		{ "postgresql://user:pa#ss@host/db",
		    "postgresql://user:***@host/db" },
		{ "postgres://u:s3cret@h/db?password=s3cret&application_name=x",
		    "postgres://u:***@h/db?password=***&application_name=x" },
		{ "https://api.example/v1?token=abc&x=1",
		    "https://api.example/v1?token=***&x=1" },
		{ "https://h/x?API_KEY=abc#frag", "https://h/x?API_KEY=***#frag" },
		{ "https://h/x?client_secret=abc;sslkey=k",
		    "https://h/x?client_secret=***;sslkey=***" },
		{ "https://h/x?key=", "https://h/x?key=" },
		{ "https://h/x?keyring=1", "https://h/x?keyring=1" },
		{ "sqlite:///x.db", "sqlite:///x.db" },
		{ "/var/db/x.db", "/var/db/x.db" },
		{ "", "" },
	};
	static const char *const secrets[] = {
		"S3cretKey-0123456789-abcdefghijklmnop",
		"hf_SECRETTOKEN", "r8_SECRETTOKEN", "AdminPassw0rd!",
		"DbPassw0rd",
	};
	struct config	*cfg;
	char		 out[256], *dump;
	cJSON		*parsed;
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cfg_redact_url(cases[i].in, out, sizeof(out));
		is_str(out, cases[i].out, "redact '%s'", cases[i].in);
	}
	cfg_redact_url("postgresql://user:pass@host/db", out, 22);
	ok(strlen(out) == 21 && strstr(out, "pass") == NULL,
	    "truncated output stays redacted: %s", out);
	cfg_redact_url("postgresql://user:pass@host/db", out, 19);
	ok(strstr(out, "pas") == NULL, "truncated before the stars: %s", out);
	out[0] = 'x';
	cfg_redact_url("a", out, 0);
	ok(out[0] == 'x', "outsz 0 writes nothing");
	cfg_redact_url(NULL, out, sizeof(out));
	is_str(out, "", "NULL gives empty");

	clear_env();
	setenv("VARDIR", mktmp(), 1);
	confdir("{\"api_providers\":{\"huggingface\":{\"api_url\":"
	    "\"https://hf.example/models?token=hf_SECRETTOKEN\"}}}");
	setenv("SECRET_KEY", secrets[0], 1);
	setenv("HF_API_KEY", secrets[1], 1);
	setenv("REPLICATE_API_TOKEN", secrets[2], 1);
	setenv("AUTH_PASSWORD", secrets[3], 1);
	setenv("DATABASE_URL", "postgresql://dbuser:DbPassw0rd@db/photos", 1);
	if ((cfg = load()) == NULL) {
		ok(0, "load: %s", errbuf);
		return;
	}
	dump = cfg_dump_redacted(cfg);
	ok(dump != NULL, "dump made");
	if (dump == NULL)
		return;
	for (i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		ok(strstr(dump, secrets[i]) == NULL, "dump hides %.4s...",
		    secrets[i]);
	ok(strstr(dump, "dbuser:***@db/photos") != NULL,
	    "dump shows the redacted database URL");
	parsed = cJSON_Parse(dump);
	ok(parsed != NULL, "dump is JSON");
	is_str(jtext(parsed, "security.secret_key"), "\"***\"",
	    "secret_key starred");
	is_str(jtext(parsed, "api_providers.huggingface.api_key"), "\"***\"",
	    "hf api_key starred");
	is_str(jtext(parsed, "api_providers.replicate.api_token"), "\"***\"",
	    "replicate api_token starred");
	is_str(jtext(parsed, "auth.password"), "\"***\"", "password starred");
	is_str(jtext(parsed, "api_providers.huggingface.api_url"),
	    "\"https://hf.example/models?token=***\"", "api_url redacted");
	is_str(jtext(parsed, "application.name"),
	    "\"Photo Restoration API\"", "other values shown");
	cJSON_Delete(parsed);
	free(dump);
	is_str(jtext(cfg->root, "security.secret_key"), "\"S3cretKey-"
	    "0123456789-abcdefghijklmnop\"", "the dump left the config alone");
	is_str(cfg->hf.api_key, secrets[1], "HF key still usable");
	cfg_free(cfg);

	/* Empty secrets stay empty (no stars for unset keys). */
	clear_env();
	setenv("VARDIR", mktmp(), 1);
	confdir("{}");
	if ((cfg = load()) == NULL) {
		ok(0, "load: %s", errbuf);
		return;
	}
	dump = cfg_dump_redacted(cfg);
	parsed = cJSON_Parse(dump);
	is_str(jtext(parsed, "security.secret_key"), "\"\"",
	    "unset secret shows as empty");
	cJSON_Delete(parsed);
	free(dump);
	cfg_free(cfg);
	ok(cfg_dump_redacted(NULL) == NULL, "NULL config gives NULL");
}

/* -------------------------------------------------------------- secret */

static int
file_mode(const char *dir, const char *name, off_t *size)
{
	char		 p[PATH_MAX];
	struct stat	 st;

	if (snprintf(p, sizeof(p), "%s/%s", dir, name) >= (int)sizeof(p) ||
	    stat(p, &st) == -1)
		return -1;
	if (size != NULL)
		*size = st.st_size;
	return (int)(st.st_mode & 07777);
}

static int
is_hex64(const char *s)
{
	size_t	 i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return 0;
	return s[64] == '\0';
}

static void
t_secret(void)
{
	struct config	*cfg;
	const char	*base = mktmp();
	char		 v[PATH_MAX], p[PATH_MAX + 32], url1[65];
	char		 got[8][65];
	unsigned char	 key1[32];
	off_t		 size = 0;
	cJSON		*sk;
	int		 fds[2], i, status, n, same;
	pid_t		 pid;
	FILE		*f;

	clear_env();
	snprintf(v, sizeof(v), "%s/state/var", base);	/* does not exist */
	setenv("VARDIR", v, 1);
	confdir("{}");
	if ((cfg = load()) == NULL) {
		ok(0, "load: %s", errbuf);
		return;
	}
	is_int(cfg_secret(cfg, errbuf, sizeof(errbuf)), PR_OK,
	    "cfg_secret creates the keys: %s", errbuf);
	is_int(file_mode(v, "", NULL) & 0777, 0700, "vardir made 0700");
	is_int(file_mode(v, "secret.key", &size), 0600, "secret.key 0600");
	is_int(size, 32, "secret.key holds 32 bytes");
	is_int(file_mode(v, "url.key", &size), 0600, "url.key 0600");
	is_int(size, 64, "url.key holds 64 hex digits");
	is_int(cfg->secret_len, 32, "32-byte HS256 key");
	ok(is_hex64(cfg->url_secret), "url_secret is 64 hex digits");
	memcpy(key1, cfg->secret, 32);
	memcpy(url1, cfg->url_secret, 65);
	ok(memcmp(key1, url1, 32) != 0, "the two keys differ");
	cfg_free(cfg);

	if ((cfg = load()) == NULL) {
		ok(0, "reload: %s", errbuf);
		return;
	}
	is_int(cfg_secret(cfg, errbuf, sizeof(errbuf)), PR_OK, "second load");
	ok(cfg->secret_len == 32 && memcmp(cfg->secret, key1, 32) == 0,
	    "HS256 key stable across loads");
	is_str(cfg->url_secret, url1, "URL key stable across loads");
	is_int(cfg_secret(cfg, errbuf, sizeof(errbuf)), PR_OK,
	    "cfg_secret twice on one config");
	ok(memcmp(cfg->secret, key1, 32) == 0, "still the same key");
	cfg_free(cfg);

	/* SECRET_KEY wins over the file; the URL key still comes from disk. */
	setenv("SECRET_KEY", "0123456789abcdef0123456789abcdef-long", 1);
	if ((cfg = load()) == NULL) {
		ok(0, "load with SECRET_KEY: %s", errbuf);
		return;
	}
	is_int(cfg_secret(cfg, errbuf, sizeof(errbuf)), PR_OK,
	    "SECRET_KEY accepted");
	is_int(cfg->secret_len, 37, "secret_len is its length");
	ok(memcmp(cfg->secret, "0123456789abcdef0123456789abcdef-long", 37)
	    == 0, "secret is SECRET_KEY");
	is_str(cfg->url_secret, url1, "URL key unchanged");
	cfg_free(cfg);

	/* Shorter than 32 bytes: refused (at load and by cfg_secret). */
	setenv("SECRET_KEY", "0123456789abcdef0123456789abcde", 1);
	expect_fail("31-byte SECRET_KEY", "SECRET_KEY must be at least 32 "
	    "bytes", "environment variable SECRET_KEY");
	unsetenv("SECRET_KEY");
	if ((cfg = load()) == NULL) {
		ok(0, "load: %s", errbuf);
		return;
	}
	sk = cJSON_CreateString("short");
	cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItem(cfg->root,
	    "security"), "secret_key", sk);
	is_int(cfg_secret(cfg, errbuf, sizeof(errbuf)), PR_ECONFIG,
	    "cfg_secret refuses a short key");
	ok(strstr(errbuf, "SECRET_KEY must be at least 32 bytes") != NULL,
	    "%s", errbuf);
	cfg_free(cfg);

	/* A damaged key file is an error, not silently replaced. */
	snprintf(p, sizeof(p), "%s/secret.key", v);
	if ((f = fopen(p, "w")) != NULL) {
		fputs("short", f);
		fclose(f);
	}
	if ((cfg = load()) == NULL) {
		ok(0, "load: %s", errbuf);
		return;
	}
	is_int(cfg_secret(cfg, errbuf, sizeof(errbuf)), PR_ECONFIG,
	    "a 5-byte secret.key is refused");
	ok(strstr(errbuf, "secret.key") != NULL && strstr(errbuf, "32") !=
	    NULL, "%s", errbuf);
	cfg_free(cfg);
	unlink(p);

	/* url.key written by hand with a final newline is accepted. */
	snprintf(p, sizeof(p), "%s/url.key", v);
	if ((f = fopen(p, "w")) != NULL) {
		fprintf(f, "%s\n", url1);
		fclose(f);
	}
	if ((cfg = load()) == NULL) {
		ok(0, "load: %s", errbuf);
		return;
	}
	is_int(cfg_secret(cfg, errbuf, sizeof(errbuf)), PR_OK,
	    "url.key with a newline: %s", errbuf);
	is_str(cfg->url_secret, url1, "same URL key");
	ok(memcmp(cfg->secret, key1, 32) != 0, "a new secret.key was made");
	cfg_free(cfg);
	if ((f = fopen(p, "w")) != NULL) {
		fputs("zz", f);
		fclose(f);
	}
	if ((cfg = load()) != NULL) {
		is_int(cfg_secret(cfg, errbuf, sizeof(errbuf)), PR_ECONFIG,
		    "a broken url.key is refused");
		cfg_free(cfg);
	}

	/* Many processes starting at once agree on one key. */
	snprintf(v, sizeof(v), "%s/race", base);
	setenv("VARDIR", v, 1);
	if (pipe(fds) == -1)
		return;
	for (i = 0; i < 8; i++) {
		if ((pid = fork()) == -1)
			return;
		if (pid == 0) {
			char	 line[80];
			int	 k;

			close(fds[0]);
			if ((cfg = load()) == NULL ||
			    cfg_secret(cfg, errbuf, sizeof(errbuf)) != PR_OK) {
				fprintf(stderr, "child: %s\n", errbuf);
				_exit(1);
			}
			for (k = 0; k < 32; k++)
				snprintf(line + 2 * k, 3, "%02x",
				    cfg->secret[k]);
			line[64] = '\n';
			cfg_free(cfg);
			if (write(fds[1], line, 65) != 65)
				_exit(1);
			while (ntmpdirs > 0)	/* the parent removes them */
				free(tmpdirs[--ntmpdirs]);
			_exit(0);
		}
	}
	close(fds[1]);
	n = 0;
	while (n < 8 && read(fds[0], got[n], 65) == 65) {
		got[n][64] = '\0';
		n++;
	}
	close(fds[0]);
	for (i = 0; i < 8; i++) {
		wait(&status);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			n = -1;
	}
	is_int(n, 8, "eight concurrent loads succeeded");
	same = n == 8;
	for (i = 1; i < n; i++)
		if (strcmp(got[0], got[i]) != 0)
			same = 0;
	ok(same, "and all use the same key");
	{
		char	 cmd[PATH_MAX + 64];

		snprintf(cmd, sizeof(cmd), "test $(ls -A '%s' | wc -l) -eq 2",
		    v);
		ok(system(cmd) == 0, "no temporary files left behind");
	}
}

/* --------------------------------------------------------------- paths */

static void
t_paths(void)
{
	struct config	*cfg;
	const char	*base = mktmp();
	char		 want[PATH_MAX * 2], cwd[PATH_MAX];

	clear_env();
	if (chdir(base) == -1 || getcwd(cwd, sizeof(cwd)) == NULL) {
		ok(0, "chdir");
		return;
	}
	/*
	 * No CONFIG_DIR and no ./conf: the conf/ beside the parent of the
	 * binary's directory (build/t/config finds the checkout's conf/).
	 */
	cfg = load();
	ok(cfg != NULL && strcmp(cfg->config_dir, "conf") != 0 &&
	    strstr(cfg->config_dir, "/conf") != NULL,
	    "conf found beside the executable: %s%s",
	    cfg ? cfg->config_dir : "", errbuf);
	cfg_free(cfg);
	/* A CONFIG_DIR without default.json: the path is named. */
	setenv("CONFIG_DIR", base, 1);
	cfg = load();
	snprintf(want, sizeof(want), "%s/default.json: ", base);
	ok(cfg == NULL && strstr(errbuf, want) == errbuf,
	    "missing default.json named: %s", errbuf);
	cfg_free(cfg);
	unsetenv("CONFIG_DIR");

	if (mkdir("conf", 0700) == -1)
		return;
	WRITE("conf", "default.json", "{\"logging\":{\"file\":\"\"},"
	    "\"file_storage\":{\"upload_dir\":\"/srv/photos/up\","
	    "\"processed_dir\":\"out/processed\"}}");
	if ((cfg = load()) == NULL) {
		ok(0, "load: %s", errbuf);
		return;
	}
	snprintf(want, sizeof(want), "%s/var", cwd);
	is_str(cfg->vardir, want, "VARDIR defaults to ./var, absolute");
	is_str(cfg->log_file, "", "logging.file \"\" means stderr only");
	is_str(cfg->upload_dir, "/srv/photos/up", "absolute upload_dir kept");
	snprintf(want, sizeof(want), "%s/var/out/processed", cwd);
	is_str(cfg->processed_dir, want, "relative processed_dir in vardir");
	cfg_free(cfg);

	setenv("VARDIR", "state/", 1);
	WRITE("conf", "default.json", "{\"logging\":{\"file\":"
	    "\"/var/log/pr.log\"}}");
	if ((cfg = load()) == NULL) {
		ok(0, "load: %s", errbuf);
		return;
	}
	snprintf(want, sizeof(want), "%s/state", cwd);
	is_str(cfg->vardir, want, "relative VARDIR made absolute, no "
	    "trailing slash");
	is_str(cfg->log_file, "/var/log/pr.log", "absolute log file kept");
	snprintf(want, sizeof(want), "%s/state/uploads", cwd);
	is_str(cfg->upload_dir, want, "default upload_dir in vardir");
	cfg_free(cfg);

	if (mkdir("state", 0700) == -1 || symlink("state", "link") == -1)
		return;
	setenv("VARDIR", "link", 1);
	if ((cfg = load()) == NULL) {
		ok(0, "load: %s", errbuf);
		return;
	}
	snprintf(want, sizeof(want), "%s/state", cwd);
	is_str(cfg->vardir, want, "existing VARDIR resolved with realpath");
	cfg_free(cfg);
}

int
main(int argc, char *argv[])
{
	static const struct {
		const char	*name;
		void		(*fn)(void);
	} tests[] = {
		{ "defaults", t_defaults },
		{ "precedence", t_precedence },
		{ "deep-merge", t_deep_merge },
		{ "invalid", t_invalid },
		{ "json-strict", t_json_strict },
		{ "database-url", t_database_url },
		{ "redaction", t_redaction },
		{ "secret", t_secret },
		{ "paths", t_paths },
	};
	size_t	 i;
	int	 rc;

	if (argc != 2) {
		fprintf(stderr, "usage: %s behaviour\n", argv[0]);
		return 2;
	}
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (strcmp(argv[1], tests[i].name) == 0)
			break;
	if (i == sizeof(tests) / sizeof(tests[0])) {
		fprintf(stderr, "%s: unknown behaviour %s\n", argv[0], argv[1]);
		return 2;
	}
	tests[i].fn();
	rc = done_testing();
	cleanup();
	return rc;
}
