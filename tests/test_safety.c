/*
 * safety: pthumb changes only what it made, and a thumbnail is up to date
 * only if it was made from the source as it is now, with the options of
 * now. End to end on the built binary.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <vips/vips.h>

#include "helpers.h"

static void
init(void)
{
	helper_init_vips_dir();
	/* A file read twice must be read twice, not served from cache. */
	vips_cache_set_max(0);
}

TestSuite(safety, .init = init, .fini = helper_fini_dir, .timeout = 120);

/* The MD5 of a file, or NULL if it cannot be read. */
static char *
md5_of(const char *path)
{
	gchar *data = NULL;
	gsize len;
	char *sum;

	if (!g_file_get_contents(path, &data, &len, NULL))
		return NULL;
	sum = g_compute_checksum_for_data(G_CHECKSUM_MD5,
	    (const guchar *)data, len);
	g_free(data);
	return sum;
}

/* A tiny PNG that is no one's thumbnail, with an old time. */
static void
make_unrelated_png(const char *path)
{
	VipsImage *img = NULL;
	struct timespec old[2] = {{1000000, 0}, {1000000, 0}};

	cr_assert_eq(vips_black(&img, 64, 36, "bands", 3, NULL), 0);
	cr_assert_eq(vips_image_write_to_file(img, path, NULL), 0);
	g_object_unref(img);
	cr_assert_eq(utimensat(AT_FDCWD, path, old, 0), 0);
}

/*
 * sunset.jpg beside an unrelated, older sunset.png, thumbnailed as PNG
 * into the same folder: the PNG is not a stale thumbnail. It is reported,
 * naming both, and left as it was, even with --replace-unrecorded.
 */
Test(safety, a_photo_at_an_output_path_is_never_replaced)
{
	const char *dir = helper_dir();
	char *jpg = g_build_filename(dir, "sunset.jpg", NULL);
	char *png = g_build_filename(dir, "sunset.png", NULL);
	char *before_jpg, *before_png;

	cr_assert_eq(helper_copy(TESTDATA "/sunset.jpg", jpg), 0);
	make_unrelated_png(png);
	before_jpg = md5_of(jpg);
	before_png = md5_of(png);
	for (int replace = 0; replace < 2; replace++) {
		const char *const args[] = {"-j", "1", "-o", dir, "-f", "png",
		    dir, replace ? "--replace-unrecorded" : NULL, NULL};
		struct ran r;
		char *a, *b;

		helper_run(&r, args);
		cr_assert_eq(r.status, 1, "%s", r.err);
		cr_assert_str_eq(a = md5_of(jpg), before_jpg);
		cr_assert_str_eq(b = md5_of(png), before_png,
		    "the unrelated PNG was replaced (replace %d)", replace);
		cr_assert_eq(helper_count_lines(r.err, "not made by pthumb"),
		    1, "%s", r.err);
		/* One line naming the input and the file kept. */
		cr_assert_not_null(strstr(r.err, "sunset.jpg: "));
		cr_assert_not_null(strstr(r.err, "sunset.png exists"));
		cr_assert_eq(helper_count_tmp(dir), 0);
		g_free(a);
		g_free(b);
		helper_run_free(&r);
	}
	g_free(before_jpg);
	g_free(before_png);
	g_free(jpg);
	g_free(png);
}

/* A file at an output path that no input could be: replaced only when
   asked, and then it carries a record like any thumbnail. */
Test(safety, replace_unrecorded_upgrades_old_thumbnails)
{
	const char *dir = helper_dir();
	char *out = g_build_filename(dir, "thumbs", NULL);
	char *old = g_build_filename(out, "sunset.jpg", NULL);
	const char *const plain[] = {"--json", "-o", out,
	    TESTDATA "/sunset.jpg", NULL};
	const char *const upgrade[] = {"--json", "--replace-unrecorded", "-o",
	    out, TESTDATA "/sunset.jpg", NULL};
	struct ran r;
	char *sum;

	cr_assert_eq(g_mkdir_with_parents(out, 0755), 0);
	cr_assert_eq(helper_copy(TESTDATA "/seeding.jpg", old), 0);
	sum = md5_of(old);
	helper_run(&r, plain);
	cr_assert_eq(r.status, 1);
	cr_assert_not_null(strstr(r.out, "--replace-unrecorded replaces it"),
	    "%s", r.out);
	helper_run_free(&r);
	cr_assert(helper_same_bytes(old, TESTDATA "/seeding.jpg"));
	helper_run(&r, upgrade);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(helper_summary_field(r.out, "done"), 1);
	helper_run_free(&r);
	{
		char *now = md5_of(old);

		cr_assert_str_neq(now, sum);
		g_free(now);
	}
	/* Now it is pthumb's: the plain command finds it up to date. */
	helper_run(&r, plain);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(helper_summary_field(r.out, "skipped"), 1);
	helper_run_free(&r);
	g_free(sum);
	g_free(old);
	g_free(out);
}

/* The longer side of an image file. */
static int
long_side(const char *path)
{
	VipsImage *img = vips_image_new_from_file(path, NULL);
	int n;

	cr_assert_not_null(img, "%s: %s", path, vips_error_buffer());
	n = MAX(img->Xsize, img->Ysize);
	g_object_unref(img);
	return n;
}

/*
 * Every option that shapes the bytes: a change redoes every thumbnail,
 * and saying it again skips them all.
 */
Test(safety, changed_options_redo_and_the_same_options_skip)
{
	static const struct {
		const char *a[3], *b[3];
	} changes[] = {
		{{"-s", "64"}, {"-s", "128"}},
		{{"-b", "2"}, {"-b", "1"}},
		{{"-Q", "50"}, {"-Q", "90"}},
		{{"-s", "64"}, {"-s", "64", "--crop"}},
		{{"-b", "3"}, {"-b", "3", "--exact"}},
	};
	static const char *const field[] = {"done", "done", "skipped"};
	const char *dir = helper_dir();
	char *out = g_build_filename(dir, "out", NULL);

	for (size_t i = 0; i < G_N_ELEMENTS(changes); i++) {
		struct ran r;

		helper_rmtree(out);
		for (int k = 0; k < 3; k++) {
			const char *const *opt = k == 0 ? changes[i].a
			    : changes[i].b;
			const char *args[] = {"--json", "-o", out, TESTDATA,
			    opt[0], opt[1], opt[2], NULL};

			helper_run(&r, args);
			cr_assert_eq(r.status, 0, "%s", r.err);
			cr_assert_eq(helper_summary_field(r.out, field[k]),
			    TESTDATA_IMAGES, "%s %s then %s %s, run %d: %s",
			    changes[i].a[0], changes[i].a[1], changes[i].b[0],
			    changes[i].b[1], k + 1, r.out);
			helper_run_free(&r);
		}
		if (i == 0) {
			char *t = g_build_filename(out, "sunset.jpg", NULL);

			cr_assert_eq(long_side(t), 128);
			g_free(t);
		}
	}
	g_free(out);
}

/* The input put back with an older time than its thumbnail's: another
   picture, so another thumbnail. */
Test(safety, a_source_replaced_with_an_older_time_is_redone)
{
	const char *dir = helper_dir();
	char *in = g_build_filename(dir, "x.jpg", NULL);
	char *out = g_build_filename(dir, "out", NULL);
	char *thumb = g_build_filename(out, "x.jpg", NULL);
	const char *const args[] = {"--json", "-s", "200", "-o", out, in,
	    NULL};
	struct timespec old[2] = {{1000000, 0}, {1000000, 0}};
	struct ran r;
	int first;

	cr_assert_eq(helper_copy(TESTDATA "/sunset.jpg", in), 0);
	helper_run(&r, args);
	cr_assert_eq(r.status, 0, "%s", r.err);
	helper_run_free(&r);
	first = long_side(thumb);
	/* A restore from a backup: other bytes, an old time. */
	cr_assert_eq(helper_copy(TESTDATA "/wine-alpha.png", in), 0);
	cr_assert_eq(utimensat(AT_FDCWD, in, old, 0), 0);
	helper_run(&r, args);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(helper_summary_field(r.out, "done"), 1, "%s", r.out);
	helper_run_free(&r);
	{
		VipsImage *img = vips_image_new_from_file(thumb, NULL);

		cr_assert_not_null(img);
		cr_assert_eq(img->Ysize, 200, "the old picture's thumbnail "
		    "(%d wide before) is still there", first);
		g_object_unref(img);
	}
	g_free(thumb);
	g_free(out);
	g_free(in);
}

/* The source changes after it was opened, while its thumbnail is made
   (PTHUMB_FAULT=change:1 appends a byte): the next run redoes it. */
Test(safety, a_source_changed_while_made_is_redone_next_run)
{
	const char *dir = helper_dir();
	char *in = g_build_filename(dir, "x.jpg", NULL);
	char *out = g_build_filename(dir, "out", NULL);
	const char *const args[] = {"--json", "-n", "-o", out, in, NULL};
	const char *const make[] = {"--json", "-j", "1", "-o", out, in, NULL};
	struct ran r;

	cr_assert_eq(helper_copy(TESTDATA "/sunset.jpg", in), 0);
	cr_assert_eq(setenv("PTHUMB_FAULT", "change:1", 1), 0);
	helper_run(&r, make);
	cr_assert_eq(unsetenv("PTHUMB_FAULT"), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	helper_run_free(&r);
	helper_run(&r, args);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "\"action\": \"redo\", \"why\": "
	    "\"source changed\""), "%s", r.out);
	helper_run_free(&r);
	helper_run(&r, make);
	cr_assert_eq(helper_summary_field(r.out, "done"), 1, "%s", r.out);
	helper_run_free(&r);
	helper_run(&r, make);
	cr_assert_eq(helper_summary_field(r.out, "skipped"), 1, "%s", r.out);
	helper_run_free(&r);
	g_free(out);
	g_free(in);
}

/*
 * A folder inside the output folder that is a link elsewhere: nothing is
 * written through it, and each file that would have been says so once.
 * The output folder itself may be a link the user gave.
 */
Test(safety, a_link_inside_the_output_folder_is_not_followed)
{
	const char *dir = helper_dir();
	char *real = g_build_filename(dir, "real", NULL);
	char *out = g_build_filename(dir, "out", NULL);
	char *elsewhere = g_build_filename(dir, "elsewhere", NULL);
	char *people = g_build_filename(real, "people", NULL);
	const char *const args[] = {"-o", out, TESTDATA, NULL};
	const char *const dry[] = {"-n", "-o", out, TESTDATA, NULL};
	struct ran r;

	cr_assert_eq(g_mkdir_with_parents(real, 0755), 0);
	cr_assert_eq(g_mkdir_with_parents(elsewhere, 0755), 0);
	cr_assert_eq(symlink(real, out), 0);
	cr_assert_eq(symlink(elsewhere, people), 0);
	helper_run(&r, args);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert_eq(helper_count_files(elsewhere), 0, "written through the "
	    "link");
	cr_assert_eq(helper_count_lines(r.err, "people is a symbolic link; "
	    "nothing is written through it"), 2, "%s", r.err);
	cr_assert_eq(helper_count_lines(r.err, "pthumb: "), 2, "%s", r.err);
	/* Through the output folder's own link: the other six. */
	cr_assert_eq(helper_count_files(real), TESTDATA_IMAGES - 2);
	helper_run_free(&r);
	helper_run(&r, dry);
	cr_assert_eq(helper_count_lines(r.err, "is a symbolic link"), 2);
	helper_run_free(&r);
	g_free(people);
	g_free(elsewhere);
	g_free(out);
	g_free(real);
}

/* Wait up to 20 s for dir to hold n temporary files. */
static bool
wait_for_tmp(const char *dir, int n)
{
	for (int i = 0; i < 4000; i++) {
		if (helper_count_tmp(dir) == n)
			return true;
		usleep(5000);
	}
	return false;
}

/*
 * A run killed outright leaves its temporary file; the next run into the
 * folder removes it and completes. A live run's file is never removed,
 * nor another host's until it is a day old.
 */
Test(safety, a_killed_runs_temporary_files_are_removed_by_the_next)
{
	static const char *const one[] = {"sunset.jpg", NULL};
	static const char *const other[] = {"umang.webp", NULL};
	const char *dir = helper_dir();
	char *in = g_build_filename(dir, "in", NULL);
	char *in2 = g_build_filename(dir, "in2", NULL);
	char *out = g_build_filename(dir, "out", NULL);
	char *log = g_build_filename(dir, "log", NULL);
	char *foreign = g_build_filename(out, ".pthumb-0123456789abcdef-1-1-"
	    "1-0123456789abcdef.tmp", NULL);
	const char *const stalled[] = {"-j", "1", "-o", out, in, NULL};
	const char *const beside[] = {"-q", "-o", out, in2, NULL};
	const char *const again[] = {"--json", "-o", out, in, NULL};
	struct timespec old[2] = {{0, 0}, {0, 0}};
	struct ran r;
	pid_t a;

	helper_fill(in, one, 3);
	helper_fill(in2, other, 2); /* 000.webp, 001.webp: other names */
	cr_assert_eq(setenv("PTHUMB_FAULT", "stall:1", 1), 0);
	a = helper_start(stalled, log, "/dev/null");
	cr_assert_eq(unsetenv("PTHUMB_FAULT"), 0);
	cr_assert(wait_for_tmp(out, 1), "no temporary file appeared");
	/* A live run's file, in the folder another run writes into. */
	helper_run(&r, beside);
	cr_assert_eq(r.status, 0, "%s", r.err);
	helper_run_free(&r);
	cr_assert_eq(helper_count_tmp(out), 1, "a live run's file went");
	/* Killed outright: its worker dies with it, the file stays. */
	cr_assert_eq(kill(a, SIGKILL), 0);
	helper_wait(a);
	cr_assert_eq(helper_count_tmp(out), 1);
	helper_run(&r, again);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(helper_summary_field(r.out, "done") +
	    helper_summary_field(r.out, "skipped"), 3, "%s", r.out);
	helper_run_free(&r);
	cr_assert_eq(helper_count_tmp(out), 0, "the dead run's file is left");
	/* Another host's: kept while young, removed at a day old. */
	cr_assert(g_file_set_contents(foreign, "x", 1, NULL));
	helper_run(&r, again);
	helper_run_free(&r);
	cr_assert_eq(access(foreign, F_OK), 0, "a young foreign file went");
	old[0].tv_sec = old[1].tv_sec = time(NULL) - 2 * 24 * 3600;
	cr_assert_eq(utimensat(AT_FDCWD, foreign, old, 0), 0);
	helper_run(&r, again);
	helper_run_free(&r);
	cr_assert_eq(access(foreign, F_OK), -1, "a day-old foreign file "
	    "stayed");
	g_free(foreign);
	g_free(log);
	g_free(out);
	g_free(in2);
	g_free(in);
}

/* Copy a file into folder dir under name. */
static void
copy_into(const char *from, const char *dir, const char *name)
{
	char *to = g_build_filename(dir, name, NULL);

	cr_assert_eq(helper_copy(from, to), 0, "%s", to);
	g_free(to);
}

/*
 * A cause naming a long output path (near 2,000 bytes) is never cut: the
 * line holds it whole and ends with its verdict.
 */
Test(safety, a_cause_with_long_paths_is_whole)
{
	const char *dir = helper_dir();
	GString *deep = g_string_new(dir);
	char *out, *in, *a, *b;
	const char *const args[] = {"-f", "webp", "-o", NULL, NULL, NULL};
	struct ran r;

	g_string_append(deep, "/in");
	for (int i = 0; i < 8; i++) {
		g_string_append_c(deep, '/');
		for (int k = 0; k < 240; k++)
			g_string_append_c(deep, (char)('a' + i));
	}
	cr_assert_eq(g_mkdir_with_parents(deep->str, 0755), 0);
	copy_into(TESTDATA "/sunset.jpg", deep->str, "x.jpeg");
	copy_into(TESTDATA "/wine-alpha.png", deep->str, "x.png");
	a = g_build_filename(deep->str, "x.jpeg", NULL);
	b = g_build_filename(deep->str, "x.png", NULL);
	in = g_build_filename(dir, "in", NULL);
	out = g_build_filename(dir, "out", NULL);
	((const char **)args)[3] = out;
	((const char **)args)[4] = in;
	helper_run(&r, args);
	cr_assert_eq(r.status, 1, "%s", r.err);
	{
		char *whole = g_strdup_printf("%s/%s/x.webp would also be the "
		    "thumbnail of x.jpeg, in the same folder; neither is "
		    "made\n", out, deep->str + strlen(in) + 1);

		cr_assert_not_null(strstr(r.err, whole), "%s", r.err);
		cr_assert_eq(helper_count_lines(r.err, "neither is made"), 2);
		g_free(whole);
	}
	helper_run_free(&r);
	g_string_free(deep, TRUE);
	g_free(out);
	g_free(in);
	g_free(b);
	g_free(a);
}

/*
 * Collisions never replace: two inputs of one folder are both reported
 * and neither is made; across PATH arguments the first found is made and
 * the later one reported, naming it, in this run and in later ones.
 */
Test(safety, colliding_inputs_never_replace_each_other)
{
	const char *dir = helper_dir();
	char *in = g_build_filename(dir, "in", NULL);
	char *a = g_build_filename(dir, "a", NULL);
	char *b = g_build_filename(dir, "b", NULL);
	char *out = g_build_filename(dir, "out", NULL);
	char *x = g_build_filename(out, "x.webp", NULL);
	char *y = g_build_filename(out, "y.jpg", NULL);
	const char *const same_folder[] = {"-f", "webp", "-o", out, in, NULL};
	const char *const both[] = {"-o", out, "--output-template", "%s.jpg",
	    a, b, NULL};
	const char *const later[] = {"-o", out, "--output-template", "%s.jpg",
	    b, NULL};
	struct ran r;
	char *sum;

	cr_assert_eq(g_mkdir_with_parents(in, 0755), 0);
	cr_assert_eq(g_mkdir_with_parents(a, 0755), 0);
	cr_assert_eq(g_mkdir_with_parents(b, 0755), 0);
	copy_into(TESTDATA "/sunset.jpg", in, "x.jpeg");
	copy_into(TESTDATA "/wine-alpha.png", in, "x.png");
	helper_run(&r, same_folder);
	cr_assert_eq(r.status, 1);
	cr_assert_eq(helper_count_lines(r.err, "neither is made"), 2, "%s",
	    r.err);
	cr_assert_not_null(strstr(r.err, "x.jpeg: "));
	cr_assert_not_null(strstr(r.err, "thumbnail of x.jpeg"));
	cr_assert_eq(access(x, F_OK), -1);
	helper_run_free(&r);

	/* a/y.jpg and b/y.webp, both y.jpg under a template without %d. */
	copy_into(TESTDATA "/sunset.jpg", a, "y.jpg");
	copy_into(TESTDATA "/umang.webp", b, "y.webp");
	helper_run(&r, both);
	cr_assert_eq(r.status, 1);
	cr_assert_eq(helper_count_lines(r.err, "y.jpg is already the "
	    "thumbnail of "), 1, "%s", r.err);
	cr_assert_not_null(strstr(r.err, "a/y.jpg; not made"), "%s", r.err);
	helper_run_free(&r);
	sum = md5_of(y);
	/* b alone, later: a's thumbnail is still a's. */
	helper_run(&r, later);
	cr_assert_eq(r.status, 1);
	cr_assert_not_null(strstr(r.err, "is the thumbnail of another input; "
	    "not replaced"), "%s", r.err);
	helper_run_free(&r);
	{
		char *now = md5_of(y);

		cr_assert_str_eq(now, sum);
		g_free(now);
	}
	g_free(sum);
	g_free(y);
	g_free(x);
	g_free(out);
	g_free(b);
	g_free(a);
	g_free(in);
}

/* An output folder equal to the input folder stays usable: the
   thumbnails found there are outputs, not inputs. */
Test(safety, an_output_folder_equal_to_the_input_stays_usable)
{
	static const char *const srcs[] = {"sunset.jpg", "umang.webp", NULL};
	const char *dir = helper_dir();
	const char *const convert[] = {"--json", "-f", "png", "-o", dir, dir,
	    NULL};
	/* Converting again: 001.webp and the first runs' 001.png would both
	   make 20/001.png, but that 001.png is a thumbnail, no rival. */
	const char *const sizes[] = {"--json", "-s", "20,30", "-f", "png",
	    "-o", dir, dir, NULL};
	struct ran r;

	helper_fill(dir, srcs, 4); /* 000.jpg 001.webp 002.jpg 003.webp */
	for (int k = 0; k < 2; k++) {
		helper_run(&r, convert);
		cr_assert_eq(r.status, 0, "%s", r.err);
		cr_assert_eq(helper_summary_field(r.out, k ? "skipped" : "done"), 4,
		    "run %d: %s", k + 1, r.out);
		cr_assert_eq(helper_summary_field(r.out, "failed"), 0);
		helper_run_free(&r);
	}
	for (int k = 0; k < 2; k++) {
		helper_run(&r, sizes);
		cr_assert_eq(r.status, 0, "%s", r.err);
		/* The four inputs; never the PNG thumbnails of the first
		   runs, nor those under 20/ and 30/. */
		cr_assert_eq(helper_summary_field(r.out, k ? "skipped" : "done"), 4,
		    "run %d: %s", k + 1, r.out);
		helper_run_free(&r);
	}
}

/* path -> MD5 of every file under dir, recursively (into sums). */
static void
sum_tree(GHashTable *sums, const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	cr_assert_not_null(d, "%s", dir);
	while ((name = g_dir_read_name(d)) != NULL) {
		char *path = g_build_filename(dir, name, NULL);

		if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
			sum_tree(sums, path);
			g_free(path);
		} else {
			g_hash_table_insert(sums, path, md5_of(path));
		}
	}
	g_dir_close(d);
}

/* A conflict, as check_one() and take_entry() word them. */
static bool
is_conflict(const char *line)
{
	static const char *const words[] = {"not made by pthumb",
	    "neither is made", "already the thumbnail of",
	    "the thumbnail of another input", "overwrite the input", NULL};

	for (int i = 0; words[i] != NULL; i++)
		if (strstr(line, words[i]) != NULL)
			return true;
	return false;
}

/*
 * Each input is reported at most once, and a conflict names both files:
 * the input that leads the line and the one it would have replaced (the
 * same path twice where the output is the input itself).
 */
static void
check_conflict_lines(const char *err, const char *dir, const char *what)
{
	char **lines = g_strsplit(err, "\n", -1);
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal,
	    g_free, NULL);

	for (int i = 0; lines[i] != NULL; i++) {
		const char *path, *end;
		char *lead;

		if (!g_str_has_prefix(lines[i], "pthumb: "))
			continue;
		path = lines[i] + strlen("pthumb: ");
		if ((end = strstr(path, ": ")) == NULL)
			continue;
		lead = g_strndup(path, (size_t)(end - path));
		cr_assert_not(g_hash_table_contains(seen, lead),
		    "%s: %s is reported twice:\n%s", what, lead, err);
		g_hash_table_add(seen, lead);
		if (is_conflict(end))
			cr_assert_not_null(strstr(end, dir), "%s: a conflict "
			    "that names one file: %s", what, lines[i]);
	}
	g_hash_table_destroy(seen);
	g_strfreev(lines);
}

/*
 * The overwrite matrix: output folders equal to, inside and beside the
 * input folder, converting or not, templates writing next to the source,
 * several sizes, every mode, a stream, the desktop's cache: each command
 * run twice, and no input's bytes ever change (an unrelated, older
 * sunset.png sits where sunset.jpg's PNG thumbnail would go).
 */
Test(safety, no_input_changes_in_any_layout_or_mode)
{
	const char *dir = helper_dir();
	char *in = g_build_filename(dir, "in", NULL);
	char *sub = g_build_filename(in, "sub", NULL);
	char *inside = g_build_filename(in, "thumbs", NULL);
	char *beside = g_build_filename(dir, "out", NULL);
	char *one = g_build_filename(in, "sunset.jpg", NULL);
	char *png = g_build_filename(in, "sunset.png", NULL);
	const char *const cases[][12] = {
		{"-o", in, in},
		{"-o", in, "-f", "png", in},
		{"-o", in, "-f", "webp", in},
		{"-o", inside, in},
		{"-o", inside, "-f", "png", in},
		{"-o", beside, in},
		{"-o", beside, "-f", "png", in},
		{"-o", in, "--output-template", "%d/%s.%e", in},
		{"-o", in, "--output-template", "%d/%s.png", in},
		{"-o", in, "-s", "20,30", in},
		{"-o", in, "-s", "20,30", "-f", "png", in},
		{"-o", in, "-f", "png", "--mode", "spawn", in},
		{"-o", in, "-f", "png", "--mode", "threads", in},
		{"-o", in, "-f", "png", "--sequential", in},
		{"-o", in, "-f", "png", "--force", in},
		{"-o", "-", one},
		{"-o", "-", "-f", "png", png},
		{"--freedesktop", in},
	};
	GHashTable *before = g_hash_table_new_full(g_str_hash, g_str_equal,
	    g_free, g_free);

	cr_assert_eq(g_mkdir_with_parents(sub, 0755), 0);
	copy_into(TESTDATA "/sunset.jpg", in, "sunset.jpg");
	make_unrelated_png(png);
	copy_into(TESTDATA "/umang.webp", in, "umang.webp");
	copy_into(TESTDATA "/wine-alpha.png", sub, "wine-alpha.png");
	sum_tree(before, in);
	/* --freedesktop writes under $XDG_CACHE_HOME: here, the input. */
	cr_assert_eq(setenv("XDG_CACHE_HOME", in, 1), 0);
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *what = g_strjoinv(" ", (char **)cases[i]);

		for (int k = 0; k < 2; k++) {
			GHashTableIter it;
			gpointer path, sum;
			struct ran r;

			helper_run(&r, cases[i]);
			cr_assert(r.status == 0 || r.status == 1,
			    "%s: status %d: %s", what, r.status, r.err);
			check_conflict_lines(r.err, dir, what);
			g_hash_table_iter_init(&it, before);
			while (g_hash_table_iter_next(&it, &path, &sum)) {
				char *now = md5_of(path);

				cr_assert_not_null(now, "%s, run %d: %s is "
				    "gone", what, k + 1, (char *)path);
				cr_assert_str_eq(now, sum, "%s, run %d: %s "
				    "changed", what, k + 1, (char *)path);
				g_free(now);
			}
			cr_assert_eq(helper_count_tmp(dir), 0, "%s", what);
			helper_run_free(&r);
		}
		g_free(what);
	}
	cr_assert_eq(unsetenv("XDG_CACHE_HOME"), 0);
	g_hash_table_destroy(before);
	g_free(png);
	g_free(one);
	g_free(beside);
	g_free(inside);
	g_free(sub);
	g_free(in);
}

/*
 * --verify reads each up-to-date thumbnail whole: one whose bytes were
 * changed in place (same length, so the record's length still holds) is
 * redone, and only with --verify; the others are still skipped.
 */
Test(safety, verify_redoes_a_thumbnail_damaged_in_place)
{
	static const char *const srcs[] = {"sunset.jpg", "umang.webp",
	    "wine-alpha.png", NULL};
	const char *dir = helper_dir();
	char *in = g_build_filename(dir, "in", NULL);
	char *out = g_build_filename(dir, "out", NULL);
	char *thumb = g_build_filename(out, "000.jpg", NULL);
	const char *const plain[] = {"--json", "-o", out, in, NULL};
	const char *const verify[] = {"--json", "--verify", "-o", out, in,
	    NULL};
	const char *const dry[] = {"--json", "-n", "--verify", "-o", out, in,
	    NULL};
	struct ran r;
	gchar *data;
	gsize len;
	char *sum;

	helper_fill(in, srcs, 3);
	helper_run(&r, plain);
	cr_assert_eq(r.status, 0, "%s", r.err);
	helper_run_free(&r);
	sum = md5_of(thumb);
	cr_assert(g_file_get_contents(thumb, &data, &len, NULL));
	data[len - 8] ^= 0x55; /* entropy-coded data, before the EOI */
	cr_assert(g_file_set_contents(thumb, data, (gssize)len, NULL));
	g_free(data);
	helper_run(&r, plain);
	cr_assert_eq(helper_summary_field(r.out, "skipped"), 3, "%s", r.out);
	helper_run_free(&r);
	helper_run(&r, dry);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(helper_count_lines(r.out, "\"why\": \"thumbnail "
	    "damaged\""), 1, "%s", r.out);
	helper_run_free(&r);
	helper_run(&r, verify);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(helper_summary_field(r.out, "done"), 1, "%s", r.out);
	cr_assert_eq(helper_summary_field(r.out, "skipped"), 2, "%s", r.out);
	helper_run_free(&r);
	{
		char *now = md5_of(thumb);

		cr_assert_str_eq(now, sum, "the thumbnail was not made again");
		g_free(now);
	}
	helper_run(&r, verify);
	cr_assert_eq(helper_summary_field(r.out, "skipped"), 3, "%s", r.out);
	helper_run_free(&r);
	g_free(sum);
	g_free(thumb);
	g_free(out);
	g_free(in);
}

/* --fsync changes when the bytes reach the disk, never the bytes. */
Test(safety, fsync_writes_the_same_thumbnails)
{
	const char *dir = helper_dir();
	char *a = g_build_filename(dir, "a", NULL);
	char *b = g_build_filename(dir, "b", NULL);
	const char *const plain[] = {"-q", "-s", "20,40", "-o", a, TESTDATA,
	    NULL};
	const char *const synced[] = {"-q", "--fsync", "-s", "20,40", "-o", b,
	    TESTDATA, NULL};
	GHashTable *sa = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	    g_free);
	GHashTable *sb = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	    g_free);
	GHashTableIter it;
	gpointer path, sum;
	struct ran r;

	helper_run(&r, plain);
	cr_assert_eq(r.status, 0, "%s", r.err);
	helper_run_free(&r);
	helper_run(&r, synced);
	cr_assert_eq(r.status, 0, "%s", r.err);
	helper_run_free(&r);
	sum_tree(sa, a);
	sum_tree(sb, b);
	cr_assert_eq(g_hash_table_size(sa), 2 * TESTDATA_IMAGES);
	cr_assert_eq(g_hash_table_size(sb), 2 * TESTDATA_IMAGES);
	g_hash_table_iter_init(&it, sa);
	while (g_hash_table_iter_next(&it, &path, &sum)) {
		char *other = g_build_filename(b, (char *)path + strlen(a),
		    NULL);

		cr_assert_str_eq(g_hash_table_lookup(sb, other), sum, "%s",
		    other);
		g_free(other);
	}
	g_hash_table_destroy(sa);
	g_hash_table_destroy(sb);
	g_free(b);
	g_free(a);
}
