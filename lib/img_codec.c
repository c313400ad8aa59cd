/*
 * img_codec.c: JPEG and PNG decoding and encoding on libjpeg-turbo,
 * libpng and libexif.  The only file that includes their headers.
 *
 * Everything here handles untrusted bytes: both libraries report errors
 * through a longjmp back into the function that started the work, so
 * every pointer that outlives a setjmp is volatile and released at one
 * exit label.  Dimensions are checked against the pixel limit after the
 * header is read and before the pixel buffer exists.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>
#include <libexif/exif-data.h>

#include "photorestore.h"

/* Sides longer than this are "absurd" whatever max_pixels says. */
#define IMG_MAX_SIDE	(1U << 20)
/* More pixels than this are absurd whatever max_pixels says (1 GP). */
#define IMG_MAX_TOTAL	(1ULL << 30)
/* A progressive JPEG with more scans than this is a CPU bomb. */
#define JPEG_MAX_SCANS	1000
/* Largest ancillary PNG chunk we let libpng allocate. */
#define PNG_CHUNK_MAX	(8U * 1024 * 1024)

static const char *const img_errs[IMG__MAX] = {
	"success",			/* IMG_OK */
	"out of memory",		/* IMG_ENOMEM */
	"empty file",			/* IMG_EEMPTY */
	"not a JPEG or PNG image",	/* IMG_EFORMAT */
	"corrupt or truncated image",	/* IMG_ECORRUPT */
	"image too large",		/* IMG_ETOOBIG */
	"unsupported image variant",	/* IMG_EUNSUPPORTED */
	"invalid parameter",		/* IMG_EPARAM */
};

/*
 * A short English phrase for an image error.  Never NULL; unknown values
 * give "unknown error".
 */
const char *
img_strerror(enum img_err e)
{

	if ((int)e < 0 || e >= IMG__MAX)
		return "unknown error";
	return img_errs[e];
}

/*
 * Name the format from the magic bytes alone: JPEG starts FF D8 FF, PNG
 * with its 8-byte signature.  Returns IMG_NONE for anything else.
 */
enum img_format
img_sniff(const void *p, size_t len)
{
	static const unsigned char png_sig[8] =
	    { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	const unsigned char *b = p;

	if (b == NULL)
		return IMG_NONE;
	if (len >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff)
		return IMG_JPEG;
	if (len >= 8 && memcmp(b, png_sig, 8) == 0)
		return IMG_PNG;
	return IMG_NONE;
}

/*
 * Release the pixels of an image and zero it.  NULL and an already freed
 * image are fine.
 */
void
img_free(struct pr_image *im)
{

	if (im == NULL)
		return;
	free(im->px);
	memset(im, 0, sizeof(*im));
}

static void
setreason(char *reason, size_t sz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
setreason(char *reason, size_t sz, const char *fmt, ...)
{
	va_list ap;

	if (reason == NULL || sz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(reason, sz, fmt, ap);
	va_end(ap);
}

/*
 * Check the dimensions against the limits and compute the buffer size.
 * Returns IMG_OK or IMG_ETOOBIG with the reason written.
 */
static enum img_err
check_dims(uint64_t w, uint64_t h, unsigned ch, int64_t max_pixels,
    size_t *bytes, char *reason, size_t reasonsz)
{
	uint64_t n;

	if (w == 0 || h == 0) {
		setreason(reason, reasonsz, "corrupt or truncated image");
		return IMG_ECORRUPT;
	}
	if (w > IMG_MAX_SIDE || h > IMG_MAX_SIDE) {
		setreason(reason, reasonsz, "image too large (%llux%llu)",
		    (unsigned long long)w, (unsigned long long)h);
		return IMG_ETOOBIG;
	}
	n = w * h;	/* both <= 2^20: no overflow */
	if (n > IMG_MAX_TOTAL) {
		setreason(reason, reasonsz,
		    "image too large (%llu pixels, maximum %llu)",
		    (unsigned long long)n, (unsigned long long)IMG_MAX_TOTAL);
		return IMG_ETOOBIG;
	}
	if (max_pixels > 0 && n > (uint64_t)max_pixels) {
		setreason(reason, reasonsz,
		    "image too large (%llu pixels, maximum %lld)",
		    (unsigned long long)n, (long long)max_pixels);
		return IMG_ETOOBIG;
	}
	if (n > SIZE_MAX / ch / 2) {
		setreason(reason, reasonsz, "image too large (%llu pixels)",
		    (unsigned long long)n);
		return IMG_ETOOBIG;
	}
	*bytes = (size_t)n * ch;
	return IMG_OK;
}

/* ---------------------------------------------------------- orientation */

/*
 * Apply an EXIF orientation (TIFF 6.0 tag 274, values 1-8) by making a
 * new buffer: 2 mirror, 3 rotate 180, 4 flip, 5 transpose, 6 rotate 90
 * clockwise, 7 transverse, 8 rotate 90 counter-clockwise.
 */
static enum img_err
apply_orientation(struct pr_image *im, int orient)
{
	uint8_t *dst;
	uint32_t W = im->w, H = im->h, nw, nh, x, y, sx, sy;
	unsigned ch = im->channels;
	size_t n;

	if (orient < 2 || orient > 8)
		return IMG_OK;
	n = (size_t)W * H * ch;
	if ((dst = malloc(n)) == NULL)
		return IMG_ENOMEM;
	nw = orient >= 5 ? H : W;
	nh = orient >= 5 ? W : H;
	for (y = 0; y < nh; y++) {
		for (x = 0; x < nw; x++) {
			switch (orient) {
			case 2: sx = W - 1 - x; sy = y; break;
			case 3: sx = W - 1 - x; sy = H - 1 - y; break;
			case 4: sx = x; sy = H - 1 - y; break;
			case 5: sx = y; sy = x; break;
			case 6: sx = y; sy = H - 1 - x; break;
			case 7: sx = W - 1 - y; sy = H - 1 - x; break;
			default: sx = W - 1 - y; sy = x; break;	/* 8 */
			}
			memcpy(dst + ((size_t)y * nw + x) * ch,
			    im->px + ((size_t)sy * W + sx) * ch, ch);
		}
	}
	free(im->px);
	im->px = dst;
	im->w = nw;
	im->h = nh;
	return IMG_OK;
}

/* The orientation in an APP1 Exif payload, or 1. */
static int
exif_orientation(const unsigned char *data, unsigned len)
{
	ExifData *ed;
	ExifEntry *e;
	int o = 1;

	if (len < 6 || memcmp(data, "Exif\0\0", 6) != 0)
		return 1;
	if ((ed = exif_data_new_from_data(data, len)) == NULL)
		return 1;
	e = exif_content_get_entry(ed->ifd[EXIF_IFD_0], EXIF_TAG_ORIENTATION);
	if (e != NULL && e->format == EXIF_FORMAT_SHORT && e->components >= 1 &&
	    e->data != NULL && e->size >= 2)
		o = exif_get_short(e->data, exif_data_get_byte_order(ed));
	exif_data_unref(ed);
	return o >= 1 && o <= 8 ? o : 1;
}

/* ----------------------------------------------------------------- JPEG */

struct jerr {
	struct jpeg_error_mgr	 pub;
	jmp_buf			 jb;
	int			 nomem;
	int			 pixels_done;	/* a missing EOI is fine */
};

static void
jerr_exit(j_common_ptr ci)
{
	struct jerr *je = (struct jerr *)ci->err;

	if (ci->err->msg_code == JERR_OUT_OF_MEMORY)
		je->nomem = 1;
	longjmp(je->jb, 1);
}

/*
 * Premature end of data is a warning to libjpeg; to us it is corrupt,
 * unless every scanline was already decoded and only the EOI marker is
 * missing (as browsers, we show such a file).
 */
static void
jerr_emit(j_common_ptr ci, int level)
{
	struct jerr *je = (struct jerr *)ci->err;

	if (level < 0 && ci->err->msg_code == JWRN_JPEG_EOF &&
	    !je->pixels_done)
		longjmp(je->jb, 1);
	if (level < 0)
		ci->err->num_warnings++;
}

static void
jerr_silent(j_common_ptr ci)
{

	(void)ci;
}

/* Stop progressive JPEGs with absurd scan counts (libjpeg-turbo advice). */
static void
jprogress(j_common_ptr ci)
{
	j_decompress_ptr di = (j_decompress_ptr)ci;

	if (ci->is_decompressor && di->progressive_mode &&
	    di->input_scan_number > JPEG_MAX_SCANS) {
		ci->err->msg_code = JERR_NOT_COMPILED;	/* any fatal code */
		ci->err->error_exit(ci);
	}
}

static enum img_err
decode_jpeg(const unsigned char *data, size_t len, int64_t max_pixels,
    struct pr_image *out, char *reason, size_t reasonsz)
{
	struct jpeg_decompress_struct	 di;
	struct jerr			 je;
	struct jpeg_progress_mgr	 prog;
	jpeg_saved_marker_ptr		 m;
	uint8_t *volatile		 px = NULL;
	JSAMPLE *volatile		 row = NULL;
	volatile enum img_err		 rc = IMG_ECORRUPT;
	volatile int			 created = 0;
	size_t				 bytes, stride;
	unsigned			 ch, x;
	volatile int			 orient = 1, cmyk = 0;
	int				 adobe;

	memset(&di, 0, sizeof(di));
	di.err = jpeg_std_error(&je.pub);
	je.pub.error_exit = jerr_exit;
	je.pub.emit_message = jerr_emit;
	je.pub.output_message = jerr_silent;
	je.nomem = 0;
	je.pixels_done = 0;
	if (setjmp(je.jb)) {
		if (je.nomem)
			rc = IMG_ENOMEM;
		if (rc == IMG_ECORRUPT)
			setreason(reason, reasonsz,
			    "corrupt or truncated image");
		else if (rc == IMG_ENOMEM)
			setreason(reason, reasonsz, "out of memory");
		goto err;
	}
	jpeg_create_decompress(&di);
	created = 1;
	prog.progress_monitor = jprogress;
	di.progress = &prog;
	if (len > ULONG_MAX)
		goto err;
	jpeg_mem_src(&di, data, (unsigned long)len);
	jpeg_save_markers(&di, JPEG_APP0 + 1, 0xffff);
	jpeg_read_header(&di, TRUE);

	switch (di.jpeg_color_space) {
	case JCS_GRAYSCALE:
		di.out_color_space = JCS_GRAYSCALE;
		ch = 1;
		break;
	case JCS_CMYK:
	case JCS_YCCK:
		di.out_color_space = JCS_CMYK;
		cmyk = 1;
		ch = 3;
		break;
	default:
		di.out_color_space = JCS_RGB;
		ch = 3;
		break;
	}
	rc = check_dims(di.image_width, di.image_height, ch, max_pixels,
	    &bytes, reason, reasonsz);
	if (rc != IMG_OK)
		goto err;
	rc = IMG_ECORRUPT;
	for (m = di.marker_list; m != NULL; m = m->next)
		if (m->marker == JPEG_APP0 + 1 &&
		    (orient = exif_orientation(m->data, m->data_length)) != 1)
			break;
	adobe = di.saw_Adobe_marker;

	if ((px = malloc(bytes)) == NULL) {
		rc = IMG_ENOMEM;
		setreason(reason, reasonsz, "out of memory");
		goto err;
	}
	jpeg_start_decompress(&di);
	if ((unsigned)di.output_components != (cmyk ? 4U : ch))
		goto err;
	stride = (size_t)di.output_width * di.output_components;
	if ((row = malloc(stride)) == NULL) {
		rc = IMG_ENOMEM;
		setreason(reason, reasonsz, "out of memory");
		goto err;
	}
	while (di.output_scanline < di.output_height) {
		JSAMPROW rp = cmyk ? row :
		    px + (size_t)di.output_scanline * stride;
		uint8_t *d = px + (size_t)di.output_scanline *
		    di.output_width * 3;

		if (jpeg_read_scanlines(&di, &rp, 1) != 1)
			goto err;
		if (!cmyk)
			continue;
		/*
		 * Adobe writes CMYK inverted (0 = full ink), so the stored
		 * value already is "amount of light": R = C * K / 255.
		 */
		for (x = 0; x < di.output_width; x++) {
			unsigned c = row[4 * x], mm = row[4 * x + 1],
			    yy = row[4 * x + 2], k = row[4 * x + 3];

			if (!adobe) {
				c = 255 - c; mm = 255 - mm;
				yy = 255 - yy; k = 255 - k;
			}
			d[3 * x] = (uint8_t)((c * k + 127) / 255);
			d[3 * x + 1] = (uint8_t)((mm * k + 127) / 255);
			d[3 * x + 2] = (uint8_t)((yy * k + 127) / 255);
		}
	}
	je.pixels_done = 1;
	jpeg_finish_decompress(&di);

	out->w = di.output_width;
	out->h = di.output_height;
	out->channels = ch;
	out->px = px;
	out->format = IMG_JPEG;
	px = NULL;
	if ((rc = apply_orientation(out, orient)) != IMG_OK) {
		img_free(out);
		setreason(reason, reasonsz, "out of memory");
		goto err;
	}
	rc = IMG_OK;
err:
	if (created)
		jpeg_destroy_decompress(&di);
	free(row);
	free(px);
	return rc;
}

/* ------------------------------------------------------------------ PNG */

struct pngsrc {
	const unsigned char	*p;
	size_t			 len;
	size_t			 off;
};

static void
png_read_mem(png_structp png, png_bytep dst, png_size_t n)
{
	struct pngsrc *s = png_get_io_ptr(png);

	if (n > s->len - s->off)
		png_error(png, "truncated");
	memcpy(dst, s->p + s->off, n);
	s->off += n;
}

static void
png_err(png_structp png, png_const_charp msg)
{

	(void)msg;
	png_longjmp(png, 1);
}

static void
png_warn(png_structp png, png_const_charp msg)
{

	(void)png;
	(void)msg;
}

/*
 * A zip bomb in PNG clothing: IDAT data far larger than the image it
 * claims to hold.  Deflate never expands data by more than a few bytes per
 * 64 KB block, so no encoder writes more compressed bytes than twice the
 * raw (filtered) image plus a little; libpng would otherwise inflate all
 * of it after the last row (about 25 s of CPU per megabyte of a 1000:1
 * stream).  Walks the chunk list without trusting it: a length running
 * past the buffer ends the walk and libpng reports the truncation.
 */
static int
png_idat_plausible(const unsigned char *p, size_t len, png_uint_32 w,
    png_uint_32 h, int depth, int ctype, int interlace)
{
	uint64_t	 bpp, rowbytes, raw, idat = 0, clen;
	size_t		 off = 8;
	unsigned	 ch;

	switch (ctype) {
	case PNG_COLOR_TYPE_GRAY:
	case PNG_COLOR_TYPE_PALETTE:
		ch = 1;
		break;
	case PNG_COLOR_TYPE_GRAY_ALPHA:
		ch = 2;
		break;
	case PNG_COLOR_TYPE_RGB:
		ch = 3;
		break;
	default:
		ch = 4;
		break;
	}
	bpp = (uint64_t)ch * (uint64_t)depth;
	/* w and h passed check_dims: these products cannot overflow. */
	rowbytes = ((uint64_t)w * bpp + 7) / 8;
	raw = (uint64_t)h * (rowbytes + 1);
	if (interlace != PNG_INTERLACE_NONE)
		raw += 7 * ((uint64_t)h + rowbytes + 8);
	while (len - off >= 12) {
		clen = (uint64_t)p[off] << 24 | (uint64_t)p[off + 1] << 16 |
		    (uint64_t)p[off + 2] << 8 | p[off + 3];
		if (memcmp(p + off + 4, "IDAT", 4) == 0)
			idat += clen;
		if (clen > len - off - 12)
			break;
		off += 12 + (size_t)clen;
	}
	return idat <= 2 * raw + 65536;
}

static enum img_err
decode_png(const unsigned char *data, size_t len, int64_t max_pixels,
    struct pr_image *out, char *reason, size_t reasonsz)
{
	png_structp volatile	 png = NULL;
	png_infop volatile	 info = NULL;
	uint8_t *volatile	 px = NULL;
	png_bytep *volatile	 rows = NULL;
	volatile enum img_err	 rc = IMG_ECORRUPT;
	struct pngsrc		 src;
	png_uint_32		 w, h, y;
	int			 depth, ctype, interlace;
	unsigned		 ch;
	size_t			 bytes, stride;

	src.p = data;
	src.len = len;
	src.off = 0;
	png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, png_err,
	    png_warn);
	if (png == NULL || (info = png_create_info_struct(png)) == NULL) {
		rc = IMG_ENOMEM;
		setreason(reason, reasonsz, "out of memory");
		goto err;
	}
	if (setjmp(png_jmpbuf(png))) {
		if (rc == IMG_ECORRUPT)
			setreason(reason, reasonsz,
			    "corrupt or truncated image");
		goto err;
	}
	png_set_read_fn(png, &src, png_read_mem);
	/* Our own limits apply below, with a better message. */
	png_set_user_limits(png, 0x7fffffffL, 0x7fffffffL);
	png_set_chunk_malloc_max(png, PNG_CHUNK_MAX);
	png_set_chunk_cache_max(png, 1000);
	/*
	 * Only IHDR, PLTE, tRNS, IDAT and IEND matter here: every other
	 * chunk is skipped unread (num_chunks -1: all ancillary chunks but
	 * tRNS).  Otherwise libpng allocates and zeroes whatever a text
	 * chunk's length claims, 1.5 GB for a 400-byte file, since a length
	 * over the chunk limit is only a benign error (a warning) when
	 * reading, and it inflates zTXt, iTXt and iCCP data we never use.
	 */
	png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
	png_read_info(png, info);
	png_get_IHDR(png, info, &w, &h, &depth, &ctype, &interlace, NULL,
	    NULL);
	/* Refuse a pixel bomb before libpng sizes its row buffers. */
	rc = check_dims(w, h, 4, max_pixels, &bytes, reason, reasonsz);
	if (rc != IMG_OK)
		goto err;
	if (!png_idat_plausible(data, len, w, h, depth, ctype, interlace)) {
		rc = IMG_ECORRUPT;
		setreason(reason, reasonsz,
		    "compressed data far larger than the image");
		goto err;
	}

	/* Everything to 8-bit grey, grey+alpha, RGB or RGBA. */
	if (depth == 16)
		png_set_scale_16(png);
	if (ctype == PNG_COLOR_TYPE_PALETTE)
		png_set_palette_to_rgb(png);
	if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8)
		png_set_expand_gray_1_2_4_to_8(png);
	if (png_get_valid(png, info, PNG_INFO_tRNS))
		png_set_tRNS_to_alpha(png);
	png_set_interlace_handling(png);
	png_read_update_info(png, info);
	ch = png_get_channels(png, info);
	if (ch < 1 || ch > 4 || png_get_bit_depth(png, info) != 8) {
		rc = IMG_EUNSUPPORTED;
		setreason(reason, reasonsz, "unsupported PNG variant");
		goto err;
	}
	rc = IMG_ECORRUPT;
	bytes = (size_t)w * h * ch;	/* checked above with 4 channels */
	stride = (size_t)w * ch;
	if (png_get_rowbytes(png, info) != stride)
		goto err;
	if ((px = malloc(bytes)) == NULL ||
	    (rows = calloc(h, sizeof(*rows))) == NULL) {
		rc = IMG_ENOMEM;
		setreason(reason, reasonsz, "out of memory");
		goto err;
	}
	for (y = 0; y < h; y++)
		rows[y] = px + (size_t)y * stride;
	png_read_image(png, rows);

	out->w = w;
	out->h = h;
	out->channels = ch;
	out->px = px;
	out->format = IMG_PNG;
	px = NULL;
	rc = IMG_OK;
err:
	if (png != NULL) {
		png_structp p = png;
		png_infop i = info;

		png_destroy_read_struct(&p, i != NULL ? &i : NULL, NULL);
	}
	free(rows);
	free(px);
	return rc;
}

/*
 * Decode JPEG or PNG bytes fully (see image.h).  On success out holds a
 * malloc'd pixel buffer the caller frees with img_free(); on failure out
 * is zeroed and reason says why in a few words.
 */
enum img_err
img_decode(const void *data, size_t len, int64_t max_pixels,
    struct pr_image *out, char *reason, size_t reasonsz)
{
	enum img_err rc;

	memset(out, 0, sizeof(*out));
	setreason(reason, reasonsz, "%s", "");
	if (data == NULL || len == 0) {
		setreason(reason, reasonsz, "empty file");
		return IMG_EEMPTY;
	}
	switch (img_sniff(data, len)) {
	case IMG_JPEG:
		rc = decode_jpeg(data, len, max_pixels, out, reason, reasonsz);
		break;
	case IMG_PNG:
		rc = decode_png(data, len, max_pixels, out, reason, reasonsz);
		break;
	default:
		setreason(reason, reasonsz, "not a JPEG or PNG image");
		return IMG_EFORMAT;
	}
	if (rc != IMG_OK)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* ------------------------------------------------------------- encoding */

static enum img_err
buferr(enum pr_err e)
{

	return e == PR_ETOOBIG ? IMG_ETOOBIG : IMG_ENOMEM;
}

/* Composite one pixel's colour over white: c*a/255 + 255*(255-a)/255. */
static inline uint8_t
over_white(unsigned c, unsigned a)
{

	return (uint8_t)((c * a + 255 * (255 - a) + 127) / 255);
}

#define JDEST_CHUNK	65536

struct jdest {
	struct jpeg_destination_mgr	 pub;
	struct buf			*out;
	enum pr_err			 err;
	JOCTET				 chunk[JDEST_CHUNK];
};

static void
jdest_init(j_compress_ptr ci)
{
	struct jdest *d = (struct jdest *)ci->dest;

	d->pub.next_output_byte = d->chunk;
	d->pub.free_in_buffer = JDEST_CHUNK;
}

static boolean
jdest_empty(j_compress_ptr ci)
{
	struct jdest *d = (struct jdest *)ci->dest;

	if ((d->err = buf_append(d->out, d->chunk, JDEST_CHUNK)) != PR_OK)
		ci->err->error_exit((j_common_ptr)ci);
	d->pub.next_output_byte = d->chunk;
	d->pub.free_in_buffer = JDEST_CHUNK;
	return TRUE;
}

static void
jdest_term(j_compress_ptr ci)
{
	struct jdest *d = (struct jdest *)ci->dest;
	size_t n = JDEST_CHUNK - d->pub.free_in_buffer;

	if ((d->err = buf_append(d->out, d->chunk, n)) != PR_OK)
		ci->err->error_exit((j_common_ptr)ci);
}

static enum img_err
encode_jpeg(const struct pr_image *im, int quality, struct buf *out)
{
	struct jpeg_compress_struct	 ci;
	struct jerr			 je;
	struct jdest *volatile		 dest = NULL;
	JSAMPLE *volatile		 row = NULL;
	volatile int			 created = 0;
	volatile enum img_err		 rc = IMG_ENOMEM;
	unsigned			 ch = im->channels, oc, x;
	size_t				 len0 = out->len;

	oc = ch <= 2 ? 1 : 3;
	memset(&ci, 0, sizeof(ci));
	ci.err = jpeg_std_error(&je.pub);
	je.pub.error_exit = jerr_exit;
	je.pub.output_message = jerr_silent;
	je.nomem = 0;
	je.pixels_done = 0;
	if ((dest = calloc(1, sizeof(*dest))) == NULL ||
	    (row = malloc((size_t)im->w * oc)) == NULL)
		goto err;
	dest->out = out;
	dest->err = PR_OK;
	if (setjmp(je.jb)) {
		rc = dest->err != PR_OK ? buferr(dest->err) : IMG_ENOMEM;
		out->len = len0;	/* drop a partial stream */
		if (out->data != NULL)
			out->data[len0] = '\0';
		goto err;
	}
	jpeg_create_compress(&ci);
	created = 1;
	dest->pub.init_destination = jdest_init;
	dest->pub.empty_output_buffer = jdest_empty;
	dest->pub.term_destination = jdest_term;
	ci.dest = &dest->pub;
	ci.image_width = im->w;
	ci.image_height = im->h;
	ci.input_components = (int)oc;
	ci.in_color_space = oc == 1 ? JCS_GRAYSCALE : JCS_RGB;
	jpeg_set_defaults(&ci);
	jpeg_set_quality(&ci, quality < 1 ? 1 : quality > 100 ? 100 : quality,
	    TRUE);
	ci.optimize_coding = TRUE;
	if (oc == 3 && quality >= 90) {
		/* 4:4:4 at high quality: restored detail is the point. */
		ci.comp_info[0].h_samp_factor = 1;
		ci.comp_info[0].v_samp_factor = 1;
	}
	jpeg_start_compress(&ci, TRUE);
	while (ci.next_scanline < ci.image_height) {
		const uint8_t *s = im->px +
		    (size_t)ci.next_scanline * im->w * ch;
		JSAMPROW rp;

		if (ch == 1 || ch == 3)
			rp = (JSAMPROW)(uintptr_t)s;	/* libjpeg API */
		else {
			for (x = 0; x < im->w; x++) {
				const uint8_t *p = s + (size_t)x * ch;
				unsigned a = p[ch - 1];

				if (ch == 2)
					row[x] = over_white(p[0], a);
				else {
					row[3 * x] = over_white(p[0], a);
					row[3 * x + 1] = over_white(p[1], a);
					row[3 * x + 2] = over_white(p[2], a);
				}
			}
			rp = row;
		}
		jpeg_write_scanlines(&ci, &rp, 1);
	}
	jpeg_finish_compress(&ci);
	rc = IMG_OK;
err:
	if (created)
		jpeg_destroy_compress(&ci);
	free(row);
	free(dest);
	return rc;
}

struct pngdst {
	struct buf	*out;
	enum pr_err	 err;
};

static void
png_write_mem(png_structp png, png_bytep p, png_size_t n)
{
	struct pngdst *d = png_get_io_ptr(png);

	if ((d->err = buf_append(d->out, p, n)) != PR_OK)
		png_error(png, "write");
}

static void
png_flush_mem(png_structp png)
{

	(void)png;
}

static enum img_err
encode_png(const struct pr_image *im, struct buf *out)
{
	png_structp volatile	 png = NULL;
	png_infop volatile	 info = NULL;
	volatile enum img_err	 rc = IMG_ENOMEM;
	struct pngdst		 dst;
	size_t			 len0 = out->len, stride;
	uint32_t		 y;
	volatile int		 ctype;

	dst.out = out;
	dst.err = PR_OK;
	switch (im->channels) {
	case 1: ctype = PNG_COLOR_TYPE_GRAY; break;
	case 2: ctype = PNG_COLOR_TYPE_GRAY_ALPHA; break;
	case 3: ctype = PNG_COLOR_TYPE_RGB; break;
	default: ctype = PNG_COLOR_TYPE_RGB_ALPHA; break;
	}
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, png_err,
	    png_warn);
	if (png == NULL || (info = png_create_info_struct(png)) == NULL)
		goto err;
	if (setjmp(png_jmpbuf(png))) {
		rc = dst.err != PR_OK ? buferr(dst.err) : IMG_ENOMEM;
		out->len = len0;
		if (out->data != NULL)
			out->data[len0] = '\0';
		goto err;
	}
	png_set_write_fn(png, &dst, png_write_mem, png_flush_mem);
	png_set_compression_level(png, 6);
	png_set_IHDR(png, info, im->w, im->h, 8, ctype, PNG_INTERLACE_NONE,
	    PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	stride = (size_t)im->w * im->channels;
	for (y = 0; y < im->h; y++)
		png_write_row(png, im->px + (size_t)y * stride);
	png_write_end(png, NULL);
	rc = IMG_OK;
err:
	if (png != NULL) {
		png_structp p = png;
		png_infop i = info;

		png_destroy_write_struct(&p, i != NULL ? &i : NULL);
	}
	return rc;
}

/*
 * Encode an image as JPEG (quality 1-100, 4:4:4 from 90 up; alpha is
 * composited onto white) or PNG (alpha kept), appending to out, which
 * the caller initialised with its maximum.  On failure out keeps its
 * previous contents; IMG_ETOOBIG means the maximum was reached.
 */
enum img_err
img_encode(const struct pr_image *im, enum img_format fmt, int quality,
    struct buf *out)
{

	if (im == NULL || im->px == NULL || im->w == 0 || im->h == 0 ||
	    im->channels < 1 || im->channels > 4 || out == NULL)
		return IMG_EPARAM;
	if (im->w > IMG_MAX_SIDE || im->h > IMG_MAX_SIDE)
		return IMG_ETOOBIG;
	if (fmt == IMG_JPEG) {
		if (im->w > JPEG_MAX_DIMENSION || im->h > JPEG_MAX_DIMENSION)
			return IMG_ETOOBIG;
		return encode_jpeg(im, quality, out);
	}
	if (fmt == IMG_PNG)
		return encode_png(im, out);
	return IMG_EPARAM;
}
