/*
 * pathlist: records, separators, records no path can be, read errors, and
 * never blocking: a pipe with nothing yet, a FIFO with no writer, a list
 * that never ends.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "pathlist.h"

/* A list file holding these bytes; returns its path. */
static char *
list_file(const char *dir, const void *bytes, size_t len)
{
	char *p = g_build_filename(dir, "list", NULL);

	cr_assert(g_file_set_contents(p, bytes, (gssize)len, NULL));
	return p;
}

/* Expect the next record to be `want`. */
static void
expect_path(struct pathlist *l, const char *want)
{
	const char *path = NULL, *why = NULL;
	int err;

	cr_assert_eq(pathlist_next(l, &path, &why, &err), PATHLIST_PATH,
	    "wanted %s, got %s", want, why ? why : "no path");
	cr_assert_str_eq(path, want);
}

static void
expect(struct pathlist *l, enum pathlist_got want, int want_err)
{
	const char *path = NULL, *why = NULL;
	int err = -1;

	cr_assert_eq(pathlist_next(l, &path, &why, &err), want, "got %s",
	    path ? path : why ? why : "-");
	if (want == PATHLIST_BAD) {
		cr_assert_eq(err, want_err, "%s", why);
		cr_assert_not_null(why);
	}
}

/* Open bytes as a list, run checks, clean up. */
static struct pathlist *
open_bytes(char **dir, char **path, const void *bytes, size_t len, bool nul)
{
	struct pathlist *l;

	*dir = helper_tmpdir();
	*path = list_file(*dir, bytes, len);
	l = pathlist_open(*path, nul);
	cr_assert_not_null(l, "%s", strerror(errno));
	return l;
}

static void
close_bytes(struct pathlist *l, char *dir, char *path)
{
	pathlist_close(l);
	helper_rmtree(dir);
	g_free(path);
	g_free(dir);
}

Test(pathlist, records_end_at_the_separator_the_last_one_need_not)
{
	static const char text[] = "a.jpg\n\nsub/b c.png\n\nlast.webp";
	char *dir, *path;
	struct pathlist *l = open_bytes(&dir, &path, text, strlen(text),
	    false);

	expect_path(l, "a.jpg");
	expect_path(l, "sub/b c.png");
	expect_path(l, "last.webp");
	expect(l, PATHLIST_END, 0);
	expect(l, PATHLIST_END, 0);
	close_bytes(l, dir, path);
}

Test(pathlist, nul_separated_records_may_hold_newlines)
{
	static const char text[] = "a\nb.jpg\0\0c.jpg\0";
	char *dir, *path;
	struct pathlist *l = open_bytes(&dir, &path, text, sizeof(text) - 1,
	    true);

	expect_path(l, "a\nb.jpg");
	expect_path(l, "c.jpg");
	expect(l, PATHLIST_END, 0);
	close_bytes(l, dir, path);
}

/* A record of PATH_MAX bytes or more is one error, and the list goes on
   after it; also one spanning several reads, and one at the very end. */
Test(pathlist, a_line_longer_than_any_path_is_skipped_once)
{
	GString *text = g_string_new(NULL);
	char *dir, *path;
	struct pathlist *l;

	g_string_append_c(text, '/');
	for (int i = 0; i < PATH_MAX - 2; i++)
		g_string_append_c(text, 'x');
	g_string_append(text, "\nfits\n"); /* PATH_MAX - 1 bytes: a path */
	for (int i = 0; i < PATH_MAX; i++)
		g_string_append_c(text, 'y');
	g_string_append(text, "\nafter.jpg\n");
	for (int i = 0; i < 200 * 1000; i++)
		g_string_append_c(text, 'z');
	g_string_append(text, "\nlater.jpg\n");
	for (int i = 0; i < PATH_MAX + 5; i++)
		g_string_append_c(text, 'w');
	l = open_bytes(&dir, &path, text->str, text->len, false);
	{
		const char *p = NULL, *why = NULL;
		int err;

		cr_assert_eq(pathlist_next(l, &p, &why, &err), PATHLIST_PATH);
		cr_assert_eq(strlen(p), PATH_MAX - 1);
	}
	expect_path(l, "fits");
	expect(l, PATHLIST_BAD, 0);
	expect_path(l, "after.jpg");
	/* The long one: reported once, however many reads it spans. */
	for (;;) {
		const char *p = NULL, *why = NULL;
		int err;
		enum pathlist_got got = pathlist_next(l, &p, &why, &err);

		if (got == PATHLIST_WAIT)
			continue; /* a regular file: more is there */
		cr_assert_eq(got, PATHLIST_BAD);
		break;
	}
	for (;;) {
		const char *p = NULL, *why = NULL;
		int err;
		enum pathlist_got got = pathlist_next(l, &p, &why, &err);

		if (got == PATHLIST_WAIT)
			continue;
		cr_assert_eq(got, PATHLIST_PATH, "%s", why ? why : "");
		cr_assert_str_eq(p, "later.jpg");
		break;
	}
	expect(l, PATHLIST_BAD, 0);
	expect(l, PATHLIST_END, 0);
	close_bytes(l, dir, path);
	g_string_free(text, TRUE);
}

Test(pathlist, a_nul_byte_in_a_line_list_is_reported_not_cut)
{
	static const char text[] = "a.jpg\0.png\nb.jpg\n";
	char *dir, *path;
	struct pathlist *l = open_bytes(&dir, &path, text, sizeof(text) - 1,
	    false);

	expect(l, PATHLIST_BAD, 0);
	expect_path(l, "b.jpg");
	expect(l, PATHLIST_END, 0);
	close_bytes(l, dir, path);
}

Test(pathlist, a_folder_is_a_read_error_and_the_end)
{
	char *dir = helper_tmpdir();
	struct pathlist *l = pathlist_open(dir, false);

	cr_assert_not_null(l);
	expect(l, PATHLIST_BAD, EISDIR);
	expect(l, PATHLIST_END, 0);
	pathlist_close(l);
	helper_rmtree(dir);
	g_free(dir);
}

/* A pipe with half a record waits instead of blocking, and hands the
   record over once its end comes. */
Test(pathlist, a_pipe_is_read_only_when_it_has_something)
{
	int fds[2];
	int saved = dup(STDIN_FILENO);
	struct pathlist *l;

	cr_assert_eq(pipe(fds), 0);
	cr_assert_eq(dup2(fds[0], STDIN_FILENO), STDIN_FILENO);
	close(fds[0]);
	l = pathlist_open("-", false);
	cr_assert_not_null(l);
	cr_assert_eq(pathlist_fd(l), STDIN_FILENO);
	expect(l, PATHLIST_WAIT, 0);
	cr_assert_eq(write(fds[1], "a.jpg\nb.", 8), 8);
	expect_path(l, "a.jpg");
	expect(l, PATHLIST_WAIT, 0);
	cr_assert_eq(write(fds[1], "jpg\n", 4), 4);
	expect_path(l, "b.jpg");
	expect(l, PATHLIST_WAIT, 0);
	close(fds[1]);
	expect(l, PATHLIST_END, 0);
	pathlist_close(l);
	/* Standard input is borrowed: still open, and never non-blocking. */
	cr_assert_geq(fcntl(STDIN_FILENO, F_GETFL), 0);
	cr_assert_eq(fcntl(STDIN_FILENO, F_GETFL) & O_NONBLOCK, 0);
	cr_assert_eq(dup2(saved, STDIN_FILENO), STDIN_FILENO);
	close(saved);
}

/* A FIFO nobody writes yet: opening it does not block, nor does asking. */
Test(pathlist, a_fifo_without_a_writer_waits)
{
	char *dir = helper_tmpdir();
	char *fifo = g_build_filename(dir, "fifo", NULL);
	struct pathlist *l;
	int w;

	cr_assert_eq(mkfifo(fifo, 0600), 0);
	l = pathlist_open(fifo, true);
	cr_assert_not_null(l, "%s", strerror(errno));
	expect(l, PATHLIST_WAIT, 0);
	w = open(fifo, O_WRONLY);
	cr_assert_geq(w, 0);
	cr_assert_eq(write(w, "x.jpg", 6), 6);
	expect_path(l, "x.jpg");
	close(w);
	expect(l, PATHLIST_END, 0);
	pathlist_close(l);
	helper_rmtree(dir);
	g_free(fifo);
	g_free(dir);
}

/* /dev/zero: every call returns, so the caller can look at its signals. */
Test(pathlist, a_list_that_never_ends_hands_back_control)
{
	for (int nul = 0; nul <= 1; nul++) {
		struct pathlist *l = pathlist_open("/dev/zero", nul);
		int bad = 0;

		cr_assert_not_null(l);
		for (int i = 0; i < 100; i++) {
			const char *p, *why;
			int err;
			enum pathlist_got got = pathlist_next(l, &p, &why,
			    &err);

			cr_assert(got == PATHLIST_WAIT || got == PATHLIST_BAD);
			bad += got == PATHLIST_BAD;
		}
		cr_assert_eq(bad, !nul, "one record too long, once");
		pathlist_close(l);
	}
}
