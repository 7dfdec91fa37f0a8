/*
 * run: one batch, start to finish: scan the PATHs, queue the files, hand
 * them to the pool (or, with --sequential, thumbnail them in this
 * process), and report each outcome. main runs one batch; --compare runs
 * one per phase, each in a child of its own.
 */
#ifndef PTHUMB_RUN_H
#define PTHUMB_RUN_H

#include <stdbool.h>

#include "options.h"
#include "pool.h"
#include "report.h"

/*
 * Run the batch o describes, reporting to rp (borrowed). With sequential,
 * in this process: libvips runs here, so this process must not fork
 * workers afterwards. Returns how the pool ended (POOL_DONE when
 * sequential, or POOL_INTERRUPTED if a signal stopped the loop).
 */
enum pool_outcome run_batch(const struct opts *o, bool sequential,
    struct report *rp);

#endif
