/*
 * thumb: shrink-on-load, scaled blur, resize, save (see thumb.h).
 *
 * Every intermediate image hangs off one VipsObject per attempt (the
 * "local array" idiom of libvips' own thumbnail.c), so each failing step
 * is a bare return -1 and the caller's unref frees them all.
 */
#include "thumb.h"

#include <errno.h>  /* errno */
#include <fcntl.h>  /* open, O_RDONLY, O_CLOEXEC */
#include <malloc.h> /* mallopt, M_ARENA_MAX */
#include <math.h>   /* lround */
#include <stdio.h>  /* fprintf, snprintf */
#include <string.h> /* strerror, memset */
#include <unistd.h> /* close, unlink */

#include <vips/vips.h>

#include "cause.h"  /* cause_shape */
#include "fault.h"
#include "format.h"
#include "freedesktop.h"
#include "geometry.h"
#include "icc.h"    /* icc_is_srgb */
#include "output.h" /* output_create_tmp, output_commit, output_suffix */
#include "record.h" /* record_embed, record_set_xattr */
#include "resample.h"
#include "xio.h"    /* now_ns, write_full */

/*
 * --exact computes the blur in strips of this many rows. The resampler asks
 * for a few rows at a time; without a cache between them each small
 * request redoes the blur's horizontal pass on every row the vertical
 * mask spans (measured: 15 s instead of 0.3 s for sigma 30 on 1.4 MP).
 */
#define BLUR_STRIP 128

/* The fused pass pulls the decoded image in strips of this many rows. */
#define PULL_STRIP 64

/*
 * --mode threads: libvips' vector code (Orc) is compiled as operations are
 * built and freed as they are unreffed, and two threads doing that at once
 * were seen to crash in orc_code_free() (under AddressSanitizer, once in a
 * few runs). So a thread holds this lock for all its libvips work except
 * computing the pixels, which runs in parallel. It also keeps libvips'
 * error buffer to one thread at a time, except for errors raised while
 * the pixels are computed.
 */
static GMutex shared_lock;

struct thumb {
	const struct thumb_opts *o;
	enum thumb_home home;
	GMutex *lock;       /* &shared_lock in a shared process, or NULL */
	GString *log;       /* messages libvips logged for this image */
	GString *notes;     /* pthumb's own remarks on it */
	guint log_handler;
	GHashTable *formats; /* output suffix -> saver option string */
	struct output_dir out; /* the last output folder written into */
};

/* How an attempt ended: written, or failed on the image, refused before
   decoding, or failed writing. */
enum attempt { ATTEMPT_OK, ATTEMPT_IMAGE, ATTEMPT_REFUSED, ATTEMPT_IO };

/* libvips' level for each policy that is a single attempt. */
static const VipsFailOn fail_on_level[] = {
	/* First of two attempts: any complaint of the decoder means damage
	   (metadata quirks are logged, not decoder failures). */
	[DAMAGE_WARN] = VIPS_FAIL_ON_WARNING,
	[DAMAGE_FAIL_NONE] = VIPS_FAIL_ON_NONE,
	[DAMAGE_FAIL_TRUNCATED] = VIPS_FAIL_ON_TRUNCATED,
	[DAMAGE_FAIL_ERROR] = VIPS_FAIL_ON_ERROR,
	[DAMAGE_FAIL_WARNING] = VIPS_FAIL_ON_WARNING,
};

static void
capture_log(const gchar *domain, GLogLevelFlags level, const gchar *message,
    gpointer data)
{
	struct thumb *t = data;

	(void)domain;
	if (level & (G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG))
		return;
	/* Decoders repeat themselves ("not enough data" per row): keep
	   each message once, and no more than the result can carry. */
	if (t->log->len >= RESULT_WARNINGS_MAX || strstr(t->log->str, message))
		return;
	if (t->log->len > 0)
		g_string_append(t->log, "; ");
	g_string_append(t->log, message);
	while (t->log->len > 0 && g_ascii_isspace(t->log->str[t->log->len - 1]))
		g_string_truncate(t->log, t->log->len - 1);
}

struct thumb *
thumb_new(const struct thumb_opts *o, enum thumb_home home)
{
	struct thumb *t = g_new0(struct thumb, 1);
	const GLogLevelFlags all = G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL |
	    G_LOG_FLAG_RECURSION;

	t->o = o;
	t->home = home;
	t->lock = home == THUMB_SHARED_PROCESS ? &shared_lock : NULL;
	t->log = g_string_new(NULL);
	t->notes = g_string_new(NULL);
	t->formats = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	    g_free);
	t->out.fd = -1;
	/* One thread per process: N workers use N cores, and fork stays
	   safe. No operation cache: every image is seen once. */
	vips_concurrency_set(1);
	vips_cache_set_max(0);
	if (home == THUMB_SHARED_PROCESS)
		return t;
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
	t->log_handler = g_log_set_handler("VIPS", all, capture_log, t);
	g_log_set_default_handler(capture_log, t);
	return t;
}

void
thumb_free(struct thumb *t)
{
	if (t == NULL)
		return;
	if (t->home == THUMB_OWN_PROCESS) {
		g_log_remove_handler("VIPS", t->log_handler);
		g_log_set_default_handler(g_log_default_handler, NULL);
	}
	g_string_free(t->log, TRUE);
	g_string_free(t->notes, TRUE);
	g_hash_table_unref(t->formats);
	output_dir_close(&t->out);
	g_free(t);
}

bool
thumb_can_save(const char *suffix)
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
save_format(struct thumb *t, const char *suffix)
{
	char *spec = g_hash_table_lookup(t->formats, suffix);

	if (spec == NULL) {
		spec = make_save_format(t->o, suffix);
		g_hash_table_insert(t->formats, g_strdup(suffix), spec);
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

/* An image opened and shrunk on load, ready for finish(). */
struct loaded {
	VipsImage *img;  /* sRGB, premultiplied if alpha (owned by ctx) */
	int w, h;        /* the source, upright */
	int shrink;      /* by the decoder or a box filter: 1, 2, 4, 8 */
	int orient;
	gboolean swap, alpha;
	VipsBandFormat band_format; /* to cast back to after unpremultiply */
	long long opened; /* when opening ended (ns) */
};

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

/*
 * Open the source, shrinking on load as much as the largest of the boxes
 * allows, into sRGB with alpha premultiplied. All images belong to ctx.
 * Returns 0, -1 with libvips' error, or REFUSED with the reason in
 * r->error.
 */
#define REFUSED (-2)

static int
load(const struct thumb_opts *o, VipsObject *ctx, const struct thumb_src *src,
    VipsFailOn fail_on, const struct thumb_box *boxes, int nboxes,
    struct result *r, struct loaded *l)
{
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
		return REFUSED;
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
resize_exact(const struct loaded *l, VipsImage *in, double sigma, int sw,
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
	/* The pixels are computed here: in parallel (see shared_lock). */
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
 * Blur, resize into the bw x bh box, crop, flatten, orient and save the
 * loaded image into target (in memory). Fills the output size in *r.
 * Returns 0 or -1 with libvips' error.
 */
static int
finish(const struct thumb_opts *o, GMutex *lock, VipsObject *ctx,
    const struct loaded *l, int bw, int bh, VipsTarget *target,
    const char *format, struct result *r)
{
	VipsImage **x = (VipsImage **)vips_object_local_array(ctx, 14);
	VipsImage **y = (VipsImage **)vips_object_local_array(ctx, 6);
	VipsImage *img = l->img;
	long long start = now_ns(), resampled = r->usec_resample;
	int tw, th, sw, sh, rc;
	/* The blur is defined in source pixels; the image has been shrunk
	   by `shrink` (by the decoder or by a box filter). */
	double sigma = o->blur / l->shrink;

	box_size(o, l->w, l->h, bw, bh, &tw, &th);
	sw = l->swap ? th : tw;
	sh = l->swap ? tw : th;
	/* The fused pass takes up to four bands; an image of more (a
	   multispectral TIFF) goes the literal way. */
	if (o->exact || img->Bands > 4) {
		if (resize_exact(l, img, sigma, sw, sh, y))
			return -1;
		img = y[5];
	} else if (sigma > 0 || img->Xsize != sw || img->Ysize != sh) {
		/* Each decoded pixel stands for shrink source pixels. */
		double span_w = (double)(l->swap ? l->h : l->w) / l->shrink;
		double span_h = (double)(l->swap ? l->w : l->h) / l->shrink;

		if (resize_fused(lock, img, span_w, span_h, sigma, sw, sh, y,
		    r))
			return -1;
		img = y[1];
	}
	if (l->alpha) {
		if (vips_unpremultiply(img, &x[3], NULL) ||
		    vips_cast(x[3], &x[4], l->band_format, NULL))
			return -1;
		img = x[4];
	}
	if (o->crop != CROP_NONE) {
		if (crop(o, img, l->swap ? bh : bw, l->swap ? bw : bh, &x[5]))
			return -1;
		img = x[5];
	}
	/* JPEG has no alpha: flatten onto --background, not black. */
	if (l->alpha && lacks_alpha(format)) {
		double grey = (o->background[0] + o->background[1] +
		    o->background[2]) / 3;
		VipsArrayDouble *bg = img->Bands > 2 ?
		    vips_array_double_new(o->background, 3) :
		    vips_array_double_new(&grey, 1);

		rc = vips_flatten(img, &x[7], "background", bg, NULL);
		vips_area_unref(VIPS_AREA(bg));
		if (rc)
			return -1;
		img = x[7];
	}
	if (o->keep_profile && !o->keep_metadata) {
		if (drop_metadata(img, &x[8]))
			return -1;
		img = x[8];
	}
	if (l->orient > 1) {
		/* Rotation reads out of order: turn the small result into
		   a memory image first, so the sequential decode is done. */
		if (!(x[9] = vips_image_copy_memory(img)) ||
		    vips_autorot(x[9], &x[10], NULL))
			return -1;
		img = x[10];
	}
	if (r->out_width == 0) {
		r->out_width = img->Xsize;
		r->out_height = img->Ysize;
	}
	/* The pixels are computed here: in parallel (see shared_lock). */
	if (lock != NULL)
		g_mutex_unlock(lock);
	rc = vips_image_write_to_target(img, format, target, NULL);
	if (lock != NULL)
		g_mutex_lock(lock);
	if (rc == 0)
		rc = vips_target_end(target);
	/* The decode runs lazily in here too, the first time; the resample
	   has a column of its own. */
	r->usec_pixels += (now_ns() - MAX(start, l->opened)) / 1000 -
	    (r->usec_resample - resampled);
	return rc;
}

/* The one-box pipeline: load, then finish into target. */
static int
pipeline(const struct thumb_opts *o, GMutex *lock, VipsObject *ctx,
    const struct thumb_src *src, VipsFailOn fail_on, int bw, int bh,
    VipsTarget *target, const char *format, struct result *r)
{
	const struct thumb_box box = {.width = bw, .height = bh};
	struct loaded l;
	int rc = load(o, ctx, src, fail_on, &box, 1, r, &l);

	if (rc != 0)
		return rc;
	return finish(o, lock, ctx, &l, bw, bh, target, format, r);
}

/* What libvips and the decoder said, whole and on one line, for --json's
   detail: the words cause_shape() chose from. */
static void
set_detail(struct result *r, const char *text, const char *log)
{
	char *both = g_strjoin(*text && *log ? "; " : "", text, log, NULL);

	g_strdelimit(both, "\n\r", ' ');
	snprintf(r->detail, sizeof(r->detail), "%s", g_strstrip(both));
	g_free(both);
}

/*
 * libvips' error buffer, then cleared, as one line in words a user knows
 * (cause_shape) into r->error, and whole into r->detail. What the decoder
 * logged may be all there is to it: "libpng read error" in the buffer,
 * "not enough data" in the log.
 */
static void
take_vips_error(struct result *r, const char *log,
    const struct thumb_src *src)
{
	/* Copied and cleared at once: other threads may be adding to it. */
	char *text = g_strstrip(vips_error_buffer_copy());
	char *both = g_strconcat(text, "\n", log, NULL);

	set_detail(r, text, log);
	cause_shape(both, src->path, src->path != NULL ?
	    format_suffix(src->path) : NULL, r->error, sizeof(r->error));
	g_free(both);
	g_free(text);
}

/* Where one thumbnail goes: files, the thumbnail cache, or a stream. */
struct dest {
	const struct targets *to; /* files or the cache; NULL: a stream */
	uint64_t source;    /* files: their records' source */
	const char *suffix; /* a stream: its format */
	int fd;             /* a stream: where */
	int width, height;  /* a stream: its box */
};

/*
 * The folder of out, opened from the output folder without following a
 * link and kept for the next thumbnail (output_dir_of); again forces a
 * fresh open. -1 with the cause in r->error.
 */
static int
out_dir(struct thumb *t, const char *out, bool again, struct result *r)
{
	char *where = NULL;
	int fd = output_dir_of(&t->out, t->o->outdir, out, true, again, NULL,
	    &where);

	if (fd >= 0)
		return fd;
	if (where != NULL)
		snprintf(r->error, sizeof(r->error), "%s %s", where,
		    errno == ELOOP ? "is a symbolic link; nothing is written "
		    "through it" : "is not a folder");
	else
		snprintf(r->error, sizeof(r->error), "cannot write %s: %s",
		    out, strerror(errno));
	g_free(where);
	return -1;
}

/*
 * A thumbnail's bytes, with its record, into out: through a temporary
 * file, moved into place only as output_commit_at() allows. -1 with the
 * cause in r->error.
 */
static int
deliver_file(struct thumb *t, const struct thumb_src *src,
    const struct dest *d, const struct target *tg, const void *data,
    size_t len, struct result *r)
{
	const char *out = tg->path;
	char *tmp = output_tmp_name(out, getpid());
	char *base = g_path_get_basename(out);
	struct record rec = {0};
	GByteArray *b = NULL;
	int fd = -1, rc = -1;
	/* No symbolic link below the output folder is followed. */
	int dirfd = out_dir(t, out, false, r);

	if (dirfd < 0)
		goto out;
	record_set_source(&rec, d->source, &src->st);
	rec.options = record_options(t->o, tg->width, tg->height,
	    format_suffix(out));
	b = record_embed(data, len, &rec);
	/* The temporary file's name means nothing to a user: name out. */
	fd = output_create_tmp_at(dirfd, tmp);
	if (fd < 0 && errno == ENOENT) {
		/* The kept folder was removed meanwhile: open it again. */
		if ((dirfd = out_dir(t, out, true, r)) < 0)
			goto out;
		fd = output_create_tmp_at(dirfd, tmp);
	}
	if (fd < 0) {
		snprintf(r->error, sizeof(r->error), "cannot write %s: %s",
		    out, strerror(errno));
		goto out;
	}
	if (write_full(fd, b ? b->data : data, b ? b->len : len) != 0)
		goto failed;
	fault_while_writing();
	/* Formats without a place for it keep it as an attribute. */
	if (b == NULL && record_set_xattr(fd, &rec, data, len) != 0) {
		if (errno != ENOTSUP)
			goto failed;
		g_string_append_printf(t->notes, "%s%s has no record (the "
		    "file system keeps no extended attributes): a later run "
		    "will not replace it", t->notes->len ? "; " : "", out);
	}
	if (t->o->fsync && fsync(fd) != 0)
		goto failed;
	rc = close(fd);
	fd = -1;
	if (rc != 0)
		goto failed;
	rc = output_commit_at(dirfd, tmp, base, out, &src->st, d->source,
	    t->o->replace_unrecorded, r->error, sizeof(r->error));
	if (rc != 0)
		unlinkat(dirfd, tmp, 0);
	/* The rename reaches the disk with the folder. */
	else if (t->o->fsync && fsync(dirfd) != 0)
		goto failed;
	goto out;
failed:
	snprintf(r->error, sizeof(r->error), "cannot write %s: %s", out,
	    strerror(errno));
	if (fd >= 0)
		close(fd);
	unlinkat(dirfd, tmp, 0);
	rc = -1;
out:
	if (b != NULL)
		g_byte_array_unref(b);
	g_free(base);
	g_free(tmp);
	return rc;
}

/*
 * One attempt at a thumbnail file: of the source, or (l not NULL) of an
 * image already loaded, into its target's box, saved in memory first (the
 * record goes in its first bytes, and some savers seek back).
 */
static enum attempt
attempt_file(struct thumb *t, const struct thumb_src *src,
    const struct loaded *l, const struct target *tg, const struct dest *d,
    VipsFailOn fail_on, struct result *r)
{
	const char *format = save_format(t, format_suffix(tg->path));
	VipsObject *ctx = VIPS_OBJECT(vips_image_new());
	VipsTarget *target = vips_target_new_to_memory();
	enum attempt result = ATTEMPT_IMAGE;
	VipsBlob *blob = NULL;
	long long written;
	const void *data;
	size_t len;
	int rc;

	if (l != NULL)
		rc = finish(t->o, t->lock, ctx, l, tg->width, tg->height,
		    target, format, r);
	else
		rc = pipeline(t->o, t->lock, ctx, src, fail_on, tg->width,
		    tg->height, target, format, r);
	if (rc == REFUSED) {
		result = ATTEMPT_REFUSED;
		goto out;
	}
	if (rc != 0) {
		take_vips_error(r, t->log->str, src);
		goto out;
	}
	g_object_get(target, "blob", &blob, NULL);
	data = vips_blob_get(blob, &len);
	written = now_ns();
	result = deliver_file(t, src, d, tg, data, len, r) == 0 ?
	    ATTEMPT_OK : ATTEMPT_IO;
	r->usec_write += (now_ns() - written) / 1000;
out:
	if (blob != NULL)
		vips_area_unref(VIPS_AREA(blob));
	g_object_unref(target);
	g_object_unref(ctx);
	return result;
}

/* The cache's keys spliced into the PNG, then an atomic 0600 write.
   -1 with the cause in r->error. */
static int
deliver_cache(const struct thumb_src *src, const char *out,
    const void *data, size_t len, bool sync, struct result *r)
{
	char *uri = freedesktop_uri(src->path);
	char size[32], width[16], height[16];
	GByteArray *png = NULL;
	int rc = -1;

	/* The keys describe the source as it was decoded: its name, and
	   the fstat() of the descriptor read. */
	if (uri == NULL) {
		snprintf(r->error, sizeof(r->error), "no file URI for its name");
		goto out;
	}
	snprintf(size, sizeof(size), "%lld", (long long)src->st.st_size);
	snprintf(width, sizeof(width), "%d", r->width);
	snprintf(height, sizeof(height), "%d", r->height);
	png = freedesktop_add_text(data, len, uri,
	    (long long)src->st.st_mtime, "Thumb::Size", size,
	    "Thumb::Image::Width", width, "Thumb::Image::Height", height,
	    "Software", "pthumb", NULL);
	if (png == NULL) {
		snprintf(r->error, sizeof(r->error), "libvips' PNG for %s has "
		    "no IHDR to follow", out);
		goto out;
	}
	rc = freedesktop_write(out, png->data, png->len, getpid(), sync);
	if (rc != 0)
		snprintf(r->error, sizeof(r->error), "cannot write %s: %s",
		    out, strerror(errno));
out:
	if (png != NULL)
		g_byte_array_unref(png);
	g_free(uri);
	return rc;
}

/*
 * One attempt into memory, then delivered: to a stream (a pipe cannot be
 * trusted to the savers: TIFF's seeks back), or into the cache with its
 * keys.
 */
static enum attempt
attempt_memory(struct thumb *t, const struct thumb_src *src,
    const struct dest *d, VipsFailOn fail_on, struct result *r)
{
	const struct target *cache = d->to != NULL ? &d->to->t[0] : NULL;
	const char *format = save_format(t, cache != NULL ? ".png"
	    : d->suffix);
	VipsObject *ctx = VIPS_OBJECT(vips_image_new());
	VipsTarget *target = vips_target_new_to_memory();
	enum attempt result = ATTEMPT_IMAGE;
	VipsBlob *blob = NULL;
	long long written;
	size_t len;
	const void *data;
	int rc;

	rc = pipeline(t->o, t->lock, ctx, src, fail_on, cache != NULL ?
	    cache->width : d->width, cache != NULL ? cache->height :
	    d->height, target, format, r);
	if (rc == REFUSED) {
		result = ATTEMPT_REFUSED;
		goto out;
	}
	if (rc != 0) {
		take_vips_error(r, t->log->str, src);
		goto out;
	}
	g_object_get(target, "blob", &blob, NULL);
	data = vips_blob_get(blob, &len);
	written = now_ns();
	/* deliver_cache() says why it failed. */
	if (cache != NULL && deliver_cache(src, cache->path, data, len,
	    t->o->fsync, r) != 0) {
		result = ATTEMPT_IO;
		goto out;
	}
	if (cache == NULL && write_full(d->fd, data, len) != 0) {
		snprintf(r->error, sizeof(r->error), "cannot write to standard "
		    "output: %s", strerror(errno));
		result = ATTEMPT_IO;
		goto out;
	}
	r->usec_write += (now_ns() - written) / 1000;
	result = ATTEMPT_OK;
out:
	if (blob != NULL)
		vips_area_unref(VIPS_AREA(blob));
	g_object_unref(target);
	g_object_unref(ctx);
	return result;
}

/*
 * -s 64,256,1024: one decode, a thumbnail per box. The source is opened
 * and shrunk for the largest box, decoded once into memory, and each box
 * made from that; each file is written through its own temporary file.
 */
static enum attempt
attempt_boxes(struct thumb *t, const struct thumb_src *src,
    const struct dest *d, VipsFailOn fail_on, struct result *r)
{
	const struct targets *to = d->to;
	VipsObject *ctx = VIPS_OBJECT(vips_image_new());
	enum attempt result = ATTEMPT_IMAGE;
	struct thumb_box boxes[MAX_SIZES] = {{0}};
	struct loaded l;
	VipsImage *mem = NULL;
	long long start;
	int rc;

	for (int i = 0; i < to->n; i++) {
		boxes[i].width = to->t[i].width;
		boxes[i].height = to->t[i].height;
	}
	rc = load(t->o, ctx, src, fail_on, boxes, to->n, r, &l);

	if (rc == REFUSED) {
		result = ATTEMPT_REFUSED;
		goto out;
	}
	start = now_ns();
	if (rc != 0 || (mem = vips_image_copy_memory(l.img)) == NULL) {
		take_vips_error(r, t->log->str, src);
		goto out;
	}
	vips_object_local(ctx, mem);
	r->usec_pixels += (now_ns() - start) / 1000;
	l.img = mem;
	l.opened = 0;
	for (int i = 0; i < to->n; i++)
		if ((result = attempt_file(t, src, &l, &to->t[i], d, fail_on,
		    r)) != ATTEMPT_OK)
			break;
out:
	g_object_unref(ctx);
	return result;
}

static enum attempt
attempt_to(struct thumb *t, const struct thumb_src *src,
    const struct dest *d, VipsFailOn fail_on, struct result *r)
{
	if (d->to == NULL || d->to->kind == OUTPUT_CACHE)
		return attempt_memory(t, src, d, fail_on, r);
	if (d->to->n > 1)
		return attempt_boxes(t, src, d, fail_on, r);
	return attempt_file(t, src, NULL, &d->to->t[0], d, fail_on, r);
}

/*
 * The cache's record of a file that cannot be thumbnailed: a 1x1
 * transparent PNG with the keys, under fail/pthumb/. Best effort: the
 * file's error is reported either way.
 */
static void
record_failure(const struct thumb_src *src, const char *out)
{
	char *fail = freedesktop_fail_path(out);
	char *uri = freedesktop_uri(src->path);
	VipsImage *dot = NULL;
	GByteArray *png = NULL;
	void *buf = NULL;
	size_t len = 0;

	if (uri != NULL && src->fd >= 0 &&
	    vips_black(&dot, 1, 1, "bands", 4, NULL) == 0 &&
	    vips_pngsave_buffer(dot, &buf, &len, "strip", TRUE, NULL) == 0 &&
	    (png = freedesktop_add_text(buf, len, uri,
	    (long long)src->st.st_mtime, NULL)) != NULL &&
	    freedesktop_mkdirs(fail) == 0)
		(void)freedesktop_write(fail, png->data, png->len, getpid(),
		    false);
	vips_error_clear();
	if (png != NULL)
		g_byte_array_unref(png);
	if (dot != NULL)
		g_object_unref(dot);
	g_free(buf);
	g_free(uri);
	g_free(fail);
}

/*
 * A file is opened once: what is decoded, every time, is what was opened,
 * and its fstat() is the identity the record keeps. Without waiting: a
 * FIFO put where a file was is no image. 0, or -1 with why it cannot be
 * read in why (src->fd is then -1).
 */
static int
open_once(struct thumb_src *src, char *why, size_t size)
{
	bool stated;

	src->fd = open(src->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (src->fd < 0) {
		if (errno == ENOENT)
			snprintf(why, size, "file does not exist (any more)");
		else
			snprintf(why, size, "cannot read: %s", strerror(errno));
		return -1;
	}
	stated = fstat(src->fd, &src->st) == 0;
	if (stated && S_ISREG(src->st.st_mode))
		return 0;
	if (stated)
		snprintf(why, size, "not a regular file");
	else
		snprintf(why, size, "cannot read: %s", strerror(errno));
	close(src->fd);
	src->fd = -1;
	return -1;
}

/* One thumbnail under the damage policy (see thumb.h). */
static void
run(struct thumb *t, const struct thumb_src *in, const struct dest *d,
    struct result *r)
{
	long long start = now_ns();
	char damage[RESULT_ERROR_MAX], unread[RESULT_ERROR_MAX];
	struct thumb_src src_copy = *in, *src = &src_copy;
	enum attempt rc;
	int opened = 0;

	src->fd = -1;
	if (src->path != NULL) {
		opened = open_once(src, unread, sizeof(unread));
		fault_after_open(src->path);
	}
	if (t->lock != NULL)
		g_mutex_lock(t->lock);
	memset(r, 0, sizeof(*r));
	g_string_truncate(t->log, 0);
	g_string_truncate(t->notes, 0);
	/* A successful decode can leave text in libvips' error buffer; it
	   must not be taken for the next image's error. Another thread's
	   error may be in it too: then leave it for that thread. */
	if (t->home == THUMB_OWN_PROCESS)
		vips_error_clear();
	if (opened != 0) {
		/* Nothing to decode: no lenient second try either. */
		snprintf(r->error, sizeof(r->error), "%s", unread);
		rc = ATTEMPT_IO;
	} else {
		rc = attempt_to(t, src, d, fail_on_level[t->o->damage], r);
	}
	/* By default an image that fails only a strict decode is damaged but
	   readable: decode it leniently, write it, and say so. */
	if (rc == ATTEMPT_IMAGE && t->o->damage == DAMAGE_WARN) {
		struct result first = *r;

		snprintf(damage, sizeof(damage), "%s", r->error);
		memset(r, 0, sizeof(*r));
		/* The time of the first attempt was spent too. */
		r->usec_open = first.usec_open;
		r->usec_pixels = first.usec_pixels;
		r->usec_write = first.usec_write;
		g_string_truncate(t->log, 0);
		rc = attempt_to(t, src, d, VIPS_FAIL_ON_NONE, r);
		/* The strict attempt's cause says it: what the decoder
		   said again on the way is left out. */
		if (rc == ATTEMPT_OK) {
			r->status = STATUS_WARNING;
			set_detail(r, first.detail, t->log->str);
			g_string_assign(t->log, damage);
		}
	}
	if (rc != ATTEMPT_OK) {
		r->status = STATUS_ERROR;
		r->out_width = r->out_height = 0;
	}
	if ((rc == ATTEMPT_IMAGE || rc == ATTEMPT_REFUSED) && d->to != NULL &&
	    d->to->kind == OUTPUT_CACHE)
		record_failure(src, d->to->t[0].path);
	snprintf(r->warnings, sizeof(r->warnings), "%s%s%s", t->log->str,
	    t->log->len && t->notes->len ? "; " : "", t->notes->str);
	if (t->lock != NULL)
		g_mutex_unlock(t->lock);
	if (src->fd >= 0)
		close(src->fd);
	r->usec = (now_ns() - start) / 1000;
}

void
thumb_run(struct thumb *t, const char *in, const struct targets *out,
    uint64_t source, struct result *r)
{
	const struct thumb_src src = {.path = in};
	const struct dest d = {.to = out, .source = source};

	run(t, &src, &d, r);
}

void
thumb_stream(struct thumb *t, const struct thumb_src *src,
    const char *suffix, int fd, struct result *r)
{
	const struct dest d = {.suffix = suffix, .fd = fd,
	    .width = t->o->width, .height = t->o->height};

	run(t, src, &d, r);
}
