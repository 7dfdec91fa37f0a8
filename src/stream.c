/*
 * stream: one image to standard output (see stream.h).
 */
#include "stream.h"

#include <errno.h>      /* errno, EINTR, EPIPE */
#include <fcntl.h>      /* O_CLOEXEC */
#include <poll.h>       /* ppoll */
#include <signal.h>     /* kill, SIGKILL */
#include <stdarg.h>
#include <stdio.h>      /* fprintf */
#include <string.h>     /* strerror, strstr */
#include <sys/prctl.h>  /* prctl, PR_SET_PDEATHSIG */
#include <sys/socket.h> /* socketpair */
#include <sys/stat.h>   /* stat, S_ISREG */
#include <sys/wait.h>   /* waitpid */
#include <unistd.h>     /* isatty, read, fork, pipe2 */

#include <glib.h>
#include <vips/vips.h> /* vips_foreign_find_load_buffer */

#include "fault.h"
#include "format.h"  /* format_suffix, format_stream_suffix */
#include "outcome.h" /* EXIT_*, WORKER_EXIT_* */
#include "pipeline.h" /* pipeline_init_process, pipeline_can_save */
#include "pool.h"    /* pool_exit_text */
#include "proto.h"   /* proto_encode_result, proto_decode */
#include "report.h"  /* report_append_safe */
#include "rlimits.h"
#include "signals.h" /* signals_caught, signals_sleep_mask */
#include "thumb.h"
#include "vipslog.h"
#include "xio.h"     /* write_full, now_ns */

const char *
stream_suffix(const char *name, const void *data, size_t len)
{
	const char *suffix = NULL, *loader;

	if (name != NULL) {
		suffix = format_suffix(name);
	} else if ((loader = vips_foreign_find_load_buffer(data, len))
	    != NULL) {
		suffix = format_stream_suffix(loader, data, len);
	} else {
		/* The failed guess left a message; the load will say why. */
		vips_error_clear();
	}
	return suffix != NULL && pipeline_can_save(suffix) ? suffix : ".png";
}

/* One line on standard error: "pthumb: NAME: CAUSE", both escaped. */
static void
say(const char *name, const char *fmt, ...)
{
	GString *line = g_string_new("pthumb: ");
	char *cause;
	va_list ap;

	va_start(ap, fmt);
	cause = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	report_append_safe(line, name);
	g_string_append(line, ": ");
	report_append_safe(line, cause);
	g_string_append_c(line, '\n');
	(void)write_full(STDERR_FILENO, line->str, line->len);
	g_string_free(line, TRUE);
	g_free(cause);
}

/*
 * Read what poll() says fd has into buf, at most `max` bytes in all.
 * 1: read some; 0: end of file; -1: an error (errno), or over max
 * (errno EFBIG).
 */
static int
read_some(int fd, GByteArray *buf, long long max)
{
	guint8 chunk[65536];
	ssize_t n;

	do
		n = read(fd, chunk, sizeof(chunk));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? 1 : -1; /* made non-blocking
						    elsewhere: wait again */
	if (n == 0)
		return 0;
	if ((long long)buf->len + n > max) {
		errno = EFBIG;
		return -1;
	}
	g_byte_array_append(buf, chunk, (guint)n);
	return 1;
}

/*
 * All of standard input, read as it comes with the signals let in while
 * waiting (a slow writer must not hold up Ctrl-C). 0; -1 with a message
 * in *why; -2 when a signal stopped it.
 */
static int
read_stdin(GByteArray *buf, const char **why)
{
	struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
	int rc;

	do {
		if (ppoll(&pfd, 1, NULL, signals_sleep_mask()) < 0 &&
		    errno != EINTR) {
			*why = strerror(errno);
			return -1;
		}
		if (signals_caught())
			return -2;
		rc = read_some(STDIN_FILENO, buf, STREAM_IN_MAX);
	} while (rc > 0);
	if (rc < 0) {
		*why = errno == EFBIG ? "over 1 GiB" : strerror(errno);
		return -1;
	}
	if (buf->len == 0) {
		*why = "empty";
		return -1;
	}
	return 0;
}

/*
 * The worker: with a batch worker's limits, make the thumbnail of src,
 * write its bytes to `data` once complete, then its RESULT to `sock`.
 */
static void
stream_worker(const struct opts *o, const char *name,
    struct thumb_src *src, int data, int sock) G_GNUC_NORETURN;

static void
stream_worker(const struct opts *o, const char *name,
    struct thumb_src *src, int data, int sock)
{
	unsigned char msg[PROTO_MSG_MAX];
	struct result r = {.status = STATUS_ERROR};
	struct vipslog log;
	struct thumb *t;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC), len;
	char *suffix;

	/* Die with the parent; standard output is the parent's alone. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || null < 0 ||
	    dup2(null, STDIN_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0)
		_exit(WORKER_EXIT_STREAM_SETUP);
	signals_reset_child();
	fault_at_start();
	if (rlimits_set_memory(o->worker_memory) != 0) {
		snprintf(r.error, sizeof(r.error), "cannot limit the worker's "
		    "memory: %s", strerror(errno));
	} else {
		/* A backstop behind the parent's wall-clock timeout. */
		(void)rlimits_cpu_from_now(o->timeout + 1);
		fault_before_image(name);
		suffix = o->format != NULL ? g_strconcat(".", o->format, NULL)
		    : g_strdup(stream_suffix(src->path, src->data, src->len));
		pipeline_init_process(true);
		vipslog_start(&log, NULL);
		t = thumb_new(&o->thumb, THUMB_OWN_PROCESS, &log);
		thumb_stream(t, src, suffix, data, &r);
		thumb_free(t);
		vipslog_stop(&log);
		g_free(suffix);
	}
	close(data);
	len = proto_encode_result(msg, 1, getpid(), &r);
	/* Nothing of the parent's (stdio buffers, atexit) may run here. */
	_exit(write_full(sock, msg, (size_t)len) == 0 ? WORKER_EXIT_DONE
	    : WORKER_EXIT_FAILED);
}

/* What the parent collects from the worker. */
struct collected {
	GByteArray *image;  /* the thumbnail's bytes */
	unsigned char msg[PROTO_MSG_MAX];
	size_t have;        /* bytes of the RESULT so far */
	bool timed_out;
	bool too_big;       /* over STREAM_OUT_MAX */
	int read_err;       /* the image could not be read back: errno */
	int sig;            /* a signal stopped pthumb */
};

/* Read the worker's two channels until both end, the timeout, or a
   signal; then the worker is gone (killed if need be) and reaped. */
static int
collect(const struct opts *o, pid_t pid, int data, int sock,
    struct collected *c)
{
	struct pollfd pfd[2] = {
		{.fd = data, .events = POLLIN},
		{.fd = sock, .events = POLLIN},
	};
	long long deadline = now_ns() + (long long)(o->timeout * 1e9);
	int status = 0, rc;

	while (pfd[0].fd >= 0 || pfd[1].fd >= 0) {
		long long left = deadline - now_ns();
		struct timespec ts = {left / 1000000000LL, left % 1000000000LL};

		if ((c->sig = signals_caught()) != 0 ||
		    (c->timed_out = left <= 0) || c->too_big)
			break;
		if (ppoll(pfd, 2, &ts, signals_sleep_mask()) < 0 &&
		    errno != EINTR)
			break;
		if (pfd[0].revents != 0 && (rc = read_some(pfd[0].fd,
		    c->image, STREAM_OUT_MAX)) <= 0) {
			c->too_big = rc < 0 && errno == EFBIG;
			c->read_err = rc < 0 && !c->too_big ? errno : 0;
			pfd[0].fd = -1;
		}
		if (pfd[1].revents != 0) {
			ssize_t n = read(sock, c->msg + c->have,
			    sizeof(c->msg) - c->have);

			if (n > 0)
				c->have += (size_t)n;
			else if (n == 0 || errno != EINTR)
				pfd[1].fd = -1;
		}
	}
	if (pfd[0].fd >= 0 || pfd[1].fd >= 0)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

/* Say how the worker's image went; the exit status. */
static int
settle(const struct opts *o, const char *name, pid_t pid, int status,
    struct collected *c)
{
	const char *why = NULL;
	char what[128];
	size_t used;
	struct msg m;

	if (c->sig != 0)
		return EXIT_SIGNAL_BASE + c->sig;
	if (c->timed_out) {
		say(name, "no result after %.1f s; worker (pid %ld) killed",
		    o->timeout, (long)pid);
		return EXIT_SOME_FAILED;
	}
	if (c->too_big) {
		say(name, "the thumbnail is over %lld MiB; not written",
		    STREAM_OUT_MAX >> 20);
		return EXIT_SOME_FAILED;
	}
	if (c->read_err != 0) {
		say(name, "cannot read the thumbnail back from the worker: %s",
		    strerror(c->read_err));
		return EXIT_SOME_FAILED;
	}
	if (proto_decode(c->msg, c->have, &m, &used, &why) != 1 ||
	    m.hdr.type != MSG_RESULT || m.hdr.pid != pid) {
		pool_exit_text(status, what, sizeof(what));
		say(name, "%s", what);
		return EXIT_SOME_FAILED;
	}
	if (status_failed(m.result.status)) {
		say(name, "%s", m.result.error);
		return EXIT_SOME_FAILED;
	}
	if (m.result.status == STATUS_WARNING)
		say(name, "%s", m.result.warnings);
	if (write_full(STDOUT_FILENO, c->image->data, c->image->len) != 0) {
		if (errno != EPIPE)
			fprintf(stderr, "pthumb: write error: %s\n",
			    strerror(errno));
		return EXIT_USAGE;
	}
	return EXIT_ALL_DONE;
}

/* Make src's thumbnail in a worker and write it out; the exit status. */
static int
run_worker(const struct opts *o, const char *name, struct thumb_src *src)
{
	struct collected c = {.image = g_byte_array_new()};
	int data[2] = {-1, -1}, sock[2] = {-1, -1}, status;
	pid_t pid;

	if (pipe2(data, O_CLOEXEC) != 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sock) != 0) {
		fprintf(stderr, "pthumb: cannot start a worker: %s\n",
		    strerror(errno));
		status = EXIT_USAGE;
		goto out;
	}
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0) {
		fprintf(stderr, "pthumb: fork() failed while starting a worker: "
		    "%s\n", strerror(errno));
		status = EXIT_USAGE;
		goto out;
	}
	if (pid == 0) {
		close(data[0]);
		close(sock[0]);
		stream_worker(o, name, src, data[1], sock[1]);
	}
	close(data[1]);
	close(sock[1]);
	data[1] = sock[1] = -1;
	status = settle(o, name, pid, collect(o, pid, data[0], sock[0], &c),
	    &c);
out:
	for (int i = 0; i < 2; i++) {
		if (data[i] >= 0)
			close(data[i]);
		if (sock[i] >= 0)
			close(sock[i]);
	}
	g_byte_array_unref(c.image);
	return status;
}

int
stream_run(const struct opts *o)
{
	const char *name = o->npaths > 0 ? o->paths[0] : "standard input";
	GByteArray *buf = g_byte_array_new();
	struct thumb_src src = {0};
	const char *why;
	struct stat st;
	int status = EXIT_USAGE, rc;

	if (isatty(STDOUT_FILENO)) {
		fprintf(stderr, "pthumb: not writing an image to a terminal; "
		    "redirect standard output\n");
		goto out;
	}
	if (o->npaths > 0) {
		if (stat(name, &st) != 0) {
			say(name, "%s", strerror(errno));
			goto out;
		}
		if (!S_ISREG(st.st_mode)) {
			say(name, "-o - writes one thumbnail; this is not a "
			    "file");
			goto out;
		}
		src.path = name;
	} else {
		if ((rc = read_stdin(buf, &why)) == -2) {
			status = EXIT_SIGNAL_BASE + signals_caught();
			goto out;
		}
		if (rc != 0) {
			say(name, "%s", why);
			goto out;
		}
		src.data = buf->data;
		src.len = buf->len;
	}
	status = run_worker(o, name, &src);
out:
	g_byte_array_unref(buf);
	return status;
}
