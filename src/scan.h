/*
 * scan: turn the PATH arguments (and path lists) into a stream of image
 * files, one at a time, so the pool starts on the first files while a large
 * tree is still being walked.
 *
 * Folders are walked depth first with each folder's entries read whole and
 * sorted before descending (runs are repeatable, and readdir is never
 * interleaved with changes we make). Hidden entries are skipped; symlinked
 * folders are followed only with `follow`, and a folder already on the
 * current path is reported as a loop. FIFOs, devices and sockets found in a
 * folder are ignored silently. A file found in a folder is queued only when
 * its suffix is in the image list; a file named explicitly is always tried.
 *
 * With watch, every folder walked is watched first, and the scan never
 * ends: once walked, it says SCAN_WAIT on the watches' descriptor, then
 * hands out the files closed after writing or moved in, and walks the
 * folders made or moved in, named as the walk names them. A folder it
 * cannot watch is an error entry; the limit of watches is said once.
 */
#ifndef PTHUMB_SCAN_H
#define PTHUMB_SCAN_H

#include <stdbool.h>
#include <sys/stat.h>

#include <glib.h> /* GPtrArray */

struct scan_config {
	char **paths;           /* PATH arguments, NULL-terminated; "-" = list
				   on standard input */
	const char *files_from; /* a list file ("-" = stdin), or NULL */
	bool null_sep;          /* lists are NUL-separated */
	bool follow;            /* descend into symlinked folders */
	bool allow_untrusted;   /* widen the suffix list */
	const char *skip_dir;   /* a folder never to enter (the output), or
				   NULL */
	bool watch;             /* --watch: after the walk, the files that
				   arrive in the walked folders (watch.h) */
	/* Told of every folder read whole: where it is, its rel and entry
	   names (the walk's; with watch, again when something leaves it);
	   and, with watch, of each folder seen deleted or moved out (its
	   rel). Optional. */
	void (*folder_read)(void *data, const char *path, const char *rel,
	    const GPtrArray *names);
	void (*folder_gone)(void *data, const char *rel);
	void *data;
};

struct scan_entry {
	char *path;      /* what to open (owned by the entry) */
	char *rel;       /* name under the output folder (owned) */
	struct stat st;  /* stat of path, symlinks followed */
	int err;         /* nonzero: this entry reports an error: errno ... */
	const char *why; /* ... and what failed, e.g. "cannot open folder" */
	/* A file found in a folder walk: the folder (an id unique in the
	   scan, 0 for files named or listed), its rel ("" at the top) and
	   every entry name it holds, sorted. Borrowed until the next
	   scan_next(). */
	unsigned folder;
	const char *folder_rel;
	const GPtrArray *siblings;
};

struct scan;

/* Returns a scanner; the config's strings must outlive it. NULL, with
   errno, only when watch and inotify cannot be had. */
struct scan *scan_new(const struct scan_config *cfg);

enum scan_next {
	SCAN_END,   /* everything has been walked */
	SCAN_ENTRY, /* *e is the next file, or an error to report */
	SCAN_WAIT,  /* a list has nothing more yet: wait until
		       scan_wait_fd() is readable, then ask again */
};

/* The next file or error report. The caller owns e's strings:
   scan_entry_clear. */
enum scan_next scan_next(struct scan *s, struct scan_entry *e);

/* After SCAN_WAIT: the list's descriptor (pathlist.h), or the watches'. */
int scan_wait_fd(const struct scan *s);

void scan_entry_clear(struct scan_entry *e);
void scan_free(struct scan *s);

/* A folder's visible entries (no name starting with '.'), sorted, read
   whole: 0 with *names (a new array), or an errno. */
int scan_read_names(const char *path, GPtrArray **names);

/*
 * Map a path read from a list to a safe relative name: leading '/', '.' and
 * '..' components and repeated slashes dropped. Returns a new string.
 */
char *scan_list_rel(const char *path);

#endif
