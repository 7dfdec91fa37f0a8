/*
 * pthumb: parse the options, then scan -> jobs -> pool (or the sequential
 * loop) -> report, and turn the outcome into an exit status.
 */
#include <errno.h>  /* errno */
#include <stdio.h>  /* fprintf, setvbuf */
#include <string.h> /* strerror */
#include <unistd.h> /* getpid */

#include <vips/vips.h> /* VIPS_INIT, vips_block_untrusted_set */

#include "fault.h"
#include "jobq.h"
#include "rlimits.h"
#include "options.h"
#include "output.h"
#include "pool.h"
#include "report.h"
#include "scan.h"
#include "signals.h"
#include "thumb.h"
#include "xio.h"

enum exit_status {
	EXIT_ALL_DONE = 0,
	EXIT_SOME_FAILED = 1,
	EXIT_USAGE = 2,
	EXIT_WORKERS_BROKEN = 3,
};

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
	fault_before_image();
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

static int
usage_error(const char *msg)
{
	fprintf(stderr, "pthumb: %s\nTry 'pthumb --help' for more "
	    "information.\n", msg);
	return EXIT_USAGE;
}

int
main(int argc, char **argv)
{
	long long start = now_ns();
	struct opts o;
	struct run run = {.o = &o};
	struct scan *scan;
	struct scan_config sc;
	struct jobq_config qc;
	enum pool_outcome outcome = POOL_DONE;
	char *msg = NULL;
	int status, sig;

	/* Lines reach a pipe as each file completes. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (options_parse(argc, argv, &o, &msg) != 0) {
		status = usage_error(msg);
		g_free(msg);
		return status;
	}
	/* Safe before fork: it starts no operation and opens no image. */
	if (VIPS_INIT(argv[0]) != 0) {
		fprintf(stderr, "pthumb: cannot initialise libvips: %s\n",
		    vips_error_buffer());
		options_free(&o);
		return EXIT_USAGE;
	}
	vips_block_untrusted_set(!o.allow_untrusted);
	if (o.format != NULL) {
		char *suffix = g_strconcat(".", o.format, NULL);
		bool ok = output_can_save(suffix);

		g_free(suffix);
		if (!ok) {
			msg = g_strdup_printf("invalid --format '%s' (libvips "
			    "cannot write it)", o.format);
			status = usage_error(msg);
			g_free(msg);
			options_free(&o);
			return status;
		}
	}
	if (g_mkdir_with_parents(o.outdir, 0777) != 0) {
		fprintf(stderr, "pthumb: %s: cannot create output folder: %s\n",
		    o.outdir, strerror(errno));
		options_free(&o);
		return EXIT_USAGE;
	}
	if (signals_install() != 0) {
		fprintf(stderr, "pthumb: cannot install signal handlers: %s\n",
		    strerror(errno));
		options_free(&o);
		return EXIT_USAGE;
	}

	sc = (struct scan_config){
		.paths = o.paths,
		.files_from = o.files_from,
		.null_sep = o.null_sep,
		.follow = o.follow,
		.allow_untrusted = o.allow_untrusted,
		.skip_dir = o.outdir,
	};
	scan = scan_new(&sc);
	qc = (struct jobq_config){
		.scan = scan,
		.outdir = o.outdir,
		.format = o.format,
		.force = o.force,
	};
	run.q = jobq_new(&qc);
	run.rp = report_new(o.json, o.quiet);

	if (o.sequential) {
		run_sequential(&run);
	} else {
		struct pool_ops ops = {
			.workers = o.jobs,
			.timeout_ms = (long long)(o.timeout * 1000),
			.next = next_job,
			.done = job_done,
			.retry = job_retry,
			.note = job_note,
			.worker_init = worker_init,
			.work = worker_work,
			.worker_done = worker_done,
			.data = &run,
		};

		outcome = pool_run(&ops);
	}
	report_summary(run.rp, (now_ns() - start) / 1e9,
	    o.sequential ? 1 : o.jobs);

	sig = signals_caught();
	if (sig != 0)
		status = 128 + sig;
	else if (outcome == POOL_BROKEN)
		status = EXIT_WORKERS_BROKEN;
	else if (outcome == POOL_CANNOT_START)
		status = EXIT_USAGE;
	else
		status = report_failed(run.rp) ? EXIT_SOME_FAILED
		    : EXIT_ALL_DONE;
	if (outcome == POOL_BROKEN)
		fprintf(stderr, "pthumb: workers keep dying before they are "
		    "ready; giving up\n");

	report_free(run.rp);
	jobq_free(run.q);
	scan_free(scan);
	options_free(&o);
	vips_shutdown();
	return status;
}
