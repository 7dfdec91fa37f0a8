/*
 * jobq: scan entries become jobs (see jobq.h).
 */
#include "jobq.h"

#include <errno.h>  /* errno */
#include <fcntl.h>  /* open, O_* */
#include <stdarg.h> /* va_list */
#include <stdio.h>  /* vsnprintf */
#include <string.h> /* strerror, strcmp */
#include <unistd.h> /* access, close */

#include <glib.h> /* GHashTable, GQueue */

#include "format.h"  /* format_is_image, format_suffix */
#include "freedesktop.h"
#include "hash.h"   /* hash64_str */
#include "output.h" /* output_targets, output_check_at, output_dir_of */
#include "record.h" /* record_options, record_read */

struct jobq {
	const struct jobq_config *cfg;
	unsigned next_id;
	GQueue retry;       /* of struct job *, handed out first */
	GHashTable *claimed; /* output path -> the input that took it first */
	unsigned folder;     /* the scan folder mapped in ... */
	GHashTable *outs;    /* ... output path -> its names there */
	GHashTable *made;    /* folders made (or found) this run */
	GHashTable *cleaned; /* folders rid of dead runs' temporary files */
	bool is_input;       /* check_one() found the input at its output */
	struct output_dir out; /* the last output folder looked into */
	char *in_dir;        /* the last input folder is_own_output() saw */
	bool in_is_out;      /* ... is the output folder q->out (forgotten
				when that changes) */
	struct {             /* the last record_options() asked for */
		int w, h;
		char *suffix;
		uint64_t digest;
	} options;
};

struct jobq *
jobq_new(const struct jobq_config *cfg)
{
	struct jobq *q = g_new0(struct jobq, 1);

	q->cfg = cfg;
	g_queue_init(&q->retry);
	q->claimed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	    g_free);
	q->outs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	    (GDestroyNotify)g_ptr_array_unref);
	q->made = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	q->cleaned = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	    NULL);
	q->out.fd = -1;
	return q;
}

static struct job *
job_new(struct jobq *q, char *in, const struct targets *out)
{
	struct job *job = g_new0(struct job, 1);

	job->id = ++q->next_id;
	job->in = in;
	job->out = *out;
	return job;
}

static enum jobq_next G_GNUC_PRINTF(3, 4)
settle(struct result *r, enum status status, const char *fmt, ...)
{
	va_list ap;

	memset(r, 0, sizeof(*r));
	r->status = status;
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
	return JOBQ_SETTLED;
}

/*
 * --freedesktop: create the cache's folder (0700) unless this run already
 * did, once per folder, not per file.
 */
static int
make_dir(struct jobq *q, const char *out)
{
	char *dir = g_path_get_dirname(out);
	int rc;

	if (g_hash_table_contains(q->made, dir)) {
		g_free(dir);
		return 0;
	}
	rc = output_make_folder(out, 0700);
	if (rc == 0)
		g_hash_table_add(q->made, dir);
	else
		g_free(dir);
	return rc;
}

unsigned
jobq_shard(const char *rel, unsigned n)
{
	return (unsigned)(hash64_str(rel) % n) + 1;
}

/*
 * --freedesktop: the cache's own freshness test, the Thumb::MTime the
 * thumbnail carries, and the failures it records.
 */
static enum jobq_next
check_cache(struct jobq *q, struct job *job, const struct stat *st,
    struct result *r)
{
	const char *out = job->out.t[0].path;
	long long mtime = (long long)st->st_mtime;
	char *fail;
	bool failed;

	if (q->cfg->force)
		return JOBQ_JOB;
	if (freedesktop_read_mtime(out) == mtime)
		return settle(r, STATUS_SKIPPED, "%s", "");
	fail = freedesktop_fail_path(out);
	failed = freedesktop_read_mtime(fail) == mtime;
	job->redo = access(out, F_OK) == 0;
	if (failed)
		settle(r, STATUS_ERROR, "failed before, as %s records (--force "
		    "tries again)", fail);
	g_free(fail);
	return failed ? JOBQ_SETTLED : JOBQ_JOB;
}

/*
 * The folder that holds out, open without following a link below the
 * output folder (output_open_dir), and created when `create`. Kept for
 * the next file: files come folder by folder. -1 with errno (ENOENT: not
 * there yet) and *where for a link.
 */
static int
dir_of(struct jobq *q, const char *out, bool create, char **where)
{
	bool fresh;
	int fd = output_dir_of(&q->out, q->cfg->thumb->outdir, out, create,
	    false, &fresh, where);

	if (!fresh)
		return fd;
	/* is_own_output() compared an input folder with the one before. */
	g_free(q->in_dir);
	q->in_dir = NULL;
	/* Once per folder: what runs killed before us left in it. */
	if (!q->cfg->dry_run && !g_hash_table_contains(q->cleaned,
	    q->out.path)) {
		output_clean_leftovers(fd);
		g_hash_table_add(q->cleaned, g_strdup(q->out.path));
	}
	return fd;
}

/* A link (errno ELOOP) or a file where a folder of the output's path
   should be. */
static enum jobq_next
linked(struct result *r, char *where)
{
	settle(r, STATUS_ERROR, "%s %s", where, errno == ELOOP ? "is a "
	    "symbolic link; nothing is written through it" : "is not a "
	    "folder");
	g_free(where);
	return JOBQ_SETTLED;
}

/* record_options() of the w x h box and suffix, kept for the next file:
   most files of a run ask for the same. */
static uint64_t
options_of(struct jobq *q, const struct thumb_opts *t, int w, int h,
    const char *suffix)
{
	if (q->options.suffix == NULL || q->options.w != w ||
	    q->options.h != h || strcmp(q->options.suffix, suffix) != 0) {
		g_free(q->options.suffix);
		q->options.suffix = g_strdup(suffix);
		q->options.w = w;
		q->options.h = h;
		q->options.digest = record_options(t, w, h, suffix);
	}
	return q->options.digest;
}

/*
 * What the file at one thumbnail's path means for its job (output.h's
 * rule): JOBQ_JOB to make it (job->redo and job->why say what it
 * replaces), or JOBQ_SETTLED with the outcome in *r. *fresh says it is
 * up to date.
 */
static enum jobq_next
check_one(struct jobq *q, struct job *job, const struct target *tg,
    const struct stat *st, bool *fresh, struct result *r)
{
	const struct thumb_opts *t = q->cfg->thumb;
	const char *out = tg->path;
	char *base = g_path_get_basename(out), *where;
	int dirfd = dir_of(q, out, false, &where);
	enum output_state state = OUTPUT_ABSENT;
	const char *why = NULL;

	*fresh = false;
	if (where != NULL) {
		g_free(base);
		return linked(r, where);
	}
	if (dirfd >= 0)
		state = output_check_at(dirfd, base, st, job->source,
		    options_of(q, t, tg->width, tg->height,
		    format_suffix(out)));
	else if (errno != ENOENT)
		state = OUTPUT_UNREADABLE;
	if (state == OUTPUT_FRESH && q->cfg->verify &&
	    output_verify_at(dirfd, base) != 1)
		state = OUTPUT_DAMAGED;
	g_free(base);
	switch (state) {
	case OUTPUT_ABSENT:
		return JOBQ_JOB;
	case OUTPUT_FOREIGN:
		if (!t->replace_unrecorded)
			return settle(r, STATUS_ERROR, "%s exists and was not "
			    "made by pthumb; not replaced "
			    "(--replace-unrecorded replaces it)", out);
		if (q->cfg->outputs_may_be_inputs && format_is_image(out, true))
			return settle(r, STATUS_ERROR, "%s exists and was not "
			    "made by pthumb, and may be an input; not "
			    "replaced", out);
		why = "file without pthumb's record";
		break;
	case OUTPUT_IS_INPUT:
		q->is_input = true;
		return settle(r, STATUS_ERROR, "%s: the output would overwrite "
		    "the input", out);
	case OUTPUT_OTHERS:
		return settle(r, STATUS_ERROR, "%s is the thumbnail of another "
		    "input; not replaced", out);
	case OUTPUT_UNREADABLE:
		return settle(r, STATUS_ERROR, "cannot read %s: %s", out,
		    strerror(errno));
	case OUTPUT_EMPTY:
		why = "empty file";
		break;
	case OUTPUT_TRUNCATED:
		why = "thumbnail cut short";
		break;
	case OUTPUT_DAMAGED:
		why = "thumbnail damaged";
		break;
	case OUTPUT_SOURCE_CHANGED:
		why = "source changed";
		break;
	case OUTPUT_OPTIONS_CHANGED:
		why = "options changed";
		break;
	case OUTPUT_FRESH:
		*fresh = true;
		why = q->cfg->force ? "--force" : NULL;
		break;
	}
	/* Of several boxes, the first reason is the one shown. */
	if (job->why == NULL)
		job->why = why;
	job->redo = true;
	return JOBQ_JOB;
}

/* Create the folder of out unless this is a dry run. */
static enum jobq_next
prepare(struct jobq *q, const struct job *job, const char *out,
    struct result *r)
{
	bool cache = job->out.kind == OUTPUT_CACHE;
	char *where;

	if (q->cfg->dry_run)
		return JOBQ_JOB;
	if (cache ? make_dir(q, out) == 0 : dir_of(q, out, true, &where) >= 0)
		return JOBQ_JOB;
	if (!cache && where != NULL)
		return linked(r, where);
	return settle(r, STATUS_ERROR, "cannot create folder for %s: %s",
	    out, strerror(errno));
}

/*
 * Every thumbnail of a job: one, or one per box of -s 64,256 (the first
 * names them all: only it is claimed before). Up to date only if every
 * one is; each box's folder is made.
 */
static enum jobq_next
check_outputs(struct jobq *q, struct job *job, const struct stat *st,
    struct result *r)
{
	bool all_fresh = true;

	for (int i = 0; i < job->out.n; i++) {
		const struct target *tg = &job->out.t[i];
		enum jobq_next next;
		bool fresh = false;

		if (i > 0)
			g_hash_table_insert(q->claimed, g_strdup(tg->path),
			    g_strdup(job->in));
		next = check_one(q, job, tg, st, &fresh, r);
		if (next == JOBQ_JOB)
			next = prepare(q, job, tg->path, r);
		if (next != JOBQ_JOB)
			return next;
		all_fresh = all_fresh && fresh;
	}
	if (all_fresh && !q->cfg->force)
		return settle(r, STATUS_SKIPPED, "%s", "");
	return JOBQ_JOB;
}

/*
 * Is the input of e the very file at its output path? Only if both have
 * one name in one folder: that is one entry, so the folders are compared,
 * once per pair, and the files never (no system call per input).
 */
static bool
is_own_output(struct jobq *q, const struct scan_entry *e, const char *out)
{
	const char *a = strrchr(e->path, '/'), *b = strrchr(out, '/');
	char *dir, *where;
	struct stat in, of;
	int fd;

	if (strcmp(a ? a + 1 : e->path, b ? b + 1 : out) != 0)
		return false;
	fd = dir_of(q, out, false, &where);
	g_free(where);
	if (fd < 0)
		return false;
	dir = g_path_get_dirname(e->path);
	if (q->in_dir != NULL && strcmp(q->in_dir, dir) == 0) {
		g_free(dir);
		return q->in_is_out;
	}
	g_free(q->in_dir);
	q->in_dir = dir;
	q->in_is_out = stat(dir, &in) == 0 && fstat(fd, &of) == 0 &&
	    in.st_dev == of.st_dev && in.st_ino == of.st_ino;
	return q->in_is_out;
}

/*
 * Does the file at path carry pthumb's record? Then it is a thumbnail: an
 * output found among the inputs (an output folder inside or equal to an
 * input folder), not an input.
 */
static bool
is_thumbnail(const char *path)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct record rec;
	struct stat st;
	bool yes;

	if (fd < 0)
		return false;
	yes = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    record_read(fd, &st, &rec) == RECORD_FOUND;
	close(fd);
	return yes;
}

/* Is the entry `name` of e's folder a thumbnail (a rival of none)? Asked
   only of rivals: collisions are rare. */
static bool
is_sibling_thumbnail(const struct scan_entry *e, const char *name)
{
	char *dir = g_path_get_dirname(e->path);
	char *path = g_build_filename(dir, name, NULL);
	bool yes = is_thumbnail(path);

	g_free(path);
	g_free(dir);
	return yes;
}

/* Is the entry `name` of e's folder the file at path out? */
static bool
is_at(const struct scan_entry *e, const char *name, const char *out)
{
	const char *base = strrchr(out, '/');
	char *dir, *path;
	struct stat a, b;
	bool same;

	/* Different names are different files: no stat for those. */
	if (strcmp(base ? base + 1 : out, name) != 0)
		return false;
	dir = g_path_get_dirname(e->path);
	path = g_build_filename(dir, name, NULL);
	same = stat(path, &a) == 0 && stat(out, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
	g_free(path);
	g_free(dir);
	return same;
}

/*
 * Another image in e's folder that would make the same thumbnail, out, or
 * NULL. The folder's entries are all known before any of them is queued
 * (scan.h), so both of two such inputs are found, whichever comes first.
 * A file that is itself at out (an output folder equal to the input
 * folder) is no rival: it is the thumbnail, or is reported as the file
 * that would be overwritten.
 */
static const char *
sibling_collision(struct jobq *q, const struct scan_entry *e,
    const struct targets *ts)
{
	const char *self = strrchr(e->path, '/'), *out = ts->t[0].path;
	GPtrArray *names;

	/* The cache names a thumbnail for its source's whole path. */
	if (e->folder == 0 || ts->kind == OUTPUT_CACHE)
		return NULL;
	if (e->folder != q->folder) {
		g_hash_table_remove_all(q->outs);
		q->folder = e->folder;
		for (guint i = 0; i < e->siblings->len; i++) {
			const char *name = g_ptr_array_index(e->siblings, i);
			char *rel, *o;

			if (!format_is_image(name, q->cfg->allow_untrusted))
				continue;
			rel = *e->folder_rel ? g_build_filename(e->folder_rel,
			    name, NULL) : g_strdup(name);
			o = output_name(q->cfg->layout, rel);
			names = g_hash_table_lookup(q->outs, o);
			if (names == NULL) {
				names = g_ptr_array_new();
				g_hash_table_insert(q->outs, o, names);
			} else {
				g_free(o);
			}
			g_ptr_array_add(names, (gpointer)name);
			g_free(rel);
		}
	}
	self = self ? self + 1 : e->path;
	names = g_hash_table_lookup(q->outs, out);
	for (guint i = 0; names != NULL && i < names->len; i++) {
		const char *name = g_ptr_array_index(names, i);

		if (strcmp(name, self) != 0 && !is_at(e, name, out) &&
		    !is_sibling_thumbnail(e, name))
			return name;
	}
	return NULL;
}

/*
 * Does this output belong to this shard? The shard is a hash of the
 * output's path under the output folder, not of the input's: two inputs
 * with one thumbnail always meet in one process, which sees the collision.
 */
static bool
in_shard(const struct jobq *q, const char *out)
{
	const struct jobq_config *c = q->cfg;
	size_t n = strlen(c->thumb->outdir);
	const char *rel = out;

	if (c->shards <= 1)
		return true;
	if (strncmp(out, c->thumb->outdir, n) == 0 && out[n] == '/')
		rel = out + n + 1;
	return jobq_shard(rel, c->shards) == c->shard;
}

/* The next entry of the scan that belongs to this shard, and its targets
   (none for a walk error, which belongs to every shard: each missed it). */
static enum scan_next
next_entry(struct jobq *q, struct scan_entry *e, struct targets *ts)
{
	enum scan_next got;

	while ((got = scan_next(q->cfg->scan, e)) == SCAN_ENTRY) {
		if (e->err != 0 || e->rel == NULL) {
			memset(ts, 0, sizeof(*ts));
			return got;
		}
		output_targets(q->cfg->layout, e->path, e->rel, ts);
		if (in_shard(q, ts->t[0].path))
			return got;
		output_targets_clear(ts);
		scan_entry_clear(e);
	}
	return got;
}

/* The next scan entry as a job, or settled; JOBQ_NOT_INPUT for a thumbnail
   found among the inputs, which is no job at all. */
#define JOBQ_NOT_INPUT ((enum jobq_next)-1)

/*
 * Take out for e's input, unless another input of its folder would make
 * it too (neither is made) or an input found earlier took it (reported,
 * naming that one). An entry in such a conflict that is itself a
 * thumbnail is no input at all: JOBQ_NOT_INPUT.
 */
static enum jobq_next
claim(struct jobq *q, const struct scan_entry *e, const struct targets *ts,
    struct result *r)
{
	const char *out = ts->t[0].path;
	const char *sibling = sibling_collision(q, e, ts);
	const char *first = sibling != NULL ? NULL :
	    g_hash_table_lookup(q->claimed, out);

	/* With --watch, the same input again (it changed, or a rescan), or
	   one in the place of an input that went. */
	if (first != NULL && q->cfg->watch && (strcmp(first, e->path) == 0 ||
	    (access(first, F_OK) != 0 && errno == ENOENT))) {
		g_hash_table_insert(q->claimed, g_strdup(out),
		    g_strdup(e->path));
		return JOBQ_JOB;
	}
	if ((sibling != NULL || first != NULL) && is_thumbnail(e->path))
		return JOBQ_NOT_INPUT;
	if (sibling != NULL)
		return settle(r, STATUS_ERROR, "%s would also be the thumbnail "
		    "of %s, in the same folder; neither is made", out, sibling);
	if (first != NULL)
		return settle(r, STATUS_ERROR, "%s is already the thumbnail of "
		    "%s; not made", out, first);
	g_hash_table_insert(q->claimed, g_strdup(out), g_strdup(e->path));
	return JOBQ_JOB;
}

static enum jobq_next
take_entry(struct jobq *q, struct job **job, struct result *r)
{
	struct scan_entry e;
	enum jobq_next next;
	struct targets ts;

	switch (next_entry(q, &e, &ts)) {
	case SCAN_END:
		return JOBQ_END;
	case SCAN_WAIT:
		return JOBQ_WAIT;
	case SCAN_ENTRY:
		break;
	}
	*job = job_new(q, e.path, &ts);
	if (ts.n == 0) {
		g_free(e.rel);
		return settle(r, STATUS_ERROR, "%s%s%s", e.why,
		    e.err ? ": " : "", e.err ? strerror(e.err) : "");
	}
	(*job)->source = hash64_str(e.rel);
	g_free(e.rel);
	/* An input at its own output path claims nothing: it is a
	   thumbnail, or reported as the input it would overwrite. */
	if (!is_own_output(q, &e, ts.t[0].path) &&
	    (next = claim(q, &e, &ts, r)) != JOBQ_JOB)
		return next;
	if (e.st.st_size == 0)
		return settle(r, STATUS_ERROR, "empty file");
	if (ts.kind == OUTPUT_CACHE) {
		next = check_cache(q, *job, &e.st, r);
		return next == JOBQ_JOB ? prepare(q, *job, ts.t[0].path, r) :
		    next;
	}
	q->is_input = false;
	next = check_outputs(q, *job, &e.st, r);
	/* Only where it would be made, or would overwrite itself: an up to
	   date thumbnail's source needs no look. */
	if ((next == JOBQ_JOB || q->is_input) && is_thumbnail(e.path))
		return JOBQ_NOT_INPUT;
	return next;
}

enum jobq_next
jobq_next(struct jobq *q, struct job **job, struct result *r)
{
	enum jobq_next next;

	*job = g_queue_pop_head(&q->retry);
	if (*job != NULL)
		return JOBQ_JOB;
	while ((next = take_entry(q, job, r)) == JOBQ_NOT_INPUT) {
		jobq_done(q, *job);
		*job = NULL;
	}
	return next;
}

int
jobq_wait_fd(const struct jobq *q)
{
	return scan_wait_fd(q->cfg->scan);
}

void
jobq_retry(struct jobq *q, struct job *job)
{
	g_queue_push_tail(&q->retry, job);
}

void
jobq_done(struct jobq *q, struct job *job)
{
	(void)q;
	if (job == NULL)
		return;
	g_free(job->in);
	output_targets_clear(&job->out);
	g_free(job);
}

void
jobq_free(struct jobq *q)
{
	if (q == NULL)
		return;
	while (!g_queue_is_empty(&q->retry))
		jobq_done(q, g_queue_pop_head(&q->retry));
	g_hash_table_unref(q->claimed);
	g_hash_table_unref(q->outs);
	g_hash_table_unref(q->made);
	g_hash_table_unref(q->cleaned);
	output_dir_close(&q->out);
	g_free(q->in_dir);
	g_free(q->options.suffix);
	g_free(q);
}
