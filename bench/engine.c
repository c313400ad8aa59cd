/*
 * engine.c: benchmark of the local restoration engine against ImageMagick
 * (issue 6).  Not a test: run through scripts/bench-engine.
 *
 *	engine table PHOTODIR OUT.md [CELLDIR]
 *					degrade every photo, restore with our
 *					engine and with ImageMagick command
 *					lines, score PSNR and SSIM against
 *					the original, print a markdown table
 *					(scores from CELLDIR/PHOTO.cells)
 *	engine cells PHOTODIR PHOTO FILE the scores of one photo
 *	engine quick PHOTODIR [PHOTO|all [DEG]]
 *					ours against ImageMagick's cached
 *					scores ($ENGINE_IM_CACHE), for tuning
 *	engine try PHOTO DEGRADATION [PARAMS]
 *					ours only, for tuning
 *	engine degrade PHOTO DEGRADATION OUT.png
 *	engine run IN MODEL OUT [PARAMS] decode, engine_run, encode; prints the
 *					engine time and peak RSS
 *	engine score REF.png IMG.png	PSNR and SSIM
 *
 * Degradations: clean (none: the engine should leave it alone), noise15, noise25 (Gaussian, per channel), jpeg20,
 * scratches (thin lines and dust), fade (faded print with a sepia
 * cast), down2, down4 (ImageMagick's default -resize 50% / 25%, then
 * enlarged back by the upscale models).  Every random choice comes from
 * a fixed-seed splitmix64, so runs are repeatable.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "photorestore.h"

#define CONVERT	"convert"

static uint64_t rng_state;

static uint64_t
rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double
urand(void)
{

	return ((double)(rng() >> 11) + 0.5) / 9007199254740992.0;
}

static double
grand(void)
{

	return sqrt(-2.0 * log(urand())) * cos(2.0 * M_PI * urand());
}

static uint8_t
clamp8(double v)
{

	return v <= 0 ? 0 : v >= 255 ? 255 : (uint8_t)(v + 0.5);
}

static double
cputime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
tv(const struct timeval *t)
{

	return (double)t->tv_sec + t->tv_usec / 1e6;
}

static void
die(const char *msg, const char *arg)
{

	fprintf(stderr, "engine: %s%s%s\n", msg, arg ? ": " : "",
	    arg ? arg : "");
	exit(1);
}

static struct pr_image
load(const char *path)
{
	struct pr_image im;
	unsigned char *data;
	char why[256];
	FILE *f;
	long n;

	if ((f = fopen(path, "rb")) == NULL)
		die("cannot open", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	if (n <= 0 || (data = malloc((size_t)n)) == NULL ||
	    fread(data, 1, (size_t)n, f) != (size_t)n)
		die("cannot read", path);
	fclose(f);
	if (img_decode(data, (size_t)n, 0, &im, why, sizeof(why)) != IMG_OK)
		die(why, path);
	free(data);
	return im;
}

static void
save(const struct pr_image *im, const char *path, enum img_format fmt,
    int q)
{
	struct buf b;
	FILE *f;

	buf_init(&b, (size_t)1 << 31);
	if (img_encode(im, fmt, q, &b) != IMG_OK)
		die("encode failed", path);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(b.data, 1, b.len, f) != b.len || fclose(f) != 0)
		die("cannot write", path);
	buf_free(&b);
}

static struct pr_image
copy(const struct pr_image *a)
{
	struct pr_image b = *a;
	size_t n = (size_t)a->w * a->h * a->channels;

	if ((b.px = malloc(n)) == NULL)
		die("out of memory", NULL);
	memcpy(b.px, a->px, n);
	return b;
}

/* Crop to multiples of 4 so 2x and 4x round trips keep the size. */
static struct pr_image
crop4(const struct pr_image *a)
{
	struct pr_image b = *a;
	uint32_t y;
	size_t rs;

	b.w = a->w & ~3U;
	b.h = a->h & ~3U;
	rs = (size_t)b.w * a->channels;
	if ((b.px = malloc(rs * b.h)) == NULL)
		die("out of memory", NULL);
	for (y = 0; y < b.h; y++)
		memcpy(b.px + y * rs, a->px + (size_t)y * a->w * a->channels,
		    rs);
	return b;
}

/* Make b have a's channel count (ImageMagick may write RGB for grey). */
static void
match_channels(const struct pr_image *a, struct pr_image *b)
{
	size_t n = (size_t)b->w * b->h, i;
	unsigned c;
	uint8_t *p;

	if (a->channels == b->channels)
		return;
	if ((p = malloc(n * a->channels)) == NULL)
		die("out of memory", NULL);
	for (i = 0; i < n; i++)
		for (c = 0; c < a->channels; c++) {
			unsigned sc = c < b->channels ? c : 0;

			if (a->channels == 1 && b->channels >= 3)
				p[i] = (uint8_t)((b->px[i * b->channels] +
				    b->px[i * b->channels + 1] +
				    b->px[i * b->channels + 2] + 1) / 3);
			else
				p[i * a->channels + c] =
				    b->px[i * b->channels + sc];
		}
	free(b->px);
	b->px = p;
	b->channels = a->channels;
}

/* ------------------------------------------------------------ metrics */

static double
psnr(const struct pr_image *a, const struct pr_image *b)
{
	size_t n = (size_t)a->w * a->h * a->channels, i;
	double se = 0;

	if (a->w != b->w || a->h != b->h || a->channels != b->channels)
		return 0;
	for (i = 0; i < n; i++) {
		double d = (double)a->px[i] - b->px[i];

		se += d * d;
	}
	return se == 0 ? 99 : 10 * log10(255.0 * 255.0 * (double)n / se);
}

/* Separable 11-tap Gaussian (sigma 1.5) with clamped borders. */
static void
gblur(const double *in, double *out, double *tmp, size_t w, size_t h)
{
	double k[11], s = 0;
	size_t x, y;
	int i;

	for (i = -5; i <= 5; i++)
		s += k[i + 5] = exp(-(double)(i * i) / (2 * 1.5 * 1.5));
	for (i = 0; i < 11; i++)
		k[i] /= s;
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			double a = 0;

			for (i = -5; i <= 5; i++) {
				long xx = (long)x + i;

				xx = xx < 0 ? 0 : xx >= (long)w ? (long)w - 1 : xx;
				a += k[i + 5] * in[y * w + (size_t)xx];
			}
			tmp[y * w + x] = a;
		}
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			double a = 0;

			for (i = -5; i <= 5; i++) {
				long yy = (long)y + i;

				yy = yy < 0 ? 0 : yy >= (long)h ? (long)h - 1 : yy;
				a += k[i + 5] * tmp[(size_t)yy * w + x];
			}
			out[y * w + x] = a;
		}
}

/*
 * SSIM (Wang et al. 2004) with the usual Gaussian window, K1 = 0.01,
 * K2 = 0.03, L = 255, averaged over pixels and then channels.
 */
static double
ssim(const struct pr_image *a, const struct pr_image *b)
{
	size_t w = a->w, h = a->h, n = w * h, i;
	double *x, *y, *mx, *my, *sxx, *syy, *sxy, *t, *tmp, tot = 0;
	const double C1 = 6.5025, C2 = 58.5225;
	unsigned c;

	if (a->w != b->w || a->h != b->h || a->channels != b->channels)
		return 0;
	x = malloc(n * sizeof(double));
	y = malloc(n * sizeof(double));
	mx = malloc(n * sizeof(double));
	my = malloc(n * sizeof(double));
	sxx = malloc(n * sizeof(double));
	syy = malloc(n * sizeof(double));
	sxy = malloc(n * sizeof(double));
	t = malloc(n * sizeof(double));
	tmp = malloc(n * sizeof(double));
	if (!x || !y || !mx || !my || !sxx || !syy || !sxy || !t || !tmp)
		die("out of memory", NULL);
	for (c = 0; c < a->channels; c++) {
		double s = 0;

		for (i = 0; i < n; i++) {
			x[i] = a->px[i * a->channels + c];
			y[i] = b->px[i * b->channels + c];
		}
		gblur(x, mx, tmp, w, h);
		gblur(y, my, tmp, w, h);
		for (i = 0; i < n; i++)
			t[i] = x[i] * x[i];
		gblur(t, sxx, tmp, w, h);
		for (i = 0; i < n; i++)
			t[i] = y[i] * y[i];
		gblur(t, syy, tmp, w, h);
		for (i = 0; i < n; i++)
			t[i] = x[i] * y[i];
		gblur(t, sxy, tmp, w, h);
		for (i = 0; i < n; i++) {
			double vx = sxx[i] - mx[i] * mx[i];
			double vy = syy[i] - my[i] * my[i];
			double cv = sxy[i] - mx[i] * my[i];

			s += ((2 * mx[i] * my[i] + C1) * (2 * cv + C2)) /
			    ((mx[i] * mx[i] + my[i] * my[i] + C1) *
			    (vx + vy + C2));
		}
		tot += s / (double)n;
	}
	free(x); free(y); free(mx); free(my); free(sxx); free(syy);
	free(sxy); free(t); free(tmp);
	return tot / a->channels;
}

/* -------------------------------------------------------- degradations */

/* Blend value v into pixel p of im with opacity a. */
static void
paint(struct pr_image *im, long x, long y, double v, double a)
{
	uint8_t *p;
	unsigned c;

	if (x < 0 || y < 0 || x >= (long)im->w || y >= (long)im->h)
		return;
	p = im->px + ((size_t)y * im->w + (size_t)x) * im->channels;
	for (c = 0; c < im->channels && c < 3; c++)
		p[c] = clamp8(p[c] * (1 - a) + v * a);
}

/*
 * Film damage: a few long, nearly vertical scratches (1-2 px, bright or
 * dark, slightly wandering), short hairline scratches at any angle, and
 * specks of dust (radius 0.7-2.2 px).
 */
static void
scratch(struct pr_image *im)
{
	size_t area = (size_t)im->w * im->h;
	int nlong = 3 + (int)(area / 80000), nshort = 4 + (int)(area / 40000);
	int ndust = 20 + (int)(area / 2500), i;

	for (i = 0; i < nlong; i++) {
		double x = urand() * im->w, slope = (urand() - 0.5) * 0.08;
		double v = urand() < 0.6 ? 235 + 20 * urand() : 15 * urand();
		double op = 0.75 + 0.25 * urand(), wid = urand() < 0.5 ? 1 : 2;
		long y0 = (long)(urand() * im->h * 0.3);
		long y1 = (long)(im->h * (0.7 + 0.3 * urand())), y;

		for (y = y0; y < y1; y++) {
			x += slope + (urand() - 0.5) * 0.3;
			paint(im, (long)x, y, v, op);
			if (wid > 1)
				paint(im, (long)x + 1, y, v, op * 0.8);
		}
	}
	for (i = 0; i < nshort; i++) {
		double x = urand() * im->w, y = urand() * im->h;
		double ang = urand() * M_PI, len = 15 + 40 * urand();
		double v = urand() < 0.5 ? 245 : 10, t;

		for (t = 0; t < len; t += 0.5)
			paint(im, (long)(x + t * cos(ang)),
			    (long)(y + t * sin(ang)), v, 0.85);
	}
	for (i = 0; i < ndust; i++) {
		double cx = urand() * im->w, cy = urand() * im->h;
		double r = 0.7 + 1.5 * urand() * urand();
		double v = urand() < 0.5 ? 5 + 20 * urand() : 240;
		long x, y;

		for (y = (long)(cy - r - 1); y <= (long)(cy + r + 1); y++)
			for (x = (long)(cx - r - 1); x <= (long)(cx + r + 1);
			    x++) {
				double d = hypot(x + 0.5 - cx, y + 0.5 - cy);

				if (d <= r)
					paint(im, x, y, v, 0.9);
			}
	}
}

/*
 * A faded, aged print: half-toned towards sepia, dye lost (blacks lifted
 * towards the paper, v' = 255 - (255 - v) * 0.72, whites stay), and the
 * paper yellowed (green and blue dimmed).
 */
static void
fade(struct pr_image *im)
{
	static const double tone[3] = { 1.08, 0.92, 0.70 };
	static const double paper[3] = { 1.0, 0.95, 0.80 };
	size_t n = (size_t)im->w * im->h, i;
	unsigned c, ch = im->channels;

	for (i = 0; i < n; i++) {
		uint8_t *p = im->px + i * ch;
		double l = ch >= 3 ? 0.299 * p[0] + 0.587 * p[1] +
		    0.114 * p[2] : p[0];

		for (c = 0; c < (ch >= 3 ? 3U : 1U); c++) {
			double v = ch >= 3 ? 0.55 * p[c] + 0.45 * l * tone[c] :
			    p[c];

			if (v > 255)
				v = 255;
			v = 255 - (255 - v) * 0.72;
			p[c] = clamp8(v * (ch >= 3 ? paper[c] : 0.95));
		}
	}
}

static int
is_down(const char *deg)
{

	return strncmp(deg, "down", 4) == 0;
}

static void
run(const char *cmd)
{
	if (system(cmd) != 0)
		die("command failed", cmd);
}

/*
 * Write the degraded version of clean (already cropped for down*) to
 * path as PNG.
 */
static void
degrade(const struct pr_image *clean, const char *deg, const char *path,
    const char *tmpdir, uint64_t seed)
{
	struct pr_image d = copy(clean);
	size_t n = (size_t)d.w * d.h * d.channels, i;
	char cmd[4096], src[1024];

	rng_state = seed;
	if (strcmp(deg, "clean") == 0)
		;	/* does the engine leave a good photo alone? */
	else if (strcmp(deg, "noise15") == 0 || strcmp(deg, "noise25") == 0) {
		double s = deg[5] == '1' ? 15 : 25;

		for (i = 0; i < n; i++)
			d.px[i] = clamp8(d.px[i] + s * grand());
	} else if (strcmp(deg, "jpeg20") == 0) {
		snprintf(src, sizeof(src), "%s/q20.jpg", tmpdir);
		save(&d, src, IMG_JPEG, 20);
		img_free(&d);
		d = load(src);
	} else if (strcmp(deg, "scratches") == 0)
		scratch(&d);
	else if (strcmp(deg, "fade") == 0)
		fade(&d);
	else if (is_down(deg)) {
		snprintf(src, sizeof(src), "%s/clean.png", tmpdir);
		save(&d, src, IMG_PNG, 0);
		snprintf(cmd, sizeof(cmd), CONVERT " %s -resize %s %s", src,
		    deg[4] == '2' ? "50%" : "25%", path);
		run(cmd);
		img_free(&d);
		return;
	} else
		die("unknown degradation", deg);
	save(&d, path, IMG_PNG, 0);
	img_free(&d);
}

static const char *
model_for(const char *deg)
{

	if (strcmp(deg, "down2") == 0)
		return "local-upscale-2x";
	if (strcmp(deg, "down4") == 0)
		return "local-upscale-4x";
	return "local-restore";
}

/* Our engine on the degraded file: score and time. */
static void
ours(const struct pr_image *clean, const char *path, const char *deg,
    const char *params, double *p, double *s, double *t)
{
	struct pr_image in = load(path), out;
	cJSON *j = params ? cJSON_Parse(params) : NULL;
	char why[256];
	double t0;

	if (params != NULL && j == NULL)
		die("bad JSON", params);
	t0 = now();
	if (engine_run(model_for(deg), j, &in, &out, why, sizeof(why)) !=
	    IMG_OK)
		die("engine_run failed", why);
	*t = now() - t0;
	*p = psnr(clean, &out);
	*s = ssim(clean, &out);
	cJSON_Delete(j);
	img_free(&in);
	img_free(&out);
}

/* ------------------------------------------------------------- the table */

static const char *const degs[] = { "clean", "noise15", "noise25", "jpeg20",
    "scratches", "fade", "down2", "down4" };
#define NDEG	(sizeof(degs) / sizeof(degs[0]))

static const char *const im_restore[] = {
	"-despeckle",
	"-median 3",
	"-enhance",
	"-blur 0x0.8",
	"-blur 0x1.2",
	"-selective-blur 0x2+12%",
	"-despeckle -despeckle",
	"-median 3 -unsharp 0x1",
	"-auto-level",
	"-normalize",
	"-channel RGB -auto-level",
	"-channel RGB -normalize",
	"-auto-level -auto-gamma",
	"-channel RGB -auto-level -auto-gamma",
	"-median 3 -channel RGB -auto-level",
};
static const char *const im_up[] = {
	"-filter Lanczos -resize %d%%",
	"-resize %d%%",
	"-filter Catrom -resize %d%%",
	"-filter Lanczos -distort Resize %d%%",
	"-filter Lanczos -resize %d%% -unsharp 0x1",
	"-filter Lanczos -resize %d%% -unsharp 0x2+0.6",
};
#define NRES	(sizeof(im_restore) / sizeof(im_restore[0]))
#define NUP	(sizeof(im_up) / sizeof(im_up[0]))
#define NVAR	(NRES > NUP ? NRES : NUP)

struct cell {
	double	 p, s, t;
};

static const char *const photos[] = { "astronaut", "camera", "chelsea",
    "coffee" };
#define NPHOTO	(sizeof(photos) / sizeof(photos[0]))

/* Every score of one photo. */
struct photo_cells {
	struct cell	 in[NDEG], our[NDEG], im[NDEG][NVAR];
};

/*
 * ImageMagick's scores depend only on the degraded file and the command
 * line, so with $ENGINE_IM_CACHE set they are kept there (one small file
 * per FNV-1a hash of both) and a rerun only scores our engine.  With
 * imrun 0 nothing is run: a missing score stays 0.
 */
static int
im_cached(const char *dpath, const char *var, struct cell *cl, int save_it,
    char *cpath, size_t cpsz)
{
	const char *dir = getenv("ENGINE_IM_CACHE");
	uint64_t hsh = 0xcbf29ce484222325ULL;
	unsigned char b[64];
	size_t k, got;
	FILE *f;

	if (dir == NULL || *dir == '\0')
		return 0;
	if (!save_it) {
		/* The pixels: ImageMagick's PNG files carry timestamps. */
		struct pr_image im = load(dpath);

		snprintf((char *)b, sizeof(b), "%ux%ux%u", im.w, im.h,
		    im.channels);
		for (k = 0; b[k] != '\0'; k++)
			hsh = (hsh ^ b[k]) * 0x100000001b3ULL;
		got = (size_t)im.w * im.h * im.channels;
		for (k = 0; k < got; k++)
			hsh = (hsh ^ im.px[k]) * 0x100000001b3ULL;
		img_free(&im);
		for (k = 0; var[k] != '\0'; k++)
			hsh = (hsh ^ (unsigned char)var[k]) * 0x100000001b3ULL;
		mkdir(dir, 0777);
		snprintf(cpath, cpsz, "%s/%016llx", dir,
		    (unsigned long long)hsh);
		if ((f = fopen(cpath, "rb")) == NULL)
			return 0;
		got = fread(cl, sizeof(*cl), 1, f);
		fclose(f);
		return got == 1;
	}
	if ((f = fopen(cpath, "wb")) != NULL) {
		fwrite(cl, sizeof(*cl), 1, f);
		fclose(f);
	}
	return 1;
}

/*
 * Every score of one photo (only degradation onlydeg when not NULL);
 * ImageMagick is run only when imrun is set.
 */
static void
compute_photo(const char *dir, size_t ph, struct photo_cells *pc,
    const char *onlydeg, int imrun)
{
	char cpath[2048];
	char tmpl[] = "/tmp/bench-engine.XXXXXX", path[1024], dpath[1024];
	char opath[1024], cmd[4096], var[256];
	struct pr_image full, clean;
	const char *tmpdir;
	size_t d, v, nv;

	memset(pc, 0, sizeof(*pc));
	if ((tmpdir = mkdtemp(tmpl)) == NULL)
		die("mkdtemp", strerror(errno));
	snprintf(path, sizeof(path), "%s/%s.png", dir, photos[ph]);
	full = load(path);
	for (d = 0; d < NDEG; d++) {
		struct pr_image dg;

		if (onlydeg != NULL && strcmp(onlydeg, degs[d]) != 0)
			continue;
		clean = is_down(degs[d]) ? crop4(&full) : copy(&full);
		snprintf(dpath, sizeof(dpath), "%s/%s-%s.png", tmpdir,
		    photos[ph], degs[d]);
		degrade(&clean, degs[d], dpath, tmpdir,
		    0x5eed0000ULL + ph * 16 + d);
		if (!is_down(degs[d]))
			dg = load(dpath);
		else {
			/* "Input" for upscaling: pixel replication. */
			snprintf(opath, sizeof(opath), "%s/box.png", tmpdir);
			snprintf(cmd, sizeof(cmd), CONVERT " %s -filter Point "
			    "-resize %d%% %s", dpath,
			    degs[d][4] == '2' ? 200 : 400, opath);
			run(cmd);
			dg = load(opath);
		}
		match_channels(&clean, &dg);
		pc->in[d].p = psnr(&clean, &dg);
		pc->in[d].s = ssim(&clean, &dg);
		pc->in[d].t = 0;
		img_free(&dg);
		ours(&clean, dpath, degs[d], NULL, &pc->our[d].p,
		    &pc->our[d].s, &pc->our[d].t);
		nv = is_down(degs[d]) ? NUP : NRES;
		for (v = 0; v < nv; v++) {
			struct pr_image r;
			double t0;

			if (is_down(degs[d]))
				snprintf(var, sizeof(var), im_up[v],
				    degs[d][4] == '2' ? 200 : 400);
			else
				snprintf(var, sizeof(var), "%s", im_restore[v]);
			if (im_cached(dpath, var, &pc->im[d][v], 0, cpath,
			    sizeof(cpath)) || !imrun)
				continue;
			snprintf(opath, sizeof(opath), "%s/im.png", tmpdir);
			snprintf(cmd, sizeof(cmd), CONVERT " %s %s %s", dpath,
			    var, opath);
			t0 = now();
			run(cmd);
			pc->im[d][v].t = now() - t0;
			r = load(opath);
			match_channels(&clean, &r);
			pc->im[d][v].p = psnr(&clean, &r);
			pc->im[d][v].s = ssim(&clean, &r);
			img_free(&r);
			im_cached(dpath, var, &pc->im[d][v], 1, cpath,
			    sizeof(cpath));
		}
		fprintf(stderr, "%s %s: in %.2f ours %.2f/%.4f (%.3fs)\n",
		    photos[ph], degs[d], pc->in[d].p, pc->our[d].p,
		    pc->our[d].s, pc->our[d].t);
		img_free(&clean);
	}
	img_free(&full);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	run(cmd);
}

/*
 * Whether ours beats the best ImageMagick variant (bestp: PSNR of the
 * best by PSNR, bests: best SSIM of any): strictly on both, except that
 * an output identical to the original (99 dB) cannot be beaten, only
 * tied, and counts.
 */
static int
beats(const struct cell *our, double bestp, double bests)
{

	if (our->p >= 99.0)
		return 1;
	return our->p > bestp && our->s > bests;
}

/* The best ImageMagick PSNR (its index in *bv) and SSIM of one cell. */
static void
im_best(const struct photo_cells *pc, size_t d, size_t *bv, double *bp,
    double *bs)
{
	size_t v, nv = is_down(degs[d]) ? NUP : NRES, best = 0;

	*bs = 0;
	for (v = 0; v < nv; v++) {
		if (pc->im[d][v].p > pc->im[d][best].p)
			best = v;
		if (pc->im[d][v].s > *bs)
			*bs = pc->im[d][v].s;
	}
	*bv = best;
	*bp = pc->im[d][best].p;
}

/*
 * For tuning: our scores on the benchmark's own degradations, against
 * ImageMagick's from $ENGINE_IM_CACHE (0 when not cached).
 */
static void
quick(const char *dir, const char *photo, const char *deg)
{
	static struct photo_cells pc;
	size_t ph, d, bv;
	double bp, bs, sp = 0, ss = 0;
	int wins = 0, total = 0;

	for (ph = 0; ph < NPHOTO; ph++) {
		if (photo != NULL && strcmp(photo, "all") != 0 &&
		    strcmp(photo, photos[ph]) != 0)
			continue;
		compute_photo(dir, ph, &pc, deg, 0);
		for (d = 0; d < NDEG; d++) {
			int win;

			if (deg != NULL && strcmp(deg, degs[d]) != 0)
				continue;
			im_best(&pc, d, &bv, &bp, &bs);
			win = beats(&pc.our[d], bp, bs);
			wins += win;
			total++;
			sp += pc.our[d].p - bp;
			ss += pc.our[d].s - bs;
			printf("%-9s %-9s ours %6.2f / %.4f  IM %6.2f / %.4f"
			    "  %+.2f %+.4f %s\n", photos[ph], degs[d],
			    pc.our[d].p, pc.our[d].s, bp, bs,
			    pc.our[d].p - bp, pc.our[d].s - bs,
			    win ? "yes" : "NO");
		}
	}
	printf("%d of %d; mean margin %+.3f dB %+.5f\n", wins, total,
	    total ? sp / total : 0, total ? ss / total : 0);
}

/*
 * The markdown report.  With celldir, each photo's scores are read from
 * celldir/PHOTO.cells (written by "engine cells", so photos can be
 * scored in parallel); without, they are computed here.
 */
static void
table(const char *dir, const char *outpath, const char *celldir)
{
	static struct photo_cells pcs[NPHOTO];
	char path[1024], var[256];
	struct buf md;
	size_t ph, d, v, nv;
	int wins = 0, total = 0;
	FILE *f;

	for (ph = 0; ph < NPHOTO; ph++) {
		if (celldir == NULL) {
			compute_photo(dir, ph, &pcs[ph], NULL, 1);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s.cells", celldir,
		    photos[ph]);
		if ((f = fopen(path, "rb")) == NULL ||
		    fread(&pcs[ph], sizeof(pcs[ph]), 1, f) != 1)
			die("cannot read", path);
		fclose(f);
	}
#define in_c(ph, d)	pcs[ph].in[d]
#define our_c(ph, d)	pcs[ph].our[d]
#define im_c(ph, d, v)	pcs[ph].im[d][v]
	buf_init(&md, 1 << 20);
	buf_puts(&md, "| photo | degradation | input PSNR / SSIM | best "
	    "ImageMagick (by PSNR) | its PSNR / SSIM | best IM SSIM | "
	    "IM time | ours PSNR / SSIM | ours time | beats IM |\n"
	    "|---|---|---|---|---|---|---|---|---|---|\n");
	for (d = 0; d < NDEG; d++)
		for (ph = 0; ph < NPHOTO; ph++) {
			size_t best = 0;
			double bests = 0;
			int win;

			nv = is_down(degs[d]) ? NUP : NRES;
			for (v = 0; v < nv; v++) {
				if (im_c(ph, d, v).p > im_c(ph, d, best).p)
					best = v;
				if (im_c(ph, d, v).s > bests)
					bests = im_c(ph, d, v).s;
			}
			if (is_down(degs[d]))
				snprintf(var, sizeof(var), im_up[best],
				    degs[d][4] == '2' ? 200 : 400);
			else
				snprintf(var, sizeof(var), "%s",
				    im_restore[best]);
			win = beats(&our_c(ph, d), im_c(ph, d, best).p,
			    bests);
			wins += win;
			total++;
			buf_printf(&md, "| %s | %s | %.2f / %.4f | `%s` | "
			    "%.2f / %.4f | %.4f | %.2fs | **%.2f / %.4f** | "
			    "%.3fs | %s |\n", photos[ph], degs[d],
			    in_c(ph, d).p, in_c(ph, d).s, var,
			    im_c(ph, d, best).p, im_c(ph, d, best).s, bests,
			    im_c(ph, d, best).t, our_c(ph, d).p,
			    our_c(ph, d).s, our_c(ph, d).t,
			    !win ? "**no**" : our_c(ph, d).p >= 99.0 &&
			    im_c(ph, d, best).p >= 99.0 ? "tie (identical)" :
			    "yes");
		}
	buf_printf(&md, "\nOurs beats the best ImageMagick variant on both "
	    "PSNR and SSIM, or leaves a clean photo identical (which no "
	    "variant can beat), in %d of %d cases.\n", wins, total);

	/* Mean over photos for every variant. */
	buf_puts(&md, "\nMean PSNR / SSIM over the four photos, every "
	    "variant:\n\n| degradation | variant | PSNR | SSIM |\n"
	    "|---|---|---|---|\n");
	for (d = 0; d < NDEG; d++) {
		double mp = 0, ms = 0;

		nv = is_down(degs[d]) ? NUP : NRES;
		for (ph = 0; ph < NPHOTO; ph++) {
			mp += in_c(ph, d).p / NPHOTO;
			ms += in_c(ph, d).s / NPHOTO;
		}
		buf_printf(&md, "| %s | input%s | %.2f | %.4f |\n", degs[d],
		    is_down(degs[d]) ? " (pixel replication)" : "", mp, ms);
		for (v = 0; v < nv; v++) {
			mp = ms = 0;
			for (ph = 0; ph < NPHOTO; ph++) {
				mp += im_c(ph, d, v).p / NPHOTO;
				ms += im_c(ph, d, v).s / NPHOTO;
			}
			if (is_down(degs[d]))
				snprintf(var, sizeof(var), im_up[v],
				    degs[d][4] == '2' ? 200 : 400);
			else
				snprintf(var, sizeof(var), "%s",
				    im_restore[v]);
			buf_printf(&md, "| %s | `convert %s` | %.2f | %.4f "
			    "|\n", degs[d], var, mp, ms);
		}
		mp = ms = 0;
		for (ph = 0; ph < NPHOTO; ph++) {
			mp += our_c(ph, d).p / NPHOTO;
			ms += our_c(ph, d).s / NPHOTO;
		}
		buf_printf(&md, "| %s | **ours (%s)** | **%.2f** | **%.4f** "
		    "|\n", degs[d], model_for(degs[d]), mp, ms);
	}
	fputs(md.data, stdout);
	if ((f = fopen(outpath, "w")) == NULL)
		die("cannot write", outpath);
	fputs(md.data, f);
	fclose(f);
	buf_free(&md);
}

int
main(int argc, char *argv[])
{
	char tmpl[] = "/tmp/bench-engine.XXXXXX", dpath[1024];
	const char *tmpdir;

	if (getenv("ENGINE_DEBUG") != NULL)
		log_init("engine", PRLOG_DEBUG, NULL);
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "table") == 0) {
		table(argv[2], argv[3], argc == 5 ? argv[4] : NULL);
		return 0;
	}
	if (argc == 5 && strcmp(argv[1], "cells") == 0) {
		static struct photo_cells pc;
		size_t ph;
		FILE *f;

		for (ph = 0; ph < NPHOTO; ph++)
			if (strcmp(argv[3], photos[ph]) == 0)
				break;
		if (ph == NPHOTO)
			die("unknown photo", argv[3]);
		compute_photo(argv[2], ph, &pc, NULL, 1);
		if ((f = fopen(argv[4], "wb")) == NULL ||
		    fwrite(&pc, sizeof(pc), 1, f) != 1 || fclose(f) != 0)
			die("cannot write", argv[4]);
		return 0;
	}
	if (argc >= 3 && argc <= 5 && strcmp(argv[1], "quick") == 0) {
		quick(argv[2], argc >= 4 ? argv[3] : NULL,
		    argc == 5 ? argv[4] : NULL);
		return 0;
	}
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "try") == 0) {
		struct pr_image full = load(argv[2]), clean, dg;
		double p, s, t;

		clean = is_down(argv[3]) ? crop4(&full) : copy(&full);
		if ((tmpdir = mkdtemp(tmpl)) == NULL)
			die("mkdtemp", NULL);
		snprintf(dpath, sizeof(dpath), "%s/deg.png", tmpdir);
		degrade(&clean, argv[3], dpath, tmpdir, 0x5eedULL);
		dg = load(dpath);
		match_channels(&clean, &dg);
		if (!is_down(argv[3]))
			printf("input %.2f / %.4f\n", psnr(&clean, &dg),
			    ssim(&clean, &dg));
		ours(&clean, dpath, argv[3], argc == 5 ? argv[4] : NULL, &p,
		    &s, &t);
		printf("ours  %.2f / %.4f  %.3fs\n", p, s, t);
		snprintf(dpath, sizeof(dpath), "rm -rf %s", tmpdir);
		run(dpath);
		return 0;
	}
	if (argc == 5 && strcmp(argv[1], "degrade") == 0) {
		struct pr_image full = load(argv[2]), clean;

		if ((tmpdir = mkdtemp(tmpl)) == NULL)
			die("mkdtemp", NULL);
		clean = is_down(argv[3]) ? crop4(&full) : copy(&full);
		degrade(&clean, argv[3], argv[4], tmpdir, 0x5eedULL);
		snprintf(dpath, sizeof(dpath), "rm -rf %s", tmpdir);
		run(dpath);
		return 0;
	}
	if ((argc == 5 || argc == 6) && strcmp(argv[1], "run") == 0) {
		struct pr_image in = load(argv[2]), out;
		cJSON *j = argc == 6 ? cJSON_Parse(argv[5]) : NULL;
		struct rusage ru;
		char why[256];
		double t0, t, c0, c, u0, s0;
		size_t sz = (size_t)in.w * in.h * in.channels;

		getrusage(RUSAGE_SELF, &ru);
		u0 = tv(&ru.ru_utime);
		s0 = tv(&ru.ru_stime);
		c0 = cputime();
		t0 = now();
		if (engine_run(argv[3], j, &in, &out, why, sizeof(why)) !=
		    IMG_OK)
			die("engine_run failed", why);
		t = now() - t0;
		c = cputime() - c0;
		cJSON_Delete(j);
		getrusage(RUSAGE_SELF, &ru);
		printf("%s %ux%u (%.1f MP, decoded %.1f MB): engine %.3f s "
		    "wall, %.3f s CPU (%.3f user + %.3f sys), peak RSS %.1f MB "
		    "(%.1fx decoded)\n",
		    argv[3], in.w, in.h, in.w * (double)in.h / 1e6, sz / 1e6, t,
		    c, tv(&ru.ru_utime) - u0, tv(&ru.ru_stime) - s0,
		    ru.ru_maxrss / 1024.0, ru.ru_maxrss * 1024.0 / (double)sz);
		save(&out, argv[4], strstr(argv[4], ".jpg") ? IMG_JPEG :
		    IMG_PNG, 92);
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "score") == 0) {
		struct pr_image a = load(argv[2]), b = load(argv[3]);

		match_channels(&a, &b);
		printf("%.2f / %.4f\n", psnr(&a, &b), ssim(&a, &b));
		return 0;
	}
	fprintf(stderr, "usage: engine table PHOTODIR OUT.md [CELLDIR] | "
	    "cells PHOTODIR PHOTO FILE | quick PHOTODIR [PHOTO|all [DEG]] | "
	    "try PHOTO DEG "
	    "[PARAMS] | degrade PHOTO DEG OUT | run IN MODEL OUT | score A B\n");
	return 2;
}
