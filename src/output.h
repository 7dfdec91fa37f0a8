/*
 * output: where a thumbnail goes and how it gets there atomically.
 *
 * Naming (parent): OUT/<rel>, with the suffix replaced by --format, or
 * ".png" appended when libvips cannot write the input's format.
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

/* Can libvips write files with this suffix (".jpg") to a target? */
bool output_can_save(const char *suffix);

/*
 * Answers of output_can_save() by suffix, so that asking libvips' type
 * system (a walk over every saver class) happens once per suffix, not once
 * per file. Owned by the caller: g_hash_table_unref() it.
 */
GHashTable *output_memo_new(void);

/*
 * rel renamed by an --output-template (options_check_template() has
 * accepted it): %s the stem of rel's base name, %e its extension without
 * the dot, %d its folder ("" at the top), %% a '%'; empty and "."
 * components dropped. Returns a new string.
 */
char *output_apply_template(const char *tmpl, const char *rel);

/*
 * The final path for rel under outdir: renamed by tmpl when not NULL,
 * converted to `format` (a suffix without the dot) when not NULL. memo
 * (from output_memo_new(), or NULL) remembers which suffixes can be saved.
 * Returns a new string.
 */
char *output_path(const char *outdir, const char *rel, const char *tmpl,
    const char *format, GHashTable *memo);

/*
 * Multi-size runs (-s 64,256): the thumbnail for the box labelled `label`
 * of the one whose path is out0 = OUTDIR/<label0>/REST: OUTDIR/<label>/REST.
 * New string, or NULL if out0 is not under OUTDIR/<label0>.
 */
char *output_for_box(const char *out0, const char *outdir,
    const char *label0, const char *label);

/* The suffix of a path's base name including the dot, or "" if none. */
const char *output_suffix(const char *path);

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
