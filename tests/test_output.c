/*
 * output: naming, targets, freshness and the atomic save.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vips/vips.h>

#include "helpers.h"
#include "output.h"
#include "record.h"
#include "pipeline.h" /* pipeline_can_save */

TestSuite(output, .init = helper_init_vips);

/* The layout of -o out [-f format] [--output-template tmpl], asking
   libvips what it can write. */
static struct output_layout *
layout(const char *format, const char *tmpl)
{
	static struct thumb_opts t = {.outdir = "out", .width = 50,
	    .height = 50, .nboxes = 1};
	struct output_layout_config c = {.thumb = &t, .format = format,
	    .tmpl = tmpl, .can_save = pipeline_can_save};

	return output_layout_new(&c);
}

Test(output, names)
{
	static const struct {
		const char *rel, *format, *want;
	} cases[] = {
		{"a.jpg", NULL, "out/a.jpg"},
		{"sub/dir/b.PNG", NULL, "out/sub/dir/b.PNG"},
		{"c.jpeg", "webp", "out/c.webp"},
		{"noext", "png", "out/noext.png"},
		{"d.tar.gif", "jpg", "out/d.tar.jpg"},
		{".hidden", "png", "out/.hidden.png"},
		/* libvips reads these but cannot write them: PNG appended. */
		{"doc.pdf", NULL, "out/doc.pdf.png"},
		{"vector.svg", NULL, "out/vector.svg.png"},
		{"x.heic", NULL, "out/x.heic"},
		{"y.avif", NULL, "out/y.avif"},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct output_layout *l = layout(cases[i].format, NULL);

		/* The same answer when the layout remembers it. */
		for (int k = 0; k < 2; k++) {
			char *p = output_name(l, cases[i].rel);
			struct targets ts;

			cr_assert_str_eq(p, cases[i].want);
			output_targets(l, NULL, cases[i].rel, &ts);
			cr_assert_eq(ts.n, 1);
			cr_assert_eq(ts.kind, OUTPUT_FILES);
			cr_assert_str_eq(ts.t[0].path, cases[i].want);
			cr_assert_eq(ts.t[0].width, 50);
			output_targets_clear(&ts);
			g_free(p);
		}
		output_layout_free(l);
	}
}

Test(output, templates)
{
	static const struct {
		const char *tmpl, *rel, *format, *want;
	} cases[] = {
		{"%d/%s_thumb.webp", "sub/dir/b.PNG", NULL,
		 "out/sub/dir/b_thumb.webp"},
		/* At the top, %d is empty and its slash goes with it. */
		{"%d/%s_thumb.webp", "a.jpg", NULL, "out/a_thumb.webp"},
		{"%s.%e", "x/c.jpeg", NULL, "out/c.jpeg"},
		{"thumbs-%e/%d/%s.jpg", "p/q.tif", NULL, "out/thumbs-tif/p/q.jpg"},
		{"%s", "noext", NULL, "out/noext.png"},
		{"100%%/%s.png", "a/b.gif", NULL, "out/100%/b.png"},
		/* -f still converts what the template names. */
		{"%d/%s-small.%e", "a/b.jpg", "webp", "out/a/b-small.webp"},
		/* A name libvips cannot write gets PNG, as without one. */
		{"%s.%e", "doc.pdf", NULL, "out/doc.pdf.png"},
		/* A stem of ".." cannot climb out. */
		{"%s/x.jpg", "...jpg", NULL, "out/x.jpg"},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct output_layout *l = layout(cases[i].format,
		    cases[i].tmpl);
		char *p = output_name(l, cases[i].rel);

		cr_assert_str_eq(p, cases[i].want, "case %zu", i);
		g_free(p);
		output_layout_free(l);
	}
}

/* The output.h calls on a path: its folder opened, then the *_at call. */
static int
open_dir_of(const char *path, char **base)
{
	char *dir = g_path_get_dirname(path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	cr_assert_geq(fd, 0, "%s: %s", dir, strerror(errno));
	*base = g_path_get_basename(path);
	g_free(dir);
	return fd;
}

static enum output_state
output_check(const char *path, const struct stat *src, uint64_t source,
    uint64_t options)
{
	char *base;
	int fd = open_dir_of(path, &base);
	enum output_state state = output_check_at(fd, base, src, source,
	    options);

	close(fd);
	g_free(base);
	return state;
}

static int
output_create_tmp(const char *tmp)
{
	char *base;
	int dir = open_dir_of(tmp, &base);
	int fd = output_create_tmp_at(dir, base);

	close(dir);
	g_free(base);
	return fd;
}

static int
output_commit(const char *tmp, const char *final, const struct stat *src,
    uint64_t source, bool replace_unrecorded, char *why, size_t size)
{
	char *base, *tbase = g_path_get_basename(tmp);
	int dir = open_dir_of(final, &base);
	int rc = output_commit_at(dir, tbase, base, final, src, source,
	    replace_unrecorded, why, size);

	close(dir);
	g_free(base);
	g_free(tbase);
	return rc;
}

Test(output, tmp_name)
{
	char *tmp = output_tmp_path("out/sub/pic.jpg", 1234);
	char *base = g_path_get_basename(tmp);

	/* .pthumb-PLACE-PID-START-WORKER-NAME.tmp, in the final's folder. */
	cr_assert(g_str_has_prefix(tmp, "out/sub/.pthumb-"), "%s", tmp);
	cr_assert(g_str_has_suffix(tmp, ".tmp"), "%s", tmp);
	cr_assert_not_null(strstr(base, "-1234-"), "%s", base);
	cr_assert_lt(strlen(base), 100, "a long name must still fit");
	g_free(base);
	g_free(tmp);
}

/* A JPEG thumbnail of src with a record, at path. */
static void
make_thumb(const char *path, const char *src, uint64_t source,
    uint64_t options)
{
	VipsImage *img = vips_image_new_from_file(TESTDATA "/sunset.jpg",
	    NULL);
	struct record rec = {0};
	struct stat st;
	void *buf = NULL;
	size_t len;
	GByteArray *b;

	cr_assert_not_null(img);
	cr_assert_eq(vips_image_write_to_buffer(img, ".jpg", &buf, &len,
	    NULL), 0);
	cr_assert_eq(stat(src, &st), 0);
	record_set_source(&rec, source, &st);
	rec.options = options;
	b = record_embed(buf, len, &rec);
	cr_assert_not_null(b);
	cr_assert(g_file_set_contents(path, (const char *)b->data, b->len,
	    NULL));
	g_byte_array_unref(b);
	g_free(buf);
	g_object_unref(img);
}

/* Freshness is the record: whose thumbnail, of which source as it was
   (size, time to the nanosecond), with which options, whole or not. */
Test(output, what_is_at_an_output_path_follows_its_record)
{
	char *dir = helper_tmpdir();
	char *src = g_build_filename(dir, "src.jpg", NULL);
	char *dst = g_build_filename(dir, "dst.jpg", NULL);
	char *link = g_build_filename(dir, "link.jpg", NULL);
	char *fifo = g_build_filename(dir, "fifo.jpg", NULL);
	struct timespec older[2] = {{1000, 5}, {1000, 5}};
	struct stat st;

	cr_assert(g_file_set_contents(src, "source bytes", 12, NULL));
	cr_assert_eq(stat(src, &st), 0);
	cr_assert_eq(output_check(dst, &st, 1, 2), OUTPUT_ABSENT);
	cr_assert_eq(output_check(src, &st, 1, 2), OUTPUT_IS_INPUT);
	make_thumb(dst, src, 1, 2);
	cr_assert_eq(output_check(dst, &st, 1, 2), OUTPUT_FRESH);
	cr_assert_eq(output_check(dst, &st, 1, 3), OUTPUT_OPTIONS_CHANGED);
	cr_assert_eq(output_check(dst, &st, 9, 2), OUTPUT_OTHERS);
	/* A source put back with an older time is another source. */
	cr_assert_eq(utimensat(AT_FDCWD, src, older, 0), 0);
	cr_assert_eq(stat(src, &st), 0);
	cr_assert_eq(output_check(dst, &st, 1, 2), OUTPUT_SOURCE_CHANGED);
	make_thumb(dst, src, 1, 2);
	cr_assert_eq(output_check(dst, &st, 1, 2), OUTPUT_FRESH);
	/* Only the nanoseconds differ. */
	older[0].tv_nsec = older[1].tv_nsec = 6;
	cr_assert_eq(utimensat(AT_FDCWD, src, older, 0), 0);
	cr_assert_eq(stat(src, &st), 0);
	cr_assert_eq(output_check(dst, &st, 1, 2), OUTPUT_SOURCE_CHANGED);
	make_thumb(dst, src, 1, 2);
	cr_assert_eq(truncate(dst, 600), 0);
	cr_assert_eq(output_check(dst, &st, 1, 2), OUTPUT_TRUNCATED);
	cr_assert_eq(truncate(dst, 0), 0);
	cr_assert_eq(output_check(dst, &st, 1, 2), OUTPUT_EMPTY);
	cr_assert(g_file_set_contents(dst, "not a thumbnail", 15, NULL));
	cr_assert_eq(output_check(dst, &st, 1, 2), OUTPUT_FOREIGN);
	/* A link, even to pthumb's own thumbnail, and a FIFO (no wait). */
	make_thumb(dst, src, 1, 2);
	cr_assert_eq(symlink(dst, link), 0);
	cr_assert_eq(output_check(link, &st, 1, 2), OUTPUT_FOREIGN);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	cr_assert_eq(output_check(fifo, &st, 1, 2), OUTPUT_FOREIGN);
	cr_assert_eq(output_check(dir, &st, 1, 2), OUTPUT_FOREIGN);
	helper_rmtree(dir);
	g_free(fifo);
	g_free(link);
	g_free(src);
	g_free(dst);
	g_free(dir);
}

/* A temporary file, ready to commit, holding `what`. */
static char *
ready_tmp(const char *dir, const char *what)
{
	char *tmp = g_build_filename(dir, ".pthumb-test.tmp", NULL);
	int fd = output_create_tmp(tmp);

	cr_assert_geq(fd, 0, "create: %s", strerror(errno));
	cr_assert_eq(write(fd, what, strlen(what)), (ssize_t)strlen(what));
	cr_assert_eq(close(fd), 0);
	return tmp;
}

static bool
holds(const char *path, const char *what)
{
	gchar *got = NULL;
	bool same = g_file_get_contents(path, &got, NULL, NULL) &&
	    strcmp(got, what) == 0;

	g_free(got);
	return same;
}

Test(output, commit_replaces_only_what_pthumb_made)
{
	char *dir = helper_tmpdir();
	char *src = g_build_filename(dir, "src.jpg", NULL);
	char *fin = g_build_filename(dir, "a.jpg", NULL);
	char why[512];
	struct stat st;
	char *tmp;

	cr_assert(g_file_set_contents(src, "source", 6, NULL));
	cr_assert_eq(stat(src, &st), 0);
	/* Absent: made. */
	tmp = ready_tmp(dir, "new");
	cr_assert_eq(output_commit(tmp, fin, &st, 1, false, why,
	    sizeof(why)), 0, "%s", why);
	cr_assert_eq(access(tmp, F_OK), -1);
	cr_assert(holds(fin, "new"));
	/* A file without a record: refused, untouched, and the cause
	   names the path and the way out. */
	cr_assert_neq(output_commit(tmp = ready_tmp(dir, "newer"), fin, &st,
	    1, false, why, sizeof(why)), 0);
	cr_assert(holds(fin, "new"));
	cr_assert_not_null(strstr(why, "exists and was not made by pthumb"));
	cr_assert_not_null(strstr(why, "--replace-unrecorded"));
	cr_assert_not_null(strstr(why, fin));
	/* ... unless asked. */
	cr_assert_eq(output_commit(tmp, fin, &st, 1, true, why, sizeof(why)),
	    0, "%s", why);
	cr_assert(holds(fin, "newer"));
	g_free(tmp);
	/* Another source's thumbnail, even when asked to replace files
	   without a record. */
	make_thumb(fin, src, 7, 0);
	tmp = ready_tmp(dir, "x");
	cr_assert_neq(output_commit(tmp, fin, &st, 1, true, why,
	    sizeof(why)), 0);
	cr_assert_not_null(strstr(why, "thumbnail of another input"));
	/* Its own: replaced. */
	make_thumb(fin, src, 1, 0);
	cr_assert_eq(output_commit(tmp, fin, &st, 1, false, why,
	    sizeof(why)), 0, "%s", why);
	cr_assert(holds(fin, "x"));
	g_free(tmp);
	/* The source itself: never. */
	tmp = ready_tmp(dir, "y");
	cr_assert_neq(output_commit(tmp, src, &st, 1, true, why,
	    sizeof(why)), 0);
	cr_assert(holds(src, "source"));
	unlink(tmp);
	g_free(tmp);
	/* An empty file holds nothing: replaced. */
	cr_assert(g_file_set_contents(fin, "", 0, NULL));
	tmp = ready_tmp(dir, "z");
	cr_assert_eq(output_commit(tmp, fin, &st, 1, false, why,
	    sizeof(why)), 0, "%s", why);
	cr_assert(holds(fin, "z"));
	g_free(tmp);
	helper_rmtree(dir);
	g_free(src);
	g_free(fin);
	g_free(dir);
}

Test(output, tmp_file_mode_follows_umask_and_replaces_stale)
{
	char *dir = helper_tmpdir();
	char *tmp = g_build_filename(dir, ".pthumb-1.tmp", NULL);
	struct stat st;
	mode_t old = umask(022);
	int fd;

	cr_assert(g_file_set_contents(tmp, "stale", 5, NULL));
	fd = output_create_tmp(tmp);
	cr_assert_geq(fd, 0, "create: %s", strerror(errno));
	cr_assert_eq(write(fd, "new", 3), 3);
	cr_assert_eq(close(fd), 0);
	cr_assert_eq(stat(tmp, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0644, "mode %o", st.st_mode & 0777);
	cr_assert_eq(st.st_size, 3);
	umask(old);
	helper_rmtree(dir);
	g_free(tmp);
	g_free(dir);
}

Test(output, output_folders_are_made)
{
	char *dir = helper_tmpdir();
	char *fin = g_build_filename(dir, "a", "b", "c.jpg", NULL);
	char *parent = g_path_get_dirname(fin);
	int fd;

	cr_assert_geq(fd = output_open_dir(dir, fin, true, NULL), 0);
	close(fd);
	cr_assert(g_file_test(parent, G_FILE_TEST_IS_DIR));
	cr_assert_geq(fd = output_open_dir(dir, fin, true, NULL), 0,
	    "existing folders are fine");
	close(fd);
	helper_rmtree(dir);
	g_free(parent);
	g_free(fin);
	g_free(dir);
}
