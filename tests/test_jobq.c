/*
 * jobq: the parent's decisions before any worker sees a file. Linked
 * without libvips, as the queue is: it never asks libvips anything.
 */
#include <criterion/criterion.h>
#include <glib.h>
#include <string.h>

#include "helpers.h"
#include "jobq.h"
#include "scan.h"

/* What a libvips with the usual savers would answer. */
static bool
can_save(const char *suffix)
{
	return g_ascii_strcasecmp(suffix, ".pdf") != 0 &&
	    g_ascii_strcasecmp(suffix, ".svg") != 0;
}

/* Two inputs of one folder that map to one output: both are errors. A
   file at an output path that pthumb did not make is not a thumbnail. */
Test(jobq, collisions_and_skips_in_the_queue)
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
	struct thumb_opts t = {.outdir = out, .width = 50, .height = 50,
	    .nboxes = 1};
	struct output_layout_config lc = {.thumb = &t, .format = "webp",
	    .can_save = can_save};
	struct jobq_config qc = {.thumb = &t};
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
	s = scan_new(&sc);
	qc.scan = s;
	qc.layout = output_layout_new(&lc);
	q = jobq_new(&qc);

	/* Both colliders in one folder, each naming the other. */
	cr_assert_eq(jobq_next(q, &job, &r), JOBQ_SETTLED);
	cr_assert_str_eq(job->in, a);
	cr_assert(g_str_has_suffix(job_output(job), "/out/x.webp"));
	cr_assert_eq(r.status, STATUS_ERROR);
	cr_assert_not_null(strstr(r.error, "would also be the thumbnail of "
	    "x.png, in the same folder; neither is made"), "%s", r.error);
	jobq_done(q, job);
	cr_assert_eq(jobq_next(q, &job, &r), JOBQ_SETTLED);
	cr_assert_str_eq(job->in, b);
	cr_assert_eq(r.status, STATUS_ERROR);
	cr_assert_not_null(strstr(r.error, "thumbnail of x.jpg, in the same"),
	    "%s", r.error);
	jobq_done(q, job);
	cr_assert_eq(jobq_next(q, &job, &r), JOBQ_SETTLED);
	cr_assert_str_eq(job->in, c);
	cr_assert_eq(r.status, STATUS_ERROR);
	cr_assert_not_null(strstr(r.error, "not made by pthumb"), "%s",
	    r.error);
	jobq_retry(q, job);
	cr_assert_eq(jobq_next(q, &job, &r), JOBQ_JOB, "retries first");
	cr_assert_str_eq(job->in, c);
	jobq_done(q, job);
	cr_assert_eq(jobq_next(q, &job, &r), JOBQ_END);

	jobq_free(q);
	output_layout_free(qc.layout);
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
