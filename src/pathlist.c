/*
 * pathlist: a list of paths read in chunks, only when poll() says a chunk
 * is there (see pathlist.h).
 */
#include "pathlist.h"

#include <errno.h>  /* errno, EINTR, EAGAIN */
#include <fcntl.h>  /* open, fcntl, O_* */
#include <limits.h> /* PATH_MAX */
#include <poll.h>   /* poll */
#include <string.h> /* memchr, memmove, strcmp */
#include <unistd.h> /* read, close, STDIN_FILENO */

#include <glib.h> /* g_new0, g_free */

#define CHUNK (64 * 1024)

struct pathlist {
	int fd;
	bool is_stdin;
	char sep;
	bool eof;
	bool skipping; /* dropping the rest of a record too long */
	size_t start;  /* the unread records are buf[start, len) */
	size_t len;
	char buf[CHUNK + 1]; /* + 1: a NUL after a last record without sep */
};

struct pathlist *
pathlist_open(const char *name, bool null_sep)
{
	struct pathlist *l;
	int fd;

	if (strcmp(name, "-") == 0) {
		if (fcntl(STDIN_FILENO, F_GETFD) < 0)
			return NULL;
		fd = STDIN_FILENO;
	} else {
		/* Non-blocking: a FIFO with no writer yet must not hold up
		   open(); its records are awaited like a pipe's. The
		   descriptor is ours alone. */
		fd = open(name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			return NULL;
	}
	l = g_new0(struct pathlist, 1);
	l->fd = fd;
	l->is_stdin = fd == STDIN_FILENO;
	l->sep = null_sep ? '\0' : '\n';
	return l;
}

int
pathlist_fd(const struct pathlist *l)
{
	return l->fd;
}

void
pathlist_close(struct pathlist *l)
{
	if (l == NULL)
		return;
	if (!l->is_stdin)
		close(l->fd);
	g_free(l);
}

/*
 * Read one chunk if poll() says one is there. 1: read (or end of file
 * reached); 0: nothing there yet; -1: a read error, errno set.
 */
static int
fill(struct pathlist *l)
{
	struct pollfd pfd = {.fd = l->fd, .events = POLLIN};
	ssize_t n;
	int ready;

	if (l->start > 0) {
		memmove(l->buf, l->buf + l->start, l->len - l->start);
		l->len -= l->start;
		l->start = 0;
	}
	do
		ready = poll(&pfd, 1, 0);
	while (ready < 0 && errno == EINTR);
	if (ready < 0)
		return -1;
	if (ready == 0)
		return 0;
	n = read(l->fd, l->buf + l->len, CHUNK - l->len);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	if (n == 0)
		l->eof = true;
	l->len += (size_t)n;
	return 1;
}

/*
 * The next record in the buffer, NUL-terminated in place: PATHLIST_PATH,
 * PATHLIST_BAD, or PATHLIST_WAIT when the buffer holds no whole record.
 */
static enum pathlist_got
take(struct pathlist *l, const char **path, const char **why)
{
	for (;;) {
		char *rec = l->buf + l->start;
		size_t left = l->len - l->start, n;
		char *end = memchr(rec, l->sep, left);

		if (end == NULL && l->skipping) {
			l->start = l->len; /* more of a record too long */
			return PATHLIST_WAIT;
		}
		if (end == NULL && l->eof && left > 0)
			end = rec + left; /* the last record, unterminated */
		if (end == NULL && left < PATH_MAX)
			return PATHLIST_WAIT;
		if (end == NULL) {
			/* No path is that long: drop it up to its end. */
			l->start = l->len;
			l->skipping = true;
			*why = "skipped a line longer than any path";
			return PATHLIST_BAD;
		}
		n = (size_t)(end - rec);
		*end = '\0';
		l->start += n + (n < left);
		if (l->skipping) {
			l->skipping = false; /* the end of a record too long */
			continue;
		}
		if (n == 0)
			continue;
		if (n >= PATH_MAX) {
			*why = "skipped a line longer than any path";
			return PATHLIST_BAD;
		}
		if (memchr(rec, '\0', n) != NULL) {
			*why = "skipped a line holding a NUL byte (a list "
			    "separated by NUL bytes needs -0)";
			return PATHLIST_BAD;
		}
		*path = rec;
		return PATHLIST_PATH;
	}
}

enum pathlist_got
pathlist_next(struct pathlist *l, const char **path, const char **why,
    int *err)
{
	bool have_read = false;

	*err = 0;
	for (;;) {
		enum pathlist_got got = take(l, path, why);
		int rc;

		if (got != PATHLIST_WAIT)
			return got;
		if (l->eof)
			return PATHLIST_END;
		/* One read per call: a list that never ends (/dev/zero)
		   still hands control back, so signals are seen. */
		if (have_read)
			return PATHLIST_WAIT;
		if ((rc = fill(l)) == 0)
			return PATHLIST_WAIT;
		if (rc < 0) {
			*err = errno;
			*why = "cannot read list";
			l->eof = true;
			l->start = l->len;
			return PATHLIST_BAD;
		}
		have_read = true;
	}
}
