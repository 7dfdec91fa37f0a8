/*
 * options: the command line, parsed once into one struct opts.
 *
 * Nothing else in pthumb reads argv. The struct is filled by options_parse()
 * and read-only afterwards; every module that needs a setting takes a
 * const pointer to it (or to the part that concerns it).
 */
#ifndef PTHUMB_OPTIONS_H
#define PTHUMB_OPTIONS_H

#include <stdbool.h>


/* What to do with an image that decodes only with damage. */
enum damage_policy {
	DAMAGE_WARN,          /* default: fail on errors, write truncated or
				 damaged images with status warning */
	DAMAGE_FAIL_NONE,     /* --fail-on none: never fail on damage */
	DAMAGE_FAIL_TRUNCATED,/* --fail-on truncated */
	DAMAGE_FAIL_ERROR,    /* --fail-on error */
	DAMAGE_FAIL_WARNING,  /* --fail-on warning, --strict: any damage */
};

/* How a thumbnail meets its box. */
enum crop {
	CROP_NONE,      /* fit inside the box, keep the whole picture */
	CROP_CENTRE,    /* --crop: fill the box, cut the overhang evenly */
	CROP_ATTENTION, /* --smartcrop attention: keep what draws the eye */
	CROP_ENTROPY,   /* --smartcrop entropy: keep the busiest part */
};

/* Sizes one decode can make (-s 64,256,1024). */
#define MAX_SIZES 8

/* One box of a multi-size run, and the folder its thumbnails go in. */
struct thumb_box {
	int width, height;
	char label[24]; /* as given: "256", "320x200" */
};

/* What the thumbnail pipeline needs to know; inherited by workers at fork. */
struct thumb_opts {
	int width;        /* box, pixels (the first of boxes) */
	int height;
	int nboxes;       /* more than 1: OUT/<label>/... per box */
	const char *outdir; /* the output folder (struct opts owns it) */
	struct thumb_box boxes[MAX_SIZES];
	double blur;      /* Gaussian sigma in source pixels; 0 = none */
	bool exact;       /* literal pipeline: full decode, blur, resize */
	int quality;      /* lossy savers' Q; 0 = the saver's default */
	enum damage_policy damage;
	long long max_pixels; /* refuse larger images before decoding */
	enum crop crop;
	bool keep_profile;  /* no conversion to sRGB; the profile is kept */
	bool keep_metadata; /* EXIF, XMP, IPTC and the profile are kept */
	double background[3]; /* RGB 0-255 under transparency, for JPEG */
	bool replace_unrecorded; /* files without pthumb's record at an
			       output path may be replaced */
	bool fsync;         /* each thumbnail and its folder reach the disk
			       before the next file */
};

/* How the files are spread over processes or threads (--mode). */
enum run_mode {
	MODE_POOL,       /* default: N worker processes forked once, each
			    given one file at a time */
	MODE_SPAWN,      /* one process forked per file, at most N at once */
	MODE_THREADS,    /* one process, N threads */
	MODE_SEQUENTIAL, /* one process, no workers: the timing baseline */
};

/* "pool", "spawn", ... as the command line and the reports spell them. */
const char *options_mode_name(enum run_mode m);

/* Other tools' limit for libvips: 0x3FFF squared. */
#define DEFAULT_MAX_PIXELS (16383LL * 16383LL)

struct opts {
	struct thumb_opts thumb;
	int jobs;               /* worker processes */
	double timeout;         /* seconds per image before the worker is
				   killed */
	long long worker_memory; /* bytes of data segment per worker */
	const char *outdir;     /* output folder */
	const char *format;     /* output suffix without dot, or NULL = input's */
	const char *output_template; /* --output-template, or NULL */
	unsigned shard, shards; /* --shard K/N: do shard K of N; 0 = all */
	char *shard_from;       /* --shard auto: whence K and N, or NULL */
	bool dry_run;           /* list what would be done, write nothing */
	bool to_stdout;         /* -o -: one thumbnail to standard output */
	bool stdin_image;       /* --stdin-image: the image is standard input */
	const char *freedesktop_size; /* --freedesktop: "normal", ...; or
				   NULL */
	const char *files_from; /* list of paths, "-" = stdin, or NULL */
	bool null_sep;          /* list is NUL-separated */
	bool force;             /* redo up-to-date thumbnails */
	bool verify;            /* an up-to-date thumbnail's bytes are read
				   and checked against its record */
	bool show_version;      /* --version: print it, do nothing else */
	bool watch;             /* --watch: then the files that arrive */
	bool prune;             /* --prune: thumbnails whose source is gone */
	bool json;              /* JSON lines on stdout */
	bool quiet;             /* errors and summary only */
	enum run_mode mode;     /* --mode; --sequential = sequential */
	int max_tasks;          /* pool: a worker is replaced after this
				   many files; 0 = never */
	bool follow;            /* follow symlinked folders */
	bool allow_untrusted;   /* unblock loaders marked untrusted */
	bool compare;           /* time sequential against the pool */
	int compare_jobs[16];   /* pool sizes to time; 0-terminated; empty
				   means just jobs */
	bool compare_modes;     /* time every mode on the same files */
	bool keep;              /* keep --compare's output folders */
	char **paths;           /* PATH arguments, NULL-terminated */
	int npaths;
};

/*
 * Parse argv into *o (argv is left as it is). Returns 0, or -1 with a
 * one-line message (no program name, no newline) in *msg, which the caller
 * frees with g_free().
 */
int options_parse(int argc, char **argv, struct opts *o, char **msg);

/* Release what options_parse() allocated. */
void options_free(struct opts *o);

#endif
