/*
 * --prune end to end: a source deleted, with and without --prune, and
 * with -n; a folder deleted; files pthumb did not make; a walk error and
 * an empty PATH (nothing pruned); shards prune only their own; --watch
 * prunes as sources go.
 */
#include <criterion/criterion.h>
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "jobq.h" /* jobq_shard */

/*
 *   in/a.jpg b.png sub/c.gif gone/g.webp    made into out/, then
 *   out/foreign.jpg: an image pthumb did not make, named like a source
 *   that is not there.
 */
struct tree {
	char *dir, *in, *out;
};

static bool
exists(const char *dir, const char *name)
{
	char *p = g_build_filename(dir, name, NULL);
	bool yes = access(p, F_OK) == 0;

	g_free(p);
	return yes;
}

static void
drop(const char *dir, const char *name)
{
	char *p = g_build_filename(dir, name, NULL);

	helper_rmtree(p);
	g_free(p);
}

static void
make_tree(struct tree *t)
{
	const char *const args[] = {"-q", "-o", NULL, NULL, NULL};
	struct ran r;

	t->dir = helper_tmpdir();
	t->in = g_build_filename(t->dir, "in", NULL);
	t->out = g_build_filename(t->dir, "out", NULL);
	helper_put(t->in, "a.jpg", TESTDATA "/sunset.jpg");
	helper_put(t->in, "b.png", TESTDATA "/wine-alpha.png");
	helper_put(t->in, "sub/c.gif", TESTDATA "/picture.gif");
	helper_put(t->in, "gone/g.webp", TESTDATA "/umang.webp");
	((const char **)args)[2] = t->out;
	((const char **)args)[3] = t->in;
	helper_run(&r, args);
	cr_assert_eq(r.status, 0, "%s", r.err);
	helper_run_free(&r);
	cr_assert_eq(helper_count_files(t->out), 4);
	helper_put(t->out, "foreign.jpg", TESTDATA "/seeding.jpg");
	drop(t->in, "a.jpg");
	drop(t->in, "gone");
}

static void
free_tree(struct tree *t)
{
	helper_rmtree(t->dir);
	g_free(t->out);
	g_free(t->in);
	g_free(t->dir);
}

/* Run pthumb with extra arguments before -o OUT IN. */
static void
run_on(struct ran *r, const struct tree *t, const char *a, const char *b,
    const char *c)
{
	const char *args[8];
	int n = 0;

	if (a != NULL)
		args[n++] = a;
	if (b != NULL)
		args[n++] = b;
	if (c != NULL)
		args[n++] = c;
	args[n++] = "-o";
	args[n++] = t->out;
	args[n++] = t->in;
	args[n] = NULL;
	helper_run(r, args);
}

Test(prune, a_source_gone_keeps_its_thumbnail_unless_asked)
{
	struct tree t;
	struct ran r;

	make_tree(&t);
	run_on(&r, &t, NULL, NULL, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	helper_run_free(&r);
	cr_assert(exists(t.out, "a.jpg") && exists(t.out, "gone/g.webp"));

	/* -n lists, removes nothing. */
	run_on(&r, &t, "--prune", "-n", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(helper_count_lines(r.out, "prune (its source is gone)"),
	    1, "%s", r.out);
	cr_assert_not_null(strstr(r.out, "1 to prune; nothing written"));
	helper_run_free(&r);
	cr_assert_eq(helper_count_files(t.out), 5);

	/* a.jpg's thumbnail goes. The mirror of the folder gone stays: a
	   walk cannot tell it from a share not mounted, and says so. */
	run_on(&r, &t, "--prune", NULL, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(helper_count_lines(r.out, "pruned: its source is gone"),
	    1, "%s", r.out);
	cr_assert_eq(helper_count_lines(r.err, "/gone: not pruned: its source "
	    "folder is not there"), 1, "%s", r.err);
	helper_run_free(&r);
	cr_assert(!exists(t.out, "a.jpg") && exists(t.out, "gone/g.webp"));
	/* What has its source, and what pthumb did not make, stay. */
	cr_assert(exists(t.out, "b.png") && exists(t.out, "sub/c.gif"));
	cr_assert(exists(t.out, "foreign.jpg"));
	free_tree(&t);
}

/* One walk error, or an empty PATH (a disk not mounted?): nothing is
   pruned, and the run says why once. */
Test(prune, nothing_after_a_walk_error_or_an_empty_path)
{
	struct tree t;
	struct ran r;
	char *loop;

	make_tree(&t);
	loop = g_build_filename(t.in, "sub/loop", NULL);
	cr_assert_eq(symlink("..", loop), 0);
	run_on(&r, &t, "--prune", "-L", NULL);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert_not_null(strstr(r.err, "folder loop"), "%s", r.err);
	cr_assert_eq(helper_count_lines(r.err, "pthumb: --prune: nothing "
	    "pruned: the walk met an error"), 1, "%s", r.err);
	helper_run_free(&r);
	cr_assert(exists(t.out, "a.jpg") && exists(t.out, "gone/g.webp"));
	unlink(loop);
	g_free(loop);

	/* The PATH emptied, as an unmounted disk's mount point is. */
	drop(t.in, "b.png");
	drop(t.in, "sub");
	run_on(&r, &t, "--prune", NULL, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(helper_count_lines(r.err, "nothing pruned: a PATH folder "
	    "is empty"), 1, "%s", r.err);
	helper_run_free(&r);
	cr_assert_eq(helper_count_files(t.out), 5);
	free_tree(&t);
}

/* Each shard prunes only the thumbnails whose paths hash to it. */
Test(prune, a_shard_prunes_only_its_own)
{
	struct tree t;
	struct ran r;
	unsigned a = jobq_shard("a.jpg", 2);
	char shard[8];

	make_tree(&t);
	snprintf(shard, sizeof(shard), "%u/2", 3 - a);
	run_on(&r, &t, "--prune", "--shard", shard);
	cr_assert_eq(r.status, 0, "%s", r.err);
	helper_run_free(&r);
	cr_assert(exists(t.out, "a.jpg"), "another shard's pruned");
	snprintf(shard, sizeof(shard), "%u/2", a);
	run_on(&r, &t, "--prune", "--shard", shard);
	cr_assert_eq(r.status, 0, "%s", r.err);
	helper_run_free(&r);
	cr_assert(!exists(t.out, "a.jpg"));
	cr_assert(exists(t.out, "b.png") && exists(t.out, "foreign.jpg"));
	free_tree(&t);
}

/* What --prune refuses: several PATHs, a template. */
Test(prune, refused_where_the_output_does_not_mirror_one_folder)
{
	struct tree t;
	struct ran r;
	const char *const two[] = {"--prune", "-o", "x", TESTDATA, TESTDATA,
	    NULL};

	make_tree(&t);
	helper_run(&r, two);
	cr_assert_eq(r.status, 2);
	cr_assert_not_null(strstr(r.err, "--prune needs exactly one PATH"));
	helper_run_free(&r);
	run_on(&r, &t, "--prune", "--output-template", "%s_t.jpg");
	cr_assert_eq(r.status, 2);
	cr_assert_not_null(strstr(r.err, "not with -o -"), "%s", r.err);
	helper_run_free(&r);
	cr_assert_eq(helper_count_files(t.out), 5);
	free_tree(&t);
}

/* Watching with --prune: a source deleted or moved out loses its
   thumbnail, a folder deleted its mirror's. */
Test(prune, watching_prunes_as_sources_go)
{
	struct tree t;
	char *log_out, *log_err, *moved;
	const char *args[] = {"--watch", "--prune", "--json", "-o", NULL, NULL,
	    NULL};
	pid_t pid;
	int status;

	make_tree(&t);
	/* sub keeps a file: an emptied folder is left alone (a disk not
	   mounted looks the same). */
	helper_put(t.in, "sub/d.jpg", TESTDATA "/sunset.jpg");
	log_out = g_build_filename(t.dir, "stdout", NULL);
	log_err = g_build_filename(t.dir, "stderr", NULL);
	args[4] = t.out;
	args[5] = t.in;
	pid = helper_start(args, log_out, log_err);
	/* The walk's prune first: a.jpg's; gone/ was not seen to go. */
	for (int i = 0; i < 12000 && exists(t.out, "a.jpg"); i++)
		usleep(5000);
	cr_assert(!exists(t.out, "a.jpg") && exists(t.out, "gone/g.webp"));
	/* A folder seen deleted: its mirror's thumbnails go. */
	helper_put(t.in, "away/w.jpg", TESTDATA "/sunset.jpg");
	for (int i = 0; i < 12000 && !exists(t.out, "away/w.jpg"); i++)
		usleep(5000);
	cr_assert(exists(t.out, "away/w.jpg"));
	drop(t.in, "away");
	for (int i = 0; i < 12000 && exists(t.out, "away/w.jpg"); i++)
		usleep(5000);
	cr_assert(!exists(t.out, "away/w.jpg"));
	drop(t.in, "b.png");
	moved = g_build_filename(t.dir, "c.gif", NULL);
	{
		char *from = g_build_filename(t.in, "sub/c.gif", NULL);

		cr_assert_eq(rename(from, moved), 0);
		g_free(from);
	}
	for (int i = 0; i < 12000 && (exists(t.out, "b.png") ||
	    exists(t.out, "sub/c.gif")); i++)
		usleep(5000);
	cr_assert(!exists(t.out, "b.png") && !exists(t.out, "sub/c.gif"));
	cr_assert(exists(t.out, "foreign.jpg"));
	cr_assert_eq(kill(pid, SIGINT), 0);
	status = helper_wait_within(pid, 60);
	cr_assert_eq(status, 128 + SIGINT, "exit %d", status);
	g_free(moved);
	g_free(log_err);
	g_free(log_out);
	free_tree(&t);
}

/* A folder of the output that is a symbolic link is not followed: what
   lies behind it stays, even a thumbnail whose source is gone. */
Test(prune, nothing_through_a_symbolic_link)
{
	struct tree t;
	struct ran r;
	char *elsewhere, *link, *kept;

	make_tree(&t);
	elsewhere = g_build_filename(t.dir, "elsewhere", NULL);
	link = g_build_filename(t.out, "sub", NULL);
	kept = g_build_filename(elsewhere, "c.gif", NULL);
	cr_assert_eq(rename(link, elsewhere), 0);
	cr_assert_eq(symlink(elsewhere, link), 0);
	helper_put(t.in, "sub/d.jpg", TESTDATA "/sunset.jpg");
	drop(t.in, "sub/c.gif");
	run_on(&r, &t, "--prune", NULL, NULL);
	/* d.jpg's thumbnail is not written through it either. */
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert_not_null(strstr(r.err, "is a symbolic link"), "%s", r.err);
	helper_run_free(&r);
	cr_assert(!exists(t.out, "a.jpg"));
	cr_assert_eq(access(kept, F_OK), 0, "pruned through the link");
	g_free(kept);
	g_free(link);
	g_free(elsewhere);
	free_tree(&t);
}

/* With -f, a thumbnail's name is not its source's: the record still says
   which source it was (its stem with a source suffix), and only that
   source gone prunes it. */
Test(prune, a_converted_thumbnail_goes_with_its_source)
{
	struct tree t;
	struct ran r;

	make_tree(&t);
	helper_put(t.in, "x.JPG", TESTDATA "/sunset.jpg");
	helper_put(t.in, "y.png", TESTDATA "/wine-alpha.png");
	run_on(&r, &t, "-f", "webp", NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	helper_run_free(&r);
	cr_assert(exists(t.out, "x.webp") && exists(t.out, "y.webp"));
	drop(t.in, "x.JPG");
	run_on(&r, &t, "--prune", "-f", "webp");
	cr_assert_eq(r.status, 0, "%s", r.err);
	helper_run_free(&r);
	cr_assert(!exists(t.out, "x.webp"));
	cr_assert(exists(t.out, "y.webp"));
	free_tree(&t);
}
