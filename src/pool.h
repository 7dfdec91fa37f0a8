/*
 * pool: forked worker processes and the parent's loop that feeds them one
 * file at a time. By default a fixed set forked at the start (prefork);
 * with spawn, one process forked per file, at most `workers` alive.
 *
 * The caller fills a struct pool_ops (zero is a valid value for every
 * optional member) and calls pool_run() once. The pool never knows what a
 * job means: the parent side asks next() for work and gives each outcome to
 * done(); the worker side runs worker_init() once after fork and work()
 * per file. So the tests can drive the pool with stub workers and no
 * libvips at all.
 */
#ifndef PTHUMB_POOL_H
#define PTHUMB_POOL_H

#include <stdbool.h>
#include <sys/types.h>

#include "jobq.h"    /* struct job */
#include "outcome.h" /* enum batch_outcome */
#include "result.h"  /* struct result */

struct pool_ops {
	int workers;
	/* One process per job, forked with the job in hand (no READY, no
	   JOB message); it sends the RESULT and exits. */
	bool spawn;
	/* Prefork: a worker is told to leave after this many jobs and a
	   fresh one takes its slot; 0 = never. */
	unsigned max_tasks;
	/* A worker that holds one job this long is killed and the job
	   settled as STATUS_TIMEOUT, not retried; 0 = no limit. */
	long long timeout_ms;

	/* Parent side. */
	/* The next job, or NULL when there is no more work ... */
	struct job *(*next)(void *data);
	/* ... or none yet (optional): after next() gave NULL, a descriptor
	   to sleep on with the workers' sockets before asking again (a
	   list still being written), or -1 for no more work. */
	int (*wait_fd)(void *data);
	/* A job's outcome; the job is the callee's again. */
	void (*done)(void *data, struct job *job, const struct result *r);
	/* Hand job out again before new work: a worker died holding it,
	   or the pool only looked whether there was more work. */
	void (*retry)(void *data, struct job *job);
	/* Remove what the worker with this pid may have left half-written
	   for job (optional: the pool knows no files). */
	void (*cleanup)(void *data, const struct job *job, pid_t pid);
	/* Something to tell the user about a job that is not its outcome
	   (optional). */
	void (*note)(void *data, const struct job *job, const char *msg);

	/* Worker side, in the child after fork. */
	/* Per-worker state, or NULL if the worker cannot work. */
	void *(*worker_init)(void *data);
	/* Do one job (in a prefork worker, a copy of the parent's: its
	   id, in, out and source). */
	void (*work)(void *state, const struct job *job, struct result *r);
	/* Release the state as the worker leaves (optional). */
	void (*worker_done)(void *state);

	void *data;
};

/* What the run cost in processes. */
struct pool_stats {
	unsigned forks;    /* worker processes started */
	unsigned recycled; /* workers replaced after max_tasks jobs */
	int max_alive;     /* most worker processes alive at once */
};

/*
 * Run jobs until there are none left or a signal stops the run. Every
 * child is reaped and every temporary file of an unfinished job removed
 * before it returns. A job whose worker dies is retried once in a fresh
 * worker, then settled as an error naming the signal or exit status.
 */
enum batch_outcome pool_run(const struct pool_ops *ops,
    struct pool_stats *stats);

/* How a worker ended, from its wait status, for a message: "worker
   killed by SIGXCPU", "worker exited with status 3" (the number as is;
   enum worker_exit in outcome.h says what pthumb's own numbers mean). */
void pool_exit_text(int status, char *buf, size_t size);

#endif
