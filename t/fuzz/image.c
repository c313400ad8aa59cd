/*
 * t/fuzz/image.c: libFuzzer driver for img_decode (lib/img_codec.c:
 * libjpeg-turbo, libpng and libexif behind our limits), with a 16 K
 * pixel limit like a small max_pixels (1 MP ran 60x slower and 64 K 6x
 * slower, mostly in page faults for buffers big enough to be mmapped,
 * and bought no coverage: the limit check is the same code whatever its
 * value).
 * Properties: no crash, leak or over-read (the input is an exact heap
 * copy); a decoded image has 1-4 channels, sides within the limit and a
 * pixel buffer of w*h*channels bytes (ASan checks the last byte is
 * ours); a failure writes a reason; small decoded images survive
 * encode-as-PNG and decode again bit for bit, and encode as JPEG.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "photorestore.h"

#define MAXPX	(1 << 14)

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pr_image	 im, im2;
	struct buf	 b;
	char		 reason[256];
	unsigned char	*copy;
	size_t		 n;
	enum img_err	 e;
	volatile uint8_t sink;

	if (size > 1 << 20)
		return 0;
	if ((copy = malloc(size ? size : 1)) == NULL)
		abort();
	memcpy(copy, data, size);
	reason[0] = '\0';
	memset(&im, 0, sizeof(im));
	e = img_decode(copy, size, MAXPX, &im, reason, sizeof(reason));
	free(copy);
	if (e != IMG_OK) {
		if (reason[0] == '\0' || im.px != NULL)
			abort();
		return 0;
	}
	if (im.px == NULL || im.channels < 1 || im.channels > 4 ||
	    im.w == 0 || im.h == 0 || (uint64_t)im.w * im.h > MAXPX ||
	    (im.format != IMG_JPEG && im.format != IMG_PNG))
		abort();
	n = (size_t)im.w * im.h * im.channels;
	sink = im.px[n - 1];	/* ASan: the buffer is really this big */
	(void)sink;
	if ((size_t)im.w * im.h <= 4096) {
		buf_init(&b, 16 * 1024 * 1024);
		if (img_encode(&im, IMG_PNG, 90, &b) != IMG_OK)
			abort();
		memset(&im2, 0, sizeof(im2));
		if (img_decode(b.data, b.len, MAXPX, &im2, reason,
		    sizeof(reason)) != IMG_OK || im2.w != im.w ||
		    im2.h != im.h || im2.channels != im.channels ||
		    memcmp(im2.px, im.px, n) != 0)
			abort();	/* PNG must be lossless */
		img_free(&im2);
		buf_reset(&b);
		if (img_encode(&im, IMG_JPEG, 75, &b) != IMG_OK)
			abort();
		buf_free(&b);
	}
	img_free(&im);
	return 0;
}
