/*
 * pool: the prefork worker pool (see pool.h for the contract).
 *
 * Design
 * ------
 * The parent forks N workers at start and keeps them for the whole run.
 * Each worker has its own SOCK_STREAM socketpair to the parent; nothing is
 * shared between workers, so a worker that dies can only lose the one file
 * it held. libvips never runs in the parent: a process that has run a
 * libvips operation has threads, and a child forked from it can hang. Each
 * worker initialises libvips itself after fork (worker_init), tells the
 * parent READY, and then loops: read a JOB, work() on it, write a RESULT.
 *
 * Work is handed out one file at a time, to whichever worker is idle, so a
 * huge photo on one worker does not hold back the small ones behind it;
 * the scanner is only asked for the next file when a worker needs one, so
 * the first thumbnails are made while a large tree is still being walked.
 * A path list still being written may have no next file yet: next() says
 * so, and the list's descriptor joins the workers' sockets in ppoll()
 * until it is readable, so a slow writer holds up neither the results of
 * the workers nor a Ctrl-C.
 *
 * The parent sleeps in ppoll() on every worker's socket, with SIGINT,
 * SIGTERM and SIGPIPE unblocked only during that sleep (signals.h): the
 * handlers set a flag and the loop acts on it. A worker's socket reaching
 * end of file means the worker is gone: the parent reaps it (waitpid),
 * removes the temporary file it may have left (its name is predictable,
 * output.h), gives its file to a fresh worker once, and settles the file as
 * an error naming the signal if that worker dies too. Workers that die
 * before they are ready, more than 2N in a row with no file finishing,
 * mean the pool cannot work (BATCH_BROKEN) rather than a reason to fork
 * forever.
 *
 * When there is no more work the parent shuts down each idle worker's
 * sending side; the worker reads end of file, exits, and is reaped like
 * any other. On a signal the parent sends SIGTERM to every worker, then
 * SIGKILL to those still alive after a grace period, reaps them all and
 * removes their temporary files.
 *
 * With spawn (--mode spawn) nothing is kept: each file gets a process of
 * its own, forked with the file in hand, which sends its RESULT and exits;
 * a slot is forked again only once its process has been reaped, so no
 * more than N are ever alive. With max_tasks, a prefork worker that has
 * done that many files is sent end of file like at the end of the run,
 * and a fresh one is forked into its slot once it is reaped.
 *
 * A worker that holds one file longer than the timeout is killed; its
 * file is settled as a timeout, not retried: it would only hang again.
 * ppoll() sleeps no longer than until the next such deadline.
 *
 * Messages are checked (proto.h) and must come from the pid the slot
 * holds and carry the id of the job it was given; anything else kills the
 * worker as if it had crashed.
 */
#include "pool.h"

#include <errno.h>      /* errno, EINTR */
#include <fcntl.h>      /* open, O_RDWR */
#include <poll.h>       /* ppoll, struct pollfd */
#include <signal.h>     /* kill, SIGKILL, SIGTERM */
#include <stdbool.h>
#include <stdio.h>      /* fflush, snprintf, fprintf */
#include <string.h>     /* memmove, strerror, strsignal */
#include <sys/prctl.h>  /* prctl, PR_SET_PDEATHSIG */
#include <sys/socket.h> /* socketpair, shutdown */
#include <sys/wait.h>   /* waitpid, W* */
#include <time.h>       /* nanosleep */
#include <unistd.h>     /* fork, close, close_range, dup2, getpid, _exit */

#include <glib.h> /* g_new0, g_free, g_malloc */

#include "proto.h"   /* proto_* */
#include "signals.h" /* signals_caught, signals_sleep_mask */
#include "xio.h"     /* send_full, write_full, now_ns */

/* How long stopped workers get to exit before SIGKILL. */
#define STOP_GRACE_NS (300 * 1000 * 1000LL)

enum slot_state {
	SLOT_EMPTY,    /* no process */
	SLOT_STARTING, /* forked, not yet READY */
	SLOT_IDLE,     /* READY, waiting for a job */
	SLOT_BUSY,     /* holds job */
	SLOT_CLOSING,  /* told there is no more work */
};

struct slot {
	enum slot_state state;
	pid_t pid;
	int fd;          /* the parent's end of the socketpair */
	struct job *job; /* SLOT_BUSY: the job it holds */
	long long since; /* SLOT_BUSY: when it was handed the job (ns) */
	bool timed_out;  /* killed for holding its job too long */
	bool retiring;   /* sent away after max_tasks jobs */
	unsigned tasks;  /* jobs this process has done */
	size_t have;     /* bytes of a message received so far */
	unsigned char buf[PROTO_MSG_MAX];
};

struct pool {
	const struct pool_ops *ops;
	struct slot *slots;
	int n;
	int live;           /* slots with a process */
	bool no_more;       /* next() said there is no more work */
	int wait_fd;        /* next() said to wait on this first, or -1 */
	int startup_deaths; /* workers dead before READY, in a row */
	pid_t parent;
	struct pool_stats stats;
	unsigned char out[PROTO_MSG_MAX];
};

/* In the worker: do one job and send its RESULT. 0, or -1 if the parent
   cannot be told. */
static int
work_one(const struct pool_ops *ops, void *state, int fd,
    const struct job *job, unsigned char *buf)
{
	struct result r;
	int len;

	ops->work(state, job, &r);
	len = proto_encode_result(buf, job->id, getpid(), &r);
	return write_full(fd, buf, (size_t)len);
}

static void
worker_main(struct pool *p, int fd, const struct job *job)
    G_GNUC_NORETURN;

/*
 * What a worker holds of its parent's descriptors: its socket (returned,
 * now fd 3) and standard error; standard input and output become
 * /dev/null. Not the list being read, other workers' sockets or whatever
 * pthumb itself inherited. -1 if that cannot be arranged.
 */
static int
hold_only(int sock)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null < 0 || dup2(null, STDIN_FILENO) < 0 ||
	    dup2(null, STDOUT_FILENO) < 0)
		return -1;
	if (null > STDERR_FILENO)
		close(null);
	if (sock != 3 && dup2(sock, 3) < 0)
		return -1;
	if (close_range(4, ~0U, 0) != 0)
		return -1;
	return 3;
}

/*
 * The child side: initialise, then either the one job it was forked for
 * (spawn), or say READY and take one job at a time until end of file.
 */
static void
worker_main(struct pool *p, int fd, const struct job *job)
{
	const struct pool_ops *ops = p->ops;
	unsigned char in[PROTO_MSG_MAX];
	unsigned char *out = p->out; /* the parent's copy is unused here */
	const char *why;
	void *state = NULL;
	struct msg m;
	enum worker_exit status = WORKER_EXIT_FAILED;
	int len;

	/* Die with the parent, even if it is killed outright. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != p->parent)
		goto out;
	signals_reset_child();
	if ((fd = hold_only(fd)) < 0)
		goto out;
	if (ops->worker_init != NULL && (state = ops->worker_init(ops->data))
	    == NULL) {
		status = WORKER_EXIT_NO_STATE;
		goto out;
	}
	if (job != NULL) {
		status = work_one(ops, state, fd, job, out) == 0 ?
		    WORKER_EXIT_DONE : WORKER_EXIT_FAILED;
		goto out;
	}
	len = proto_encode_ready(out, getpid());
	if (write_full(fd, out, (size_t)len) != 0)
		goto out;
	for (;;) {
		int rc = proto_recv(fd, in, &m, &why);
		struct job copy;

		if (rc == 0) {
			status = WORKER_EXIT_DONE; /* no more work */
			goto out;
		}
		if (rc < 0 || m.hdr.type != MSG_JOB) {
			status = WORKER_EXIT_BAD_MESSAGE;
			goto out;
		}
		/* The strings stay in `in` until the next message. */
		copy = (struct job){.id = m.hdr.job_id, .in = (char *)m.in,
		    .out = m.out, .source = m.source};
		if (work_one(ops, state, fd, &copy, out) != 0)
			goto out;
	}
out:
	if (state != NULL && ops->worker_done != NULL)
		ops->worker_done(state);
	/* Nothing of the parent's (stdio buffers, atexit) may run here. */
	_exit(status);
}

/* Fork the worker of slot i; with a job (spawn), for that job alone. */
static int
fork_worker(struct pool *p, int i, struct job *job)
{
	struct slot *s = &p->slots[i];
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		fprintf(stderr, "pthumb: socketpair() failed while starting a "
		    "worker: %s\n", strerror(errno));
		return -1;
	}
	/* The child leaves with _exit(), but flush anyway so nothing
	   buffered can ever be written twice. */
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "pthumb: fork() failed while starting a worker: "
		    "%s\n", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		worker_main(p, sv[1], job);
		/* NOTREACHED */
	}
	close(sv[1]);
	s->state = job != NULL ? SLOT_BUSY : SLOT_STARTING;
	s->pid = pid;
	s->fd = sv[0];
	s->job = job;
	s->since = now_ns();
	s->have = 0;
	s->timed_out = false;
	s->retiring = false;
	s->tasks = 0;
	p->stats.forks++;
	if (++p->live > p->stats.max_alive)
		p->stats.max_alive = p->live;
	return 0;
}

void
pool_exit_text(int status, char *buf, size_t size)
{
	if (WIFSIGNALED(status) && sigabbrev_np(WTERMSIG(status)))
		snprintf(buf, size, "worker killed by SIG%s",
		    sigabbrev_np(WTERMSIG(status)));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "worker killed by signal %d",
		    WTERMSIG(status));
	else
		snprintf(buf, size, "worker exited with status %d",
		    WEXITSTATUS(status));
}

/* How a worker ended, for messages. */
static void
describe_exit(int status, const char *why, char *buf, size_t size)
{
	if (why != NULL)
		snprintf(buf, size, "worker broke the protocol (%s)", why);
	else
		pool_exit_text(status, buf, size);
}

static int
wait_child(pid_t pid, int options)
{
	int status = 0;
	pid_t rc;

	do
		rc = waitpid(pid, &status, options);
	while (rc < 0 && errno == EINTR);
	return rc == pid ? status : -1;
}

/* Forget a worker's file: remove its temporary file if it left one. */
static void
drop_tmp(const struct pool *p, const struct slot *s)
{
	if (s->job != NULL && s->job->out.n > 0 && p->ops->cleanup != NULL)
		p->ops->cleanup(p->ops->data, s->job, s->pid);
}

/* The worker in slot i is gone (or must go): reap it, save its job. */
static void
reap(struct pool *p, int i, const char *why)
{
	const struct pool_ops *ops = p->ops;
	struct slot *s = &p->slots[i];
	char what[128];
	bool recycle;
	int status;

	if (why != NULL)
		kill(s->pid, SIGKILL);
	close(s->fd);
	s->fd = -1;
	status = wait_child(s->pid, 0);
	p->live--;
	describe_exit(status, why, what, sizeof(what));
	if (s->state == SLOT_STARTING)
		p->startup_deaths++;
	if (s->job != NULL && s->timed_out) {
		struct result r = {.status = STATUS_TIMEOUT};

		drop_tmp(p, s);
		snprintf(r.error, sizeof(r.error), "no result after %.1f s; "
		    "worker (pid %ld) killed", ops->timeout_ms / 1000.0,
		    (long)s->pid);
		r.usec = (now_ns() - s->since) / 1000;
		r.worker = s->pid;
		ops->done(ops->data, s->job, &r);
		p->startup_deaths = 0;
	} else if (s->job != NULL) {
		struct job *job = s->job;

		drop_tmp(p, s);
		if (++job->attempts < 2) {
			if (ops->note != NULL) {
				char msg[192];

				snprintf(msg, sizeof(msg), "%s (pid %ld); "
				    "trying again in a fresh worker", what,
				    (long)s->pid);
				ops->note(ops->data, job, msg);
			}
			ops->retry(ops->data, job);
			p->no_more = false;
		} else {
			struct result r = {.status = STATUS_ERROR};

			snprintf(r.error, sizeof(r.error), "%s (pid %ld), "
			    "twice", what, (long)s->pid);
			ops->done(ops->data, job, &r);
		}
	}
	s->state = SLOT_EMPTY;
	s->job = NULL;
	s->have = 0;
	s->timed_out = false;
	recycle = s->retiring;
	/* With spawn, dispatch() forks when it has a job for the slot. */
	if (!ops->spawn && !p->no_more && p->startup_deaths <= 2 * p->n &&
	    !signals_caught() && fork_worker(p, i, NULL) == 0 && recycle)
		p->stats.recycled++;
}

/*
 * The next job, or NULL: with p->no_more set when there is no more work,
 * else with p->wait_fd to sleep on before asking again.
 */
static struct job *
take_next(struct pool *p)
{
	const struct pool_ops *ops = p->ops;
	struct job *job;

	if (p->no_more)
		return NULL;
	if ((job = ops->next(ops->data)) != NULL)
		return job;
	if (ops->wait_fd != NULL && (p->wait_fd = ops->wait_fd(ops->data)) >= 0)
		return NULL;
	p->no_more = true;
	return NULL;
}

/*
 * Is there more work? Asked before a retiring worker is replaced, so that
 * no fresh worker is forked for nothing at the end of the run: the job
 * goes back to the front of the queue.
 */
static void
look_ahead(struct pool *p)
{
	struct job *job = take_next(p);

	if (job != NULL)
		p->ops->retry(p->ops->data, job);
}

/* Act on one decoded message; false if it makes no sense here. */
static bool
accept_msg(struct pool *p, struct slot *s, const struct msg *m)
{
	if (m->hdr.pid != s->pid)
		return false;
	if (m->hdr.type == MSG_READY && s->state == SLOT_STARTING) {
		s->state = SLOT_IDLE;
		return true;
	}
	if (m->hdr.type == MSG_RESULT && s->state == SLOT_BUSY &&
	    m->hdr.job_id == s->job->id) {
		struct job *job = s->job;

		s->job = NULL;
		s->state = SLOT_IDLE;
		p->startup_deaths = 0;
		s->tasks++;
		if (p->ops->spawn) {
			s->state = SLOT_CLOSING; /* it leaves by itself */
		} else if (p->ops->max_tasks > 0 &&
		    s->tasks >= p->ops->max_tasks) {
			shutdown(s->fd, SHUT_WR);
			s->state = SLOT_CLOSING;
			s->retiring = true;
			look_ahead(p);
		}
		p->ops->done(p->ops->data, job, &m->result);
		return true;
	}
	return false;
}

static void
receive(struct pool *p, int i)
{
	struct slot *s = &p->slots[i];
	const char *why = NULL;
	struct msg m;
	size_t used;
	ssize_t n;
	int rc;

	n = read(s->fd, s->buf + s->have, sizeof(s->buf) - s->have);
	if (n < 0 && errno == EINTR)
		return;
	if (n <= 0) {
		reap(p, i, NULL);
		return;
	}
	s->have += (size_t)n;
	while ((rc = proto_decode(s->buf, s->have, &m, &used, &why)) == 1) {
		if (!accept_msg(p, s, &m)) {
			why = "unexpected message";
			rc = -1;
			break;
		}
		memmove(s->buf, s->buf + used, s->have - used);
		s->have -= used;
	}
	if (rc < 0)
		reap(p, i, why);
}

/* Spawn: fork a process for the next job into every empty slot. */
static void
dispatch_spawn(struct pool *p)
{
	const struct pool_ops *ops = p->ops;

	for (int i = 0; i < p->n && !p->no_more; i++) {
		struct job *job;

		if (p->slots[i].state != SLOT_EMPTY)
			continue;
		if ((job = take_next(p)) == NULL)
			break;
		/* fork_worker() said why; the job waits for a slot that
		   works. */
		if (fork_worker(p, i, job) != 0) {
			ops->retry(ops->data, job);
			break;
		}
	}
}

/* Give every idle worker a job, or tell it there are no more. */
static void
dispatch(struct pool *p)
{
	const struct pool_ops *ops = p->ops;

	p->wait_fd = -1;
	if (ops->spawn) {
		dispatch_spawn(p);
		return;
	}

	for (int i = 0; i < p->n; i++) {
		struct slot *s = &p->slots[i];
		struct job *job = NULL;
		int len;

		if (s->state != SLOT_IDLE)
			continue;
		if ((job = take_next(p)) == NULL && p->wait_fd >= 0)
			break; /* it stays idle until the list has more */
		if (job == NULL) {
			shutdown(s->fd, SHUT_WR);
			s->state = SLOT_CLOSING;
			continue;
		}
		s->job = job;
		s->state = SLOT_BUSY;
		s->since = now_ns();
		len = proto_encode_job(p->out, job->id, job->source, job->in,
		    &job->out);
		if (len < 0) {
			struct result r = {.status = STATUS_ERROR};

			snprintf(r.error, sizeof(r.error), "path too long");
			s->job = NULL;
			s->state = SLOT_IDLE;
			ops->done(ops->data, job, &r);
			i--; /* the same worker is still idle */
			continue;
		}
		/* A failed send means the worker died: its end of file is
		   next, and reap() gives the job another chance. */
		(void)send_full(s->fd, p->out, (size_t)len);
	}
}

/* Stop every worker now: SIGTERM, a grace period, SIGKILL; reap all. */
static void
stop_all(struct pool *p)
{
	long long deadline = now_ns() + STOP_GRACE_NS;
	const struct timespec tick = {0, 10 * 1000 * 1000};

	for (int i = 0; i < p->n; i++)
		if (p->slots[i].state != SLOT_EMPTY)
			kill(p->slots[i].pid, SIGTERM);
	for (int i = 0; i < p->n; i++) {
		struct slot *s = &p->slots[i];

		if (s->state == SLOT_EMPTY)
			continue;
		for (;;) {
			pid_t rc = waitpid(s->pid, NULL, WNOHANG);

			if (rc == s->pid || (rc < 0 && errno != EINTR))
				break;
			if (now_ns() > deadline) {
				kill(s->pid, SIGKILL);
				wait_child(s->pid, 0);
				break;
			}
			nanosleep(&tick, NULL);
		}
		close(s->fd);
		drop_tmp(p, s);
		if (s->job != NULL)
			p->ops->retry(p->ops->data, s->job);
		s->job = NULL;
		s->state = SLOT_EMPTY;
		p->live--;
	}
}

/*
 * Kill the workers that have held their job past the timeout (reap()
 * settles the job when their end of file arrives) and return how long
 * ppoll may sleep before the next one is due: a timespec, or NULL.
 */
static struct timespec *
check_timeouts(struct pool *p, struct timespec *ts)
{
	long long now = now_ns(), next = -1;
	long long limit = p->ops->timeout_ms * 1000000LL;

	if (limit <= 0)
		return NULL;
	for (int i = 0; i < p->n; i++) {
		struct slot *s = &p->slots[i];
		long long left;

		if (s->state != SLOT_BUSY || s->timed_out)
			continue;
		left = s->since + limit - now;
		if (left <= 0) {
			s->timed_out = true;
			kill(s->pid, SIGKILL);
			continue;
		}
		if (next < 0 || left < next)
			next = left;
	}
	if (next < 0)
		return NULL;
	ts->tv_sec = next / 1000000000LL;
	ts->tv_nsec = next % 1000000000LL;
	return ts;
}

enum batch_outcome
pool_run(const struct pool_ops *ops, struct pool_stats *stats)
{
	struct pool *p = g_new0(struct pool, 1);
	struct pollfd *fds;
	struct timespec ts;
	int *index;
	enum batch_outcome outcome = BATCH_DONE;

	p->ops = ops;
	p->n = ops->workers > 0 ? ops->workers : 1;
	p->parent = getpid();
	p->slots = g_new0(struct slot, p->n);
	p->wait_fd = -1;
	fds = g_new0(struct pollfd, p->n + 1);
	index = g_new0(int, p->n + 1);
	for (int i = 0; i < p->n; i++)
		p->slots[i].fd = -1;
	for (int i = 0; i < p->n && !ops->spawn; i++)
		if (fork_worker(p, i, NULL) != 0)
			break;
	if (p->live == 0 && !ops->spawn)
		outcome = BATCH_CANNOT_START;

	for (;;) {
		int nfds = 0;

		if (signals_caught()) {
			outcome = BATCH_INTERRUPTED;
			break;
		}
		if (p->startup_deaths > 2 * p->n) {
			outcome = BATCH_BROKEN;
			break;
		}
		dispatch(p);
		for (int i = 0; i < p->n; i++) {
			if (p->slots[i].state == SLOT_EMPTY)
				continue;
			fds[nfds].fd = p->slots[i].fd;
			fds[nfds].events = POLLIN;
			fds[nfds].revents = 0;
			index[nfds++] = i;
		}
		/* A list still being written: more work once it is
		   readable, if a worker is left to do it. */
		if (p->wait_fd >= 0 && (nfds > 0 || ops->spawn)) {
			fds[nfds].fd = p->wait_fd;
			fds[nfds].events = POLLIN;
			fds[nfds].revents = 0;
			index[nfds++] = -1;
		}
		if (nfds == 0)
			break;
		if (ppoll(fds, (nfds_t)nfds, check_timeouts(p, &ts),
		    signals_sleep_mask()) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "pthumb: ppoll() failed: %s\n",
			    strerror(errno));
			outcome = BATCH_INTERRUPTED;
			break;
		}
		for (int k = 0; k < nfds; k++)
			if (fds[k].revents != 0 && index[k] >= 0)
				receive(p, index[k]);
	}
	if (outcome == BATCH_DONE && p->startup_deaths > 2 * p->n)
		outcome = BATCH_BROKEN;
	/* Every worker gone and none could be forked again (fork_worker()
	   said why), with files still to do: the run cannot finish. */
	else if (outcome == BATCH_DONE && !p->no_more && !signals_caught())
		outcome = BATCH_CANNOT_START;
	stop_all(p);
	if (stats != NULL)
		*stats = p->stats;
	g_free(index);
	g_free(fds);
	g_free(p->slots);
	g_free(p);
	return outcome;
}
