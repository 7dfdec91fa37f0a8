/*
 * options: GOption table, value checks and defaults (see options.h); the
 * values themselves are parsed by optvalue.c.
 */
#include "options.h"

#include <limits.h> /* INT_MAX */
#include <stdio.h>  /* fputs */
#include <string.h> /* strcmp, strchr */
#include <sys/resource.h> /* getrlimit, RLIMIT_DATA */
#include <sys/stat.h>     /* stat */
#include <unistd.h> /* sysconf */

#include <glib.h> /* GOptionContext, g_ascii_strtod, g_strdup */

#include "shard.h" /* shard_resolve */

/* The least --worker-memory: a worker's threads and libvips itself need
   about 32 MiB before any pixel (measured: with less, even a 16x16 PNG
   fails; under 8 MiB GLib aborts the worker as it starts). */
#define WORKER_MEMORY_MIN (32LL << 20)

static int
online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > MAX_JOBS ? MAX_JOBS : (int)n;
}

/* The entry among groups (NULL-terminated arrays of entries) that takes a
   value and is named -c (long NULL) or --long (c 0), or NULL. */
static const GOptionEntry *
valued_entry(const GOptionEntry *const *groups, char c, const char *name,
    size_t len)
{
	for (; *groups != NULL; groups++)
		for (const GOptionEntry *e = *groups; e->long_name; e++) {
			if (e->arg == G_OPTION_ARG_NONE ||
			    (e->flags & (G_OPTION_FLAG_NO_ARG |
			    G_OPTION_FLAG_OPTIONAL_ARG)))
				continue;
			if (c != 0 ? e->short_name == c :
			    strlen(e->long_name) == len &&
			    strncmp(e->long_name, name, len) == 0)
				return e;
		}
	return NULL;
}

/*
 * An option that takes a value takes the next argument whole, as getopt
 * does: GOption splits "-o -bad" into -o, -b and "ad". Users also write
 * -j2 and -s256, as with make and vipsthumbnail. So before GOption sees
 * them (and up to "--"), "-o VALUE", "-oVALUE" and "--output VALUE" become
 * "--output=VALUE". Returns a new vector.
 */
static char **
join_values(int argc, char **argv, const GOptionEntry *const *groups)
{
	char **v = g_new0(char *, (size_t)argc + 1);
	int n = 0, i = 0;

	if (argc > 0)
		v[n++] = g_strdup(argv[i++]);
	for (; i < argc; i++) {
		const char *a = argv[i];
		const GOptionEntry *e = NULL;
		const char *value = NULL;

		if (strcmp(a, "--") == 0) {
			while (i < argc)
				v[n++] = g_strdup(argv[i++]);
			break;
		}
		if (a[0] == '-' && a[1] == '-' && strchr(a, '=') == NULL)
			e = valued_entry(groups, 0, a + 2, strlen(a + 2));
		else if (a[0] == '-' && a[1] != '-' && a[1] != '\0')
			e = valued_entry(groups, a[1], NULL, 0);
		if (e != NULL && a[1] != '-' && a[2] != '\0')
			value = a + 2;
		else if (e != NULL && i + 1 < argc)
			value = argv[++i];
		v[n++] = value != NULL ? g_strdup_printf("--%s=%s",
		    e->long_name, value) : g_strdup(a);
	}
	return v;
}

/* Values GOption hands back as strings; checked and converted below. */
struct raw {
	char *jobs, *size, *blur, *quality, *fail_on, *max_pixels, *timeout;
	char *memory, *compare_jobs, *mode, *max_tasks, *shard;
	char *background, *smartcrop, *fd_size;
};

/* The thumbnail cache's sizes and their boxes (freedesktop.h). */
static const struct {
	const char *name;
	int box;
} freedesktop_sizes[] = {
	{"normal", 128}, {"large", 256}, {"x-large", 512}, {"xx-large", 1024},
};

static int
freedesktop_box(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(freedesktop_sizes); i++)
		if (strcmp(name, freedesktop_sizes[i].name) == 0)
			return freedesktop_sizes[i].box;
	return 0;
}

static const char *const mode_names[] = {
	[MODE_POOL] = "pool",
	[MODE_SPAWN] = "spawn",
	[MODE_THREADS] = "threads",
	[MODE_SEQUENTIAL] = "sequential",
};

const char *
options_mode_name(enum run_mode m)
{
	return (size_t)m < G_N_ELEMENTS(mode_names) ? mode_names[m] :
	    "unknown";
}

static const char *const fail_on_names[] = {
	[DAMAGE_FAIL_NONE] = "none",
	[DAMAGE_FAIL_TRUNCATED] = "truncated",
	[DAMAGE_FAIL_ERROR] = "error",
	[DAMAGE_FAIL_WARNING] = "warning",
};

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

/* --prune removes only in the mirror of one folder it walks: what it
   cannot do with. NULL, or the message (new string). */
static char *
check_prune(const struct opts *o)
{
	struct stat st;

	if (o->to_stdout || o->compare || o->compare_modes ||
	    o->output_template != NULL || o->thumb.freedesktop)
		return g_strdup("--prune removes thumbnails in the folder "
		    "that mirrors its PATH: not with -o -, --compare, "
		    "--output-template or --freedesktop");
	if (o->npaths != 1 || o->files_from != NULL ||
	    stat(o->paths[0], &st) != 0 || !S_ISDIR(st.st_mode))
		return g_strdup("--prune needs exactly one PATH, a folder: the "
		    "thumbnails of several PATHs or of files meet in the "
		    "output folder");
	return NULL;
}

/* --watch keeps folders' thumbnails made as files arrive: what it cannot
   do with. NULL, or the message (new string). */
static char *
check_watch(const struct opts *o)
{
	if (o->to_stdout || o->dry_run || o->compare || o->compare_modes)
		return g_strdup("--watch thumbnails into a folder until "
		    "stopped: not with -o -, --dry-run or --compare");
	if (o->files_from != NULL)
		return g_strdup("--watch watches folders: not with "
		    "--files-from");
	for (int i = 0; i < o->npaths; i++)
		if (strcmp(o->paths[i], "-") == 0)
			return g_strdup("--watch watches folders: not with a "
			    "list on standard input");
	return NULL;
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

/* --help shows the main entries; each group has a --help-NAME. */
static void
add_group(GOptionContext *ctx, const char *name, const char *title,
    const char *help, const GOptionEntry *entries)
{
	GOptionGroup *g = g_option_group_new(name, title, help, NULL, NULL);

	g_option_group_add_entries(g, entries);
	g_option_context_add_group(ctx, g);
}

int
options_parse(int argc, char **argv, struct opts *o, char **msg)
{
	struct raw r = {0};
	char *outdir = NULL, *format = NULL, *files_from = NULL;
	char *output_template = NULL;
	gboolean exact = FALSE, force = FALSE, json = FALSE, quiet = FALSE;
	gboolean sequential = FALSE, follow = FALSE, untrusted = FALSE;
	gboolean null_sep = FALSE, strict = FALSE, compare = FALSE;
	gboolean keep = FALSE, compare_modes = FALSE, dry_run = FALSE;
	gboolean stdin_image = FALSE, crop = FALSE, keep_profile = FALSE;
	gboolean keep_metadata = FALSE, freedesktop = FALSE;
	gboolean replace_unrecorded = FALSE, verify = FALSE, fsync = FALSE;
	gboolean version = FALSE, watch = FALSE, prune = FALSE;
	GOptionEntry entries[] = {
		{"jobs", 'j', 0, G_OPTION_ARG_STRING, &r.jobs,
		 "worker processes (default: online CPUs)", "N"},
		{"size", 's', 0, G_OPTION_ARG_STRING, &r.size,
		 "fit thumbnails in this box (default 50x50); a list such as "
		 "64,256 makes OUT/64/..., OUT/256/... from one decode",
		 "WxH|N"},
		{"blur", 'b', 0, G_OPTION_ARG_STRING, &r.blur,
		 "Gaussian blur sigma in source pixels, 0 = none (default 2)",
		 "SIGMA"},
		{"output", 'o', 0, G_OPTION_ARG_FILENAME, &outdir,
		 "output folder (default thumbs); - = one thumbnail to "
		 "standard output", "DIR"},
		{"format", 'f', 0, G_OPTION_ARG_STRING, &format,
		 "output format: jpg, png, webp, tif, gif, heic, ... (default: "
		 "the input's)", "FMT"},
		{"quality", 'Q', 0, G_OPTION_ARG_STRING, &r.quality,
		 "quality of lossy formats, 1-100", "N"},
		{"force", 0, 0, G_OPTION_ARG_NONE, &force,
		 "redo thumbnails that are up to date", NULL},
		{"replace-unrecorded", 0, 0, G_OPTION_ARG_NONE,
		 &replace_unrecorded, "replace files at output paths that "
		 "carry no pthumb record (thumbnails made before records)",
		 NULL},
		{"verify", 0, 0, G_OPTION_ARG_NONE, &verify,
		 "read every up-to-date thumbnail and redo it if its bytes "
		 "are not those its record sums", NULL},
		{"fsync", 0, 0, G_OPTION_ARG_NONE, &fsync,
		 "flush each thumbnail and its folder to the disk before "
		 "going on (slower; for machines that may lose power)", NULL},
		{"dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run,
		 "list input, output and action; write nothing", NULL},
		{"json", 0, 0, G_OPTION_ARG_NONE, &json,
		 "print one JSON object per file and a summary on stdout", NULL},
		{"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet,
		 "print only errors and the summary", NULL},
		{"files-from", 0, 0, G_OPTION_ARG_FILENAME, &files_from,
		 "read paths from FILE, one per line (- = standard input)",
		 "FILE"},
		{"null", '0', 0, G_OPTION_ARG_NONE, &null_sep,
		 "paths in lists are NUL-separated (find -print0)", NULL},
		{"follow", 'L', 0, G_OPTION_ARG_NONE, &follow,
		 "follow symbolic links to folders", NULL},
		{"watch", 0, 0, G_OPTION_ARG_NONE, &watch,
		 "after the run, keep the workers and thumbnail each image "
		 "written or moved into a PATH until Ctrl-C (not with -o -, "
		 "-n, --compare, lists or --files-from)", NULL},
		{"prune", 0, 0, G_OPTION_ARG_NONE, &prune,
		 "remove the thumbnails pthumb made whose source is gone, "
		 "only where the walk read everything (one PATH folder; with "
		 "-n, list them)", NULL},
		{"version", 0, 0, G_OPTION_ARG_NONE, &version,
		 "print pthumb's and libvips' versions and the loaders in use",
		 NULL},
		{NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	GOptionEntry picture_entries[] = {
		{"output-template", 0, 0, G_OPTION_ARG_FILENAME,
		 &output_template, "name outputs: %s stem, %e extension, %d "
		 "folder, e.g. '%d/%s_thumb.webp'", "T"},
		{"crop", 0, 0, G_OPTION_ARG_NONE, &crop,
		 "fill the box exactly, cutting the overhang evenly", NULL},
		{"smartcrop", 0, 0, G_OPTION_ARG_STRING, &r.smartcrop,
		 "fill the box, keeping the part that matters: attention or "
		 "entropy", "HOW"},
		{"background", 0, 0, G_OPTION_ARG_STRING, &r.background,
		 "colour under transparency in JPEG: white (default), black, "
		 "#rrggbb or R,G,B", "COLOUR"},
		{"keep-profile", 0, 0, G_OPTION_ARG_NONE, &keep_profile,
		 "keep the colour profile instead of converting to sRGB", NULL},
		{"keep-metadata", 0, 0, G_OPTION_ARG_NONE, &keep_metadata,
		 "keep EXIF, XMP, IPTC and the profile", NULL},
		{"exact", 0, 0, G_OPTION_ARG_NONE, &exact,
		 "blur at full resolution, then resize (slow, literal)", NULL},
		{"freedesktop", 0, 0, G_OPTION_ARG_NONE, &freedesktop,
		 "write into the desktop's thumbnail cache (~/.cache/"
		 "thumbnails), unblurred unless -b", NULL},
		{"freedesktop-size", 0, 0, G_OPTION_ARG_STRING, &r.fd_size,
		 "normal (128, default), large, x-large or xx-large",
		 "SIZE"},
		{"stdin-image", 0, 0, G_OPTION_ARG_NONE, &stdin_image,
		 "the image is standard input (with -o -)", NULL},
		{NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	GOptionEntry timing_entries[] = {
		{"mode", 0, 0, G_OPTION_ARG_STRING, &r.mode,
		 "pool (default), spawn (a process per file), threads (no "
		 "crash isolation, timeouts or limits) or sequential", "MODE"},
		{"max-tasks-per-worker", 0, 0, G_OPTION_ARG_STRING,
		 &r.max_tasks, "pool: replace a worker after N files", "N"},
		{"sequential", 0, 0, G_OPTION_ARG_NONE, &sequential,
		 "one process, no workers: the timing baseline", NULL},
		{"compare", 0, 0, G_OPTION_ARG_NONE, &compare,
		 "time a sequential run against the pool on the same files",
		 NULL},
		{"compare-jobs", 0, 0, G_OPTION_ARG_STRING, &r.compare_jobs,
		 "with --compare: the pool sizes to time, e.g. 1,2,4,8",
		 "LIST"},
		{"compare-modes", 0, 0, G_OPTION_ARG_NONE, &compare_modes,
		 "time sequential, spawn, pool and threads on the same files",
		 NULL},
		{"keep", 0, 0, G_OPTION_ARG_NONE, &keep,
		 "with --compare(-modes): keep each run's output folder", NULL},
		{NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	GOptionEntry limits_entries[] = {
		{"shard", 0, 0, G_OPTION_ARG_STRING, &r.shard,
		 "do only shard K of N (by a hash of each thumbnail's path); "
		 "auto: this Slurm array task's, auto/N: JOB_COMPLETION_INDEX's",
		 "K/N"},
		{"strict", 0, 0, G_OPTION_ARG_NONE, &strict,
		 "fail damaged images instead of writing them with a warning",
		 NULL},
		{"fail-on", 0, 0, G_OPTION_ARG_STRING, &r.fail_on,
		 "fail images on this much damage: none, truncated, error or "
		 "warning", "LEVEL"},
		{"max-pixels", 0, 0, G_OPTION_ARG_STRING, &r.max_pixels,
		 "refuse images with more pixels (default 268402689)", "N"},
		{"timeout", 0, 0, G_OPTION_ARG_STRING, &r.timeout,
		 "seconds one image may take (default 60)", "SECONDS"},
		{"worker-memory", 0, 0, G_OPTION_ARG_STRING, &r.memory,
		 "data-segment limit of each worker, e.g. 2G, at least 32M "
		 "(default: memory / jobs, within ulimit -d)", "BYTES"},
		{"allow-untrusted", 0, 0, G_OPTION_ARG_NONE, &untrusted,
		 "allow loaders libvips marks untrusted (PDF, SVG, JPEG XL, ...)",
		 NULL},
		{NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	GOptionContext *ctx;
	GError *err = NULL;
	char **args;
	bool seen_dashes = false;
	int rc = -1;

	memset(o, 0, sizeof(*o));
	/* --help's text is GLib's UTF-8, which g_print() would convert to
	   the locale's charset: in the C locale "[OPTION\u2026]" became
	   "[OPTION?]". */
	g_set_print_handler(print_help_text);
	ctx = g_option_context_new("PATH... - thumbnail images in parallel");
	g_option_context_set_summary(ctx,
	    "Blur, resize and save a thumbnail of every image under each PATH\n"
	    "(files, folders searched recursively, or - for a list on standard\n"
	    "input) into the output folder, with a pool of worker processes.");
	g_option_context_set_description(ctx,
	    "Exit status: 0 all done or up to date, 1 some file failed,\n"
	    "2 usage error or the run could not start, 3 workers keep dying,\n"
	    "128+N stopped by signal N. More in pthumb(1).");
	g_option_context_add_main_entries(ctx, entries, NULL);
	add_group(ctx, "picture", "Picture and output options:",
	    "Show the picture and output options", picture_entries);
	add_group(ctx, "timing", "Execution models and timing:",
	    "Show the execution model and timing options", timing_entries);
	add_group(ctx, "limits", "Limits, damage and sharding:",
	    "Show the limit, damage and shard options", limits_entries);
	args = join_values(argc, argv, (const GOptionEntry *const[]){
	    entries, picture_entries, timing_entries, limits_entries, NULL});
	/* The _strv variant frees the arguments it consumes. */
	if (!g_option_context_parse_strv(ctx, &args, &err)) {
		*msg = g_strdup(err->message);
		goto out;
	}
	if (version) {
		o->show_version = true; /* nothing else is looked at */
		rc = 0;
		goto out;
	}

	o->jobs = online_cpus();
	o->thumb.width = o->thumb.height = 50;
	o->thumb.blur = 2.0;
	if (r.jobs && options_parse_int(r.jobs, 1, MAX_JOBS, &o->jobs) != 0) {
		*msg = g_strdup_printf("invalid --jobs '%s' (expected 1-%d)",
		    r.jobs, MAX_JOBS);
		goto out;
	}
	if (r.size && options_parse_sizes(r.size, &o->thumb) != 0) {
		*msg = g_strdup_printf("invalid --size '%s' (expected WxH or N, "
		    "1-%d, or up to %d different ones separated by commas)",
		    r.size, MAX_BOX, MAX_SIZES);
		goto out;
	}
	if (r.blur && options_parse_double(r.blur, 0, 1000,
	    &o->thumb.blur) != 0) {
		*msg = g_strdup_printf("invalid --blur '%s' (expected a sigma "
		    "of 0-1000)", r.blur);
		goto out;
	}
	if (r.quality && options_parse_int(r.quality, 1, 100,
	    &o->thumb.quality) != 0) {
		*msg = g_strdup_printf("invalid --quality '%s' (expected 1-100)",
		    r.quality);
		goto out;
	}
	o->thumb.max_pixels = DEFAULT_MAX_PIXELS;
	if (r.max_pixels && options_parse_bytes(r.max_pixels,
	    &o->thumb.max_pixels) != 0) {
		*msg = g_strdup_printf("invalid --max-pixels '%s' (expected a "
		    "positive number)", r.max_pixels);
		goto out;
	}
	o->timeout = 60;
	if (r.timeout && options_parse_double(r.timeout, 0.001, 1e6,
	    &o->timeout) != 0) {
		*msg = g_strdup_printf("invalid --timeout '%s' (expected "
		    "seconds, more than 0)", r.timeout);
		goto out;
	}
	o->worker_memory = default_worker_memory(o->jobs);
	if (r.memory && options_parse_bytes(r.memory, &o->worker_memory)
	    != 0) {
		*msg = g_strdup_printf("invalid --worker-memory '%s' (expected "
		    "bytes, e.g. 512M or 2G)", r.memory);
		goto out;
	}
	if ((*msg = check_worker_memory(&o->worker_memory, r.memory)) != NULL)
		goto out;
	if (r.compare_jobs && (!compare || options_parse_jobs_list(
	    r.compare_jobs, o->compare_jobs, G_N_ELEMENTS(o->compare_jobs))
	    != 0)) {
		*msg = g_strdup_printf("invalid --compare-jobs '%s' (expected "
		    "a list such as 1,2,4, with --compare)", r.compare_jobs);
		goto out;
	}
	o->mode = sequential ? MODE_SEQUENTIAL : MODE_POOL;
	if (r.mode) {
		size_t i;

		for (i = 0; i < G_N_ELEMENTS(mode_names); i++)
			if (strcmp(r.mode, mode_names[i]) == 0)
				break;
		if (i == G_N_ELEMENTS(mode_names) || (sequential &&
		    i != MODE_SEQUENTIAL)) {
			*msg = g_strdup_printf("invalid --mode '%s' (expected "
			    "pool, spawn, threads or sequential)", r.mode);
			goto out;
		}
		o->mode = (enum run_mode)i;
	}
	if (r.max_tasks && (options_parse_int(r.max_tasks, 1, INT_MAX,
	    &o->max_tasks) != 0 || (o->mode != MODE_POOL && !compare &&
	    !compare_modes))) {
		*msg = g_strdup_printf("invalid --max-tasks-per-worker '%s' "
		    "(expected a count of 1 or more, for the pool)",
		    r.max_tasks);
		goto out;
	}
	if ((o->mode == MODE_THREADS || o->mode == MODE_SEQUENTIAL) &&
	    (r.timeout || r.memory)) {
		*msg = g_strdup_printf("%s needs worker processes: images "
		    "run in pthumb's own process cannot be stopped or limited "
		    "one by one (--mode %s)", r.timeout ? "--timeout" :
		    "--worker-memory", options_mode_name(o->mode));
		goto out;
	}
	if ((compare || compare_modes) && (sequential || r.mode)) {
		*msg = g_strdup("--compare and --compare-modes choose the "
		    "modes they time; leave out --mode and --sequential");
		goto out;
	}
	if (compare && compare_modes) {
		*msg = g_strdup("give --compare or --compare-modes, not both");
		goto out;
	}
	o->compare = compare;
	o->compare_modes = compare_modes;
	o->keep = keep;
	o->thumb.damage = strict ? DAMAGE_FAIL_WARNING : DAMAGE_WARN;
	if (r.fail_on) {
		size_t i;

		for (i = DAMAGE_FAIL_NONE; i < G_N_ELEMENTS(fail_on_names); i++)
			if (strcmp(r.fail_on, fail_on_names[i]) == 0)
				break;
		if (i == G_N_ELEMENTS(fail_on_names) || strict) {
			*msg = g_strdup_printf("invalid --fail-on '%s' (expected "
			    "none, truncated, error or warning, without "
			    "--strict)", r.fail_on);
			goto out;
		}
		o->thumb.damage = (enum damage_policy)i;
	}
	if (format != NULL && (*format == '\0' || strchr(format, '/') ||
	    strchr(format, '.'))) {
		*msg = g_strdup_printf("invalid --format '%s' (expected a "
		    "suffix such as jpg or webp)", format);
		goto out;
	}
	o->thumb.background[0] = o->thumb.background[1] =
	    o->thumb.background[2] = 255;
	if (r.background && options_parse_colour(r.background,
	    o->thumb.background) != 0) {
		*msg = g_strdup_printf("invalid --background '%s' (expected "
		    "white, black, #rrggbb or R,G,B)", r.background);
		goto out;
	}
	o->thumb.crop = crop ? CROP_CENTRE : CROP_NONE;
	if (r.smartcrop) {
		if (crop || (strcmp(r.smartcrop, "attention") != 0 &&
		    strcmp(r.smartcrop, "entropy") != 0)) {
			*msg = g_strdup_printf("invalid --smartcrop '%s' "
			    "(expected attention or entropy, without --crop)",
			    r.smartcrop);
			goto out;
		}
		o->thumb.crop = r.smartcrop[0] == 'a' ? CROP_ATTENTION
		    : CROP_ENTROPY;
	}
	o->thumb.keep_profile = keep_profile;
	if (r.fd_size && (!freedesktop || freedesktop_box(r.fd_size) == 0)) {
		*msg = g_strdup_printf("invalid --freedesktop-size '%s' "
		    "(expected normal, large, x-large or xx-large, with "
		    "--freedesktop)", r.fd_size);
		goto out;
	}
	if (freedesktop) {
		if (outdir != NULL || format != NULL || output_template != NULL
		    || r.size || o->thumb.crop != CROP_NONE) {
			*msg = g_strdup("--freedesktop decides the folder, "
			    "name, format and size: not with -o, -f, -s, "
			    "--output-template or a crop");
			goto out;
		}
		o->freedesktop_size = g_strdup(r.fd_size ? r.fd_size
		    : "normal");
		o->thumb.width = o->thumb.height = freedesktop_box(
		    o->freedesktop_size);
		/* A file manager shows the picture, not a blurred one. */
		if (!r.blur)
			o->thumb.blur = 0;
		o->thumb.freedesktop = true;
		/* $XDG_CACHE_HOME/thumbnails, ~/.cache/thumbnails. */
		outdir = g_build_filename(g_get_user_cache_dir(), "thumbnails",
		    NULL);
	}
	o->thumb.keep_metadata = keep_metadata;
	if (r.shard && shard_resolve(r.shard, &o->shard, &o->shards,
	    &o->shard_from, msg) != 0)
		goto out;
	if (output_template != NULL) {
		const char *why;

		if (options_check_template(output_template, &why) != 0) {
			*msg = g_strdup_printf("invalid --output-template '%s' "
			    "(%s)", output_template, why);
			goto out;
		}
	}
	if (dry_run && (compare || compare_modes)) {
		*msg = g_strdup("--dry-run writes nothing; it cannot time "
		    "anything (--compare, --compare-modes)");
		goto out;
	}
	if (outdir != NULL && *outdir == '\0') {
		*msg = g_strdup("invalid --output '' (expected a folder)");
		goto out;
	}
	argc = (int)g_strv_length(args);
	argv = args;

	o->thumb.exact = exact;
	o->outdir = outdir ? outdir : g_strdup("thumbs");
	o->thumb.outdir = o->outdir;
	outdir = NULL;
	o->format = format;
	format = NULL;
	o->output_template = output_template;
	output_template = NULL;
	o->dry_run = dry_run;
	o->files_from = files_from;
	files_from = NULL;
	o->null_sep = null_sep;
	o->force = force;
	o->thumb.replace_unrecorded = replace_unrecorded;
	o->thumb.fsync = fsync;
	o->verify = verify;
	o->json = json;
	o->quiet = quiet;
	o->follow = follow;
	o->allow_untrusted = untrusted;
	/* GOption leaves the "--" that ends the options among the rest. */
	o->paths = g_new0(char *, argc);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0 && !seen_dashes) {
			seen_dashes = true;
			continue;
		}
		o->paths[o->npaths++] = g_strdup(argv[i]);
	}
	o->to_stdout = strcmp(o->outdir, "-") == 0;
	o->stdin_image = stdin_image;
	if (stdin_image && (!o->to_stdout || o->npaths > 0 ||
	    o->files_from != NULL)) {
		*msg = g_strdup("--stdin-image reads the one image from "
		    "standard input: give -o - and no PATH");
		goto out;
	}
	if (o->to_stdout && !stdin_image && (o->npaths != 1 ||
	    o->files_from != NULL || strcmp(o->paths[0], "-") == 0)) {
		*msg = g_strdup("-o - writes one thumbnail: give exactly one "
		    "file, or --stdin-image");
		goto out;
	}
	if (o->to_stdout && o->thumb.nboxes > 1) {
		*msg = g_strdup("-o - writes one thumbnail: give one size");
		goto out;
	}
	if (o->to_stdout && (o->json || o->dry_run || o->compare ||
	    o->compare_modes || o->shards || o->output_template)) {
		*msg = g_strdup("-o - writes the image on standard output: not "
		    "with --json, --dry-run, --compare, --shard or "
		    "--output-template");
		goto out;
	}
	if (o->npaths == 0 && o->files_from == NULL && !stdin_image) {
		*msg = g_strdup("no PATH given");
		goto out;
	}
	o->watch = watch;
	if (watch && (*msg = check_watch(o)) != NULL)
		goto out;
	o->prune = prune;
	if (prune && (*msg = check_prune(o)) != NULL)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		options_free(o);
	g_free(r.jobs);
	g_free(r.size);
	g_free(r.blur);
	g_free(r.quality);
	g_free(r.fail_on);
	g_free(r.max_pixels);
	g_free(r.timeout);
	g_free(r.memory);
	g_free(r.compare_jobs);
	g_free(r.mode);
	g_free(r.max_tasks);
	g_free(r.shard);
	g_free(r.background);
	g_free(r.smartcrop);
	g_free(r.fd_size);
	g_free(output_template);
	g_free(outdir);
	g_free(format);
	g_free(files_from);
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
