/*
 * helpers: shared test plumbing (see helpers.h).
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <glib.h>

const char *const helper_testdata[TESTDATA_IMAGES] = {
	"aitzgorri.tif", "people/friends-exif.jpg", "people/friends.jpg",
	"picture.gif", "seeding.jpg", "sunset.jpg", "umang.webp",
	"wine-alpha.png",
};

/* The folder of the test running in this process (helper_init_dir). */
static char *test_dir;

void
helper_init_dir(void)
{
	test_dir = helper_tmpdir();
}

void
helper_fini_dir(void)
{
	helper_rmtree(test_dir);
	g_free(test_dir);
	test_dir = NULL;
}

const char *
helper_dir(void)
{
	cr_assert_not_null(test_dir, "no folder: the suite's .init is not "
	    "helper_init_dir");
	return test_dir;
}

void
helper_skip_test(const char *fmt, ...)
{
	va_list ap;
	char *why;

	va_start(ap, fmt);
	why = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	helper_fini_dir();
	criterion_skip_test("%s", why);
}

void
helper_skip_under_valgrind(const char *why)
{
	const char *set = getenv("PTHUMB_VALGRIND");

	if (set != NULL && *set != '\0')
		helper_skip_test("not under valgrind: %s", why);
}

void
helper_skip_under_sanitizers(const char *why)
{
	const char *set = getenv("PTHUMB_SANITIZE");

	if (set != NULL && *set != '\0')
		helper_skip_test("not under the sanitizers: %s", why);
}

char *
helper_tmpdir(void)
{
	const char *base = g_get_tmp_dir();
	char *dir = g_build_filename(base, "pthumb-test-XXXXXX", NULL);

	cr_assert_not_null(g_mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	return dir;
}

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	(void)flag;
	remove(path); /* best effort: a leftover is only clutter in /tmp */
	return 0;
}

static int
open_up(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)f;
	if (flag == FTW_D || flag == FTW_DNR)
		chmod(path, (st->st_mode & 07777) | 0700);
	return 0;
}

void
helper_rmtree(const char *path)
{
	if (path == NULL)
		return;
	nftw(path, open_up, 16, FTW_PHYS);
	nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *
helper_bin(void)
{
	const char *bin = getenv("PTHUMB_BIN");

	return bin && *bin ? bin : TOP_DIR "/pthumb";
}

static char **
make_argv(const char *const *args)
{
	size_t n = 0;
	char **v;

	while (args[n] != NULL)
		n++;
	v = g_new0(char *, n + 2);
	v[0] = g_strdup(helper_bin());
	for (size_t i = 0; i < n; i++)
		v[i + 1] = g_strdup(args[i]);
	return v;
}

pid_t
helper_start_in(const char *in_path, const char *const *args,
    const char *out_path, const char *err_path)
{
	char **argv = make_argv(args);
	pid_t pid;

	fflush(NULL);
	pid = fork();
	cr_assert(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int in = in_path != NULL ? open(in_path, O_RDONLY) : -1;

		/* A test that fails leaves no pthumb behind (--watch would
		   run on). */
		prctl(PR_SET_PDEATHSIG, SIGTERM);

		if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
			_exit(126);
		if (in_path == NULL)
			close(0);
		else if (in < 0 || dup2(in, 0) < 0)
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	g_strfreev(argv);
	return pid;
}

pid_t
helper_start(const char *const *args, const char *out_path,
    const char *err_path)
{
	return helper_start_in("/dev/null", args, out_path, err_path);
}

int
helper_wait_within(pid_t pid, int seconds)
{
	int status;

	for (int i = 0; i < seconds * 100; i++) {
		pid_t rc = waitpid(pid, &status, WNOHANG);

		cr_assert(rc >= 0 || errno == EINTR, "waitpid: %s",
		    strerror(errno));
		if (rc == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status)
			    : 128 + WTERMSIG(status);
		usleep(10000);
	}
	kill(pid, SIGKILL);
	helper_wait(pid);
	return -1;
}

int
helper_wait(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		cr_assert(errno == EINTR, "waitpid: %s", strerror(errno));
	return WIFEXITED(status) ? WEXITSTATUS(status)
	    : 128 + WTERMSIG(status);
}

void
helper_run(struct ran *r, const char *const *args)
{
	char *dir = helper_tmpdir();
	char *out = g_build_filename(dir, "stdout", NULL);
	char *err = g_build_filename(dir, "stderr", NULL);

	r->status = helper_wait(helper_start(args, out, err));
	cr_assert(g_file_get_contents(out, &r->out, NULL, NULL));
	cr_assert(g_file_get_contents(err, &r->err, NULL, NULL));
	helper_rmtree(dir);
	g_free(out);
	g_free(err);
	g_free(dir);
}

void
helper_run_free(struct ran *r)
{
	g_free(r->out);
	g_free(r->err);
	r->out = r->err = NULL;
}

static int tmp_count, file_count;

static int
count_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	const char *name = path + f->base;

	(void)st;
	if (flag != FTW_F)
		return 0;
	file_count++;
	if (name[0] == '.' && g_str_has_suffix(name, ".tmp"))
		tmp_count++;
	return 0;
}

int
helper_count_tmp(const char *dir)
{
	tmp_count = file_count = 0;
	nftw(dir, count_one, 16, FTW_PHYS);
	return tmp_count;
}

int
helper_count_files(const char *dir)
{
	tmp_count = file_count = 0;
	nftw(dir, count_one, 16, FTW_PHYS);
	return file_count;
}

GArray *
helper_children(pid_t pid)
{
	char *path = g_strdup_printf("/proc/%ld/task/%ld/children",
	    (long)pid, (long)pid);
	GArray *kids = g_array_new(FALSE, FALSE, sizeof(pid_t));
	gchar *text = NULL;

	if (g_file_get_contents(path, &text, NULL, NULL)) {
		char **words = g_strsplit(g_strstrip(text), " ", -1);

		for (char **w = words; *w != NULL; w++) {
			pid_t kid = (pid_t)atol(*w);

			if (kid > 0)
				g_array_append_val(kids, kid);
		}
		g_strfreev(words);
	}
	g_free(text);
	g_free(path);
	return kids;
}

int
helper_count_lines(const char *s, const char *needle)
{
	char **lines = g_strsplit(s, "\n", -1);
	int n = 0;

	for (char **l = lines; *l != NULL; l++)
		if (strstr(*l, needle) != NULL)
			n++;
	g_strfreev(lines);
	return n;
}

int
helper_copy(const char *from, const char *to)
{
	gchar *data;
	gsize len;
	int rc;

	if (!g_file_get_contents(from, &data, &len, NULL))
		return -1;
	rc = g_file_set_contents(to, data, (gssize)len, NULL) ? 0 : -1;
	g_free(data);
	return rc;
}

void
helper_put(const char *dir, const char *name, const char *from)
{
	char *p = g_build_filename(dir, name, NULL);
	char *parent = g_path_get_dirname(p);

	cr_assert_eq(g_mkdir_with_parents(parent, 0755), 0);
	cr_assert_eq(helper_copy(from, p), 0, "%s", p);
	g_free(parent);
	g_free(p);
}

void
helper_fill(const char *dir, const char *const *srcs, int n)
{
	int k = 0;

	while (srcs[k] != NULL)
		k++;
	cr_assert_gt(k, 0);
	cr_assert_eq(g_mkdir_with_parents(dir, 0755), 0, "%s", dir);
	for (int i = 0; i < n; i++) {
		const char *src = srcs[i % k];
		char *from = g_build_filename(TESTDATA, src, NULL);
		char *to = g_strdup_printf("%s/%03d%s", dir, i, strrchr(src,
		    '.'));

		cr_assert_eq(helper_copy(from, to), 0, "%s", to);
		g_free(from);
		g_free(to);
	}
}

const char *
helper_corpus_photos(void)
{
	static char path[4096];
	const char *base = getenv("PTHUMB_CORPUS");

	snprintf(path, sizeof(path), "%s/photos", base && *base ? base
	    : TOP_DIR "/../shared/corpus/data");
	if (!g_file_test(path, G_FILE_TEST_IS_DIR))
		return NULL;
	return path;
}

bool
helper_same_bytes(const char *a, const char *b)
{
	gchar *x = NULL, *y = NULL;
	gsize nx = 0, ny = 0;
	bool same;

	same = g_file_get_contents(a, &x, &nx, NULL) &&
	    g_file_get_contents(b, &y, &ny, NULL) && nx == ny &&
	    memcmp(x, y, nx) == 0;
	g_free(x);
	g_free(y);
	return same;
}

/* Where the value of the k-th "key": in json starts. */
static const char *
json_value(const char *json, const char *key, int k)
{
	char *pat = g_strdup_printf("\"%s\": ", key);
	const char *p = json;

	for (int i = 0; i <= k; i++) {
		p = strstr(p, pat);
		cr_assert_not_null(p, "no \"%s\" #%d in %s", key, k, json);
		p += strlen(pat);
	}
	g_free(pat);
	return p;
}

double
helper_json_number(const char *json, const char *key, int k)
{
	double v;

	cr_assert_eq(sscanf(json_value(json, key, k), "%lf", &v), 1,
	    "\"%s\" #%d is not a number in %s", key, k, json);
	return v;
}

char *
helper_json_string(const char *json, const char *key)
{
	const char *p = json_value(json, key, 0), *end;

	cr_assert_eq(*p, '"', "\"%s\" is not a string in %s", key, json);
	for (end = ++p; *end != '"'; end++) {
		cr_assert_neq(*end, '\0', "\"%s\" is not ended in %s", key,
		    json);
		if (*end == '\\' && end[1] != '\0')
			end++;
	}
	return g_strndup(p, (gsize)(end - p));
}

const char *
helper_json_summary(const char *out)
{
	const char *s = strstr(out, "{\"type\": \"summary\"");

	cr_assert_not_null(s, "no summary: %s", out);
	return s;
}

char *
helper_json_line(const char *out, const char *key, const char *value)
{
	char *pair = g_strdup_printf("\"%s\": \"%s\"", key, value);
	char **lines = g_strsplit(out, "\n", -1);
	char *found = NULL;

	for (char **l = lines; *l != NULL; l++)
		if (strstr(*l, pair) != NULL) {
			cr_assert_null(found, "two lines with %s", pair);
			found = g_strdup(*l);
		}
	cr_assert_not_null(found, "no line with %s in:\n%s", pair, out);
	g_strfreev(lines);
	g_free(pair);
	return found;
}

long
helper_summary_field(const char *out, const char *key)
{
	return (long)helper_json_number(helper_json_summary(out), key, 0);
}
