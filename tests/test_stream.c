/*
 * -o - and --stdin-image: every output format through a real pipe, the
 * same bytes as the thumbnail saved to a folder, and the refusals.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <glib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vips/vips.h>

#include "helpers.h"
#include "record.h"
#include "stream.h"

TestSuite(stream, .init = helper_init_vips, .timeout = 60);

/*
 * Run the binary with stdin from `in` (or /dev/null) and stdout into a
 * pipe, as in `cat in | pthumb ... | consumer`; returns what came through
 * the pipe, and the exit status and stderr.
 */
static GByteArray *
run_piped(const char *const *args, const char *in, int *status, char **err)
{
	GByteArray *got = g_byte_array_new();
	char *err_path = g_strdup_printf("%s/pthumb-stream-err-%ld",
	    g_get_tmp_dir(), (long)getpid());
	guint8 buf[65536];
	int fd[2];
	ssize_t n;
	pid_t pid;

	cr_assert_eq(pipe(fd), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		const char *argv[32] = {helper_bin()};
		int k = 1;
		int infd = open(in != NULL ? in : "/dev/null", O_RDONLY);
		int errfd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		for (; *args != NULL && k < 31; args++)
			argv[k++] = *args;
		dup2(infd, 0);
		dup2(fd[1], 1);
		dup2(errfd, 2);
		close(fd[0]);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	close(fd[1]);
	while ((n = read(fd[0], buf, sizeof(buf))) != 0)
		if (n > 0)
			g_byte_array_append(got, buf, (guint)n);
	close(fd[0]);
	*status = helper_wait(pid);
	cr_assert(g_file_get_contents(err_path, err, NULL, NULL));
	unlink(err_path);
	g_free(err_path);
	return got;
}

Test(stream, every_format_through_a_pipe_matches_the_saved_file)
{
	static const char *const formats[] = {"jpg", "png", "webp", "tif",
	    "gif", "heic", "avif"};
	char *dir = helper_tmpdir();

	for (size_t i = 0; i < G_N_ELEMENTS(formats); i++) {
		const char *f = formats[i];
		const char *const piped[] = {"-o", "-", "-f", f, "-s", "120",
		    TESTDATA "/sunset.jpg", NULL};
		const char *const saved[] = {"-q", "-o", dir, "-f", f, "-s",
		    "120", TESTDATA "/sunset.jpg", NULL};
		char *file = g_strdup_printf("%s/sunset.%s", dir, f);
		GByteArray *got;
		gchar *want;
		gsize want_len;
		VipsImage *im;
		char *err;
		struct ran r;
		int status;

		got = run_piped(piped, NULL, &status, &err);
		cr_assert_eq(status, 0, "%s: %s", f, err);
		cr_assert_str_eq(err, "");
		im = vips_image_new_from_buffer(got->data, got->len, "", NULL);
		cr_assert_not_null(im, "%s through a pipe does not load: %s",
		    f, vips_error_buffer());
		cr_assert(im->Xsize == 120 && im->Ysize == 80, "%s: %dx%d", f,
		    im->Xsize, im->Ysize);
		g_object_unref(im);
		/* The same bytes as the thumbnail written to a folder, but
		   for the record that one carries (record.h): put into the
		   piped bytes, it gives the file byte for byte. */
		helper_run(&r, saved);
		cr_assert_eq(r.status, 0, "%s", r.err);
		cr_assert(g_file_get_contents(file, &want, &want_len, NULL));
		{
			int fd = open(file, O_RDONLY);
			struct record rec;
			struct stat st;
			GByteArray *b;

			cr_assert(fd >= 0 && fstat(fd, &st) == 0);
			cr_assert_eq(record_read(fd, &st, &rec), RECORD_FOUND,
			    "%s: the saved file has no record", f);
			close(fd);
			b = record_embed(got->data, got->len, &rec);
			if (b != NULL) {
				g_byte_array_unref(got);
				got = b;
			}
		}
		cr_assert(want_len == got->len && memcmp(want, got->data,
		    want_len) == 0, "%s: %u bytes piped, %zu saved", f,
		    got->len, (size_t)want_len);
		helper_run_free(&r);
		g_free(want);
		g_free(err);
		g_free(file);
		g_byte_array_unref(got);
	}
	helper_rmtree(dir);
	g_free(dir);
}

Test(stream, stdin_image_keeps_its_format_unless_told)
{
	static const struct {
		const char *file, *format, *loader;
	} cases[] = {
		{"umang.webp", NULL, "webpload_buffer"},
		{"sunset.jpg", NULL, "jpegload_buffer"},
		{"wine-alpha.png", NULL, "pngload_buffer"},
		{"sunset.jpg", "png", "pngload_buffer"},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *in = g_build_filename(TESTDATA, cases[i].file, NULL);
		const char *args[8] = {"--stdin-image", "-o", "-"};
		const char *loader = NULL;
		GByteArray *got;
		VipsImage *im;
		char *err;
		int status;

		if (cases[i].format != NULL) {
			args[3] = "-f";
			args[4] = cases[i].format;
		}
		got = run_piped(args, in, &status, &err);
		cr_assert_eq(status, 0, "%s: %s", cases[i].file, err);
		im = vips_image_new_from_buffer(got->data, got->len, "", NULL);
		cr_assert_not_null(im, "%s", cases[i].file);
		cr_assert(im->Xsize <= 50 && im->Ysize <= 50 &&
		    (im->Xsize == 50 || im->Ysize == 50));
		cr_assert_eq(vips_image_get_string(im, VIPS_META_LOADER,
		    &loader), 0);
		cr_assert_str_eq(loader, cases[i].loader, "case %zu", i);
		g_object_unref(im);
		g_byte_array_unref(got);
		g_free(err);
		g_free(in);
	}
}

Test(stream, failures_leave_standard_output_empty)
{
	static const struct {
		const char *args[6];
		const char *in;
		int status;
		const char *says;
	} cases[] = {
		{{"-o", "-", TOP_DIR "/tests/data/bad/corrupt.jpg", NULL}, NULL,
		 1, "corrupt.jpg: "},
		{{"--stdin-image", "-o", "-", NULL},
		 TOP_DIR "/tests/data/bad/notes.jpg", 1,
		 "standard input: not a known image format"},
		{{"--stdin-image", "-o", "-", NULL}, NULL, 2,
		 "standard input: empty"},
		{{"-o", "-", TESTDATA, NULL}, NULL, 2, "not a file"},
		{{"-o", "-", TESTDATA "/sunset.jpg", TESTDATA "/seeding.jpg",
		  NULL}, NULL, 2, "exactly one file"},
		{{"--stdin-image", TESTDATA "/sunset.jpg", NULL}, NULL, 2,
		 "-o -"},
		{{"-o", "-", "--json", TESTDATA "/sunset.jpg", NULL}, NULL, 2,
		 "--json"},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		GByteArray *got;
		char *err;
		int status;

		got = run_piped(cases[i].args, cases[i].in, &status, &err);
		cr_assert_eq(status, cases[i].status, "case %zu: %d %s", i,
		    status, err);
		cr_assert_eq(got->len, 0, "case %zu wrote %u bytes", i,
		    got->len);
		cr_assert_not_null(strstr(err, cases[i].says), "case %zu: %s", i,
		    err);
		cr_assert_eq(helper_count_lines(err, "pthumb: "), 1, "%s", err);
		g_byte_array_unref(got);
		g_free(err);
	}
	/* Nothing made a folder named "-". */
	cr_assert_eq(access("-", F_OK), -1);
}

Test(stream, suffix_from_name_or_bytes)
{
	gchar *data;
	gsize len;

	cr_assert_str_eq(stream_suffix("a/b.webp", NULL, 0), ".webp");
	cr_assert_str_eq(stream_suffix("doc.pdf", NULL, 0), ".png");
	cr_assert_str_eq(stream_suffix("noext", NULL, 0), ".png");
	cr_assert(g_file_get_contents(TESTDATA "/picture.gif", &data, &len,
	    NULL));
	cr_assert_str_eq(stream_suffix(NULL, data, len), ".gif");
	g_free(data);
	cr_assert_str_eq(stream_suffix(NULL, "not an image", 12), ".png");
}

/*
 * The image is made in a worker with every limit of a batch: a hang is
 * stopped by --timeout, a crash is one line, too little --worker-memory
 * fails the image; standard output stays empty each time, from a file as
 * from standard input.
 */
Test(stream, the_image_is_made_under_every_limit)
{
	static const struct {
		const char *fault;
		const char *args[8];
		const char *says;
	} cases[] = {
		{"hang:1", {"--timeout", "1", "-o", "-", TESTDATA "/sunset.jpg",
		 NULL}, "sunset.jpg: no result after 1.0 s; worker (pid "},
		{"hang:1", {"--timeout", "1", "--stdin-image", "-o", "-", NULL},
		 "standard input: no result after 1.0 s; worker (pid "},
		{"crash:1", {"-o", "-", TESTDATA "/sunset.jpg", NULL},
		 "sunset.jpg: worker killed by SIGSEGV"},
		{NULL, {"--worker-memory", "32M", "-o", "-", TESTDATA
		 "/seeding.jpg", NULL}, "seeding.jpg: out of memory"},
		{NULL, {"--worker-memory", "32M", "--stdin-image", "-o", "-",
		 NULL}, "standard input: out of memory"},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		GByteArray *got;
		char *err;
		int status;

#ifdef __SANITIZE_ADDRESS__
		if (cases[i].fault == NULL)
			continue; /* no data-segment limit under ASan */
#endif
		if (cases[i].fault != NULL)
			cr_assert_eq(setenv("PTHUMB_FAULT", cases[i].fault, 1),
			    0);
		got = run_piped(cases[i].args, TESTDATA "/seeding.jpg",
		    &status, &err);
		unsetenv("PTHUMB_FAULT");
		cr_assert_eq(status, 1, "case %zu: %d %s", i, status, err);
		cr_assert_eq(got->len, 0, "case %zu wrote %u bytes", i,
		    got->len);
		cr_assert_not_null(strstr(err, cases[i].says), "case %zu: %s",
		    i, err);
		cr_assert_eq(helper_count_lines(err, "pthumb: "), 1, "%s", err);
		g_byte_array_unref(got);
		g_free(err);
	}
}

/* A file name and the cause on standard error are escaped here too. */
Test(stream, a_failure_line_escapes_the_name)
{
	char *dir = helper_tmpdir();
	char *bad = g_build_filename(dir, "a\n\x1b[2Kfake.jpg", NULL);
	const char *const args[] = {"-o", "-", bad, NULL};
	GByteArray *got;
	char *err;
	int status;

	cr_assert_eq(helper_copy(TOP_DIR "/tests/data/bad/corrupt.jpg", bad),
	    0);
	got = run_piped(args, NULL, &status, &err);
	cr_assert_eq(status, 1, "%s", err);
	cr_assert_eq(got->len, 0);
	cr_assert_not_null(strstr(err, "a\\x0a\\x1b[2Kfake.jpg: "), "%s",
	    err);
	cr_assert_eq(strchr(err, '\n'), err + strlen(err) - 1, "one line: %s",
	    err);
	g_byte_array_unref(got);
	g_free(err);
	helper_rmtree(dir);
	g_free(bad);
	g_free(dir);
}
