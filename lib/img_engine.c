/*
 * img_engine.c: the local restoration models of API.md §4.5.
 *
 * local-restore measures the photo first and runs only the stages the
 * measurements call for, in this order:
 *  - noise (MAD of the finest Haar detail) and JPEG blockiness (steps on
 *    the 8x8 grid): non-local means on luminance-guided weights, wider
 *    and followed by a projection onto the JPEG quantisation cells
 *    (steps estimated from the DCT coefficients) for a blocky JPEG;
 *  - dust and scratches (ridges/valleys off a 7x7 median, kept as specks
 *    or long thin lines, only when the photo shows damage as a whole):
 *    inpainting by normalised convolution;
 *  - fading (lifted blacks): white-patch balance, black point, some
 *    saturation back for a cast, CLAHE if still flat;
 *  - after denoising (not after JPEG deblocking), a mild
 *    noise-thresholded unsharp mask.
 * The measurements and the defect search read the 8-bit pixels;
 * plain denoising writes straight into the output, and float planes are
 * made only for the stages that need them, so a photo that needs
 * nothing is returned as it came and a 12-megapixel one touches little
 * fresh memory.
 * local-upscale-2x/4x are Lanczos-3 with iterative back-projection and
 * an unsharp mask at the input's scale (wider and gentler for 4x).  Tuning constants come from the
 * benchmark (scripts/bench-engine); the stage decisions and timings go
 * to the debug log.
 *
 * Work is done on float planes (one for grey, three for colour); alpha
 * is copied (restore) or resampled (upscale) on its own.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "photorestore.h"
#include "img_int.h"

/*
 * Tuning, from the benchmark (bench/engine-results.md).  Specks per
 * megapixel that make a photo dusty rather than detailed; scratches that
 * make it scratched; the smallest defect contrast; JPEG block step to
 * noise sigma; the least noise sigma worth denoising (a clean photo
 * measures 1.5-2.2 from its own fine texture); back-projection rounds,
 * default sharpening of the upscalers and the width (input pixels) and
 * gain of their unsharp masks.
 */
#define DUST_PER_MP	2000.0
#define LINES_MIN	7
#define DEFECT_THR	70.0f
#define JPEG_SIGMA	1.2f
#define NOISE_MIN	2.5f
#define UP_ITERS	3
#define UP_SHARPEN	0.2f
#define UP2_SIGMA	0.8f
#define UP4_SIGMA	1.6f
#define UP4_GAIN	0.5f

struct restore_opts {
	float	 strength;
	int	 denoise;
	int	 scratch;
	int	 color;
};

struct upscale_opts {
	int	 scale;
	float	 sharpen;
};

struct planes {
	size_t	 w, h;
	int	 nc;		/* colour planes: 1 or 3 */
	float	*p[3];
};

static void
ereason(char *reason, size_t sz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* CPU seconds of this thread, for the stage timings in the log. */
static double
tnow(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
ereason(char *reason, size_t sz, const char *fmt, ...)
{
	va_list ap;

	if (reason == NULL || sz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(reason, sz, fmt, ap);
	va_end(ap);
}

/* ----------------------------------------------------------- parameters */

static int
param_unit(const cJSON *it, float *out, char *reason, size_t sz)
{

	if (!cJSON_IsNumber(it) || !(it->valuedouble >= 0.0) ||
	    !(it->valuedouble <= 1.0)) {
		ereason(reason, sz, "parameter '%s' must be a number from 0 "
		    "to 1", it->string);
		return -1;
	}
	*out = (float)it->valuedouble;
	return 0;
}

static int
param_bool(const cJSON *it, int *out, char *reason, size_t sz)
{

	if (!cJSON_IsBool(it)) {
		ereason(reason, sz, "parameter '%s' must be true or false",
		    it->string);
		return -1;
	}
	*out = cJSON_IsTrue(it);
	return 0;
}

static int
params_object(const cJSON *params, char *reason, size_t sz)
{

	if (params == NULL || cJSON_IsNull(params))
		return 0;
	if (!cJSON_IsObject(params)) {
		ereason(reason, sz, "parameters must be a JSON object");
		return -1;
	}
	return 1;
}

static enum img_err
restore_params(const cJSON *params, struct restore_opts *o, char *reason,
    size_t sz)
{
	const cJSON *it;
	int rc;

	o->strength = 0.7f;
	o->denoise = o->scratch = o->color = 1;
	if ((rc = params_object(params, reason, sz)) <= 0)
		return rc == 0 ? IMG_OK : IMG_EPARAM;
	cJSON_ArrayForEach(it, params) {
		if (it->string == NULL)
			return IMG_EPARAM;
		if (strcmp(it->string, "strength") == 0)
			rc = param_unit(it, &o->strength, reason, sz);
		else if (strcmp(it->string, "denoise") == 0)
			rc = param_bool(it, &o->denoise, reason, sz);
		else if (strcmp(it->string, "scratch_removal") == 0)
			rc = param_bool(it, &o->scratch, reason, sz);
		else if (strcmp(it->string, "color_correction") == 0)
			rc = param_bool(it, &o->color, reason, sz);
		else {
			ereason(reason, sz, "unknown parameter '%.64s'",
			    it->string);
			rc = -1;
		}
		if (rc == -1)
			return IMG_EPARAM;
	}
	return IMG_OK;
}

static enum img_err
upscale_params(const cJSON *params, int scale, struct upscale_opts *o,
    char *reason, size_t sz)
{
	const cJSON *it;
	int rc;

	o->scale = scale;
	o->sharpen = UP_SHARPEN;
	if ((rc = params_object(params, reason, sz)) <= 0)
		return rc == 0 ? IMG_OK : IMG_EPARAM;
	cJSON_ArrayForEach(it, params) {
		if (it->string == NULL)
			return IMG_EPARAM;
		if (strcmp(it->string, "scale") == 0) {
			if (!cJSON_IsNumber(it) ||
			    it->valuedouble != (double)scale) {
				ereason(reason, sz, "parameter 'scale' must "
				    "be %d for this model", scale);
				return IMG_EPARAM;
			}
			rc = 0;
		} else if (strcmp(it->string, "sharpen") == 0)
			rc = param_unit(it, &o->sharpen, reason, sz);
		else {
			ereason(reason, sz, "unknown parameter '%.64s'",
			    it->string);
			rc = -1;
		}
		if (rc == -1)
			return IMG_EPARAM;
	}
	return IMG_OK;
}

/* --------------------------------------------------------------- planes */

static void
planes_free(struct planes *pl)
{
	int c;

	for (c = 0; c < 3; c++) {
		free(pl->p[c]);
		pl->p[c] = NULL;
	}
}

static float *
plane_alloc(size_t w, size_t h)
{

	return flt_plane_alloc(w, h);
}

/* The geometry of im's planes, none made yet. */
static void
planes_init(struct planes *pl, const struct pr_image *im)
{

	memset(pl, 0, sizeof(*pl));
	pl->w = im->w;
	pl->h = im->h;
	pl->nc = im->channels <= 2 ? 1 : 3;
}

/*
 * Make the float planes of im, the first time a stage is going to change
 * the photo (one that needs nothing is copied as it is).
 */
static int
planes_from(struct planes *pl, const struct pr_image *im)
{
	size_t n, i;
	unsigned ch = im->channels;
	int c;

	if (pl->p[0] != NULL)
		return 0;
	planes_init(pl, im);
	n = pl->w * pl->h;
	for (c = 0; c < pl->nc; c++)
		if ((pl->p[c] = plane_alloc(pl->w, pl->h)) == NULL) {
			planes_free(pl);
			return -1;
		}
	if (pl->nc == 1)
		for (i = 0; i < n; i++)
			pl->p[0][i] = im->px[i * ch];
	else
		for (i = 0; i < n; i++) {
			const uint8_t *s = im->px + i * ch;

			pl->p[0][i] = s[0];
			pl->p[1][i] = s[1];
			pl->p[2][i] = s[2];
		}
	return 0;
}

/* Planes into out->px (allocated by the caller), alpha left alone. */
static void
planes_to(const struct planes *pl, struct pr_image *out)
{
	size_t n = pl->w * pl->h, i;
	unsigned ch = out->channels;

	if (pl->nc == 1)
		for (i = 0; i < n; i++)
			out->px[i * ch] = to8(pl->p[0][i]);
	else
		for (i = 0; i < n; i++) {
			uint8_t *d = out->px + i * ch;

			d[0] = to8(pl->p[0][i]);
			d[1] = to8(pl->p[1][i]);
			d[2] = to8(pl->p[2][i]);
		}
}

static int
image_alloc(struct pr_image *out, size_t w, size_t h, unsigned ch,
    enum img_format fmt)
{

	memset(out, 0, sizeof(*out));
	if (w == 0 || h == 0 || w > UINT32_MAX || h > UINT32_MAX ||
	    w > SIZE_MAX / ch / h)
		return -1;
	if ((out->px = malloc(w * h * ch)) == NULL)
		return -1;
	out->w = (uint32_t)w;
	out->h = (uint32_t)h;
	out->channels = ch;
	out->format = fmt;
	return 0;
}

/* ------------------------------------------------------------- stages */

/*
 * Per-channel black and white points from histograms, ignoring one
 * sample in a million (dust and noise are gone by the time this runs).
 */
static void
levels(const struct planes *pl, const struct pr_image *in, float *lo,
    float *hi)
{
	uint32_t hist[256];
	size_t n = pl->w * pl->h, i, step = n > 4000000 ? 3 : 1;
	uint64_t cnt, acc, cut;
	int c, b;

	for (c = 0; c < pl->nc; c++) {
		memset(hist, 0, sizeof(hist));
		cnt = 0;
		if (pl->p[c] != NULL)
			for (i = 0; i < n; i += step) {
				hist[to8(pl->p[c][i])]++;
				cnt++;
			}
		else
			for (i = 0; i < n; i += step) {
				hist[in->px[i * in->channels + (size_t)c]]++;
				cnt++;
			}
		cut = cnt / 1000000;
		for (acc = 0, b = 0; b < 255; b++)
			if ((acc += hist[b]) > cut)
				break;
		lo[c] = (float)b;
		for (acc = 0, b = 255; b > 0; b--)
			if ((acc += hist[b]) > cut)
				break;
		hi[c] = (float)b;
	}
}

/*
 * Fading and colour cast.  A faded print lost dye: its blacks are lifted
 * towards the paper while its whites stay paper-white, v' = 255 - (255 -
 * v)(1 - f); an aged print also has a tinted paper (a gain per channel).
 * So: white-patch balance (each channel's highlights scaled to those of
 * the brightest channel, which is never brightened), then each channel's
 * black point brought back to zero with 255 fixed.  Runs only when the
 * blacks are lifted.  A strong
 * cast also took saturation, which is given partly back.  Returns
 * whether it ran (1), 0, or -1 (memory).
 */
static int
stage_color(struct planes *pl, const struct pr_image *in, float strength)
{
	float lo[3] = { 0 }, hi[3] = { 0 }, minlo, maxlo, minhi, maxhi, hm, sat;
	size_t n = pl->w * pl->h, i;
	int c, cast, faded;

	levels(pl, in, lo, hi);
	minlo = maxlo = lo[0];
	minhi = maxhi = hi[0];
	for (c = 1; c < pl->nc; c++) {
		minlo = fminf(minlo, lo[c]);
		maxlo = fmaxf(maxlo, lo[c]);
		minhi = fminf(minhi, hi[c]);
		maxhi = fmaxf(maxhi, hi[c]);
	}
	faded = minlo >= 28.0f;
	cast = maxhi - minhi >= 20.0f && maxlo - minlo >= 8.0f;
	log_debug("engine: levels lo %.0f-%.0f hi %.0f-%.0f faded %d cast %d",
	    minlo, maxlo, minhi, maxhi, faded, cast);
	/*
	 * A cast alone is too often the scene itself (an orange cat, a
	 * sunset): only a faded print is corrected.
	 */
	if (!faded)
		return 0;
	for (c = 0; c < pl->nc; c++)
		if (hi[c] - lo[c] < 32.0f)
			return 0;	/* nearly uniform: leave it */
	/*
	 * Near-white highlights were white (the paper is tinted); others
	 * are a dim picture and stay where they are.
	 */
	if (planes_from(pl, in) == -1)
		return -1;
	hm = maxhi >= 235.0f ? 255.0f : maxhi;
	for (c = 0; c < pl->nc; c++) {
		float g = hm / hi[c], lo1 = lo[c] * g, k;

		k = 255.0f / (255.0f - lo1);
		for (i = 0; i < n; i++)
			pl->p[c][i] = (pl->p[c][i] * g - lo1) * k;
	}
	sat = 0.75f * strength * fminf(1.0f, (maxhi - minhi) / 60.0f);
	if (pl->nc == 3 && cast && sat > 0.0f) {
		for (i = 0; i < n; i++) {
			float l = (pl->p[0][i] + pl->p[1][i] + pl->p[2][i]) *
			    (1.0f / 3.0f);

			for (c = 0; c < 3; c++)
				pl->p[c][i] = l + (1.0f + sat) *
				    (pl->p[c][i] - l);
		}
	}
	return 1;
}

/*
 * Unsharp mask on luminance (added equally to every channel so colours
 * keep their hue), with a soft threshold so residual noise is not
 * sharpened, on the planes or (when there are none) on the 8-bit im.
 * The detail is L minus a 5x5 binomial blur of L (sigma about 1), made
 * in place a row at a time: a ring of five horizontally blurred rows,
 * each blurred before the row it comes from is changed.
 */
/* Luminance at i of the planes, or of the 8-bit im when there are none. */
static inline float
cur_lum(const struct planes *pl, const struct pr_image *im, size_t i)
{

	if (pl->p[0] != NULL)
		return pl->nc == 3 ? (pl->p[0][i] + pl->p[1][i] +
		    pl->p[2][i]) / 3.0f : pl->p[0][i];
	if (im->channels >= 3)
		return ((float)im->px[i * im->channels] +
		    (float)im->px[i * im->channels + 1] +
		    (float)im->px[i * im->channels + 2]) / 3.0f;
	return (float)im->px[i * im->channels];
}

static int
stage_sharpen(struct planes *pl, struct pr_image *im, float amount,
    float thr)
{
	static const float kw[5] = { 1 / 16.0f, 4 / 16.0f, 6 / 16.0f,
	    4 / 16.0f, 1 / 16.0f };
	size_t w = pl->w, h = pl->h, x, y;
	float *ring, *d, *lr;
	ptrdiff_t tag[5];
	int k, c;

	if (amount <= 0.0f)
		return 0;
	if ((ring = plane_alloc(w + 4, 7)) == NULL)
		return -1;
	d = ring + 5 * w;
	lr = d + w;
	for (k = 0; k < 5; k++)
		tag[k] = -1;
	for (y = 0; y < h; y++) {
		for (x = 0; x < w; x++)
			d[x] = 0.0f;
		for (k = -2; k <= 2; k++) {
			ptrdiff_t sy = (ptrdiff_t)y + k;
			size_t slot;
			float *r;

			sy = sy < 0 ? 0 : sy >= (ptrdiff_t)h ?
			    (ptrdiff_t)h - 1 : sy;
			slot = (size_t)sy % 5;
			r = ring + slot * w;
			if (tag[slot] != sy) {
				/* The row's luminance, edges replicated. */
				for (x = 0; x < w; x++)
					lr[x + 2] = cur_lum(pl, im,
					    (size_t)sy * w + x);
				lr[0] = lr[1] = lr[2];
				lr[w + 2] = lr[w + 3] = lr[w + 1];
				for (x = 0; x < w; x++)
					r[x] = kw[0] * (lr[x] + lr[x + 4]) +
					    kw[1] * (lr[x + 1] + lr[x + 3]) +
					    kw[2] * lr[x + 2];
				tag[slot] = sy;
			}
			for (x = 0; x < w; x++)
				d[x] += kw[k + 2] * r[x];
		}
		for (x = 0; x < w; x++) {
			size_t ii = y * w + x;
			float v = cur_lum(pl, im, ii) - d[x], a = fabsf(v);

			v = a <= thr ? 0.0f : (v > 0 ? a - thr : thr - a);
			if (v == 0.0f)
				continue;
			if (pl->p[0] != NULL)
				for (c = 0; c < pl->nc; c++)
					pl->p[c][ii] += amount * v;
			else
				for (c = 0; c < pl->nc; c++) {
					uint8_t *q = im->px + ii *
					    im->channels + (size_t)c;

					*q = to8((float)*q + amount * v);
				}
		}
	}
	free(ring);
	return 0;
}

/*
 * CLAHE on luminance when a faded picture is still flat after levels.
 * Returns 1 when it ran, 0 when not needed, -1 on failure.
 */
static int
stage_clahe(struct planes *pl, float strength)
{
	size_t n = pl->w * pl->h, i;
	double s = 0, s2 = 0;
	float *L, sd;
	int c;

	for (i = 0; i < n; i++) {
		float l = pl->nc == 3 ? (pl->p[0][i] + pl->p[1][i] +
		    pl->p[2][i]) / 3.0f : pl->p[0][i];

		s += l;
		s2 += (double)l * l;
	}
	sd = (float)sqrt(fmax(0.0, s2 / (double)n - (s / (double)n) *
	    (s / (double)n)));
	log_debug("engine: luminance sd %.1f", sd);
	if (sd >= 32.0f || n < 64 * 64)
		return 0;
	if ((L = plane_alloc(pl->w, pl->h)) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		L[i] = pl->nc == 3 ? (pl->p[0][i] + pl->p[1][i] +
		    pl->p[2][i]) / 3.0f : pl->p[0][i];
	if (flt_clahe(L, pl->w, pl->h, pl->w > pl->h ? pl->w / 8 : pl->h / 8,
	    2.0f, 0.5f * strength * (32.0f - sd) / 32.0f) == -1) {
		free(L);
		return -1;
	}
	for (i = 0; i < n; i++) {
		float l = pl->nc == 3 ? (pl->p[0][i] + pl->p[1][i] +
		    pl->p[2][i]) / 3.0f : pl->p[0][i];

		for (c = 0; c < pl->nc; c++)
			pl->p[c][i] += L[i] - l;
	}
	free(L);
	return 1;
}

static enum img_err
run_restore(const struct restore_opts *o, const struct pr_image *in,
    struct pr_image *out, char *reason, size_t sz)
{
	struct planes pl;
	struct jpeg_model jm;
	struct guide g;
	const struct pr_image *cur = in;	/* the photo so far */
	uint8_t *mask = NULL;
	float sigma, blk, step, sig_eff, *Y = NULL;
	size_t n, i;
	int denoised = 0, deblocked = 0, rcc;
	double t0 = tnow(), t;
	enum img_err rc = IMG_ENOMEM;

	/*
	 * The measurements and the defect detector read the 8-bit input
	 * (or the planes once made); the float planes are made only when a
	 * stage is going to change the photo.
	 */
	planes_init(&pl, in);
	n = pl.w * pl.h;
	memset(&g, 0, sizeof(g));
	g.px = in->px;
	g.ch = in->channels;
	sigma = flt_noise_sigma(&g, pl.w, pl.h);
	blk = flt_blockiness(&g, pl.w, pl.h, &step);
	log_debug("engine: %zux%zu nc %d sigma %.2f blockiness %.2f step "
	    "%.2f (%.3f s)", pl.w, pl.h, pl.nc, sigma, blk, step,
	    tnow() - t0);

	/*
	 * JPEG blocking: the non-local means then search wider (every block
	 * phase) with a sigma from the size of the block steps.
	 */
	sig_eff = sigma;
	memset(&jm, 0, sizeof(jm));
	if (blk > 1.25f && step > 0.5f)
		sig_eff = fmaxf(sigma, JPEG_SIGMA * step);

	if (o->denoise && sig_eff >= NOISE_MIN) {
		int R = sig_eff > 10.0f ? 4 : 3, P = 1;
		float hfac = 0.7f + 0.6f * o->strength;
		struct nlm_io io;

		t = tnow();
		memset(&io, 0, sizeof(io));
		if (sig_eff > sigma) {
			R = 5;
			hfac = 1.0f + 0.6f * o->strength;
			deblocked = 1;
			/* Its luma, kept for the projection afterwards. */
			if (planes_from(&pl, in) == -1 ||
			    (Y = plane_alloc(pl.w, pl.h)) == NULL ||
			    flt_jpeg_estimate(pl.p, pl.nc, pl.w, pl.h, Y,
			    &jm) == -1)
				goto err;
			log_debug("engine: jpeg grid %u,%u, %d of 64 steps "
			    "known, DC %.0f (%.3f s)", jm.px, jm.py, jm.known,
			    jm.q[0], tnow() - t);
			io.pl = pl.p;
			io.nc = pl.nc;
		} else {
			/*
			 * Straight from the input into the output: no float
			 * planes unless a later stage needs them (fresh
			 * memory is the dearest thing on a 12-megapixel
			 * photo).
			 */
			if (image_alloc(out, pl.w, pl.h, in->channels,
			    in->format) == -1)
				goto err;
			if (in->channels == 2 || in->channels == 4)
				memcpy(out->px, in->px, n * in->channels);
			io.src = in->px;
			io.dst = out->px;
			io.ch = in->channels;
			cur = out;
		}
		if (flt_nlm(&io, pl.w, pl.h, R, P, sig_eff, hfac) == -1)
			goto err;
		denoised = 1;
		if (jm.known > 0)
			flt_jpeg_project(pl.p, pl.nc, pl.w, pl.h, Y, &jm);
		free(Y);
		Y = NULL;
		log_debug("engine: nlm R %d P %d sigma %.2f h %.2f (%.3f s)", R,
		    P, sig_eff, hfac, tnow() - t);
	}

	/*
	 * Dust and scratches after denoising: the noise no longer passes
	 * for specks, and specks have no similar patches, so non-local
	 * means leaves them alone for us to find.
	 */
	if (o->scratch && n >= 64) {
		float thr = fmaxf(DEFECT_THR, 2.5f * sigma) *
		    (1.35f - 0.5f * o->strength);
		struct defect_stats ds;
		int64_t nd;
		int run;

		t = tnow();
		if ((mask = malloc(n)) == NULL)
			goto err;
		memset(&g, 0, sizeof(g));
		if (pl.p[0] != NULL) {
			g.pl = pl.p;
			g.nc = pl.nc;
		} else {
			g.px = cur->px;
			g.ch = cur->channels;
		}
		if ((nd = flt_defects(&g, pl.w, pl.h, thr, mask, &ds)) < 0)
			goto err;
		/*
		 * Fine detail (catchlights, stars, lettering) also makes
		 * specks, and wires make lines, so the photo must show
		 * damage as a whole: several scratches, or many specks.
		 */
		run = ds.lines >= LINES_MIN || (double)ds.dust >= fmax(20.0,
		    DUST_PER_MP * (double)n / 1e6);
		if (run && (planes_from(&pl, cur) == -1 ||
		    flt_inpaint(pl.p, pl.nc, pl.w, pl.h, mask) == -1))
			goto err;
		log_debug("engine: defects %lld px (%.3f%%), %lld dust, %lld "
		    "lines: %s (%.3f s)", (long long)nd, 100.0 * (double)nd /
		    (double)n, (long long)ds.dust, (long long)ds.lines,
		    run ? "inpainted" : "left alone", tnow() - t);
		free(mask);
		mask = NULL;
	}

	t = tnow();
	if (o->color) {
		if ((rcc = stage_color(&pl, cur, o->strength)) == -1)
			goto err;
		if (rcc == 1 && stage_clahe(&pl, o->strength) == -1)
			goto err;
	}
	log_debug("engine: colour (%.3f s)", tnow() - t);

	/*
	 * Give denoised edges back a little crispness; not to a deblocked
	 * JPEG, where it would bring back the ringing and the block edges.
	 */
	t = tnow();
	if (denoised && !deblocked && stage_sharpen(&pl, out, 0.15f *
	    o->strength, 2.0f + 1.5f * sig_eff) == -1)
		goto err;
	log_debug("engine: sharpen (%.3f s)", tnow() - t);

	if (out->px == NULL && image_alloc(out, pl.w, pl.h, in->channels,
	    in->format) == -1)
		goto err;
	if (pl.p[0] == NULL) {
		/* Nothing called for a change: the photo as it came. */
		if (cur == in)
			memcpy(out->px, in->px, n * in->channels);
	} else {
		planes_to(&pl, out);
		if (in->channels == 2 || in->channels == 4)
			for (i = 0; i < n; i++)
				out->px[i * in->channels + in->channels - 1] =
				    in->px[i * in->channels + in->channels - 1];
	}
	log_debug("engine: total %.3f s%s", tnow() - t0, pl.p[0] == NULL && cur == in ?
	    " (unchanged)" : "");
	rc = IMG_OK;
err:
	if (rc != IMG_OK) {
		img_free(out);
		ereason(reason, sz, "%s", img_strerror(rc));
	}
	free(mask);
	free(Y);
	planes_free(&pl);
	return rc;
}

/* -------------------------------------------------------------- upscale */

/*
 * One plane: Lanczos-3 up, then iterations of back-projection (shrink
 * the estimate with the antialiased Lanczos-3, enlarge the error, add
 * it) so the result shrinks back to the input.
 */
static int
upscale_plane(const float *src, size_t w, size_t h, float *est, size_t W,
    size_t H, int iters)
{
	float *down = NULL;
	size_t n = w * h, i;
	int it, rc = -1;

	if (flt_resize(src, w, h, est, W, H, 0) == -1)
		return -1;
	if (iters > 0 && (down = plane_alloc(w, h)) == NULL)
		goto err;
	for (it = 0; it < iters; it++) {
		if (flt_resize(est, W, H, down, w, h, 0) == -1)
			goto err;
		for (i = 0; i < n; i++)
			down[i] = src[i] - down[i];
		if (flt_resize(down, w, h, est, W, H, 1) == -1)
			goto err;
	}
	rc = 0;
err:
	free(down);
	return rc;
}

static enum img_err
run_upscale(const struct upscale_opts *o, const struct pr_image *in,
    struct pr_image *out, char *reason, size_t sz)
{
	float *src = NULL, *est = NULL, *D = NULL;
	size_t w = in->w, h = in->h, W, H, n, N, i;
	unsigned ch = in->channels, c;
	enum img_err rc = IMG_ENOMEM;

	if ((uint64_t)w * (uint64_t)o->scale * h * (uint64_t)o->scale >
	    (uint64_t)IMG_MAX_OUT_PIXELS) {
		ereason(reason, sz, "output too large (%llu pixels, maximum "
		    "%lld)", (unsigned long long)w * h *
		    (unsigned long long)(o->scale * o->scale),
		    (long long)IMG_MAX_OUT_PIXELS);
		return IMG_ETOOBIG;
	}
	W = w * (size_t)o->scale;
	H = h * (size_t)o->scale;
	n = w * h;
	N = W * H;
	if (image_alloc(out, W, H, ch, in->format) == -1 ||
	    (src = plane_alloc(w, h)) == NULL ||
	    (D = plane_alloc(w, 2 * h)) == NULL ||
	    (est = plane_alloc(W, H)) == NULL)
		goto err;
	for (c = 0; c < ch; c++) {
		int alpha = (ch == 2 || ch == 4) && c == ch - 1;

		for (i = 0; i < n; i++)
			src[i] = in->px[i * ch + c];
		if (upscale_plane(src, w, h, est, W, H, alpha ? 0 :
		    UP_ITERS) == -1)
			goto err;
		if (!alpha && o->sharpen > 0.0f) {
			/*
			 * Unsharp mask at the input's scale (its mid
			 * frequencies, enlarged and added), which is where
			 * the lost detail was, and cheap.  Four times
			 * enlarged, a wider and gentler one: the narrow one
			 * rings around the edges.
			 */
			flt_gauss(src, D, D + n, w, h, o->scale == 4 ?
			    UP4_SIGMA : UP2_SIGMA);
			for (i = 0; i < n; i++)
				D[i] = (o->scale == 4 ? UP4_GAIN : 1.0f) *
				    o->sharpen * (src[i] - D[i]);
			if (flt_resize(D, w, h, est, W, H, 1) == -1)
				goto err;
		}
		for (i = 0; i < N; i++)
			out->px[i * ch + c] = to8(est[i]);
	}
	rc = IMG_OK;
err:
	if (rc != IMG_OK) {
		img_free(out);
		ereason(reason, sz, "%s", img_strerror(rc));
	}
	free(D);
	free(src);
	free(est);
	return rc;
}

/*
 * Run a local model on in (see image.h).  The parameters are checked
 * before any work; out is a new image the caller frees with img_free().
 */
enum img_err
engine_run(const char *model_id, const struct cJSON *params,
    const struct pr_image *in, struct pr_image *out, char *reason,
    size_t reasonsz)
{
	struct restore_opts ro;
	struct upscale_opts uo;
	enum img_err rc;
	int scale;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	ereason(reason, reasonsz, "%s", "");
	if (model_id == NULL || in == NULL || out == NULL) {
		ereason(reason, reasonsz, "missing argument");
		return IMG_EPARAM;
	}
	if (in->px == NULL || in->w == 0 || in->h == 0 || in->channels < 1 ||
	    in->channels > 4) {
		ereason(reason, reasonsz, "empty or malformed image");
		return IMG_EPARAM;
	}
	if (strcmp(model_id, "local-restore") == 0) {
		if ((rc = restore_params(params, &ro, reason, reasonsz)) !=
		    IMG_OK)
			return rc;
		return run_restore(&ro, in, out, reason, reasonsz);
	}
	if (strcmp(model_id, "local-upscale-2x") == 0)
		scale = 2;
	else if (strcmp(model_id, "local-upscale-4x") == 0)
		scale = 4;
	else {
		ereason(reason, reasonsz, "unknown model '%.64s'", model_id);
		return IMG_EPARAM;
	}
	if ((rc = upscale_params(params, scale, &uo, reason, reasonsz)) !=
	    IMG_OK)
		return rc;
	return run_upscale(&uo, in, out, reason, reasonsz);
}
