/*
 * --mode and --max-tasks-per-worker end to end: every mode writes the same
 * bytes, spawn never has more than N children, recycling happens at the
 * right count, threads report per file and stop cleanly.
 */
#include <criterion/criterion.h>
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

TestSuite(modes, .init = helper_init_dir, .fini = helper_fini_dir,
    .timeout = 120);

/* worker pid -> how many files it did, from the file lines of --json. */
static GHashTable *
files_per_worker(const char *out)
{
	GHashTable *per = g_hash_table_new(g_direct_hash, g_direct_equal);
	char **lines = g_strsplit(out, "\n", -1);

	for (char **l = lines; *l != NULL; l++) {
		gpointer key;

		if (!g_str_has_prefix(*l, "{\"type\": \"file\""))
			continue;
		key = GINT_TO_POINTER((int)helper_json_number(*l, "worker", 0));
		cr_assert_gt(GPOINTER_TO_INT(key), 0, "no worker in %s", *l);
		g_hash_table_insert(per, key, GINT_TO_POINTER(
		    GPOINTER_TO_INT(g_hash_table_lookup(per, key)) + 1));
	}
	g_strfreev(lines);
	return per;
}

/* Nine runs over testdata/: under valgrind (`make valgrind`) more than
   the suite's two minutes. */
Test(modes, every_mode_writes_the_same_bytes, .timeout = 300)
{
	/* --sequential is --mode sequential's short form, and -j alone
	   sizes the pool. */
	static const char *const modes[][5] = {
		{"--mode", "sequential", NULL},
		{"--sequential", NULL},
		{"--mode", "pool", "-j", "2", NULL},
		{"-j", "1", NULL},
		{"-j", "4", NULL},
		{"--mode", "spawn", "-j", "2", NULL},
		{"--mode", "threads", "-j", "2", NULL},
		{"--mode", "threads", "-j", "1", NULL},
		{"--max-tasks-per-worker", "1", "-j", "2", NULL},
	};
	const int n = G_N_ELEMENTS(modes);
	const char *dir = helper_dir();
	char *outs[G_N_ELEMENTS(modes)];

	for (int m = 0; m < n; m++) {
		const char *args[10] = {"-q", "-o"};
		char *what = g_strjoinv(" ", (char **)modes[m]);
		int k = 2;
		struct ran r;

		outs[m] = g_strdup_printf("%s/out%d", dir, m);
		args[k++] = outs[m];
		for (int i = 0; modes[m][i] != NULL; i++)
			args[k++] = modes[m][i];
		args[k++] = TESTDATA;
		helper_run(&r, args);
		cr_assert_eq(r.status, 0, "%s: %s", what, r.err);
		cr_assert_str_eq(r.err, "", "%s", what);
		helper_run_free(&r);
		cr_assert_eq(helper_count_files(outs[m]), TESTDATA_IMAGES, "%s",
		    what);
		g_free(what);
	}
	for (int i = 0; i < TESTDATA_IMAGES; i++) {
		const char *name = helper_testdata[i];
		char *a = g_build_filename(outs[0], name, NULL);

		for (int m = 1; m < n; m++) {
			char *b = g_build_filename(outs[m], name, NULL);

			cr_assert(helper_same_bytes(a, b), "%s and %s differ",
			    a, b);
			g_free(b);
		}
		g_free(a);
	}
	for (int m = 0; m < n; m++)
		g_free(outs[m]);
}

Test(modes, spawn_never_has_more_than_n_children)
{
	static const char *const small[] = {"picture.gif", "umang.webp",
	    "wine-alpha.png", NULL};
	const char *dir = helper_dir();
	char *in = g_build_filename(dir, "in", NULL);
	char *out = g_build_filename(dir, "out", NULL);
	char *log_out = g_build_filename(dir, "stdout", NULL);
	char *log_err = g_build_filename(dir, "stderr", NULL);
	const char *const args[] = {"--mode", "spawn", "-j", "2", "--json",
	    "-o", out, in, NULL};
	guint most = 0, samples = 0;
	gchar *text = NULL;
	char *mode;
	int status = -1;
	pid_t pid;

	helper_skip_under_valgrind("a valgrind start-up for each of sixty "
	    "files");

	helper_fill(in, small, 60);
	pid = helper_start(args, log_out, log_err);
	/* Until it is gone: its children, zombies included, as /proc
	   lists them. */
	for (;;) {
		GArray *children = helper_children(pid);
		pid_t rc;

		most = MAX(most, children->len);
		samples++;
		g_array_unref(children);
		rc = waitpid(pid, &status, WNOHANG);
		cr_assert_neq(rc, -1);
		if (rc == pid)
			break;
		usleep(500);
	}
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "status %d", status);
	cr_assert_geq(most, 1, "no child seen in %u samples", samples);
	cr_assert_leq(most, 2, "/proc showed %u children", most);
	cr_assert(g_file_get_contents(log_out, &text, NULL, NULL));
	cr_assert_eq(helper_summary_field(text, "done"), 60);
	cr_assert_eq(helper_summary_field(text, "workers_started"), 60,
	    "a process per file");
	cr_assert_eq(helper_summary_field(text, "max_workers_alive"), 2);
	mode = helper_json_string(helper_json_summary(text), "mode");
	cr_assert_str_eq(mode, "spawn", "%s", text);
	cr_log_info("spawn: at most %u children in %u samples", most,
	    samples);
	g_free(mode);
	g_free(text);
	g_free(log_out);
	g_free(log_err);
	g_free(in);
	g_free(out);
}

static void
count_sizes(gpointer key, gpointer value, gpointer data)
{
	int *sizes = data;

	(void)key;
	if (GPOINTER_TO_INT(value) < 16)
		sizes[GPOINTER_TO_INT(value)]++;
	else
		sizes[15]++;
}

Test(modes, workers_are_recycled_after_k_files)
{
	const char *out = helper_dir();
	const char *const one[] = {"--json", "-j", "1",
	    "--max-tasks-per-worker", "3", "-o", out, TESTDATA, NULL};
	const char *const two[] = {"--json", "-j", "2", "--force",
	    "--max-tasks-per-worker", "2", "-o", out, TESTDATA, NULL};
	int sizes[16] = {0}, started;
	GHashTable *per;
	struct ran r;

	/* One worker, 8 files, 3 each: workers of 3, 3 and 2 files. */
	helper_run(&r, one);
	cr_assert_eq(r.status, 0, "%s", r.err);
	per = files_per_worker(r.out);
	g_hash_table_foreach(per, count_sizes, sizes);
	cr_assert(g_hash_table_size(per) == 3 && sizes[3] == 2 &&
	    sizes[2] == 1, "%s", r.out);
	cr_assert_eq(helper_summary_field(r.out, "workers_started"), 3);
	cr_assert_eq(helper_summary_field(r.out, "workers_recycled"), 2);
	g_hash_table_unref(per);
	helper_run_free(&r);

	/* Two workers, 2 each: no worker did more; only the two alive at
	   the end may have done fewer. */
	memset(sizes, 0, sizeof(sizes));
	helper_run(&r, two);
	cr_assert_eq(r.status, 0, "%s", r.err);
	per = files_per_worker(r.out);
	g_hash_table_foreach(per, count_sizes, sizes);
	for (int k = 3; k < 16; k++)
		cr_assert_eq(sizes[k], 0, "a worker did %d files: %s", k,
		    r.out);
	cr_assert_leq(sizes[1], 2, "%s", r.out);
	/* A worker replaced while a file was queued may find that another
	   took it first (seen once in 200 runs): it was started and did
	   nothing. Every worker that did a file was started. */
	started = helper_summary_field(r.out, "workers_started");
	cr_assert(started >= (int)g_hash_table_size(per) &&
	    started <= (int)g_hash_table_size(per) + 2, "%s", r.out);
	cr_assert_eq(helper_summary_field(r.out, "workers_recycled"),
	    started - 2);
	cr_assert_eq(helper_summary_field(r.out, "max_workers_alive"), 2);
	g_hash_table_unref(per);
	helper_run_free(&r);
}

static gint
by_string(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The status of each file line, as "input status\n" sorted. */
static char *
statuses(const char *out)
{
	char **lines = g_strsplit(out, "\n", -1);
	GPtrArray *v = g_ptr_array_new_with_free_func(g_free);
	char *joined;

	for (char **l = lines; *l != NULL; l++) {
		char *in, *st;

		if (!g_str_has_prefix(*l, "{\"type\": \"file\""))
			continue;
		in = helper_json_string(*l, "input");
		st = helper_json_string(*l, "status");
		g_ptr_array_add(v, g_strdup_printf("%s %s", in, st));
		g_free(st);
		g_free(in);
	}
	g_ptr_array_sort(v, by_string);
	g_ptr_array_add(v, NULL);
	joined = g_strjoinv("\n", (char **)v->pdata);
	g_ptr_array_unref(v);
	g_strfreev(lines);
	return joined;
}

Test(modes, threads_give_bad_files_the_same_outcome_as_processes)
{
	const char *dir = helper_dir();
	char *out_pool = g_build_filename(dir, "pool", NULL);
	char *out_threads = g_build_filename(dir, "threads", NULL);
	const char *const pool[] = {"--json", "-j", "2", "-o", out_pool,
	    TOP_DIR "/tests/data/bad", TESTDATA, NULL};
	const char *const threads[] = {"--json", "--mode", "threads", "-j",
	    "2", "-o", out_threads, TOP_DIR "/tests/data/bad", TESTDATA,
	    NULL};
	const char *summary;
	char *a, *b, *mode;
	struct ran rp, rt;
	int runwide;

	helper_run(&rp, pool);
	helper_run(&rt, threads);
	cr_assert_eq(rp.status, 1, "%s", rp.err);
	cr_assert_eq(rt.status, 1, "%s", rt.err);
	a = statuses(rp.out);
	b = statuses(rt.out);
	cr_assert_str_eq(a, b);
	cr_assert_gt(helper_count_lines(b, " error"), 0, "%s", b);
	cr_assert_geq(helper_count_lines(b, " ok"), TESTDATA_IMAGES, "%s", b);
	/* stderr says the same, plus at most one line for what libvips
	   logged on its threads, which is in the summary too. */
	runwide = helper_count_lines(rt.err, "libvips' messages during the "
	    "run");
	cr_assert_leq(runwide, 1);
	cr_assert_eq(helper_count_lines(rt.err, "pthumb: "),
	    helper_count_lines(rp.err, "pthumb: ") + runwide,
	    "pool:\n%s\nthreads:\n%s", rp.err, rt.err);
	summary = helper_json_summary(rt.out);
	cr_assert_eq(strstr(summary, "\"run_warnings\": ") != NULL,
	    runwide == 1, "%s", summary);
	mode = helper_json_string(summary, "mode");
	cr_assert_str_eq(mode, "threads");
	cr_assert_eq(helper_summary_field(rt.out, "workers_started"), 0);
	cr_assert_eq(helper_count_tmp(dir), 0);
	g_free(mode);
	g_free(a);
	g_free(b);
	helper_run_free(&rp);
	helper_run_free(&rt);
	g_free(out_pool);
	g_free(out_threads);
}

Test(modes, threads_stop_on_sigint_after_the_images_in_progress)
{
	static const char *const seeding[] = {"seeding.jpg", NULL};
	const char *dir = helper_dir();
	char *in = g_build_filename(dir, "in", NULL);
	char *out = g_build_filename(dir, "out", NULL);
	char *log_out = g_build_filename(dir, "stdout", NULL);
	char *log_err = g_build_filename(dir, "stderr", NULL);
	const char *const args[] = {"--mode", "threads", "-j", "2", "--json",
	    "--exact", "-b", "30", "-s", "400", "-o", out, in, NULL};
	gchar *text = NULL;
	long done;
	pid_t pid;
	int status;

	helper_skip_under_valgrind("it times pthumb's answer to a signal: "
	    "valgrind is too slow for that clock");

	helper_fill(in, seeding, 16);
	pid = helper_start(args, log_out, log_err);
	/* Wait for the first thumbnail, so the run is under way. */
	for (int i = 0; i < 6000 && helper_count_files(out) -
	    helper_count_tmp(out) == 0; i++)
		usleep(5000);
	cr_assert_eq(kill(pid, SIGINT), 0);
	status = helper_wait(pid);
	cr_assert_eq(status, 128 + SIGINT, "exit %d", status);
	cr_assert(g_file_get_contents(log_out, &text, NULL, NULL));
	done = helper_summary_field(text, "done");
	/* Every file handed out was finished and reported; no more. */
	cr_assert_eq(helper_count_lines(text, "\"type\": \"file\""), done);
	cr_assert_eq(helper_count_files(out), done);
	cr_assert_lt(done, 16, "the run was not stopped");
	cr_assert_eq(helper_count_tmp(out), 0);
	g_free(text);
	g_free(log_out);
	g_free(log_err);
	g_free(in);
	g_free(out);
}
