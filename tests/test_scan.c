/*
 * scan: order, hidden entries, suffixes, symlinks and loops, FIFOs, an
 * unreadable folder, path lists.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "scan.h"

static void
touch(const char *dir, const char *name)
{
	char *p = g_build_filename(dir, name, NULL);
	char *parent = g_path_get_dirname(p);

	cr_assert_eq(g_mkdir_with_parents(parent, 0755), 0);
	cr_assert(g_file_set_contents(p, "x", 1, NULL), "%s", p);
	g_free(parent);
	g_free(p);
}

/*
 *   root/a.PNG b.jpg link.jpg->b.jpg f.jpg(FIFO) notes.txt .hidden.jpg
 *        .hiddendir/x.jpg sub/c.webp sub/z.TIFF sub/deeper/e.heic
 *        locked/d.jpg (mode 000) loop->.. (a symlinked folder)
 */
static char *
make_tree(void)
{
	char *dir = helper_tmpdir();
	char *root = g_build_filename(dir, "root", NULL);
	char *p;

	cr_assert_eq(chmod(dir, 0755), 0);
	touch(root, "b.jpg");
	touch(root, "a.PNG");
	touch(root, "notes.txt");
	touch(root, ".hidden.jpg");
	touch(root, ".hiddendir/x.jpg");
	touch(root, "sub/z.TIFF");
	touch(root, "sub/c.webp");
	touch(root, "sub/deeper/e.heic");
	touch(root, "locked/d.jpg");
	p = g_build_filename(root, "locked", NULL);
	cr_assert_eq(chmod(p, 0), 0);
	g_free(p);
	p = g_build_filename(root, "f.jpg", NULL);
	cr_assert_eq(mkfifo(p, 0644), 0);
	g_free(p);
	p = g_build_filename(root, "link.jpg", NULL);
	cr_assert_eq(symlink("b.jpg", p), 0);
	g_free(p);
	p = g_build_filename(root, "sub", "loop", NULL);
	cr_assert_eq(symlink("..", p), 0);
	g_free(p);
	g_free(root);
	return dir;
}

/*
 * Walk `root` in a child that has dropped root's privileges (so the
 * locked folder is unreadable even when the tests run as root) and return
 * one line per entry: "rel" for a file, "!path-suffix: why" for an error.
 */
static char *
walk_unprivileged(const char *root, bool follow)
{
	int fd[2];
	pid_t pid;
	GString *got = g_string_new(NULL);
	char buf[512];
	ssize_t n;
	int status;

	cr_assert_eq(pipe(fd), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char *paths[] = {(char *)root, NULL};
		struct scan_config cfg = {.paths = paths, .follow = follow};
		struct scan_entry e;
		struct scan *s;
		FILE *out;

		close(fd[0]);
		if (geteuid() == 0 && (setgid(65534) != 0 ||
		    setuid(65534) != 0))
			_exit(2);
		out = fdopen(fd[1], "w");
		s = scan_new(&cfg);
		while (scan_next(s, &e)) {
			if (e.err != 0 || e.rel == NULL)
				fprintf(out, "!%s: %s\n", e.path + strlen(root),
				    e.why);
			else
				fprintf(out, "%s\n", e.rel);
			scan_entry_clear(&e);
		}
		scan_free(s);
		fclose(out);
		_exit(0);
	}
	close(fd[1]);
	while ((n = read(fd[0], buf, sizeof(buf))) > 0)
		g_string_append_len(got, buf, n);
	close(fd[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "walker failed (%d)", status);
	return g_string_free(got, FALSE);
}

Test(scan, sorted_filtered_and_unreadable_reported)
{
	char *dir = make_tree();
	char *root = g_build_filename(dir, "root", NULL);
	char *got = walk_unprivileged(root, false);

	cr_assert_str_eq(got,
	    "a.PNG\n"
	    "b.jpg\n"
	    "link.jpg\n"
	    "!/locked: cannot open folder\n"
	    "sub/c.webp\n"
	    "sub/deeper/e.heic\n"
	    "sub/z.TIFF\n");
	g_free(got);
	g_free(root);
	helper_rmtree(dir);
	g_free(dir);
}

Test(scan, follow_detects_the_loop)
{
	char *dir = make_tree();
	char *root = g_build_filename(dir, "root", NULL);
	char *got = walk_unprivileged(root, true);

	cr_assert_str_eq(got,
	    "a.PNG\n"
	    "b.jpg\n"
	    "link.jpg\n"
	    "!/locked: cannot open folder\n"
	    "sub/c.webp\n"
	    "sub/deeper/e.heic\n"
	    "!/sub/loop: folder loop\n"
	    "sub/z.TIFF\n");
	g_free(got);
	g_free(root);
	helper_rmtree(dir);
	g_free(dir);
}

Test(scan, named_files_are_always_tried)
{
	char *dir = helper_tmpdir();
	char *txt = g_build_filename(dir, "notes.txt", NULL);
	char *fifo = g_build_filename(dir, "pipe.jpg", NULL);
	char *none = g_build_filename(dir, "missing.jpg", NULL);
	char *paths[] = {txt, fifo, none, NULL};
	struct scan_config cfg = {.paths = paths};
	struct scan *s;
	struct scan_entry e;

	cr_assert(g_file_set_contents(txt, "x", 1, NULL));
	cr_assert_eq(mkfifo(fifo, 0644), 0);
	s = scan_new(&cfg);
	cr_assert_eq(scan_next(s, &e), 1);
	cr_assert_eq(e.err, 0);
	cr_assert_str_eq(e.rel, "notes.txt");
	scan_entry_clear(&e);
	cr_assert_eq(scan_next(s, &e), 1);
	cr_assert_null(e.rel, "a named FIFO is refused, never opened");
	cr_assert_str_eq(e.why, "not a regular file");
	scan_entry_clear(&e);
	cr_assert_eq(scan_next(s, &e), 1);
	cr_assert_eq(e.err, ENOENT);
	scan_entry_clear(&e);
	cr_assert_eq(scan_next(s, &e), 0);
	scan_free(s);
	helper_rmtree(dir);
	g_free(txt);
	g_free(fifo);
	g_free(none);
	g_free(dir);
}

Test(scan, the_output_folder_is_not_entered)
{
	char *dir = helper_tmpdir();
	char *out = g_build_filename(dir, "thumbs", NULL);
	char *paths[] = {dir, NULL};
	struct scan_config cfg = {.paths = paths, .skip_dir = out};
	struct scan *s;
	struct scan_entry e;

	touch(dir, "a.jpg");
	touch(dir, "thumbs/a.jpg");
	s = scan_new(&cfg);
	cr_assert_eq(scan_next(s, &e), 1);
	cr_assert_str_eq(e.rel, "a.jpg");
	scan_entry_clear(&e);
	cr_assert_eq(scan_next(s, &e), 0);
	scan_free(s);
	helper_rmtree(dir);
	g_free(out);
	g_free(dir);
}

Test(scan, list_paths_keep_a_safe_relative_name)
{
	static const char *const cases[][2] = {
		{"a.jpg", "a.jpg"},
		{"/home/u/p/a.jpg", "home/u/p/a.jpg"},
		{"../../x/./y.jpg", "x/y.jpg"},
		{"./a//b/../c.jpg", "a/b/c.jpg"},
		{"..", ""},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *rel = scan_list_rel(cases[i][0]);

		cr_assert_str_eq(rel, cases[i][1], "for %s", cases[i][0]);
		g_free(rel);
	}
}

Test(scan, nul_separated_list)
{
	char *dir = helper_tmpdir();
	char *list = g_build_filename(dir, "list", NULL);
	char *a = g_build_filename(dir, "in", "one.jpg", NULL);
	char *b = g_build_filename(dir, "in", "two\nlines.png", NULL);
	GString *content = g_string_new(NULL);
	struct scan_config cfg = {.files_from = list, .null_sep = true};
	struct scan *s;
	struct scan_entry e;

	touch(dir, "in/one.jpg");
	cr_assert(g_file_set_contents(b, "x", 1, NULL));
	g_string_append_len(content, a, (gssize)strlen(a) + 1);
	g_string_append_len(content, b, (gssize)strlen(b) + 1);
	cr_assert(g_file_set_contents(list, content->str,
	    (gssize)content->len, NULL));
	s = scan_new(&cfg);
	cr_assert_eq(scan_next(s, &e), 1);
	cr_assert_str_eq(e.path, a);
	cr_assert_str_eq(e.rel, a + 1, "leading / dropped");
	scan_entry_clear(&e);
	cr_assert_eq(scan_next(s, &e), 1);
	cr_assert_str_eq(e.path, b);
	scan_entry_clear(&e);
	cr_assert_eq(scan_next(s, &e), 0);
	scan_free(s);
	g_string_free(content, TRUE);
	helper_rmtree(dir);
	g_free(list);
	g_free(a);
	g_free(b);
	g_free(dir);
}

