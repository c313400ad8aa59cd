/*
 * img_int.h: internals of the local restoration engine shared between
 * img_engine.c and img_filter.c (and the unit tests).  Planes are float
 * arrays of w * h samples in the 0-255 range, row-major, no padding.
 */
#ifndef IMG_INT_H
#define IMG_INT_H

#include <stddef.h>
#include <stdint.h>

/* Largest upscale output we make, in pixels. */
#define IMG_MAX_OUT_PIXELS	(100LL * 1000 * 1000)

/*
 * A plane of w * h floats (overflow checked; large ones on huge pages).
 * Free with free().
 */
float	*flt_plane_alloc(size_t w, size_t h);

/*
 * What the measurements and the defect detector look at: the mean of
 * the colour channels (the luminance guide), either of nc float planes
 * (px NULL) or of 8-bit interleaved pixels with ch channels (the input
 * itself, before any plane is made: a photo that needs nothing never
 * gets float planes).
 */
struct guide {
	float *const	*pl;
	int		 nc;
	const uint8_t	*px;
	unsigned	 ch;
};

/*
 * Robust noise estimate of the guide: the median absolute value of the
 * finest diagonal Haar detail divided by 0.6745 (Donoho's MAD rule),
 * sampled on a grid for large images.
 */
float	 flt_noise_sigma(const struct guide *g, size_t w, size_t h);

/*
 * Blockiness of the guide on an 8-pixel grid: the mean absolute step
 * across block boundaries divided by that inside blocks (about 1 for a
 * natural image, above 1.3 for a coarse JPEG).  *step receives the mean
 * boundary step in excess of the inner one.
 */
float	 flt_blockiness(const struct guide *g, size_t w, size_t h,
	    float *step);

/*
 * What non-local means filters: nc float planes in place (pl set), or
 * the colour channels of 8-bit interleaved pixels src (ch channels) into
 * those of dst, rounded (pl NULL; src and dst must differ).
 */
struct nlm_io {
	float *const	*pl;
	int		 nc;
	const uint8_t	*src;
	uint8_t		*dst;
	unsigned	 ch;
};

/*
 * Non-local means with weights from the mean of the colour channels and
 * applied to all of them: search radius R, patch radius P, noise sigma
 * of the mean, and the filtering factor hfac (h = hfac * sigma).  Works
 * in bands and tiles with a few megabytes of scratch memory.  Returns 0
 * or -1 (memory).
 */
int	 flt_nlm(const struct nlm_io *io, size_t w, size_t h, int R, int P,
	    float sigma, float hfac);

struct defect_stats {
	int64_t	 pixels;	/* pixels in kept defects */
	int64_t	 dust;		/* compact specks */
	int64_t	 lines;		/* long, thin, straight scratches */
};

/*
 * Dust and scratch detection on the guide: ridges or valleys more than
 * thr (raised with the local activity) from a 7x7 separable median,
 * grown by hysteresis, then kept only as compact specks or long
 * straight thin lines.  mask (w * h bytes) receives 1 for defects; the
 * luminance is made a few rows at a time.  Returns the number of defect
 * pixels, or -1 (memory).
 */
int64_t	 flt_defects(const struct guide *g, size_t w, size_t h, float thr,
	    uint8_t *mask, struct defect_stats *st);

/*
 * Fill the masked pixels of every plane from the unmasked pixels around
 * them (Gaussian-weighted normalised convolution, radius growing until
 * enough support is found).  Returns 0 or -1 (memory).
 */
int	 flt_inpaint(float *const *pl, int nc, size_t w, size_t h,
	    const uint8_t *mask);

/*
 * Separable Gaussian blur of one plane into out (may equal in); tmp
 * holds w * h floats.
 */
void	 flt_gauss(const float *in, float *out, float *tmp, size_t w,
	    size_t h, float sigma);

/*
 * Contrast-limited adaptive histogram equalisation of one 0-255 plane,
 * blended by amount (0-1): tiles about tile pixels wide, clip limit in
 * multiples of the mean bin count.  Returns 0 or -1.
 */
int	 flt_clahe(float *p, size_t w, size_t h, size_t tile, float clip,
	    float amount);

/*
 * Lanczos-3 resampling of one plane from w x h to W x H (antialiased
 * when shrinking; pixel centres aligned as (x + 0.5) / scale - 0.5),
 * stored into out, or added to it when add is non-zero.  Uses W * h
 * floats of scratch.  Returns 0 or -1 (memory).
 */
int	 flt_resize(const float *in, size_t w, size_t h, float *out,
	    size_t W, size_t H, int add);

/* What a decoded JPEG tells about itself. */
struct jpeg_model {
	unsigned px, py;	/* grid phase */
	float	 q[64];		/* luma quantiser steps, 0 = unknown */
	int	 known;		/* how many steps are known */
};

/*
 * From a decoded JPEG (the planes): its JFIF luma into Y (w * h floats,
 * kept for flt_jpeg_project), the 8x8 grid phase (where the steps peak)
 * and the luma quantiser steps (for each DCT frequency the largest step
 * the coefficients sit on multiples of).  Returns 0 or -1 (memory).
 */
int	 flt_jpeg_estimate(float *const *pl, int nc, size_t w, size_t h,
	    float *Y, struct jpeg_model *jm);

/*
 * After filtering: move each 8x8 block's luma DCT coefficients back into
 * the quantisation cells the JPEG data allows (projection onto the
 * constraint set), so the result stays consistent with the file.
 */
void	 flt_jpeg_project(float *const *pl, int nc, size_t w, size_t h,
	    const float *Y, const struct jpeg_model *jm);

/* Rounded and clamped to 0-255 (NaN gives 0). */
static inline uint8_t
to8(float v)
{

	if (!(v > 0.0f))
		return 0;
	if (v >= 255.0f)
		return 255;
	return (uint8_t)(v + 0.5f);
}

#endif /* !IMG_INT_H */
