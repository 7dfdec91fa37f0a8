/*
 * output: where a thumbnail goes and how it gets there atomically.
 *
 * Naming (parent, once per input): its targets, every thumbnail it gets
 * with its box: OUT/<rel> (or OUT/<label>/<rel> for each box of -s
 * 64,256), renamed by --output-template, with the suffix replaced by
 * --format or ".png" appended when libvips cannot write the input's
 * format; or the thumbnail cache's file. Jobs and the wire carry them;
 * nothing else names a thumbnail.
 *
 * Saving (worker): the thumbnail is written to a temporary file in the
 * destination folder, named for its owner (below) so that the parent can
 * remove what a dead worker left and a later run what a dead run left,
 * created with mode 0666 & ~umask, and moved to the final name only when
 * complete. A thumbnail is either complete or absent.
 *
 * Replacing (parent and worker): pthumb replaces only what it made. Every
 * thumbnail carries a record (record.h); the file at a thumbnail's path is
 * classified by output_check_at(), and output_commit_at() checks again just
 * before the move.
 */
#ifndef PTHUMB_OUTPUT_H
#define PTHUMB_OUTPUT_H

#include <stdbool.h>
#include <sys/stat.h>
#include <stdint.h>
#include <sys/types.h>

#include <glib.h> /* GHashTable */

#include "options.h" /* struct thumb_opts, MAX_SIZES */

/* One thumbnail of an input: where it goes, and its box. */
struct target {
	char *path;
	int width, height;
};

/* How the thumbnails of a run are written. */
enum output_kind {
	OUTPUT_FILES, /* each with its record, through a temporary file,
			 replacing only what pthumb made */
	OUTPUT_CACHE, /* --freedesktop: the cache's PNG (freedesktop.h) */
};

/* Every thumbnail of one input: one, or one per box of -s 64,256. */
struct targets {
	enum output_kind kind;
	int n;        /* 0: none (a file the scan could not read) */
	struct target t[MAX_SIZES];
};

/*
 * The output layout of a run: what the command line says of where
 * thumbnails go. The parent makes it once and computes each input's
 * targets from it; workers only write where a job says.
 *
 * Whether libvips can write an input's format decides its thumbnail's
 * name (".png" appended when it cannot), so the caller says how to ask
 * (can_save, given a suffix such as ".jpg"); the answers are remembered.
 */
struct output_layout_config {
	const struct thumb_opts *thumb; /* the output folder and the boxes:
					   more than one means
					   OUTDIR/<label>/... each */
	const char *format;      /* --format: a suffix without the dot, or
				    NULL */
	const char *tmpl;        /* --output-template, or NULL */
	const char *cache_size;  /* --freedesktop: the cache's size folder
				    ("large"), or NULL */
	bool (*can_save)(const char *suffix);
};

struct output_layout *output_layout_new(
    const struct output_layout_config *cfg);
void output_layout_free(struct output_layout *l);

/*
 * The targets of the input at path (absolute or from the current folder),
 * rel under its PATH: the files OUTDIR/<rel> (renamed by the template,
 * converted to the format) or OUTDIR/<label>/<rel> per box, or its cache
 * file. Clear them with output_targets_clear().
 */
void output_targets(struct output_layout *l, const char *path,
    const char *rel, struct targets *ts);
void output_targets_clear(struct targets *ts);

/*
 * The path that names the thumbnails of rel among its folder's: the first
 * target's (the others follow from it). New string. Not for the cache,
 * which names a thumbnail by its source's URI.
 */
char *output_name(struct output_layout *l, const char *rel);

/*
 * Temporary files are named for the run that owns them:
 *   .pthumb-PLACE-PID-START-WORKER-NAME.tmp
 * PLACE is a hash of the host name, the kernel's boot id and the pid
 * namespace (where a pid means the same process), PID and START the run's
 * process and its start time (pids are reused), WORKER the pid of the
 * process writing it, NAME a hash of the final name. A later run removes
 * those whose run is gone (output_clean_leftovers).
 *
 * output_owner_init() learns this process's PLACE, PID and START: call it
 * once in the parent before any worker is forked (they inherit it).
 */
void output_owner_init(void);

/*
 * Remove the temporary files in the folder open at dirfd whose run is
 * gone: on this host, since this boot, in this pid namespace, a run whose
 * pid is dead or now another process's (start time); elsewhere, files
 * untouched for OUTPUT_FOREIGN_TMP_AGE seconds. Never this run's, never a
 * live run's. Returns how many were removed.
 */
#define OUTPUT_FOREIGN_TMP_AGE (24 * 60 * 60)
int output_clean_leftovers(int dirfd);

/* The temporary file the worker with this pid uses for `final`: its
   path, or its name in final's folder. New strings. */
char *output_tmp_path(const char *final, pid_t worker);
char *output_tmp_name(const char *final, pid_t worker);

/*
 * Open the folder that holds `final`, a path under the output folder
 * `root`, following no symbolic link below root (root itself may be one
 * the user gave), and creating missing folders when `create`. Returns a
 * descriptor, or -1 with errno (ELOOP: a link, or ENOTDIR: a file, where
 * a folder should be) and, in *where (when not NULL), the path that is
 * not a folder (new string).
 */
int output_open_dir(const char *root, const char *final, bool create,
    char **where);

/*
 * The last folder output_open_dir() opened, kept for the next file: files
 * come folder by folder, so a folder of small images is opened once, not
 * once per file. Zero-initialised, then .fd = -1; the owner closes it
 * with output_dir_close().
 */
struct output_dir {
	char *path; /* the folder of the last final asked for, or NULL */
	int fd;     /* its descriptor, or -1 */
};

/*
 * The folder of final, from the cache when it is the one kept (unless
 * again: the kept one was found gone), else opened with output_open_dir()
 * and kept. *fresh (when not NULL) says it was opened now. -1 as
 * output_open_dir() returns it, with errno and *where.
 */
int output_dir_of(struct output_dir *c, const char *root, const char *final,
    bool create, bool again, bool *fresh, char **where);

void output_dir_close(struct output_dir *c);

/* What is at a thumbnail's path, as the rule "pthumb replaces only what
   it made" sees it. */
enum output_state {
	OUTPUT_ABSENT,     /* nothing: make it */
	OUTPUT_EMPTY,      /* an empty file: it holds nothing; replace it */
	OUTPUT_FOREIGN,    /* no record, or not a regular file: not ours */
	OUTPUT_IS_INPUT,   /* the source file itself */
	OUTPUT_OTHERS,     /* pthumb's thumbnail of another source */
	OUTPUT_TRUNCATED,  /* ours, but not the length its record says */
	OUTPUT_DAMAGED,    /* ours, but not the bytes its record sums
			      (output_verify_at only) */
	OUTPUT_SOURCE_CHANGED,  /* ours, of the source as it was */
	OUTPUT_OPTIONS_CHANGED, /* ours, made with other options */
	OUTPUT_FRESH,      /* ours, of this source, with these options */
	OUTPUT_UNREADABLE, /* it could not be read (errno) */
};

/*
 * What is at the entry `name` of the folder open at dirfd for the source
 * whose stat is src and whose record would be `source` and `options`
 * (record.h). Reads the record without following a link or waiting on a
 * FIFO.
 */
enum output_state output_check_at(int dirfd, const char *name,
    const struct stat *src, uint64_t source, uint64_t options);

/*
 * Read the file `name` of the folder open at dirfd whole and check it
 * against its record (record_verify): 1 whole, 0 damaged or without a
 * record, -1 with errno.
 */
int output_verify_at(int dirfd, const char *name);

/*
 * Create the temporary file `name` in the folder open at dirfd (replacing
 * a stale one left by an earlier process with the same pid). Returns an
 * fd, or -1 with errno set.
 */
int output_create_tmp_at(int dirfd, const char *name);

/* Create the folder holding `final` and its parents, of mode `mode`
   (& ~umask). 0, or -1 with errno. */
int output_make_folder(const char *final, mode_t mode);

/*
 * Write data (len bytes) to `final` atomically: a temporary file of mode
 * `mode` (& ~umask) in its folder, moved over whatever is there: for
 * files pthumb alone writes (the thumbnail cache's). With sync, the file
 * and then its folder reach the disk. 0, or -1 with errno.
 */
int output_write_file(const char *final, const void *data, size_t len,
    mode_t mode, bool sync);

/*
 * Move the complete temporary file tmp to `name`, both entries of the
 * folder open at dirfd, replacing only what pthumb may replace: an empty
 * file, its own thumbnail of this source, and (with replace_unrecorded) a
 * file without a record; never the source itself. A name found free is
 * taken without replacing what another process put there meanwhile.
 * `final` is the path the messages name. 0, or -1 with the cause in why
 * (errno kept for I/O).
 */
int output_commit_at(int dirfd, const char *tmp, const char *name,
    const char *final, const struct stat *src, uint64_t source,
    bool replace_unrecorded, char *why, size_t size);

#endif
