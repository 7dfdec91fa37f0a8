/*
 * batch: scan -> queue -> pool, threads or sequential loop -> report (see
 * batch.h).
 */
#include "batch.h"

#include <errno.h>  /* errno, EINTR */
#include <poll.h>   /* ppoll */
#include <stdio.h>  /* fprintf */
#include <stdlib.h> /* realpath, free */
#include <string.h> /* strerror, strcmp, strncmp */
#include <unistd.h> /* getpid */

#include <glib.h> /* g_new0, g_free */

#include "fault.h"
#include "jobq.h"
#include "pipeline.h" /* pipeline_init_process, pipeline_can_save */
#include "output.h"  /* output_layout_new, output_tmp_path */
#include "prune.h"
#include "rlimits.h"
#include "scan.h"
#include "signals.h" /* signals_caught */
#include "threads.h"
#include "thumb.h"
#include "vipslog.h"

/* What the pool's callbacks share. */
struct batch {
	const struct opts *o;
	struct scan_config sc;   /* the scan's, the layout's and the queue's */
	struct jobq_config qc;   /* configurations, which they keep */
	struct jobq *q;
	struct report *rp;
	int wait_fd; /* next_job() found a list with nothing yet, or -1 */
	struct prune *prune; /* --prune, or NULL */
	bool walked;         /* the scan came to its end (or, watching, to
				waiting for events) */
};

static void
report_one_pruned(void *data, const char *out, enum prune_what what,
    int err)
{
	struct batch *b = data;

	if (what == PRUNE_KEPT_FOLDER)
		report_note(b->rp, out, "not pruned: its source folder is not "
		    "there (a share not mounted?); remove it yourself if that "
		    "folder was deleted");
	else
		report_pruned(b->rp, out, what == PRUNE_FAILED ? err : 0);
}

/* --prune: the folders read whole since the last time (all of them, after
   the walk). */
static void
prune_now(struct batch *b)
{
	const char *why;

	if (b->prune != NULL && (why = prune_run(b->prune,
	    report_one_pruned, b)) != NULL) {
		fprintf(stderr, "pthumb: --prune: nothing pruned: %s\n", why);
		prune_free(b->prune);
		b->prune = NULL; /* said once */
	}
}

/* The scan read a folder whole: --prune may look at its mirror. */
static void
folder_read(void *data, const char *path, const char *rel,
    const GPtrArray *names)
{
	struct batch *b = data;

	if (b->prune == NULL)
		return;
	/* An empty PATH may be a disk that is not mounted. */
	if (*rel == '\0' && names->len == 0)
		prune_forbid(b->prune, "a PATH folder is empty (a disk not "
		    "mounted?)");
	prune_folder_read(b->prune, path, rel, names);
}

/* --watch saw a folder deleted or moved out: its mirror may go. */
static void
folder_gone(void *data, const char *rel)
{
	struct batch *b = data;

	if (b->prune != NULL)
		prune_folder_gone(b->prune, rel);
}

/* The next file for a worker; files that need none are reported here.
   NULL: no more, or none yet (b->wait_fd). */
static struct job *
next_job(void *data)
{
	struct batch *b = data;
	struct job *job;
	struct result r;

	b->wait_fd = -1;
	for (;;) {
		switch (jobq_next(b->q, &job, &r)) {
		case JOBQ_WAIT:
			b->wait_fd = jobq_wait_fd(b->q);
			/* Watching: what the walk or deletions left behind. */
			if (b->o->watch)
				prune_now(b);
			return NULL;
		case JOBQ_END:
			report_scan_done(b->rp);
			b->walked = true;
			return NULL;
		case JOBQ_JOB:
			report_seen(b->rp, job->id);
			return job;
		case JOBQ_SETTLED:
			/* A walk error: --prune cannot trust what it saw. */
			if (job->out.n == 0 && b->prune != NULL)
				prune_forbid(b->prune, "the walk met an error");
			report_seen(b->rp, job->id);
			report_file(b->rp, job, &r);
			jobq_done(b->q, job);
			break;
		}
	}
}

static int
job_wait_fd(void *data)
{
	struct batch *b = data;

	return b->wait_fd;
}

/*
 * For the loops that have nothing else to wait for: sleep until fd is
 * readable or a signal comes (signals_caught() says which).
 */
static void
wait_readable(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	if (ppoll(&pfd, 1, NULL, signals_sleep_mask()) < 0 &&
	    errno != EINTR)
		fprintf(stderr, "pthumb: ppoll() failed: %s\n",
		    strerror(errno));
}

static void
job_done(void *data, struct job *job, const struct result *r)
{
	struct batch *b = data;

	report_file(b->rp, job, r);
	jobq_done(b->q, job);
}

static void
job_retry(void *data, struct job *job)
{
	struct batch *b = data;

	jobq_retry(b->q, job);
}

/* A dead worker's temporary files: one per target. */
static void
job_cleanup(void *data, const struct job *job, pid_t pid)
{
	(void)data;
	for (int i = 0; i < job->out.n; i++) {
		char *tmp = output_tmp_path(job->out.t[i].path, pid);

		unlink(tmp);
		g_free(tmp);
	}
}

static void
job_note(void *data, const struct job *job, const char *msg)
{
	struct batch *b = data;

	report_note(b->rp, job->in, "%s", msg);
}

/* A worker's state: its thumbnailer, the log it reads, and the CPU time
   one image may use. */
struct worker {
	struct vipslog log;
	struct thumb *thumb;
	double cpu_seconds;
};

static void *
worker_init(void *data)
{
	struct batch *b = data;
	struct worker *w;

	fault_at_start();
	if (rlimits_set_memory(b->o->worker_memory) != 0) {
		fprintf(stderr, "pthumb: worker %ld: cannot limit its memory: "
		    "%s\n", (long)getpid(), strerror(errno));
		return NULL;
	}
	w = g_new0(struct worker, 1);
	pipeline_init_process(true);
	vipslog_start(&w->log, NULL);
	w->thumb = thumb_new(&b->o->thumb, THUMB_OWN_PROCESS, &w->log);
	/* A backstop behind the parent's wall-clock timeout. */
	w->cpu_seconds = b->o->timeout + 1;
	return w;
}

static void
worker_done(void *state)
{
	struct worker *w = state;

	thumb_free(w->thumb);
	vipslog_stop(&w->log);
	g_free(w);
}

static void
worker_work(void *state, const struct job *job, struct result *r)
{
	struct worker *w = state;

	/* Failing to move the limit leaves the old one: still a limit. */
	(void)rlimits_cpu_from_now(w->cpu_seconds);
	fault_before_image(job->in);
	thumb_run(w->thumb, job->in, &job->out, job->source, r);
}

/* A thread's state (--mode threads): the pipeline alone. */
static void *
thread_init(void *data)
{
	struct batch *b = data;

	return thumb_new(&b->o->thumb, THUMB_SHARED_PROCESS, NULL);
}

static void
thread_done(void *state)
{
	thumb_free(state);
}

static void
thread_work(void *state, const struct job *job, struct result *r)
{
	thumb_run(state, job->in, &job->out, job->source, r);
}

/*
 * --mode threads: what libvips logs during the run is the run's, kept once
 * per message (threads.h says why it cannot be tied to a file).
 */
static enum batch_outcome
batch_threads(struct batch *b, struct pool_ops *ops)
{
	struct vipslog log;
	enum batch_outcome outcome;
	GMutex lock;

	g_mutex_init(&lock);
	pipeline_init_process(false);
	vipslog_start(&log, &lock);
	ops->worker_init = thread_init;
	ops->work = thread_work;
	ops->worker_done = thread_done;
	outcome = threads_run(ops);
	/* Every thread is gone: nothing logs into log any more. */
	if (log.text->len > 0)
		report_run_warnings(b->rp, log.text->str);
	vipslog_stop(&log);
	g_mutex_clear(&lock);
	return outcome;
}

/*
 * Can a file at an output path be an input of this run? When the output
 * folder is, or is inside, a PATH folder, or paths come from a list.
 * Then --replace-unrecorded leaves images there alone.
 */
static bool
outputs_may_be_inputs(const struct opts *o)
{
	char *out = realpath(o->outdir, NULL);
	bool may = o->files_from != NULL;

	for (int i = 0; out != NULL && !may && o->paths[i] != NULL; i++) {
		char *in = strcmp(o->paths[i], "-") == 0 ? NULL :
		    realpath(o->paths[i], NULL);
		size_t n = in != NULL ? strlen(in) : 0;

		may = strcmp(o->paths[i], "-") == 0 || (in != NULL &&
		    strncmp(out, in, n) == 0 && (out[n] == '\0' ||
		    out[n] == '/' || n == 1));
		free(in);
	}
	free(out);
	return may;
}

/* --dry-run: what each file would get; no worker, nothing written. */
static void
plan_batch(struct batch *b)
{
	struct job *job;
	struct result r;

	report_set_dry_run(b->rp);
	while (!signals_caught()) {
		enum jobq_next next = jobq_next(b->q, &job, &r);

		if (next == JOBQ_END) {
			b->walked = true;
			break;
		}
		if (next == JOBQ_WAIT) {
			wait_readable(jobq_wait_fd(b->q));
			continue;
		}
		if (next == JOBQ_SETTLED && job->out.n == 0 &&
		    b->prune != NULL)
			prune_forbid(b->prune, "the walk met an error");
		if (next == JOBQ_JOB)
			report_plan(b->rp, job, job->redo ? PLAN_REDO
			    : PLAN_MAKE, &r);
		else
			report_plan(b->rp, job, r.status == STATUS_SKIPPED
			    ? PLAN_SKIP : PLAN_ERROR, &r);
		jobq_done(b->q, job);
	}
}

/* --sequential: every file in this process, in order; never forks. */
static void
batch_sequential(struct batch *b)
{
	struct vipslog log;
	struct thumb *t;
	struct job *job;
	struct result r;

	/* This process is the one worker. */
	pipeline_init_process(true);
	vipslog_start(&log, NULL);
	t = thumb_new(&b->o->thumb, THUMB_OWN_PROCESS, &log);

	while (!signals_caught()) {
		if ((job = next_job(b)) == NULL && b->wait_fd < 0)
			break;
		if (job == NULL) {
			wait_readable(b->wait_fd);
			continue;
		}
		thumb_run(t, job->in, &job->out, job->source, &r);
		r.worker = getpid();
		job_done(b, job, &r);
	}
	thumb_free(t);
	vipslog_stop(&log);
}

/*
 * The batch's scan, output layout and queue, and --prune's state. 0, or -1
 * when the scan cannot start (said here).
 */
static int
batch_open(struct batch *b)
{
	const struct opts *o = b->o;
	const struct output_layout_config lc = {
		.thumb = &o->thumb,
		.format = o->format,
		.tmpl = o->output_template,
		.cache_size = o->freedesktop_size,
		.can_save = pipeline_can_save,
	};
	const struct prune_config pc = {
		.outdir = o->outdir,
		.thumb = &o->thumb,
		.shard = o->shard,
		.shards = o->shards,
		.dry_run = o->dry_run,
	};

	b->sc = (struct scan_config){
		.paths = o->paths,
		.files_from = o->files_from,
		.null_sep = o->null_sep,
		.follow = o->follow,
		.allow_untrusted = o->allow_untrusted,
		.skip_dir = o->outdir,
		.watch = o->watch,
		.folder_read = folder_read,
		.folder_gone = folder_gone,
		.data = b,
	};
	b->qc = (struct jobq_config){
		.outputs_may_be_inputs = outputs_may_be_inputs(o),
		.thumb = &o->thumb,
		.allow_untrusted = o->allow_untrusted,
		.force = o->force,
		.verify = o->verify,
		.dry_run = o->dry_run,
		.watch = o->watch,
		.shard = o->shard,
		.shards = o->shards,
	};
	if ((b->qc.scan = scan_new(&b->sc)) == NULL) {
		fprintf(stderr, "pthumb: cannot watch: inotify: %s\n",
		    strerror(errno));
		return -1;
	}
	if (o->prune)
		b->prune = prune_new(&pc);
	/* Before any worker is forked: they name their files for it. */
	output_owner_init();
	b->qc.layout = output_layout_new(&lc);
	b->q = jobq_new(&b->qc);
	return 0;
}

static void
batch_close(struct batch *b)
{
	prune_free(b->prune);
	jobq_free(b->q);
	output_layout_free(b->qc.layout);
	scan_free(b->qc.scan);
}

/* Every file, in the given mode (or planned, for --dry-run); how many
   workers did it in *rw. */
static enum batch_outcome
batch_files(struct batch *b, enum run_mode mode, struct report_workers *rw)
{
	const struct opts *o = b->o;
	struct pool_ops ops = {
		.workers = o->jobs,
		.spawn = mode == MODE_SPAWN,
		.max_tasks = (unsigned)o->max_tasks,
		.timeout_ms = (long long)(o->timeout * 1000),
		.next = next_job,
		.wait_fd = job_wait_fd,
		.done = job_done,
		.retry = job_retry,
		.note = job_note,
		.cleanup = job_cleanup,
		.worker_init = worker_init,
		.work = worker_work,
		.worker_done = worker_done,
		.data = b,
	};
	struct pool_stats ps = {0};
	enum batch_outcome outcome;

	if (o->dry_run) {
		plan_batch(b);
		return BATCH_DONE;
	}
	switch (mode) {
	case MODE_SEQUENTIAL:
		rw->workers = 1;
		batch_sequential(b);
		return BATCH_DONE;
	case MODE_THREADS:
		return batch_threads(b, &ops);
	default:
		outcome = pool_run(&ops, &ps);
		rw->started = ps.forks;
		rw->recycled = ps.recycled;
		rw->max_alive = ps.max_alive;
		return outcome;
	}
}

enum batch_outcome
batch_run(const struct opts *o, enum run_mode mode, struct report *rp)
{
	struct batch b = {.o = o, .rp = rp, .wait_fd = -1};
	struct report_workers rw = {.mode = mode, .workers = o->jobs};
	enum batch_outcome outcome;

	if (batch_open(&b) != 0)
		return BATCH_CANNOT_START;
	outcome = batch_files(&b, mode, &rw);
	report_set_workers(rp, &rw);
	if (outcome == BATCH_DONE && signals_caught())
		outcome = BATCH_INTERRUPTED;
	/* Only after a walk to its end, of a run not stopped. */
	if (outcome == BATCH_DONE && b.walked)
		prune_now(&b);
	batch_close(&b);
	return outcome;
}
