/*
 * options: the command line into one struct opts (see options.h).
 *
 * Every option is a row of options[] below: its names, its --help line and
 * group, where GOption leaves it (struct given) and, for one that takes a
 * value, the setter that converts the text and what a bad one is told.
 * From there the parse is four steps, each in one place:
 *
 *   GOption reads argv into struct given, after join_values() has glued
 *   each value to its option so that it is taken whole, as getopt does;
 *   set_defaults() fills *o, flags as their rows say, and set_values()
 *   puts each value given over its default, in table order (the parsing
 *   itself is optvalue.c's);
 *   check_combinations() refuses the options that do not go together;
 *   finish() works out what depends on several of them (--freedesktop's
 *   box, blur and folder).
 *
 * So adding an option is a row, its setter and perhaps a rule. Of several
 * mistakes on one command line, the first bad value in table order is
 * named, else the first rule broken.
 */
#include "options.h"

#include <limits.h> /* INT_MAX */
#include <stddef.h> /* offsetof */
#include <stdio.h>  /* fputs */
#include <string.h> /* memset, strcmp, strchr */
#include <sys/resource.h> /* getrlimit, RLIMIT_DATA */
#include <sys/stat.h>     /* stat */
#include <unistd.h> /* sysconf */

#include <glib.h> /* GOptionContext, g_strdup_printf */

#include "optvalue.h"
#include "shard.h" /* shard_resolve */

/* The least --worker-memory: a worker's threads and libvips itself need
   about 32 MiB before any pixel (measured: with less, even a 16x16 PNG
   fails; under 8 MiB GLib aborts the worker as it starts). */
#define WORKER_MEMORY_MIN (32LL << 20)

/* What GOption leaves: each flag, and each value as the text given (NULL
   when absent), converted afterwards so that a bad one can be named. */
struct given {
	gboolean exact, force, json, quiet, sequential, follow, untrusted;
	gboolean null_sep, strict, compare, keep, compare_modes, dry_run;
	gboolean stdin_image, crop, keep_profile, keep_metadata, freedesktop;
	gboolean replace_unrecorded, verify, fsync, version, watch, prune;
	char *jobs, *size, *blur, *output, *format, *quality, *files_from;
	char *output_template, *smartcrop, *background, *fd_size, *mode;
	char *max_tasks, *compare_jobs, *shard, *fail_on, *max_pixels;
	char *timeout, *memory;
};

/* The words of the options that choose from a few, indexed by what they
   choose; a NULL is a value no word names. */
static const char *const mode_names[] = {
	[MODE_POOL] = "pool",
	[MODE_SPAWN] = "spawn",
	[MODE_THREADS] = "threads",
	[MODE_SEQUENTIAL] = "sequential",
};

static const char *const fail_on_names[] = {
	[DAMAGE_FAIL_NONE] = "none",
	[DAMAGE_FAIL_TRUNCATED] = "truncated",
	[DAMAGE_FAIL_ERROR] = "error",
	[DAMAGE_FAIL_WARNING] = "warning",
};

static const char *const smartcrop_names[] = {
	[CROP_ATTENTION] = "attention",
	[CROP_ENTROPY] = "entropy",
};

/* The thumbnail cache's sizes (freedesktop.h): normal's box is 128 pixels,
   and each of the others twice the one before. */
static const char *const freedesktop_sizes[] = {
	"normal", "large", "x-large", "xx-large",
};

const char *
options_mode_name(enum run_mode m)
{
	return (size_t)m < G_N_ELEMENTS(mode_names) ? mode_names[m] :
	    "unknown";
}

/* The box of a --freedesktop-size, or 0 if name is not one. */
static int
freedesktop_box(const char *name)
{
	int i = options_parse_choice(name, freedesktop_sizes,
	    G_N_ELEMENTS(freedesktop_sizes));

	return i < 0 ? 0 : 128 << i;
}

/*
 * The setters: each puts one value given over its default in *o. 0, or -1
 * for the row's "invalid --NAME 'TEXT' (expected ...)". The two whose
 * refusals have words of their own (say_*) return NULL or the message.
 */

static int
set_jobs(const char *text, struct opts *o)
{
	return options_parse_int(text, 1, MAX_JOBS, &o->jobs);
}

static int
set_size(const char *text, struct opts *o)
{
	return options_parse_sizes(text, &o->thumb);
}

static int
set_blur(const char *text, struct opts *o)
{
	return options_parse_double(text, 0, 1000, &o->thumb.blur);
}

static int
set_output(const char *text, struct opts *o)
{
	if (*text == '\0')
		return -1;
	o->outdir = g_strdup(text);
	o->to_stdout = strcmp(text, "-") == 0;
	return 0;
}

static int
set_format(const char *text, struct opts *o)
{
	if (options_check_format(text) != 0)
		return -1;
	o->format = g_strdup(text);
	return 0;
}

static int
set_quality(const char *text, struct opts *o)
{
	return options_parse_int(text, 1, 100, &o->thumb.quality);
}

static int
set_files_from(const char *text, struct opts *o)
{
	o->files_from = g_strdup(text);
	return 0;
}

static char *
say_output_template(const char *text, struct opts *o)
{
	const char *why;

	if (options_check_template(text, &why) != 0)
		return g_strdup_printf("invalid --output-template '%s' (%s)",
		    text, why);
	o->output_template = g_strdup(text);
	return NULL;
}

static int
set_smartcrop(const char *text, struct opts *o)
{
	int i = options_parse_choice(text, smartcrop_names,
	    G_N_ELEMENTS(smartcrop_names));

	if (i < 0)
		return -1;
	o->thumb.crop = (enum crop)i;
	return 0;
}

static int
set_background(const char *text, struct opts *o)
{
	return options_parse_colour(text, o->thumb.background);
}

static int
set_freedesktop_size(const char *text, struct opts *o)
{
	if (freedesktop_box(text) == 0)
		return -1;
	o->freedesktop_size = g_strdup(text);
	return 0;
}

static int
set_mode(const char *text, struct opts *o)
{
	int i = options_parse_choice(text, mode_names,
	    G_N_ELEMENTS(mode_names));

	if (i < 0)
		return -1;
	o->mode = (enum run_mode)i;
	return 0;
}

static int
set_max_tasks(const char *text, struct opts *o)
{
	return options_parse_int(text, 1, INT_MAX, &o->max_tasks);
}

static int
set_compare_jobs(const char *text, struct opts *o)
{
	return options_parse_jobs_list(text, o->compare_jobs,
	    G_N_ELEMENTS(o->compare_jobs));
}

static char *
say_shard(const char *text, struct opts *o)
{
	char *msg = NULL;

	if (shard_resolve(text, &o->shard, &o->shards, &o->shard_from,
	    &msg) != 0)
		return msg;
	return NULL;
}

static int
set_fail_on(const char *text, struct opts *o)
{
	int i = options_parse_choice(text, fail_on_names,
	    G_N_ELEMENTS(fail_on_names));

	if (i < 0)
		return -1;
	o->thumb.damage = (enum damage_policy)i;
	return 0;
}

static int
set_max_pixels(const char *text, struct opts *o)
{
	return options_parse_bytes(text, &o->thumb.max_pixels);
}

static int
set_timeout(const char *text, struct opts *o)
{
	return options_parse_double(text, 0.001, 1e6, &o->timeout);
}

static int
set_worker_memory(const char *text, struct opts *o)
{
	return options_parse_bytes(text, &o->worker_memory);
}

/* The --help groups: the main options, then one per --help-NAME. */
enum help_group { MAIN, PICTURE, TIMING, LIMITS };

static const struct {
	const char *name, *title, *help;
} groups[] = {
	[PICTURE] = {"picture", "Picture and output options:",
	    "Show the picture and output options"},
	[TIMING] = {"timing", "Execution models and timing:",
	    "Show the execution model and timing options"},
	[LIMITS] = {"limits", "Limits, damage and sharding:",
	    "Show the limit, damage and shard options"},
};

/*
 * One option. A flag is a gboolean of struct given, copied to the bool of
 * struct opts its row names, or read by set_defaults() or a rule. A value
 * is text, put into *o by the row's set, or by its say where the refusal
 * has words of its own.
 */
struct option_def {
	const char *name;      /* --name */
	char letter;           /* -l, or 0 */
	enum help_group group; /* where --help lists it */
	GOptionArg arg;        /* NONE: a flag; FILENAME: a value GLib keeps
				  as bytes; STRING: one it makes UTF-8 */
	size_t at;             /* offsetof(struct given, its field) */
	size_t to;             /* a flag's bool: offsetof(struct opts, it)
				  + 1; 0: none */
	int (*set)(const char *text, struct opts *o);
	char *(*say)(const char *text, struct opts *o);
	const char *expect;    /* "invalid --NAME 'TEXT' (expected EXPECT)" */
	const char *help;
	const char *metavar;   /* --name=METAVAR in --help */
};

#define FLAG(f) .arg = G_OPTION_ARG_NONE, .at = offsetof(struct given, f)
#define TEXT(f) .arg = G_OPTION_ARG_STRING, .at = offsetof(struct given, f)
#define BYTES(f) .arg = G_OPTION_ARG_FILENAME, \
	.at = offsetof(struct given, f)
#define SETS(f) .to = offsetof(struct opts, f) + 1

/* In --help's order, which is also the order values are converted in. */
static const struct option_def options[] = {
	{"jobs", 'j', MAIN, TEXT(jobs), .set = set_jobs,
	 .expect = "1-" G_STRINGIFY(MAX_JOBS),
	 .help = "worker processes (default: online CPUs)", .metavar = "N"},
	{"size", 's', MAIN, TEXT(size), .set = set_size,
	 .expect = "WxH or N, 1-" G_STRINGIFY(MAX_BOX) ", or up to "
	 G_STRINGIFY(MAX_SIZES) " different ones separated by commas",
	 .help = "fit thumbnails in this box (default 50x50); a list such "
	 "as 64,256 makes OUT/64/..., OUT/256/... from one decode",
	 .metavar = "WxH|N"},
	{"blur", 'b', MAIN, TEXT(blur), .set = set_blur,
	 .expect = "a sigma of 0-1000",
	 .help = "Gaussian blur sigma in source pixels, 0 = none (default 2)",
	 .metavar = "SIGMA"},
	{"output", 'o', MAIN, BYTES(output), .set = set_output,
	 .expect = "a folder",
	 .help = "output folder (default thumbs); - = one thumbnail to "
	 "standard output", .metavar = "DIR"},
	{"format", 'f', MAIN, TEXT(format), .set = set_format,
	 .expect = "a suffix such as jpg or webp",
	 .help = "output format: jpg, png, webp, tif, gif, heic, ... "
	 "(default: the input's)", .metavar = "FMT"},
	{"quality", 'Q', MAIN, TEXT(quality), .set = set_quality,
	 .expect = "1-100",
	 .help = "quality of lossy formats, 1-100", .metavar = "N"},
	{"force", 0, MAIN, FLAG(force), SETS(force),
	 .help = "redo thumbnails that are up to date"},
	{"replace-unrecorded", 0, MAIN, FLAG(replace_unrecorded),
	 SETS(thumb.replace_unrecorded),
	 .help = "replace files at output paths that carry no pthumb record "
	 "(thumbnails made before records)"},
	{"verify", 0, MAIN, FLAG(verify), SETS(verify),
	 .help = "read every up-to-date thumbnail and redo it if its bytes "
	 "are not those its record sums"},
	{"fsync", 0, MAIN, FLAG(fsync), SETS(thumb.fsync),
	 .help = "flush each thumbnail and its folder to the disk before "
	 "going on (slower; for machines that may lose power)"},
	{"dry-run", 'n', MAIN, FLAG(dry_run), SETS(dry_run),
	 .help = "list input, output and action; write nothing"},
	{"json", 0, MAIN, FLAG(json), SETS(json),
	 .help = "print one JSON object per file and a summary on stdout"},
	{"quiet", 'q', MAIN, FLAG(quiet), SETS(quiet),
	 .help = "print only errors and the summary"},
	{"files-from", 0, MAIN, BYTES(files_from), .set = set_files_from,
	 .help = "read paths from FILE, one per line (- = standard input)",
	 .metavar = "FILE"},
	{"null", '0', MAIN, FLAG(null_sep), SETS(null_sep),
	 .help = "paths in lists are NUL-separated (find -print0)"},
	{"follow", 'L', MAIN, FLAG(follow), SETS(follow),
	 .help = "follow symbolic links to folders"},
	{"watch", 0, MAIN, FLAG(watch), SETS(watch),
	 .help = "after the run, keep the workers and thumbnail each image "
	 "written or moved into a PATH until Ctrl-C (not with -o -, -n, "
	 "--compare, lists or --files-from)"},
	{"prune", 0, MAIN, FLAG(prune), SETS(prune),
	 .help = "remove the thumbnails pthumb made whose source is gone, "
	 "only where the walk read everything (one PATH folder; with -n, "
	 "list them)"},
	{"version", 0, MAIN, FLAG(version),
	 .help = "print pthumb's and libvips' versions and the loaders in "
	 "use"},

	{"output-template", 0, PICTURE, BYTES(output_template),
	 .say = say_output_template,
	 .help = "name outputs: %s stem, %e extension, %d folder, e.g. "
	 "'%d/%s_thumb.webp'", .metavar = "T"},
	{"crop", 0, PICTURE, FLAG(crop),
	 .help = "fill the box exactly, cutting the overhang evenly"},
	{"smartcrop", 0, PICTURE, TEXT(smartcrop), .set = set_smartcrop,
	 .expect = "attention or entropy, without --crop",
	 .help = "fill the box, keeping the part that matters: attention or "
	 "entropy", .metavar = "HOW"},
	{"background", 0, PICTURE, TEXT(background), .set = set_background,
	 .expect = "white, black, #rrggbb or R,G,B",
	 .help = "colour under transparency in JPEG: white (default), black, "
	 "#rrggbb or R,G,B", .metavar = "COLOUR"},
	{"keep-profile", 0, PICTURE, FLAG(keep_profile),
	 SETS(thumb.keep_profile),
	 .help = "keep the colour profile instead of converting to sRGB"},
	{"keep-metadata", 0, PICTURE, FLAG(keep_metadata),
	 SETS(thumb.keep_metadata),
	 .help = "keep EXIF, XMP, IPTC and the profile"},
	{"exact", 0, PICTURE, FLAG(exact), SETS(thumb.exact),
	 .help = "blur at full resolution, then resize (slow, literal)"},
	{"freedesktop", 0, PICTURE, FLAG(freedesktop),
	 .help = "write into the desktop's thumbnail cache "
	 "(~/.cache/thumbnails), unblurred unless -b"},
	{"freedesktop-size", 0, PICTURE, TEXT(fd_size),
	 .set = set_freedesktop_size,
	 .expect = "normal, large, x-large or xx-large, with --freedesktop",
	 .help = "normal (128, default), large, x-large or xx-large",
	 .metavar = "SIZE"},
	{"stdin-image", 0, PICTURE, FLAG(stdin_image), SETS(stdin_image),
	 .help = "the image is standard input (with -o -)"},

	{"mode", 0, TIMING, TEXT(mode), .set = set_mode,
	 .expect = "pool, spawn, threads or sequential",
	 .help = "pool (default), spawn (a process per file), threads (no "
	 "crash isolation, timeouts or limits) or sequential",
	 .metavar = "MODE"},
	{"max-tasks-per-worker", 0, TIMING, TEXT(max_tasks),
	 .set = set_max_tasks, .expect = "a count of 1 or more, for the pool",
	 .help = "pool: replace a worker after N files", .metavar = "N"},
	{"sequential", 0, TIMING, FLAG(sequential),
	 .help = "one process, no workers: the timing baseline"},
	{"compare", 0, TIMING, FLAG(compare), SETS(compare),
	 .help = "time a sequential run against the pool on the same files"},
	{"compare-jobs", 0, TIMING, TEXT(compare_jobs),
	 .set = set_compare_jobs,
	 .expect = "a list such as 1,2,4, with --compare",
	 .help = "with --compare: the pool sizes to time, e.g. 1,2,4,8",
	 .metavar = "LIST"},
	{"compare-modes", 0, TIMING, FLAG(compare_modes), SETS(compare_modes),
	 .help = "time sequential, spawn, pool and threads on the same "
	 "files"},
	{"keep", 0, TIMING, FLAG(keep), SETS(keep),
	 .help = "with --compare(-modes): keep each run's output folder"},

	{"shard", 0, LIMITS, TEXT(shard), .say = say_shard,
	 .help = "do only shard K of N (by a hash of each thumbnail's path); "
	 "auto: this Slurm array task's, auto/N: JOB_COMPLETION_INDEX's",
	 .metavar = "K/N"},
	{"strict", 0, LIMITS, FLAG(strict),
	 .help = "fail damaged images instead of writing them with a "
	 "warning"},
	{"fail-on", 0, LIMITS, TEXT(fail_on), .set = set_fail_on,
	 .expect = "none, truncated, error or warning, without --strict",
	 .help = "fail images on this much damage: none, truncated, error or "
	 "warning", .metavar = "LEVEL"},
	{"max-pixels", 0, LIMITS, TEXT(max_pixels), .set = set_max_pixels,
	 .expect = "a positive number",
	 .help = "refuse images with more pixels (default 268402689)",
	 .metavar = "N"},
	{"timeout", 0, LIMITS, TEXT(timeout), .set = set_timeout,
	 .expect = "seconds, more than 0",
	 .help = "seconds one image may take (default 60)",
	 .metavar = "SECONDS"},
	{"worker-memory", 0, LIMITS, TEXT(memory), .set = set_worker_memory,
	 .expect = "bytes, e.g. 512M or 2G",
	 .help = "data-segment limit of each worker, e.g. 2G, at least 32M "
	 "(default: memory / jobs, within ulimit -d)", .metavar = "BYTES"},
	{"allow-untrusted", 0, LIMITS, FLAG(untrusted), SETS(allow_untrusted),
	 .help = "allow loaders libvips marks untrusted (PDF, SVG, JPEG XL, "
	 "...)"},
};

static gboolean
given_flag(const struct given *g, const struct option_def *p)
{
	return *(const gboolean *)((const char *)g + p->at);
}

/* A value's text as given, or NULL. */
static const char *
given_text(const struct given *g, const struct option_def *p)
{
	return *(char *const *)((const char *)g + p->at);
}

/* The row of --name, or of -letter (name NULL), if it takes a value. */
static const struct option_def *
valued_option(char letter, const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(options); i++) {
		const struct option_def *p = &options[i];

		if (p->arg != G_OPTION_ARG_NONE && (name != NULL ?
		    strcmp(p->name, name) == 0 : p->letter == letter))
			return p;
	}
	return NULL;
}

/* "invalid --NAME 'TEXT' (expected ...)" for the value of the option
   named, as a rule refuses it. New string. */
static char *
refuse(const char *name, const struct given *g)
{
	const struct option_def *p = valued_option(0, name);

	return g_strdup_printf("invalid --%s '%s' (expected %s)", p->name,
	    given_text(g, p), p->expect);
}

/*
 * An option that takes a value takes the next argument whole, as getopt
 * does: GOption splits "-o -bad" into -o, -b and "ad". Users also write
 * -j2 and -s256, as with make and vipsthumbnail. So before GOption sees
 * them (and up to "--"), "-o VALUE", "-oVALUE" and "--output VALUE" become
 * "--output=VALUE". Returns a new vector.
 */
static char **
join_values(int argc, char **argv)
{
	char **v = g_new0(char *, (size_t)argc + 1);
	int n = 0, i = 0;

	if (argc > 0)
		v[n++] = g_strdup(argv[i++]);
	for (; i < argc; i++) {
		const char *a = argv[i];
		const struct option_def *p = NULL;
		const char *value = NULL;

		if (strcmp(a, "--") == 0) {
			while (i < argc)
				v[n++] = g_strdup(argv[i++]);
			break;
		}
		if (a[0] == '-' && a[1] == '-' && strchr(a, '=') == NULL)
			p = valued_option(0, a + 2);
		else if (a[0] == '-' && a[1] != '-' && a[1] != '\0')
			p = valued_option(a[1], NULL);
		if (p != NULL && a[1] != '-' && a[2] != '\0')
			value = a + 2;
		else if (p != NULL && i + 1 < argc)
			value = argv[++i];
		v[n++] = value != NULL ? g_strdup_printf("--%s=%s", p->name,
		    value) : g_strdup(a);
	}
	return v;
}

/* GLib's help text as bytes any terminal shows: its one non-ASCII
   character, the ellipsis, as three dots. */
static void
print_help_text(const gchar *text)
{
	char **parts = g_strsplit(text, "\u2026", -1);
	char *plain = g_strjoinv("...", parts);

	fputs(plain, stdout);
	g_free(plain);
	g_strfreev(parts);
}

/* The GOption entries of one --help group, in table order, each writing
   into *g: a new array, ended by a zeroed entry. */
static GOptionEntry *
entries_of(enum help_group s, struct given *g)
{
	GOptionEntry *e = g_new0(GOptionEntry, G_N_ELEMENTS(options) + 1);
	size_t n = 0;

	for (size_t i = 0; i < G_N_ELEMENTS(options); i++) {
		const struct option_def *p = &options[i];

		if (p->group == s)
			e[n++] = (GOptionEntry){p->name, p->letter, 0, p->arg,
			    (char *)g + p->at, p->help, p->metavar};
	}
	return e;
}

/* The parser of options[], writing into *g; --help shows the main
   entries, and each other group has a --help-NAME. */
static GOptionContext *
new_context(struct given *g)
{
	GOptionContext *ctx = g_option_context_new("PATH... - thumbnail "
	    "images in parallel");
	GOptionEntry *e = entries_of(MAIN, g);

	g_option_context_set_summary(ctx,
	    "Blur, resize and save a thumbnail of every image under each PATH\n"
	    "(files, folders searched recursively, or - for a list on standard\n"
	    "input) into the output folder, with a pool of worker processes.");
	g_option_context_set_description(ctx,
	    "Exit status: 0 all done or up to date, 1 some file failed,\n"
	    "2 usage error or the run could not start, 3 workers keep dying,\n"
	    "128+N stopped by signal N. More in pthumb(1).");
	/* Both copy the entries. */
	g_option_context_add_main_entries(ctx, e, NULL);
	g_free(e);
	for (enum help_group s = PICTURE; s <= LIMITS; s++) {
		GOptionGroup *group = g_option_group_new(groups[s].name,
		    groups[s].title, groups[s].help, NULL, NULL);

		e = entries_of(s, g);
		g_option_group_add_entries(group, e);
		g_free(e);
		g_option_context_add_group(ctx, group);
	}
	return ctx;
}

static int
online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > MAX_JOBS ? MAX_JOBS : (int)n;
}

/* What each option left out means; the flags go where their rows say. */
static void
set_defaults(struct opts *o, const struct given *g)
{
	o->jobs = online_cpus();
	o->thumb.width = o->thumb.height = 50;
	o->thumb.blur = 2.0;
	o->thumb.max_pixels = DEFAULT_MAX_PIXELS;
	o->timeout = 60;
	o->mode = g->sequential ? MODE_SEQUENTIAL : MODE_POOL;
	o->thumb.damage = g->strict ? DAMAGE_FAIL_WARNING : DAMAGE_WARN;
	o->thumb.background[0] = o->thumb.background[1] =
	    o->thumb.background[2] = 255;
	o->thumb.crop = g->crop ? CROP_CENTRE : CROP_NONE;
	for (size_t i = 0; i < G_N_ELEMENTS(options); i++)
		if (options[i].to != 0)
			*(bool *)((char *)o + options[i].to - 1) =
			    given_flag(g, &options[i]);
}

/*
 * The default --worker-memory: the machine's memory shared by the workers,
 * so N of them cannot together exhaust it.
 */
static long long
default_worker_memory(int jobs)
{
	long pages = sysconf(_SC_PHYS_PAGES);
	long size = sysconf(_SC_PAGESIZE);

	if (pages <= 0 || size <= 0)
		return 0;
	return (long long)pages * size / jobs;
}

/*
 * A worker's data segment: never above the hard limit pthumb inherited
 * (which it could not raise), nor below what a worker needs at all. The
 * default is lowered to that hard limit; a value given (text) outside
 * them is refused. NULL, or the message (new string).
 */
static char *
check_worker_memory(long long *bytes, const char *text)
{
	struct rlimit rl;

	if (text != NULL && *bytes > 0 && *bytes < WORKER_MEMORY_MIN)
		return g_strdup_printf("--worker-memory %s is below the %lld "
		    "MiB a worker needs to thumbnail even a tiny image", text,
		    WORKER_MEMORY_MIN >> 20);
	if (getrlimit(RLIMIT_DATA, &rl) != 0 || rl.rlim_max == RLIM_INFINITY)
		return NULL;
	if (text != NULL && *bytes > 0 && (rlim_t)*bytes > rl.rlim_max)
		return g_strdup_printf("--worker-memory %s is above the "
		    "data-segment hard limit pthumb was started with, %llu "
		    "bytes (ulimit -d)", text, (unsigned long long)rl.rlim_max);
	if (text == NULL && (*bytes <= 0 || (rlim_t)*bytes > rl.rlim_max))
		*bytes = (long long)rl.rlim_max;
	return NULL;
}

/*
 * Each value given over its default, in table order; then --worker-memory
 * within its bounds, its default being a share of the machine for each of
 * --jobs. NULL, or the message for the first bad one (new string).
 */
static char *
set_values(struct opts *o, const struct given *g)
{
	for (size_t i = 0; i < G_N_ELEMENTS(options); i++) {
		const struct option_def *p = &options[i];
		const char *text;

		if (p->arg == G_OPTION_ARG_NONE ||
		    (text = given_text(g, p)) == NULL)
			continue;
		if (p->say != NULL) {
			char *msg = p->say(text, o);

			if (msg != NULL)
				return msg;
		} else if (p->set(text, o) != 0)
			return g_strdup_printf("invalid --%s '%s' (expected %s)",
			    p->name, text, p->expect);
	}
	if (g->memory == NULL)
		o->worker_memory = default_worker_memory(o->jobs);
	return check_worker_memory(&o->worker_memory, g->memory);
}

/* The arguments GOption left (args[0] is the program), less the "--" that
   ended the options, which GOption leaves among them. */
static void
take_paths(struct opts *o, char **args)
{
	size_t n = g_strv_length(args);
	bool seen_dashes = false;

	o->paths = g_new0(char *, n + 1);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(args[i], "--") == 0 && !seen_dashes) {
			seen_dashes = true;
			continue;
		}
		o->paths[o->npaths++] = g_strdup(args[i]);
	}
}

/* Is there exactly one PATH, and is it a folder? */
static bool
one_folder(const struct opts *o)
{
	struct stat st;

	return o->npaths == 1 && o->files_from == NULL &&
	    stat(o->paths[0], &st) == 0 && S_ISDIR(st.st_mode);
}

/* Is a PATH "-", a list on standard input? */
static bool
reads_a_list(const struct opts *o)
{
	for (int i = 0; i < o->npaths; i++)
		if (strcmp(o->paths[i], "-") == 0)
			return true;
	return false;
}

/*
 * Every rule about options that do not go together, in the order they are
 * checked, on the values converted and the PATHs taken. NULL, or the
 * message for the first rule broken (new string).
 */
static char *
check_combinations(const struct opts *o, const struct given *g)
{
	bool timing = o->compare || o->compare_modes;
	bool in_process = o->mode == MODE_THREADS ||
	    o->mode == MODE_SEQUENTIAL;

	if (g->compare_jobs != NULL && !o->compare)
		return refuse("compare-jobs", g);
	if (g->mode != NULL && g->sequential && o->mode != MODE_SEQUENTIAL)
		return refuse("mode", g);
	if (g->max_tasks != NULL && o->mode != MODE_POOL && !timing)
		return refuse("max-tasks-per-worker", g);
	if (in_process && (g->timeout != NULL || g->memory != NULL))
		return g_strdup_printf("%s needs worker processes: images "
		    "run in pthumb's own process cannot be stopped or limited "
		    "one by one (--mode %s)", g->timeout != NULL ?
		    "--timeout" : "--worker-memory", options_mode_name(o->mode));
	if (timing && (g->sequential || g->mode != NULL))
		return g_strdup("--compare and --compare-modes choose the "
		    "modes they time; leave out --mode and --sequential");
	if (o->compare && o->compare_modes)
		return g_strdup("give --compare or --compare-modes, not both");
	if (g->fail_on != NULL && g->strict)
		return refuse("fail-on", g);
	if (g->smartcrop != NULL && g->crop)
		return refuse("smartcrop", g);
	if (g->fd_size != NULL && !g->freedesktop)
		return refuse("freedesktop-size", g);
	if (g->freedesktop && (g->output != NULL || g->format != NULL ||
	    g->output_template != NULL || g->size != NULL ||
	    o->thumb.crop != CROP_NONE))
		return g_strdup("--freedesktop decides the folder, name, "
		    "format and size: not with -o, -f, -s, --output-template "
		    "or a crop");
	if (o->dry_run && timing)
		return g_strdup("--dry-run writes nothing; it cannot time "
		    "anything (--compare, --compare-modes)");
	if (o->stdin_image && (!o->to_stdout || o->npaths > 0 ||
	    o->files_from != NULL))
		return g_strdup("--stdin-image reads the one image from "
		    "standard input: give -o - and no PATH");
	if (o->to_stdout && !o->stdin_image && (o->npaths != 1 ||
	    o->files_from != NULL || strcmp(o->paths[0], "-") == 0))
		return g_strdup("-o - writes one thumbnail: give exactly one "
		    "file, or --stdin-image");
	if (o->to_stdout && o->thumb.nboxes > 1)
		return g_strdup("-o - writes one thumbnail: give one size");
	if (o->to_stdout && (o->json || o->dry_run || timing || o->shards ||
	    o->output_template != NULL))
		return g_strdup("-o - writes the image on standard output: not "
		    "with --json, --dry-run, --compare, --shard or "
		    "--output-template");
	if (o->npaths == 0 && o->files_from == NULL && !o->stdin_image)
		return g_strdup("no PATH given");
	if (o->watch && (o->to_stdout || o->dry_run || timing))
		return g_strdup("--watch thumbnails into a folder until "
		    "stopped: not with -o -, --dry-run or --compare");
	if (o->watch && o->files_from != NULL)
		return g_strdup("--watch watches folders: not with "
		    "--files-from");
	if (o->watch && reads_a_list(o))
		return g_strdup("--watch watches folders: not with a list on "
		    "standard input");
	if (o->prune && (o->to_stdout || timing ||
	    o->output_template != NULL || g->freedesktop))
		return g_strdup("--prune removes thumbnails in the folder "
		    "that mirrors its PATH: not with -o -, --compare, "
		    "--output-template or --freedesktop");
	if (o->prune && !one_folder(o))
		return g_strdup("--prune needs exactly one PATH, a folder: the "
		    "thumbnails of several PATHs or of files meet in the "
		    "output folder");
	return NULL;
}

/* What follows from several options at once, once they agree. */
static void
finish(struct opts *o, const struct given *g)
{
	if (g->freedesktop) {
		if (o->freedesktop_size == NULL)
			o->freedesktop_size = g_strdup("normal");
		o->thumb.width = o->thumb.height = freedesktop_box(
		    o->freedesktop_size);
		/* A file manager shows the picture, not a blurred one. */
		if (g->blur == NULL)
			o->thumb.blur = 0;
		/* $XDG_CACHE_HOME/thumbnails, ~/.cache/thumbnails. */
		o->outdir = g_build_filename(g_get_user_cache_dir(),
		    "thumbnails", NULL);
	}
	if (o->outdir == NULL)
		o->outdir = g_strdup("thumbs");
	o->thumb.outdir = o->outdir;
}

int
options_parse(int argc, char **argv, struct opts *o, char **msg)
{
	struct given g = {0};
	GOptionContext *ctx;
	GError *err = NULL;
	char **args;
	int rc = -1;

	memset(o, 0, sizeof(*o));
	/* --help's text is GLib's UTF-8, which g_print() would convert to
	   the locale's charset: in the C locale "[OPTION\u2026]" became
	   "[OPTION?]". */
	g_set_print_handler(print_help_text);
	ctx = new_context(&g);
	args = join_values(argc, argv);
	/* The _strv variant frees the arguments it consumes. */
	if (!g_option_context_parse_strv(ctx, &args, &err)) {
		*msg = g_strdup(err->message);
		goto out;
	}
	if (g.version) {
		o->show_version = true; /* nothing else is looked at */
		rc = 0;
		goto out;
	}
	set_defaults(o, &g);
	if ((*msg = set_values(o, &g)) != NULL)
		goto out;
	take_paths(o, args);
	if ((*msg = check_combinations(o, &g)) != NULL)
		goto out;
	finish(o, &g);
	rc = 0;
out:
	if (rc != 0)
		options_free(o);
	for (size_t i = 0; i < G_N_ELEMENTS(options); i++)
		if (options[i].arg != G_OPTION_ARG_NONE)
			g_free(*(char **)((char *)&g + options[i].at));
	g_clear_error(&err);
	g_strfreev(args);
	g_option_context_free(ctx);
	return rc;
}

void
options_free(struct opts *o)
{
	g_free((char *)o->outdir);
	g_free((char *)o->format);
	g_free((char *)o->output_template);
	g_free((char *)o->freedesktop_size);
	g_free((char *)o->files_from);
	g_free(o->shard_from);
	g_strfreev(o->paths);
	memset(o, 0, sizeof(*o));
}
