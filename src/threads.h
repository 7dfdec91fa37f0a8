/*
 * threads: --mode threads. One process, N threads from a GLib thread pool,
 * each with a pipeline state of its own and libvips on one thread.
 *
 * The calling thread keeps the queue and the report: it hands out files,
 * sleeps until a thread finishes one, and reports it. Only the hand-over
 * is shared, so the rest of pthumb stays single-threaded.
 *
 * What processes give and threads cannot: a crash in any image ends the
 * whole run; an image that hangs cannot be stopped, so there is no
 * timeout; CPU and memory limits are per process, so there are none per
 * image; and libvips logs its warnings on whichever thread it likes, so
 * they cannot be tied to a file (batch.c reports them for the run). A signal
 * stops the handing out; the images in progress are finished and reported,
 * as in the sequential run.
 */
#ifndef PTHUMB_THREADS_H
#define PTHUMB_THREADS_H

#include "outcome.h" /* enum batch_outcome */
#include "pool.h"    /* struct pool_ops */

/*
 * Run the jobs with ops->workers threads. Of ops, these are used: next and
 * done (in the calling thread), worker_init (in the calling thread, once
 * per thread before any starts: the states must not depend on the thread
 * that uses them), work (in the pool's threads, each call with a state no
 * other thread holds at the time), worker_done (once per state at the
 * end). The processes' timeout, retry, note, spawn and max_tasks are not.
 */
enum batch_outcome threads_run(const struct pool_ops *ops);

#endif
