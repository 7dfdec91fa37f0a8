/*
 * jobq: the files to do, in the order the scanner finds them, with the
 * decisions the parent makes before any worker sees a file: the output
 * name, two inputs claiming one output, an up-to-date thumbnail (one stat,
 * no worker round trip), the output's folder.
 *
 * Jobs are owned by the queue from jobq_next() until jobq_done(); a job a
 * dead worker held goes back with jobq_retry() and is handed out before
 * any new file.
 */
#ifndef PTHUMB_JOBQ_H
#define PTHUMB_JOBQ_H

#include <stdbool.h>
#include <stdint.h>

#include "options.h" /* struct thumb_opts */
#include "output.h"  /* struct targets, struct output_layout */
#include "result.h"
#include "scan.h"

struct job {
	unsigned id;
	char *in;     /* the file to open */
	struct targets out; /* its thumbnails; none for a scan error */
	uint64_t source; /* hash64() of in's path under its PATH: whose
			    thumbnail it is (record.h) */
	int attempts; /* workers that died holding it */
	bool redo;    /* a thumbnail is there and is replaced ... */
	const char *why; /* ... because of this ("source changed"), or NULL */
};

/* The path reports name a job's thumbnails by: its first, or NULL. */
static inline const char *
job_output(const struct job *job)
{
	return job->out.n > 0 ? job->out.t[0].path : NULL;
}

struct jobq_config {
	struct scan *scan;  /* borrowed */
	struct output_layout *layout; /* borrowed: where thumbnails go */
	const struct thumb_opts *thumb; /* the output folder, and what a
					   thumbnail's record says */
	bool outputs_may_be_inputs; /* the output folder is among the
				       inputs: its images are not replaced
				       even with --replace-unrecorded */
	bool allow_untrusted; /* the scan takes untrusted formats too */
	bool force;         /* redo up-to-date thumbnails */
	bool verify;        /* read up-to-date ones whole (output_verify_at) */
	bool dry_run;       /* create no folder */
	bool watch;         /* inputs come again as they change (--watch) */
	unsigned shard, shards; /* only files of shard K (1-based) of N */
};

enum jobq_next {
	JOBQ_END,     /* nothing left */
	JOBQ_JOB,     /* *job needs a worker */
	JOBQ_SETTLED, /* *job needs no worker; its outcome is in *r */
	JOBQ_WAIT,    /* a list has nothing more yet: ask again once
			 jobq_wait_fd() is readable */
};

struct jobq *jobq_new(const struct jobq_config *cfg);

/*
 * The shard (1..n) of a file: hash64() of its thumbnail's path relative to
 * the output folder, modulo n. No seed, no machine-dependent input: every
 * machine puts a file in the same shard, and inputs that share a thumbnail
 * share a shard.
 */
unsigned jobq_shard(const char *rel, unsigned n);
enum jobq_next jobq_next(struct jobq *q, struct job **job, struct result *r);
/* After JOBQ_WAIT: the descriptor to wait on. */
int jobq_wait_fd(const struct jobq *q);
void jobq_retry(struct jobq *q, struct job *job);
void jobq_done(struct jobq *q, struct job *job);
void jobq_free(struct jobq *q);

#endif
