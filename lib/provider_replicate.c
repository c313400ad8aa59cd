/*
 * provider_replicate.c: the Replicate predictions client (API.md,
 * appendix "outbound provider protocols").
 *
 * POST {api_url}/models/{owner}/{name}/predictions (or {api_url}/predictions
 * with "version" when the model names one) with the Bearer token and
 * "Prefer: wait=<n>", body {"input": {...parameters, <image_param>:
 * "data:<mime>;base64,..."}}.  Until the prediction is terminal, poll its
 * urls.get (only on the api_url's own origin, since the token goes along),
 * a bounded number of times within the run's deadline; on giving up, ask
 * urls.cancel so nobody pays for a result we will not read.  Then GET the
 * output URL (a string, or the first of a list) without the token.
 *
 * XXX: the prediction object echoes its input, data URI included, so the
 * JSON answers are capped by max_response_bytes like the image itself; a
 * cap below about 1.4 times the upload makes large uploads fail here.
 * XXX: outputs given as data: URIs are not supported (only http(s)).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "photorestore.h"
#include "provider_http.h"

#define REP_MAX_POLLS	300	/* polls of one prediction, at most */
#define REP_POLL_FIRST	0.25	/* first poll interval (s), then doubled */
#define REP_POLL_MAX	2.0	/* longest poll interval (s) */
#define REP_CANCEL_SECS	5	/* time allowed for the cancel request */
#define REP_WAIT_MAX	60	/* Prefer: wait=1..60 */

/* The request body {"version"?: v, "input": {...}}, malloc'd. */
static char *
rep_body(const cJSON *model, const cJSON *params, const char *version,
    const unsigned char *img, size_t imglen, const char *mime)
{
	const cJSON	*schema;
	const char	*iparam;
	cJSON		*root = NULL, *input;
	char		*uri = NULL, *out = NULL;

	schema = cJSON_GetObjectItemCaseSensitive(model, "replicate_schema");
	iparam = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(schema,
	    "image_param"));
	if (iparam == NULL || iparam[0] == '\0')
		iparam = "image";
	if ((uri = ph_data_uri(img, imglen, mime)) == NULL)
		goto err;
	if (params == NULL)
		params = cJSON_GetObjectItemCaseSensitive(model, "parameters");
	input = cJSON_IsObject(params) ? cJSON_Duplicate(params, 1) :
	    cJSON_CreateObject();
	if ((root = cJSON_CreateObject()) == NULL || input == NULL) {
		cJSON_Delete(input);
		goto err;
	}
	if (!cJSON_AddItemToObject(root, "input", input)) {
		cJSON_Delete(input);
		goto err;
	}
	if (version != NULL &&
	    cJSON_AddStringToObject(root, "version", version) == NULL)
		goto err;
	cJSON_DeleteItemFromObjectCaseSensitive(input, iparam);
	/* A reference: the data URI is not copied once more. */
	if (!cJSON_AddItemToObject(input, iparam,
	    cJSON_CreateStringReference(uri)))
		goto err;
	out = cJSON_PrintUnformatted(root);
err:
	cJSON_Delete(root);
	free(uri);
	return out;
}

/* Parse a prediction object; NULL (res filled) when it is not one. */
static cJSON *
rep_parse(const struct buf *b, struct prov_result *res)
{
	cJSON	*j = NULL;

	if (b->len > 0)
		j = cJSON_ParseWithLength(b->data, b->len);
	if (!cJSON_IsObject(j) ||
	    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "status"))) {
		cJSON_Delete(j);
		prov_detail(res, "invalid response");
		return NULL;
	}
	return j;
}

/* Copy pred's urls.<key> into out ("" when absent or too long). */
static void
rep_url(const cJSON *pred, const char *key, char *out, size_t outsz)
{
	const char	*s;

	s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(pred, "urls"), key));
	out[0] = '\0';
	if (s != NULL && strlen(s) < outsz)
		memcpy(out, s, strlen(s) + 1);
}

/* Best effort: cancel a prediction we stop waiting for. */
static void
rep_cancel(struct ph_ctx *c, const char *url, const char *base,
    struct buf *scratch)
{
	struct ph_req		 rq;
	struct ph_resp		 rs;
	struct prov_result	 ignored;

	if (url[0] == '\0' || !ph_same_origin(url, base))
		return;
	memset(&rq, 0, sizeof(rq));
	memset(&rs, 0, sizeof(rs));
	rq.method = "POST";
	rq.url = url;
	rq.auth = 1;
	rq.idempotent = 1;
	rq.body = "";
	rs.body = scratch;
	c->deadline = ph_now() + REP_CANCEL_SECS;
	(void)ph_send(c, &rq, &rs, &ignored);
}

/*
 * Run a Replicate model on the image; see provider_run().  res->data was
 * initialised by the caller with the response cap and receives the output
 * image's bytes on success.
 */
enum prov_err
prov_replicate_run(const struct config *cfg, const cJSON *model,
    const cJSON *params, const unsigned char *img, size_t imglen,
    const char *mime, struct prov_result *res)
{
	const struct provider_cfg *pc = &cfg->replicate;
	struct ph_ctx	 c;
	struct ph_req	 rq;
	struct ph_resp	 rs;
	struct buf	 base, url, jb;
	cJSON		*pred = NULL, *next, *o;
	const char	*name, *version, *status, *out;
	char		*json = NULL, prefer[32], msg[160];
	char		 get[PH_URL_MAX], cancel[PH_URL_MAX];
	double		 interval = REP_POLL_FIRST;
	int		 polls = 0, wait;
	enum prov_err	 e;

	buf_init(&base, PH_URL_MAX);
	buf_init(&url, PH_URL_MAX);
	buf_init(&jb, pc->max_response_bytes);
	memset(&rq, 0, sizeof(rq));
	memset(&rs, 0, sizeof(rs));
	cancel[0] = '\0';
	if ((e = ph_init(&c, pc, "replicate", res)) != PROV_OK)
		goto err;

	e = PROV_EMODEL;
	name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(model,
	    "model"));
	version = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(model,
	    "version"));
	if (version != NULL && (version[0] == '\0' || strlen(version) > 200))
		version = NULL;
	if (version == NULL && !ph_model_ok(name, 1)) {
		prov_detail(res, "invalid model name in the configuration");
		goto err;
	}
	if (ph_base_url(pc, &base) == -1 ||
	    buf_puts(&url, base.data) != PR_OK ||
	    (version != NULL ? buf_puts(&url, "/predictions") :
	    buf_printf(&url, "/models/%s/predictions", name)) != PR_OK) {
		prov_detail(res, "invalid api_url in the configuration");
		goto err;
	}
	e = PROV_ESERVICE;
	if ((json = rep_body(model, params, version, img, imglen, mime)) ==
	    NULL) {
		prov_detail(res, "out of memory");
		goto err;
	}

	/* Let the server hold the answer a while: often no poll at all. */
	wait = pc->timeout_seconds / 2;
	wait = wait < 1 ? 1 : wait > REP_WAIT_MAX ? REP_WAIT_MAX : wait;
	snprintf(prefer, sizeof(prefer), "Prefer: wait=%d", wait);
	rq.method = "POST";
	rq.url = url.data;
	rq.auth = 1;
	rq.idempotent = 0;	/* a resend could start a second prediction */
	rq.ctype = "application/json";
	rq.body = json;
	rq.bodylen = strlen(json);
	rq.header = prefer;
	rs.body = &jb;
	if ((e = ph_send(&c, &rq, &rs, res)) != PROV_OK)
		goto err;
	free(json);
	json = NULL;
	if (rs.status != 200 && rs.status != 201 && rs.status != 202) {
		e = ph_status(&c, &rs, res);
		goto err;
	}
	e = PROV_ESERVICE;
	if ((pred = rep_parse(&jb, res)) == NULL)
		goto err;

	for (;;) {
		rep_url(pred, "cancel", cancel, sizeof(cancel));
		status = cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(pred, "status"));
		if (strcmp(status, "succeeded") == 0)
			break;
		if (strcmp(status, "failed") == 0) {
			o = cJSON_GetObjectItemCaseSensitive(pred, "error");
			if (cJSON_IsString(o) && o->valuestring[0] != '\0') {
				ph_clean(msg, sizeof(msg), o->valuestring);
				prov_detail(res, "prediction failed: %s", msg);
			} else
				prov_detail(res, "prediction failed");
			goto err;
		}
		if (strcmp(status, "canceled") == 0) {
			prov_detail(res, "prediction was canceled");
			goto err;
		}
		if (strcmp(status, "starting") != 0 &&
		    strcmp(status, "processing") != 0) {
			prov_detail(res, "invalid response");
			goto err;
		}
		rep_url(pred, "get", get, sizeof(get));
		if (!ph_same_origin(get, base.data)) {
			log_warn("replicate: poll URL missing or on another "
			    "host; refused");
			prov_detail(res, "invalid response");
			goto err;
		}
		if (++polls > REP_MAX_POLLS ||
		    ph_now() + interval >= c.deadline) {
			e = PROV_ETIMEOUT;
			prov_detail(res, "timed out after %d s",
			    pc->timeout_seconds);
			goto err;
		}
		ph_sleep(interval);
		interval = interval * 2 < REP_POLL_MAX ? interval * 2 :
		    REP_POLL_MAX;
		memset(&rq, 0, sizeof(rq));
		rq.method = "GET";
		rq.url = get;
		rq.auth = 1;
		rq.idempotent = 1;
		if ((e = ph_send(&c, &rq, &rs, res)) != PROV_OK)
			goto err;
		if (rs.status != 200) {
			e = ph_status(&c, &rs, res);
			goto err;
		}
		e = PROV_ESERVICE;
		if ((next = rep_parse(&jb, res)) == NULL)
			goto err;
		cJSON_Delete(pred);
		pred = next;
	}
	cancel[0] = '\0';	/* terminal: nothing to cancel */

	o = cJSON_GetObjectItemCaseSensitive(pred, "output");
	if (cJSON_IsArray(o))
		o = cJSON_GetArrayItem(o, 0);
	out = cJSON_GetStringValue(o);
	if (out == NULL || strlen(out) >= PH_URL_MAX ||
	    (strncasecmp(out, "http://", 7) != 0 &&
	    strncasecmp(out, "https://", 8) != 0)) {
		prov_detail(res, "invalid response");
		goto err;
	}
	memset(&rq, 0, sizeof(rq));
	rq.method = "GET";
	rq.url = out;
	rq.auth = 0;		/* output URLs are on another host */
	rq.idempotent = 1;
	rs.body = &res->data;
	if ((e = ph_send(&c, &rq, &rs, res)) != PROV_OK)
		goto err;
	if (rs.status != 200) {
		e = PROV_ESERVICE;
		prov_detail(res, "HTTP %ld fetching the output", rs.status);
		goto err;
	}
	e = PROV_OK;
err:
	if (e == PROV_ETIMEOUT && cancel[0] != '\0')
		rep_cancel(&c, cancel, base.data, &jb);
	if (e != PROV_OK)
		buf_reset(&res->data);
	ph_free(&c);
	cJSON_Delete(pred);
	free(json);
	buf_free(&jb);
	buf_free(&url);
	buf_free(&base);
	return e;
}
