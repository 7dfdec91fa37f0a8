/*
 * batch: one batch, start to finish: scan the PATHs, queue the files, hand
 * them to worker processes (pool or spawn), to threads, or thumbnail them
 * one by one in this process (sequential), and report each outcome. main
 * runs one batch; --compare and --compare-modes run one per phase, each in
 * a child of its own.
 */
#ifndef PTHUMB_BATCH_H
#define PTHUMB_BATCH_H

#include <stdbool.h>

#include "options.h"
#include "pool.h"
#include "report.h"

/*
 * Run the batch o describes in the given mode, reporting to rp (borrowed),
 * whose workers are set at the end. Sequential and threads run libvips in
 * this process, which must then not fork workers. Returns how the run
 * ended (BATCH_INTERRUPTED if a signal stopped it).
 */
enum batch_outcome batch_run(const struct opts *o, enum run_mode mode,
    struct report *rp);

#endif
