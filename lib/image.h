/*
 * image.h: image codecs (libjpeg-turbo, libpng, libexif) and the local
 * restoration engine.  Included by photorestore.h; part of the public
 * interface.  Never includes jpeglib.h or png.h itself.
 */
#ifndef PR_IMAGE_H
#define PR_IMAGE_H

#include <stddef.h>
#include <stdint.h>

enum img_format {
	IMG_NONE = 0,
	IMG_JPEG,
	IMG_PNG
};

/* 8-bit interleaved pixels; channels 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA. */
struct pr_image {
	uint32_t	 w;
	uint32_t	 h;
	unsigned	 channels;
	uint8_t		*px;		/* w * h * channels bytes */
	enum img_format	 format;	/* the format it was decoded from */
};

enum img_err {
	IMG_OK = 0,
	IMG_ENOMEM,
	IMG_EEMPTY,	/* zero bytes */
	IMG_EFORMAT,	/* magic bytes are not JPEG or PNG */
	IMG_ECORRUPT,	/* truncated or undecodable */
	IMG_ETOOBIG,	/* more pixels than allowed, or absurd dimensions */
	IMG_EUNSUPPORTED, /* a variant we cannot convert */
	IMG_EPARAM,	/* bad engine parameter */
	IMG__MAX
};

const char	*img_strerror(enum img_err);

/* The format named by the magic bytes, or IMG_NONE. */
enum img_format	 img_sniff(const void *, size_t);

/*
 * Fully decode JPEG or PNG bytes, refusing more than max_pixels pixels
 * before allocating, converting 16-bit, palette, CMYK and the like to
 * 8-bit grey/RGB(A), and applying the EXIF orientation.  On failure writes
 * a short human reason (e.g. "not a JPEG or PNG image") into reason.
 * out->px is malloc'd; free with img_free().
 */
enum img_err	 img_decode(const void *, size_t, int64_t max_pixels,
		    struct pr_image *out, char *reason, size_t reasonsz);

/*
 * Encode as JPEG (quality 1-100; alpha is dropped onto white) or PNG into
 * out (a struct buf from photorestore.h, initialised by the caller).
 */
struct buf;
enum img_err	 img_encode(const struct pr_image *, enum img_format,
		    int quality, struct buf *out);

void		 img_free(struct pr_image *);

/*
 * Run a local model ("local-restore", "local-upscale-2x",
 * "local-upscale-4x") on in, writing a new image to out (same channel
 * count and format; alpha copied by local-restore, resampled by the
 * upscalers).  params is a JSON object of optional parameters (or NULL
 * or JSON null): local-restore takes "strength" (0-1, default 0.7),
 * "denoise", "scratch_removal" and "color_correction" (booleans, default
 * true); the upscalers take "scale" (only their own factor) and
 * "sharpen" (0-1, default 0.2).  Returns IMG_EPARAM with a reason for a
 * bad parameter or unknown model, IMG_ETOOBIG when an upscale would pass
 * 100 megapixels, IMG_ENOMEM.  out->px is freed with img_free().
 */
struct cJSON;
enum img_err	 engine_run(const char *model_id, const struct cJSON *params,
		    const struct pr_image *in, struct pr_image *out,
		    char *reason, size_t reasonsz);

#endif /* !PR_IMAGE_H */
