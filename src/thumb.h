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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "options.h"
#include "output.h" /* struct targets */
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
 * Make the thumbnails of `in` at its targets: files through a temporary
 * file each (see output.h), with their records (record.h) naming `source`,
 * or the cache's file. Never fails as a
 * call: the outcome, with libvips' error text and the warnings it logged
 * meanwhile, is in *r.
 */
void thumb_run(struct thumb *t, const char *in, const struct targets *out,
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

/* Can this libvips write files with this suffix (".jpg")? Asks libvips'
   classes: the parent may, since no operation runs. */
bool thumb_can_save(const char *suffix);

#endif
