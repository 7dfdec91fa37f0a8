/*
 * End to end: the built binary on testdata/ and on bad files.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vips/vips.h>

#include "../src/cause.h" /* CAUSE_MAX */
#include "helpers.h"

#define BAD TOP_DIR "/tests/data/bad"

TestSuite(cli, .init = helper_init_vips_dir, .fini = helper_fini_dir,
    .timeout = 120);

static void
image_size(const char *path, int *w, int *h)
{
	VipsImage *im = vips_image_new_from_file(path, NULL);

	cr_assert_not_null(im, "%s does not load: %s", path,
	    vips_error_buffer());
	*w = im->Xsize;
	*h = im->Ysize;
	/* Decode every pixel: a thumbnail that only has a header fails. */
	double avg;
	cr_assert_eq(vips_avg(im, &avg, NULL), 0, "%s does not decode: %s",
	    path, vips_error_buffer());
	g_object_unref(im);
}

/* Oriented size of a source image, as a viewer shows it. */
static void
source_size(const char *path, int *w, int *h)
{
	VipsImage *im = vips_image_new_from_file(path, NULL);

	cr_assert_not_null(im);
	*w = vips_image_get_orientation_swap(im) ? im->Ysize : im->Xsize;
	*h = vips_image_get_orientation_swap(im) ? im->Xsize : im->Ysize;
	g_object_unref(im);
}

static void
run_on_testdata(struct ran *r, const char *out, const char *const *extra)
{
	const char *args[16] = {"-o", out};
	int n = 2;

	for (; extra != NULL && *extra != NULL; extra++)
		args[n++] = *extra;
	args[n++] = TESTDATA;
	args[n] = NULL;
	helper_run(r, args);
}

Test(cli, main_job_thumbnails_fit_the_box_and_keep_the_aspect)
{
	const char *out = helper_dir();
	struct ran r;

	run_on_testdata(&r, out, NULL);
	cr_assert_eq(r.status, 0, "exit %d, stderr: %s", r.status, r.err);
	cr_assert_not_null(strstr(r.out, "pthumb: 8 done, 0 failed, 0 skipped"),
	    "%s", r.out);
	cr_assert_str_eq(r.err, "");
	for (int i = 0; i < TESTDATA_IMAGES; i++) {
		const char *name = helper_testdata[i];
		char *src = g_build_filename(TESTDATA, name, NULL);
		char *dst = g_build_filename(out, name, NULL);
		int sw, sh, w, h;

		source_size(src, &sw, &sh);
		image_size(dst, &w, &h);
		cr_assert(w <= 50 && h <= 50, "%s is %dx%d", dst, w, h);
		cr_assert(w == 50 || h == 50, "%s: no side fills the box", dst);
		/* The other side is the rounded proportional size. */
		if (w == 50)
			cr_assert_eq(h, (int)(sh * 50.0 / sw + 0.5), "%s", dst);
		else
			cr_assert_eq(w, (int)(sw * 50.0 / sh + 0.5), "%s", dst);
		cr_assert_eq(helper_count_lines(r.out, name), 1,
		    "one line for %s", name);
		g_free(src);
		g_free(dst);
	}
	cr_assert_eq(helper_count_files(out), TESTDATA_IMAGES);
	cr_assert_eq(helper_count_tmp(out), 0);
	helper_run_free(&r);
}

Test(cli, exif_rotated_photo_comes_out_upright)
{
	const char *out = helper_dir();
	char *rot = g_build_filename(out, "people", "friends-exif.jpg", NULL);
	char *up = g_build_filename(out, "people", "friends.jpg", NULL);
	const char *const extra[] = {"-s", "128", NULL};
	struct ran r;
	int w, h;
	double db;

	run_on_testdata(&r, out, extra);
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* Stored landscape, displayed portrait. */
	image_size(rot, &w, &h);
	cr_assert_lt(w, h, "%dx%d is not upright", w, h);
	/* And it shows the same picture as the upright original. */
	db = helper_psnr(rot, up);
	cr_assert_gt(db, 25.0, "rotated thumbnail differs: %.1f dB", db);
	helper_run_free(&r);
	g_free(rot);
	g_free(up);
}

Test(cli, each_bad_file_gets_its_own_error_and_the_batch_finishes)
{
	const char *out = helper_dir();
	const char *const args[] = {"-o", out, TESTDATA, BAD, NULL};
	static const char *const bad[] = {"corrupt.jpg", "empty.jpg",
	    "notes.jpg"};
	struct ran r;

	helper_run(&r, args);
	cr_assert_eq(r.status, 1, "exit %d", r.status);
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		char *line = g_strdup_printf("pthumb: %s/%s: ", BAD, bad[i]);
		char *thumb = g_build_filename(out, bad[i], NULL);

		cr_assert_eq(helper_count_lines(r.err, line), 1,
		    "no error line for %s in:\n%s", bad[i], r.err);
		cr_assert_eq(access(thumb, F_OK), -1, "%s exists", thumb);
		g_free(line);
		g_free(thumb);
	}
	/* A truncated PNG decodes with damage: written, and said so. */
	cr_assert_eq(helper_count_lines(r.err, "truncated.png: damaged PNG: "), 1,
	    "%s", r.err);
	cr_assert_eq(helper_count_lines(r.err, "empty.jpg: empty file"), 1);
	cr_assert_eq(helper_count_lines(r.err,
	    "notes.jpg: not a known image format"), 1);
	cr_assert_not_null(strstr(r.out, "9 done, 3 failed"), "%s", r.out);
	cr_assert_eq(helper_count_files(out), TESTDATA_IMAGES + 1);
	cr_assert_eq(helper_count_tmp(out), 0);
	helper_run_free(&r);
}

Test(cli, second_run_skips_and_force_redoes)
{
	const char *out = helper_dir();
	const char *const force[] = {"--force", NULL};
	struct ran r;

	run_on_testdata(&r, out, NULL);
	cr_assert_eq(r.status, 0);
	helper_run_free(&r);
	run_on_testdata(&r, out, NULL);
	cr_assert_eq(r.status, 0);
	cr_assert_not_null(strstr(r.out, "0 done, 0 failed, 8 skipped"), "%s",
	    r.out);
	cr_assert_eq(helper_count_lines(r.out, "up to date"), TESTDATA_IMAGES);
	helper_run_free(&r);
	run_on_testdata(&r, out, force);
	cr_assert_eq(r.status, 0);
	cr_assert_not_null(strstr(r.out, "8 done, 0 failed, 0 skipped"), "%s",
	    r.out);
	helper_run_free(&r);
}

Test(cli, json_lines_only_on_stdout)
{
	const char *out = helper_dir();
	const char *const args[] = {"--json", "-o", out, TESTDATA, BAD, NULL};
	char **lines;
	struct ran r;
	int files = 0, summaries = 0;

	helper_run(&r, args);
	cr_assert_eq(r.status, 1);
	lines = g_strsplit(r.out, "\n", -1);
	for (char **l = lines; *l != NULL && **l != '\0'; l++) {
		cr_assert(g_str_has_prefix(*l, "{") && g_str_has_suffix(*l, "}"),
		    "not a JSON object: %s", *l);
		if (strstr(*l, "\"type\": \"file\"")) {
			files++;
			cr_assert_not_null(strstr(*l, "\"status\": \""));
			cr_assert_not_null(strstr(*l, "\"out_width\": "));
			cr_assert_not_null(strstr(*l, "\"worker\": "));
		} else {
			cr_assert_not_null(strstr(*l, "\"type\": \"summary\""));
			cr_assert_null(strstr(*l, "\"input\""));
			summaries++;
		}
	}
	cr_assert_eq(files, TESTDATA_IMAGES + 4);
	cr_assert_eq(summaries, 1);
	cr_assert_eq(helper_count_lines(r.out, "\"status\": \"error\""), 3);
	cr_assert_eq(helper_count_lines(r.out, "\"status\": \"warning\""), 1);
	g_strfreev(lines);
	helper_run_free(&r);
}

Test(cli, usage_errors_exit_2_with_one_line_and_a_hint)
{
	static const char *const cases[][4] = {
		{"--jobs", "0", "x", NULL},
		{"--size", "big", "x", NULL},
		{"--nope", "x", NULL},
		{"-f", "nosuchformat", "x", NULL},
		{NULL},
	};
	struct ran r;

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		helper_run(&r, cases[i]);
		cr_assert_eq(r.status, 2, "case %zu: exit %d", i, r.status);
		cr_assert_eq(helper_count_lines(r.err, "pthumb: "), 1, "%s",
		    r.err);
		cr_assert_not_null(strstr(r.err, "Try 'pthumb --help'"));
		cr_assert_str_eq(r.out, "");
		helper_run_free(&r);
	}
}

Test(cli, list_on_the_command_line_keeps_relative_paths)
{
	const char *dir = helper_dir();
	char *list = g_build_filename(dir, "list", NULL);
	char *out = g_build_filename(dir, "out", NULL);
	char *want = g_build_filename(out, TESTDATA + 1, "people",
	    "friends.jpg", NULL);
	char *text = g_strdup_printf("%s/sunset.jpg\n%s/people/friends.jpg\n",
	    TESTDATA, TESTDATA);
	const char *const args[] = {"-o", out, "--files-from", list, NULL};
	struct ran r;

	cr_assert(g_file_set_contents(list, text, -1, NULL));
	helper_run(&r, args);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(access(want, F_OK), 0, "%s missing:\n%s", want, r.out);
	cr_assert_eq(helper_count_files(out), 2);
	helper_run_free(&r);
	g_free(text);
	g_free(want);
	g_free(out);
	g_free(list);
}

/*
 * PngSuite: every valid file gets a thumbnail, every deliberately broken
 * one (x*.png) exactly one line naming it, and nothing reaches stderr
 * that is not one of pthumb's own lines.
 */
Test(cli, pngsuite_broken_files_get_one_line_each)
{
	const char *suite = TOP_DIR "/../shared/corpus/pngsuite";
	const char *out = helper_dir();
	GDir *d;
	const char *name;
	struct ran r;
	char **lines;

	helper_skip_under_valgrind("corpus-wide: hours under valgrind once the "
	    "corpus is fetched");

	if (!g_file_test(suite, G_FILE_TEST_IS_DIR))
		helper_skip_test("no %s beside the repository", suite);
	{
		const char *const args[] = {"-o", out, suite, NULL};

		helper_run(&r, args);
	}
	cr_assert_eq(r.status, 1, "exit %d", r.status);
	d = g_dir_open(suite, 0, NULL);
	cr_assert_not_null(d);
	while ((name = g_dir_read_name(d)) != NULL) {
		char *line = g_strdup_printf("pthumb: %s/%s: ", suite, name);
		char *thumb = g_build_filename(out, name, NULL);

		if (!g_str_has_suffix(name, ".png")) {
			/* LICENSE and the like are not queued */
		} else if (name[0] == 'x') {
			cr_assert_eq(helper_count_lines(r.err, line), 1,
			    "%s:\n%s", name, r.err);
		} else {
			cr_assert_eq(helper_count_lines(r.err, line), 0,
			    "%s:\n%s", name, r.err);
			cr_assert_eq(access(thumb, F_OK), 0, "no thumbnail for "
			    "%s", name);
		}
		g_free(line);
		g_free(thumb);
	}
	g_dir_close(d);
	lines = g_strsplit(r.err, "\n", -1);
	for (char **l = lines; *l != NULL && **l != '\0'; l++)
		cr_assert(g_str_has_prefix(*l, "pthumb: "), "raw: %s", *l);
	g_strfreev(lines);
	cr_assert_eq(helper_count_tmp(out), 0);
	helper_run_free(&r);
}

/* -f converts to each writable format; -Q reaches the lossy savers. */
Test(cli, format_conversion_and_quality)
{
	static const char *const formats[] = {"jpg", "png", "webp", "tif",
	    "gif", "heic", "avif"};
	const char *dir = helper_dir();
	struct ran r;

	for (size_t i = 0; i < G_N_ELEMENTS(formats); i++) {
		char *out = g_build_filename(dir, formats[i], NULL);
		char *name = g_strdup_printf("%s/sunset.%s", out, formats[i]);
		const char *const args[] = {"-f", formats[i], "-o", out,
		    TESTDATA "/sunset.jpg", NULL};
		int w, h;

		helper_run(&r, args);
		cr_assert_eq(r.status, 0, "-f %s: %s", formats[i], r.err);
		image_size(name, &w, &h);
		cr_assert(w == 50 && h == 33, "%s is %dx%d", name, w, h);
		helper_run_free(&r);
		g_free(name);
		g_free(out);
	}
	{
		const char *const lo[] = {"-f", "webp", "-Q", "10", "-o", "lo",
		    TESTDATA "/sunset.jpg", NULL};
		const char *const hi[] = {"-f", "webp", "-Q", "95", "-o", "hi",
		    TESTDATA "/sunset.jpg", NULL};
		struct stat a, b;

		cr_assert_eq(chdir(dir), 0);
		helper_run(&r, lo);
		cr_assert_eq(r.status, 0, "%s", r.err);
		helper_run_free(&r);
		helper_run(&r, hi);
		cr_assert_eq(r.status, 0, "%s", r.err);
		helper_run_free(&r);
		cr_assert_eq(stat("lo/sunset.webp", &a), 0);
		cr_assert_eq(stat("hi/sunset.webp", &b), 0);
		cr_assert_lt(a.st_size, b.st_size, "-Q 10 is not smaller");
	}
}

/* The first thumbnail is done before the scanner has walked everything:
   work starts while the scan goes on. */
Test(cli, work_starts_before_the_scan_ends)
{
	const char *out = helper_dir();
	const char *const args[] = {"--json", "-j", "1", "-o", out, TESTDATA,
	    NULL};
	const char *summary;
	double first, scan;
	struct ran r;

	helper_run(&r, args);
	cr_assert_eq(r.status, 0, "%s", r.err);
	summary = helper_json_summary(r.out);
	first = helper_json_number(summary, "first_done_seconds", 0);
	scan = helper_json_number(summary, "scan_seconds", 0);
	cr_assert_gt(first, 0);
	cr_assert_lt(first, scan, "first done %.3f s, scan ended %.3f s",
	    first, scan);
	helper_run_free(&r);
}

/* One failure line's shape: "pthumb: PATH: CAUSE" with the path once, a
   cause of at most CAUSE_MAX bytes (output paths aside) with no fragment
   twice, and none of libvips' internal words. */
static void
check_failure_line(const char *line, const char *out)
{
	static const char *const internal[] = {"Vips", "vips_", "read gave",
	    "unix error", "libpng read error", NULL};
	const char *path = line + strlen("pthumb: ");
	const char *cause = strstr(path, ": ");
	char *in, *rest, **parts;
	GString *bare;

	cr_assert_not_null(cause, "no cause: %s", line);
	in = g_strndup(path, (size_t)(cause - path));
	cause += 2;
	cr_assert_null(strstr(cause, in), "the path twice: %s", line);
	for (int i = 0; internal[i] != NULL; i++)
		cr_assert_null(strstr(cause, internal[i]), "'%s' in: %s",
		    internal[i], line);
	for (const char *c = line; *c != '\0'; c++)
		cr_assert((unsigned char)*c >= 0x20 && *c != 0x7f,
		    "a control character in: %s", line);
	/* Output paths (a collision names one) do not count. */
	bare = g_string_new(cause);
	while ((rest = strstr(bare->str, out)) != NULL)
		g_string_erase(bare, rest - bare->str, (gssize)strlen(out));
	cr_assert_leq(bare->len, CAUSE_MAX, "too long: %s", line);
	parts = g_strsplit(cause, "; ", -1);
	for (int i = 0; parts[i] != NULL; i++)
		for (int j = i + 1; parts[j] != NULL; j++)
			cr_assert_str_neq(parts[i], parts[j], "'%s' twice: %s",
			    parts[i], line);
	g_strfreev(parts);
	g_string_free(bare, TRUE);
	g_free(in);
}

/*
 * Every failure over damaged and hostile files, PngSuite and libvips' and
 * libjpeg-turbo's test images (where the corpus is fetched) is one line
 * in words a user knows.
 */
Test(cli, every_failure_is_one_plain_line)
{
	const char *suite = TOP_DIR "/../shared/corpus/pngsuite";
	const char *photos = helper_corpus_photos();
	char *formats = photos ? g_build_filename(photos, "..", "formats",
	    NULL) : NULL;
	const char *out = helper_dir();
	const char *args[12] = {"-q", "-o", out, TOP_DIR "/tests/data"};
	int n = 4, failures = 0;
	struct ran r;
	char **lines;

	helper_skip_under_valgrind("corpus-wide: hours under valgrind once the "
	    "corpus is fetched");

	if (g_file_test(suite, G_FILE_TEST_IS_DIR))
		args[n++] = suite;
	else
		fprintf(stderr, "cli: no %s: tests/data alone\n", suite);
	if (formats != NULL && g_file_test(formats, G_FILE_TEST_IS_DIR))
		args[n++] = formats;
	else
		fprintf(stderr, "cli: no corpus formats folder: without "
		    "libvips' test images\n");
	args[n] = NULL;
	helper_run(&r, args);
	cr_assert_eq(r.status, 1, "exit %d: %s", r.status, r.err);
	lines = g_strsplit(r.err, "\n", -1);
	for (char **l = lines; *l != NULL && **l != '\0'; l++) {
		cr_assert(g_str_has_prefix(*l, "pthumb: "), "raw: %s", *l);
		if (strstr(*l, " done, ") != NULL)
			continue; /* the summary */
		check_failure_line(*l, out);
		failures++;
	}
	cr_assert_geq(failures, 6, "%s", r.err);
	g_strfreev(lines);
	helper_run_free(&r);
	g_free(formats);
}

/* Standard output that cannot take the report is a failed run, said once;
   a reader that stops reading is none. */
Test(cli, a_full_standard_output_is_an_error)
{
	const char *dir = helper_dir();
	char *out = g_build_filename(dir, "out", NULL);
	char *err = g_build_filename(dir, "err", NULL);
	const char *const json[] = {"--json", "-o", out, TESTDATA, NULL};
	const char *const dry[] = {"-n", "--json", "-o", out, TESTDATA, NULL};
	const char *const *runs[] = {json, dry};

	if (access("/dev/full", W_OK) != 0)
		helper_skip_test("no /dev/full");
	for (size_t i = 0; i < G_N_ELEMENTS(runs); i++) {
		gchar *text = NULL;
		int status = helper_wait(helper_start(runs[i], "/dev/full",
		    err));

		cr_assert_eq(status, 2, "run %zu: exit %d", i, status);
		cr_assert(g_file_get_contents(err, &text, NULL, NULL));
		cr_assert_eq(helper_count_lines(text, "pthumb: write error: No "
		    "space left on device"), 1, "%s", text);
		g_free(text);
	}
	g_free(err);
	g_free(out);
}

/* A list that cannot be read is no empty list: a missing one is a usage
   error, a folder (named, or on standard input) fails the run. */
Test(cli, a_list_that_cannot_be_read_is_an_error)
{
	const char *dir = helper_dir();
	char *out = g_build_filename(dir, "out", NULL);
	char *missing = g_build_filename(dir, "missing", NULL);
	const char *const none[] = {"-o", out, "--files-from", missing, NULL};
	const char *const folder[] = {"-o", out, "--files-from", dir, NULL};
	char *cmd = g_strdup_printf("sh -c 'exec \"%s\" -o \"%s\" - < \"%s\"'",
	    helper_bin(), out, dir);
	gchar *text = NULL, *err = NULL;
	gint wait = 0;
	struct ran r;

	helper_run(&r, none);
	cr_assert_eq(r.status, 2, "%s", r.err);
	cr_assert_not_null(strstr(r.err, "cannot read --files-from"), "%s",
	    r.err);
	helper_run_free(&r);
	helper_run(&r, folder);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert_eq(helper_count_lines(r.err, ": cannot read list: Is a "
	    "directory"), 1, "%s", r.err);
	helper_run_free(&r);
	cr_assert(g_spawn_command_line_sync(cmd, &text, &err, &wait, NULL));
	cr_assert(WIFEXITED(wait) && WEXITSTATUS(wait) == 1, "%s", err);
	cr_assert_eq(helper_count_lines(err, "pthumb: -: cannot read list: "
	    "Is a directory"), 1, "%s", err);
	g_free(text);
	g_free(err);
	g_free(cmd);
	g_free(missing);
	g_free(out);
}

/*
 * A list writer that gives one path, then sleeps 30 s before the next:
 * a process of its own, writing into the FIFO at fifo.
 */
static pid_t
start_slow_writer(const char *fifo, const char *first, const char *second)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		int fd = open(fifo, O_WRONLY);

		if (fd < 0 || dprintf(fd, "%s\n", first) < 0)
			_exit(1);
		sleep(30);
		_exit(dprintf(fd, "%s\n", second) < 0);
	}
	return pid;
}

/* Has the run reported a file yet (its JSON lines in log)? */
static bool
reported(const char *log)
{
	gchar *text = NULL;
	bool yes = g_file_get_contents(log, &text, NULL, NULL) &&
	    strstr(text, "{\"type\": \"file\"") != NULL;

	g_free(text);
	return yes;
}

/*
 * Ctrl-C while pthumb waits for the next line of a list stops it then,
 * not once the line comes: in every mode, pthumb has ended (130, with
 * its summary) while the writer still sleeps before its second line.
 */
Test(cli, a_signal_stops_a_run_waiting_for_its_list)
{
	static const char *const modes[] = {"pool", "threads",
	    "sequential", "spawn"};
	const char *dir = helper_dir();
	char *fifo = g_build_filename(dir, "list", NULL);
	char *log_out = g_build_filename(dir, "stdout", NULL);
	char *log_err = g_build_filename(dir, "stderr", NULL);
	char *second = g_build_filename(TESTDATA, helper_testdata[1], NULL);

	helper_skip_under_valgrind("it times pthumb's answer to a signal: "
	    "valgrind is too slow for that clock");

	cr_assert_eq(mkfifo(fifo, 0600), 0);
	for (size_t m = 0; m < G_N_ELEMENTS(modes); m++) {
		char *out = g_build_filename(dir, modes[m], NULL);
		const char *const args[] = {"--json", "--mode", modes[m],
		    "-j", "2", "-o", out, "-", NULL};
		pid_t writer, pid;
		gchar *text = NULL;
		int status;

		unlink(log_out); /* the last mode's lines are not this one's */
		writer = start_slow_writer(fifo, TESTDATA "/seeding.jpg",
		    second);
		pid = helper_start_in(fifo, args, log_out, log_err);

		/* The first line is done and reported: pthumb waits for the
		   second. */
		for (int i = 0; i < 12000 && !reported(log_out); i++)
			usleep(5000);
		cr_assert(reported(log_out), "%s", modes[m]);
		cr_assert_eq(helper_count_files(out), 1, "%s", modes[m]);
		cr_assert_eq(kill(pid, SIGINT), 0);
		status = helper_wait_within(pid, 60);
		cr_assert_eq(waitpid(writer, NULL, WNOHANG), 0, "%s: pthumb "
		    "ended only after the list's next line", modes[m]);
		cr_assert_eq(status, 128 + SIGINT, "%s: exit %d", modes[m],
		    status);
		cr_assert(g_file_get_contents(log_out, &text, NULL, NULL));
		cr_assert_eq(helper_summary_field(text, "done"), 1, "%s",
		    modes[m]);
		kill(writer, SIGKILL);
		helper_wait(writer);
		g_free(text);
		g_free(out);
	}
	g_free(second);
	g_free(log_err);
	g_free(log_out);
	g_free(fifo);
}

/* Bytes pid has read so far (/proc/PID/io), or -1. */
static long long
bytes_read(pid_t pid)
{
	char *path = g_strdup_printf("/proc/%ld/io", (long)pid);
	gchar *text = NULL;
	long long n = -1;
	const char *p;

	if (g_file_get_contents(path, &text, NULL, NULL) &&
	    (p = strstr(text, "rchar: ")) != NULL)
		n = atoll(p + strlen("rchar: "));
	g_free(text);
	g_free(path);
	return n;
}

/*
 * A list that never ends (/dev/zero: empty records with -0, one line
 * longer than any path without) is read until Ctrl-C, which stops the run
 * cleanly with its summary.
 */
Test(cli, a_signal_stops_a_run_reading_an_endless_list)
{
	const char *dir = helper_dir();
	char *out = g_build_filename(dir, "out", NULL);
	char *log_out = g_build_filename(dir, "stdout", NULL);
	char *log_err = g_build_filename(dir, "stderr", NULL);

	helper_skip_under_valgrind("it times pthumb's answer to a signal: "
	    "valgrind is too slow for that clock");

	for (int nul = 0; nul <= 1; nul++) {
		const char *const args[] = {"--json", "-o", out, "--files-from",
		    "/dev/zero", nul ? "-0" : NULL, NULL};
		pid_t pid = helper_start(args, log_out, log_err);
		gchar *text = NULL, *err = NULL;
		int status;

		/* Well into the list: 16 MiB read. */
		for (int i = 0; i < 6000 && bytes_read(pid) < (16 << 20); i++)
			usleep(5000);
		cr_assert_eq(kill(pid, SIGINT), 0);
		status = helper_wait_within(pid, 60);
		cr_assert_eq(status, 128 + SIGINT, "-0 %d: exit %d", nul,
		    status);
		cr_assert(g_file_get_contents(log_out, &text, NULL, NULL));
		cr_assert(g_file_get_contents(log_err, &err, NULL, NULL));
		cr_assert_eq(helper_summary_field(text, "failed"), !nul, "%s",
		    err);
		cr_assert_eq(helper_count_lines(text, "\"error\": \"skipped a "
		    "line longer than any path\""), !nul, "%s", text);
		g_free(err);
		g_free(text);
	}
	g_free(log_err);
	g_free(log_out);
	g_free(out);
}

/* Started with standard input closed, "-" is an empty list: not the
   first descriptor pthumb opens next (a worker's socket). */
Test(cli, a_closed_standard_input_is_an_empty_list)
{
	const char *dir = helper_dir();
	char *out = g_build_filename(dir, "out", NULL);
	char *log_out = g_build_filename(dir, "stdout", NULL);
	char *log_err = g_build_filename(dir, "stderr", NULL);
	const char *const args[] = {"--json", "-o", out, "-", NULL};
	gchar *text = NULL;
	int status;

	helper_skip_under_valgrind("valgrind itself opens the descriptor "
	    "pthumb would find closed");

	status = helper_wait_within(helper_start_in(NULL, args, log_out,
	    log_err), 60);
	cr_assert_eq(status, 0, "exit %d", status);
	cr_assert(g_file_get_contents(log_out, &text, NULL, NULL));
	cr_assert_eq(helper_summary_field(text, "done"), 0);
	cr_assert_eq(helper_summary_field(text, "failed"), 0);
	g_free(text);
	g_free(log_err);
	g_free(log_out);
	g_free(out);
}

/* --version names pthumb's version (the Makefile's, also in the
   installed manual's title), libvips' and its loaders. */
Test(cli, version_says_what_runs)
{
	const char *const args[] = {"--version", NULL};
	char *libvips = g_strdup_printf("\nlibvips %s (built with ",
	    vips_version_string());
	gchar *man = NULL;
	struct ran r;

	helper_run(&r, args);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(g_str_has_prefix(r.out, "pthumb " PTHUMB_VERSION "\n"),
	    "%s", r.out);
	cr_assert_not_null(strstr(r.out, libvips), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "\nloaders: "), "%s", r.out);
	cr_assert_not_null(strstr(r.out, " jpegload,"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, " svgload (untrusted)"), "%s",
	    r.out);
	cr_assert_str_eq(r.err, "");
	cr_assert(g_file_get_contents(MAN_PAGE, &man, NULL, NULL), "%s",
	    MAN_PAGE);
	cr_assert_not_null(strstr(man, " \"pthumb " PTHUMB_VERSION "\" "),
	    "%.80s", man);
	g_free(man);
	helper_run_free(&r);
	g_free(libvips);
}

/* The manual names every option --help-all lists. */
Test(cli, the_manual_names_every_option)
{
	const char *const args[] = {"--help-all", NULL};
	gchar *man = NULL;
	char **lines;
	struct ran r;
	int options = 0;

	cr_assert(g_file_get_contents(TOP_DIR "/src/pthumb.1", &man, NULL,
	    NULL));
	helper_run(&r, args);
	cr_assert_eq(r.status, 0, "%s", r.err);
	lines = g_strsplit(r.out, "\n", -1);
	for (char **l = lines; *l != NULL; l++) {
		const char *dashes = strstr(*l, "--");
		GString *roff;

		/* "  -j, --jobs=N   ..." or "  --verify   ...". */
		if (!g_str_has_prefix(*l, "  -") || dashes == NULL ||
		    strncmp(dashes, "--help", 6) == 0)
			continue;
		roff = g_string_new(NULL);
		for (const char *c = dashes; *c && *c != '=' && *c != ' '; c++)
			g_string_append(roff, *c == '-' ? "\\-" : (char[]){*c, 0});
		cr_assert_not_null(strstr(man, roff->str), "%s is not in "
		    "src/pthumb.1", dashes);
		g_string_free(roff, TRUE);
		options++;
	}
	cr_assert_gt(options, 30, "%s", r.out);
	g_strfreev(lines);
	helper_run_free(&r);
	g_free(man);
}

/* What bash completion offers after these words (the last one the word
   being completed), one per line. */
static char *
completions(const char *words)
{
	char *script = g_strdup_printf("source '%s/src/pthumb.bash'; "
	    "COMP_WORDS=(pthumb %s); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); "
	    "_pthumb; printf '%%s\\n' \"${COMPREPLY[@]}\"", TOP_DIR, words);
	char *argv[] = {"/bin/bash", "--norc", "-c", script, NULL};
	gchar *out = NULL, *err = NULL;
	gint wait = 0;

	cr_assert(g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
	    &out, &err, &wait, NULL));
	cr_assert(WIFEXITED(wait) && WEXITSTATUS(wait) == 0, "%s", err);
	cr_assert_str_eq(err, "");
	g_free(err);
	g_free(script);
	return out;
}

/*
 * Bash completion offers every option --help-all lists, and for options
 * that take one of a few words, words pthumb accepts (each tried in a dry
 * run).
 */
Test(cli, completion_offers_every_option_and_good_values)
{
	static const struct {
		const char *option, *words, *with;
	} values[] = {
		{"--mode", "pool\nspawn\nthreads\nsequential\n", NULL},
		{"--fail-on", "none\ntruncated\nerror\nwarning\n", NULL},
		{"--freedesktop-size", "normal\nlarge\nx-large\nxx-large\n",
		 "--freedesktop"},
		{"--smartcrop", "attention\nentropy\n", NULL},
		{"--background", "white\nblack\n", NULL},
		{"-f", NULL, NULL},
	};
	const char *const help[] = {"--help-all", NULL};
	const char *out = helper_dir();
	char *offered;
	char **lines;
	struct ran r;

	helper_skip_under_valgrind("forty starts of pthumb");

	offered = completions("--");
	helper_run(&r, help);
	lines = g_strsplit(r.out, "\n", -1);
	for (char **l = lines; *l != NULL; l++) {
		const char *dashes = strstr(*l, "--");
		char *opt, *line;

		if (!g_str_has_prefix(*l, "  -") || dashes == NULL)
			continue;
		opt = g_strndup(dashes, strcspn(dashes, "= "));
		line = g_strconcat("\n", opt, "\n", NULL);
		cr_assert(strstr(offered, line + 1) == offered ||
		    strstr(offered, line) != NULL, "%s is not offered", opt);
		g_free(line);
		g_free(opt);
	}
	g_strfreev(lines);
	helper_run_free(&r);
	for (size_t i = 0; i < G_N_ELEMENTS(values); i++) {
		char *words = g_strdup_printf("%s ''", values[i].option);
		char *got = completions(words);
		char **each = g_strsplit(got, "\n", -1);

		if (values[i].words != NULL)
			cr_assert_str_eq(got, values[i].words);
		cr_assert_gt(g_strv_length(each), 2, "%s: %s", words, got);
		for (char **w = each; **w != '\0'; w++) {
			const char *with = values[i].with;
			const char *const args[] = {"-n", values[i].option, *w,
			    TESTDATA "/sunset.jpg", with ? with : "-o",
			    with ? NULL : out, NULL};

			helper_run(&r, args);
			cr_assert_eq(r.status, 0, "%s %s: %s", values[i].option,
			    *w, r.err);
			helper_run_free(&r);
		}
		g_strfreev(each);
		g_free(got);
		g_free(words);
	}
	g_free(offered);
}

/* --help reads the same in every locale: "[OPTION...]", never the
   C locale's "[OPTION?]" for an ellipsis it cannot show. */
Test(cli, help_reads_the_same_in_the_c_locale)
{
	const char *const args[] = {"--help", NULL};
	struct ran r;

	cr_assert_eq(setenv("LC_ALL", "C", 1), 0);
	helper_run(&r, args);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "pthumb [OPTION...] PATH..."), "%s",
	    r.out);
	cr_assert_null(strchr(r.out, '?'), "%s", r.out);
	helper_run_free(&r);
}
