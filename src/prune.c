/*
 * prune: thumbnails whose source is gone, found folder by folder in the
 * mirror of the sources (see prune.h).
 */
#include "prune.h"

#include <errno.h>    /* errno */
#include <fcntl.h>    /* open, O_* */
#include <string.h>   /* strrchr, strlen */
#include <sys/stat.h> /* lstat, fstat */
#include <unistd.h>   /* unlink, close */

#include "hash.h"   /* hash64_str */
#include "jobq.h"   /* jobq_shard */
#include "record.h" /* record_read */
#include "format.h" /* format_scanned_suffix */
#include "scan.h"   /* scan_read_names */

/* A source folder read whole. */
struct folder {
	char *path;        /* where it is */
	GHashTable *names; /* its entry names */
};

struct prune {
	struct prune_config cfg;
	GHashTable *folders; /* rel -> struct folder * */
	GHashTable *dirty;   /* rels read since the last prune_run() */
	GHashTable *gone;    /* rels of folders seen deleted (--watch) */
	GHashTable *kept;    /* mirrors kept without their source, said */
	char *forbidden;     /* why nothing is pruned, or NULL */
};

static void
folder_free(gpointer data)
{
	struct folder *f = data;

	g_free(f->path);
	g_hash_table_unref(f->names);
	g_free(f);
}

static GHashTable *
string_set(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

struct prune *
prune_new(const struct prune_config *cfg)
{
	struct prune *p = g_new0(struct prune, 1);

	p->cfg = *cfg;
	p->folders = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	    folder_free);
	p->dirty = string_set();
	p->gone = string_set();
	p->kept = string_set();
	return p;
}

void
prune_folder_read(struct prune *p, const char *path, const char *rel,
    const GPtrArray *names)
{
	struct folder *f = g_new0(struct folder, 1);

	f->path = g_strdup(path);
	f->names = string_set();
	for (guint i = 0; i < names->len; i++)
		g_hash_table_add(f->names, g_strdup(g_ptr_array_index(names,
		    i)));
	g_hash_table_replace(p->folders, g_strdup(rel), f);
	g_hash_table_add(p->dirty, g_strdup(rel));
	/* Back again: no more gone. */
	g_hash_table_remove(p->gone, rel);
}

void
prune_folder_gone(struct prune *p, const char *rel)
{
	g_hash_table_add(p->gone, g_strdup(rel));
}

void
prune_forbid(struct prune *p, const char *why)
{
	if (p->forbidden == NULL)
		p->forbidden = g_strdup(why);
}

/* Is the thumbnail at rel (under the box's folder) in this run's shard?
   Shards go by the first box's path, as jobq.c hands them out. */
static bool
ours(const struct prune *p, const char *rel)
{
	const struct thumb_opts *t = p->cfg.thumb;
	char *key;
	bool yes;

	if (p->cfg.shards <= 1)
		return true;
	key = t->nboxes > 1 ? g_build_filename(t->boxes[0].label, rel, NULL)
	    : g_strdup(rel);
	yes = jobq_shard(key, p->cfg.shards) == p->cfg.shard;
	g_free(key);
	return yes;
}

/* The record of the regular file at path (never through a symlink):
   true with *rec and *st (the file's) filled, false if it has none. */
static bool
recorded(const char *path, struct record *rec, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	bool yes;

	if (fd < 0)
		return false;
	yes = fstat(fd, st) == 0 && S_ISREG(st->st_mode) &&
	    record_read(fd, st, rec) == RECORD_FOUND;
	close(fd);
	return yes;
}

/* What one pass shares. */
struct pass {
	struct prune *p;
	prune_report_fn *report;
	void *data;
};

/*
 * Remove the thumbnail at path, whose record was read from the file `was`,
 * if its source src is still not there and path is still that file (a
 * worker may have put a fresh one in its place meanwhile).
 */
static void
remove_one(struct pass *ps, const char *path, const struct stat *was,
    const char *src)
{
	struct stat now;

	if (lstat(src, &now) == 0 || errno != ENOENT)
		return; /* back, or cannot tell */
	if (lstat(path, &now) != 0 || now.st_dev != was->st_dev ||
	    now.st_ino != was->st_ino)
		return;
	if (!ps->p->cfg.dry_run && unlink(path) != 0)
		ps->report(ps->data, path, PRUNE_FAILED, errno);
	else
		ps->report(ps->data, path, PRUNE_REMOVED, 0);
}

static bool
is_source(const struct record *rec, const char *dir_rel, const char *name,
    char **found)
{
	char *path = *dir_rel ? g_build_filename(dir_rel, name, NULL)
	    : g_strdup(name);
	bool yes = hash64_str(path) == rec->source;

	g_free(path);
	if (yes)
		*found = g_strdup(name);
	return yes;
}

/*
 * The name of the source a thumbnail called `name` in the mirror of
 * dir_rel was made from, if its record says it was one of that folder
 * (its own name, or its stem with a source suffix in either case): a new
 * string, or NULL when the record names a source elsewhere (another
 * layout, other boxes): such a thumbnail is never pruned here.
 */
static char *
source_name(const struct record *rec, const char *dir_rel, const char *name)
{
	const char *dot = strrchr(name, '.');
	char *stem = g_strndup(name, dot != NULL ? (gsize)(dot - name)
	    : strlen(name));
	char *found = NULL;

	if (!is_source(rec, dir_rel, name, &found))
		for (int i = 0; format_scanned_suffix(i) != NULL && found == NULL; i++) {
			char *lower = g_strconcat(stem, ".", format_scanned_suffix(i),
			    NULL);
			char *upper = g_ascii_strup(lower + strlen(stem), -1);
			char *up = g_strconcat(stem, upper, NULL);

			if (!is_source(rec, dir_rel, lower, &found))
				is_source(rec, dir_rel, up, &found);
			g_free(up);
			g_free(upper);
			g_free(lower);
		}
	g_free(stem);
	return found;
}

/*
 * The mirror dir of the source folder rel, found at src, whose entry names
 * are `names` (NULL: a folder seen to go): each thumbnail pthumb made
 * there of a source of that folder that is not there goes; a subfolder
 * whose source folder is not there goes the same way if it was seen to
 * go, else is kept and said once.
 */
static void
prune_mirror(struct pass *ps, const char *dir, const char *rel,
    const char *src, GHashTable *names)
{
	GPtrArray *here = NULL;
	struct record rec;

	if (scan_read_names(dir, &here) != 0)
		return; /* no mirror here: nothing to prune */
	for (guint i = 0; i < here->len; i++) {
		const char *name = g_ptr_array_index(here, i);
		char *path = g_build_filename(dir, name, NULL);
		char *sub = *rel ? g_build_filename(rel, name, NULL)
		    : g_strdup(name);
		char *src_sub = g_build_filename(src, name, NULL);
		char *source = NULL, *src_file;
		struct stat st;

		if (lstat(path, &st) != 0 || (names != NULL &&
		    g_hash_table_contains(names, name))) {
			/* gone meanwhile, or its source is there */
		} else if (S_ISDIR(st.st_mode)) {
			if (names == NULL || g_hash_table_contains(ps->p->gone,
			    sub))
				prune_mirror(ps, path, sub, src_sub, NULL);
			else if (g_hash_table_add(ps->p->kept, g_strdup(path)))
				ps->report(ps->data, path, PRUNE_KEPT_FOLDER,
				    0);
		} else if (S_ISREG(st.st_mode) && ours(ps->p, sub) &&
		    recorded(path, &rec, &st) &&
		    (source = source_name(&rec, rel, name)) != NULL &&
		    (names == NULL || !g_hash_table_contains(names, source))) {
			src_file = g_build_filename(src, source, NULL);
			remove_one(ps, path, &st, src_file);
			g_free(src_file);
		}
		g_free(source);
		g_free(src_sub);
		g_free(sub);
		g_free(path);
	}
	g_ptr_array_unref(here);
}

/* Is base/rel a folder reached through no symbolic link below base? */
static bool
real_folder(const char *base, const char *rel)
{
	char **parts = g_strsplit(rel, "/", -1);
	char *path = g_strdup(base);
	struct stat st;
	bool yes = true;

	for (char **c = parts; *c != NULL && yes; c++) {
		char *next;

		if (**c == '\0')
			continue;
		next = g_build_filename(path, *c, NULL);
		g_free(path);
		path = next;
		yes = lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
	}
	g_free(path);
	g_strfreev(parts);
	return yes;
}

const char *
prune_run(struct prune *p, prune_report_fn *report, void *data)
{
	const struct thumb_opts *t = p->cfg.thumb;
	struct pass ps = {.p = p, .report = report, .data = data};
	GHashTableIter it;
	gpointer key;

	if (p->forbidden != NULL) {
		g_hash_table_remove_all(p->dirty);
		return p->forbidden;
	}
	g_hash_table_iter_init(&it, p->dirty);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		const char *rel = key;
		struct folder *f = g_hash_table_lookup(p->folders, rel);

		/* An empty source folder may be a disk not mounted. */
		if (f == NULL || g_hash_table_size(f->names) == 0)
			continue;
		for (int b = 0; b < MAX(t->nboxes, 1); b++) {
			char *base = t->nboxes > 1 ? g_build_filename(
			    p->cfg.outdir, t->boxes[b].label, NULL) :
			    g_strdup(p->cfg.outdir);
			char *dir = g_build_filename(base, rel, NULL);

			if (real_folder(base, rel))
				prune_mirror(&ps, dir, rel, f->path, f->names);
			g_free(dir);
			g_free(base);
		}
	}
	g_hash_table_remove_all(p->dirty);
	return NULL;
}

void
prune_free(struct prune *p)
{
	if (p == NULL)
		return;
	g_hash_table_unref(p->folders);
	g_hash_table_unref(p->dirty);
	g_hash_table_unref(p->gone);
	g_hash_table_unref(p->kept);
	g_free(p->forbidden);
	g_free(p);
}
