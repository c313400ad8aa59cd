/*
 * provider.c: one interface for every model provider (API.md §4.5, §4.6).
 * provider_run() dispatches on the model's "provider" key: "local" runs
 * the image engine in-process; "huggingface" and "replicate" go out
 * through libcurl (provider_hf.c, provider_replicate.c).  Whatever comes
 * back must sniff as JPEG or PNG before it is called a success.
 */

#include <stdlib.h>
#include <string.h>

#include "photorestore.h"
#include "provider_http.h"

#define PROV_DEFAULT_PIXELS	40000000LL	/* API.md §4.2 default */
#define PROV_DEFAULT_QUALITY	90

static const char *const prov_errs[PROV__MAX] = {
	"success",			/* PROV_OK */
	"rate limited",			/* PROV_ERATE */
	"timed out",			/* PROV_ETIMEOUT */
	"model error",			/* PROV_EMODEL */
	"model service error",		/* PROV_ESERVICE */
	"invalid image data",		/* PROV_EINPUT */
};

/*
 * A short English phrase for a prov_err; never NULL.  The specific reason
 * of one run is in prov_result.detail.
 */
const char *
prov_strerror(enum prov_err e)
{

	if ((unsigned)e >= PROV__MAX)
		return "unknown provider error";
	return prov_errs[e];
}

/*
 * Whether a provider can be used with this configuration: "local" always,
 * "huggingface" and "replicate" only with their key (API.md §4.1).
 */
int
provider_available(const struct config *cfg, const char *name)
{

	if (name == NULL)
		return 0;
	if (strcmp(name, "local") == 0)
		return 1;
	if (cfg == NULL)
		return 0;
	if (strcmp(name, "huggingface") == 0)
		return cfg->hf.api_key[0] != '\0';
	if (strcmp(name, "replicate") == 0)
		return cfg->replicate.api_key[0] != '\0';
	return 0;
}

/*
 * The local provider: decode (pixel cap), run the engine, encode in the
 * input's format.  A bad image is PROV_EINPUT, a bad parameter or unknown
 * local model PROV_EMODEL.
 */
static enum prov_err
prov_local(const struct config *cfg, const char *id, const cJSON *params,
    const unsigned char *img, size_t imglen, struct prov_result *res)
{
	struct pr_image	 in, out;
	char		 reason[256];
	enum img_err	 ie;
	enum img_format	 fmt;
	enum prov_err	 e;
	int64_t		 maxpx;
	size_t		 raw;
	int		 q;

	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	reason[0] = '\0';
	maxpx = cfg->max_pixels > 0 ? cfg->max_pixels : PROV_DEFAULT_PIXELS;
	ie = img_decode(img, imglen, maxpx, &in, reason, sizeof(reason));
	if (ie != IMG_OK) {
		e = PROV_EINPUT;
		prov_detail(res, "%s", reason[0] != '\0' ? reason :
		    img_strerror(ie));
		goto err;
	}
	reason[0] = '\0';
	ie = engine_run(id, params, &in, &out, reason, sizeof(reason));
	if (ie != IMG_OK) {
		e = ie == IMG_EPARAM ? PROV_EMODEL : PROV_ESERVICE;
		prov_detail(res, "%s", reason[0] != '\0' ? reason :
		    img_strerror(ie));
		goto err;
	}
	/*
	 * The encoder's output is bounded by the raw pixels plus PNG/zlib
	 * framing; the cap only guards against a runaway encoder.
	 */
	raw = (size_t)out.w * out.h * out.channels;
	buf_free(&res->data);
	buf_init(&res->data, raw + raw / 8 + 1024 * 1024);
	fmt = in.format != IMG_NONE ? in.format : IMG_PNG;
	q = cfg->jpeg_quality >= 1 && cfg->jpeg_quality <= 100 ?
	    cfg->jpeg_quality : PROV_DEFAULT_QUALITY;
	if ((ie = img_encode(&out, fmt, q, &res->data)) != IMG_OK) {
		e = PROV_ESERVICE;
		prov_detail(res, "could not encode the result: %s",
		    img_strerror(ie));
		goto err;
	}
	e = PROV_OK;
err:
	img_free(&in);
	img_free(&out);
	return e;
}

/*
 * Run a model on an image; see photorestore.h.  res is set up here (the
 * caller frees it with prov_result_free() on every path); on failure
 * res->detail says why, res->retry_after goes with PROV_ERATE.  The
 * input must sniff as JPEG or PNG (PROV_EINPUT otherwise); mime may be
 * NULL, and the sniffed type is what goes out either way.
 */
enum prov_err
provider_run(const struct config *cfg, const cJSON *model,
    const cJSON *params, const unsigned char *img, size_t imglen,
    const char *mime, struct prov_result *res)
{
	const char	*prov, *id;
	enum img_format	 fmt;
	enum prov_err	 e;
	double		 t0 = ph_now();

	buf_init(&res->data, 0);
	res->mime[0] = '\0';
	res->retry_after = 0;
	res->detail[0] = '\0';

	prov = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(model,
	    "provider"));
	id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(model,
	    "id"));
	if (prov == NULL || id == NULL) {
		e = PROV_EMODEL;
		prov_detail(res, "invalid model configuration");
		goto err;
	}
	if (params != NULL && !cJSON_IsObject(params)) {
		e = PROV_EMODEL;
		prov_detail(res, "parameters must be a JSON object");
		goto err;
	}
	fmt = img != NULL ? img_sniff(img, imglen) : IMG_NONE;
	if (fmt == IMG_NONE) {
		e = PROV_EINPUT;
		prov_detail(res, "not a JPEG or PNG image");
		goto err;
	}
	/*
	 * The type sent out is the sniffed one: a caller's type (perhaps
	 * from the upload's own headers) never reaches a request header.
	 */
	if (mime != NULL && strcmp(mime, fmt == IMG_PNG ? "image/png" :
	    "image/jpeg") != 0)
		log_info("provider_run: given type \"%.64s\" ignored for the "
		    "sniffed one", mime);
	mime = fmt == IMG_PNG ? "image/png" : "image/jpeg";

	if (strcmp(prov, "local") == 0)
		e = prov_local(cfg, id, params, img, imglen, res);
	else if (!provider_available(cfg, prov)) {
		e = PROV_EMODEL;
		if (strcmp(prov, "huggingface") == 0 ||
		    strcmp(prov, "replicate") == 0)
			prov_detail(res, "provider %s is not configured", prov);
		else
			prov_detail(res, "unknown provider");
	} else if (strcmp(prov, "huggingface") == 0) {
		buf_init(&res->data, cfg->hf.max_response_bytes);
		e = prov_hf_run(cfg, model, params, img, imglen, mime, res);
	} else {
		buf_init(&res->data, cfg->replicate.max_response_bytes);
		e = prov_replicate_run(cfg, model, params, img, imglen, mime,
		    res);
	}
	if (e != PROV_OK)
		goto err;

	switch (res->data.len > 0 ? img_sniff(res->data.data, res->data.len) :
	    IMG_NONE) {
	case IMG_PNG:
		memcpy(res->mime, "image/png", sizeof("image/png"));
		break;
	case IMG_JPEG:
		memcpy(res->mime, "image/jpeg", sizeof("image/jpeg"));
		break;
	default:
		e = PROV_ESERVICE;
		prov_detail(res, "invalid response");
		log_warn("provider %s, model %s: the result is not an image",
		    prov, id);
		goto err;
	}
	log_info("provider %s, model %s: %zu bytes of %s in %.2f s", prov, id,
	    res->data.len, res->mime, ph_now() - t0);
	return PROV_OK;
err:
	buf_free(&res->data);
	log_warn("provider %s, model %s: %s: %s", prov != NULL ? prov : "?",
	    id != NULL ? id : "?", prov_strerror(e), res->detail);
	return e;
}

/*
 * Release what provider_run() left in res (safe to repeat).
 */
void
prov_result_free(struct prov_result *res)
{

	if (res == NULL)
		return;
	buf_free(&res->data);
	res->mime[0] = '\0';
}
