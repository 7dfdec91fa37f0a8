/*
 * pipeline: open, shrink on load, to sRGB, blur and resize, crop, flatten,
 * orient, save (see pipeline.h).
 *
 * Every intermediate image hangs off a VipsObject (the "local array" idiom
 * of libvips' own thumbnail.c): each stage takes an array of its own from
 * it, so a failing stage is a bare return -1 and one unref frees them all.
 */
#include "pipeline.h"

#include <errno.h>  /* errno, EINTR */
#include <malloc.h> /* mallopt, M_* */
#include <stdio.h>  /* snprintf */
#include <string.h> /* strerror, strcmp, memcmp */
#include <unistd.h> /* pread, lseek */

#include "format.h"   /* format_of_suffix, format_saver_suffix */
#include "geometry.h" /* geometry_fit, geometry_cover, geometry_load_shrink */
#include "icc.h"      /* icc_is_srgb */
#include "resample.h"
#include "xio.h"      /* now_ns */

/*
 * --exact computes the blur in strips of this many rows. The resampler asks
 * for a few rows at a time; without a cache between them each small
 * request redoes the blur's horizontal pass on every row the vertical
 * mask spans (measured: 15 s instead of 0.3 s for sigma 30 on 1.4 MP).
 */
#define BLUR_STRIP 128

/* The fused pass pulls the decoded image in strips of this many rows. */
#define PULL_STRIP 64

struct pipeline {
	const struct thumb_opts *o;
	GMutex *lock;        /* see pipeline_new(), or NULL */
	GHashTable *formats; /* output suffix -> saver option string */
};

void
pipeline_init_process(bool alone)
{
	/* One thread per process: N workers use N cores, and fork stays
	   safe. No operation cache: every image is seen once. */
	vips_concurrency_set(1);
	vips_cache_set_max(0);
	if (!alone)
		return;
	/* libvips' helper threads would each get a malloc arena of their
	   own; one arena keeps a long-lived worker's memory flat (measured
	   on the 39 corpus photos at box 256 with one worker: peak RSS
	   220 MB with glibc's default arenas, 147-159 MB with one, at the
	   same speed). Giving freed memory back to the system was measured
	   too and left out: malloc_trim() after every image, peak 113 MB
	   but 3% slower on photos and 15% on small files; a fixed 1 MB
	   mmap threshold, peak 125 MB and 3-4% slower on photos.
	   The other way pays: glibc's sliding thresholds hand each image's
	   buffers back and fault them in again for the next, about 110
	   page faults per small JPEG. Fixed at the sliding threshold's own
	   ceiling (32 MB, trimming above 128 MB), 1,000 small JPEGs took
	   2,900 faults instead of 25,000-113,000 and 0.89x the time, the
	   corpus photos 0.89x too; a worker holds 90 MiB instead of 67,
	   peak 149 MiB instead of 131 (8 MB / 32 MB: 36 MiB, but twice
	   the faults on photos). mallopt() fails only on a bad value: the
	   result is advice, not checked. */
	(void)mallopt(M_ARENA_MAX, 1);
	(void)mallopt(M_MMAP_THRESHOLD, 32 << 20);
	(void)mallopt(M_TRIM_THRESHOLD, 128 << 20);
}

struct pipeline *
pipeline_new(const struct thumb_opts *o, GMutex *lock)
{
	struct pipeline *p = g_new0(struct pipeline, 1);

	p->o = o;
	p->lock = lock;
	p->formats = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	    g_free);
	return p;
}

void
pipeline_free(struct pipeline *p)
{
	if (p == NULL)
		return;
	g_hash_table_unref(p->formats);
	g_free(p);
}

int
pipeline_blank_png(void **buf, size_t *len)
{
	VipsImage *dot = NULL;
	int rc;

	*buf = NULL;
	rc = vips_black(&dot, 1, 1, "bands", 4, NULL) ||
	    vips_pngsave_buffer(dot, buf, len, "strip", TRUE, NULL) ? -1 : 0;
	if (dot != NULL)
		g_object_unref(dot);
	return rc;
}

bool
pipeline_can_save(const char *suffix)
{
	const char *saver;

	if (*suffix == '\0')
		return false;
	saver = vips_foreign_find_save_target(format_saver_suffix(suffix));
	if (saver == NULL)
		vips_error_clear();
	return saver != NULL;
}

/* The saver's option string for a suffix: strip metadata, quality. */
static char *
make_save_format(const struct thumb_opts *o, const char *suffix)
{
	const struct format *f = format_of_suffix(suffix);
	const char *base = format_saver_suffix(suffix);
	const char *saver = vips_foreign_find_save_target(base);
	bool has_q = false;
	GString *spec;

	if (saver != NULL && o->quality > 0) {
		GObjectClass *class = g_type_class_ref(g_type_from_name(saver));

		has_q = g_object_class_find_property(class, "Q") != NULL;
		g_type_class_unref(class);
	}
	spec = g_string_new(base);
	/* --keep-profile alone: the pipeline drops the other metadata,
	   since libvips' strip takes the profile too. */
	g_string_append(spec, o->keep_metadata || o->keep_profile ?
	    "[strip=false" : "[strip");
	if (has_q)
		g_string_append_printf(spec, ",Q=%d", o->quality);
	if (f != NULL && f->save_options != NULL)
		g_string_append_printf(spec, ",%s", f->save_options);
	g_string_append_c(spec, ']');
	return g_string_free(spec, FALSE);
}

/*
 * The option string for a suffix, worked out once per worker: finding the
 * saver walks libvips' classes, which is no work for every image.
 */
static const char *
save_format(struct pipeline *p, const char *suffix)
{
	char *spec = g_hash_table_lookup(p->formats, suffix);

	if (spec == NULL) {
		spec = make_save_format(p->o, suffix);
		g_hash_table_insert(p->formats, g_strdup(suffix), spec);
	}
	return spec;
}

/* How the decoder may shrink while it decodes. */
enum load_shrink { LOAD_WHOLE, LOAD_JPEG_SHRINK, LOAD_WEBP_SCALE };

/* The formats most files are, by their first bytes. */
enum magic { MAGIC_OTHER, MAGIC_JPEG, MAGIC_PNG, MAGIC_WEBP };

static enum magic
magic_of(const unsigned char *b, size_t n)
{
	if (n >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff)
		return MAGIC_JPEG;
	if (n >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0)
		return MAGIC_PNG;
	if (n >= 12 && memcmp(b, "RIFF", 4) == 0 &&
	    memcmp(b + 8, "WEBP", 4) == 0)
		return MAGIC_WEBP;
	return MAGIC_OTHER;
}

/* A loaded image or NULL, from a libvips load call's status. */
#define LOADED(call) ((call) == 0 ? img : NULL)

/*
 * A libvips source reading the file open at fd from its start. It holds a
 * duplicate of fd, which shares fd's offset: each new source is made only
 * once the one before has read all it will (a header).
 */
static VipsSource *
source_at_start(int fd)
{
	if (lseek(fd, 0, SEEK_SET) != 0) {
		vips_error("pthumb", "cannot read: %s", strerror(errno));
		return NULL;
	}
	return vips_source_new_from_descriptor(fd);
}

/*
 * The first open of a file: JPEG, PNG and WebP are decoded through the
 * descriptor the run opened (src->fd), so the file decoded is the one
 * whose identity the record keeps, and each by its own loader: libvips by
 * itself asks each loader in turn, which opened a small JPEG some fifteen
 * times.
 */
static VipsImage *
open_file(const struct thumb_src *src, VipsFailOn fail_on)
{
	const VipsAccess seq = VIPS_ACCESS_SEQUENTIAL;
	unsigned char b[12];
	VipsSource *source;
	VipsImage *img = NULL;
	enum magic m = MAGIC_OTHER;
	ssize_t n = 0;

	if (src->fd >= 0) {
		do
			n = pread(src->fd, b, sizeof(b), 0);
		while (n < 0 && errno == EINTR);
	}
	/* Other formats, and files that cannot be opened, as libvips finds
	   them by name: its sniffing of a source shorter than it asks for
	   reads bytes it never filled (valgrind, libvips 8.14), and by name
	   it says what went wrong as it always has. */
	if (src->fd < 0 || n <= 0 ||
	    (m = magic_of(b, (size_t)n)) == MAGIC_OTHER)
		return vips_image_new_from_file(src->path, "access", seq,
		    "fail_on", fail_on, NULL);
	if ((source = source_at_start(src->fd)) == NULL)
		return NULL;
	switch (m) {
	case MAGIC_JPEG:
		img = LOADED(vips_jpegload_source(source, &img, "access", seq,
		    "fail_on", fail_on, NULL));
		break;
	case MAGIC_PNG:
		img = LOADED(vips_pngload_source(source, &img, "access", seq,
		    "fail_on", fail_on, NULL));
		break;
	default:
		img = LOADED(vips_webpload_source(source, &img, "access", seq,
		    "fail_on", fail_on, NULL));
		break;
	}
	g_object_unref(source);
	return img;
}

/* The first open of bytes in memory, as open_file() does a file. */
static VipsImage *
open_buffer(const struct thumb_src *src, VipsFailOn fail_on)
{
	const VipsAccess seq = VIPS_ACCESS_SEQUENTIAL;
	void *data = (void *)src->data;
	VipsImage *img = NULL;

	switch (magic_of(data, src->len)) {
	case MAGIC_JPEG:
		return LOADED(vips_jpegload_buffer(data, src->len, &img,
		    "access", seq, "fail_on", fail_on, NULL));
	case MAGIC_PNG:
		return LOADED(vips_pngload_buffer(data, src->len, &img,
		    "access", seq, "fail_on", fail_on, NULL));
	case MAGIC_WEBP:
		return LOADED(vips_webpload_buffer(data, src->len, &img,
		    "access", seq, "fail_on", fail_on, NULL));
	default:
		return vips_image_new_from_buffer(data, src->len, "",
		    "access", seq, "fail_on", fail_on, NULL);
	}
}

/* Open the source, a file or bytes in memory, for one sequential pass. */
static VipsImage *
open_source(const struct thumb_src *src, VipsFailOn fail_on,
    enum load_shrink how, int shrink)
{
	const VipsAccess seq = VIPS_ACCESS_SEQUENTIAL;
	void *data = (void *)src->data;
	VipsImage *img = NULL;
	int rc;

	VipsSource *source = NULL;

	if (how == LOAD_WHOLE && src->path != NULL)
		return open_file(src, fail_on);
	if (how == LOAD_WHOLE)
		return open_buffer(src, fail_on);
	/* Only JPEG and WebP, found by open_file() through src->fd. */
	if (src->path != NULL && (source = source_at_start(src->fd)) == NULL)
		return NULL;
	if (how == LOAD_JPEG_SHRINK && source != NULL)
		rc = vips_jpegload_source(source, &img, "access", seq,
		    "fail_on", fail_on, "shrink", shrink, NULL);
	else if (how == LOAD_JPEG_SHRINK)
		rc = vips_jpegload_buffer(data, src->len, &img, "access", seq,
		    "fail_on", fail_on, "shrink", shrink, NULL);
	else if (source != NULL)
		rc = vips_webpload_source(source, &img, "access", seq,
		    "fail_on", fail_on, "scale", 1.0 / shrink, NULL);
	else
		rc = vips_webpload_buffer(data, src->len, &img, "access", seq,
		    "fail_on", fail_on, "scale", 1.0 / shrink, NULL);
	if (source != NULL)
		g_object_unref(source);
	return rc == 0 ? img : NULL;
}

/*
 * Does in carry a profile that converting from would change? An sRGB
 * profile would not (icc.h): it is left alone, which spares building a
 * colour transform (about 6 ms).
 */
static bool
has_profile_to_apply(VipsImage *in)
{
	const void *data;
	size_t len;

	if (vips_image_get_typeof(in, VIPS_META_ICC_NAME) == 0)
		return false;
	if (vips_image_get_blob(in, VIPS_META_ICC_NAME, &data, &len) != 0) {
		vips_error_clear();
		return true;
	}
	return !icc_is_srgb(data, len);
}

/*
 * Into 8-bit sRGB, or 8-bit grey: an embedded ICC profile is honoured, and
 * CMYK without one gets libvips' CMYK profile (unless --keep-profile);
 * 16-bit and float pixels are scaled to 8 bits. Alpha stays.
 */
static int
to_srgb(const struct thumb_opts *o, VipsImage *in, VipsImage **out)
{
	VipsInterpretation it = vips_image_guess_interpretation(in);
	bool profile = has_profile_to_apply(in);

	if (!o->keep_profile && (profile || it == VIPS_INTERPRETATION_CMYK))
		return vips_icc_transform(in, out, "srgb", "embedded", TRUE,
		    "input_profile", it == VIPS_INTERPRETATION_CMYK ? "cmyk"
		    : "srgb", NULL);
	if (in->BandFmt != VIPS_FORMAT_UCHAR)
		return vips_colourspace(in, out, it == VIPS_INTERPRETATION_B_W
		    || it == VIPS_INTERPRETATION_GREY16 ?
		    VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB, NULL);
	*out = in;
	g_object_ref(in);
	return 0;
}

/* The crop box for a wbox x hbox box on an image already resized to
   cover it: no larger than the image (thumbnails never enlarge). */
static int
crop(const struct thumb_opts *o, VipsImage *in, int bw, int bh,
    VipsImage **x)
{
	int cw = MIN(bw, in->Xsize), ch = MIN(bh, in->Ysize);

	if (cw == in->Xsize && ch == in->Ysize) {
		x[0] = in;
		g_object_ref(in);
		return 0;
	}
	if (o->crop == CROP_CENTRE)
		return vips_extract_area(in, &x[0], (in->Xsize - cw) / 2,
		    (in->Ysize - ch) / 2, cw, ch, NULL);
	/* smartcrop looks at the whole (small) image first. */
	if ((x[1] = vips_image_copy_memory(in)) == NULL)
		return -1;
	return vips_smartcrop(x[1], &x[0], cw, ch, "interesting",
	    o->crop == CROP_ATTENTION ? VIPS_INTERESTING_ATTENTION
	    : VIPS_INTERESTING_ENTROPY, NULL);
}

/* --keep-profile without --keep-metadata: all but the profile goes. */
static int
drop_metadata(VipsImage *in, VipsImage **out)
{
	gchar **fields;

	if (vips_copy(in, out, NULL))
		return -1;
	fields = vips_image_get_fields(*out);
	for (gchar **f = fields; *f != NULL; f++)
		if (g_str_has_prefix(*f, "exif-") ||
		    g_str_has_prefix(*f, "xmp-") ||
		    g_str_has_prefix(*f, "iptc-") ||
		    g_str_has_prefix(*f, "png-comment-") ||
		    strcmp(*f, "gif-comment") == 0)
			vips_image_remove(*out, *f);
	g_strfreev(fields);
	return 0;
}

/* Does this saver option string (".jpg[strip]") name a format without
   alpha? */
static bool
lacks_alpha(const char *format)
{
	char *suffix = g_strndup(format, strcspn(format, "["));
	const struct format *f = format_of_suffix(suffix);

	g_free(suffix);
	return f != NULL && f->flat;
}

/* The size a w x h image takes in a box, as --crop asks. */
static void
box_size(const struct thumb_opts *o, int w, int h, int bw, int bh, int *tw,
    int *th)
{
	if (o->crop == CROP_NONE)
		geometry_fit(w, h, bw, bh, tw, th);
	else
		geometry_cover(w, h, bw, bh, tw, th);
}

int
pipeline_load(struct pipeline *p, VipsObject *ctx,
    const struct thumb_src *src, VipsFailOn fail_on,
    const struct thumb_box *boxes, int nboxes, struct pipeline_image *l,
    struct result *r)
{
	const struct thumb_opts *o = p->o;
	VipsImage **x = (VipsImage **)vips_object_local_array(ctx, 6);
	VipsImage *img;
	const char *loader = NULL;
	int box_shrink;
	long long start = now_ns();

	x[0] = open_source(src, fail_on, LOAD_WHOLE, 1);
	if (x[0] == NULL)
		return -1;
	img = x[0];
	l->orient = vips_image_get_orientation(img);
	l->swap = vips_image_get_orientation_swap(img);
	l->w = l->swap ? img->Ysize : img->Xsize;
	l->h = l->swap ? img->Xsize : img->Ysize;
	r->width = l->w;
	r->height = l->h;
	/* Before any pixel is decoded: a small file can claim a huge image. */
	if ((long long)l->w * l->h > o->max_pixels) {
		snprintf(r->error, sizeof(r->error), "image is %dx%d, over "
		    "--max-pixels %lld", l->w, l->h, o->max_pixels);
		return PIPELINE_REFUSED;
	}
	l->shrink = 8;
	for (int i = 0; i < nboxes; i++) {
		int tw, th;

		box_size(o, l->w, l->h, boxes[i].width, boxes[i].height, &tw,
		    &th);
		l->shrink = MIN(l->shrink, o->exact ? 1 :
		    geometry_load_shrink(l->w, l->h, (double)l->w / tw));
	}
	if (vips_image_get_string(img, VIPS_META_LOADER, &loader) != 0)
		loader = "";
	/* JPEG and WebP decoders can shrink as they decode: open again
	   asking them to. Other formats are decoded whole and box-shrunk
	   below, which spares the blur and the resampler most pixels. */
	box_shrink = l->shrink;
	if (l->shrink > 1 && g_str_has_prefix(loader, "jpegload")) {
		x[1] = open_source(src, fail_on, LOAD_JPEG_SHRINK, l->shrink);
		box_shrink = 1;
	} else if (l->shrink > 1 && g_str_has_prefix(loader, "webpload")) {
		x[1] = open_source(src, fail_on, LOAD_WEBP_SCALE, l->shrink);
		box_shrink = 1;
	}
	if (l->shrink > 1 && box_shrink == 1) {
		if (x[1] == NULL)
			return -1;
		img = x[1];
	}
	l->opened = now_ns();
	r->usec_open += (l->opened - start) / 1000;

	if (to_srgb(o, img, &x[2]))
		return -1;
	img = x[2];
	/* Blur and resample colour with alpha premultiplied, so fully
	   transparent pixels do not bleed their colour into the edges. */
	l->alpha = vips_image_hasalpha(img);
	l->band_format = img->BandFmt;
	if (l->alpha) {
		if (vips_premultiply(img, &x[3], NULL))
			return -1;
		img = x[3];
	}
	if (box_shrink > 1) {
		if (vips_shrink(img, &x[4], box_shrink, box_shrink, NULL))
			return -1;
		img = x[4];
	}
	l->img = img;
	return 0;
}

/*
 * --exact: the literal pipeline in libvips, for comparison. The same
 * Gaussian as the fused pass (resample.h) at float precision, over the
 * whole decoded image, then libvips' resize; 8-bit images are rounded
 * back to 8 bits.
 */
static int
resize_exact(const struct pipeline_image *l, VipsImage *in, double sigma, int sw,
    int sh, VipsImage **x)
{
	VipsImage *img = in;

	if (sigma > 0) {
		if (vips_gaussblur(img, &x[0], sigma, "min_ampl",
		    RESAMPLE_GAUSS_MIN, "precision", VIPS_PRECISION_FLOAT,
		    NULL) ||
		    vips_linecache(x[0], &x[1], "tile_height", BLUR_STRIP,
		    "access", VIPS_ACCESS_SEQUENTIAL, NULL))
			return -1;
		img = x[1];
	}
	if (img->Xsize != sw || img->Ysize != sh) {
		if (vips_resize(img, &x[2], (double)sw / img->Xsize, "vscale",
		    (double)sh / img->Ysize, "gap", 0.0, NULL))
			return -1;
		img = x[2];
	}
	if (img->BandFmt != in->BandFmt && !l->alpha) {
		if (vips_round(img, &x[3], VIPS_OPERATION_ROUND_RINT, NULL) ||
		    vips_cast(x[3], &x[4], in->BandFmt, NULL))
			return -1;
		img = x[4];
	}
	x[5] = img;
	g_object_ref(img);
	return 0;
}

static enum resample_format
resample_format(VipsBandFormat f)
{
	return f == VIPS_FORMAT_UCHAR ? RESAMPLE_U8 : f == VIPS_FORMAT_USHORT ?
	    RESAMPLE_U16 : RESAMPLE_FLOAT;
}

/*
 * The fused blur and resize (resample.h) of in into a new memory image of
 * sw x sh with in's header, pulling the decoded pixels strip by strip:
 * the decode runs here too. span_w x span_h is the part of in that is
 * the source (a decoder that shrinks rounds its size up).
 */
static int
resize_fused(GMutex *lock, VipsImage *in, double span_w, double span_h,
    double sigma, int sw, int sh, VipsImage **x, struct result *r)
{
	struct resample_spec spec = {
		.in_w = in->Xsize, .in_h = in->Ysize,
		.span_w = MIN(span_w, in->Xsize),
		.span_h = MIN(span_h, in->Ysize),
		.out_w = sw, .out_h = sh, .bands = in->Bands, .sigma = sigma,
	};
	struct resample *rs = NULL;
	VipsRegion *region = NULL;
	long long spent = 0;
	int rc = -1;

	if (in->BandFmt != VIPS_FORMAT_UCHAR &&
	    in->BandFmt != VIPS_FORMAT_USHORT &&
	    in->BandFmt != VIPS_FORMAT_FLOAT) {
		if (vips_cast(in, &x[0], VIPS_FORMAT_FLOAT, NULL))
			return -1;
		in = x[0];
	}
	spec.format = resample_format(in->BandFmt);
	/* The result takes in's header and metadata, at its new size. */
	x[1] = vips_image_new_memory();
	if (vips_image_pipelinev(x[1], VIPS_DEMAND_STYLE_THINSTRIP, in, NULL))
		return -1;
	x[1]->Xsize = sw;
	x[1]->Ysize = sh;
	x[1]->Xres = in->Xres * sw / spec.span_w;
	x[1]->Yres = in->Yres * sh / spec.span_h;
	if (vips_image_write_prepare(x[1]))
		return -1;
	rs = resample_new(&spec, VIPS_IMAGE_ADDR(x[1], 0, 0),
	    VIPS_IMAGE_SIZEOF_LINE(x[1]));
	if (rs == NULL) {
		vips_error("pthumb", "cannot resample %dx%d to %dx%d: %s",
		    in->Xsize, in->Ysize, sw, sh, strerror(errno));
		return -1;
	}
	region = vips_region_new(in);
	/* The pixels are computed here: in parallel (see pipeline.h). */
	if (lock != NULL)
		g_mutex_unlock(lock);
	for (int y = 0; y < in->Ysize; y += PULL_STRIP) {
		VipsRect strip = {0, y, in->Xsize, MIN(PULL_STRIP,
		    in->Ysize - y)};
		long long start;

		if (vips_region_prepare(region, &strip))
			break;
		start = now_ns();
		resample_push(rs, VIPS_REGION_ADDR(region, 0, y),
		    VIPS_REGION_LSKIP(region), strip.height);
		spent += now_ns() - start;
		if (y + strip.height == in->Ysize)
			rc = 0;
	}
	if (lock != NULL)
		g_mutex_lock(lock);
	r->usec_resample += spent / 1000;
	g_object_unref(region);
	resample_free(rs);
	return rc;
}

/*
 * The stages after loading. Each takes *img and leaves its result there;
 * its images belong to ctx (a local array of its own), so a failing stage
 * is a bare -1 with libvips' error.
 */

/* Blur and resize into the bw x bh box: the fused pass, or --exact's
   literal one. */
static int
resize(struct pipeline *p, VipsObject *ctx, const struct pipeline_image *l,
    int bw, int bh, VipsImage **img, struct result *r)
{
	VipsImage **x = (VipsImage **)vips_object_local_array(ctx, 6);
	VipsImage *in = *img;
	int tw, th, sw, sh;
	/* The blur is defined in source pixels; the image has been shrunk
	   by `shrink` (by the decoder or by a box filter). */
	double sigma = p->o->blur / l->shrink;
	/* Each decoded pixel stands for shrink source pixels. */
	double span_w = (double)(l->swap ? l->h : l->w) / l->shrink;
	double span_h = (double)(l->swap ? l->w : l->h) / l->shrink;

	box_size(p->o, l->w, l->h, bw, bh, &tw, &th);
	sw = l->swap ? th : tw;
	sh = l->swap ? tw : th;
	/* The fused pass takes up to four bands; an image of more (a
	   multispectral TIFF) goes the literal way. */
	if (p->o->exact || in->Bands > 4) {
		if (resize_exact(l, in, sigma, sw, sh, x))
			return -1;
		*img = x[5];
	} else if (sigma > 0 || in->Xsize != sw || in->Ysize != sh) {
		if (resize_fused(p->lock, in, span_w, span_h, sigma, sw, sh, x,
		    r))
			return -1;
		*img = x[1];
	}
	return 0;
}

/* Alpha back from premultiplied, in the loaded image's band format. */
static int
unpremultiply(VipsObject *ctx, const struct pipeline_image *l,
    VipsImage **img)
{
	VipsImage **x = (VipsImage **)vips_object_local_array(ctx, 2);

	if (!l->alpha)
		return 0;
	if (vips_unpremultiply(*img, &x[0], NULL) ||
	    vips_cast(x[0], &x[1], l->band_format, NULL))
		return -1;
	*img = x[1];
	return 0;
}

/* --crop, --smartcrop: cut to the box (turned as the source is). */
static int
cut_to_box(const struct thumb_opts *o, VipsObject *ctx,
    const struct pipeline_image *l, int bw, int bh, VipsImage **img)
{
	VipsImage **x = (VipsImage **)vips_object_local_array(ctx, 2);

	if (o->crop == CROP_NONE)
		return 0;
	if (crop(o, *img, l->swap ? bh : bw, l->swap ? bw : bh, x))
		return -1;
	*img = x[0];
	return 0;
}

/* A format without alpha (JPEG): flatten onto --background, not black. */
static int
flatten(const struct thumb_opts *o, VipsObject *ctx,
    const struct pipeline_image *l, const char *format, VipsImage **img)
{
	VipsImage **x = (VipsImage **)vips_object_local_array(ctx, 1);
	double grey = (o->background[0] + o->background[1] +
	    o->background[2]) / 3;
	VipsArrayDouble *bg;
	int rc;

	if (!l->alpha || !lacks_alpha(format))
		return 0;
	bg = (*img)->Bands > 2 ? vips_array_double_new(o->background, 3) :
	    vips_array_double_new(&grey, 1);
	rc = vips_flatten(*img, &x[0], "background", bg, NULL);
	vips_area_unref(VIPS_AREA(bg));
	if (rc)
		return -1;
	*img = x[0];
	return 0;
}

/* --keep-profile without --keep-metadata: all but the profile goes. */
static int
keep_profile_only(const struct thumb_opts *o, VipsObject *ctx,
    VipsImage **img)
{
	VipsImage **x = (VipsImage **)vips_object_local_array(ctx, 1);

	if (!o->keep_profile || o->keep_metadata)
		return 0;
	if (drop_metadata(*img, &x[0]))
		return -1;
	*img = x[0];
	return 0;
}

/* Upright, as the EXIF orientation says. */
static int
orient(VipsObject *ctx, const struct pipeline_image *l, VipsImage **img)
{
	VipsImage **x = (VipsImage **)vips_object_local_array(ctx, 2);

	if (l->orient <= 1)
		return 0;
	/* Rotation reads out of order: turn the small result into a memory
	   image first, so the sequential decode is done. */
	if (!(x[0] = vips_image_copy_memory(*img)) ||
	    vips_autorot(x[0], &x[1], NULL))
		return -1;
	*img = x[1];
	return 0;
}

/* Encode img in `format` (a saver's option string) into target. */
static int
save(struct pipeline *p, VipsImage *img, const char *format,
    VipsTarget *target)
{
	int rc;

	/* The pixels are computed here: in parallel (see pipeline.h). */
	if (p->lock != NULL)
		g_mutex_unlock(p->lock);
	rc = vips_image_write_to_target(img, format, target, NULL);
	if (p->lock != NULL)
		g_mutex_lock(p->lock);
	return rc == 0 ? vips_target_end(target) : rc;
}

int
pipeline_save(struct pipeline *p, const struct pipeline_image *l, int bw,
    int bh, const char *suffix, VipsBlob **blob, struct result *r)
{
	VipsObject *ctx = VIPS_OBJECT(vips_image_new());
	const char *format = save_format(p, suffix);
	const struct thumb_opts *o = p->o;
	VipsTarget *target = vips_target_new_to_memory();
	long long start = now_ns(), resampled = r->usec_resample;
	VipsImage *img = l->img;
	int rc;

	*blob = NULL;
	rc = resize(p, ctx, l, bw, bh, &img, r) ||
	    unpremultiply(ctx, l, &img) ||
	    cut_to_box(o, ctx, l, bw, bh, &img) ||
	    flatten(o, ctx, l, format, &img) ||
	    keep_profile_only(o, ctx, &img) || orient(ctx, l, &img) ? -1 : 0;
	if (rc == 0 && r->out_width == 0) {
		r->out_width = img->Xsize;
		r->out_height = img->Ysize;
	}
	if (rc == 0 && (rc = save(p, img, format, target)) == 0)
		g_object_get(target, "blob", blob, NULL);
	/* The decode runs lazily in here too, the first time; the resample
	   has a column of its own. */
	r->usec_pixels += (now_ns() - MAX(start, l->opened)) / 1000 -
	    (r->usec_resample - resampled);
	g_object_unref(target);
	g_object_unref(ctx);
	return rc;
}

int
pipeline_decode(VipsObject *ctx, struct pipeline_image *img,
    struct result *r)
{
	long long start = now_ns();
	VipsImage *mem = vips_image_copy_memory(img->img);

	if (mem == NULL)
		return -1;
	vips_object_local(ctx, mem);
	r->usec_pixels += (now_ns() - start) / 1000;
	img->img = mem;
	img->opened = 0;
	return 0;
}

int
pipeline_make(struct pipeline *p, const struct thumb_src *src,
    VipsFailOn fail_on, int bw, int bh, const char *suffix, VipsBlob **blob,
    struct result *r)
{
	const struct thumb_box box = {.width = bw, .height = bh};
	VipsObject *ctx = VIPS_OBJECT(vips_image_new());
	struct pipeline_image l;
	int rc = pipeline_load(p, ctx, src, fail_on, &box, 1, &l, r);

	*blob = NULL;
	if (rc == 0)
		rc = pipeline_save(p, &l, bw, bh, suffix, blob, r);
	g_object_unref(ctx);
	return rc;
}
