/*
 * report: what the user sees. One line per file as it completes (stdout;
 * errors and damage on stderr as "pthumb: FILE: cause"), or with --json one
 * JSON object per line on stdout and nothing else there; then a summary.
 */
#ifndef PTHUMB_REPORT_H
#define PTHUMB_REPORT_H

#include <stdbool.h>

#include <glib.h> /* GString */

#include "jobq.h"    /* struct job */
#include "options.h" /* enum run_mode */
#include "result.h" /* struct result */

struct report;

/* Counts by status, and time summed over the files done (ok, warning). */
struct report_totals {
	unsigned count[STATUS_LAST];
	long long usec, usec_open, usec_pixels, usec_resample, usec_write;
};

/* How the files were spread over processes or threads. */
struct report_workers {
	enum run_mode mode;
	int workers;       /* processes or threads at once (1: sequential) */
	unsigned started;  /* worker processes forked */
	unsigned recycled; /* replaced after --max-tasks-per-worker */
	int max_alive;     /* most worker processes alive at once */
};

struct report *report_new(bool json, bool quiet);

/* A report that only counts: for runs whose table is printed elsewhere. */
struct report *report_new_silent(void);

const struct report_totals *report_totals(const struct report *rp);

/* For the summary; the run sets it once its workers are gone. */
void report_set_workers(struct report *rp, const struct report_workers *w);
const struct report_workers *report_workers(const struct report *rp);

/* The run does shard `shard` of `shards` (from: "SLURM_ARRAY_TASK_ID=3
   of array 1-7:2" when --shard auto found them, else NULL): the summary
   says so. */
void report_set_shard(struct report *rp, unsigned shard, unsigned shards,
    const char *from);

/* libvips' messages of the whole run, that no file can be blamed for
   (--mode threads): a line on stderr, and a field of the JSON summary. */
void report_run_warnings(struct report *rp, const char *text);

/* One file's outcome; counts it for the summary. */
void report_file(struct report *rp, const struct job *job,
    const struct result *r);

/* This report is of a --dry-run: its summary counts plans. */
void report_set_dry_run(struct report *rp);

/* What --dry-run would do with a file. */
enum plan { PLAN_MAKE, PLAN_REDO, PLAN_SKIP, PLAN_ERROR, PLAN_LAST };

/*
 * --dry-run: one line "IN -> OUT  ACTION" on stdout (errors on stderr as
 * usual), or a JSON object of type "plan"; counted for the summary.
 * r->error is the cause for PLAN_ERROR.
 */
void report_plan(struct report *rp, const struct job *job, enum plan plan,
    const struct result *r);

/*
 * The queue has met the file with this id (ids count up from 1): the
 * progress line's total. On a terminal's stderr, and without --json or
 * --quiet, a progress line is kept under the per-file lines.
 */
void report_seen(struct report *rp, unsigned id);

/* A notice about a file that is not its outcome (stderr, never in JSON). */
void report_note(struct report *rp, const char *path, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

/* The scanner has handed out its last file (the first call counts). */
void report_scan_done(struct report *rp);

/* --prune removed the thumbnail out (with --dry-run: would remove it), or
   could not (err, a failure): a line, or a JSON record of type
   "pruned"; counted for the summary. */
void report_pruned(struct report *rp, const char *out, int err);

/* The closing summary: counts, wall time, throughput, workers; with
   --json also when the first file was done and the scan ended (seconds
   since report_new), the parent's peak memory and the processes used. */
void report_summary(struct report *rp, double seconds);

/* Did any file fail (error or timeout)? */
bool report_failed(const struct report *rp);

/*
 * Append s to out as a JSON string (with quotes). Bytes that are not
 * valid UTF-8 become \udcXX, the surrogate escape Python's os.fsdecode
 * uses, so any file name round-trips.
 */
void report_json_string(GString *out, const char *s);

/*
 * Append s to out as text for a terminal: control characters, C1
 * controls, bidirectional controls and bytes that are not UTF-8 as \xNN,
 * a backslash as \\, so that nothing in it can move the cursor, clear a
 * line, reorder the text or fake a line.
 */
void report_append_safe(GString *out, const char *s);

void report_free(struct report *rp);

#endif
