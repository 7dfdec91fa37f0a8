/*
 * pipeline: the libvips pipeline that turns one image into one
 * thumbnail's bytes, in memory. No files are written here, nothing is
 * forked: a unit test drives it with an image in memory.
 *
 * Runs only where libvips may run: in a worker after fork, in the parent
 * with --sequential or --mode threads. The defaults follow the classic
 * Python reference (Pillow's GaussianBlur() then thumbnail()): fit the
 * box, keep the aspect ratio, never enlarge, blur with sigma given in
 * source pixels before resizing.
 *
 * The blur is a Gaussian of standard deviation -b source pixels, sampled at
 * whole pixels and cut below 1% of its peak (resample.h says exactly).
 *
 * The fast pipeline shrinks by 2, 4 or 8 first (JPEG and WebP decoders do
 * it while they decode; other formats get a box filter after decoding),
 * then blurs and resizes in one fused pass of its own (resample.h) with the
 * sigma scaled to the decoded size. The literal pipeline (--exact) decodes
 * at full size, blurs with libvips' convolution at float precision and the
 * same Gaussian, and resizes with libvips' Lanczos3 at the full ratio.
 * tests/test_fidelity.c measures both against a reference in doubles.
 *
 * --mode threads: libvips' vector code (Orc) is compiled as operations are
 * built and freed as they are unreffed, and two threads doing that at once
 * were seen to crash in orc_code_free() (under AddressSanitizer, once in a
 * few runs). So a thread holds one lock for all its libvips work except
 * computing the pixels, which runs in parallel: the pipeline lets go of it
 * while pixels are computed, and takes it again.
 */
#ifndef PTHUMB_PIPELINE_H
#define PTHUMB_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include <vips/vips.h>

#include "options.h" /* struct thumb_opts, struct thumb_box */
#include "result.h"

/* An image to thumbnail: a file, or encoded bytes in memory. */
struct thumb_src {
	const char *path;  /* or NULL: */
	const void *data;
	size_t len;
	/* A file opened once by the caller (JPEG, PNG and WebP are decoded
	   through it), or -1; and its fstat(). */
	int fd;
	struct stat st;
};

/*
 * Set up this process for pipelines: libvips on one thread and without an
 * operation cache; where the pipeline has the process to itself (alone:
 * a worker, the sequential run), malloc tuned for one thread. Once per
 * process, before its first pipeline; VIPS_INIT must have run.
 */
void pipeline_init_process(bool alone);

/* A pipeline for thumbnails as o says. lock: held by the caller around
   its libvips work, when threads share the process (see above); or NULL. */
struct pipeline *pipeline_new(const struct thumb_opts *o, GMutex *lock);
void pipeline_free(struct pipeline *p);

/* An image opened and shrunk on load, ready for pipeline_save(). */
struct pipeline_image {
	VipsImage *img;  /* sRGB, premultiplied if alpha (owned by ctx) */
	int w, h;        /* the source, upright */
	int shrink;      /* by the decoder or a box filter: 1, 2, 4, 8 */
	int orient;
	gboolean swap, alpha;
	VipsBandFormat band_format; /* to cast back to after unpremultiply */
	long long opened; /* when opening ended (ns) */
};

/* The image is larger than --max-pixels: refused before decoding. */
#define PIPELINE_REFUSED (-2)

/*
 * Open src, shrinking on load as much as the largest of the boxes allows,
 * into sRGB with alpha premultiplied; its images belong to ctx. The
 * source's size and the time spent go in *r. 0, -1 with libvips' error,
 * or PIPELINE_REFUSED with the reason in r->error.
 */
int pipeline_load(struct pipeline *p, VipsObject *ctx,
    const struct thumb_src *src, VipsFailOn fail_on,
    const struct thumb_box *boxes, int nboxes, struct pipeline_image *img,
    struct result *r);

/*
 * Decode img into memory (its images belong to ctx), so that more than
 * one pipeline_save() can read it: a loaded image is read once, in order.
 * The time it takes goes in *r. 0, or -1 with libvips' error.
 */
int pipeline_decode(VipsObject *ctx, struct pipeline_image *img,
    struct result *r);

/*
 * Blur and resize img into the bw x bh box, crop, flatten, orient and
 * encode it in the format of `suffix` (".webp"): *blob holds the bytes
 * (vips_area_unref() it). The thumbnail's size (the first one's, of
 * several) and the time spent go in *r. 0, or -1 with libvips' error.
 */
int pipeline_save(struct pipeline *p, const struct pipeline_image *img,
    int bw, int bh, const char *suffix, VipsBlob **blob, struct result *r);

/* pipeline_load() and pipeline_save() of one box. */
int pipeline_make(struct pipeline *p, const struct thumb_src *src,
    VipsFailOn fail_on, int bw, int bh, const char *suffix, VipsBlob **blob,
    struct result *r);

/* Can this libvips write files with this suffix (".jpg")? Asks libvips'
   classes: the parent may, since no operation runs. */
bool pipeline_can_save(const char *suffix);

/* A 1x1 transparent PNG (g_free() *buf): the cache's failure record.
   0, or -1 with libvips' error. */
int pipeline_blank_png(void **buf, size_t *len);

#endif
