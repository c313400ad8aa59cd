/*
 * img_filter.c: the filters behind the local restoration engine, on float
 * planes (see img_int.h).  Written for one core and bounded memory: the
 * expensive filter (non-local means) runs in tiles of a few hundred
 * kilobytes that stay in the L2 cache, and its inner loops use GCC/Clang
 * vector extensions so they are vectorised at -O2 on any target (with an
 * AVX2 clone on x86-64 GCC builds).
 */
#include <sys/mman.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "img_int.h"

/* Defects: residual over local activity, and the hysteresis fraction. */
#define DEFECT_ACT	3.0f
#define DEFECT_WEAK	0.4f
#define DUST_LEN	7.0
#define LINE_LEN	20.0
#define LINE_WIDTH	2.5

typedef float	v4f __attribute__((vector_size(16)));
typedef int32_t	v4i __attribute__((vector_size(16)));

static inline v4f
ld4(const float *p)
{
	v4f v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void
st4(float *p, v4f v)
{

	memcpy(p, &v, sizeof(v));
}

static inline v4f
splat(float f)
{
	v4f v = { f, f, f, f };

	return v;
}

static inline v4f
vmin4(v4f a, v4f b)
{
	v4i m = (v4i)(a < b);

	return (v4f)((m & (v4i)a) | (~m & (v4i)b));
}

static inline v4f
vmax4(v4f a, v4f b)
{
	v4i m = (v4i)(a > b);

	return (v4f)((m & (v4i)a) | (~m & (v4i)b));
}

static inline size_t
clampz(ptrdiff_t v, size_t n)
{

	if (v < 0)
		return 0;
	if ((size_t)v >= n)
		return n - 1;
	return (size_t)v;
}

/* fminf/fmaxf without the NaN rules, so they stay inline. */
static inline float
fmin2(float a, float b)
{

	return a < b ? a : b;
}

static inline float
fmax2(float a, float b)
{

	return a > b ? a : b;
}

/* Mean of the nc planes at index i. */
static inline float
lum(float *const *pl, int nc, size_t i)
{

	if (nc == 1)
		return pl[0][i];
	if (nc == 3)
		return (pl[0][i] + pl[1][i] + pl[2][i]) * (1.0f / 3.0f);
	return pl[0][i];
}

/* Luminance of a guide (float planes or 8-bit pixels) at index i. */
static inline float
glum(const struct guide *g, size_t i)
{

	if (g->px != NULL) {
		const uint8_t *p = g->px + i * g->ch;

		return g->ch >= 3 ? ((float)p[0] + (float)p[1] +
		    (float)p[2]) * (1.0f / 3.0f) : (float)p[0];
	}
	return lum(g->pl, g->nc, i);
}

/*
 * Allocate a plane of w * h floats (overflow checked).  Large planes are
 * aligned to 2 MiB and offered to the kernel as transparent huge pages:
 * on a virtual machine the page faults of a 12-megapixel pipeline cost
 * more than some of its filters.  Free with free().
 */
float *
flt_plane_alloc(size_t w, size_t h)
{
	size_t n;
	void *p;

	if (w == 0 || h == 0 || w > SIZE_MAX / sizeof(float) / h)
		return NULL;
	n = w * h * sizeof(float);
	if (n < ((size_t)4 << 20))
		return malloc(n);
	if (posix_memalign(&p, (size_t)2 << 20, n) != 0)
		return NULL;
#ifdef MADV_HUGEPAGE
	(void)madvise(p, n, MADV_HUGEPAGE);
#endif
	return p;
}

/* Overflow-checked n * m * sz allocation. */
static void *
alloc3(size_t n, size_t m, size_t sz)
{

	if (m != 0 && n > SIZE_MAX / m)
		return NULL;
	if (sz != 0 && n * m > SIZE_MAX / sz)
		return NULL;
	return malloc(n * m * sz + (n * m * sz == 0));
}

/* ---------------------------------------------------------- measurement */

#define NBINS	1024
#define BINW	8.0f	/* bins per unit */

/* The median of a histogram of |values| * BINW, in value units. */
static float
hist_median(const uint32_t *hist, uint64_t n)
{
	uint64_t acc = 0;
	size_t i;

	if (n == 0)
		return 0.0f;
	for (i = 0; i < NBINS; i++) {
		acc += hist[i];
		if (2 * acc >= n)
			return ((float)i + 0.5f) / BINW;
	}
	return (float)NBINS / BINW;
}

/*
 * The finest diagonal Haar coefficient of a 2x2 block, (a - b - c + d) / 2,
 * has the noise sigma as its deviation and is near zero on smooth image
 * content, so its median absolute value gives sigma (Donoho and
 * Johnstone 1994).
 */
/* Robust noise sigma of the mean plane; see img_int.h. */
float
flt_noise_sigma(const struct guide *g, size_t w, size_t h)
{
	uint32_t *hist;
	uint64_t n = 0;
	size_t bw = w / 2, bh = h / 2, step = 1, bx, by;
	float s;

	if (bw == 0 || bh == 0)
		return 0.0f;
	/* About a million blocks are plenty. */
	while ((bw / step) * (bh / step) > (1U << 20))
		step++;
	if ((hist = calloc(NBINS, sizeof(*hist))) == NULL)
		return 0.0f;
	for (by = 0; by < bh; by += step) {
		size_t r0 = 2 * by * w, r1 = r0 + w;

		for (bx = 0; bx < bw; bx += step) {
			size_t i = r0 + 2 * bx, j = r1 + 2 * bx;
			float d = (glum(g, i) - glum(g, i + 1) -
			    glum(g, j) + glum(g, j + 1)) * 0.5f;
			size_t b = (size_t)(fabsf(d) * BINW);

			hist[b < NBINS ? b : NBINS - 1]++;
			n++;
		}
	}
	s = hist_median(hist, n) / 0.6745f;
	free(hist);
	return s;
}

/*
 * Mean absolute horizontal and vertical steps, split by whether they
 * cross an 8-pixel block boundary.
 */
/* JPEG blockiness on the 8-pixel grid; see img_int.h. */
float
flt_blockiness(const struct guide *g, size_t w, size_t h, float *step)
{
	double bs = 0, is = 0;
	uint64_t bn = 0, in = 0;
	size_t x, y, ystep = 1;
	float bm, im;

	*step = 0.0f;
	if (w < 32 || h < 32)
		return 1.0f;
	/* About a million samples; an odd step visits every row phase. */
	while ((h / ystep) * w > (1U << 20))
		ystep += 2;
	for (y = 1; y < h; y += ystep) {
		size_t r = y * w;

		for (x = 1; x < w; x++) {
			float l = glum(g, r + x);
			float dx = fabsf(l - glum(g, r + x - 1));
			float dy = fabsf(l - glum(g, r + x - w));

			if ((x & 7) == 0) {
				bs += dx;
				bn++;
			} else {
				is += dx;
				in++;
			}
			if ((y & 7) == 0) {
				bs += dy;
				bn++;
			} else {
				is += dy;
				in++;
			}
		}
	}
	if (bn == 0 || in == 0)
		return 1.0f;
	bm = (float)(bs / (double)bn);
	im = (float)(is / (double)in);
	*step = bm > im ? bm - im : 0.0f;
	return (bm + 0.5f) / (im + 0.5f);
}

/* ------------------------------------------------------ non-local means */

#define NLM_TW	128	/* tile width */
#define NLM_TH	64	/* band height; must be >= the margin */
#define NLM_MAXC 3

struct nlm {
	int		 nc, R, P, M;
	size_t		 w, h;
	size_t		 PW, PH, area, slack;
	float		 off, hinv, norm;
	float		*Lp;			/* padded guide */
	float		*Cp[NLM_MAXC];		/* padded planes */
	float		*E;			/* squared differences */
	float		*aw;			/* sum of weights */
	float		*ac[NLM_MAXC];		/* sum of weighted values */
	float		*vrow, *mask;
	float		*saved[NLM_MAXC];	/* M original rows above band */
	float		*bandout[NLM_MAXC];
	float		*mem;
};

/*
 * Copy the padded tile (band y0, bh rows; columns x0...) out of the
 * planes or the 8-bit source.
 */
static void
nlm_fill(struct nlm *n, const struct nlm_io *io, size_t y0, size_t bh,
    size_t x0)
{
	size_t py, px, sy, sx, o;
	int c, M = n->M;

	for (py = 0; py < bh + 2 * (size_t)M; py++) {
		sy = clampz((ptrdiff_t)(y0 + py) - M, n->h);
		for (c = 0; c < n->nc; c++) {
			float *dst = n->Cp[c] + py * n->PW;

			if (io->pl == NULL) {
				const uint8_t *s8 = io->src +
				    sy * n->w * io->ch + (size_t)c;

				for (px = 0; px < n->PW; px++) {
					sx = clampz((ptrdiff_t)(x0 + px) - M,
					    n->w);
					dst[px] = (float)s8[sx * io->ch];
				}
				continue;
			}
			{
				const float *src = sy < y0 ?
				    n->saved[c] + (sy + M - y0) * n->w :
				    io->pl[c] + sy * n->w;

				for (px = 0; px < n->PW; px++) {
					sx = clampz((ptrdiff_t)(x0 + px) - M,
					    n->w);
					dst[px] = src[sx];
				}
			}
		}
		o = py * n->PW;
		if (n->nc == 3)
			for (px = 0; px < n->PW; px++)
				n->Lp[o + px] = (n->Cp[0][o + px] +
				    n->Cp[1][o + px] + n->Cp[2][o + px]) *
				    (1.0f / 3.0f);
	}
}

/*
 * The non-local means inner loops work eight lanes at a time: two SSE
 * operations each on a plain x86-64 build, one AVX2 operation in the
 * clone GCC makes for processors that have it (picked at load time).
 * The helpers are macros so no 32-byte vector crosses a call.
 */
typedef float	v8f __attribute__((vector_size(32)));
typedef int32_t	v8i __attribute__((vector_size(32)));

#define LD8(v, p)	memcpy(&(v), (p), sizeof(v8f))
#define ST8(p, v)	memcpy((p), &(v), sizeof(v8f))
#define RELU8(v)	((v8f)((v8i)(v) & (v8i)((v) > zero8)))

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_ADDRESS__)
#define NLM_CLONES	__attribute__((target_clones("avx2", "default")))
#else
#define NLM_CLONES
#endif

/* All offsets of one tile; results for the core go to bandout. */
NLM_CLONES static void
nlm_tile(struct nlm *n, size_t bh, size_t x0, size_t tw)
{
	const size_t PW = n->PW;
	const int R = n->R, P = n->P, M = n->M, nc = n->nc;
	size_t ay0 = (size_t)P, ay1 = (size_t)M + bh + (size_t)R;
	ptrdiff_t ax0 = P, ax1 = M + (ptrdiff_t)tw + R;
	size_t rows = bh + 2 * (size_t)M, x, y, hx, vx;
	v8f zero8, vone, veighth, voff, vh, vnorm;
	int dx, dy, c, k;

	for (k = 0; k < 8; k++) {
		zero8[k] = 0.0f;
		vone[k] = 1.0f;
		veighth[k] = 0.125f;
		voff[k] = n->off;
		vh[k] = n->hinv;
		vnorm[k] = n->norm;
	}

	/*
	 * Only the columns a narrow tile (the last one of a row, or a
	 * small image) needs: every x with a non-zero mask is below ax1,
	 * so the weights run on [0, hx); they read the patch sums up to
	 * hx + P, so those run on [0, vx).  The result is the same as
	 * working on the whole padded width.
	 */
	hx = ((size_t)ax1 + 7) & ~(size_t)7;
	vx = (hx + (size_t)P + 7) & ~(size_t)7;
	if (vx > PW)
		vx = PW;
	for (c = 0; c < nc; c++)
		memcpy(n->ac[c], n->Cp[c], rows * PW * sizeof(float));
	for (x = 0; x < rows * PW; x++)
		n->aw[x] = 1.0f;

	for (dy = 0; dy <= R; dy++) {
		for (dx = -R; dx <= R; dx++) {
			ptrdiff_t xs, xe, off = dy * (ptrdiff_t)PW + dx;
			size_t ys = ay0, ye = ay1 - (size_t)dy;

			if (dy == 0 && dx <= 0)
				continue;
			xs = ax0 > ax0 - dx ? ax0 : ax0 - dx;
			xe = ax1 < ax1 - dx ? ax1 : ax1 - dx;
			for (x = 0; x < hx; x++)
				n->mask[x] = ((ptrdiff_t)x >= xs &&
				    (ptrdiff_t)x < xe) ? 1.0f : 0.0f;
			/* Squared guide differences on the rows needed. */
			for (y = ys - (size_t)P; y < ye + (size_t)P; y++) {
				const float *a = n->Lp + y * PW;
				float *e = n->E + y * PW;

				for (x = 0; x < vx; x += 8) {
					v8f d, d2;

					LD8(d, a + x);
					LD8(d2, a + x + off);
					d -= d2;
					d *= d;
					ST8(e + x, d);
				}
			}
			for (y = ys; y < ye; y++) {
				float *vr = n->vrow;

				/* Vertical patch sum. */
				for (x = 0; x < vx; x += 8) {
					v8f s, s2;

					LD8(s, n->E + (y - (size_t)P) * PW + x);
					for (k = 1; k <= 2 * P; k++) {
						LD8(s2, n->E + (y - (size_t)P +
						    (size_t)k) * PW + x);
						s += s2;
					}
					ST8(vr + x, s);
				}
				/*
				 * Horizontal patch sum, the weight, and the
				 * symmetric accumulation at p and p + off, in
				 * one pass.  Overlapping loads follow the
				 * stores before them, so dy = 0 is safe.
				 */
				{
					size_t r = y * PW;
					float *aw = n->aw + r, *ac[NLM_MAXC];
					const float *cp[NLM_MAXC];

					for (c = 0; c < nc; c++) {
						ac[c] = n->ac[c] + r;
						cp[c] = n->Cp[c] + r;
					}
					for (x = 0; x < hx; x += 8) {
						v8f s, s2, t, t2, wv, u;

						LD8(s, vr + x - P);
						for (k = 1; k <= 2 * P; k++) {
							LD8(s2, vr + x - P + k);
							s += s2;
						}
						t = s * vnorm - voff;
						t = RELU8(t) * vh;
						t = vone - t * veighth;
						t = RELU8(t);
						t2 = t * t;
						t2 = t2 * t2;
						LD8(u, n->mask + x);
						wv = t2 * t2 * u;
						LD8(u, aw + x);
						u += wv;
						ST8(aw + x, u);
						LD8(u, aw + x + off);
						u += wv;
						ST8(aw + x + off, u);
						for (c = 0; c < nc; c++) {
							v8f va, vb;

							LD8(va, cp[c] + x);
							LD8(vb, cp[c] + x + off);
							LD8(u, ac[c] + x);
							u += wv * vb;
							ST8(ac[c] + x, u);
							LD8(u, ac[c] + x + off);
							u += wv * va;
							ST8(ac[c] + x + off, u);
						}
					}
				}
			}
		}
	}
	for (y = 0; y < bh; y++) {
		size_t r = (y + (size_t)M) * PW + (size_t)M;

		for (c = 0; c < nc; c++) {
			float *dst = n->bandout[c] + y * n->w + x0;

			for (x = 0; x < tw; x++)
				dst[x] = n->ac[c][r + x] / n->aw[r + x];
		}
	}
}

/* Non-local means in bands and tiles; see img_int.h. */
int
flt_nlm(const struct nlm_io *io, size_t w, size_t h, int R, int P,
    float sigma, float hfac)
{
	struct nlm n;
	size_t tilebuf, nbuf, y0, x0, bh, tw, i, need;
	float *m;
	int c, nc = io->pl != NULL ? io->nc : io->ch <= 2 ? 1 : 3;

	if (nc < 1 || nc > NLM_MAXC || R < 1 || P < 0 || R + P > NLM_TH ||
	    sigma <= 0.0f || hfac <= 0.0f || w == 0 || h == 0)
		return 0;
	memset(&n, 0, sizeof(n));
	n.nc = nc;
	n.R = R;
	n.P = P;
	n.M = R + P;
	n.w = w;
	n.h = h;
	/* A tile is at most NLM_TW x NLM_TH, or the image if smaller. */
	n.PW = ((w < NLM_TW ? w : NLM_TW) + 2 * (size_t)n.M + 7) &
	    ~(size_t)7;
	n.PH = (h < NLM_TH ? h : NLM_TH) + 2 * (size_t)n.M;
	n.area = n.PW * n.PH;
	n.slack = ((size_t)n.M + 8 + 7) & ~(size_t)7;
	n.norm = 1.0f / (float)((2 * P + 1) * (2 * P + 1));
	n.off = 2.0f * sigma * sigma;
	n.hinv = 1.0f / (hfac * hfac * sigma * sigma);

	/* Tile buffers: Lp, Cp[nc], E, aw, ac[nc]; rows: vrow, mask. */
	tilebuf = n.area + 2 * n.slack;
	nbuf = (nc == 1 ? 0 : 1) + (size_t)nc + 2 + (size_t)nc;
	if (w > SIZE_MAX / 4 / NLM_TH / NLM_MAXC)
		return -1;
	need = nbuf * tilebuf + 2 * (n.PW + 2 * n.slack) +
	    (size_t)nc * (size_t)n.M * w + (size_t)nc * NLM_TH * w;
	if ((n.mem = calloc(need, sizeof(float))) == NULL)
		return -1;
	m = n.mem;
	if (nc != 1) {
		n.Lp = m + n.slack;
		m += tilebuf;
	}
	for (c = 0; c < nc; c++, m += tilebuf)
		n.Cp[c] = m + n.slack;
	if (nc == 1)
		n.Lp = n.Cp[0];
	n.E = m + n.slack;
	m += tilebuf;
	n.aw = m + n.slack;
	m += tilebuf;
	for (c = 0; c < nc; c++, m += tilebuf)
		n.ac[c] = m + n.slack;
	n.vrow = m + n.slack;
	m += n.PW + 2 * n.slack;
	n.mask = m + n.slack;
	m += n.PW + 2 * n.slack;
	for (c = 0; c < nc; c++, m += (size_t)n.M * w)
		n.saved[c] = m;
	for (c = 0; c < nc; c++, m += (size_t)NLM_TH * w)
		n.bandout[c] = m;

	for (y0 = 0; y0 < h; y0 += bh) {
		bh = h - y0 < NLM_TH ? h - y0 : NLM_TH;
		for (x0 = 0; x0 < w; x0 += tw) {
			tw = w - x0 < NLM_TW ? w - x0 : NLM_TW;
			nlm_fill(&n, io, y0, bh, x0);
			nlm_tile(&n, bh, x0, tw);
		}
		if (io->pl == NULL) {
			/* 8-bit out: the source is not overwritten. */
			for (c = 0; c < nc; c++)
				for (i = 0; i < bh * w; i++)
					io->dst[(y0 * w + i) * io->ch +
					    (size_t)c] = to8(n.bandout[c][i]);
			continue;
		}
		/* Keep the original rows the next band reads above it. */
		if (y0 + bh < h)
			for (c = 0; c < nc; c++)
				for (i = 0; i < (size_t)n.M; i++)
					memcpy(n.saved[c] + i * w, io->pl[c] +
					    (y0 + bh - (size_t)n.M + i) * w,
					    w * sizeof(float));
		for (c = 0; c < nc; c++)
			memcpy(io->pl[c] + y0 * w, n.bandout[c],
			    bh * w * sizeof(float));
	}
	free(n.mem);
	return 0;
}

/* ------------------------------------------------- dust and scratches */

static inline float
med7(float *v)
{
	int i, j;

	/* Insertion sort; seven values. */
	for (i = 1; i < 7; i++) {
		float t = v[i];

		for (j = i; j > 0 && v[j - 1] > t; j--)
			v[j] = v[j - 1];
		v[j] = t;
	}
	return v[3];
}

/*
 * The 7x7 separable median of the luminance at column x, from the rows
 * rp[-3..3] around it, borders replicated.
 */
static float
sepmed7(const float *const *rp, size_t w, size_t x)
{
	float col[7], v[7];
	int i, j;

	for (i = 0; i < 7; i++) {
		size_t sx = clampz((ptrdiff_t)x + i - 3, w);

		for (j = 0; j < 7; j++)
			v[j] = rp[j - 3][sx];
		col[i] = med7(v);
	}
	return med7(col);
}

/*
 * Local activity on an 8x8 block grid: the lower quartile of the absolute gradient of the
 * guide in each block, then the maximum over the 3x3 blocks around it,
 * so texture and edges raise the bar for what counts as a defect.
 */
static float *
activity(const struct guide *g, size_t w, size_t h, size_t *gw, size_t *gh)
{
	size_t bw = (w + 7) / 8, bh = (h + 7) / 8, x, y, bx, by;
	float *a, *m;

	*gw = bw;
	*gh = bh;
	a = alloc3(bw, bh, sizeof(float));
	m = alloc3(bw, bh, sizeof(float));
	if (a == NULL || m == NULL) {
		free(a);
		free(m);
		return NULL;
	}
	/* The lower quartile, not the mean: a scratch must not hide itself. */
	for (by = 0; by < bh; by++)
		for (bx = 0; bx < bw; bx++) {
			float gs[16];
			size_t k = 0, j;

			/* Every other pixel both ways: 16 samples. */
			for (y = by * 8; y < by * 8 + 8 && y + 1 < h; y += 2)
				for (x = bx * 8; x < bx * 8 + 8 && x + 1 < w;
				    x += 2) {
					size_t i = y * w + x;
					float l = glum(g, i), t;

					t = fabsf(glum(g, i + 1) - l) +
					    fabsf(glum(g, i + w) - l);
					/* Insertion keeps gs sorted. */
					for (j = k++; j > 0 && gs[j - 1] > t; j--)
						gs[j] = gs[j - 1];
					gs[j] = t;
				}
			a[by * bw + bx] = k ? gs[k / 4] : 0.0f;
		}
	for (by = 0; by < bh; by++)
		for (bx = 0; bx < bw; bx++) {
			float mx = 0.0f;
			int dx, dy;

			for (dy = -1; dy <= 1; dy++)
				for (dx = -1; dx <= 1; dx++) {
					size_t yy = clampz((ptrdiff_t)by + dy, bh),
					    xx = clampz((ptrdiff_t)bx + dx, bw);

					mx = fmax2(mx, a[yy * bw + xx]);
				}
			m[by * bw + bx] = mx;
		}
	free(a);
	return m;
}

/*
 * Keep only the connected groups of flagged pixels (codes 2 and 3) that
 * look like damage: specks of dust (compact, at most DUST_LEN across)
 * and scratches (straight and thin: at least LINE_LEN long, at most
 * LINE_WIDTH wide, from the second moments of the pixel positions).
 * Hair, eyelashes and other curved or clustered detail fail both.  Kept
 * pixels get code 5, the rest 0.
 */
static int
components(uint8_t *mask, size_t w, size_t h, struct defect_stats *st)
{
	size_t *stk = NULL, cap = 0, top, n, i, k;
	int rc = -1;

	st->dust = st->lines = 0;
	for (i = 0; i < w * h; i++) {
		double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, mx, my;
		double vxx, vyy, vxy, tr, det, l1, l2, len, wid;
		int keep;

		if (mask[i] != 2 && mask[i] != 3)
			continue;
		/* Flood fill (8-connected); visited pixels get code 4. */
		n = 0;
		top = 0;
		if (cap == 0) {
			cap = 1024;
			if ((stk = malloc(cap * sizeof(*stk))) == NULL)
				goto err;
		}
		stk[top++] = i;
		mask[i] = 4;
		while (top > n) {
			size_t p = stk[n++], px = p % w, py = p / w;
			int dx, dy;

			sx += (double)px;
			sy += (double)py;
			sxx += (double)px * px;
			syy += (double)py * py;
			sxy += (double)px * py;
			for (dy = -1; dy <= 1; dy++)
				for (dx = -1; dx <= 1; dx++) {
					ptrdiff_t qx = (ptrdiff_t)px + dx,
					    qy = (ptrdiff_t)py + dy;
					size_t q;

					if (qx < 0 || qy < 0 || (size_t)qx >= w ||
					    (size_t)qy >= h)
						continue;
					q = (size_t)qy * w + (size_t)qx;
					if (mask[q] != 2 && mask[q] != 3)
						continue;
					if (top == cap) {
						size_t *ns;

						if (cap > SIZE_MAX / 2 /
						    sizeof(*stk))
							goto err;
						ns = realloc(stk, 2 * cap *
						    sizeof(*stk));
						if (ns == NULL)
							goto err;
						stk = ns;
						cap *= 2;
					}
					mask[q] = 4;
					stk[top++] = q;
				}
		}
		mx = sx / (double)n;
		my = sy / (double)n;
		vxx = sxx / (double)n - mx * mx + 1.0 / 12;
		vyy = syy / (double)n - my * my + 1.0 / 12;
		vxy = sxy / (double)n - mx * my;
		tr = vxx + vyy;
		det = vxx * vyy - vxy * vxy;
		l1 = tr / 2 + sqrt(fmax(0.0, tr * tr / 4 - det));
		l2 = tr - l1;
		len = sqrt(12 * l1);
		wid = sqrt(12 * fmax(l2, 0.0));
		keep = 0;
		if (len <= DUST_LEN) {
			keep = 1;
			st->dust++;
		} else if (len >= LINE_LEN && wid <= fmax(LINE_WIDTH, len / 10)) {
			keep = 1;
			st->lines++;
		}
		for (k = 0; k < n; k++)
			mask[stk[k]] = keep ? 5 : 0;
	}
	rc = 0;
err:
	free(stk);
	return rc;
}

/* Rows of luminance kept around the current one (a power of two). */
#define DEF_RING	16

/* Dust and scratch mask; see img_int.h. */
int64_t
flt_defects(const struct guide *g, size_t w, size_t h, float thr,
    uint8_t *mask, struct defect_stats *st)
{
	static const int dir[4][2] = { { 1, 0 }, { 0, 1 }, { 1, 1 },
	    { 1, -1 } };
	size_t x, y, i, gw, gh, filled = 0;
	int64_t n = 0;
	float *act, *rrow, *vrow, *ring;
	const float *rows[9], *const *rp = rows + 4;
	int dx, dy;

	memset(st, 0, sizeof(*st));
	if ((act = activity(g, w, h, &gw, &gh)) == NULL)
		return -1;
	/*
	 * A defect is a ridge or a valley, not an edge: seen across it in
	 * some direction, both sides (2 and 4 pixels away, so lines up to
	 * four pixels wide) are darker (or both brighter) by more than the
	 * threshold, which grows with the local activity.  That cheap test
	 * picks the few pixels worth a median, and the distance from the
	 * median must agree.  Codes: 0 clean, 1 weak, 2 strong, 3 weak next
	 * to strong.  The luminance is made a row at a time into a ring of
	 * DEF_RING rows (nine are read around the current one).
	 */
	if ((rrow = alloc3(w + 4, 2 + DEF_RING, sizeof(float))) == NULL) {
		free(act);
		return -1;
	}
	vrow = rrow + w + 4;
	ring = vrow + w + 4;
	for (y = 0; y < h; y++) {
		size_t x0 = 4;
		int k;

		/* Make the rows up to y + 4 (the ring never overtakes). */
		for (; filled < h && filled <= y + 4; filled++) {
			float *r = ring + (filled & (DEF_RING - 1)) * (w + 4);

			for (x = 0; x < w; x++)
				r[x] = glum(g, filled * w + x);
		}
		for (k = -4; k <= 4; k++)
			rows[k + 4] = ring + (clampz((ptrdiff_t)y + k, h) &
			    (DEF_RING - 1)) * (w + 4);
		/* Ridge and valley strength, four pixels at a time inside. */
		if (w >= 12) {
			for (x = 4; x + 4 + 4 <= w; x += 4) {
				v4f l = ld4(rp[0] + x), rg = splat(-1e30f),
				    vl = rg;
				int d;

				for (d = 2; d <= 4; d += 2)
					for (k = 0; k < 4; k++) {
						int ox = dir[k][0] * d,
						    oy = dir[k][1] * d;
						v4f pa = l - ld4(rp[-oy] + x - ox),
						    pb = l - ld4(rp[oy] + x + ox);

						rg = vmax4(rg, vmin4(pa, pb));
						vl = vmax4(vl, -vmax4(pa, pb));
					}
				st4(rrow + x, rg);
				st4(vrow + x, vl);
			}
			x0 = x;
		}
		for (x = 0; x < w; x++) {
			float l, md, r, t, ridge = -1e30f, valley = -1e30f;
			int d;

			i = y * w + x;
			mask[i] = 0;
			t = fmax2(thr, DEFECT_ACT * act[(y / 8) * gw + x / 8]);
			l = rp[0][x];
			if (w >= 12 && x >= 4 && x < x0) {
				ridge = rrow[x];
				valley = vrow[x];
			} else
				for (d = 2; d <= 4; d += 2)
					for (k = 0; k < 4; k++) {
						ptrdiff_t ox = dir[k][0] * d;
						int oy = dir[k][1] * d;
						float a, b;

						a = rp[-oy][clampz((ptrdiff_t)x -
						    ox, w)];
						b = rp[oy][clampz((ptrdiff_t)x +
						    ox, w)];
						ridge = fmax2(ridge,
						    fmin2(l - a, l - b));
						valley = fmax2(valley,
						    fmin2(a - l, b - l));
					}
			r = fmax2(ridge, valley);
			if (r < DEFECT_WEAK * t)
				continue;
			md = sepmed7(rp, w, x);
			r = fmin2(r, ridge > valley ? l - md : md - l);
			mask[i] = r > t ? 2 : r > DEFECT_WEAK * t ? 1 : 0;
		}
	}
	free(rrow);
	free(act);
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			i = y * w + x;
			if (mask[i] != 1)
				continue;
			for (dy = -1; dy <= 1 && mask[i] == 1; dy++)
				for (dx = -1; dx <= 1; dx++) {
					size_t j = clampz((ptrdiff_t)y + dy, h) *
					    w + clampz((ptrdiff_t)x + dx, w);

					if (mask[j] == 2) {
						mask[i] = 3;
						break;
					}
				}
		}
	if (components(mask, w, h, st) == -1)
		return -1;
	for (i = 0; i < w * h; i++) {
		mask[i] = mask[i] == 5;
		n += mask[i];
	}
	st->pixels = n;
	return n;
}

/* Fill masked pixels from their surroundings; see img_int.h. */
int
flt_inpaint(float *const *pl, int nc, size_t w, size_t h,
    const uint8_t *mask)
{
	static const int radii[] = { 3, 7, 15, 31 };
	float acc[NLM_MAXC], *wt;
	size_t x, y, i, k;
	int c, r, dx, dy;

	if (nc < 1 || nc > NLM_MAXC)
		return -1;
	if ((wt = malloc((2 * 31 + 1) * sizeof(*wt))) == NULL)
		return -1;
	for (y = 0; y < h; y++) {
		for (x = 0; x < w; x++) {
			i = y * w + x;
			if (!mask[i])
				continue;
			for (k = 0; k < sizeof(radii) / sizeof(radii[0]); k++) {
				float sw = 0.0f, s2;

				r = radii[k];
				s2 = 1.0f / (2.0f * (0.5f * r) * (0.5f * r));
				for (dx = -r; dx <= r; dx++)
					wt[dx + r] = expf(-(float)(dx * dx) * s2);
				for (c = 0; c < nc; c++)
					acc[c] = 0.0f;
				for (dy = -r; dy <= r; dy++) {
					ptrdiff_t yy = (ptrdiff_t)y + dy;

					if (yy < 0 || (size_t)yy >= h)
						continue;
					for (dx = -r; dx <= r; dx++) {
						ptrdiff_t xx = (ptrdiff_t)x + dx;
						size_t j;
						float ww;

						if (xx < 0 || (size_t)xx >= w)
							continue;
						j = (size_t)yy * w + (size_t)xx;
						if (mask[j])
							continue;
						ww = wt[dx + r] * wt[dy + r];
						sw += ww;
						for (c = 0; c < nc; c++)
							acc[c] += ww * pl[c][j];
					}
				}
				if (sw >= 1.0f || (sw > 0.0f &&
				    k + 1 == sizeof(radii) / sizeof(radii[0]))) {
					for (c = 0; c < nc; c++)
						pl[c][i] = acc[c] / sw;
					break;
				}
			}
		}
	}
	free(wt);
	return 0;
}

/* ------------------------------------------------------------- blurring */

/* Separable Gaussian blur; see img_int.h. */
void
flt_gauss(const float *in, float *out, float *tmp, size_t w, size_t h,
    float sigma)
{
	float k[64], s = 0.0f;
	int r, i;
	size_t x, y;

	r = (int)ceilf(3.0f * sigma);
	if (r < 1)
		r = 1;
	if (r > 31)
		r = 31;
	for (i = -r; i <= r; i++)
		s += k[i + r] = expf(-(float)(i * i) / (2 * sigma * sigma));
	for (i = 0; i <= 2 * r; i++)
		k[i] /= s;
	for (y = 0; y < h; y++) {
		const float *src = in + y * w;

		for (x = 0; x < w; x++) {
			float a = 0.0f;

			for (i = -r; i <= r; i++)
				a += k[i + r] * src[clampz((ptrdiff_t)x + i, w)];
			tmp[y * w + x] = a;
		}
	}
	for (y = 0; y < h; y++) {
		float *dst = out + y * w;

		for (x = 0; x < w; x++)
			dst[x] = 0.0f;
		for (i = -r; i <= r; i++) {
			const float *src = tmp +
			    clampz((ptrdiff_t)y + i, h) * w;
			float kk = k[i + r];

			for (x = 0; x < w; x++)
				dst[x] += kk * src[x];
		}
	}
}

/* ---------------------------------------------------------------- CLAHE */

/* CLAHE on one plane; see img_int.h. */
int
flt_clahe(float *p, size_t w, size_t h, size_t tile, float clip,
    float amount)
{
	size_t gx, gy, tx, ty, x, y, i, npx;
	float *maps;
	uint32_t hist[256];

	if (tile < 8)
		tile = 8;
	gx = (w + tile - 1) / tile;
	gy = (h + tile - 1) / tile;
	if ((maps = alloc3(gx * gy, 256, sizeof(float))) == NULL)
		return -1;
	for (ty = 0; ty < gy; ty++) {
		for (tx = 0; tx < gx; tx++) {
			size_t x0 = tx * w / gx, x1 = (tx + 1) * w / gx,
			    y0 = ty * h / gy, y1 = (ty + 1) * h / gy;
			float *map = maps + (ty * gx + tx) * 256;
			uint64_t excess = 0, acc = 0, limit;

			memset(hist, 0, sizeof(hist));
			for (y = y0; y < y1; y++)
				for (x = x0; x < x1; x++) {
					float v = p[y * w + x];
					int b = to8(v);

					hist[b]++;
				}
			npx = (x1 - x0) * (y1 - y0);
			limit = (uint64_t)(clip * (float)npx / 256.0f) + 1;
			for (i = 0; i < 256; i++)
				if (hist[i] > limit) {
					excess += hist[i] - limit;
					hist[i] = (uint32_t)limit;
				}
			for (i = 0; i < 256; i++) {
				acc += hist[i] + excess / 256;
				map[i] = npx ? 255.0f * (float)acc /
				    (float)npx : (float)i;
			}
		}
	}
	for (y = 0; y < h; y++) {
		float fy = ((float)y + 0.5f) * (float)gy / (float)h - 0.5f;
		size_t y0 = fy < 0 ? 0 : (size_t)fy;
		size_t y1 = y0 + 1 < gy ? y0 + 1 : gy - 1;
		float ay = fy < 0 ? 0 : fy - (float)y0;

		if (ay > 1)
			ay = 1;
		for (x = 0; x < w; x++) {
			float fx = ((float)x + 0.5f) * (float)gx / (float)w -
			    0.5f;
			size_t x0 = fx < 0 ? 0 : (size_t)fx;
			size_t x1 = x0 + 1 < gx ? x0 + 1 : gx - 1;
			float ax = fx < 0 ? 0 : fx - (float)x0;
			float v = p[y * w + x], m;
			int b = to8(v);

			if (ax > 1)
				ax = 1;
			m = (1 - ay) * ((1 - ax) * maps[(y0 * gx + x0) * 256 + b] +
			    ax * maps[(y0 * gx + x1) * 256 + b]) +
			    ay * ((1 - ax) * maps[(y1 * gx + x0) * 256 + b] +
			    ax * maps[(y1 * gx + x1) * 256 + b]);
			p[y * w + x] = v + amount * (m - v);
		}
	}
	free(maps);
	return 0;
}

/* ------------------------------------------------------------ resampling */

struct contrib {
	size_t	 taps;
	size_t	*idx;	/* out * taps */
	float	*wt;	/* out * taps */
};

static float
lanczos3(float x)
{
	float px;

	x = fabsf(x);
	if (x < 1e-6f)
		return 1.0f;
	if (x >= 3.0f)
		return 0.0f;
	px = (float)M_PI * x;
	return 3.0f * sinf(px) * sinf(px / 3.0f) / (px * px);
}

static int
contrib_make(struct contrib *cb, size_t in, size_t out)
{
	double scale = (double)out / (double)in, fs, support;
	size_t o, t;

	fs = scale < 1.0 ? 1.0 / scale : 1.0;
	support = 3.0 * fs;
	cb->taps = (size_t)ceil(support) * 2 + 1;
	cb->idx = alloc3(out, cb->taps, sizeof(size_t));
	cb->wt = alloc3(out, cb->taps, sizeof(float));
	if (cb->idx == NULL || cb->wt == NULL)
		return -1;
	for (o = 0; o < out; o++) {
		double c = ((double)o + 0.5) / scale - 0.5, sum = 0;
		ptrdiff_t j0 = (ptrdiff_t)floor(c) - (ptrdiff_t)(cb->taps / 2);

		for (t = 0; t < cb->taps; t++) {
			ptrdiff_t j = j0 + (ptrdiff_t)t;
			float wv = lanczos3((float)(((double)j - c) / fs));

			cb->idx[o * cb->taps + t] = clampz(j, in);
			cb->wt[o * cb->taps + t] = wv;
			sum += wv;
		}
		for (t = 0; t < cb->taps; t++)
			cb->wt[o * cb->taps + t] =
			    (float)(cb->wt[o * cb->taps + t] / sum);
	}
	return 0;
}

static void
contrib_free(struct contrib *cb)
{

	free(cb->idx);
	free(cb->wt);
}

/* Lanczos-3 resampling; see img_int.h. */
int
flt_resize(const float *in, size_t w, size_t h, float *out, size_t W,
    size_t H, int add)
{
	struct contrib cx, cy;
	float *tmp = NULL;
	size_t x, y, t;
	int rc = -1;

	memset(&cx, 0, sizeof(cx));
	memset(&cy, 0, sizeof(cy));
	if (contrib_make(&cx, w, W) == -1 || contrib_make(&cy, h, H) == -1)
		goto err;
	if ((tmp = flt_plane_alloc(W, h)) == NULL)
		goto err;
	for (y = 0; y < h; y++) {
		const float *src = in + y * w;
		float *dst = tmp + y * W;

		for (x = 0; x < W; x++) {
			const size_t *ix = cx.idx + x * cx.taps;
			const float *wx = cx.wt + x * cx.taps;
			float a = 0.0f;

			for (t = 0; t < cx.taps; t++)
				a += wx[t] * src[ix[t]];
			dst[x] = a;
		}
	}
	for (y = 0; y < H; y++) {
		float *dst = out + y * W;

		if (!add)
			for (x = 0; x < W; x++)
				dst[x] = 0.0f;
		for (t = 0; t < cy.taps; t++) {
			const float *src = tmp + cy.idx[y * cy.taps + t] * W;
			float wv = cy.wt[y * cy.taps + t];

			if (wv == 0.0f)
				continue;
			for (x = 0; x < W; x++)
				dst[x] += wv * src[x];
		}
	}
	rc = 0;
err:
	free(tmp);
	contrib_free(&cx);
	contrib_free(&cy);
	return rc;
}

/* ------------------------------------------------- JPEG consistency */

/*
 * Orthonormal 8-point DCT-II basis: the DCT of JPEG (ITU T.81 A.3.3).
 * Filled per call (64 cosines) rather than cached, so there is no shared
 * state between threads.
 */
typedef float dct_basis[8][8];

static void
dct_init(dct_basis dct8)
{
	int u, x;

	for (u = 0; u < 8; u++)
		for (x = 0; x < 8; x++)
			dct8[u][x] = (u == 0 ? sqrtf(0.125f) : 0.5f) *
			    cosf((float)((2 * x + 1) * u) * (float)M_PI / 16.0f);
}

/* Forward 2-D DCT of the 8x8 block at b (row stride s) into c. */
static void
fdct_block(dct_basis dct8, const float *b, size_t s, float c[64])
{
	float t[64];
	int u, v, x, y;

	for (y = 0; y < 8; y++)
		for (u = 0; u < 8; u++) {
			float a = 0.0f;

			for (x = 0; x < 8; x++)
				a += dct8[u][x] * (b[(size_t)y * s +
				    (size_t)x] - 128.0f);
			t[y * 8 + u] = a;
		}
	for (v = 0; v < 8; v++)
		for (u = 0; u < 8; u++) {
			float a = 0.0f;

			for (y = 0; y < 8; y++)
				a += dct8[v][y] * t[y * 8 + u];
			c[v * 8 + u] = a;
		}
}

/* Inverse 2-D DCT of c into the 8x8 array d. */
static void
idct_block(dct_basis dct8, const float c[64], float d[64])
{
	float t[64];
	int u, v, x, y;

	for (v = 0; v < 8; v++)
		for (x = 0; x < 8; x++) {
			float a = 0.0f;

			for (u = 0; u < 8; u++)
				a += dct8[u][x] * c[v * 8 + u];
			t[v * 8 + x] = a;
		}
	for (y = 0; y < 8; y++)
		for (x = 0; x < 8; x++) {
			float a = 0.0f;

			for (v = 0; v < 8; v++)
				a += dct8[v][y] * t[v * 8 + x];
			d[y * 8 + x] = a;
		}
}

/* JFIF luma of the planes at i. */
static inline float
jfif_y(float *const *pl, int nc, size_t i)
{

	if (nc == 3)
		return 0.299f * pl[0][i] + 0.587f * pl[1][i] +
		    0.114f * pl[2][i];
	return pl[0][i];
}

#define QHIST	1024
#define QMIN	6	/* smaller steps are indistinguishable from rounding */

/* Estimate the JPEG grid and luma quantiser; see img_int.h. */
int
flt_jpeg_estimate(float *const *pl, int nc, size_t w, size_t h,
    float *Y, struct jpeg_model *jm)
{
	double ex[8] = { 0 }, ey[8] = { 0 };
	size_t x, y, i, nb = 0, bx, by, step = 1, k;
	uint32_t *hist;
	float c[64];
	dct_basis dct8;
	int q, best;

	memset(jm, 0, sizeof(*jm));
	dct_init(dct8);
	for (i = 0; i < w * h; i++)
		Y[i] = jfif_y(pl, nc, i);
	if (w < 16 || h < 16)
		return 0;
	/* The grid phase: where the steps between columns (rows) peak. */
	for (y = 1; y < h; y += 3)
		for (x = 1; x < w; x++) {
			ex[x & 7] += fabsf(Y[y * w + x] - Y[y * w + x - 1]);
			ey[y & 7] += fabsf(Y[y * w + x] - Y[(y - 1) * w + x]);
		}
	for (i = 1; i < 8; i++) {
		if (ex[i] > ex[jm->px])
			jm->px = (unsigned)i;
		if (ey[i] > ey[jm->py])
			jm->py = (unsigned)i;
	}
	if ((hist = calloc((size_t)64 * QHIST, sizeof(*hist))) == NULL)
		return -1;
	while (((w - jm->px) / 8) * ((h - jm->py) / 8) / (step * step) > 8192)
		step++;
	for (by = 0; jm->py + 8 * (by + 1) <= h; by += step)
		for (bx = 0; jm->px + 8 * (bx + 1) <= w; bx += step) {
			fdct_block(dct8, Y + (jm->py + 8 * by) * w + jm->px +
			    8 * bx, w, c);
			for (k = 0; k < 64; k++) {
				size_t a = (size_t)(fabsf(c[k]) + 0.5f);

				hist[k * QHIST + (a < QHIST ? a : QHIST - 1)]++;
			}
			nb++;
		}
	/*
	 * For each frequency, the largest step q that nearly every non-zero
	 * coefficient sits on a multiple of (within rounding).  Too few
	 * non-zero coefficients: unknown, left unconstrained.
	 */
	for (k = 0; k < 64; k++) {
		const uint32_t *hk = hist + k * QHIST;

		best = 0;
		for (q = 160; q >= QMIN && best == 0; q--) {
			uint64_t on = 0, all = 0;
			size_t a;

			for (a = (size_t)(q + 1) / 2; a < QHIST - 1; a++) {
				size_t r = a % (size_t)q;

				all += hk[a];
				if (r <= 1 || r + 1 >= (size_t)q)
					on += hk[a];
			}
			if (all >= 16 && (double)on >= 0.93 * (double)all &&
			    all * 20 >= nb / 50)
				best = q;
		}
		jm->q[k] = (float)best;
	}
	free(hist);
	for (k = 0; k < 64; k++)
		if (jm->q[k] > 0)
			jm->known++;
	return 0;
}

/* Project the planes back into the JPEG's quantisation cells. */
void
flt_jpeg_project(float *const *pl, int nc, size_t w, size_t h,
    const float *Y, const struct jpeg_model *jm)
{
	float cin[64], cnew[64], d[64], blk[64];
	size_t bx, by, x, y;
	dct_basis dct8;
	int k, c, any;

	if (jm->known == 0)
		return;
	dct_init(dct8);
	for (by = 0; jm->py + 8 * (by + 1) <= h; by++)
		for (bx = 0; jm->px + 8 * (bx + 1) <= w; bx++) {
			size_t o = (jm->py + 8 * by) * w + jm->px + 8 * bx;

			for (y = 0; y < 8; y++)
				for (x = 0; x < 8; x++)
					blk[y * 8 + x] = jfif_y(pl, nc,
					    o + y * w + x);
			fdct_block(dct8, Y + o, w, cin);
			fdct_block(dct8, blk, 8, cnew);
			any = 0;
			for (k = 0; k < 64; k++) {
				float q = jm->q[k], lo, hi, n;

				d[k] = 0.0f;
				if (q <= 0.0f)
					continue;
				n = roundf(cin[k] / q);
				lo = (n - 0.5f) * q;
				hi = (n + 0.5f) * q;
				if (cnew[k] < lo)
					d[k] = lo - cnew[k];
				else if (cnew[k] > hi)
					d[k] = hi - cnew[k];
				any |= d[k] != 0.0f;
			}
			if (!any)
				continue;
			idct_block(dct8, d, blk);
			/* A luma change: the same amount on every channel. */
			for (c = 0; c < nc; c++)
				for (y = 0; y < 8; y++)
					for (x = 0; x < 8; x++)
						pl[c][o + y * w + x] +=
						    blk[y * 8 + x];
		}
}
