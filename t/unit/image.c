/*
 * image.c: unit tests of the image codecs and the local restoration
 * engine (lib/img_*.c).  Run as "image <behaviour>"; each t/image-*.t and
 * t/engine-*.t wrapper names one behaviour.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "photorestore.h"
#include "tap.h"

#define PHOTO	"../shared/testdata/photos/chelsea.png"

/* ----------------------------------------------------------- helpers */

/* splitmix64: a fixed-seed generator of our own (never rand()). */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

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

/* Box-Muller. */
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

static struct pr_image
mkimg(uint32_t w, uint32_t h, unsigned ch)
{
	struct pr_image im;

	memset(&im, 0, sizeof(im));
	im.w = w;
	im.h = h;
	im.channels = ch;
	im.format = IMG_PNG;
	im.px = calloc((size_t)w * h * ch, 1);
	if (im.px == NULL) {
		printf("Bail out! out of memory\n");
		exit(1);
	}
	return im;
}

static uint8_t *
px(struct pr_image *im, uint32_t x, uint32_t y)
{

	return im->px + ((size_t)y * im->w + x) * im->channels;
}

static double
psnr(const struct pr_image *a, const struct pr_image *b)
{
	size_t n = (size_t)a->w * a->h * a->channels, i;
	double se = 0;

	if (a->w != b->w || a->h != b->h || a->channels != b->channels)
		return -1;
	for (i = 0; i < n; i++) {
		double d = (double)a->px[i] - b->px[i];

		se += d * d;
	}
	if (se == 0)
		return 99;
	return 10 * log10(255.0 * 255.0 / (se / (double)n));
}

static int
slurp(const char *path, unsigned char **out, size_t *len)
{
	FILE *f;
	long n;

	if ((f = fopen(path, "rb")) == NULL)
		return -1;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 ||
	    (*out = malloc((size_t)n + 1)) == NULL) {
		fclose(f);
		return -1;
	}
	*len = fread(*out, 1, (size_t)n, f);
	fclose(f);
	return *len == (size_t)n ? 0 : -1;
}

/* Encode, or bail out. */
static struct buf
enc(const struct pr_image *im, enum img_format fmt, int q)
{
	struct buf b;

	buf_init(&b, 256 * 1024 * 1024);
	if (img_encode(im, fmt, q, &b) != IMG_OK) {
		printf("Bail out! encode failed\n");
		exit(1);
	}
	return b;
}

/* ------------------------------------------------ hand-made PNG files */

static uint32_t
crc32_png(const unsigned char *p, size_t n)
{
	uint32_t c = 0xffffffffU;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		c ^= p[i];
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320U & (0U - (c & 1)));
	}
	return c ^ 0xffffffffU;
}

static void
put32(unsigned char *p, uint32_t v)
{

	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static void
chunk(struct buf *b, const char *type, const unsigned char *data, size_t n)
{
	unsigned char hdr[8], crc[4], *tmp;

	put32(hdr, (uint32_t)n);
	memcpy(hdr + 4, type, 4);
	buf_append(b, hdr, 8);
	if (n > 0)
		buf_append(b, data, n);
	tmp = malloc(n + 4);
	memcpy(tmp, type, 4);
	if (n > 0)
		memcpy(tmp + 4, data, n);
	put32(crc, crc32_png(tmp, n + 4));
	free(tmp);
	buf_append(b, crc, 4);
}

/*
 * A PNG with the given header and raw scanlines (each already starting
 * with its filter byte) in one stored (uncompressed) deflate block.
 */
static struct buf
mkpng(uint32_t w, uint32_t h, int depth, int ctype, const unsigned char *raw,
    size_t rawlen, const unsigned char *plte, size_t plen,
    const unsigned char *trns, size_t tlen)
{
	static const unsigned char sig[8] =
	    { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	unsigned char ihdr[13], *z;
	uint32_t a = 1, bsum = 0;
	struct buf b;
	size_t i, zl;

	buf_init(&b, 1 << 24);
	buf_append(&b, sig, 8);
	put32(ihdr, w);
	put32(ihdr + 4, h);
	ihdr[8] = (unsigned char)depth;
	ihdr[9] = (unsigned char)ctype;
	ihdr[10] = ihdr[11] = ihdr[12] = 0;
	chunk(&b, "IHDR", ihdr, 13);
	if (plte != NULL)
		chunk(&b, "PLTE", plte, plen);
	if (trns != NULL)
		chunk(&b, "tRNS", trns, tlen);
	/* zlib: header, one final stored block (< 64 KiB), Adler-32. */
	zl = 2 + 5 + rawlen + 4;
	z = malloc(zl);
	z[0] = 0x78;
	z[1] = 0x01;
	z[2] = 0x01;
	z[3] = (unsigned char)(rawlen & 0xff);
	z[4] = (unsigned char)(rawlen >> 8);
	z[5] = (unsigned char)(~rawlen & 0xff);
	z[6] = (unsigned char)((~rawlen >> 8) & 0xff);
	memcpy(z + 7, raw, rawlen);
	for (i = 0; i < rawlen; i++) {
		a = (a + raw[i]) % 65521;
		bsum = (bsum + a) % 65521;
	}
	put32(z + 7 + rawlen, (bsum << 16) | a);
	chunk(&b, "IDAT", z, zl);
	free(z);
	chunk(&b, "IEND", NULL, 0);
	return b;
}

/* A 16x8 CMYK JPEG (left red, right blue) written by ImageMagick. */
static const unsigned char cmyk_jpeg[] = {
	0xff, 0xd8, 0xff, 0xee, 0x00, 0x0e, 0x41, 0x64, 0x6f, 0x62, 0x65, 0x00,
	0x64, 0x00, 0x00, 0x00, 0x00, 0x02, 0xff, 0xdb, 0x00, 0x43, 0x00, 0x02,
	0x01, 0x01, 0x01, 0x01, 0x01, 0x02, 0x01, 0x01, 0x01, 0x02, 0x02, 0x02,
	0x02, 0x02, 0x04, 0x03, 0x02, 0x02, 0x02, 0x02, 0x05, 0x04, 0x04, 0x03,
	0x04, 0x06, 0x05, 0x06, 0x06, 0x06, 0x05, 0x06, 0x06, 0x06, 0x07, 0x09,
	0x08, 0x06, 0x07, 0x09, 0x07, 0x06, 0x06, 0x08, 0x0b, 0x08, 0x09, 0x0a,
	0x0a, 0x0a, 0x0a, 0x0a, 0x06, 0x08, 0x0b, 0x0c, 0x0b, 0x0a, 0x0c, 0x09,
	0x0a, 0x0a, 0x0a, 0xff, 0xdb, 0x00, 0x43, 0x01, 0x02, 0x02, 0x02, 0x02,
	0x02, 0x02, 0x05, 0x03, 0x03, 0x05, 0x0a, 0x07, 0x06, 0x07, 0x0a, 0x0a,
	0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a,
	0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a,
	0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a,
	0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a,
	0xff, 0xc0, 0x00, 0x14, 0x08, 0x00, 0x08, 0x00, 0x10, 0x04, 0x01, 0x11,
	0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01, 0x04, 0x11, 0x00, 0xff, 0xc4,
	0x00, 0x16, 0x00, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x09, 0xff, 0xc4,
	0x00, 0x14, 0x10, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xc4, 0x00, 0x15,
	0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x08, 0xff, 0xc4, 0x00, 0x14, 0x11,
	0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xda, 0x00, 0x0e, 0x04, 0x01, 0x00,
	0x02, 0x11, 0x03, 0x11, 0x04, 0x00, 0x00, 0x3f, 0x00, 0x66, 0x2a, 0xc1,
	0xff, 0x00, 0x6f, 0xe1, 0x78, 0x2a, 0x64, 0xa8, 0x9f, 0xff, 0xd9
};

/* ---------------------------------------------------------- behaviours */

static void
t_flat_stays_flat(void)
{
	static const unsigned chans[] = { 1, 2, 3, 4 };
	size_t k, i;

	for (k = 0; k < 4; k++) {
		struct pr_image in = mkimg(64, 48, chans[k]), out;
		char why[128];
		int maxd = 0;

		for (i = 0; i < (size_t)64 * 48 * chans[k]; i++)
			in.px[i] = (uint8_t)(100 + 20 * (i % chans[k]));
		is_int(engine_run("local-restore", NULL, &in, &out, why,
		    sizeof(why)), IMG_OK, "%u channels: restore runs",
		    chans[k]);
		for (i = 0; out.px != NULL &&
		    i < (size_t)64 * 48 * chans[k]; i++) {
			int d = abs((int)out.px[i] - in.px[i]);

			if (d > maxd)
				maxd = d;
		}
		ok(out.px != NULL && maxd <= 1, "%u channels: flat stays flat "
		    "(max change %d)", chans[k], maxd);
		img_free(&out);
		img_free(&in);
	}
}

/*
 * A damaged "print": flat grey with eight scratches (bright and dark,
 * vertical and slanted, one and two pixels wide) and 24 specks of dust
 * up to 3x3.  The engine only inpaints a photo that shows damage as a
 * whole, as this one does.
 */
static void
t_scratch_removed(void)
{
	struct pr_image in = mkimg(128, 128, 3), out;
	uint32_t x, y;
	int maxd = 0, i, k;
	char why[128];

	for (y = 0; y < 128; y++)
		for (x = 0; x < 128; x++)
			memset(px(&in, x, y), 128, 3);
	for (k = 0; k < 8; k++) {
		uint32_t x0 = 8 + 15 * (uint32_t)k;
		uint8_t v = (k & 1) ? 250 : 15;

		for (y = 6; y < 120; y++) {
			uint32_t xx = x0 + (k >= 4 ? (y - 6) / 8 : 0);

			memset(px(&in, xx, y), v, 3);
			if (k % 3 == 0)
				memset(px(&in, xx + 1, y), v, 3);
		}
	}
	for (i = 0; i < 24; i++) {
		uint32_t cx = 4 + (uint32_t)(rng() % 118), cy = 4 +
		    (uint32_t)(rng() % 118), r = i % 3 == 0 ? 1 : 0;
		uint8_t v = (i & 1) ? 0 : 255;

		for (y = cy - r; y <= cy + r; y++)
			for (x = cx - r; x <= cx + r; x++)
				memset(px(&in, x, y), v, 3);
	}
	is_int(engine_run("local-restore", NULL, &in, &out, why, sizeof(why)),
	    IMG_OK, "restore runs");
	for (i = 0; out.px != NULL && i < 128 * 128 * 3; i++) {
		int d = abs((int)out.px[i] - 128);

		if (d > maxd)
			maxd = d;
	}
	ok(out.px != NULL && maxd <= 6, "scratches and dust removed "
	    "(max deviation %d)", maxd);
	img_free(&out);
	img_free(&in);
}

static void
t_cast_neutralised(void)
{
	struct pr_image in = mkimg(128, 96, 3), out;
	double dev_in = 0, dev_out = 0, lo = 255, hi = 0;
	uint32_t x, y;
	char why[128];

	/* A faded sepia picture: smooth shapes, tinted and flattened. */
	for (y = 0; y < 96; y++)
		for (x = 0; x < 128; x++) {
			double v = 127.5 + 127.5 * sin(x * 0.07) * cos(y * 0.09);
			uint8_t *p = px(&in, x, y);

			p[0] = clamp8(70 + 0.70 * v);
			p[1] = clamp8(55 + 0.60 * v);
			p[2] = clamp8(35 + 0.45 * v);
			dev_in += fabs((double)p[0] - p[2]);
		}
	is_int(engine_run("local-restore", NULL, &in, &out, why, sizeof(why)),
	    IMG_OK, "restore runs");
	for (y = 0; out.px != NULL && y < 96; y++)
		for (x = 0; x < 128; x++) {
			uint8_t *p = px(&out, x, y);
			double l = (p[0] + p[1] + p[2]) / 3.0;

			dev_out += fabs((double)p[0] - p[1]) +
			    fabs((double)p[1] - p[2]) + fabs((double)p[0] - p[2]);
			if (l < lo)
				lo = l;
			if (l > hi)
				hi = l;
		}
	dev_in /= 128 * 96;
	dev_out /= 128 * 96 * 3;
	ok(out.px != NULL && dev_out < 4.0, "cast neutralised (mean channel "
	    "difference %.1f, was %.1f)", dev_out, dev_in);
	/* Blacks back to black; whites stay paper-white (never brightened). */
	ok(lo < 15 && hi > 225, "levels restored (luminance %.0f-%.0f)", lo,
	    hi);
	img_free(&out);
	img_free(&in);
}

static void
t_upscale_constant(void)
{
	static const char *models[] = { "local-upscale-2x", "local-upscale-4x" };
	static const unsigned chans[] = { 1, 2, 3, 4 };
	size_t m, k, i;

	for (m = 0; m < 2; m++)
		for (k = 0; k < 4; k++) {
			struct pr_image in = mkimg(13, 7, chans[k]), out;
			unsigned s = m == 0 ? 2 : 4;
			char why[128];
			int bad = 0;

			for (i = 0; i < (size_t)13 * 7 * chans[k]; i++)
				in.px[i] = (uint8_t)(77 + 50 * (i % chans[k]));
			is_int(engine_run(models[m], NULL, &in, &out, why,
			    sizeof(why)), IMG_OK, "%s, %u channels: runs",
			    models[m], chans[k]);
			ok(out.w == 13 * s && out.h == 7 * s &&
			    out.channels == chans[k], "%s: %ux%u", models[m],
			    out.w, out.h);
			for (i = 0; out.px != NULL &&
			    i < (size_t)out.w * out.h * chans[k]; i++)
				if (out.px[i] != 77 + 50 * (i % chans[k]))
					bad++;
			is_int(bad, 0, "%s, %u channels: constant stays "
			    "constant", models[m], chans[k]);
			img_free(&out);
			img_free(&in);
		}
}

static void
t_odd_sizes(void)
{
	static const uint32_t dims[][2] = { { 1, 1 }, { 1, 7 }, { 7, 1 },
	    { 2, 2 }, { 3, 5 }, { 17, 13 }, { 9, 130 }, { 131, 67 } };
	static const char *models[] = { "local-restore", "local-upscale-2x",
	    "local-upscale-4x" };
	static const unsigned scale[] = { 1, 2, 4 };
	size_t d, m, i;
	unsigned ch;

	for (d = 0; d < sizeof(dims) / sizeof(dims[0]); d++)
		for (ch = 1; ch <= 4; ch++)
			for (m = 0; m < 3; m++) {
				struct pr_image in = mkimg(dims[d][0],
				    dims[d][1], ch), out;
				enum img_err rc;
				char why[128];

				for (i = 0; i < (size_t)in.w * in.h * ch; i++)
					in.px[i] = (uint8_t)(rng() & 0xff);
				rc = engine_run(models[m], NULL, &in, &out,
				    why, sizeof(why));
				ok(rc == IMG_OK && out.w == in.w * scale[m] &&
				    out.h == in.h * scale[m] &&
				    out.channels == ch, "%s %ux%u, %u "
				    "channels", models[m], in.w, in.h, ch);
				img_free(&out);
				img_free(&in);
			}
}

static void
t_alpha_preserved(void)
{
	struct pr_image in = mkimg(40, 30, 4), ga = mkimg(40, 30, 2), out;
	uint32_t x, y;
	size_t i;
	char why[128];
	int same = 1, bad = 0;

	for (y = 0; y < 30; y++)
		for (x = 0; x < 40; x++) {
			uint8_t *p = px(&in, x, y);

			p[0] = (uint8_t)(x * 6);
			p[1] = (uint8_t)(y * 8);
			p[2] = (uint8_t)(rng() & 0x3f);
			p[3] = (uint8_t)(x < 20 ? 0 : (x * y) & 0xff);
			px(&ga, x, y)[0] = (uint8_t)(x * 6);
			px(&ga, x, y)[1] = p[3];
		}
	is_int(engine_run("local-restore", NULL, &in, &out, why, sizeof(why)),
	    IMG_OK, "RGBA restore runs");
	for (i = 0; out.px != NULL && i < (size_t)40 * 30; i++)
		same &= out.px[4 * i + 3] == in.px[4 * i + 3];
	ok(out.px != NULL && out.channels == 4 && same,
	    "RGBA restore keeps alpha exactly");
	img_free(&out);
	is_int(engine_run("local-restore", NULL, &ga, &out, why, sizeof(why)),
	    IMG_OK, "grey+alpha restore runs");
	for (same = 1, i = 0; out.px != NULL && i < (size_t)40 * 30; i++)
		same &= out.px[2 * i + 1] == ga.px[2 * i + 1];
	ok(out.px != NULL && out.channels == 2 && same,
	    "grey+alpha restore keeps alpha exactly");
	img_free(&out);

	/* Upscale: alpha resampled, transparent half stays transparent. */
	is_int(engine_run("local-upscale-2x", NULL, &in, &out, why,
	    sizeof(why)), IMG_OK, "RGBA upscale runs");
	for (y = 0; out.px != NULL && y < 60; y++)
		for (x = 0; x < 34; x++)
			bad += px(&out, x, y)[3] != 0;
	ok(out.px != NULL && out.channels == 4 && bad == 0,
	    "RGBA upscale: transparent area stays transparent (%d wrong)",
	    bad);
	img_free(&out);
	img_free(&ga);
	img_free(&in);
}

/* Insert an APP1 Exif segment with one Orientation entry after SOI. */
static struct buf
with_orientation(const struct buf *jpg, int orient, int bigendian)
{
	unsigned char app[64], *t;
	struct buf b;
	size_t n = 0;

	app[n++] = 0xff;
	app[n++] = 0xe1;
	n += 2;					/* length, filled below */
	memcpy(app + n, "Exif\0\0", 6);
	n += 6;
	t = app + n;
	if (bigendian) {
		memcpy(t, "MM\0\x2a\0\0\0\x08", 8);
		memcpy(t + 8, "\0\x01", 2);		/* one entry */
		memcpy(t + 10, "\x01\x12\0\x03\0\0\0\x01", 8);
		t[18] = 0;
		t[19] = (unsigned char)orient;
		t[20] = t[21] = 0;
	} else {
		memcpy(t, "II\x2a\0\x08\0\0\0", 8);
		memcpy(t + 8, "\x01\0", 2);
		memcpy(t + 10, "\x12\x01\x03\0\x01\0\0\0", 8);
		t[18] = (unsigned char)orient;
		t[19] = 0;
		t[20] = t[21] = 0;
	}
	memset(t + 22, 0, 4);			/* no next IFD */
	n += 26;
	app[2] = (unsigned char)((n - 2) >> 8);
	app[3] = (unsigned char)(n - 2);
	buf_init(&b, 1 << 24);
	buf_append(&b, jpg->data, 2);
	buf_append(&b, app, n);
	buf_append(&b, jpg->data + 2, jpg->len - 2);
	return b;
}

static void
t_exif_orientation(void)
{
	/* Quadrant colours: TL red, TR green, BL blue, BR white. */
	static const uint8_t col[4][3] = { { 255, 0, 0 }, { 0, 255, 0 },
	    { 0, 0, 255 }, { 255, 255, 255 } };
	/*
	 * Where each source quadrant ends up, as (TL, TR, BL, BR) of the
	 * displayed picture, for orientations 1-8 (TIFF 6.0 tag 274).
	 */
	static const int disp[9][4] = { { 0 }, { 0, 1, 2, 3 }, { 1, 0, 3, 2 },
	    { 3, 2, 1, 0 }, { 2, 3, 0, 1 }, { 0, 2, 1, 3 }, { 2, 0, 3, 1 },
	    { 3, 1, 2, 0 }, { 1, 3, 0, 2 } };
	struct pr_image src = mkimg(64, 32, 3), out;
	struct buf jpg, j2;
	uint32_t x, y;
	int o, be, q, c;
	char why[128];

	for (y = 0; y < 32; y++)
		for (x = 0; x < 64; x++)
			memcpy(px(&src, x, y), col[(y >= 16) * 2 + (x >= 32)],
			    3);
	jpg = enc(&src, IMG_JPEG, 95);
	for (be = 0; be < 2; be++)
		for (o = 1; o <= 8; o++) {
			int good = 1;

			j2 = with_orientation(&jpg, o, be);
			is_int(img_decode(j2.data, j2.len, 0, &out, why,
			    sizeof(why)), IMG_OK, "orientation %d (%s) "
			    "decodes", o, be ? "MM" : "II");
			ok(out.w == (o >= 5 ? 32U : 64U) &&
			    out.h == (o >= 5 ? 64U : 32U), "orientation %d: "
			    "%ux%u", o, out.w, out.h);
			for (q = 0; out.px != NULL && q < 4; q++) {
				uint32_t cx = (q & 1) ? out.w * 3 / 4 :
				    out.w / 4;
				uint32_t cy = (q & 2) ? out.h * 3 / 4 :
				    out.h / 4;
				const uint8_t *p = px(&out, cx, cy);

				for (c = 0; c < 3; c++)
					if (abs((int)p[c] -
					    col[disp[o][q]][c]) > 40)
						good = 0;
			}
			ok(good, "orientation %d (%s): quadrants in place", o,
			    be ? "MM" : "II");
			img_free(&out);
			buf_free(&j2);
		}
	buf_free(&jpg);
	img_free(&src);
}

static void
t_decode_hostile(void)
{
	struct pr_image src = mkimg(48, 40, 3), out;
	struct buf jpg, png, b;
	unsigned char rnd[512], raw[64], *big;
	size_t cuts[6], i;
	uint32_t x, y;
	char why[128];
	enum img_err rc;

	for (y = 0; y < 40; y++)
		for (x = 0; x < 48; x++) {
			uint8_t *p = px(&src, x, y);

			p[0] = (uint8_t)(x * 5);
			p[1] = (uint8_t)(y * 6);
			p[2] = (uint8_t)((x ^ y) * 3);
		}
	jpg = enc(&src, IMG_JPEG, 90);
	png = enc(&src, IMG_PNG, 0);

	is_int(img_decode("", 0, 0, &out, why, sizeof(why)), IMG_EEMPTY,
	    "empty input");
	is_str(why, "empty file", "empty: reason");
	for (i = 0; i < sizeof(rnd); i++)
		rnd[i] = (unsigned char)rng();
	rnd[0] = 'x';
	is_int(img_decode(rnd, sizeof(rnd), 0, &out, why, sizeof(why)),
	    IMG_EFORMAT, "random bytes");
	is_str(why, "not a JPEG or PNG image", "random bytes: reason");
	memcpy(rnd, "\x89PNG\r\n\x1a\n", 8);
	is_int(img_decode(rnd, sizeof(rnd), 0, &out, why, sizeof(why)),
	    IMG_ECORRUPT, "PNG magic and garbage");
	is_str(why, "corrupt or truncated image", "PNG garbage: reason");
	memcpy(rnd, "\xff\xd8\xff", 3);
	is_int(img_decode(rnd, sizeof(rnd), 0, &out, why, sizeof(why)),
	    IMG_ECORRUPT, "JPEG magic and garbage");

	cuts[0] = 3; cuts[1] = 20; cuts[2] = 150; cuts[3] = jpg.len / 2;
	cuts[4] = jpg.len - 40; cuts[5] = jpg.len - 3;
	for (i = 0; i < 6; i++) {
		rc = img_decode(jpg.data, cuts[i], 0, &out, why, sizeof(why));
		is_int(rc, IMG_ECORRUPT, "JPEG cut at %zu of %zu", cuts[i],
		    jpg.len);
		ok(out.px == NULL, "JPEG cut at %zu: nothing returned",
		    cuts[i]);
	}
	cuts[0] = 8; cuts[1] = 20; cuts[2] = 33; cuts[3] = png.len / 2;
	cuts[4] = png.len - 20; cuts[5] = png.len - 13;
	for (i = 0; i < 6; i++) {
		rc = img_decode(png.data, cuts[i], 0, &out, why, sizeof(why));
		is_int(rc, IMG_ECORRUPT, "PNG cut at %zu of %zu", cuts[i],
		    png.len);
	}
	is_int(img_decode(jpg.data, jpg.len, 0, &out, why, sizeof(why)),
	    IMG_OK, "whole JPEG decodes");
	img_free(&out);
	is_int(img_decode(png.data, png.len, 0, &out, why, sizeof(why)),
	    IMG_OK, "whole PNG decodes");
	img_free(&out);

	/* Pixel limit, and a bomb header refused before allocating. */
	is_int(img_decode(png.data, png.len, 1000, &out, why, sizeof(why)),
	    IMG_ETOOBIG, "48x40 over a 1000-pixel limit");
	is_str(why, "image too large (1920 pixels, maximum 1000)",
	    "limit: reason");
	memset(raw, 0, sizeof(raw));
	b = mkpng(100000, 100000, 8, 6, raw, sizeof(raw), NULL, 0, NULL, 0);
	{
		struct rusage r0, r1;

		getrusage(RUSAGE_SELF, &r0);
		rc = img_decode(b.data, b.len, 40000000, &out, why,
		    sizeof(why));
		getrusage(RUSAGE_SELF, &r1);
		is_int(rc, IMG_ETOOBIG, "100000x100000 PNG header: too big");
		ok(strstr(why, "10000000000 pixels") != NULL, "bomb: %s", why);
		ok(r1.ru_maxrss - r0.ru_maxrss < 50 * 1024,
		    "bomb: no large allocation (%ld KiB)",
		    r1.ru_maxrss - r0.ru_maxrss);
	}
	buf_free(&b);
	b = mkpng(70000, 70000, 8, 0, raw, sizeof(raw), NULL, 0, NULL, 0);
	is_int(img_decode(b.data, b.len, 0, &out, why, sizeof(why)),
	    IMG_ETOOBIG, "70000x70000 grey without a limit: absurd");
	buf_free(&b);

	/*
	 * Ancillary chunks are skipped unread: a tEXt chunk whose length
	 * claims 1.5 GB in a short file made libpng allocate and zero 1.5 GB
	 * (found by t/fuzz/image.c), and garbage in zTXt/iCCP/eXIf must not
	 * change the pixels.
	 */
	{
		static const unsigned char ztxt[] = "k\0\0\x78\x9c garbage";
		static const unsigned char gama[] = { 0, 0, 0xb1, 0x8f };
		struct buf	 t;
		struct pr_image	 plain;
		struct rusage	 r0, r1;
		unsigned char	 hdr[8];

		buf_init(&t, 1 << 20);
		buf_append(&t, png.data, 33);	/* signature, IHDR */
		put32(hdr, 1583611941U);
		memcpy(hdr + 4, "tEXt", 4);
		buf_append(&t, hdr, 8);
		buf_append(&t, "date:create\0xxxxxxxxxxxxxxxxxxxxxxxx", 36);
		getrusage(RUSAGE_SELF, &r0);
		rc = img_decode(t.data, t.len, 0, &out, why, sizeof(why));
		getrusage(RUSAGE_SELF, &r1);
		is_int(rc, IMG_ECORRUPT, "tEXt claiming 1.5 GB: corrupt");
		ok(r1.ru_maxrss - r0.ru_maxrss < 50 * 1024,
		    "tEXt claiming 1.5 GB: no large allocation (%ld KiB)",
		    r1.ru_maxrss - r0.ru_maxrss);
		buf_reset(&t);
		buf_append(&t, png.data, 33);
		chunk(&t, "gAMA", gama, sizeof(gama));
		chunk(&t, "zTXt", ztxt, sizeof(ztxt) - 1);
		chunk(&t, "iCCP", ztxt, sizeof(ztxt) - 1);
		chunk(&t, "eXIf", (const unsigned char *)"MM\0*junk", 8);
		chunk(&t, "tEXt", (const unsigned char *)"Comment\0hello", 13);
		chunk(&t, "prVt", (const unsigned char *)"private", 7);
		buf_append(&t, png.data + 33, png.len - 33);
		is_int(img_decode(png.data, png.len, 0, &plain, why,
		    sizeof(why)), IMG_OK, "plain PNG decodes");
		is_int(img_decode(t.data, t.len, 0, &out, why, sizeof(why)),
		    IMG_OK, "PNG with garbage ancillary chunks decodes");
		ok(out.px != NULL && plain.px != NULL && out.w == plain.w &&
		    out.h == plain.h && out.channels == plain.channels &&
		    memcmp(out.px, plain.px, (size_t)out.w * out.h *
		    out.channels) == 0, "ancillary chunks: same pixels");
		img_free(&out);
		img_free(&plain);
		buf_free(&t);
	}

	/* 16-bit RGB 2x2: 0x0000, 0x8000, 0xffff, 0x1234 -> 8 bits. */
	{
		static const unsigned char r16[] = {
		    0, 0x00, 0x00, 0x80, 0x00, 0xff, 0xff,
		       0x12, 0x34, 0x00, 0x00, 0x00, 0x00,
		    0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		       0x80, 0x00, 0x80, 0x00, 0x80, 0x00 };

		b = mkpng(2, 2, 16, 2, r16, sizeof(r16), NULL, 0, NULL, 0);
		is_int(img_decode(b.data, b.len, 0, &out, why, sizeof(why)),
		    IMG_OK, "16-bit RGB PNG decodes");
		ok(out.px != NULL && out.channels == 3 && out.px[0] == 0 &&
		    out.px[1] == 128 && out.px[2] == 255 && out.px[3] == 18 &&
		    out.px[6] == 255 && out.px[9] == 128,
		    "16-bit RGB converted to 8-bit");
		img_free(&out);
		buf_free(&b);
	}
	/* Grey + alpha, 8-bit. */
	{
		static const unsigned char ga[] = { 0, 10, 255, 20, 128,
		    0, 30, 0, 40, 64 };

		b = mkpng(2, 2, 8, 4, ga, sizeof(ga), NULL, 0, NULL, 0);
		is_int(img_decode(b.data, b.len, 0, &out, why, sizeof(why)),
		    IMG_OK, "grey+alpha PNG decodes");
		ok(out.px != NULL && out.channels == 2 &&
		    memcmp(out.px, "\x0a\xff\x14\x80\x1e\x00\x28\x40", 8) == 0,
		    "grey+alpha kept as two channels");
		img_free(&out);
		buf_free(&b);
	}
	/* Palette with tRNS -> RGBA; 2-bit grey -> 8-bit grey. */
	{
		static const unsigned char idx[] = { 0, 0, 1, 0, 1, 0 };
		static const unsigned char pal[] = { 255, 0, 0, 0, 0, 255 };
		static const unsigned char trns[] = { 0x80 };
		static const unsigned char g2[] = { 0, 0xe4 };

		b = mkpng(2, 2, 8, 3, idx, sizeof(idx), pal, sizeof(pal),
		    trns, sizeof(trns));
		is_int(img_decode(b.data, b.len, 0, &out, why, sizeof(why)),
		    IMG_OK, "palette PNG with tRNS decodes");
		ok(out.px != NULL && out.channels == 4 &&
		    memcmp(out.px, "\xff\x00\x00\x80\x00\x00\xff\xff", 8) == 0,
		    "palette + tRNS -> RGBA");
		img_free(&out);
		buf_free(&b);
		b = mkpng(4, 1, 2, 0, g2, sizeof(g2), NULL, 0, NULL, 0);
		is_int(img_decode(b.data, b.len, 0, &out, why, sizeof(why)),
		    IMG_OK, "2-bit grey PNG decodes");
		ok(out.px != NULL && out.channels == 1 &&
		    memcmp(out.px, "\xff\xaa\x55\x00", 4) == 0,
		    "2-bit grey expanded");
		img_free(&out);
		buf_free(&b);
	}
	/* CMYK (Adobe, inverted) JPEG -> RGB. */
	is_int(img_decode(cmyk_jpeg, sizeof(cmyk_jpeg), 0, &out, why,
	    sizeof(why)), IMG_OK, "CMYK JPEG decodes");
	if (out.px != NULL) {
		const uint8_t *l = px(&out, 2, 4), *r = px(&out, 13, 4);

		ok(out.channels == 3 && l[0] > 200 && l[1] < 50 && l[2] < 50 &&
		    r[0] < 50 && r[1] < 50 && r[2] > 200,
		    "CMYK converted: red %u,%u,%u blue %u,%u,%u", l[0], l[1],
		    l[2], r[0], r[1], r[2]);
	} else
		ok(0, "CMYK converted");
	img_free(&out);

	/*
	 * Every prefix of a small PNG and JPEG fails cleanly, except those
	 * that lose only the PNG IEND chunk (12 bytes), which decode: the
	 * pixels are all there.  A JPEG without its EOI marker may go either
	 * way (libjpeg notices the end while reading the last MCU row).
	 */
	{
		int bad = 0;

		for (i = 0; i < png.len; i++) {
			rc = img_decode(png.data, i, 0, &out, why, sizeof(why));
			if (rc != (i >= png.len - 12 ? IMG_OK :
			    i == 0 ? IMG_EEMPTY : i < 8 ? IMG_EFORMAT :
			    IMG_ECORRUPT)) {
				diag("PNG prefix %zu: %s", i, img_strerror(rc));
				bad++;
			}
			img_free(&out);
		}
		for (i = 0; i < jpg.len; i++) {
			rc = img_decode(jpg.data, i, 0, &out, why, sizeof(why));
			if (rc != (i == 0 ? IMG_EEMPTY : i < 3 ? IMG_EFORMAT :
			    IMG_ECORRUPT) && !(i >= jpg.len - 2 &&
			    rc == IMG_OK)) {
				diag("JPEG prefix %zu: %s", i, img_strerror(rc));
				bad++;
			}
			img_free(&out);
		}
		is_int(bad, 0, "every prefix of a PNG and a JPEG gives the "
		    "expected answer");
	}
	/* Bit flips. */
	{
		int flips = 0;

		big = malloc(jpg.len);
		for (i = 0; i < 300; i++) {
			memcpy(big, jpg.data, jpg.len);
			big[2 + rng() % (jpg.len - 2)] ^=
			    (unsigned char)(1U << (rng() & 7));
			rc = img_decode(big, jpg.len, 0, &out, why, sizeof(why));
			flips += rc == IMG_OK || rc == IMG_ECORRUPT ||
			    rc == IMG_EFORMAT || rc == IMG_ETOOBIG;
			img_free(&out);
		}
		is_int(flips, 300, "300 bit-flipped JPEGs: no crash");
		free(big);
		big = malloc(png.len);
		for (flips = 0, i = 0; i < 300; i++) {
			memcpy(big, png.data, png.len);
			big[8 + rng() % (png.len - 8)] ^=
			    (unsigned char)(1U << (rng() & 7));
			rc = img_decode(big, png.len, 0, &out, why, sizeof(why));
			flips += rc == IMG_OK || rc == IMG_ECORRUPT ||
			    rc == IMG_EUNSUPPORTED || rc == IMG_ETOOBIG;
			img_free(&out);
		}
		is_int(flips, 300, "300 bit-flipped PNGs: no crash");
		free(big);
	}
	buf_free(&jpg);
	buf_free(&png);
	img_free(&src);
}

static void
t_encode_roundtrip(void)
{
	static const unsigned chans[] = { 1, 2, 3, 4 };
	struct pr_image out;
	struct buf b;
	size_t k, i;
	char why[128];

	for (k = 0; k < 4; k++) {
		struct pr_image in = mkimg(37, 23, chans[k]);

		for (i = 0; i < (size_t)37 * 23 * chans[k]; i++)
			in.px[i] = (uint8_t)rng();
		b = enc(&in, IMG_PNG, 0);
		ok(img_sniff(b.data, b.len) == IMG_PNG, "%u channels: PNG "
		    "written", chans[k]);
		is_int(img_decode(b.data, b.len, 0, &out, why, sizeof(why)),
		    IMG_OK, "%u channels: PNG decodes", chans[k]);
		ok(out.px != NULL && out.channels == chans[k] &&
		    out.w == 37 && out.h == 23 && memcmp(out.px, in.px,
		    (size_t)37 * 23 * chans[k]) == 0,
		    "%u channels: PNG round trip is exact", chans[k]);
		img_free(&out);
		buf_free(&b);
		img_free(&in);
	}
	for (k = 0; k < 4; k++) {
		struct pr_image in = mkimg(64, 48, chans[k]);
		uint32_t x, y;
		unsigned c;

		for (y = 0; y < 48; y++)
			for (x = 0; x < 64; x++)
				for (c = 0; c < chans[k]; c++)
					px(&in, x, y)[c] = (uint8_t)(c ==
					    chans[k] - 1 && (chans[k] & 1) == 0 ?
					    255 : 40 + x * 2 + y + 10 * c);
		b = enc(&in, IMG_JPEG, 95);
		ok(img_sniff(b.data, b.len) == IMG_JPEG, "%u channels: JPEG "
		    "written", chans[k]);
		is_int(img_decode(b.data, b.len, 0, &out, why, sizeof(why)),
		    IMG_OK, "%u channels: JPEG decodes", chans[k]);
		ok(out.px != NULL && out.channels == (chans[k] <= 2 ? 1U : 3U),
		    "%u channels: JPEG has %u", chans[k], out.channels);
		if (out.px != NULL && (chans[k] == 1 || chans[k] == 3))
			ok(psnr(&in, &out) > 38, "%u channels: JPEG q95 PSNR "
			    "%.1f dB", chans[k], psnr(&in, &out));
		img_free(&out);
		buf_free(&b);
		img_free(&in);
	}
	/* Alpha onto white. */
	{
		struct pr_image in = mkimg(16, 16, 4);

		for (i = 0; i < 256; i++)
			memcpy(in.px + 4 * i, i < 128 ? "\x00\x00\x00\x00" :
			    "\x00\x00\x00\xff", 4);
		b = enc(&in, IMG_JPEG, 95);
		img_decode(b.data, b.len, 0, &out, why, sizeof(why));
		ok(out.px != NULL && out.px[3 * 20] > 245 &&
		    out.px[3 * 220] < 10, "JPEG: transparent over white "
		    "(%u), opaque black kept (%u)", out.px ? out.px[60] : 0,
		    out.px ? out.px[660] : 0);
		img_free(&out);
		buf_free(&b);
		/* A buffer maximum too small for the output. */
		buf_init(&b, 40);
		is_int(img_encode(&in, IMG_PNG, 0, &b), IMG_ETOOBIG,
		    "PNG over the buffer maximum");
		is_int(img_encode(&in, IMG_JPEG, 90, &b), IMG_ETOOBIG,
		    "JPEG over the buffer maximum");
		is_int(b.len, 0, "buffer left empty");
		buf_free(&b);
		img_free(&in);
	}
}

static void
t_params(void)
{
	static const struct {
		const char	*model;
		const char	*json;
		enum img_err	 rc;
	} tab[] = {
		{ "local-restore", "{}", IMG_OK },
		{ "local-restore", "null", IMG_OK },
		{ "local-restore", "{\"strength\":0.3,\"denoise\":false,"
		    "\"scratch_removal\":true,\"color_correction\":false}",
		    IMG_OK },
		{ "local-restore", "{\"strength\":1.5}", IMG_EPARAM },
		{ "local-restore", "{\"strength\":-0.1}", IMG_EPARAM },
		{ "local-restore", "{\"strength\":\"high\"}", IMG_EPARAM },
		{ "local-restore", "{\"denoise\":1}", IMG_EPARAM },
		{ "local-restore", "{\"colour\":true}", IMG_EPARAM },
		{ "local-restore", "[1,2]", IMG_EPARAM },
		{ "local-upscale-2x", "{\"scale\":2,\"sharpen\":0.5}", IMG_OK },
		{ "local-upscale-2x", "{\"scale\":4}", IMG_EPARAM },
		{ "local-upscale-4x", "{\"scale\":4}", IMG_OK },
		{ "local-upscale-4x", "{\"scale\":\"4\"}", IMG_EPARAM },
		{ "local-upscale-4x", "{\"sharpen\":2}", IMG_EPARAM },
		{ "local-upscale-4x", "{\"strength\":0.5}", IMG_EPARAM },
		{ "no-such-model", "{}", IMG_EPARAM },
	};
	struct pr_image in = mkimg(8, 8, 3), out;
	size_t i;
	char why[128];

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		cJSON *j = cJSON_Parse(tab[i].json);
		enum img_err rc;

		rc = engine_run(tab[i].model, j, &in, &out, why, sizeof(why));
		is_int(rc, tab[i].rc, "%s %s%s%s", tab[i].model, tab[i].json,
		    rc != IMG_OK ? ": " : "", rc != IMG_OK ? why : "");
		if (rc != IMG_OK)
			ok(why[0] != '\0' && out.px == NULL, "reason given");
		img_free(&out);
		cJSON_Delete(j);
	}
	/* Output size limit. */
	{
		struct pr_image big;

		memset(&big, 0, sizeof(big));
		big.w = 6000;
		big.h = 5000;
		big.channels = 1;
		big.px = in.px;		/* never read: refused first */
		is_int(engine_run("local-upscale-4x", NULL, &big, &out, why,
		    sizeof(why)), IMG_ETOOBIG, "4x of 30 MP refused: %s", why);
	}
	img_free(&in);
}

static void
t_improves_psnr(void)
{
	struct pr_image clean, noisy, out;
	unsigned char *data = NULL;
	size_t len = 0, i, n;
	char why[128];
	double p0, p1;

	if (slurp(PHOTO, &data, &len) == -1) {
		printf("1..0 # SKIP %s not found\n", PHOTO);
		exit(0);
	}
	is_int(img_decode(data, len, 0, &clean, why, sizeof(why)), IMG_OK,
	    "chelsea.png decodes");
	free(data);
	n = (size_t)clean.w * clean.h * clean.channels;
	noisy = clean;
	noisy.px = malloc(n);
	for (i = 0; i < n; i++)
		noisy.px[i] = clamp8(clean.px[i] + 15.0 * grand());
	is_int(engine_run("local-restore", NULL, &noisy, &out, why,
	    sizeof(why)), IMG_OK, "restore runs");
	p0 = psnr(&clean, &noisy);
	p1 = psnr(&clean, &out);
	diag("noisy %.2f dB, restored %.2f dB", p0, p1);
	ok(p1 >= p0 + 2.0, "restoring sigma=15 noise gains >= 2 dB "
	    "(%.2f -> %.2f)", p0, p1);
	img_free(&out);

	/* A clean photo needs nothing and comes back as it was. */
	is_int(engine_run("local-restore", NULL, &clean, &out, why,
	    sizeof(why)), IMG_OK, "restore of the clean photo runs");
	ok(out.px != NULL && out.w == clean.w && out.h == clean.h &&
	    memcmp(out.px, clean.px, n) == 0, "a clean photo is left "
	    "unchanged (%.2f dB)", psnr(&clean, &out));
	img_free(&out);

	/* Denoised straight into the output: alpha still copied. */
	if (clean.channels == 3) {
		struct pr_image rgba = mkimg(clean.w, clean.h, 4);
		size_t np = (size_t)clean.w * clean.h, bad = 0;
		double p2;

		for (i = 0; i < np; i++) {
			memcpy(rgba.px + 4 * i, noisy.px + 3 * i, 3);
			rgba.px[4 * i + 3] = (uint8_t)(i * 7);
		}
		is_int(engine_run("local-restore", NULL, &rgba, &out, why,
		    sizeof(why)), IMG_OK, "restore of noisy RGBA runs");
		for (i = 0; out.px != NULL && i < np; i++)
			bad += out.px[4 * i + 3] != (uint8_t)(i * 7);
		ok(out.px != NULL && bad == 0, "noisy RGBA: alpha kept "
		    "(%zu differ)", bad);
		for (i = 0; out.px != NULL && i < np; i++)
			memcpy(noisy.px + 3 * i, out.px + 4 * i, 3);
		p2 = psnr(&clean, &noisy);
		ok(p2 >= p1 - 0.01 && p2 <= p1 + 0.01, "noisy RGBA: colour "
		    "as for RGB (%.2f dB)", p2);
		img_free(&out);
		img_free(&rgba);
	}
	img_free(&noisy);
	img_free(&clean);
}

static const struct {
	const char	*name;
	void		(*fn)(void);
} behaviours[] = {
	{ "image-flat-stays-flat", t_flat_stays_flat },
	{ "image-scratch-removed", t_scratch_removed },
	{ "image-cast-neutralised", t_cast_neutralised },
	{ "image-upscale-constant", t_upscale_constant },
	{ "image-odd-sizes", t_odd_sizes },
	{ "image-alpha-preserved", t_alpha_preserved },
	{ "image-exif-orientation", t_exif_orientation },
	{ "image-decode-hostile", t_decode_hostile },
	{ "image-encode-roundtrip", t_encode_roundtrip },
	{ "engine-params-validated", t_params },
	{ "engine-improves-psnr", t_improves_psnr },
};

int
main(int argc, char *argv[])
{
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: image behaviour\n");
		return 2;
	}
	if (getenv("IMG_DEBUG") != NULL)
		log_init("image", PRLOG_DEBUG, NULL);
	for (i = 0; i < sizeof(behaviours) / sizeof(behaviours[0]); i++)
		if (strcmp(argv[1], behaviours[i].name) == 0) {
			behaviours[i].fn();
			return done_testing();
		}
	printf("Bail out! unknown behaviour %s\n", argv[1]);
	return 2;
}
