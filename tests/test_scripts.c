/*
 * Scripts and pipelines of commands, end to end: shards that cover a tree
 * exactly once, resuming, --dry-run, --output-template.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vips/vips.h>

#include "helpers.h"

TestSuite(scripts, .init = helper_init_vips_dir, .fini = helper_fini_dir,
    .timeout = 120);

/* A tree of n small images in three folders; returns its root. */
static char *
make_tree(const char *dir, int n)
{
	static const char *const small[] = {"picture.gif", "umang.webp",
	    "wine-alpha.png", "sunset.jpg", NULL};
	char *root = g_build_filename(dir, "in", NULL);

	for (int k = 0; k < 3; k++) {
		char *sub = g_strdup_printf("%s/f%d", root, k);

		helper_fill(sub, small, n / 3 + (k < n % 3));
		g_free(sub);
	}
	return root;
}

/* Every regular file under dir, as paths relative to it, sorted. */
static void
list_files(const char *dir, const char *prefix, GPtrArray *out)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	if (d == NULL)
		return;
	while ((name = g_dir_read_name(d)) != NULL) {
		char *path = g_build_filename(dir, name, NULL);
		char *rel = *prefix ? g_build_filename(prefix, name, NULL)
		    : g_strdup(name);

		if (g_file_test(path, G_FILE_TEST_IS_DIR))
			list_files(path, rel, out);
		else
			g_ptr_array_add(out, g_strdup(rel));
		g_free(path);
		g_free(rel);
	}
	g_dir_close(d);
}

static gint
by_string(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static GPtrArray *
files_under(const char *dir)
{
	GPtrArray *v = g_ptr_array_new_with_free_func(g_free);

	list_files(dir, "", v);
	g_ptr_array_sort(v, by_string);
	return v;
}

Test(scripts, shards_cover_the_tree_exactly_once)
{
	enum { N = 3, FILES = 31 };
	const char *dir = helper_dir();
	char *in = make_tree(dir, FILES);
	char *plain = g_build_filename(dir, "plain", NULL);
	char *sharded = g_build_filename(dir, "sharded", NULL);
	const char *const plain_args[] = {"-q", "-o", plain, in, NULL};
	GPtrArray *want, *got;
	pid_t pids[N];
	char *logs[N];
	long total = 0;

	/* N separate processes at once, as N machines would run them. */
	for (int k = 0; k < N; k++) {
		char *shard = g_strdup_printf("%d/%d", k + 1, N);
		const char *const args[] = {"--json", "-j", "1", "--shard",
		    shard, "-o", sharded, in, NULL};

		logs[k] = g_strdup_printf("%s/shard%d.out", dir, k + 1);
		pids[k] = helper_start(args, logs[k], "/dev/null");
		g_free(shard);
	}
	for (int k = 0; k < N; k++) {
		gchar *text;
		long done;

		cr_assert_eq(helper_wait(pids[k]), 0, "shard %d failed", k + 1);
		cr_assert(g_file_get_contents(logs[k], &text, NULL, NULL));
		done = helper_summary_field(text, "done");
		cr_assert_eq(helper_summary_field(text, "skipped"), 0);
		cr_assert_eq(helper_count_lines(text, "\"type\": \"file\""),
		    done);
		cr_assert_gt(done, 0, "shard %d got nothing of %d", k + 1,
		    FILES);
		total += done;
		g_free(text);
		g_free(logs[k]);
	}
	/* Exactly once: the shards' counts add up to the files, and the
	   union is what a plain run writes, byte for byte. */
	cr_assert_eq(total, FILES);
	{
		struct ran r;

		helper_run(&r, plain_args);
		cr_assert_eq(r.status, 0, "%s", r.err);
		helper_run_free(&r);
	}
	want = files_under(plain);
	got = files_under(sharded);
	cr_assert_eq(want->len, FILES);
	cr_assert_eq(got->len, want->len);
	for (guint i = 0; i < want->len; i++) {
		char *a = g_build_filename(plain, want->pdata[i], NULL);
		char *b = g_build_filename(sharded, want->pdata[i], NULL);

		cr_assert_str_eq(got->pdata[i], want->pdata[i]);
		cr_assert(helper_same_bytes(a, b), "%s differs", b);
		g_free(a);
		g_free(b);
	}
	g_ptr_array_unref(want);
	g_ptr_array_unref(got);
	g_free(plain);
	g_free(sharded);
	g_free(in);
}

/*
 * x3.jpeg and x3.png both make x3.webp. Shards are decided by the output
 * path, so the two always meet in one shard, which reports both; no shard
 * writes a thumbnail under that name.
 */
Test(scripts, colliding_inputs_meet_in_one_shard)
{
	enum { PAIRS = 8 };
	const char *dir = helper_dir();
	char *in = g_build_filename(dir, "in", NULL);
	char *out = g_build_filename(dir, "out", NULL);
	pid_t pids[2];
	char *errs[2];

	cr_assert_eq(g_mkdir_with_parents(in, 0755), 0);
	for (int i = 0; i < PAIRS; i++) {
		char *a = g_strdup_printf("%s/x%d.jpeg", in, i);
		char *b = g_strdup_printf("%s/x%d.png", in, i);

		cr_assert_eq(helper_copy(TESTDATA "/sunset.jpg", a), 0);
		cr_assert_eq(helper_copy(TESTDATA "/wine-alpha.png", b), 0);
		g_free(a);
		g_free(b);
	}
	for (int k = 0; k < 2; k++) {
		const char *const args[] = {"-j", "1", "-f", "webp", "--shard",
		    k == 0 ? "1/2" : "2/2", "-o", out, in, NULL};
		char *log = g_strdup_printf("%s/shard%d.out", dir, k + 1);

		errs[k] = g_strdup_printf("%s/shard%d.err", dir, k + 1);
		pids[k] = helper_start(args, log, errs[k]);
		g_free(log);
	}
	for (int k = 0; k < 2; k++)
		helper_wait(pids[k]);
	for (int i = 0; i < PAIRS; i++) {
		char *name = g_strdup_printf("x%d.webp", i);
		int seen[2];

		for (int k = 0; k < 2; k++) {
			gchar *err = NULL;

			cr_assert(g_file_get_contents(errs[k], &err, NULL,
			    NULL));
			seen[k] = helper_count_lines(err, name);
			g_free(err);
		}
		cr_assert(seen[0] + seen[1] == 2, "%s: %d and %d lines", name,
		    seen[0], seen[1]);
		cr_assert(seen[0] == 0 || seen[1] == 0, "%s: both shards "
		    "saw it (%d and %d lines)", name, seen[0], seen[1]);
		{
			char *t = g_build_filename(out, name, NULL);

			cr_assert_eq(access(t, F_OK), -1, "%s was written", t);
			g_free(t);
		}
		g_free(name);
	}
	for (int k = 0; k < 2; k++)
		g_free(errs[k]);
	g_free(out);
	g_free(in);
}

Test(scripts, a_half_finished_shard_resumes)
{
	const char *dir = helper_dir();
	char *in = make_tree(dir, 30);
	char *out = g_build_filename(dir, "out", NULL);
	const char *const args[] = {"--json", "--shard", "2/2", "-o", out, in,
	    NULL};
	GPtrArray *made;
	struct ran r;
	long first;
	int removed = 0;

	helper_run(&r, args);
	cr_assert_eq(r.status, 0, "%s", r.err);
	first = helper_summary_field(r.out, "done");
	helper_run_free(&r);
	/* Half of its thumbnails lost, as by a run stopped half way. */
	made = files_under(out);
	cr_assert_eq(made->len, first);
	for (guint i = 0; i < made->len; i += 2) {
		char *p = g_build_filename(out, made->pdata[i], NULL);

		cr_assert_eq(unlink(p), 0);
		removed++;
		g_free(p);
	}
	helper_run(&r, args);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(helper_summary_field(r.out, "done"), removed);
	cr_assert_eq(helper_summary_field(r.out, "skipped"), first - removed);
	cr_assert_eq(helper_count_files(out), first);
	helper_run_free(&r);
	g_ptr_array_unref(made);
	g_free(out);
	g_free(in);
}

Test(scripts, an_interrupted_run_resumes_where_it_stopped)
{
	static const char *const seeding[] = {"seeding.jpg", NULL};
	const char *dir = helper_dir();
	char *in = g_build_filename(dir, "in", NULL);
	char *out = g_build_filename(dir, "out", NULL);
	char *log = g_build_filename(dir, "log", NULL);
	const char *const args[] = {"--json", "-j", "2", "--exact", "-b", "20",
	    "-s", "300", "-o", out, in, NULL};
	struct ran r;
	int before;

	helper_fill(in, seeding, 12);
	{
		pid_t pid = helper_start(args, log, "/dev/null");

		/* Two thumbnails finished (not merely begun). */
		for (int i = 0; i < 6000 && helper_count_files(out) -
		    helper_count_tmp(out) < 2; i++)
			usleep(5000);
		cr_assert_eq(kill(pid, SIGINT), 0);
		cr_assert_eq(helper_wait(pid), 128 + SIGINT);
	}
	before = helper_count_files(out);
	cr_assert_eq(helper_count_tmp(out), 0);
	cr_assert(before >= 2 && before < 12, "%d made before Ctrl-C", before);
	/* The same command again finishes only what is missing. */
	helper_run(&r, args);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(helper_summary_field(r.out, "skipped"), before);
	cr_assert_eq(helper_summary_field(r.out, "done"), 12 - before);
	cr_assert_eq(helper_count_files(out), 12);
	helper_run_free(&r);
	g_free(log);
	g_free(out);
	g_free(in);
}

Test(scripts, dry_run_lists_and_writes_nothing)
{
	const char *dir = helper_dir();
	char *out = g_build_filename(dir, "out", NULL);
	const char *const dry[] = {"-n", "-o", out, TESTDATA,
	    TOP_DIR "/tests/data/bad/empty.jpg", NULL};
	const char *const dry_json[] = {"--dry-run", "--json", "-o", out,
	    TESTDATA, NULL};
	const char *const some[] = {"-q", "-o", out, TESTDATA "/seeding.jpg",
	    TESTDATA "/picture.gif", NULL};
	const char *const other[] = {"-q", "-b", "1", "-o", out,
	    TESTDATA "/sunset.jpg", NULL};
	struct ran r;

	helper_run(&r, dry);
	cr_assert_eq(r.status, 1, "the empty file is an error: %s", r.err);
	cr_assert_eq(access(out, F_OK), -1, "the output folder was made");
	cr_assert_eq(helper_count_lines(r.out, "  make"), TESTDATA_IMAGES,
	    "%s", r.out);
	cr_assert_not_null(strstr(r.out, TESTDATA "/sunset.jpg -> "));
	cr_assert_eq(helper_count_lines(r.err, "empty.jpg: empty file"), 1,
	    "%s", r.err);
	cr_assert_not_null(strstr(r.out, "pthumb: dry run: 8 to make, 0 to "
	    "redo, 0 up to date, 1 failed; nothing written"), "%s", r.out);
	helper_run_free(&r);

	/* Two made, one with other options; the rest absent. */
	helper_run(&r, some);
	cr_assert_eq(r.status, 0, "%s", r.err);
	helper_run_free(&r);
	helper_run(&r, other);
	cr_assert_eq(r.status, 0, "%s", r.err);
	helper_run_free(&r);
	helper_run(&r, dry_json);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(helper_count_lines(r.out, "\"type\": \"plan\""),
	    TESTDATA_IMAGES);
	cr_assert_eq(helper_count_lines(r.out, "\"action\": \"skip\""), 2,
	    "%s", r.out);
	cr_assert_eq(helper_count_lines(r.out, "\"action\": \"redo\", "
	    "\"why\": \"options changed\""), 1, "%s", r.out);
	cr_assert_eq(helper_count_lines(r.out, "\"action\": \"make\""), 5);
	cr_assert_not_null(strstr(r.out, "{\"type\": \"summary\", \"dry_run\": "
	    "true, \"files\": 8, \"make\": 5, \"redo\": 1, \"skip\": 2, "
	    "\"error\": 0, \"prune\": 0}"), "%s", r.out);
	cr_assert_eq(helper_count_files(out), 3, "a dry run wrote");
	helper_run_free(&r);
	g_free(out);
}

Test(scripts, output_template_names_the_thumbnails)
{
	const char *out = helper_dir();
	const char *const args[] = {"-q", "-o", out, "--output-template",
	    "%d/%s_thumb.webp", TESTDATA, NULL};
	char *want = g_build_filename(out, "people", "friends_thumb.webp",
	    NULL);
	char *top = g_build_filename(out, "sunset_thumb.webp", NULL);
	VipsImage *im;
	struct ran r;

	helper_run(&r, args);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(helper_count_files(out), TESTDATA_IMAGES);
	cr_assert_eq(access(want, F_OK), 0);
	/* Saved as what the name says. */
	im = vips_image_new_from_file(top, NULL);
	cr_assert_not_null(im);
	cr_assert_str_eq(vips_foreign_find_load(top), "VipsForeignLoadWebpFile");
	g_object_unref(im);
	helper_run_free(&r);
	g_free(want);
	g_free(top);
}

/*
 * Run the binary with stderr on a pseudo-terminal (stdout to /dev/null)
 * and return what the terminal showed; NULL (errno set) if this system has
 * no pseudo-terminal to give.
 */
static char *
run_on_tty(const char *const *args, int *status)
{
	GString *seen = g_string_new(NULL);
	int master, slave;
	char buf[4096];
	ssize_t n;
	pid_t pid;

	if (openpty(&master, &slave, NULL, NULL, NULL) != 0) {
		*status = -1;
		g_string_free(seen, TRUE);
		return NULL;
	}
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		const char *argv[32] = {helper_bin()};
		int k = 1, devnull = open("/dev/null", O_RDWR);

		for (; *args != NULL && k < 31; args++)
			argv[k++] = *args;
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(slave, 2);
		close(master);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	close(slave);
	/* EIO once the child has gone and the terminal has no writer. */
	while ((n = read(master, buf, sizeof(buf))) > 0 ||
	    (n < 0 && errno == EINTR))
		if (n > 0)
			g_string_append_len(seen, buf, n);
	close(master);
	*status = helper_wait(pid);
	return g_string_free(seen, FALSE);
}

Test(scripts, progress_only_on_a_terminal)
{
	const char *out = helper_dir();
	const char *const plain[] = {"--force", "-j", "2", "-o", out, TESTDATA,
	    NULL};
	const char *const quiet[] = {"--force", "-q", "-o", out, TESTDATA,
	    NULL};
	const char *const json[] = {"--force", "--json", "-o", out, TESTDATA,
	    NULL};
	char *tty;
	struct ran r;
	int status;

	/* Never when stderr is not a terminal. */
	helper_run(&r, plain);
	cr_assert_eq(r.status, 0);
	cr_assert_str_eq(r.err, "");
	cr_assert_null(strchr(r.out, '\r'));
	helper_run_free(&r);
	/* On a terminal: a line redrawn in place, counting to the total. */
	tty = run_on_tty(plain, &status);
	if (tty == NULL)
		helper_skip_test("no pseudo-terminal to be had here (%s): the "
		    "progress line is not checked", strerror(errno));
	cr_assert_eq(status, 0, "%s", tty);
	cr_assert_not_null(strstr(tty, "\r\033[K["), "%s", tty);
	cr_assert_not_null(strstr(tty, "/8] "), "no final count: %s", tty);
	cr_assert_not_null(strstr(tty, " img/s, "), "%s", tty);
	cr_assert_not_null(strstr(tty, " elapsed"), "%s", tty);
	/* ... and erased before the summary (on stdout here). */
	cr_assert(g_str_has_suffix(tty, "\r\033[K"), "%s", tty);
	g_free(tty);
	/* Not with --quiet or --json, even on a terminal. */
	tty = run_on_tty(quiet, &status);
	cr_assert_eq(status, 0);
	cr_assert_null(strchr(tty, '\r'), "%s", tty);
	g_free(tty);
	tty = run_on_tty(json, &status);
	cr_assert_eq(status, 0);
	cr_assert_str_eq(tty, "");
	g_free(tty);
}

static bool
have_program(const char *name)
{
	char *path = g_find_program_in_path(name);
	bool found = path != NULL;

	g_free(path);
	return found;
}

/* How many times strace saw path opened by the binary and its workers
   with these arguments; -1 without strace. */
static int
opens_of(const char *path, const char *const *args)
{
	const char *argv[24] = {"strace", "-f", "-qq", "-e", "trace=openat",
	    "-o", NULL, helper_bin()};
	gchar *text = NULL, *log, *asan, **env;
	int n, count = -1, status;

	if (!have_program("strace"))
		return -1;
	log = g_strdup_printf("%s/pthumb-strace-%ld", g_get_tmp_dir(),
	    (long)getpid());
	argv[6] = log;
	n = 8;
	for (; *args != NULL && n < 23; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	/* A sanitizer build's leak check cannot run under ptrace: off. */
	asan = g_strdup_printf("%s:detect_leaks=0", g_getenv("ASAN_OPTIONS") ?
	    g_getenv("ASAN_OPTIONS") : "");
	env = g_environ_setenv(g_get_environ(), "ASAN_OPTIONS", asan, TRUE);
	if (g_spawn_sync(NULL, (char **)argv, env, G_SPAWN_SEARCH_PATH |
	    G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
	    NULL, NULL, NULL, &status, NULL) && status == 0 &&
	    g_file_get_contents(log, &text, NULL, NULL)) {
		char *quoted = g_strdup_printf("\"%s\"", path);

		count = helper_count_lines(text, quoted);
		g_free(quoted);
	}
	unlink(log);
	g_strfreev(env);
	g_free(asan);
	g_free(text);
	g_free(log);
	return count;
}

Test(scripts, several_sizes_from_one_decode)
{
	const char *dir = helper_dir();
	char *out = g_build_filename(dir, "multi", NULL);
	char *single = g_build_filename(dir, "single", NULL);
	const char *const multi_args[] = {"--json", "-s", "64,256,320x200",
	    "-o", out, TESTDATA, NULL};
	const char *const single_args[] = {"-q", "-s", "320x200", "-o", single,
	    TESTDATA, NULL};
	static const struct {
		const char *label;
		int w, h;
	} boxes[] = {{"64", 64, 64}, {"256", 256, 256}, {"320x200", 320, 200}};
	struct ran r;
	int one, three;

	helper_run(&r, multi_args);
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* One line per source, not per size. */
	cr_assert_eq(helper_count_lines(r.out, "\"type\": \"file\""),
	    TESTDATA_IMAGES);
	helper_run_free(&r);
	cr_assert_eq(helper_count_files(out), 3 * TESTDATA_IMAGES);
	for (size_t b = 0; b < G_N_ELEMENTS(boxes); b++) {
		char *p = g_build_filename(out, boxes[b].label, "people",
		    "friends.jpg", NULL);
		VipsImage *im = vips_image_new_from_file(p, NULL);

		cr_assert_not_null(im, "no %s", p);
		cr_assert(im->Xsize <= boxes[b].w && im->Ysize <= boxes[b].h &&
		    (im->Xsize == boxes[b].w || im->Ysize == boxes[b].h),
		    "%s is %dx%d", p, im->Xsize, im->Ysize);
		g_object_unref(im);
		g_free(p);
	}
	/* The largest box is decoded as a run of its own would: the same
	   bytes. */
	helper_run(&r, single_args);
	cr_assert_eq(r.status, 0, "%s", r.err);
	helper_run_free(&r);
	{
		char *a = g_build_filename(out, "320x200", "seeding.jpg", NULL);
		char *b = g_build_filename(single, "seeding.jpg", NULL);

		cr_assert(helper_same_bytes(a, b), "%s differs from %s", a, b);
		g_free(a);
		g_free(b);
	}
	/* Up to date only when every size is. */
	helper_run(&r, multi_args);
	cr_assert_eq(helper_summary_field(r.out, "skipped"), TESTDATA_IMAGES);
	helper_run_free(&r);
	{
		char *p = g_build_filename(out, "256", "sunset.jpg", NULL);

		cr_assert_eq(unlink(p), 0);
		g_free(p);
	}
	helper_run(&r, multi_args);
	cr_assert_eq(helper_summary_field(r.out, "done"), 1);
	helper_run_free(&r);
	cr_assert_eq(helper_count_files(out), 3 * TESTDATA_IMAGES);
	cr_assert_eq(helper_count_tmp(out), 0);

	/* One decode: the source is opened as often for three sizes as for
	   one (JPEG twice: the header, then the shrinking decode). */
	one = opens_of(TESTDATA "/seeding.jpg", (const char *[]){"--force",
	    "-j", "1", "-q", "-s", "64", "-o", single, TESTDATA "/seeding.jpg",
	    NULL});
	three = opens_of(TESTDATA "/seeding.jpg", (const char *[]){"--force",
	    "-j", "1", "-q", "-s", "64,256,320x200", "-o", out,
	    TESTDATA "/seeding.jpg", NULL});
	if (one < 0) {
		/* cr_log_warn would fail the run; the rest still counts. */
		fprintf(stderr, "pipeline: strace is not installed: the count "
		    "of opens is not checked\n");
	} else {
		cr_assert_gt(one, 0);
		cr_assert_eq(three, one, "%d opens for three sizes, %d for one",
		    three, one);
	}
	g_free(out);
	g_free(single);
}

/*
 * The README's examples for splitting a run across machines, run here on
 * one: each as a shell command over a shared folder, with `pthumb` on
 * PATH. The shards' counts must add up to the images, and cover them.
 */
Test(scripts, readme_examples_split_the_work_exactly_once)
{
	static const struct {
		const char *name, *script;
	} examples[] = {
		/* A Slurm job array --array=1-3: each task runs this. */
		{"slurm", "for id in 1 2 3; do SLURM_ARRAY_TASK_ID=$id "
		 "SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_COUNT=3 bash -c "
		 "'pthumb -q --shard $((SLURM_ARRAY_TASK_ID - "
		 "SLURM_ARRAY_TASK_MIN + 1))/$SLURM_ARRAY_TASK_COUNT "
		 "-o \"$OUT\" \"$IN\"' & done; wait"},
		/* A Kubernetes Indexed Job, completions 3. */
		{"kubernetes", "for i in 0 1 2; do JOB_COMPLETION_INDEX=$i bash "
		 "-c 'pthumb -q --shard $((JOB_COMPLETION_INDEX+1))/3 -o "
		 "\"$OUT\" \"$IN\"' & done; wait"},
		/* GNU parallel over ssh logins (":" is this machine). */
		{"parallel", "parallel --sshlogin :,: --jobs 1 pthumb -q "
		 "--shard {}/3 -o \"$OUT\" \"$IN\" ::: 1 2 3"},
	};
	const char *dir = helper_dir();
	char *in = make_tree(dir, 24);
	char *bin = g_build_filename(dir, "bin", NULL);
	char *link = g_build_filename(bin, "pthumb", NULL);
	char *path = g_strdup_printf("%s:%s", bin, g_getenv("PATH"));

	cr_assert_eq(g_mkdir_with_parents(bin, 0755), 0);
	cr_assert_eq(symlink(helper_bin(), link), 0);
	for (size_t i = 0; i < G_N_ELEMENTS(examples); i++) {
		char *out = g_build_filename(dir, examples[i].name, NULL);
		char *argv[] = {"bash", "-c", (char *)examples[i].script, NULL};
		gchar **env = g_get_environ();
		gchar *err = NULL, *said = NULL;
		int status, done = 0;

		if (i == 2 && !have_program("parallel")) {
			fprintf(stderr, "pipeline: GNU parallel is not "
			    "installed: its README example is not run\n");
			g_strfreev(env);
			g_free(out);
			continue;
		}
		env = g_environ_setenv(env, "PATH", path, TRUE);
		env = g_environ_setenv(env, "IN", in, TRUE);
		env = g_environ_setenv(env, "OUT", out, TRUE);
		cr_assert(g_spawn_sync(NULL, argv, env, G_SPAWN_SEARCH_PATH,
		    NULL, NULL, &said, &err, &status, NULL));
		cr_assert(g_spawn_check_wait_status(status, NULL), "%s: %s",
		    examples[i].name, err);
		/* Each shard's summary: "pthumb: N done, ...". */
		for (const char *p = said; (p = strstr(p, "pthumb: ")) != NULL;
		    p++)
			done += atoi(p + 8);
		cr_assert_eq(done, 24, "%s: %d done in all:\n%s",
		    examples[i].name, done, said);
		cr_assert_eq(helper_count_files(out), 24, "%s: %d thumbnails",
		    examples[i].name, helper_count_files(out));
		g_free(said);
		g_free(err);
		g_strfreev(env);
		g_free(out);
	}
	g_free(path);
	g_free(link);
	g_free(bin);
	g_free(in);
}
