/*
 * output: naming, collisions (through jobq), freshness and the atomic save.
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
#include "jobq.h"
#include "output.h"
#include "scan.h"

static void
init_vips(void)
{
	cr_assert_eq(VIPS_INIT("test"), 0);
}

TestSuite(output, .init = init_vips);

Test(output, names)
{
	GHashTable *memo = output_memo_new();
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
		char *p = output_path("out", cases[i].rel, NULL, cases[i].format,
		    NULL);

		cr_assert_str_eq(p, cases[i].want);
		g_free(p);
		/* The same answer through a memo, asked twice. */
		for (int k = 0; k < 2; k++) {
			p = output_path("out", cases[i].rel, NULL, cases[i].format,
			    memo);
			cr_assert_str_eq(p, cases[i].want);
			g_free(p);
		}
	}
	g_hash_table_unref(memo);
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
		char *p = output_path("out", cases[i].rel, cases[i].tmpl,
		    cases[i].format, NULL);

		cr_assert_str_eq(p, cases[i].want, "case %zu", i);
		g_free(p);
	}
}

Test(output, suffix_and_tmp_name)
{
	char *tmp = output_tmp_path("out/sub/pic.jpg", 1234);

	cr_assert_str_eq(tmp, "out/sub/.pic.jpg.pthumb-1234.tmp");
	g_free(tmp);
	cr_assert_str_eq(output_suffix("a/b.c/d.JPG"), ".JPG");
	cr_assert_str_eq(output_suffix("a/b.c/d"), "");
	cr_assert_str_eq(output_suffix(".profile"), "");
	cr_assert(output_can_save(".jpg"));
	cr_assert(output_can_save(".webp"));
	cr_assert_not(output_can_save(".pdf"));
	cr_assert_not(output_can_save(""));
}

Test(output, freshness_is_one_stat)
{
	char *dir = helper_tmpdir();
	char *src = g_build_filename(dir, "src.jpg", NULL);
	char *dst = g_build_filename(dir, "dst.jpg", NULL);
	struct timespec old[2] = {{1000, 0}, {1000, 0}};
	struct timespec new[2] = {{2000, 0}, {2000, 0}};
	struct stat st;

	cr_assert(g_file_set_contents(src, "x", 1, NULL));
	cr_assert_eq(stat(src, &st), 0);
	cr_assert_eq(output_check(dst, &st), OUTPUT_ABSENT);
	cr_assert_eq(output_check(src, &st), OUTPUT_IS_INPUT);
	cr_assert(g_file_set_contents(dst, "y", 1, NULL));
	cr_assert_eq(utimensat(AT_FDCWD, dst, old, 0), 0);
	cr_assert_eq(utimensat(AT_FDCWD, src, new, 0), 0);
	cr_assert_eq(stat(src, &st), 0);
	cr_assert_eq(output_check(dst, &st), OUTPUT_STALE);
	cr_assert_eq(utimensat(AT_FDCWD, src, old, 0), 0);
	cr_assert_eq(stat(src, &st), 0);
	cr_assert_eq(output_check(dst, &st), OUTPUT_STALE,
	    "same time is not newer");
	cr_assert_eq(utimensat(AT_FDCWD, dst, new, 0), 0);
	cr_assert_eq(output_check(dst, &st), OUTPUT_FRESH);
	helper_rmtree(dir);
	g_free(src);
	g_free(dst);
	g_free(dir);
}

Test(output, tmp_file_mode_follows_umask_and_replaces_stale)
{
	char *dir = helper_tmpdir();
	char *tmp = g_build_filename(dir, ".a.jpg.pthumb-1.tmp", NULL);
	char *fin = g_build_filename(dir, "a.jpg", NULL);
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
	cr_assert_eq(output_commit(tmp, fin), 0);
	cr_assert_eq(access(tmp, F_OK), -1);
	cr_assert_eq(stat(fin, &st), 0);
	cr_assert_eq(st.st_size, 3);
	umask(old);
	helper_rmtree(dir);
	g_free(tmp);
	g_free(fin);
	g_free(dir);
}

Test(output, mkdirs)
{
	char *dir = helper_tmpdir();
	char *fin = g_build_filename(dir, "a", "b", "c.jpg", NULL);
	char *parent = g_path_get_dirname(fin);

	cr_assert_eq(output_mkdirs(fin), 0);
	cr_assert(g_file_test(parent, G_FILE_TEST_IS_DIR));
	cr_assert_eq(output_mkdirs(fin), 0, "existing folders are fine");
	helper_rmtree(dir);
	g_free(parent);
	g_free(fin);
	g_free(dir);
}

/* Two inputs that map to one output: the second is an error. */
Test(output, collisions_and_skips_in_the_queue)
{
	char *dir = helper_tmpdir();
	char *a = g_build_filename(dir, "in", "x.jpg", NULL);
	char *b = g_build_filename(dir, "in", "x.png", NULL);
	char *c = g_build_filename(dir, "in", "y.jpg", NULL);
	char *out = g_build_filename(dir, "out", NULL);
	char *in = g_build_filename(dir, "in", NULL);
	char *fresh = g_build_filename(out, "y.webp", NULL);
	char *paths[] = {in, NULL};
	struct scan_config sc = {.paths = paths};
	struct jobq_config qc = {.outdir = out, .format = "webp"};
	struct timespec old[2] = {{1000, 0}, {1000, 0}};
	struct scan *s;
	struct jobq *q;
	struct job *job;
	struct result r;

	cr_assert_eq(g_mkdir_with_parents(in, 0755), 0);
	cr_assert_eq(g_mkdir_with_parents(out, 0755), 0);
	cr_assert(g_file_set_contents(a, "a", 1, NULL));
	cr_assert(g_file_set_contents(b, "b", 1, NULL));
	cr_assert(g_file_set_contents(c, "c", 1, NULL));
	cr_assert(g_file_set_contents(fresh, "t", 1, NULL));
	/* y.webp newer than y.jpg (file times tick coarsely: set them). */
	cr_assert_eq(utimensat(AT_FDCWD, c, old, 0), 0);
	s = scan_new(&sc);
	qc.scan = s;
	q = jobq_new(&qc);

	cr_assert_eq(jobq_next(q, &job, &r), JOBQ_JOB);
	cr_assert_str_eq(job->in, a);
	cr_assert(g_str_has_suffix(job->out, "/out/x.webp"));
	jobq_done(q, job);
	cr_assert_eq(jobq_next(q, &job, &r), JOBQ_SETTLED);
	cr_assert_str_eq(job->in, b);
	cr_assert_eq(r.status, STATUS_ERROR);
	cr_assert_not_null(strstr(r.error, "also the output of another"));
	jobq_done(q, job);
	cr_assert_eq(jobq_next(q, &job, &r), JOBQ_SETTLED);
	cr_assert_str_eq(job->in, c);
	cr_assert_eq(r.status, STATUS_SKIPPED);
	jobq_retry(q, job);
	cr_assert_eq(jobq_next(q, &job, &r), JOBQ_JOB, "retries first");
	cr_assert_str_eq(job->in, c);
	jobq_done(q, job);
	cr_assert_eq(jobq_next(q, &job, &r), JOBQ_END);

	jobq_free(q);
	scan_free(s);
	helper_rmtree(dir);
	g_free(a);
	g_free(b);
	g_free(c);
	g_free(in);
	g_free(out);
	g_free(fresh);
	g_free(dir);
}
