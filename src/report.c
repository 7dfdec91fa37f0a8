/*
 * report: per-file lines, JSON lines and the summary (see report.h).
 */
#include "report.h"

#include <stdarg.h>       /* va_list */
#include <stdio.h>        /* fputs, fflush, stdout, stderr */
#include <stdlib.h>       /* strtol */
#include <string.h>       /* strstr, strlen */
#include <unistd.h>       /* isatty */

#include "xio.h" /* now_ns */

struct report {
	bool json, quiet, silent;
	struct report_totals totals;
	struct report_workers workers;
	char *run_warnings;   /* report_run_warnings(), or NULL */
	unsigned shard, shards; /* report_set_shard(); 0 = all files */
	unsigned pruned;      /* thumbnails --prune removed (or would) */
	char *shard_from;     /* whence shard and shards, or NULL */
	unsigned plans[PLAN_LAST]; /* --dry-run: files by action */
	bool dry_run;
	/* The progress line on a terminal's stderr. */
	bool progress;        /* stderr is a terminal, not --json/--quiet */
	bool progress_shown;  /* a progress line is on screen now */
	bool stdout_tty;      /* stdout shares the terminal */
	long long progress_at; /* when it was drawn, ns since start */
	unsigned seen;        /* files met so far (the highest job id) */
	long long start;      /* report_new(), ns */
	long long first_done; /* the first file done, ns since start; 0 */
	long long scan_done;  /* the scanner's end, ns since start; 0 */
	GString *line; /* reused for every line */
};

struct report *
report_new(bool json, bool quiet)
{
	struct report *rp = g_new0(struct report, 1);

	rp->json = json;
	rp->quiet = quiet;
	rp->workers.workers = 1;
	rp->progress = !json && !quiet && isatty(STDERR_FILENO);
	rp->stdout_tty = isatty(STDOUT_FILENO);
	rp->line = g_string_sized_new(256);
	rp->start = now_ns();
	return rp;
}

struct report *
report_new_silent(void)
{
	struct report *rp = g_new0(struct report, 1);

	rp->silent = true;
	rp->workers.workers = 1;
	rp->line = g_string_sized_new(256);
	rp->start = now_ns();
	return rp;
}

void
report_free(struct report *rp)
{
	if (rp == NULL)
		return;
	g_string_free(rp->line, TRUE);
	g_free(rp->run_warnings);
	g_free(rp->shard_from);
	g_free(rp);
}

void
report_json_string(GString *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	g_string_append_c(out, '"');
	while (*p != '\0') {
		gunichar c;

		if (*p == '"' || *p == '\\') {
			g_string_append_c(out, '\\');
			g_string_append_c(out, (char)*p++);
		} else if (*p == '\n') {
			g_string_append(out, "\\n");
			p++;
		} else if (*p == '\t') {
			g_string_append(out, "\\t");
			p++;
		} else if (*p < 0x20 || *p == 0x7f) {
			g_string_append_printf(out, "\\u%04x", *p++);
		} else if (*p < 0x80) {
			g_string_append_c(out, (char)*p++);
		} else if ((c = g_utf8_get_char_validated((const char *)p, -1))
		    < (gunichar)-2) {
			const char *next = g_utf8_next_char(p);

			g_string_append_len(out, (const char *)p,
			    next - (const char *)p);
			p = (const unsigned char *)next;
		} else {
			g_string_append_printf(out, "\\udc%02x", *p++);
		}
	}
	g_string_append_c(out, '"');
}

/* Does code point c steer a terminal or the text's direction? C1
   controls, and the bidirectional marks, embeddings, overrides and
   isolates. */
static bool
is_steering(gunichar c)
{
	return (c >= 0x80 && c <= 0x9f) || c == 0x061c || c == 0x200e ||
	    c == 0x200f || (c >= 0x202a && c <= 0x202e) ||
	    (c >= 0x2066 && c <= 0x2069);
}

/*
 * Text for a terminal, a file name or what a decoder said: nothing in it
 * can move the cursor, clear a line, reorder the text or fake a line.
 * Control characters, C1 controls, bidirectional controls and bytes that
 * are not UTF-8 appear as \xNN (each byte), a backslash as \\.
 */
void
report_append_safe(GString *out, const char *s)
{
	const char *p = s;

	while (*p != '\0') {
		const unsigned char b = (unsigned char)*p;
		gunichar c = b < 0x80 ? b : g_utf8_get_char_validated(p, -1);
		const char *next = c < 0x80 || c >= (gunichar)-2 ? p + 1 :
		    g_utf8_next_char(p);

		if (b == '\\')
			g_string_append(out, "\\\\");
		else if (b < 0x20 || b == 0x7f || c >= (gunichar)-2 ||
		    is_steering(c))
			for (const char *q = p; q < next; q++)
				g_string_append_printf(out, "\\x%02x",
				    (unsigned char)*q);
		else
			g_string_append_len(out, p, next - p);
		p = next;
	}
}

static void
json_text_or_null(GString *out, const char *s)
{
	if (*s == '\0')
		g_string_append(out, "null");
	else
		report_json_string(out, s);
}

/* A JSON line's start: {"type": TYPE, "input": ..., "output": ... */
static void
json_start(GString *l, const char *type, const struct job *job)
{
	g_string_printf(l, "{\"type\": \"%s\", \"input\": ", type);
	report_json_string(l, job->in);
	g_string_append(l, ", \"output\": ");
	if (job_output(job) != NULL)
		report_json_string(l, job_output(job));
	else
		g_string_append(l, "null");
}

static void
write_json(struct report *rp, const struct job *job, const struct result *r)
{
	GString *l = rp->line;

	json_start(l, "file", job);
	g_string_append_printf(l, ", \"status\": \"%s\", \"error\": ",
	    status_name(r->status));
	json_text_or_null(l, r->error);
	g_string_append(l, ", \"warnings\": ");
	json_text_or_null(l, r->warnings);
	g_string_append(l, ", \"detail\": ");
	json_text_or_null(l, r->detail);
	g_string_append_printf(l, ", \"width\": %d, \"height\": %d, "
	    "\"out_width\": %d, \"out_height\": %d, \"ms\": %.3f, "
	    "\"ms_open\": %.3f, \"ms_pixels\": %.3f, \"ms_resample\": %.3f, "
	    "\"ms_write\": %.3f, \"worker\": ", r->width, r->height,
	    r->out_width, r->out_height, r->usec / 1000.0,
	    r->usec_open / 1000.0, r->usec_pixels / 1000.0,
	    r->usec_resample / 1000.0, r->usec_write / 1000.0);
	if (r->worker > 0)
		g_string_append_printf(l, "%ld}\n", (long)r->worker);
	else
		g_string_append(l, "null}\n");
	fputs(l->str, stdout);
}

/* Take the progress line off the screen before anything else is printed. */
static void
progress_erase(struct report *rp)
{
	if (!rp->progress_shown)
		return;
	fflush(stdout);
	fputs("\r\033[K", stderr);
	rp->progress_shown = false;
}

/* Print a line to f, under which the progress line stays. */
static void
put_line(struct report *rp, const char *line, FILE *f)
{
	if (f == stderr || rp->stdout_tty)
		progress_erase(rp);
	fputs(line, f);
}

static void
append_clock(GString *l, double seconds)
{
	long s = (long)(seconds + 0.5);

	if (s >= 3600)
		g_string_append_printf(l, "%ld:%02ld:%02ld", s / 3600,
		    s / 60 % 60, s % 60);
	else
		g_string_append_printf(l, "%ld:%02ld", s / 60, s % 60);
}

/*
 * "[ 12/40] 3.1 img/s, 0:04 elapsed, ~0:09 left, 1 failed": files settled
 * of files met (a "+" while the scan goes on), at most ten times a second.
 */
static void
progress_draw(struct report *rp)
{
	const struct report_totals *t = &rp->totals;
	long long now = now_ns() - rp->start;
	unsigned settled = 0, done, failed;
	double elapsed = now / 1e9, rate;
	GString *l = rp->line;

	if (!rp->progress)
		return;
	for (int i = 0; i < STATUS_LAST; i++)
		settled += t->count[i];
	/* The last state is always shown. */
	if (rp->progress_shown && now - rp->progress_at < 100 * 1000 * 1000LL
	    && !(rp->scan_done && settled >= rp->seen))
		return;
	done = t->count[STATUS_OK] + t->count[STATUS_WARNING];
	failed = t->count[STATUS_ERROR] + t->count[STATUS_TIMEOUT];
	rate = elapsed > 0 ? done / elapsed : 0;
	g_string_printf(l, "\r\033[K[%u/%u%s] %.1f img/s, ", settled,
	    MAX(rp->seen, settled), rp->scan_done ? "" : "+", rate);
	append_clock(l, elapsed);
	g_string_append(l, " elapsed");
	if (rate > 0 && rp->seen > settled) {
		g_string_append(l, ", ~");
		append_clock(l, (rp->seen - settled) / rate);
		g_string_append(l, " left");
	}
	if (failed > 0)
		g_string_append_printf(l, ", %u failed", failed);
	fflush(stdout);
	fputs(l->str, stderr);
	rp->progress_shown = true;
	rp->progress_at = now;
}

void
report_seen(struct report *rp, unsigned id)
{
	if (id > rp->seen)
		rp->seen = id;
}

static void
write_human(struct report *rp, const struct job *job, const struct result *r)
{
	GString *l = rp->line;

	g_string_assign(l, "pthumb: ");
	report_append_safe(l, job->in);
	switch (r->status) {
	case STATUS_ERROR:
	case STATUS_TIMEOUT:
		g_string_append(l, r->status == STATUS_TIMEOUT ? ": timeout: "
		    : ": ");
		report_append_safe(l, r->error);
		g_string_append_c(l, '\n');
		put_line(rp, l->str, stderr);
		return;
	case STATUS_WARNING:
		/* cause_shape() names the damage: "damaged JPEG: ...". */
		g_string_append(l, ": ");
		report_append_safe(l, r->warnings);
		g_string_append_c(l, '\n');
		put_line(rp, l->str, stderr);
		break;
	case STATUS_OK:
	case STATUS_SKIPPED:
	case STATUS_LAST:
		break;
	}
	if (rp->quiet)
		return;
	g_string_truncate(l, 0);
	report_append_safe(l, job->in);
	g_string_append(l, " -> ");
	report_append_safe(l, job_output(job));
	if (r->status == STATUS_SKIPPED)
		g_string_append(l, "  up to date\n");
	else
		g_string_append_printf(l, "  %dx%d -> %dx%d  %.1f ms\n",
		    r->width, r->height, r->out_width, r->out_height,
		    r->usec / 1000.0);
	put_line(rp, l->str, stdout);
}

void
report_file(struct report *rp, const struct job *job, const struct result *r)
{
	struct report_totals *t = &rp->totals;

	t->count[r->status < STATUS_LAST ? r->status : STATUS_ERROR]++;
	if (r->status == STATUS_OK || r->status == STATUS_WARNING) {
		if (rp->first_done == 0)
			rp->first_done = now_ns() - rp->start;
		t->usec += r->usec;
		t->usec_open += r->usec_open;
		t->usec_pixels += r->usec_pixels;
		t->usec_resample += r->usec_resample;
		t->usec_write += r->usec_write;
	}
	if (rp->silent)
		return;
	if (rp->json) {
		write_json(rp, job, r);
		return;
	}
	write_human(rp, job, r);
	progress_draw(rp);
}

void
report_set_dry_run(struct report *rp)
{
	rp->dry_run = true;
}

static const char *const plan_names[] = {
	[PLAN_MAKE] = "make", [PLAN_REDO] = "redo", [PLAN_SKIP] = "skip",
	[PLAN_ERROR] = "error",
};

void
report_plan(struct report *rp, const struct job *job, enum plan plan,
    const struct result *r)
{
	GString *l = rp->line;

	rp->plans[plan]++;
	if (plan == PLAN_ERROR)
		rp->totals.count[STATUS_ERROR]++;
	if (rp->silent)
		return;
	if (rp->json) {
		json_start(l, "plan", job);
		g_string_append_printf(l, ", \"action\": \"%s\", \"why\": ",
		    plan_names[plan]);
		json_text_or_null(l, plan == PLAN_REDO && job->why ? job->why
		    : "");
		g_string_append(l, ", \"error\": ");
		json_text_or_null(l, plan == PLAN_ERROR ? r->error : "");
		g_string_append(l, "}\n");
		fputs(l->str, stdout);
		return;
	}
	g_string_truncate(l, 0);
	if (plan == PLAN_ERROR) {
		g_string_append(l, "pthumb: ");
		report_append_safe(l, job->in);
		g_string_append_printf(l, ": %s\n", r->error);
		fputs(l->str, stderr);
		return;
	}
	if (rp->quiet)
		return;
	report_append_safe(l, job->in);
	g_string_append(l, " -> ");
	report_append_safe(l, job_output(job));
	g_string_append_printf(l, "  %s", plan_names[plan]);
	if (plan == PLAN_REDO && job->why != NULL)
		g_string_append_printf(l, ": %s", job->why);
	g_string_append_c(l, '\n');
	fputs(l->str, stdout);
}

void
report_note(struct report *rp, const char *path, const char *fmt, ...)
{
	GString *l = rp->line;
	char *text;
	va_list ap;

	if (rp->silent)
		return;
	progress_erase(rp);
	g_string_assign(l, "pthumb: ");
	report_append_safe(l, path);
	g_string_append(l, ": ");
	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	report_append_safe(l, text);
	g_free(text);
	g_string_append_c(l, '\n');
	fputs(l->str, stderr);
}

/*
 * This process's peak resident set in KiB: VmHWM, which belongs to the
 * memory of this program alone. getrusage's ru_maxrss is no good here: it
 * keeps the peak of the process that forked and exec'd us (a large Python
 * script's, say).
 */
static long
peak_rss_kb(void)
{
	gchar *text = NULL;
	const char *p;
	long kb = 0;

	if (g_file_get_contents("/proc/self/status", &text, NULL, NULL) &&
	    (p = strstr(text, "VmHWM:")) != NULL)
		kb = strtol(p + strlen("VmHWM:"), NULL, 10);
	g_free(text);
	return kb;
}

void
report_pruned(struct report *rp, const char *out, int err)
{
	GString *l = rp->line;

	if (err != 0)
		rp->totals.count[STATUS_ERROR]++;
	else
		rp->pruned++;
	if (rp->silent)
		return;
	progress_erase(rp);
	if (err != 0) {
		g_string_assign(l, "pthumb: ");
		report_append_safe(l, out);
		g_string_append_printf(l, ": cannot prune: %s\n",
		    strerror(err));
		fputs(l->str, stderr);
		return;
	}
	if (rp->json) {
		g_string_assign(l, "{\"type\": \"pruned\", \"output\": ");
		report_json_string(l, out);
		g_string_append_printf(l, ", \"dry_run\": %s}\n",
		    rp->dry_run ? "true" : "false");
		fputs(l->str, stdout);
	} else if (!rp->quiet || rp->dry_run) {
		g_string_truncate(l, 0);
		report_append_safe(l, out);
		g_string_append(l, rp->dry_run ? "  prune (its source is gone)\n"
		    : "  pruned: its source is gone\n");
		fputs(l->str, stdout);
	}
	fflush(stdout);
}

void
report_scan_done(struct report *rp)
{
	if (rp->scan_done == 0) {
		rp->scan_done = now_ns() - rp->start;
		progress_draw(rp);
	}
}

/* --dry-run's summary: what a run would do. */
static void
summary_plan(struct report *rp)
{
	const unsigned *n = rp->plans;

	if (rp->json)
		printf("{\"type\": \"summary\", \"dry_run\": true, "
		    "\"files\": %u, \"make\": %u, \"redo\": %u, "
		    "\"skip\": %u, \"error\": %u, \"prune\": %u}\n",
		    n[PLAN_MAKE] + n[PLAN_REDO] + n[PLAN_SKIP] + n[PLAN_ERROR],
		    n[PLAN_MAKE], n[PLAN_REDO], n[PLAN_SKIP], n[PLAN_ERROR],
		    rp->pruned);
	else if (rp->pruned > 0)
		printf("pthumb: dry run: %u to make, %u to redo, %u up to "
		    "date, %u failed, %u to prune; nothing written\n",
		    n[PLAN_MAKE], n[PLAN_REDO], n[PLAN_SKIP], n[PLAN_ERROR],
		    rp->pruned);
	else
		printf("pthumb: dry run: %u to make, %u to redo, %u up to "
		    "date, %u failed; nothing written\n", n[PLAN_MAKE],
		    n[PLAN_REDO], n[PLAN_SKIP], n[PLAN_ERROR]);
	fflush(stdout);
}

void
report_summary(struct report *rp, double seconds)
{
	const struct report_workers *w = &rp->workers;
	long peak = peak_rss_kb();
	unsigned done = rp->totals.count[STATUS_OK] + rp->totals.count[STATUS_WARNING];
	unsigned failed = rp->totals.count[STATUS_ERROR] + rp->totals.count[STATUS_TIMEOUT];
	double rate = seconds > 0 ? done / seconds : 0;
	GString *l = rp->line;

	progress_erase(rp);
	if (rp->dry_run) {
		summary_plan(rp);
		return;
	}
	if (rp->json) {
		g_string_printf(l, "{\"type\": \"summary\", \"files\": %u, "
		    "\"done\": %u, \"ok\": %u, \"warning\": %u, "
		    "\"failed\": %u, \"error\": %u, \"timeout\": %u, "
		    "\"skipped\": %u, \"seconds\": %.3f, "
		    "\"images_per_second\": %.1f, \"mode\": \"%s\", "
		    "\"workers\": %d, \"workers_started\": %u, "
		    "\"workers_recycled\": %u, \"max_workers_alive\": %d, "
		    "\"first_done_seconds\": %.3f, \"scan_seconds\": %.3f, "
		    "\"parent_max_rss_kb\": %ld",
		    done + failed + rp->totals.count[STATUS_SKIPPED], done,
		    rp->totals.count[STATUS_OK],
		    rp->totals.count[STATUS_WARNING], failed,
		    rp->totals.count[STATUS_ERROR],
		    rp->totals.count[STATUS_TIMEOUT],
		    rp->totals.count[STATUS_SKIPPED], seconds, rate,
		    options_mode_name(w->mode), w->workers, w->started,
		    w->recycled, w->max_alive, rp->first_done / 1e9,
		    rp->scan_done / 1e9, peak);
		if (rp->run_warnings != NULL) {
			g_string_append(l, ", \"run_warnings\": ");
			report_json_string(l, rp->run_warnings);
		}
		g_string_append_printf(l, ", \"pruned\": %u", rp->pruned);
		if (rp->shards > 0) {
			g_string_append_printf(l, ", \"shard\": \"%u/%u\", "
			    "\"shard_from\": ", rp->shard, rp->shards);
			if (rp->shard_from != NULL)
				report_json_string(l, rp->shard_from);
			else
				g_string_append(l, "null");
		}
		g_string_append(l, "}\n");
		fputs(l->str, stdout);
		fflush(stdout);
		return;
	}
	if (rp->shards > 0)
		printf("pthumb: shard %u of %u%s%s\n", rp->shard, rp->shards,
		    rp->shard_from != NULL ? ", from " : "",
		    rp->shard_from != NULL ? rp->shard_from : "");
	if (rp->pruned > 0)
		printf("pthumb: %u pruned (their sources are gone)\n",
		    rp->pruned);
	printf("pthumb: %u done, %u failed, %u skipped in %.2f s (%.1f "
	    "images/s, ", done, failed, rp->totals.count[STATUS_SKIPPED],
	    seconds, rate);
	switch (w->mode) {
	case MODE_SEQUENTIAL:
		printf("sequential)\n");
		break;
	case MODE_THREADS:
		printf("%d thread%s)\n", w->workers,
		    w->workers == 1 ? "" : "s");
		break;
	case MODE_SPAWN:
		printf("%u process%s, at most %d at once)\n", w->started,
		    w->started == 1 ? "" : "es", w->max_alive);
		break;
	default:
		printf("%d worker%s", w->workers, w->workers == 1 ? "" : "s");
		if (w->recycled > 0)
			printf(", %u recycled", w->recycled);
		printf(")\n");
		break;
	}
	fflush(stdout);
}

void
report_set_shard(struct report *rp, unsigned shard, unsigned shards,
    const char *from)
{
	rp->shard = shard;
	rp->shards = shards;
	g_free(rp->shard_from);
	rp->shard_from = g_strdup(from);
}

void
report_set_workers(struct report *rp, const struct report_workers *w)
{
	rp->workers = *w;
}

const struct report_workers *
report_workers(const struct report *rp)
{
	return &rp->workers;
}

void
report_run_warnings(struct report *rp, const char *text)
{
	g_free(rp->run_warnings);
	rp->run_warnings = g_strdup(text);
	progress_erase(rp);
	if (!rp->silent)
		fprintf(stderr, "pthumb: libvips' messages during the run (its "
		    "threads cannot tie them to a file): %s\n", text);
}

const struct report_totals *
report_totals(const struct report *rp)
{
	return &rp->totals;
}

bool
report_failed(const struct report *rp)
{
	return rp->totals.count[STATUS_ERROR] + rp->totals.count[STATUS_TIMEOUT] > 0;
}
