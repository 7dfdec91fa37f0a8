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

#include "result.h"
#include "scan.h"

struct job {
	unsigned id;
	char *in;     /* the file to open */
	char *out;    /* its thumbnail, or NULL for a scan error */
	int attempts; /* workers that died holding it */
};

struct jobq_config {
	struct scan *scan;  /* borrowed */
	const char *outdir;
	const char *format; /* output suffix, or NULL */
	bool force;         /* redo up-to-date thumbnails */
};

enum jobq_next {
	JOBQ_END,     /* nothing left */
	JOBQ_JOB,     /* *job needs a worker */
	JOBQ_SETTLED, /* *job needs no worker; its outcome is in *r */
};

struct jobq *jobq_new(const struct jobq_config *cfg);
enum jobq_next jobq_next(struct jobq *q, struct job **job, struct result *r);
void jobq_retry(struct jobq *q, struct job *job);
void jobq_done(struct jobq *q, struct job *job);
void jobq_free(struct jobq *q);

#endif
