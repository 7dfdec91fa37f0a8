/*
 * --watch end to end: files copied in, moved in, written slowly, a new
 * subfolder and a folder moved in, with the output folder inside the
 * watched tree; then Ctrl-C. Waits are bounded generously (a hang fails,
 * no speed is asserted); the latency seen is printed for the record.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

TestSuite(watch, .init = helper_init_dir, .fini = helper_fini_dir,
    .timeout = 240);

/* Wait (at most 60 s) until path exists; the microseconds it took. */
static gint64
wait_for(const char *path)
{
	gint64 start = g_get_monotonic_time();

	for (int i = 0; i < 12000 && access(path, F_OK) != 0; i++)
		usleep(5000);
	cr_assert_eq(access(path, F_OK), 0, "%s never came", path);
	return g_get_monotonic_time() - start;
}

static char *
path_in(const char *dir, const char *name)
{
	return g_build_filename(dir, name, NULL);
}

/* Write the first `part` bytes of from into a new file `to`, left open. */
static int
write_part(const char *from, const char *to, gsize *len, gchar **bytes,
    gsize part)
{
	int fd;

	cr_assert(g_file_get_contents(from, bytes, len, NULL));
	fd = open(to, O_WRONLY | O_CREAT | O_EXCL, 0644);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, *bytes, part), (ssize_t)part);
	return fd;
}

/* CPU time used so far by pid and its workers (clock ticks). */
static long
cpu_ticks(pid_t pid)
{
	GArray *kids = helper_children(pid);
	long sum = 0;

	g_array_append_val(kids, pid);
	for (guint i = 0; i < kids->len; i++) {
		char *path = g_strdup_printf("/proc/%ld/stat",
		    (long)g_array_index(kids, pid_t, i));
		gchar *text = NULL;
		const char *p;
		unsigned long ut, st;

		cr_assert(g_file_get_contents(path, &text, NULL, NULL));
		/* After "(comm)": state, then fields 4..13, then utime,
		   stime. */
		p = strrchr(text, ')');
		cr_assert(p != NULL && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d "
		    "%*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2);
		sum += (long)(ut + st);
		g_free(text);
		g_free(path);
	}
	g_array_unref(kids);
	return sum;
}

Test(watch, arriving_images_get_thumbnails_until_ctrl_c)
{
	const char *dir = helper_dir();
	char *in = path_in(dir, "in");
	char *out = path_in(in, "thumbs"); /* inside the watched tree */
	char *log_out = path_in(dir, "stdout");
	char *log_err = path_in(dir, "stderr");
	const char *const args[] = {"--watch", "--json", "-j", "2", "-o",
	    out, in, NULL};
	char *p, *q, *r;
	gchar *text = NULL, *bytes = NULL;
	gsize len;
	gint64 us;
	pid_t pid;
	int fd, status;

	cr_assert_eq(g_mkdir_with_parents(in, 0755), 0);
	p = path_in(in, "first.jpg");
	cr_assert_eq(helper_copy(TESTDATA "/sunset.jpg", p), 0);
	g_free(p);
	pid = helper_start(args, log_out, log_err);

	/* The normal run first. */
	p = path_in(out, "first.jpg");
	wait_for(p);
	g_free(p);

	/* Copied in as cp does (written in place, then closed). */
	p = path_in(in, "copied.jpg");
	q = path_in(out, "copied.jpg");
	us = g_get_monotonic_time();
	fd = write_part(TESTDATA "/seeding.jpg", p, &len, &bytes, 0);
	cr_assert_eq(write(fd, bytes, len), (ssize_t)len);
	cr_assert_eq(close(fd), 0);
	g_free(bytes);
	wait_for(q);
	us = g_get_monotonic_time() - us;
	fprintf(stderr, "watch: a copied JPEG's thumbnail came %.0f ms after "
	    "the copy began\n", us / 1000.0);
	g_free(q);
	g_free(p);

	/* Moved in from elsewhere (g_file_set_contents also renames a
	   temporary file into place). */
	p = path_in(dir, "moved.png");
	q = path_in(in, "moved.png");
	r = path_in(out, "moved.png");
	cr_assert_eq(helper_copy(TESTDATA "/wine-alpha.png", p), 0);
	cr_assert_eq(rename(p, q), 0);
	wait_for(r);
	g_free(r);
	g_free(q);
	g_free(p);

	/* Written slowly: nothing until it is closed. A file that arrives
	   after the first half shows the events were read past it. */
	p = path_in(in, "slow.jpg");
	q = path_in(out, "slow.jpg");
	fd = write_part(TESTDATA "/sunset.jpg", p, &len, &bytes, 1000);
	r = path_in(in, "marker.webp");
	cr_assert_eq(helper_copy(TESTDATA "/umang.webp", r), 0);
	g_free(r);
	r = path_in(out, "marker.webp");
	wait_for(r);
	cr_assert_neq(access(q, F_OK), 0, "thumbnailed while written");
	cr_assert_eq(write(fd, bytes + 1000, len - 1000),
	    (ssize_t)(len - 1000));
	cr_assert_eq(close(fd), 0);
	wait_for(q);
	g_free(r);
	g_free(q);
	g_free(p);
	g_free(bytes);

	/* A new subfolder, then a file in it; a folder moved in whole. */
	p = path_in(in, "sub/deeper");
	cr_assert_eq(g_mkdir_with_parents(p, 0755), 0);
	g_free(p);
	helper_put(in, "sub/deeper/d.gif", TESTDATA "/picture.gif");
	p = path_in(out, "sub/deeper/d.gif");
	wait_for(p);
	g_free(p);
	helper_put(dir, "tree/inner/t.jpg", TESTDATA "/sunset.jpg");
	p = path_in(dir, "tree");
	q = path_in(in, "tree");
	cr_assert_eq(rename(p, q), 0);
	g_free(q);
	g_free(p);
	p = path_in(out, "tree/inner/t.jpg");
	wait_for(p);
	g_free(p);

	/* Waiting costs nothing: no timer, no polling. */
	{
		long before = cpu_ticks(pid), after;

		usleep(1000 * 1000);
		after = cpu_ticks(pid);
		fprintf(stderr, "watch: %ld clock ticks of CPU in 1 s idle\n",
		    after - before);
		cr_assert_leq(after - before, 5, "busy while idle: %ld ticks",
		    after - before);
	}

	/* Ctrl-C: the summary, exit 130, and only these 7 thumbnails: none
	   of a thumbnail, none left half-written. */
	cr_assert_eq(kill(pid, SIGINT), 0);
	status = helper_wait_within(pid, 60);
	cr_assert_eq(status, 128 + SIGINT, "exit %d", status);
	cr_assert(g_file_get_contents(log_out, &text, NULL, NULL));
	cr_assert_eq(helper_summary_field(text, "done"), 7, "%s", text);
	cr_assert_eq(helper_summary_field(text, "failed"), 0, "%s", text);
	cr_assert_eq(helper_count_files(out), 7);
	cr_assert_eq(helper_count_tmp(out), 0);
	g_free(text);
	g_free(log_err);
	g_free(log_out);
	g_free(out);
	g_free(in);
}

/* At the limit of inotify watches (injected at the second folder): one
   line naming the limit and how to raise it; every folder is still walked
   and its images made. */
Test(watch, the_watch_limit_is_one_line_and_the_walk_goes_on)
{
	static const char *const seeding[] = {"seeding.jpg", NULL};
	const char *dir = helper_dir();
	char *in = path_in(dir, "in");
	char *out = path_in(dir, "out");
	char *log_out = path_in(dir, "stdout");
	char *log_err = path_in(dir, "stderr");
	const char *const args[] = {"--watch", "--json", "-o", out, in, NULL};
	gchar *text = NULL, *err = NULL;
	pid_t pid;
	int status;

	for (int i = 0; i < 4; i++) {
		char *sub = g_strdup_printf("%s/d%d", in, i);

		helper_fill(sub, seeding, 2);
		g_free(sub);
	}
	cr_assert_eq(setenv("PTHUMB_FAULT", "watchlimit:2", 1), 0);
	pid = helper_start(args, log_out, log_err);
	unsetenv("PTHUMB_FAULT");
	for (int i = 0; i < 12000 && helper_count_files(out) -
	    helper_count_tmp(out) < 8; i++)
		usleep(5000);
	cr_assert_eq(helper_count_files(out), 8);
	cr_assert_eq(kill(pid, SIGINT), 0);
	status = helper_wait_within(pid, 60);
	cr_assert_eq(status, 128 + SIGINT, "exit %d", status);
	cr_assert(g_file_get_contents(log_out, &text, NULL, NULL));
	cr_assert(g_file_get_contents(log_err, &err, NULL, NULL));
	cr_assert_eq(helper_count_lines(text, "cannot watch more folders: the "
	    "limit of inotify watches is reached (fs.inotify.max_user_watches "
	    "= "), 1, "%s", text);
	cr_assert_eq(helper_count_lines(text, "raise it with: sysctl "
	    "fs.inotify.max_user_watches="), 1, "%s", text);
	cr_assert_eq(helper_summary_field(text, "done"), 8);
	g_free(err);
	g_free(text);
	g_free(log_err);
	g_free(log_out);
	g_free(out);
	g_free(in);
}
