/*
 * provider_hf.c: the HuggingFace Inference client (API.md, appendix
 * "outbound provider protocols").
 *
 * POST {api_url}/{model} with the Bearer key.  Image-to-image and
 * super-resolution models take the raw image bytes; prompt-guided models
 * (a "prompt" parameter, or category "enhance") take JSON
 * {"inputs": "<base64>", "parameters": {...}}.  Success is an "image/..."
 * body.  503 with estimated_time while the model loads and 429 are retried
 * by ph_send(); what is left is mapped by ph_status().
 *
 * XXX: in raw mode the parameters cannot travel with the image (the API
 * has no place for them), so they are dropped.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "photorestore.h"
#include "provider_http.h"

/* Seconds to wait from a 503 body's "estimated_time", or -1. */
static int
hf_hint(const struct buf *b)
{
	cJSON	*j, *t;
	double	 v;
	int	 secs = -1;

	if (b->len == 0 || (j = cJSON_ParseWithLength(b->data, b->len)) == NULL)
		return -1;
	t = cJSON_GetObjectItemCaseSensitive(j, "estimated_time");
	if (cJSON_IsNumber(t)) {
		v = t->valuedouble;
		if (isfinite(v) && v >= 0)
			secs = v > 86400 ? 86400 : (int)ceil(v);
	}
	cJSON_Delete(j);
	return secs;
}

/* Whether the model wants the JSON form (prompt-guided). */
static int
hf_wants_json(const cJSON *model, const cJSON *params)
{
	const cJSON	*mp;
	const char	*cat;

	mp = cJSON_GetObjectItemCaseSensitive(model, "parameters");
	cat = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(model,
	    "category"));
	return cJSON_HasObjectItem(params, "prompt") ||
	    cJSON_HasObjectItem(mp, "prompt") ||
	    (cat != NULL && strcmp(cat, "enhance") == 0);
}

/* The JSON body {"inputs": "<base64>", "parameters": {...}}, malloc'd. */
static char *
hf_json_body(const cJSON *model, const cJSON *params,
    const unsigned char *img, size_t imglen)
{
	cJSON		*root = NULL, *p;
	char		*b64 = NULL, *out = NULL;
	size_t		 n;

	if ((n = b64_enclen(imglen)) == SIZE_MAX || (b64 = malloc(n + 1)) ==
	    NULL)
		goto err;
	b64_encode(img, imglen, b64);
	if (params == NULL)
		params = cJSON_GetObjectItemCaseSensitive(model, "parameters");
	p = cJSON_IsObject(params) ? cJSON_Duplicate(params, 1) :
	    cJSON_CreateObject();
	if ((root = cJSON_CreateObject()) == NULL || p == NULL) {
		cJSON_Delete(p);
		goto err;
	}
	/* A reference: the base64 text is not copied once more. */
	if (!cJSON_AddItemToObject(root, "inputs",
	    cJSON_CreateStringReference(b64))) {
		cJSON_Delete(p);
		goto err;
	}
	if (!cJSON_AddItemToObject(root, "parameters", p)) {
		cJSON_Delete(p);
		goto err;
	}
	out = cJSON_PrintUnformatted(root);
err:
	cJSON_Delete(root);
	free(b64);
	return out;
}

/*
 * Run a HuggingFace model on the image; see provider_run().  res->data
 * was initialised by the caller with the response cap and receives the
 * image bytes on success.
 */
enum prov_err
prov_hf_run(const struct config *cfg, const cJSON *model,
    const cJSON *params, const unsigned char *img, size_t imglen,
    const char *mime, struct prov_result *res)
{
	struct ph_ctx	 c;
	struct ph_req	 rq;
	struct ph_resp	 rs;
	struct buf	 url;
	const char	*name;
	char		*json = NULL;
	enum prov_err	 e;

	buf_init(&url, PH_URL_MAX);
	memset(&rq, 0, sizeof(rq));
	memset(&rs, 0, sizeof(rs));
	if ((e = ph_init(&c, &cfg->hf, "huggingface", res)) != PROV_OK)
		goto err;
	name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(model,
	    "model"));
	e = PROV_EMODEL;
	if (!ph_model_ok(name, 0)) {
		prov_detail(res, "invalid model name in the configuration");
		goto err;
	}
	if (ph_base_url(&cfg->hf, &url) == -1 ||
	    buf_printf(&url, "/%s", name) != PR_OK) {
		prov_detail(res, "invalid api_url in the configuration");
		goto err;
	}

	rq.method = "POST";
	rq.url = url.data;
	rq.auth = 1;
	rq.idempotent = 1;	/* inference keeps no state */
	rq.hint = hf_hint;
	rq.header = "Accept: image/png, image/jpeg, image/*;q=0.8, "
	    "application/json;q=0.5";
	if (hf_wants_json(model, params)) {
		e = PROV_ESERVICE;
		if ((json = hf_json_body(model, params, img, imglen)) == NULL) {
			prov_detail(res, "out of memory");
			goto err;
		}
		rq.ctype = "application/json";
		rq.body = json;
		rq.bodylen = strlen(json);
	} else {
		rq.ctype = mime;
		rq.body = img;
		rq.bodylen = imglen;
	}
	rs.body = &res->data;
	if ((e = ph_send(&c, &rq, &rs, res)) != PROV_OK)
		goto err;
	if (rs.status != 200) {
		e = ph_status(&c, &rs, res);
		goto err;
	}
	if (strncasecmp(rs.ctype, "image/", 6) != 0) {
		e = PROV_ESERVICE;
		prov_detail(res, "invalid response");
		goto err;
	}
	e = PROV_OK;
err:
	if (e != PROV_OK)
		buf_reset(&res->data);
	ph_free(&c);
	free(json);
	buf_free(&url);
	return e;
}
