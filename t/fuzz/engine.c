/*
 * t/fuzz/engine.c: libFuzzer driver for the local restoration engine's
 * entry point, engine_run (lib/img_engine.c, lib/img_filter.c), on
 * small images.
 *
 * Input: byte 0 picks the model (local-restore, local-upscale-2x,
 * local-upscale-4x, or an unknown id), byte 1 the width (1-24), byte 2
 * the height (1-24), byte 3 the channels (1-4), byte 4 the length of a
 * parameters JSON text that follows (0: no parameters); the rest are the
 * pixels (repeated to fill the image).
 * Properties: no crash, leak or UB (the engine is float-heavy: NaN and
 * huge values must not reach an integer conversion); parameters are
 * validated before any work; a result has the model's size and the
 * input's channel count.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "photorestore.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const models[] = {
	"local-restore", "local-upscale-2x", "local-upscale-4x", "local-nope",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pr_image	 in, out;
	cJSON		*params = NULL;
	const char	*model;
	char		 reason[256];
	size_t		 plen, n, i, rest;
	const uint8_t	*px;
	enum img_err	 e;
	unsigned	 scale;

	if (size < 5 || size > 1 << 16)
		return 0;
	model = models[data[0] % 4];
	memset(&in, 0, sizeof(in));
	in.w = 1 + data[1] % 24;
	in.h = 1 + data[2] % 24;
	in.channels = 1 + data[3] % 4;
	in.format = IMG_PNG;
	plen = data[4];
	if (plen > size - 5)
		plen = size - 5;
	if (plen > 0) {
		params = cJSON_ParseWithLength((const char *)data + 5, plen);
		if (params == NULL)
			return 0;
	}
	px = data + 5 + plen;
	rest = size - 5 - plen;
	n = (size_t)in.w * in.h * in.channels;
	if ((in.px = malloc(n)) == NULL)
		abort();
	for (i = 0; i < n; i++)
		in.px[i] = rest > 0 ? px[i % rest] : (uint8_t)(i * 37);
	reason[0] = '\0';
	e = engine_run(model, params, &in, &out, reason, sizeof(reason));
	if (e == IMG_OK) {
		scale = strcmp(model, "local-upscale-2x") == 0 ? 2 :
		    strcmp(model, "local-upscale-4x") == 0 ? 4 : 1;
		if (out.px == NULL || out.w != in.w * scale ||
		    out.h != in.h * scale || out.channels != in.channels)
			abort();
		/* Touch the last byte: the buffer must be that big. */
		if (out.px[(size_t)out.w * out.h * out.channels - 1] == 0 &&
		    out.px[0] == 1)
			reason[0] = 'x';
	} else if (reason[0] == '\0' || out.px != NULL)
		abort();
	img_free(&out);
	free(in.px);
	cJSON_Delete(params);
	return 0;
}
