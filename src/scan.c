/*
 * scan: a depth-first walk kept as an explicit stack of folders, so it can
 * hand out one file at a time (see scan.h).
 */
#include "scan.h"

#include <dirent.h> /* opendir, readdir, closedir */
#include <errno.h>  /* errno, ELOOP, ENOENT */
#include <fcntl.h>  /* AT_FDCWD, AT_SYMLINK_NOFOLLOW */
#include <string.h> /* strcmp, strrchr, memset */

#include <glib.h> /* GPtrArray, g_ascii_strcasecmp, g_build_filename */

#include "format.h"   /* format_is_image */
#include "pathlist.h"
#include "watch.h"

/* A folder being walked: its entries, read whole and sorted. */
struct frame {
	char *path;
	char *rel;
	GPtrArray *names;
	guint next;
	dev_t dev;
	ino_t ino;
	unsigned id;
};

struct scan {
	const struct scan_config *cfg;
	int argi;
	bool files_from_done;
	struct pathlist *list;
	const char *list_name; /* as given: "-" or the file (borrowed) */
	GPtrArray *stack; /* of struct frame *, innermost last */
	unsigned folders;  /* frames pushed so far */
	bool have_skip;
	dev_t skip_dev;
	ino_t skip_ino;
	struct watch *watch; /* --watch, once the walk needs it */
	GQueue events;       /* of struct watch_event *, to take */
	char *limit_said;    /* the watch limit, once reported */
	int watch_err;       /* push_dir(): the folder is walked but not
				watched, for this errno */
};

char *
scan_list_rel(const char *path)
{
	GString *out = g_string_new(NULL);
	const char *p = path;

	while (*p != '\0') {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n > 0 && !(n == 1 && p[0] == '.') &&
		    !(n == 2 && p[0] == '.' && p[1] == '.')) {
			if (out->len > 0)
				g_string_append_c(out, '/');
			g_string_append_len(out, p, (gssize)n);
		}
		p += n;
		if (*p == '/')
			p++;
	}
	return g_string_free(out, FALSE);
}

static int
compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
frame_free(gpointer data)
{
	struct frame *f = data;

	g_free(f->path);
	g_free(f->rel);
	g_ptr_array_unref(f->names);
	g_free(f);
}

int
scan_read_names(const char *path, GPtrArray **names)
{
	DIR *dir = opendir(path);
	struct dirent *d;
	int err;

	if (dir == NULL)
		return errno;
	*names = g_ptr_array_new_with_free_func(g_free);
	for (;;) {
		errno = 0;
		d = readdir(dir);
		if (d == NULL)
			break;
		if (d->d_name[0] != '.')
			g_ptr_array_add(*names, g_strdup(d->d_name));
	}
	err = errno;
	closedir(dir);
	if (err != 0) {
		g_ptr_array_unref(*names);
		return err;
	}
	g_ptr_array_sort(*names, compare_names);
	return 0;
}

/* Read a folder's visible entries, sorted, and walk it next. Returns 0 or
   an errno. */
static int
push_dir(struct scan *s, const char *path, const char *rel,
    const struct stat *st)
{
	GPtrArray *names;
	struct frame *f;
	int err;

	/* Watched before it is read: nothing arrives unseen between. */
	if (s->cfg->watch)
		s->watch_err = watch_add(s->watch, path, rel);
	if ((err = scan_read_names(path, &names)) != 0)
		return err;
	if (s->cfg->folder_read != NULL)
		s->cfg->folder_read(s->cfg->data, path, rel, names);
	f = g_new0(struct frame, 1);
	f->names = names;
	f->path = g_strdup(path);
	f->rel = g_strdup(rel);
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->id = ++s->folders;
	g_ptr_array_add(s->stack, f);
	return 0;
}

static bool
on_stack(const struct scan *s, const struct stat *st)
{
	for (guint i = 0; i < s->stack->len; i++) {
		const struct frame *f = g_ptr_array_index(s->stack, i);

		if (f->dev == st->st_dev && f->ino == st->st_ino)
			return true;
	}
	return false;
}

static int
error_entry(struct scan_entry *e, const char *path, int err, const char *why)
{
	e->path = g_strdup(path);
	e->rel = NULL;
	e->err = err;
	e->why = why;
	return 1;
}

/*
 * After push_dir(): a folder walked but not watched is an error entry
 * (return 1); the limit of watches is said once (return 0 after).
 */
static int
watch_error(struct scan *s, struct scan_entry *e, const char *path)
{
	int err = s->watch_err;

	s->watch_err = 0;
	if (err == 0 || (err == ENOSPC && s->limit_said != NULL))
		return 0;
	if (err != ENOSPC)
		return error_entry(e, path, err, "cannot watch folder");
	s->limit_said = watch_limit_message();
	return error_entry(e, path, 0, s->limit_said);
}

/*
 * A path named on the command line or in a list: followed if a symlink,
 * always tried if a file. rel is the output name (transfer full) or NULL
 * for "the file's base name, or the folder's root".
 */
static int
take_named(struct scan *s, const char *path, char *rel, struct scan_entry *e)
{
	int err;

	if (stat(path, &e->st) != 0) {
		g_free(rel);
		return error_entry(e, path, errno, "cannot read");
	}
	if (S_ISDIR(e->st.st_mode)) {
		err = push_dir(s, path, rel ? rel : "", &e->st);
		g_free(rel);
		if (err != 0)
			return error_entry(e, path, err, "cannot open folder");
		return watch_error(s, e, path);
	}
	if (!S_ISREG(e->st.st_mode)) {
		g_free(rel);
		return error_entry(e, path, 0, "not a regular file");
	}
	e->path = g_strdup(path);
	e->rel = rel ? rel : g_path_get_basename(path);
	return 1;
}

/* The next entry of the innermost folder; 1 = *e filled, 0 = go on. */
static int
take_child(struct scan *s, struct frame *f, const char *name,
    struct scan_entry *e)
{
	char *path = g_build_filename(f->path, name, NULL);
	char *rel = *f->rel ? g_build_filename(f->rel, name, NULL)
	    : g_strdup(name);
	int rc = 0, err;

	if (fstatat(AT_FDCWD, path, &e->st, AT_SYMLINK_NOFOLLOW) != 0) {
		/* Vanished since the folder was read: nothing to report. */
		if (errno != ENOENT)
			rc = error_entry(e, path, errno, "cannot read");
		goto out;
	}
	if (S_ISLNK(e->st.st_mode)) {
		if (stat(path, &e->st) != 0)
			goto out; /* dangling link */
		if (S_ISDIR(e->st.st_mode) && !s->cfg->follow)
			goto out;
	}
	if (S_ISDIR(e->st.st_mode)) {
		if (s->have_skip && e->st.st_dev == s->skip_dev &&
		    e->st.st_ino == s->skip_ino)
			goto out;
		if (on_stack(s, &e->st)) {
			rc = error_entry(e, path, ELOOP, "folder loop");
			goto out;
		}
		err = push_dir(s, path, rel, &e->st);
		if (err != 0)
			rc = error_entry(e, path, err, "cannot open folder");
		else
			rc = watch_error(s, e, path);
		goto out;
	}
	if (S_ISREG(e->st.st_mode) &&
	    format_is_image(name, s->cfg->allow_untrusted)) {
		e->path = path;
		e->rel = rel;
		e->folder = f->id;
		e->folder_rel = f->rel;
		e->siblings = f->names;
		return 1;
	}
out:
	g_free(path);
	g_free(rel);
	return rc;
}

struct scan *
scan_new(const struct scan_config *cfg)
{
	struct watch *w = NULL;
	struct scan *s;
	struct stat st;

	if (cfg->watch && (w = watch_new()) == NULL)
		return NULL;
	s = g_new0(struct scan, 1);
	s->watch = w;
	g_queue_init(&s->events);
	s->cfg = cfg;
	s->stack = g_ptr_array_new_with_free_func(frame_free);
	if (cfg->skip_dir != NULL && stat(cfg->skip_dir, &st) == 0) {
		s->have_skip = true;
		s->skip_dev = st.st_dev;
		s->skip_ino = st.st_ino;
	}
	return s;
}

/* Open a path list; 0, or an error entry in *e (return 1). */
static int
open_list(struct scan *s, const char *name, struct scan_entry *e)
{
	s->list_name = name;
	s->list = pathlist_open(name, s->cfg->null_sep);
	if (s->list == NULL)
		return error_entry(e, name, errno, "cannot open list");
	return 0;
}

/* The list's next path as an entry: SCAN_ENTRY, SCAN_WAIT, or SCAN_END
   when it has nothing to hand out now: a folder it named is to be walked
   first, or the list is done (and closed). */
static enum scan_next
take_listed(struct scan *s, struct scan_entry *e)
{
	const char *path, *why;
	int err;

	for (;;) {
		switch (pathlist_next(s->list, &path, &why, &err)) {
		case PATHLIST_PATH:
			if (take_named(s, path, scan_list_rel(path), e))
				return SCAN_ENTRY;
			if (s->stack->len > 0)
				return SCAN_END; /* a folder: walk it first */
			break;
		case PATHLIST_BAD:
			error_entry(e, s->list_name, err, why);
			return SCAN_ENTRY;
		case PATHLIST_WAIT:
			return SCAN_WAIT;
		case PATHLIST_END:
			pathlist_close(s->list);
			s->list = NULL;
			return SCAN_END;
		}
	}
}

/* A file or folder an event named: 1 = *e filled; 0 = nothing to hand
   out (a folder is pushed to be walked, or the entry is not an image). */
static int
take_arrived(struct scan *s, const struct watch_event *ev,
    struct scan_entry *e)
{
	const char *name = strrchr(ev->path, '/') + 1;
	int err;

	if (lstat(ev->path, &e->st) != 0)
		return 0; /* gone again */
	if (S_ISLNK(e->st.st_mode) && (stat(ev->path, &e->st) != 0 ||
	    (S_ISDIR(e->st.st_mode) && !s->cfg->follow)))
		return 0;
	if (S_ISDIR(e->st.st_mode)) {
		if (ev->kind != WATCH_FOLDER || (s->have_skip &&
		    e->st.st_dev == s->skip_dev &&
		    e->st.st_ino == s->skip_ino))
			return 0;
		if ((err = push_dir(s, ev->path, ev->rel, &e->st)) != 0)
			return error_entry(e, ev->path, err,
			    "cannot open folder");
		return watch_error(s, e, ev->path);
	}
	if (!S_ISREG(e->st.st_mode) || !format_is_image(name,
	    s->cfg->allow_untrusted))
		return 0;
	e->path = g_strdup(ev->path);
	e->rel = g_strdup(ev->rel);
	return 1;
}

/* Something left the folder an event names: it is read again for
   folder_read (--prune). */
static void
reread(struct scan *s, const struct watch_event *ev)
{
	GPtrArray *names;

	if (ev->gone_rel != NULL && s->cfg->folder_gone != NULL)
		s->cfg->folder_gone(s->cfg->data, ev->gone_rel);
	if (s->cfg->folder_read != NULL &&
	    scan_read_names(ev->path, &names) == 0) {
		s->cfg->folder_read(s->cfg->data, ev->path, ev->rel, names);
		g_ptr_array_unref(names);
	}
}

/* --watch, once everything is walked: what has arrived since. As
   take_listed(), SCAN_END means "go on walking" (a folder arrived, or
   everything is to be walked again). */
static enum scan_next
take_event(struct scan *s, struct scan_entry *e)
{
	struct watch_event *ev;
	int err;

	if (g_queue_is_empty(&s->events) &&
	    (err = watch_read(s->watch, &s->events)) != 0) {
		error_entry(e, "inotify", err, "cannot read its events");
		return SCAN_ENTRY;
	}
	while ((ev = g_queue_pop_head(&s->events)) != NULL) {
		int got = 0;

		if (ev->kind == WATCH_RESCAN)
			s->argi = 0; /* events were lost: walk it all again */
		else if (ev->kind == WATCH_GONE)
			reread(s, ev);
		else
			got = take_arrived(s, ev, e);
		watch_event_free(ev);
		if (got)
			return SCAN_ENTRY;
		if (s->stack->len > 0 || s->argi == 0)
			return SCAN_END;
	}
	return SCAN_WAIT;
}

enum scan_next
scan_next(struct scan *s, struct scan_entry *e)
{
	memset(e, 0, sizeof(*e));
	for (;;) {
		if (s->stack->len > 0) {
			struct frame *f = g_ptr_array_index(s->stack,
			    s->stack->len - 1);

			if (f->next < f->names->len) {
				const char *name = g_ptr_array_index(f->names,
				    f->next++);

				if (take_child(s, f, name, e))
					return SCAN_ENTRY;
			} else {
				g_ptr_array_remove_index(s->stack,
				    s->stack->len - 1);
			}
			continue;
		}
		if (s->list != NULL) {
			enum scan_next got = take_listed(s, e);

			if (got != SCAN_END)
				return got;
			continue;
		}
		if (s->cfg->paths != NULL && s->cfg->paths[s->argi] != NULL) {
			const char *arg = s->cfg->paths[s->argi++];

			if (strcmp(arg, "-") == 0) {
				if (open_list(s, arg, e))
					return SCAN_ENTRY;
			} else if (take_named(s, arg, NULL, e)) {
				return SCAN_ENTRY;
			}
			continue;
		}
		if (s->cfg->files_from != NULL && !s->files_from_done) {
			s->files_from_done = true;
			if (open_list(s, s->cfg->files_from, e))
				return SCAN_ENTRY;
			continue;
		}
		if (s->watch != NULL) {
			enum scan_next got = take_event(s, e);

			if (got != SCAN_END)
				return got;
			continue;
		}
		return SCAN_END;
	}
}

int
scan_wait_fd(const struct scan *s)
{
	if (s->list != NULL)
		return pathlist_fd(s->list);
	return s->watch != NULL ? watch_fd(s->watch) : -1;
}

void
scan_entry_clear(struct scan_entry *e)
{
	g_free(e->path);
	g_free(e->rel);
	memset(e, 0, sizeof(*e));
}

void
scan_free(struct scan *s)
{
	if (s == NULL)
		return;
	pathlist_close(s->list);
	g_queue_clear_full(&s->events, (GDestroyNotify)watch_event_free);
	watch_free(s->watch);
	g_free(s->limit_said);
	g_ptr_array_unref(s->stack);
	g_free(s);
}
