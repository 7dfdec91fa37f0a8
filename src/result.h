/*
 * result: what became of one file. Produced by the thumbnail pipeline (or
 * by the parent for files it settles itself: skipped, collisions, dead
 * workers), carried over the wire, and printed by report.
 */
#ifndef PTHUMB_RESULT_H
#define PTHUMB_RESULT_H

#include <limits.h> /* PATH_MAX */
#include <sys/types.h>

enum status {
	STATUS_OK,      /* thumbnail written */
	STATUS_WARNING, /* written, but the image was damaged */
	STATUS_ERROR,   /* no thumbnail */
	STATUS_TIMEOUT, /* no thumbnail: the worker took too long */
	STATUS_SKIPPED, /* thumbnail already up to date */
	STATUS_LAST
};

/* Text kept per file; longer warning text is cut. An error has room for
   two whole paths (a collision names both) and its cause. */
#define RESULT_ERROR_MAX (2 * PATH_MAX + 512)
#define RESULT_WARNINGS_MAX 1024
#define RESULT_DETAIL_MAX 1024

struct result {
	enum status status;
	int width, height;         /* input, after orientation; 0 = unknown */
	int out_width, out_height; /* thumbnail; 0 = none */
	long long usec;            /* time spent in the worker, of which: */
	long long usec_open;       /* opening the file, reading its header */
	long long usec_pixels;     /* decode and encode: libvips is lazy,
				      so the decode runs as pixels are
				      pulled, the encode in the save */
	long long usec_resample;   /* the blur and resize (not in pixels) */
	long long usec_write;      /* write(2) of the encoded bytes, close,
				      rename */
	pid_t worker;              /* 0 = settled by the parent */
	char error[RESULT_ERROR_MAX];
	char warnings[RESULT_WARNINGS_MAX];
	char detail[RESULT_DETAIL_MAX]; /* what libvips said, whole, for
					   whoever debugs (--json) */
};

/* "ok", "warning", ... as used in --json. */
static inline const char *
status_name(enum status s)
{
	static const char *const names[] = {
		"ok", "warning", "error", "timeout", "skipped",
	};

	return s < STATUS_LAST ? names[s] : "unknown";
}

static inline int
status_failed(enum status s)
{
	return s == STATUS_ERROR || s == STATUS_TIMEOUT;
}

#endif
