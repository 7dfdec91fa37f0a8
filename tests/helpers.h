/*
 * helpers: what the tests share. Suite fixtures and temporary folders,
 * running the built binary and capturing what it prints, reading its
 * --json lines, looking for leftover temporary files, and comparing
 * images.
 */
#ifndef PTHUMB_TEST_HELPERS_H
#define PTHUMB_TEST_HELPERS_H

#include <stdbool.h>
#include <sys/types.h>

#include <glib.h> /* GArray, G_GNUC_PRINTF, G_GNUC_NORETURN */

#ifndef TOP_DIR
#error "TOP_DIR must name the source tree"
#endif

#define TESTDATA TOP_DIR "/testdata"

/* The number of valid images in testdata/ (the main job's sample). */
#define TESTDATA_IMAGES 8

/* Those images, relative to testdata/. */
extern const char *const helper_testdata[TESTDATA_IMAGES];

/*
 * Suite fixtures, for TestSuite(.init, .fini). Criterion runs each test in
 * a process of its own, so what .init makes is that test's alone, and
 * .fini runs after a failed assertion too; not after cr_skip_test, hence
 * helper_skip_test.
 */

/* libvips started: for suites whose tests read or make images. */
void helper_init_vips(void);

/* A new empty folder for each test, helper_dir(), which helper_fini_dir
   removes with everything in it. helper_init_vips_dir starts libvips as
   well. */
void helper_init_dir(void);
void helper_init_vips_dir(void);
void helper_fini_dir(void);

/* The running test's folder (the test fails in a suite without one). */
const char *helper_dir(void);

/* cr_skip_test, the test's folder removed first. */
G_GNUC_PRINTF(1, 2) G_GNUC_NORETURN void helper_skip_test(const char *fmt,
    ...);

/*
 * Called first by a test that cannot run under valgrind (`make valgrind`
 * sets PTHUMB_VALGRIND): it is skipped there, with `why` as the reason.
 */
void helper_skip_under_valgrind(const char *why);

/* The same for `make sanitize` (PTHUMB_SANITIZE): for the tests that
   measure, over the corpus, what other tests run there on testdata. */
void helper_skip_under_sanitizers(const char *why);

/* A new empty folder under $TMPDIR; the caller frees the name. */
char *helper_tmpdir(void);

/* rm -rf */
void helper_rmtree(const char *path);

/* What a run of the binary left. */
struct ran {
	int status; /* exit status, or 128 + signal */
	char *out;  /* everything on stdout */
	char *err;  /* everything on stderr */
};

/* The pthumb binary under test ($PTHUMB_BIN, else TOP_DIR/pthumb). */
const char *helper_bin(void);

/*
 * Run the binary with these arguments (NULL-terminated, without argv[0])
 * and wait for it. stdin is /dev/null.
 */
void helper_run(struct ran *r, const char *const *args);

/* Start it in the background, stdout and stderr into files; see wait. */
pid_t helper_start(const char *const *args, const char *out_path,
    const char *err_path);
/* The same with stdin from in_path (opened in the child, so a FIFO waits
   for its writer there), or closed when in_path is NULL. */
pid_t helper_start_in(const char *in_path, const char *const *args,
    const char *out_path, const char *err_path);
int helper_wait(pid_t pid);
/* helper_wait with a guard against a hang: -1, the process killed, when
   it has not ended within `seconds` (not a timing: the guard is far above
   what the command needs). */
int helper_wait_within(pid_t pid, int seconds);

void helper_run_free(struct ran *r);

/* Files under dir (recursively) whose names start with '.' and end with
   ".tmp": what an interrupted save could leave. */
int helper_count_tmp(const char *dir);

/* Regular files under dir, recursively. */
int helper_count_files(const char *dir);

/* The pids of pid's children, from /proc (a GArray of pid_t). */
GArray *helper_children(pid_t pid);

/*
 * pthumb's --json output as the tests read it: flat objects, one a line,
 * each field "key": value (and --compare's one object, whose keys repeat
 * per row). Each of these fails the test when what it looks for is not
 * there.
 */

/* The number after the k-th "key": in json (k is 0 for the first). */
double helper_json_number(const char *json, const char *key, int k);

/* The string after the first "key": in json, as written (escapes kept);
   the caller frees it. */
char *helper_json_string(const char *json, const char *key);

/* The summary line of a --json run's stdout (a pointer into out). */
const char *helper_json_summary(const char *out);

/* The one line of out with "key": "value" (a new string). */
char *helper_json_line(const char *out, const char *key, const char *value);

/* The integer after "key": in the summary line of a --json run's
   stdout. */
long helper_summary_field(const char *out, const char *key);

/* Lines in s that contain needle. */
int helper_count_lines(const char *s, const char *needle);

/* Do two files hold the same bytes? (false if either cannot be read) */
bool helper_same_bytes(const char *a, const char *b);

/* Copy a file; 0 or -1. */
int helper_copy(const char *from, const char *to);

/* Copy the file from to dir/name, making the folders on the way. */
void helper_put(const char *dir, const char *name, const char *from);

/*
 * Make folder dir holding n files named 000.EXT, 001.EXT, ...: copies of
 * the testdata images named in srcs (NULL-terminated), taken in turn.
 */
void helper_fill(const char *dir, const char *const *srcs, int n);

/*
 * PSNR in dB of two images of equal size and bands (8-bit), through
 * libvips; -1 when they cannot be compared (the reason on stderr). With
 * alpha, colour is compared premultiplied: the colour of a pixel that is
 * nearly transparent is noise that no one sees.
 */
double helper_psnr(const char *a, const char *b);

/* The corpus photos folder, or NULL (the caller skips) when absent. */
const char *helper_corpus_photos(void);

#endif
