/*
 * thumb: the libvips pipeline that turns one image into one thumbnail.
 *
 * Runs only where libvips may run: in a worker after fork, or in the
 * parent with --sequential (which never forks). The defaults follow the
 * classic Python reference (Pillow's GaussianBlur() then thumbnail()): fit
 * the box, keep the aspect ratio, never enlarge, blur with sigma given in
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
 */
#ifndef PTHUMB_THUMB_H
#define PTHUMB_THUMB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "options.h"
#include "result.h"

struct thumb;

/*
 * The version of the pipeline's output: part of every thumbnail's record
 * (record.h), so that a thumbnail made by an older pipeline is redone.
 * Bump it in the same commit as any change to the bytes a thumbnail gets.
 */
#define THUMB_PIPELINE_VERSION 1

/* Where a pipeline runs. */
enum thumb_home {
	/* Alone in its process (a worker, or the sequential run): it owns
	   libvips' log and error buffer and tunes malloc for one thread. */
	THUMB_OWN_PROCESS,
	/* One of several threads of one process (--mode threads). libvips'
	   log and error buffer are the process's: its log is left to the
	   caller, and an error is taken as the buffer holds it when the
	   image fails, so errors of images failing at the same moment on
	   two threads can be mixed. */
	THUMB_SHARED_PROCESS,
};

/*
 * Set up libvips for this pipeline (one thread per pipeline, no operation
 * cache) and, in its own process, start capturing libvips' log per image.
 * VIPS_INIT must have run.
 */
struct thumb *thumb_new(const struct thumb_opts *o, enum thumb_home home);

/*
 * Make the thumbnail of `in` at `out`, through a temporary file (see
 * output.h), with its record (record.h) naming `source`. Never fails as a
 * call: the outcome, with libvips' error text and the warnings it logged
 * meanwhile, is in *r.
 */
void thumb_run(struct thumb *t, const char *in, const char *out,
    uint64_t source, struct result *r);

/* An image to thumbnail: a file, or encoded bytes in memory. */
struct thumb_src {
	const char *path;  /* or NULL: */
	const void *data;
	size_t len;
	/* Set by the pipeline: path opened once, and its fstat(). */
	int fd;
	struct stat st;
};

/*
 * Make the thumbnail of src in the format of `suffix` (".webp") and write
 * its bytes to fd once complete (saved in memory first: some savers seek
 * back in what they wrote, which a pipe cannot do). The outcome is in *r.
 */
void thumb_stream(struct thumb *t, const struct thumb_src *src,
    const char *suffix, int fd, struct result *r);

void thumb_free(struct thumb *t);

/*
 * The shrink-on-load factor (1, 2, 4 or 8) for an image of w x h pixels
 * that must shrink by `factor` in all: the JPEG decoder's DCT scaling,
 * WebP's scaled decode, or a box filter after decoding other formats.
 * Exposed for the tests.
 */
int thumb_load_shrink(int w, int h, double factor);

/*
 * The size of the thumbnail of a w x h image in a bw x bh box: the side
 * that limits is exactly the box, the other is rounded; never enlarged.
 */
void thumb_fit(int w, int h, int bw, int bh, int *tw, int *th);

/*
 * The size to resize a w x h image to so that it covers a bw x bh box
 * (--crop): the side that limits is exactly the box, the other at least
 * the box; never enlarged.
 */
void thumb_cover(int w, int h, int bw, int bh, int *tw, int *th);

#endif
