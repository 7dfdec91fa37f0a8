/*
 * output: naming, freshness and the temporary-file-and-rename save (see
 * output.h).
 */
#include "output.h"

#include <dirent.h>   /* fdopendir, readdir */
#include <errno.h>    /* errno, EEXIST */
#include <fcntl.h>    /* open, O_*, AT_FDCWD, RENAME_NOREPLACE */
#include <inttypes.h> /* PRIx64 */
#include <stdio.h>    /* rename, renameat2, snprintf, fopen */
#include <string.h>   /* strrchr, strlen, strerror */
#include <time.h>     /* time */
#include <unistd.h>   /* unlink, link, gethostname, readlink */

#include <glib.h> /* g_build_filename, g_path_get_dirname, g_mkdir_with_parents */

#include "format.h" /* format_suffix */
#include "freedesktop.h" /* freedesktop_path */
#include "hash.h"   /* hash64_str */
#include "record.h" /* record_read */
#include "xio.h"    /* write_full */

struct output_layout {
	struct output_layout_config cfg;
	GHashTable *savable; /* suffix -> can_save()'s answer */
};

struct output_layout *
output_layout_new(const struct output_layout_config *cfg)
{
	struct output_layout *l = g_new0(struct output_layout, 1);

	l->cfg = *cfg;
	l->savable = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	    NULL);
	return l;
}

void
output_layout_free(struct output_layout *l)
{
	if (l == NULL)
		return;
	g_hash_table_unref(l->savable);
	g_free(l);
}

/* can_save(), asked once per suffix: libvips finds a saver by walking
   its classes, which is no work for every file. */
static bool
can_save(struct output_layout *l, const char *suffix)
{
	gpointer answer;
	bool ok;

	if (*suffix == '\0')
		return false;
	if (g_hash_table_lookup_extended(l->savable, suffix, NULL, &answer))
		return GPOINTER_TO_INT(answer);
	ok = l->cfg.can_save(suffix);
	g_hash_table_insert(l->savable, g_strdup(suffix), GINT_TO_POINTER(ok));
	return ok;
}

/*
 * rel renamed by an --output-template (as the options have checked it):
 * %s the stem of rel's base name, %e its extension without the dot, %d its
 * folder ("" at the top), %% a '%'; empty and "." components dropped.
 * Returns a new string.
 */
static char *
apply_template(const char *tmpl, const char *rel)
{
	char *dir = g_path_get_dirname(rel);
	char *base = g_path_get_basename(rel);
	const char *dot = format_suffix(base);
	GString *name = g_string_new(NULL);
	char **parts;
	GString *clean = g_string_new(NULL);

	for (const char *p = tmpl; *p != '\0'; p++) {
		if (*p != '%' || p[1] == '\0') {
			g_string_append_c(name, *p);
			continue;
		}
		switch (*++p) {
		case 's':
			g_string_append_len(name, base, dot - base);
			break;
		case 'e':
			g_string_append(name, *dot ? dot + 1 : "");
			break;
		case 'd':
			if (strcmp(dir, ".") != 0)
				g_string_append(name, dir);
			break;
		default:
			g_string_append_c(name, *p);
			break;
		}
	}
	/* "%d/%s.jpg" at the top is "/a.jpg": keep only real components. */
	parts = g_strsplit(name->str, "/", -1);
	for (char **c = parts; *c != NULL; c++) {
		/* ".." too: a stem can be ".." ("...jpg"). */
		if (**c == '\0' || strcmp(*c, ".") == 0 ||
		    strcmp(*c, "..") == 0)
			continue;
		if (clean->len > 0)
			g_string_append_c(clean, '/');
		g_string_append(clean, *c);
	}
	g_strfreev(parts);
	g_string_free(name, TRUE);
	g_free(dir);
	g_free(base);
	return g_string_free(clean, FALSE);
}

/* rel renamed by the template and converted to the format: the name
   under the output folder (or a box's folder). New string. */
static char *
rename_rel(struct output_layout *l, const char *rel)
{
	const char *tmpl = l->cfg.tmpl, *format = l->cfg.format;
	char *renamed = tmpl != NULL ? apply_template(tmpl, rel) : NULL;
	const char *suffix;
	char *name;

	if (renamed != NULL)
		rel = renamed;
	suffix = format_suffix(rel);
	if (format != NULL)
		name = g_strdup_printf("%.*s.%s", (int)(suffix - rel), rel,
		    format);
	else if (!can_save(l, suffix))
		name = g_strconcat(rel, ".png", NULL);
	else
		name = g_strdup(rel);
	g_free(renamed);
	return name;
}

static bool
multi(const struct output_layout *l)
{
	return l->cfg.thumb->nboxes > 1;
}

char *
output_name(struct output_layout *l, const char *rel)
{
	const struct thumb_opts *t = l->cfg.thumb;
	char *name = rename_rel(l, rel);
	char *path = g_build_filename(t->outdir, multi(l) ?
	    t->boxes[0].label : name, multi(l) ? name : NULL, NULL);

	g_free(name);
	return path;
}

void
output_targets(struct output_layout *l, const char *path, const char *rel,
    struct targets *ts)
{
	const struct thumb_opts *t = l->cfg.thumb;
	char *name;

	memset(ts, 0, sizeof(*ts));
	if (l->cfg.cache_size != NULL) {
		ts->kind = OUTPUT_CACHE;
		ts->n = 1;
		ts->t[0] = (struct target){.width = t->width,
		    .height = t->height, .path = freedesktop_path(t->outdir,
		    l->cfg.cache_size, path)};
		return;
	}
	ts->kind = OUTPUT_FILES;
	if (!multi(l)) {
		ts->n = 1;
		ts->t[0] = (struct target){.width = t->width,
		    .height = t->height, .path = output_name(l, rel)};
		return;
	}
	name = rename_rel(l, rel);
	ts->n = t->nboxes;
	for (int i = 0; i < t->nboxes; i++)
		ts->t[i] = (struct target){.width = t->boxes[i].width,
		    .height = t->boxes[i].height, .path = g_build_filename(
		    t->outdir, t->boxes[i].label, name, NULL)};
	g_free(name);
}

void
output_targets_clear(struct targets *ts)
{
	for (int i = 0; i < ts->n; i++)
		g_free(ts->t[i].path);
	ts->n = 0;
}


/* This run's part of every temporary name: PLACE-PID-START. */
static char owner[64] = "0000000000000000-0-0";
static uint64_t owner_place;

/* The first line of a small file under /proc, or "" (no newline). */
static void
read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");

	buf[0] = '\0';
	if (f == NULL)
		return;
	if (fgets(buf, (int)size, f) == NULL)
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* A process's start time in clock ticks since boot (field 22 of
   /proc/PID/stat), or 0 when it is gone. */
static unsigned long long
start_time(pid_t pid)
{
	char path[64], line[1024];
	const char *p;
	unsigned long long t = 0;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	read_line(path, line, sizeof(line));
	/* The name in parentheses may hold spaces: count from its end. */
	p = strrchr(line, ')');
	if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u "
	    "%*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu", &t) != 1)
		return 0;
	return t;
}

void
output_owner_init(void)
{
	char host[256] = "", boot[64], ns[64] = "";
	char *place;
	ssize_t n;

	if (gethostname(host, sizeof(host) - 1) != 0)
		host[0] = '\0';
	read_line("/proc/sys/kernel/random/boot_id", boot, sizeof(boot));
	n = readlink("/proc/self/ns/pid", ns, sizeof(ns) - 1);
	ns[n > 0 ? n : 0] = '\0';
	place = g_strdup_printf("%s\n%s\n%s", host, boot, ns);
	owner_place = hash64_str(place);
	snprintf(owner, sizeof(owner), "%016" PRIx64 "-%ld-%llu",
	    owner_place, (long)getpid(), start_time(getpid()));
	g_free(place);
}

/* Is the temporary file `name` in dirfd a leftover of a run that is
   gone? */
static bool
is_leftover(int dirfd, const char *name)
{
	unsigned long long start;
	uint64_t place, hash;
	long pid, worker;
	int used = -1;
	struct stat st;

	if (sscanf(name, ".pthumb-%16" SCNx64 "-%ld-%llu-%ld-%16" SCNx64
	    ".tmp%n", &place, &pid, &start, &worker, &hash, &used) != 5 ||
	    used < 0 || name[used] != '\0' || pid <= 0)
		return false;
	if (place == owner_place) {
		/* Here pids mean the same processes as for us. */
		if (pid == (long)getpid())
			return false;
		return start_time((pid_t)pid) != start;
	}
	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode) &&
	    time(NULL) - st.st_mtime > OUTPUT_FOREIGN_TMP_AGE;
}

int
output_clean_leftovers(int dirfd)
{
	int fd = dup(dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	GPtrArray *gone = g_ptr_array_new_with_free_func(g_free);
	struct dirent *e;
	int removed = 0;

	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		g_ptr_array_unref(gone);
		return 0;
	}
	/* Read whole first: the folder is not changed while it is read. */
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, ".pthumb-", 8) == 0 &&
		    is_leftover(dirfd, e->d_name))
			g_ptr_array_add(gone, g_strdup(e->d_name));
	closedir(d);
	for (guint i = 0; i < gone->len; i++)
		removed += unlinkat(dirfd, gone->pdata[i], 0) == 0;
	g_ptr_array_unref(gone);
	return removed;
}

char *
output_tmp_name(const char *final, pid_t worker)
{
	char *base = g_path_get_basename(final);
	char *name = g_strdup_printf(".pthumb-%s-%ld-%016" PRIx64 ".tmp",
	    owner, (long)worker, hash64_str(base));

	g_free(base);
	return name;
}

char *
output_tmp_path(const char *final, pid_t worker)
{
	char *dir = g_path_get_dirname(final);
	char *name = output_tmp_name(final, worker);
	char *tmp = g_build_filename(dir, name, NULL);

	g_free(dir);
	g_free(name);
	return tmp;
}

/* The file open at fd, stat st, against the source and options. */
static enum output_state
classify(int fd, const struct stat *st, const struct stat *src,
    uint64_t source, uint64_t options)
{
	struct record rec;

	if (!S_ISREG(st->st_mode))
		return OUTPUT_FOREIGN;
	if (st->st_dev == src->st_dev && st->st_ino == src->st_ino)
		return OUTPUT_IS_INPUT;
	if (st->st_size == 0)
		return OUTPUT_EMPTY;
	switch (record_read(fd, st, &rec)) {
	case RECORD_NONE:
		return OUTPUT_FOREIGN;
	case RECORD_IOERR:
		return OUTPUT_UNREADABLE;
	case RECORD_FOUND:
		break;
	}
	if (rec.source != source)
		return OUTPUT_OTHERS;
	/* A machine that lost power can leave a file shorter than its
	   record says: seen here without reading it whole. */
	if (rec.length != (long long)st->st_size)
		return OUTPUT_TRUNCATED;
	if (rec.size != (long long)src->st_size ||
	    rec.mtime_s != (long long)src->st_mtim.tv_sec ||
	    rec.mtime_ns != src->st_mtim.tv_nsec)
		return OUTPUT_SOURCE_CHANGED;
	if (rec.options != options)
		return OUTPUT_OPTIONS_CHANGED;
	return OUTPUT_FRESH;
}

/*
 * The part of final below root: final is root's path, a '/', and the rest
 * (output_targets() builds it so); NULL if it is not.
 */
static const char *
below_root(const char *root, const char *final)
{
	size_t n = strlen(root);

	while (n > 1 && root[n - 1] == '/')
		n--;
	if (n == 1 && *root == '/')
		n = 0; /* the root folder: final starts with its '/' */
	if (strncmp(final, root, n) != 0 || final[n] != '/')
		return NULL;
	while (final[n] == '/')
		n++;
	return final + n;
}

int
output_open_dir(const char *root, const char *final, bool create,
    char **where)
{
	const char *rest = below_root(root, final);
	const char *p, *slash;
	int fd, err;

	if (where != NULL)
		*where = NULL;
	if (rest == NULL) {
		errno = EINVAL;
		return -1;
	}
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create &&
	    g_mkdir_with_parents(root, 0777) == 0)
		fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (p = rest; fd >= 0 && (slash = strchr(p, '/')) != NULL;
	    p = slash + 1) {
		char *name = g_strndup(p, (gsize)(slash - p));
		const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC;
		int next = openat(fd, name, flags);

		struct stat st;

		if (next < 0 && errno == ENOENT && create &&
		    (mkdirat(fd, name, 0777) == 0 || errno == EEXIST))
			next = openat(fd, name, flags);
		err = errno;
		/* O_DIRECTORY says ENOTDIR for a link too: tell them apart. */
		if (next < 0 && err == ENOTDIR && fstatat(fd, name, &st,
		    AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
			err = ELOOP;
		g_free(name);
		close(fd);
		fd = next;
		if (fd < 0 && where != NULL && (err == ELOOP ||
		    err == ENOTDIR))
			*where = g_strndup(final, (gsize)(slash - final));
		errno = err;
	}
	return fd;
}

int
output_dir_of(struct output_dir *c, const char *root, const char *final,
    bool create, bool again, bool *fresh, char **where)
{
	char *dir = g_path_get_dirname(final);

	if (fresh != NULL)
		*fresh = false;
	if (where != NULL)
		*where = NULL;
	if (!again && c->path != NULL && strcmp(dir, c->path) == 0) {
		g_free(dir);
		return c->fd;
	}
	output_dir_close(c);
	c->fd = output_open_dir(root, final, create, where);
	if (c->fd < 0) {
		g_free(dir);
		return -1;
	}
	c->path = dir;
	if (fresh != NULL)
		*fresh = true;
	return c->fd;
}

void
output_dir_close(struct output_dir *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	g_free(c->path);
	c->path = NULL;
}

enum output_state
output_check_at(int dirfd, const char *name, const struct stat *src,
    uint64_t source, uint64_t options)
{
	/* No link followed, no wait on a FIFO: either is not a thumbnail.
	   Reading a record is no use of the thumbnail: its access time is
	   left alone where the owner may ask (6% of the first re-run
	   after a run went to access-time writes, by perf). */
	const int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
	int fd = openat(dirfd, name, flags | O_NOATIME);
	enum output_state state;
	struct stat st;
	int err;

	if (fd < 0 && errno == EPERM)
		fd = openat(dirfd, name, flags);
	if (fd < 0)
		return errno == ENOENT ? OUTPUT_ABSENT : errno == ELOOP ?
		    OUTPUT_FOREIGN : OUTPUT_UNREADABLE;
	state = fstat(fd, &st) == 0 ? classify(fd, &st, src, source, options)
	    : OUTPUT_UNREADABLE;
	err = errno;
	close(fd);
	errno = err;
	return state;
}

int
output_verify_at(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	int ok, err;

	if (fd < 0)
		return -1;
	ok = record_verify(fd);
	err = errno;
	close(fd);
	errno = err;
	return ok;
}

/* The temporary file `name` of mode `mode` (& ~umask), replacing a stale
   one of an earlier process with the same pid. */
static int
create_tmp_at(int dirfd, const char *name, mode_t mode)
{
	const int flags = O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW;
	int fd = openat(dirfd, name, flags, mode);

	if (fd < 0 && errno == EEXIST && unlinkat(dirfd, name, 0) == 0)
		fd = openat(dirfd, name, flags, mode);
	return fd;
}

int
output_create_tmp_at(int dirfd, const char *name)
{
	/* 0666: the umask decides, as for any file the user creates. */
	return create_tmp_at(dirfd, name, 0666);
}

int
output_make_folder(const char *final, mode_t mode)
{
	char *dir = g_path_get_dirname(final);
	int rc = g_mkdir_with_parents(dir, (int)mode), err = errno;

	g_free(dir);
	errno = err;
	return rc;
}

/* data whole into the new file tmp of the folder at dirfd, flushed when
   sync. 0, or -1 with errno and tmp removed. */
static int
write_tmp_at(int dirfd, const char *tmp, const void *data, size_t len,
    mode_t mode, bool sync)
{
	int fd = create_tmp_at(dirfd, tmp, mode), rc, err;

	if (fd < 0)
		return -1;
	rc = write_full(fd, data, len);
	if (rc == 0 && sync)
		rc = fsync(fd);
	err = errno;
	if (close(fd) != 0 && rc == 0) {
		rc = -1;
		err = errno;
	}
	if (rc != 0)
		unlinkat(dirfd, tmp, 0);
	errno = err;
	return rc;
}

int
output_write_file(const char *final, const void *data, size_t len,
    mode_t mode, bool sync)
{
	char *dir = g_path_get_dirname(final);
	char *base = g_path_get_basename(final);
	char *tmp = output_tmp_name(final, getpid());
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = -1, err;

	if (dirfd >= 0 && write_tmp_at(dirfd, tmp, data, len, mode,
	    sync) == 0) {
		rc = renameat(dirfd, tmp, dirfd, base);
		err = errno;
		if (rc != 0)
			unlinkat(dirfd, tmp, 0);
		/* In place, perhaps not on the disk: say so. */
		else if (sync && (rc = fsync(dirfd)) != 0)
			err = errno;
		errno = err;
	}
	err = errno;
	if (dirfd >= 0)
		close(dirfd);
	g_free(tmp);
	g_free(base);
	g_free(dir);
	errno = err;
	return rc;
}

/*
 * Move tmp to a final name found empty, failing with EEXIST if a file
 * appeared there meanwhile. renameat2() where the file system has it; a
 * hard link then unlink elsewhere (NFS); a plain rename where neither
 * works (no hard links: FAT).
 */
static int
move_no_replace(int dirfd, const char *tmp, const char *name)
{
	if (renameat2(dirfd, tmp, dirfd, name, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
		return -1;
	if (linkat(dirfd, tmp, dirfd, name, 0) == 0)
		return unlinkat(dirfd, tmp, 0) == 0 || errno == ENOENT ? 0 : -1;
	if (errno != EPERM && errno != ENOTSUP && errno != EOPNOTSUPP)
		return -1;
	return renameat(dirfd, tmp, dirfd, name);
}

int
output_commit_at(int dirfd, const char *tmp, const char *name,
    const char *final, const struct stat *src, uint64_t source,
    bool replace_unrecorded, char *why, size_t size)
{
	/* Most often nothing is there yet: a move that cannot replace needs
	   no look first (a file system without it is looked at below). */
	if (renameat2(dirfd, tmp, dirfd, name, RENAME_NOREPLACE) == 0)
		return 0;
	/* Twice at most: a file that appears between the look and the move
	   is looked at again. */
	for (int tries = 0; tries < 2; tries++) {
		enum output_state state = output_check_at(dirfd, name, src,
		    source, 0);

		switch (state) {
		case OUTPUT_ABSENT:
			if (move_no_replace(dirfd, tmp, name) == 0)
				return 0;
			if (errno == EEXIST)
				continue;
			break;
		case OUTPUT_FOREIGN:
			if (replace_unrecorded &&
			    renameat(dirfd, tmp, dirfd, name) == 0)
				return 0;
			if (replace_unrecorded)
				break;
			snprintf(why, size, "%s exists and was not made by "
			    "pthumb; not replaced (--replace-unrecorded "
			    "replaces it)", final);
			return -1;
		case OUTPUT_IS_INPUT:
			snprintf(why, size, "%s: the output would overwrite "
			    "the input", final);
			return -1;
		case OUTPUT_OTHERS:
			snprintf(why, size, "%s is the thumbnail of another "
			    "input; not replaced", final);
			return -1;
		case OUTPUT_UNREADABLE:
			break;
		default: /* empty, or ours: replace it */
			if (renameat(dirfd, tmp, dirfd, name) == 0)
				return 0;
			break;
		}
		snprintf(why, size, "cannot write %s: %s", final,
		    strerror(errno));
		return -1;
	}
	snprintf(why, size, "cannot write %s: another process keeps "
	    "creating it", final);
	return -1;
}
