/*
 * pthumb: parse the options, set up libvips' type system and the output
 * folder, run the batch (batch.h), print the summary, and turn the outcome
 * into an exit status.
 */
#include <errno.h>  /* errno */
#include <fcntl.h>  /* open, fcntl, O_RDWR */
#include <stdbool.h>
#include <stdio.h>  /* fprintf, setvbuf */
#include <string.h> /* strerror */
#include <unistd.h> /* access */

#include <vips/vips.h> /* VIPS_INIT, vips_block_untrusted_set */

#include "batch.h"
#include "compare.h"
#include "options.h"
#include "outcome.h"  /* enum batch_outcome, enum exit_status */
#include "pipeline.h" /* pipeline_can_save */
#include "report.h"
#include "signals.h"
#include "stream.h"
#include "xio.h"      /* now_ns */

/* Say what is wrong with the command; takes msg. */
static void
usage_error(char *msg)
{
	fprintf(stderr, "pthumb: %s\nTry 'pthumb --help' for more "
	    "information.\n", msg);
	g_free(msg);
}

/*
 * Did standard output fail to take what the run wrote (a full disk, a
 * closed file under --json)? Then the run failed, and says so once. A
 * reader that stopped reading (EPIPE: head -1) is no error.
 */
static bool
stdout_failed(void)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return false;
	if (errno == EPIPE)
		return false;
	fprintf(stderr, "pthumb: write error: %s\n", strerror(errno));
	return true;
}

/*
 * Started with standard input, output or error closed, the next file
 * pthumb opens would take its number: a worker's socket read as the path
 * list, a thumbnail written into by the report. They get /dev/null.
 */
static bool
hold_std_fds(void)
{
	for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
		int null;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		null = open("/dev/null", O_RDWR);
		if (null != fd) {
			if (null >= 0)
				close(null);
			return false;
		}
	}
	return true;
}

/* Collect the nickname of each file loader class ("jpegload"), with its
   flags. */
static void *
add_loader(VipsObjectClass *class, void *data)
{
	GPtrArray *names = data;
	VipsOperationClass *op = VIPS_OPERATION_CLASS(class);
	const char *nick = class->nickname;
	size_t n = strlen(nick);

	if (G_TYPE_IS_ABSTRACT(G_TYPE_FROM_CLASS(class)) || n < 4 ||
	    strcmp(nick + n - 4, "load") != 0)
		return NULL;
	g_ptr_array_add(names, g_strdup_printf("%s%s", nick,
	    op->flags & VIPS_OPERATION_UNTRUSTED ? " (untrusted)" : ""));
	return NULL;
}

static int
compare_strings(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * --version: pthumb's version (the Makefile's VERSION), libvips' at run
 * time and at build time, and the loaders this libvips has; those marked
 * untrusted are used only with --allow-untrusted.
 */
static int
print_version(void)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);

	vips_class_map_all(g_type_from_name("VipsForeignLoad"),
	    (VipsClassMapFn)add_loader, names);
	g_ptr_array_sort(names, compare_strings);
	printf("pthumb %s\nlibvips %s (built with %s)\nloaders:",
	    PTHUMB_VERSION, vips_version_string(), VIPS_VERSION);
	for (guint i = 0; i < names->len; i++)
		printf("%s %s", i > 0 ? "," : "",
		    (char *)g_ptr_array_index(names, i));
	printf("\n");
	g_ptr_array_unref(names);
	return stdout_failed() ? EXIT_USAGE : EXIT_ALL_DONE;
}

/*
 * What can be checked before anything runs: a --format libvips can write,
 * a --files-from list that is there; then the signal handlers go in.
 * false after saying why.
 */
static bool
ready_to_run(const struct opts *o)
{
	if (o->format != NULL) {
		char *suffix = g_strconcat(".", o->format, NULL);
		bool ok = pipeline_can_save(suffix);

		g_free(suffix);
		if (!ok) {
			usage_error(g_strdup_printf("invalid --format '%s' "
			    "(libvips cannot write it)", o->format));
			return false;
		}
	}
	/* A list that is not there is a mistake in the command, not a
	   file that failed. */
	if (o->files_from != NULL && strcmp(o->files_from, "-") != 0 &&
	    access(o->files_from, R_OK) != 0) {
		usage_error(g_strdup_printf("cannot read --files-from %s: %s",
		    o->files_from, strerror(errno)));
		return false;
	}
	if (signals_install() != 0) {
		fprintf(stderr, "pthumb: cannot install signal handlers: %s\n",
		    strerror(errno));
		return false;
	}
	return true;
}

/* The output folder, made if need be; false after saying why. */
static bool
make_outdir(const struct opts *o)
{
	/* The thumbnail cache is private: 0700, as the standard asks. */
	if (o->dry_run || g_mkdir_with_parents(o->outdir,
	    o->freedesktop_size != NULL ? 0700 : 0777) == 0)
		return true;
	fprintf(stderr, "pthumb: %s: cannot create output folder: %s\n",
	    o->outdir, strerror(errno));
	return false;
}

/*
 * The exit status of a batch that ended so, after the line that says why
 * it stopped where the files are not the reason.
 */
static int
batch_status(enum batch_outcome outcome, const struct report *rp)
{
	int sig = signals_caught(), status;

	if (sig != 0)
		status = EXIT_SIGNAL_BASE + sig;
	else if (outcome == BATCH_BROKEN)
		status = EXIT_WORKERS_BROKEN;
	else if (outcome == BATCH_CANNOT_START)
		status = EXIT_USAGE;
	else
		status = report_failed(rp) ? EXIT_SOME_FAILED
		    : EXIT_ALL_DONE;
	if (outcome == BATCH_BROKEN)
		fprintf(stderr, "pthumb: workers keep dying before they are "
		    "ready; giving up\n");
	else if (outcome == BATCH_CANNOT_START)
		fprintf(stderr, "pthumb: no worker could be started; files "
		    "were left undone\n");
	return status;
}

/* Run the batch and print its summary, timed from `start` (pthumb's own
   start); the exit status. */
static int
run_and_report(const struct opts *o, long long start)
{
	struct report *rp = report_new(o->json, o->quiet);
	enum batch_outcome outcome;
	int status;

	if (o->shards > 0)
		report_set_shard(rp, o->shard, o->shards, o->shard_from);
	outcome = batch_run(o, o->mode, rp);
	report_summary(rp, (now_ns() - start) / 1e9);
	status = batch_status(outcome, rp);
	report_free(rp);
	if (stdout_failed() && status < EXIT_SIGNAL_BASE)
		status = EXIT_USAGE;
	return status;
}

int
main(int argc, char **argv)
{
	long long start = now_ns();
	struct opts o;
	bool parsed = false, vips_up = false;
	char *msg = NULL;
	/* Until a run starts, every way out is a usage error. */
	int status = EXIT_USAGE;

	if (!hold_std_fds())
		goto out; /* no /dev/null: nowhere to say it */
	/* Lines reach a pipe as each file completes. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (options_parse(argc, argv, &o, &msg) != 0) {
		usage_error(msg);
		goto out;
	}
	parsed = true;
	/* Safe before fork: it starts no operation and opens no image. */
	if (VIPS_INIT(argv[0]) != 0) {
		fprintf(stderr, "pthumb: cannot initialise libvips: %s\n",
		    vips_error_buffer());
		goto out;
	}
	vips_up = true;
	if (o.show_version) {
		status = print_version();
		goto out;
	}
	vips_block_untrusted_set(!o.allow_untrusted);
	if (!ready_to_run(&o))
		goto out;
	if (o.to_stdout)
		status = stream_run(&o);
	else if (make_outdir(&o))
		status = o.compare || o.compare_modes ? compare_run(&o)
		    : run_and_report(&o, start);
out:
	if (parsed)
		options_free(&o);
	if (vips_up)
		vips_shutdown();
	return status;
}
