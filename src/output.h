/*
 * output: where a thumbnail goes and how it gets there atomically.
 *
 * Naming (parent): OUT/<rel>, with the suffix replaced by --format, or
 * ".png" appended when libvips cannot write the input's format.
 *
 * Saving (worker): the thumbnail is written to a temporary file in the
 * destination folder, named from the final name and the worker's pid
 * (".NAME.pthumb-PID.tmp") so the parent can remove what a dead worker
 * left, created with mode 0666 & ~umask, and renamed over the final name
 * only when complete. A thumbnail is either complete or absent.
 */
#ifndef PTHUMB_OUTPUT_H
#define PTHUMB_OUTPUT_H

#include <stdbool.h>
#include <sys/stat.h>
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

/* The temporary name a worker with this pid uses for `final`. New string. */
char *output_tmp_path(const char *final, pid_t pid);

/* Create the folder that will hold `final`, and its parents. 0 or -1. */
int output_mkdirs(const char *final);

enum output_state {
	OUTPUT_ABSENT,   /* no thumbnail yet */
	OUTPUT_STALE,    /* a thumbnail older than its source */
	OUTPUT_FRESH,    /* a thumbnail newer than its source */
	OUTPUT_IS_INPUT, /* `final` is the source file itself */
};

/* What is at `final` now, for the source described by src (one stat). */
enum output_state output_check(const char *final, const struct stat *src);

/*
 * Create the temporary file (replacing a stale one left by an earlier
 * process with the same pid). Returns an fd, or -1 with errno set.
 */
int output_create_tmp(const char *tmp);

/* Rename the complete temporary file into place. 0, or -1 with errno. */
int output_commit(const char *tmp, const char *final);

#endif
