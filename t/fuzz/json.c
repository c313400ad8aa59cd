/*
 * t/fuzz/json.c: libFuzzer driver for the request-body JSON layer of
 * lib/http.c: req_json (size cap, NUL bytes, trailing data, depth,
 * duplicate keys, non-objects) and the field readers jf_string/jf_bool
 * with their pydantic-style 422 entries, as every handler uses them;
 * and, on the same bytes, the query-string helpers query_get and
 * url_decode.
 * Properties: no crash or leak; req_json either hands back an object or
 * fills a 4xx JSON answer; every answer body is valid JSON.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "photorestore.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_body(const struct resp *r)
{
	cJSON	*j;

	if (r->content_type == NULL || r->body.data == NULL)
		abort();
	if ((j = cJSON_ParseWithLength(r->body.data, r->body.len)) == NULL)
		abort();
	cJSON_Delete(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct req	 q;
	struct resp	 r;
	cJSON		*obj = NULL, *errs;
	const char	*s;
	char		*body, *qs, out[256];
	int		 b, rc;

	if (size > REQ_JSON_MAX + 16)
		return 0;
	/* An exact-size heap copy without NUL: ASan sees any over-read. */
	if ((body = malloc(size ? size : 1)) == NULL)
		abort();
	memcpy(body, data, size);
	memset(&q, 0, sizeof(q));
	q.method = "POST";
	q.path = "/api/v1/auth/login";
	q.query = "";
	q.body = size ? body : NULL;
	q.bodylen = size;
	q.content_length = (int64_t)size;
	resp_init(&r);
	rc = req_json(&q, &r, &obj);
	if (rc == 0) {
		if (!cJSON_IsObject(obj) || r.content_type != NULL)
			abort();
		errs = verr_new();
		jf_string(obj, "username", 1, 1, 100, errs, &s);
		jf_string(obj, "password", 1, 1, 200, errs, &s);
		jf_string(obj, "email", 0, 0, 255, errs, &s);
		jf_bool(obj, "remember_me", 0, errs, &b);
		jf_bool(obj, "is_active", 1, errs, &b);
		if (cJSON_GetArraySize(errs) > 0)
			resp_422(&r, errs);
		else {
			cJSON_Delete(errs);
			resp_json(&r, 200, cJSON_Duplicate(obj, 1));
		}
		check_body(&r);
		cJSON_Delete(obj);
	} else {
		if (obj != NULL || r.status < 400 || r.status > 499)
			abort();
		check_body(&r);
	}
	resp_free(&r);
	free(body);

	/* The same bytes as a query string. */
	if (size < 8192 && (qs = malloc(size + 1)) != NULL) {
		memcpy(qs, data, size);
		qs[size] = '\0';
		if (query_get(qs, "limit", out, sizeof(out)) == 1 &&
		    strlen(out) >= sizeof(out))
			abort();
		query_get(qs, "search", out, 8);
		if (url_decode(qs, size, out, sizeof(out), 1) == 0 &&
		    strlen(out) >= sizeof(out))
			abort();
		free(qs);
	}
	return 0;
}
