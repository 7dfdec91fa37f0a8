/*
 * watch: Linux inotify on the folders of a walk, for --watch (scan.h).
 *
 * A folder is watched before it is read, so a file that arrives while it
 * is walked is seen either by the walk or by an event. A file is taken
 * when it is closed after writing (IN_CLOSE_WRITE) or moved in
 * (IN_MOVED_TO): never while it is still being written. A folder created
 * or moved in is reported, for the scan to watch and walk. A full event
 * queue (IN_Q_OVERFLOW) asks for a rescan. No timers: the descriptor
 * joins the pool's ppoll().
 */
#ifndef PTHUMB_WATCH_H
#define PTHUMB_WATCH_H

#include <glib.h> /* GQueue */

enum watch_kind {
	WATCH_FILE,   /* a file closed after writing, or moved in */
	WATCH_FOLDER, /* a folder created or moved in */
	WATCH_RESCAN, /* events were lost: walk everything again */
	WATCH_GONE,   /* something was deleted or moved out of the folder
			 path (named rel) */
};

struct watch_event {
	enum watch_kind kind;
	char *path; /* NULL for WATCH_RESCAN */
	char *rel;  /* its name under the output folder */
	char *gone_rel; /* WATCH_GONE: the rel of the folder that went, or
			   NULL when a file went */
};

struct watch;

/* A new inotify instance, or NULL with errno. */
struct watch *watch_new(void);

/* The descriptor to sleep on (non-blocking). */
int watch_fd(const struct watch *w);

/* Watch folder `path`, named `rel` under the output folder. 0, or an
   errno (ENOSPC: the limit of watches is reached). */
int watch_add(struct watch *w, const char *path, const char *rel);

/* Append the events that are there (struct watch_event *, each freed with
   watch_event_free) to q; hidden names are left out. 0, or an errno. */
int watch_read(struct watch *w, GQueue *q);

void watch_event_free(struct watch_event *ev);
void watch_free(struct watch *w);

/* The message for ENOSPC from watch_add(): the limit, how to raise it. */
char *watch_limit_message(void);

#endif
