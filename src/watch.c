/*
 * watch: inotify watches of walked folders, their events as files and
 * folders to take (see watch.h).
 */
#include "watch.h"

#include <errno.h>       /* errno, EINTR, EAGAIN */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>      /* atol */
#include <string.h>      /* strlen */
#include <sys/inotify.h> /* inotify_* */
#include <unistd.h>      /* read, close */

#include "fault.h" /* fault_watch_add */

/* A watched folder. */
struct folder {
	char *path;
	char *rel; /* "" at the top of a PATH */
};

struct watch {
	int fd;
	GHashTable *folders; /* watch descriptor -> struct folder * */
};

static void
folder_free(gpointer data)
{
	struct folder *f = data;

	g_free(f->path);
	g_free(f->rel);
	g_free(f);
}

struct watch *
watch_new(void)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	struct watch *w;

	if (fd < 0)
		return NULL;
	w = g_new0(struct watch, 1);
	w->fd = fd;
	w->folders = g_hash_table_new_full(g_direct_hash, g_direct_equal,
	    NULL, folder_free);
	return w;
}

int
watch_fd(const struct watch *w)
{
	return w->fd;
}

int
watch_add(struct watch *w, const char *path, const char *rel)
{
	/* Files written and closed, moved in; folders made, moved in;
	   entries deleted or moved out (for --prune). */
	const uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE |
	    IN_DELETE | IN_MOVED_FROM | IN_ONLYDIR;
	struct folder *f;
	int wd, err;

	if ((err = fault_watch_add()) != 0)
		return err;
	if ((wd = inotify_add_watch(w->fd, path, mask)) < 0)
		return errno;
	f = g_new0(struct folder, 1);
	f->path = g_strdup(path);
	f->rel = g_strdup(rel);
	/* A folder watched again (a rescan) keeps its descriptor. */
	g_hash_table_replace(w->folders, GINT_TO_POINTER(wd), f);
	return 0;
}

/* One event as a struct watch_event, or NULL for none to take. */
static struct watch_event *
event_of(struct watch *w, const struct inotify_event *in)
{
	struct watch_event *ev;
	const struct folder *f;
	bool dir = (in->mask & IN_ISDIR) != 0;

	if (in->mask & IN_Q_OVERFLOW) {
		ev = g_new0(struct watch_event, 1);
		ev->kind = WATCH_RESCAN;
		return ev;
	}
	if (in->mask & IN_IGNORED) {
		g_hash_table_remove(w->folders, GINT_TO_POINTER(in->wd));
		return NULL;
	}
	f = g_hash_table_lookup(w->folders, GINT_TO_POINTER(in->wd));
	if (f == NULL || in->len == 0 || in->name[0] == '.' || in->name[0] ==
	    '\0')
		return NULL;
	/* A file is taken once it is complete: a new one is not. */
	if ((in->mask & IN_CREATE) && !dir)
		return NULL;
	ev = g_new0(struct watch_event, 1);
	if (in->mask & (IN_DELETE | IN_MOVED_FROM)) {
		ev->kind = WATCH_GONE;
		ev->path = g_strdup(f->path);
		ev->rel = g_strdup(f->rel);
		if (dir)
			ev->gone_rel = *f->rel ? g_build_filename(f->rel,
			    in->name, NULL) : g_strdup(in->name);
		return ev;
	}
	ev->kind = dir ? WATCH_FOLDER : WATCH_FILE;
	ev->path = g_build_filename(f->path, in->name, NULL);
	ev->rel = *f->rel ? g_build_filename(f->rel, in->name, NULL)
	    : g_strdup(in->name);
	return ev;
}

int
watch_read(struct watch *w, GQueue *q)
{
	char buf[64 * 1024]
	    __attribute__((aligned(__alignof__(struct inotify_event))));

	for (;;) {
		ssize_t n = read(w->fd, buf, sizeof(buf));
		const char *p = buf;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : errno;
		while (p < buf + n) {
			const struct inotify_event *in = (const void *)p;
			struct watch_event *ev = event_of(w, in);

			const struct watch_event *last = g_queue_peek_tail(q);

			/* One folder emptied: one reading of it again. */
			if (ev != NULL && ev->kind == WATCH_GONE &&
			    ev->gone_rel == NULL && last != NULL &&
			    last->kind == WATCH_GONE && last->gone_rel == NULL &&
			    strcmp(last->path, ev->path) == 0) {
				watch_event_free(ev);
				ev = NULL;
			}
			if (ev != NULL)
				g_queue_push_tail(q, ev);
			p += sizeof(*in) + in->len;
		}
	}
}

void
watch_event_free(struct watch_event *ev)
{
	if (ev == NULL)
		return;
	g_free(ev->path);
	g_free(ev->rel);
	g_free(ev->gone_rel);
	g_free(ev);
}

void
watch_free(struct watch *w)
{
	if (w == NULL)
		return;
	close(w->fd);
	g_hash_table_unref(w->folders);
	g_free(w);
}

char *
watch_limit_message(void)
{
	gchar *text = NULL;
	long limit = -1;

	if (g_file_get_contents("/proc/sys/fs/inotify/max_user_watches",
	    &text, NULL, NULL))
		limit = atol(text);
	g_free(text);
	return g_strdup_printf("cannot watch more folders: the limit of "
	    "inotify watches is reached (fs.inotify.max_user_watches = %ld); "
	    "raise it with: sysctl fs.inotify.max_user_watches=%ld", limit,
	    limit > 0 ? limit * 4 : 524288);
}
