/*
 * run: scan -> queue -> pool, threads or sequential loop -> report (see
 * run.h).
 */
#include "run.h"

#include <errno.h>  /* errno, EINTR */
#include <poll.h>   /* ppoll */
#include <stdio.h>  /* fprintf */
#include <stdlib.h> /* realpath, free */
#include <string.h> /* strerror, strcmp, strncmp */
#include <unistd.h> /* getpid */

#include <glib.h> /* g_new0, g_free */

#include "fault.h"
#include "jobq.h"
#include "output.h"  /* output_tmp_path */
#include "prune.h"
#include "rlimits.h"
#include "scan.h"
#include "signals.h" /* signals_caught */
#include "threads.h"
#include "thumb.h"

/* What the pool's callbacks share. */
struct run {
	const struct opts *o;
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
	struct run *run = data;

	if (what == PRUNE_KEPT_FOLDER)
		report_note(run->rp, out, "not pruned: its source folder is not "
		    "there (a share not mounted?); remove it yourself if that "
		    "folder was deleted");
	else
		report_pruned(run->rp, out, what == PRUNE_FAILED ? err : 0);
}

/* --prune: the folders read whole since the last time (all of them, after
   the walk). */
static void
prune_now(struct run *run)
{
	const char *why;

	if (run->prune != NULL && (why = prune_run(run->prune,
	    report_one_pruned, run)) != NULL) {
		fprintf(stderr, "pthumb: --prune: nothing pruned: %s\n", why);
		prune_free(run->prune);
		run->prune = NULL; /* said once */
	}
}

/* The scan read a folder whole: --prune may look at its mirror. */
static void
folder_read(void *data, const char *path, const char *rel,
    const GPtrArray *names)
{
	struct run *run = data;

	if (run->prune == NULL)
		return;
	/* An empty PATH may be a disk that is not mounted. */
	if (*rel == '\0' && names->len == 0)
		prune_forbid(run->prune, "a PATH folder is empty (a disk not "
		    "mounted?)");
	prune_folder_read(run->prune, path, rel, names);
}

/* --watch saw a folder deleted or moved out: its mirror may go. */
static void
folder_gone(void *data, const char *rel)
{
	struct run *run = data;

	if (run->prune != NULL)
		prune_folder_gone(run->prune, rel);
}

/* The next file for a worker; files that need none are reported here.
   NULL: no more, or none yet (run->wait_fd). */
static struct job *
next_job(void *data)
{
	struct run *run = data;
	struct job *job;
	struct result r;

	run->wait_fd = -1;
	for (;;) {
		switch (jobq_next(run->q, &job, &r)) {
		case JOBQ_WAIT:
			run->wait_fd = jobq_wait_fd(run->q);
			/* Watching: what the walk or deletions left behind. */
			if (run->o->watch)
				prune_now(run);
			return NULL;
		case JOBQ_END:
			report_scan_done(run->rp);
			run->walked = true;
			return NULL;
		case JOBQ_JOB:
			report_seen(run->rp, job->id);
			return job;
		case JOBQ_SETTLED:
			/* A walk error: --prune cannot trust what it saw. */
			if (job->out == NULL && run->prune != NULL)
				prune_forbid(run->prune, "the walk met an error");
			report_seen(run->rp, job->id);
			report_file(run->rp, job, &r);
			jobq_done(run->q, job);
			break;
		}
	}
}

static int
job_wait_fd(void *data)
{
	struct run *run = data;

	return run->wait_fd;
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

/* A dead worker's temporary files: one per box of a multi-size run. */
static void
job_cleanup(void *data, const struct job *job, pid_t pid)
{
	struct run *run = data;
	const struct thumb_opts *t = &run->o->thumb;

	for (int i = 0; i < MAX(t->nboxes, 1); i++) {
		char *out = i == 0 ? g_strdup(job->out) : output_for_box(
		    job->out, t->outdir, t->boxes[0].label, t->boxes[i].label);
		char *tmp = out != NULL ? output_tmp_path(out, pid) : NULL;

		if (tmp != NULL)
			unlink(tmp);
		g_free(tmp);
		g_free(out);
	}
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
	w->thumb = thumb_new(&run->o->thumb, THUMB_OWN_PROCESS);
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
worker_work(void *state, const struct job *job, struct result *r)
{
	struct worker *w = state;

	/* Failing to move the limit leaves the old one: still a limit. */
	(void)rlimits_cpu_from_now(w->cpu_seconds);
	fault_before_image(job->in);
	thumb_run(w->thumb, job->in, job->out, job->source, r);
}

/* A thread's state (--mode threads): the pipeline alone. */
static void *
thread_init(void *data)
{
	struct run *run = data;

	return thumb_new(&run->o->thumb, THUMB_SHARED_PROCESS);
}

static void
thread_done(void *state)
{
	thumb_free(state);
}

static void
thread_work(void *state, const struct job *job, struct result *r)
{
	thumb_run(state, job->in, job->out, job->source, r);
}

/*
 * --mode threads: what libvips logs during the run, kept once per message
 * (threads.h says why it cannot be tied to a file).
 */
struct run_log {
	GMutex lock;
	GString *text;
};

static void
log_for_run(const gchar *domain, GLogLevelFlags level, const gchar *message,
    gpointer data)
{
	struct run_log *log = data;

	(void)domain;
	if (level & (G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG))
		return;
	g_mutex_lock(&log->lock);
	if (log->text->len < RESULT_WARNINGS_MAX &&
	    strstr(log->text->str, message) == NULL) {
		if (log->text->len > 0)
			g_string_append(log->text, "; ");
		g_string_append(log->text, message);
		g_strchomp(log->text->str);
		g_string_set_size(log->text, strlen(log->text->str));
	}
	g_mutex_unlock(&log->lock);
}

static enum pool_outcome
run_threads(struct run *run, struct pool_ops *ops)
{
	const GLogLevelFlags all = G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL |
	    G_LOG_FLAG_RECURSION;
	struct run_log log = {.text = g_string_new(NULL)};
	enum pool_outcome outcome;
	guint handler;

	g_mutex_init(&log.lock);
	handler = g_log_set_handler("VIPS", all, log_for_run, &log);
	g_log_set_default_handler(log_for_run, &log);
	ops->worker_init = thread_init;
	ops->work = thread_work;
	ops->worker_done = thread_done;
	outcome = threads_run(ops);
	/* Every thread is gone: nothing logs into log any more. */
	g_log_remove_handler("VIPS", handler);
	g_log_set_default_handler(g_log_default_handler, NULL);
	if (log.text->len > 0)
		report_run_warnings(run->rp, log.text->str);
	g_string_free(log.text, TRUE);
	g_mutex_clear(&log.lock);
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
run_dry(struct run *run)
{
	struct job *job;
	struct result r;

	report_set_dry_run(run->rp);
	while (!signals_caught()) {
		enum jobq_next next = jobq_next(run->q, &job, &r);

		if (next == JOBQ_END) {
			run->walked = true;
			break;
		}
		if (next == JOBQ_WAIT) {
			wait_readable(jobq_wait_fd(run->q));
			continue;
		}
		if (next == JOBQ_SETTLED && job->out == NULL &&
		    run->prune != NULL)
			prune_forbid(run->prune, "the walk met an error");
		if (next == JOBQ_JOB)
			report_plan(run->rp, job, job->redo ? PLAN_REDO
			    : PLAN_MAKE, &r);
		else
			report_plan(run->rp, job, r.status == STATUS_SKIPPED
			    ? PLAN_SKIP : PLAN_ERROR, &r);
		jobq_done(run->q, job);
	}
}

/* --sequential: every file in this process, in order; never forks. */
static void
run_sequential(struct run *run)
{
	struct thumb *t = thumb_new(&run->o->thumb, THUMB_OWN_PROCESS);
	struct job *job;
	struct result r;

	while (!signals_caught()) {
		if ((job = next_job(run)) == NULL && run->wait_fd < 0)
			break;
		if (job == NULL) {
			wait_readable(run->wait_fd);
			continue;
		}
		thumb_run(t, job->in, job->out, job->source, &r);
		r.worker = getpid();
		job_done(run, job, &r);
	}
	thumb_free(t);
}

enum pool_outcome
run_batch(const struct opts *o, enum run_mode mode, struct report *rp)
{
	struct run run = {.o = o, .rp = rp, .wait_fd = -1};
	struct scan_config sc = {
		.paths = o->paths,
		.files_from = o->files_from,
		.null_sep = o->null_sep,
		.follow = o->follow,
		.allow_untrusted = o->allow_untrusted,
		.skip_dir = o->outdir,
		.watch = o->watch,
		.folder_read = folder_read,
		.folder_gone = folder_gone,
		.data = &run,
	};
	struct jobq_config qc = {
		.outdir = o->outdir,
		.outputs_may_be_inputs = outputs_may_be_inputs(o),
		.format = o->format,
		.output_template = o->output_template,
		.freedesktop_size = o->freedesktop_size,
		.thumb = &o->thumb,
		.allow_untrusted = o->allow_untrusted,
		.force = o->force,
		.verify = o->verify,
		.dry_run = o->dry_run,
		.watch = o->watch,
		.shard = o->shard,
		.shards = o->shards,
	};
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
		.data = &run,
	};
	struct report_workers rw = {.mode = mode, .workers = o->jobs};
	enum pool_outcome outcome = POOL_DONE;
	struct scan *scan = scan_new(&sc);
	struct pool_stats ps = {0};

	if (scan == NULL) {
		fprintf(stderr, "pthumb: cannot watch: inotify: %s\n",
		    strerror(errno));
		return POOL_CANNOT_START;
	}

	if (o->prune) {
		struct prune_config pc = {
			.outdir = o->outdir,
			.thumb = &o->thumb,
			.shard = o->shard,
			.shards = o->shards,
			.dry_run = o->dry_run,
		};

		run.prune = prune_new(&pc);
	}
	/* Before any worker is forked: they name their files for it. */
	output_owner_init();
	qc.scan = scan;
	run.q = jobq_new(&qc);
	if (o->dry_run)
		mode = MODE_DRY_RUN;
	switch (mode) {
	case MODE_DRY_RUN:
		run_dry(&run);
		break;
	case MODE_SEQUENTIAL:
		rw.workers = 1;
		run_sequential(&run);
		break;
	case MODE_THREADS:
		outcome = run_threads(&run, &ops);
		break;
	default:
		outcome = pool_run(&ops, &ps);
		rw.started = ps.forks;
		rw.recycled = ps.recycled;
		rw.max_alive = ps.max_alive;
		break;
	}
	report_set_workers(rp, &rw);
	if (outcome == POOL_DONE && signals_caught())
		outcome = POOL_INTERRUPTED;
	/* Only after a walk to its end, of a run not stopped. */
	if (outcome == POOL_DONE && run.walked)
		prune_now(&run);
	prune_free(run.prune);
	jobq_free(run.q);
	scan_free(scan);
	return outcome;
}
