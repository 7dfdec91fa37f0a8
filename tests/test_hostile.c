/*
 * Hostile input: damaged, lying and odd files, odd names and trees, and
 * disk trouble. Each file ends as a complete thumbnail or one clear line;
 * the batch always finishes; no temporary file is left.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vips/vips.h>

#include "helpers.h"

#define BAD TOP_DIR "/tests/data/bad"
#define HOSTILE TOP_DIR "/tests/data/hostile"
#define UNTRUSTED TOP_DIR "/tests/data/untrusted"

TestSuite(hostile, .init = helper_init_vips_dir, .fini = helper_fini_dir,
    .timeout = 180);

/* The input's line has this status and mentions `says` (if not NULL). */
static void
expect(const char *out, const char *input, const char *status,
    const char *says)
{
	char *line = helper_json_line(out, "input", input);
	char *st = helper_json_string(line, "status");

	cr_assert_str_eq(st, status, "%s: want %s: %s", input, status, line);
	if (says != NULL)
		cr_assert_not_null(strstr(line, says), "%s: want \"%s\": %s",
		    input, says, line);
	g_free(st);
	g_free(line);
}

static void
run_json(struct ran *r, const char *out, const char *extra)
{
	const char *const plain[] = {"--json", "-o", out, TESTDATA, BAD,
	    HOSTILE, NULL};
	const char *const with[] = {"--json", extra, "-o", out, TESTDATA, BAD,
	    HOSTILE, NULL};

	helper_run(r, extra ? with : plain);
}

Test(hostile, each_damaged_file_gets_its_status_and_message)
{
	const char *out = helper_dir();
	struct ran r;

	run_json(&r, out, NULL);
	cr_assert_eq(r.status, 1, "exit %d", r.status);
	expect(r.out, BAD "/corrupt.jpg", "error", "Empty JPEG image");
	expect(r.out, BAD "/empty.jpg", "error", "empty file");
	expect(r.out, BAD "/notes.jpg", "error", "not a known image format");
	expect(r.out, BAD "/truncated.png", "warning",
	    "damaged PNG: not enough data");
	/* The words it was shaped from stay there for whoever debugs. */
	expect(r.out, BAD "/truncated.png", "warning",
	    "\"detail\": \"vipspng: libpng read error");
	expect(r.out, HOSTILE "/truncated.jpg", "warning",
	    "Premature end of");
	expect(r.out, HOSTILE "/bitflip.jpg", "warning", "Corrupt JPEG data");
	expect(r.out, HOSTILE "/bitflip.png", "warning", NULL);
	expect(r.out, HOSTILE "/huge.png", "error",
	    "image is 100000x100000, over --max-pixels 268402689");
	/* A metadata quirk is a note, not damage. */
	expect(r.out, HOSTILE "/exif-unit.jpg", "ok",
	    "\"warnings\": \"unknown EXIF resolution unit\"");
	cr_assert_eq(helper_count_lines(r.out, "\"status\": \"ok\""),
	    TESTDATA_IMAGES + 1, "every valid image still got its thumbnail");
	/* 8 + exif-unit + 4 damaged but readable. */
	cr_assert_eq(helper_count_files(out), TESTDATA_IMAGES + 1 + 4);
	cr_assert_eq(helper_count_tmp(out), 0);
	helper_run_free(&r);
}

Test(hostile, strict_fails_damage_and_fail_on_none_accepts_it)
{
	char *out = g_build_filename(helper_dir(), "strict", NULL);
	char *out2 = g_build_filename(helper_dir(), "fail-on-none", NULL);
	struct ran r;

	run_json(&r, out, "--strict");
	cr_assert_eq(r.status, 1);
	expect(r.out, HOSTILE "/truncated.jpg", "error", "Premature end of");
	expect(r.out, HOSTILE "/bitflip.jpg", "error", NULL);
	expect(r.out, BAD "/truncated.png", "error", NULL);
	expect(r.out, HOSTILE "/exif-unit.jpg", "ok", NULL);
	cr_assert_eq(helper_count_lines(r.out, "\"status\": \"warning\""), 0);
	cr_assert_eq(helper_count_files(out), TESTDATA_IMAGES + 1);
	helper_run_free(&r);

	run_json(&r, out2, "--fail-on=none");
	expect(r.out, HOSTILE "/truncated.jpg", "ok", NULL);
	expect(r.out, HOSTILE "/bitflip.png", "ok", NULL);
	expect(r.out, HOSTILE "/huge.png", "error", "max-pixels");
	cr_assert_eq(helper_count_tmp(out2), 0);
	helper_run_free(&r);
	g_free(out);
	g_free(out2);
}

Test(hostile, max_pixels_is_checked_before_decoding)
{
	const char *out = helper_dir();
	const char *const args[] = {"--max-pixels", "300000", "-o", out,
	    TESTDATA "/sunset.jpg", TESTDATA "/seeding.jpg", NULL};
	struct ran r;

	helper_run(&r, args);
	cr_assert_eq(r.status, 1);
	cr_assert_eq(helper_count_lines(r.err, "seeding.jpg: image is "
	    "2400x1350, over --max-pixels 300000"), 1, "%s", r.err);
	cr_assert_eq(helper_count_files(out), 1);
	helper_run_free(&r);
}

Test(hostile, untrusted_loaders_are_blocked_unless_allowed)
{
	const char *out = helper_dir();
	char *png = g_build_filename(out, "shapes.svg.png", NULL);
	const char *const named[] = {"-o", out, UNTRUSTED "/shapes.svg", NULL};
	const char *const folder[] = {"-o", out, UNTRUSTED, NULL};
	const char *const allowed[] = {"--allow-untrusted", "-o", out,
	    UNTRUSTED, NULL};
	struct ran r;

	helper_run(&r, named);
	cr_assert_eq(r.status, 1);
	cr_assert_eq(helper_count_lines(r.err, "shapes.svg: svgload is "
	    "blocked: libvips marks it untrusted (--allow-untrusted allows "
	    "it)"), 1, "%s", r.err);
	helper_run_free(&r);
	/* In a folder an SVG is not even queued without the flag. */
	helper_run(&r, folder);
	cr_assert_eq(r.status, 0);
	cr_assert_not_null(strstr(r.out, "0 done, 0 failed, 0 skipped"));
	helper_run_free(&r);
	helper_run(&r, allowed);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(access(png, F_OK), 0, "no %s", png);
	helper_run_free(&r);
	g_free(png);
}

/* Everything in ../shared/corpus that exists: no crash, no raw output. */
Test(hostile, the_whole_shared_corpus)
{
	const char *corpus = TOP_DIR "/../shared/corpus";
	const char *photos = helper_corpus_photos();
	const char *out = helper_dir();
	char *formats = photos ? g_build_filename(photos, "..", "formats",
	    NULL) : g_strdup("/nonexistent");
	const char *args[8] = {"-q", "--json", "-o", out, NULL};
	char **lines;
	struct ran r;
	int n = 4, files = 0;

	helper_skip_under_valgrind("corpus-wide: hours under valgrind once the "
	    "corpus is fetched");

	if (!g_file_test(corpus, G_FILE_TEST_IS_DIR))
		helper_skip_test("no %s beside the repository", corpus);
	args[n++] = TOP_DIR "/../shared/corpus/pngsuite";
	if (photos != NULL)
		args[n++] = photos;
	if (g_file_test(formats, G_FILE_TEST_IS_DIR))
		args[n++] = formats;
	args[n] = NULL;
	helper_run(&r, args);
	cr_assert(r.status == 0 || r.status == 1, "exit %d", r.status);
	lines = g_strsplit(r.err, "\n", -1);
	for (char **l = lines; *l != NULL && **l != '\0'; l++)
		cr_assert(g_str_has_prefix(*l, "pthumb: "), "raw: %s", *l);
	g_strfreev(lines);
	files = helper_count_lines(r.out, "\"type\": \"file\"");
	cr_assert_gt(files, 100, "%d files", files);
	cr_assert_eq(helper_count_tmp(out), 0);
	cr_log_info("%d files, %d ok, %d warning, %d error", files,
	    helper_count_lines(r.out, "\"status\": \"ok\""),
	    helper_count_lines(r.out, "\"status\": \"warning\""),
	    helper_count_lines(r.out, "\"status\": \"error\""));
	helper_run_free(&r);
	g_free(formats);
}

Test(hostile, odd_names_round_trip)
{
	static const char *const names[] = {
		"with space.jpg", "new\nline.jpg", "-leading-dash.jpg",
		"caf\xc3\xa9.jpg", "bad\xff\xfe.jpg", "quote\"back\\slash.jpg",
	};
	const char *dir = helper_dir();
	char *in = g_build_filename(dir, "in", NULL);
	char *out = g_build_filename(dir, "out", NULL);
	const char *const args[] = {"--json", "-o", out, in, NULL};
	struct ran r;

	cr_assert_eq(g_mkdir_with_parents(in, 0755), 0);
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		char *p = g_build_filename(in, names[i], NULL);

		cr_assert_eq(helper_copy(TESTDATA "/sunset.jpg", p), 0);
		g_free(p);
	}
	helper_run(&r, args);
	cr_assert_eq(r.status, 0, "%s", r.err);
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		char *p = g_build_filename(out, names[i], NULL);

		cr_assert_eq(access(p, F_OK), 0, "no thumbnail for %s", p);
		g_free(p);
	}
	cr_assert_not_null(strstr(r.out, "new\\nline.jpg"));
	cr_assert_not_null(strstr(r.out, "bad\\udcff\\udcfe.jpg"));
	cr_assert_not_null(strstr(r.out, "quote\\\"back\\\\slash.jpg"));
	cr_assert_not_null(strstr(r.out, "caf\xc3\xa9.jpg"));
	helper_run_free(&r);
	{
		/* Named with a leading dash, after "--". */
		char *p = g_build_filename(in, "-leading-dash.jpg", NULL);
		const char *const dash[] = {"--force", "-o", out, "--", p, NULL};

		cr_assert_eq(chdir(in), 0);
		helper_run(&r, (const char *const[]){"--force", "-o", out, "--",
		    "-leading-dash.jpg", NULL});
		cr_assert_eq(r.status, 0, "%s", r.err);
		helper_run_free(&r);
		helper_run(&r, dash);
		cr_assert_eq(r.status, 0, "%s", r.err);
		helper_run_free(&r);
		g_free(p);
	}
	g_free(in);
	g_free(out);
}

/*
 * A name that would clear a line, or reverse the text after it, is shown
 * escaped wherever it appears in a line: leading it, and inside the cause
 * (a collision names the other input).
 */
Test(hostile, names_inside_a_cause_are_escaped)
{
	const char *dir = helper_dir();
	char *in = g_build_filename(dir, "in", NULL);
	char *out = g_build_filename(dir, "out", NULL);
	char *a = g_build_filename(in, "x\n\x1b[2K.jpeg", NULL);
	char *b = g_build_filename(in, "x\n\x1b[2K.png", NULL);
	char *c = g_build_filename(in, "a\xe2\x80\xae\xc2\x9b.jpg", NULL);
	const char *const args[] = {"-f", "webp", "-o", out, in, NULL};
	struct ran r;
	char **lines;

	cr_assert_eq(g_mkdir_with_parents(in, 0755), 0);
	cr_assert_eq(helper_copy(TESTDATA "/sunset.jpg", a), 0);
	cr_assert_eq(helper_copy(TESTDATA "/wine-alpha.png", b), 0);
	cr_assert_eq(helper_copy(TESTDATA "/sunset.jpg", c), 0);
	helper_run(&r, args);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert_null(strchr(r.err, '\x1b'), "%s", r.err);
	cr_assert_null(strchr(r.out, '\x1b'), "%s", r.out);
	cr_assert_null(strstr(r.out, "\xe2\x80\xae"), "%s", r.out);
	cr_assert_eq(helper_count_lines(r.err, "would also be the thumbnail "
	    "of x\\x0a\\x1b[2K.png"), 1, "%s", r.err);
	lines = g_strsplit(r.err, "\n", -1);
	for (char **l = lines; *l != NULL && **l != '\0'; l++)
		cr_assert(g_str_has_prefix(*l, "pthumb: "), "a line that "
		    "pthumb did not start: %s", *l);
	g_strfreev(lines);
	cr_assert_not_null(strstr(r.out, "a\\xe2\\x80\\xae\\xc2\\x9b.jpg"),
	    "%s", r.out);
	helper_run_free(&r);
	g_free(c);
	g_free(b);
	g_free(a);
	g_free(out);
	g_free(in);
}

Test(hostile, a_very_deep_tree)
{
	const char *dir = helper_dir();
	GString *deep = g_string_new(dir);
	char *out = g_build_filename(dir, "out", NULL);
	char *img;
	struct ran r;

	g_string_append(deep, "/in");
	for (int i = 0; i < 400; i++)
		g_string_append(deep, "/d");
	cr_assert_eq(g_mkdir_with_parents(deep->str, 0755), 0);
	img = g_build_filename(deep->str, "a.jpg", NULL);
	cr_assert_eq(helper_copy(TESTDATA "/sunset.jpg", img), 0);
	{
		char *in = g_build_filename(dir, "in", NULL);
		const char *const args[] = {"-o", out, in, NULL};

		helper_run(&r, args);
		g_free(in);
	}
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(helper_count_files(out), 1);
	helper_run_free(&r);
	g_free(img);
	g_string_free(deep, TRUE);
	g_free(out);
}

Test(hostile, an_output_folder_inside_the_input_is_not_rethumbnailed)
{
	const char *dir = helper_dir();
	char *out = g_build_filename(dir, "thumbs", NULL);
	char *again = g_build_filename(out, "thumbs", NULL);
	const char *const args[] = {"-o", out, dir, NULL};
	char *a = g_build_filename(dir, "a.jpg", NULL);
	struct ran r;

	cr_assert_eq(helper_copy(TESTDATA "/sunset.jpg", a), 0);
	helper_run(&r, args);
	cr_assert_eq(r.status, 0);
	helper_run_free(&r);
	helper_run(&r, args);
	cr_assert_eq(r.status, 0);
	cr_assert_not_null(strstr(r.out, "0 done, 0 failed, 1 skipped"), "%s",
	    r.out);
	cr_assert_eq(access(again, F_OK), -1);
	helper_run_free(&r);
	g_free(a);
	g_free(again);
	g_free(out);
}

Test(hostile, an_output_folder_that_cannot_be_made_is_one_message)
{
	const char *const args[] = {"-o", "/proc/pthumb/out", TESTDATA, NULL};
	struct ran r;

	helper_run(&r, args);
	cr_assert_eq(r.status, 2);
	cr_assert_eq(helper_count_lines(r.err, "pthumb: "), 1, "%s", r.err);
	cr_assert_not_null(strstr(r.err, "/proc/pthumb/out: cannot create "
	    "output folder: "), "%s", r.err);
	helper_run_free(&r);
}

/* A small tmpfs of ours in the test's folder, or a skip when this
   process may not mount. */
static char *
small_fs(const char *options)
{
	char *dir = g_build_filename(helper_dir(), "fs", NULL);

	cr_assert_eq(mkdir(dir, 0700), 0, "%s: %s", dir, strerror(errno));
	if (mount("pthumb-test", dir, "tmpfs", 0, options) != 0) {
		int err = errno;

		g_free(dir);
		helper_skip_test("cannot mount a tmpfs here (%s): needs root",
		    strerror(err));
	}
	return dir;
}

/* Unmounted; the test's folder goes with the suite's .fini. */
static void
release_fs(char *dir)
{
	umount2(dir, MNT_DETACH);
	g_free(dir);
}

Test(hostile, a_full_disk_fails_files_one_by_one_and_leaves_no_part)
{
	char *fs = small_fs("size=96k");
	const char *const args[] = {"-s", "600", "-f", "png", "-o", fs,
	    TESTDATA, NULL};
	struct ran r;
	int failed;

	helper_run(&r, args);
	cr_assert_eq(r.status, 1, "exit %d: %s", r.status, r.err);
	failed = helper_count_lines(r.err, "No space left on device");
	cr_assert_gt(failed, 0, "%s", r.err);
	cr_assert_eq(helper_count_lines(r.err, "pthumb: "), failed,
	    "one line per file:\n%s", r.err);
	cr_assert_eq(helper_count_tmp(fs), 0);
	/* What is there is complete. */
	{
		char **lines = g_strsplit(r.out, "\n", -1);
		int written = 0;

		for (char **l = lines; *l != NULL; l++) {
			char *arrow = strstr(*l, " -> ");
			char *end;

			if (arrow == NULL || g_str_has_prefix(*l, "pthumb:"))
				continue;
			arrow += 4;
			end = strstr(arrow, "  ");
			cr_assert_not_null(end);
			{
				char *path = g_strndup(arrow, end - arrow);
				VipsImage *im = vips_image_new_from_file(path,
				    "fail_on", VIPS_FAIL_ON_WARNING, NULL);
				double avg;

				cr_assert_not_null(im, "%s", path);
				cr_assert_eq(vips_avg(im, &avg, NULL), 0, "%s",
				    path);
				g_object_unref(im);
				g_free(path);
			}
			written++;
		}
		g_strfreev(lines);
		cr_assert_eq(written + failed, TESTDATA_IMAGES);
	}
	helper_run_free(&r);
	release_fs(fs);
}

Test(hostile, a_read_only_output_folder)
{
	char *fs = small_fs("size=1m,mode=0755");
	char *sub = g_build_filename(fs, "thumbs", NULL);
	const char *const args[] = {"-o", sub, TESTDATA, NULL};
	struct ran r;

	cr_assert_eq(mkdir(sub, 0755), 0);
	cr_assert_eq(mount(NULL, fs, NULL, MS_REMOUNT | MS_RDONLY, NULL), 0,
	    "%s", strerror(errno));
	helper_run(&r, args);
	cr_assert_eq(r.status, 1, "exit %d: %s", r.status, r.err);
	cr_assert_eq(helper_count_lines(r.err, "Read-only file system"),
	    TESTDATA_IMAGES, "%s", r.err);
	cr_assert_eq(helper_count_lines(r.err, "pthumb: "), TESTDATA_IMAGES);
	helper_run_free(&r);
	g_free(sub);
	release_fs(fs);
}

/* Under a tight --worker-memory the file fails; the run does not. */
Test(hostile, worker_memory_limit_fails_the_file_not_the_run)
{
	const char *out = helper_dir();
	const char *const args[] = {"--worker-memory", "32M", "-o", out,
	    TESTDATA "/seeding.jpg", NULL};
	struct ran r;

	helper_skip_under_valgrind("valgrind keeps its client's RLIMIT_DATA to "
	    "itself");

#ifdef __SANITIZE_ADDRESS__
	helper_skip_test("a sanitizer build cannot limit its data segment");
#endif
	helper_run(&r, args);
	cr_assert_eq(r.status, 1, "exit %d: %s", r.status, r.err);
	cr_assert_eq(helper_count_lines(r.err, "pthumb: " TESTDATA
	    "/seeding.jpg: out of memory"), 1, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "0 done, 1 failed"), "%s", r.out);
	cr_assert_eq(helper_count_tmp(out), 0);
	helper_run_free(&r);
}
