/*
 * run: scan -> queue -> pool or sequential loop -> report (see run.h).
 */
#include "run.h"

#include <errno.h>  /* errno */
#include <stdio.h>  /* fprintf */
#include <string.h> /* strerror */
#include <unistd.h> /* getpid */

#include <glib.h> /* g_new0, g_free */

#include "fault.h"
#include "jobq.h"
#include "output.h"  /* output_tmp_path */
#include "rlimits.h"
#include "scan.h"
#include "signals.h" /* signals_caught */
#include "thumb.h"

/* What the pool's callbacks share. */
struct run {
	const struct opts *o;
	struct jobq *q;
	struct report *rp;
};

/* The next file for a worker; files that need none are reported here. */
static struct job *
next_job(void *data)
{
	struct run *run = data;
	struct job *job;
	struct result r;

	for (;;) {
		switch (jobq_next(run->q, &job, &r)) {
		case JOBQ_END:
			report_scan_done(run->rp);
			return NULL;
		case JOBQ_JOB:
			return job;
		case JOBQ_SETTLED:
			report_file(run->rp, job, &r);
			jobq_done(run->q, job);
			break;
		}
	}
}

static void
job_done(void *data, struct job *job, const struct result *r)
{
	struct run *run = data;

	report_file(run->rp, job, r);
	jobq_done(run->q, job);
}

static void
job_retry(void *data, struct job *job)
{
	struct run *run = data;

	jobq_retry(run->q, job);
}

static void
job_note(void *data, const struct job *job, const char *msg)
{
	struct run *run = data;

	report_note(run->rp, job->in, "%s", msg);
}

/* A worker's state: its pipeline and the CPU time one image may use. */
struct worker {
	struct thumb *thumb;
	double cpu_seconds;
};

static void *
worker_init(void *data)
{
	struct run *run = data;
	struct worker *w;

	fault_at_start();
	if (rlimits_set_memory(run->o->worker_memory) != 0) {
		fprintf(stderr, "pthumb: worker %ld: cannot limit its memory: "
		    "%s\n", (long)getpid(), strerror(errno));
		return NULL;
	}
	w = g_new0(struct worker, 1);
	w->thumb = thumb_new(&run->o->thumb);
	/* A backstop behind the parent's wall-clock timeout. */
	w->cpu_seconds = run->o->timeout + 1;
	return w;
}

static void
worker_done(void *state)
{
	struct worker *w = state;

	thumb_free(w->thumb);
	g_free(w);
}

static void
worker_work(void *state, const char *in, const char *out, const char *tmp,
    struct result *r)
{
	struct worker *w = state;

	/* Failing to move the limit leaves the old one: still a limit. */
	(void)rlimits_cpu_from_now(w->cpu_seconds);
	fault_before_image(in);
	thumb_run(w->thumb, in, out, tmp, r);
}

/* --sequential: every file in this process, in order; never forks. */
static void
run_sequential(struct run *run)
{
	struct thumb *t = thumb_new(&run->o->thumb);
	struct job *job;
	struct result r;

	while (!signals_caught() && (job = next_job(run)) != NULL) {
		char *tmp = output_tmp_path(job->out, getpid());

		thumb_run(t, job->in, job->out, tmp, &r);
		r.worker = getpid();
		g_free(tmp);
		job_done(run, job, &r);
	}
	thumb_free(t);
}

enum pool_outcome
run_batch(const struct opts *o, bool sequential, struct report *rp)
{
	struct run run = {.o = o, .rp = rp};
	struct scan_config sc = {
		.paths = o->paths,
		.files_from = o->files_from,
		.null_sep = o->null_sep,
		.follow = o->follow,
		.allow_untrusted = o->allow_untrusted,
		.skip_dir = o->outdir,
	};
	struct jobq_config qc = {
		.outdir = o->outdir,
		.format = o->format,
		.force = o->force,
	};
	struct pool_ops ops = {
		.workers = o->jobs,
		.timeout_ms = (long long)(o->timeout * 1000),
		.next = next_job,
		.done = job_done,
		.retry = job_retry,
		.note = job_note,
		.worker_init = worker_init,
		.work = worker_work,
		.worker_done = worker_done,
		.data = &run,
	};
	enum pool_outcome outcome = POOL_DONE;
	struct scan *scan = scan_new(&sc);

	qc.scan = scan;
	run.q = jobq_new(&qc);
	if (sequential)
		run_sequential(&run);
	else
		outcome = pool_run(&ops);
	if (outcome == POOL_DONE && signals_caught())
		outcome = POOL_INTERRUPTED;
	jobq_free(run.q);
	scan_free(scan);
	return outcome;
}
