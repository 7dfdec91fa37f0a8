/*
 * prune: --prune removes the thumbnails pthumb made whose source is gone.
 *
 * It never causes a mass deletion. It looks only into the output folder
 * that mirrors a source folder this run read whole (every entry name,
 * without error), and only when nothing in the walk failed: one walk
 * error, one PATH that is not there, and nothing is pruned. A source
 * folder with no entries at all may be a disk that is not mounted: its
 * mirror is left alone. A file there is removed only if it carries
 * pthumb's record (record.h), the record names a source that is not an
 * entry of the mirrored folder, and its path hashes to this run's shard;
 * and only if its source is still not there just before (the listing may
 * be old), and the file is still the one whose record was read. A
 * subfolder of the mirror whose source folder is not there is pruned down
 * its tree only when --watch saw that folder deleted or moved out: a walk
 * cannot tell a folder deleted from a share not mounted, so it only says
 * so. Nothing is followed through a symbolic link. Hidden files, files
 * without a record and folders are never removed. With dry_run, what
 * would be removed is listed instead.
 *
 * The layout must mirror the sources (OUT/<path under PATH>, or
 * OUT/<label>/... per box): options.c refuses --prune with a template,
 * the thumbnail cache, or a PATH that is not a folder.
 */
#ifndef PTHUMB_PRUNE_H
#define PTHUMB_PRUNE_H

#include <stdbool.h>

#include <glib.h> /* GPtrArray */

#include "options.h" /* struct thumb_opts */

struct prune_config {
	const char *outdir;
	const struct thumb_opts *thumb; /* its boxes' labels */
	unsigned shard, shards;         /* 0 shards: every file is ours */
	bool dry_run;
};

/* What prune_run() did at one output path. */
enum prune_what {
	PRUNE_REMOVED,     /* a thumbnail removed (with dry_run: to be) */
	PRUNE_FAILED,      /* ... could not be: err */
	PRUNE_KEPT_FOLDER, /* a folder whose source folder is not there
			      but was not seen to go: kept (a share not
			      mounted looks the same) */
};

typedef void prune_report_fn(void *data, const char *out,
    enum prune_what what, int err);

struct prune;

struct prune *prune_new(const struct prune_config *cfg);

/* A source folder read whole: where it is, its path under its PATH (""
   at the top) and every entry name in it. Its mirror is pruned at the
   next prune_run(). */
void prune_folder_read(struct prune *p, const char *path, const char *rel,
    const GPtrArray *names);

/* A source folder seen to be deleted or moved out (--watch): its mirror
   may be pruned whole once its parent's is. */
void prune_folder_gone(struct prune *p, const char *rel);

/* The walk failed somewhere: nothing is pruned in this run. The first
   reason is kept for prune_run() to say. */
void prune_forbid(struct prune *p, const char *why);

/* Prune the mirrors of the folders read since the last call; report each
   path. Returns the reason nothing was pruned, or NULL. */
const char *prune_run(struct prune *p, prune_report_fn *report, void *data);

void prune_free(struct prune *p);

#endif
