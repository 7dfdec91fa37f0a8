/*
 * thumb: one image's thumbnails, start to end: the file opened once, the
 * pipeline (pipeline.h) under the damage policy (--fail-on), the bytes
 * delivered (deliver.h), and the outcome in a result with its cause in
 * words a user knows (cause.h).
 *
 * Runs only where libvips may run: in a worker after fork, or in the
 * parent with --sequential or --mode threads.
 */
#ifndef PTHUMB_THUMB_H
#define PTHUMB_THUMB_H

#include <stdint.h>

#include "options.h"
#include "output.h"   /* struct targets */
#include "pipeline.h" /* struct thumb_src */
#include "result.h"
#include "vipslog.h"

/* Where thumbnails are made. */
enum thumb_home {
	/* Alone in its process (a worker, or the sequential run): libvips'
	   error buffer is its own, and so is the log (caught by the
	   caller's vipslog, read per image). */
	THUMB_OWN_PROCESS,
	/* One of several threads of one process (--mode threads). libvips'
	   log and error buffer are the process's: its log is left to the
	   caller, and an error is taken as the buffer holds it when the
	   image fails, so errors of images failing at the same moment on
	   two threads can be mixed. */
	THUMB_SHARED_PROCESS,
};

/*
 * A thumbnailer for the options o. In its own process, log is the catch
 * (vipslog_start) whose text each image's warnings are read from; shared,
 * NULL. The process must have been set up (pipeline_init_process).
 */
struct thumb *thumb_new(const struct thumb_opts *o, enum thumb_home home,
    struct vipslog *log);
void thumb_free(struct thumb *t);

/*
 * Make the thumbnails of `in` at its targets: files through a temporary
 * file each (see output.h), with their records (record.h) naming `source`,
 * or the cache's file. Never fails as a call: the outcome, with libvips'
 * error text and the warnings it logged meanwhile, is in *r.
 */
void thumb_run(struct thumb *t, const char *in, const struct targets *out,
    uint64_t source, struct result *r);

/*
 * Make the thumbnail of src in the format of `suffix` (".webp") and write
 * its bytes to fd once complete (saved in memory first: some savers seek
 * back in what they wrote, which a pipe cannot do). The outcome is in *r.
 */
void thumb_stream(struct thumb *t, const struct thumb_src *src,
    const char *suffix, int fd, struct result *r);

#endif
