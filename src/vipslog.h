/*
 * vipslog: what libvips and its decoders log, caught as text.
 *
 * libvips reports warnings ("not enough data", "Premature end of JPEG
 * file") through GLib's log, not through its error buffer; a thumbnail's
 * result carries them. Each message is kept once (decoders repeat
 * themselves row by row), messages are joined with "; ", trailing white
 * space goes, and no more is kept than a result can carry.
 *
 * The catch holds GLib's default handler and libvips' domain handler
 * from vipslog_start() to vipslog_stop(): one catch per process at a time.
 */
#ifndef PTHUMB_VIPSLOG_H
#define PTHUMB_VIPSLOG_H

#include <stdbool.h>

#include <glib.h>

struct vipslog {
	GString *text;  /* what was caught */
	GMutex *lock;   /* held while adding, when threads log at once; or
			   NULL */
	guint handler;  /* libvips' domain handler */
};

/* Catch from now on into log->text (made here), under lock (or NULL). */
void vipslog_start(struct vipslog *log, GMutex *lock);

/* Give the log back to GLib's default handler and free the text. */
void vipslog_stop(struct vipslog *log);

#endif
