/*
 * pool: driven with stub workers and no libvips. Jobs whose input names
 * say so crash, exit or garble; everything else succeeds.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h" /* helper_children */
#include "pool.h"

struct stub {
	GQueue todo;      /* jobs not handed out yet */
	GPtrArray *done;  /* of struct job *, with results in .results */
	GArray *results;  /* struct result, parallel to done */
	int retries;
	int notes;
	guint max_children; /* most children /proc showed at a done() */
	char *marker;     /* a file a crashing job creates, so it crashes once */
};

static struct job *
stub_next(void *data)
{
	struct stub *s = data;

	return g_queue_pop_head(&s->todo);
}

static void
stub_done(void *data, struct job *job, const struct result *r)
{
	struct stub *s = data;
	GArray *children = helper_children(getpid());

	/* Zombies count: a slot may be filled again only once reaped. */
	s->max_children = MAX(s->max_children, children->len);
	g_array_unref(children);
	g_ptr_array_add(s->done, job);
	g_array_append_val(s->results, *r);
}

static void
stub_retry(void *data, struct job *job)
{
	struct stub *s = data;

	s->retries++;
	g_queue_push_head(&s->todo, job);
}

static void
stub_note(void *data, const struct job *job, const char *msg)
{
	struct stub *s = data;

	(void)job;
	cr_assert_not_null(strstr(msg, "trying again"), "%s", msg);
	s->notes++;
}

static void *
stub_init(void *data)
{
	return data;
}

static void
stub_work(void *state, const struct job *job, struct result *r)
{
	struct stub *s = state;
	const char *in = job->in;

	memset(r, 0, sizeof(*r));
	/* Default disposition first: under ASan its handler would turn the
	   crash into exit(1). */
	if (strcmp(in, "segv") == 0) {
		signal(SIGSEGV, SIG_DFL);
		raise(SIGSEGV);
	}
	if (strcmp(in, "exit") == 0)
		_exit(9);
	if (g_str_has_prefix(in, "nap"))
		g_usleep(10000);
	if (strcmp(in, "segv-once") == 0 && access(s->marker, F_OK) != 0) {
		FILE *f = fopen(s->marker, "w");

		if (f != NULL)
			fclose(f);
		raise(SIGKILL);
	}
	r->status = STATUS_OK;
	r->width = (int)strlen(in);
	r->out_width = 1;
}

static struct stub *
stub_new(const char *const *inputs)
{
	struct stub *s = g_new0(struct stub, 1);
	unsigned id = 0;

	g_queue_init(&s->todo);
	s->done = g_ptr_array_new();
	s->results = g_array_new(FALSE, TRUE, sizeof(struct result));
	s->marker = g_strdup_printf("%s/pthumb-pool-test-%ld",
	    g_get_tmp_dir(), (long)getpid());
	unlink(s->marker);
	for (; *inputs != NULL; inputs++) {
		struct job *job = g_new0(struct job, 1);

		job->id = ++id;
		job->in = g_strdup(*inputs);
		job->out.n = 1;
		job->out.t[0].path = g_strdup_printf("/nonexistent/%s",
		    *inputs);
		job->out.t[0].width = job->out.t[0].height = 50;
		g_queue_push_tail(&s->todo, job);
	}
	return s;
}

static void
stub_free(struct stub *s)
{
	for (guint i = 0; i < s->done->len; i++) {
		struct job *job = g_ptr_array_index(s->done, i);

		g_free(job->in);
		output_targets_clear(&job->out);
		g_free(job);
	}
	g_ptr_array_unref(s->done);
	g_array_unref(s->results);
	unlink(s->marker);
	g_free(s->marker);
	g_free(s);
}

static enum batch_outcome
run_stub_with(struct stub *s, int workers, bool spawn, unsigned max_tasks,
    struct pool_stats *stats)
{
	struct pool_ops ops = {
		.workers = workers,
		.spawn = spawn,
		.max_tasks = max_tasks,
		.next = stub_next,
		.done = stub_done,
		.retry = stub_retry,
		.note = stub_note,
		.worker_init = stub_init,
		.work = stub_work,
		.data = s,
	};

	return pool_run(&ops, stats);
}

static enum batch_outcome
run_stub(struct stub *s, int workers)
{
	return run_stub_with(s, workers, false, 0, NULL);
}

static const struct result *
result_for(struct stub *s, const char *in)
{
	for (guint i = 0; i < s->done->len; i++) {
		struct job *job = g_ptr_array_index(s->done, i);

		if (strcmp(job->in, in) == 0)
			return &g_array_index(s->results, struct result, i);
	}
	cr_assert_fail("no result for %s", in);
	return NULL;
}

/* No child of ours may be left: not running, not a zombie. */
static void
assert_no_children(void)
{
	cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1, "a child is left");
}

Test(pool, every_job_done_once, .timeout = 20)
{
	const char *const in[] = {"a", "bb", "ccc", "dddd", "e", "f", "g", NULL};
	struct stub *s = stub_new(in);

	cr_assert_eq(run_stub(s, 3), BATCH_DONE);
	cr_assert_eq(s->done->len, 7);
	for (int i = 0; in[i] != NULL; i++) {
		const struct result *r = result_for(s, in[i]);

		cr_assert_eq(r->status, STATUS_OK);
		cr_assert_eq(r->width, (int)strlen(in[i]));
		cr_assert_gt(r->worker, 0, "the worker's pid is reported");
	}
	cr_assert_eq(s->retries, 0);
	assert_no_children();
	stub_free(s);
}

Test(pool, a_crash_is_retried_once_then_reported, .timeout = 20)
{
	const char *const in[] = {"a", "segv", "b", "exit", "c", NULL};
	struct stub *s = stub_new(in);
	const struct result *r;

	cr_assert_eq(run_stub(s, 2), BATCH_DONE);
	cr_assert_eq(s->done->len, 5);
	r = result_for(s, "segv");
	cr_assert_eq(r->status, STATUS_ERROR);
	cr_assert_not_null(strstr(r->error, "killed by SIGSEGV"), "%s",
	    r->error);
	r = result_for(s, "exit");
	cr_assert_eq(r->status, STATUS_ERROR);
	cr_assert_not_null(strstr(r->error, "exited with status 9"), "%s",
	    r->error);
	cr_assert_eq(result_for(s, "a")->status, STATUS_OK);
	cr_assert_eq(result_for(s, "b")->status, STATUS_OK);
	cr_assert_eq(result_for(s, "c")->status, STATUS_OK);
	cr_assert_eq(s->retries, 2, "each fatal job retried exactly once");
	cr_assert_eq(s->notes, 2);
	assert_no_children();
	stub_free(s);
}

Test(pool, a_file_that_kills_once_succeeds_in_a_fresh_worker,
    .timeout = 20)
{
	const char *const in[] = {"a", "segv-once", "b", NULL};
	struct stub *s = stub_new(in);

	cr_assert_eq(run_stub(s, 1), BATCH_DONE);
	cr_assert_eq(s->done->len, 3);
	cr_assert_eq(result_for(s, "segv-once")->status, STATUS_OK);
	cr_assert_eq(s->retries, 1);
	assert_no_children();
	stub_free(s);
}

static void *
init_fails(void *data)
{
	(void)data;
	return NULL;
}

Test(pool, workers_that_cannot_start_stop_the_run, .timeout = 20)
{
	const char *const in[] = {"a", "b", NULL};
	struct stub *s = stub_new(in);
	struct pool_ops ops = {
		.workers = 2,
		.next = stub_next,
		.done = stub_done,
		.retry = stub_retry,
		.worker_init = init_fails,
		.work = stub_work,
		.data = s,
	};

	cr_assert_eq(pool_run(&ops, NULL), BATCH_BROKEN);
	cr_assert_eq(s->done->len, 0);
	assert_no_children();
	/* The jobs were never handed out: still queued, freed here. */
	while (!g_queue_is_empty(&s->todo))
		g_ptr_array_add(s->done, g_queue_pop_head(&s->todo));
	stub_free(s);
}

Test(pool, more_workers_than_jobs, .timeout = 20)
{
	const char *const in[] = {"only", NULL};
	struct stub *s = stub_new(in);

	cr_assert_eq(run_stub(s, 8), BATCH_DONE);
	cr_assert_eq(s->done->len, 1);
	assert_no_children();
	stub_free(s);
}

/* How many jobs each worker pid did: pid -> count. */
static GHashTable *
jobs_per_worker(struct stub *s)
{
	GHashTable *per = g_hash_table_new(g_direct_hash, g_direct_equal);

	for (guint i = 0; i < s->results->len; i++) {
		const struct result *r = &g_array_index(s->results,
		    struct result, i);
		gpointer key = GINT_TO_POINTER(r->worker);

		g_hash_table_insert(per, key, GINT_TO_POINTER(
		    GPOINTER_TO_INT(g_hash_table_lookup(per, key)) + 1));
	}
	return per;
}

static const char *const twenty_naps[] = {
	"nap01", "nap02", "nap03", "nap04", "nap05", "nap06", "nap07",
	"nap08", "nap09", "nap10", "nap11", "nap12", "nap13", "nap14",
	"nap15", "nap16", "nap17", "nap18", "nap19", "nap20", NULL,
};

Test(pool, spawn_forks_a_process_per_job_never_more_than_n, .timeout = 30)
{
	struct stub *s = stub_new(twenty_naps);
	struct pool_stats st = {0};
	GHashTable *per;

	cr_assert_eq(run_stub_with(s, 3, true, 0, &st), BATCH_DONE);
	cr_assert_eq(s->done->len, 20);
	per = jobs_per_worker(s);
	cr_assert_eq(g_hash_table_size(per), 20, "one process per job, "
	    "%u pids", g_hash_table_size(per));
	cr_assert_eq(st.forks, 20);
	/* The pool's own count: all three slots are filled at once. */
	cr_assert_eq(st.max_alive, 3);
	/* And what /proc saw whenever a job was done. */
	cr_assert_geq(s->max_children, 1);
	cr_assert_leq(s->max_children, 3, "/proc showed %u children",
	    s->max_children);
	cr_assert_eq(s->retries, 0);
	assert_no_children();
	g_hash_table_unref(per);
	stub_free(s);
}

Test(pool, spawn_retries_a_crash_once_in_a_new_process, .timeout = 20)
{
	const char *const in[] = {"a", "segv", "segv-once", "b", NULL};
	struct stub *s = stub_new(in);
	struct pool_stats st = {0};
	const struct result *r;

	cr_assert_eq(run_stub_with(s, 2, true, 0, &st), BATCH_DONE);
	cr_assert_eq(s->done->len, 4);
	r = result_for(s, "segv");
	cr_assert_eq(r->status, STATUS_ERROR);
	cr_assert_not_null(strstr(r->error, "killed by SIGSEGV"), "%s",
	    r->error);
	cr_assert_eq(result_for(s, "segv-once")->status, STATUS_OK);
	cr_assert_eq(result_for(s, "a")->status, STATUS_OK);
	cr_assert_eq(s->retries, 2);
	cr_assert_eq(st.forks, 6, "4 jobs and 2 retries");
	assert_no_children();
	stub_free(s);
}

static void
count_sizes(gpointer key, gpointer value, gpointer data)
{
	int *sizes = data;

	(void)key;
	sizes[GPOINTER_TO_INT(value)]++;
}

Test(pool, one_worker_is_replaced_after_exactly_k_jobs, .timeout = 20)
{
	const char *const in[] = {"a", "b", "c", "d", "e", "f", "g", "h",
	    NULL};
	struct stub *s = stub_new(in);
	struct pool_stats st = {0};
	int sizes[9] = {0};
	GHashTable *per;

	cr_assert_eq(run_stub_with(s, 1, false, 3, &st), BATCH_DONE);
	cr_assert_eq(s->done->len, 8);
	per = jobs_per_worker(s);
	g_hash_table_foreach(per, count_sizes, sizes);
	cr_assert(sizes[3] == 2 && sizes[2] == 1 && g_hash_table_size(per)
	    == 3, "8 jobs, 3 per worker: workers of 3, 3 and 2 jobs");
	cr_assert_eq(st.forks, 3);
	cr_assert_eq(st.recycled, 2);
	cr_assert_eq(st.max_alive, 1);
	assert_no_children();
	g_hash_table_unref(per);
	stub_free(s);

	/* 6 jobs: the second worker's third is the last; no third worker
	   is forked for nothing. */
	s = stub_new((const char *const[]){"a", "b", "c", "d", "e", "f", NULL});
	cr_assert_eq(run_stub_with(s, 1, false, 3, &st), BATCH_DONE);
	cr_assert_eq(s->done->len, 6);
	cr_assert_eq(st.forks, 2, "no worker is forked with nothing to do");
	cr_assert_eq(st.recycled, 1);
	stub_free(s);
}

Test(pool, recycled_workers_never_exceed_k_jobs, .timeout = 30)
{
	struct stub *s = stub_new(twenty_naps);
	struct pool_stats st = {0};
	int sizes[21] = {0}, short_ones = 0;
	GHashTable *per;

	cr_assert_eq(run_stub_with(s, 3, false, 4, &st), BATCH_DONE);
	cr_assert_eq(s->done->len, 20);
	per = jobs_per_worker(s);
	g_hash_table_foreach(per, count_sizes, sizes);
	for (int k = 5; k <= 20; k++)
		cr_assert_eq(sizes[k], 0, "a worker did %d jobs", k);
	/* Only the workers alive at the end can have done fewer. */
	for (int k = 1; k < 4; k++)
		short_ones += sizes[k];
	cr_assert_leq(short_ones, 3);
	cr_assert_eq(st.forks, g_hash_table_size(per));
	cr_assert_eq(st.recycled, st.forks - 3);
	cr_assert_leq(st.max_alive, 3);
	cr_assert_leq(s->max_children, 3);
	assert_no_children();
	g_hash_table_unref(per);
	stub_free(s);
}
