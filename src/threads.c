/*
 * threads: a GLib thread pool behind the same callbacks as the process
 * pool (see threads.h).
 *
 * A finished task goes onto an async queue and a byte into a pipe; the
 * calling thread sleeps in ppoll() on that pipe with the signal mask of
 * signals.h, exactly as the process pool sleeps on its workers' sockets,
 * so a signal wakes it and is never taken by a pool thread (the threads
 * are created with the signals blocked and never unblock them). A list
 * still being written is waited for in the same ppoll().
 */
#include "threads.h"

#include <errno.h>  /* errno, EINTR, EAGAIN */
#include <fcntl.h>  /* O_CLOEXEC, O_NONBLOCK */
#include <poll.h>   /* ppoll */
#include <stdio.h>  /* fprintf, snprintf */
#include <string.h> /* strerror */
#include <unistd.h> /* pipe2, read, write, close, gettid */

#include <glib.h> /* GThreadPool, GAsyncQueue */

#include "signals.h" /* signals_caught, signals_sleep_mask */

struct task {
	struct job *job;
	void *state; /* the pipeline state lent to the task */
	struct result r;
};

struct threads {
	const struct pool_ops *ops;
	GAsyncQueue *finished; /* tasks done, for the calling thread */
	int wake[2];           /* a byte per finished task */
};

static void
thread_work(gpointer data, gpointer user_data)
{
	struct task *t = data;
	struct threads *th = user_data;
	ssize_t n;

	th->ops->work(t->state, t->job, &t->r);
	t->r.worker = gettid();
	g_async_queue_push(th->finished, t);
	/* The pipe holds far more than N bytes, so this cannot block; if the
	   byte is lost the task is still found at the next wake-up. */
	do
		n = write(th->wake[1], "", 1);
	while (n < 0 && errno == EINTR);
}

/* Report every finished task; their states are free again. */
static int
collect(struct threads *th, void **free_states, int *nfree)
{
	char drain[64];
	struct task *t;
	int n = 0;

	while (read(th->wake[0], drain, sizeof(drain)) > 0)
		;
	while ((t = g_async_queue_try_pop(th->finished)) != NULL) {
		free_states[(*nfree)++] = t->state;
		th->ops->done(th->ops->data, t->job, &t->r);
		g_free(t);
		n++;
	}
	return n;
}

/*
 * Hand files to the free threads (their states, the first *nfree of
 * free_states) and collect the finished ones, until no file is left or a signal stops the batch;
 * the files in progress then are left to finish.
 */
static void
share_out(struct threads *th, GThreadPool *pool, void **free_states,
    int *nfree)
{
	const struct pool_ops *ops = th->ops;
	bool no_more = false;
	int busy = 0;

	for (;;) {
		struct pollfd pfd[2] = {
			{.fd = th->wake[0], .events = POLLIN},
			{.fd = -1, .events = POLLIN},
		};

		/* After a signal: no new files; those in progress finish. */
		while (*nfree > 0 && !no_more && !signals_caught()) {
			struct task *t = g_new0(struct task, 1);

			if ((t->job = ops->next(ops->data)) == NULL) {
				/* None yet from a list: wait for it too. */
				if (ops->wait_fd != NULL)
					pfd[1].fd = ops->wait_fd(ops->data);
				no_more = pfd[1].fd < 0;
				g_free(t);
				break;
			}
			t->state = free_states[--*nfree];
			/* An exclusive pool started its threads already:
			   pushing cannot fail. */
			g_thread_pool_push(pool, t, NULL);
			busy++;
		}
		if (busy == 0 && (pfd[1].fd < 0 || signals_caught()))
			break;
		if (ppoll(pfd, 2, NULL, signals_sleep_mask()) < 0 &&
		    errno != EINTR) {
			fprintf(stderr, "pthumb: ppoll() failed: %s\n",
			    strerror(errno));
			/* Wait for the tasks in progress below. */
			break;
		}
		busy -= collect(th, free_states, nfree);
	}
}

enum batch_outcome
threads_run(const struct pool_ops *ops)
{
	int n = ops->workers > 0 ? ops->workers : 1, nfree = 0;
	struct threads th = {.ops = ops, .wake = {-1, -1}};
	enum batch_outcome outcome = BATCH_DONE;
	void **states = g_new0(void *, n);
	void **free_states = g_new0(void *, n);
	GThreadPool *pool = NULL;
	GError *err = NULL;

	if (pipe2(th.wake, O_CLOEXEC | O_NONBLOCK) != 0) {
		fprintf(stderr, "pthumb: pipe() failed while starting threads: "
		    "%s\n", strerror(errno));
		outcome = BATCH_CANNOT_START;
		goto out;
	}
	th.finished = g_async_queue_new();
	for (int i = 0; i < n; i++)
		if ((states[i] = ops->worker_init(ops->data)) == NULL) {
			outcome = BATCH_CANNOT_START;
			goto out;
		}
	pool = g_thread_pool_new(thread_work, &th, n, TRUE, &err);
	if (pool == NULL) {
		fprintf(stderr, "pthumb: cannot start %d threads: %s\n", n,
		    err->message);
		g_error_free(err);
		outcome = BATCH_CANNOT_START;
		goto out;
	}
	for (int i = 0; i < n; i++)
		free_states[nfree++] = states[i];
	share_out(&th, pool, free_states, &nfree);
	if (signals_caught())
		outcome = BATCH_INTERRUPTED;
out:
	if (pool != NULL) {
		/* Finish what was pushed, then let the threads go. */
		g_thread_pool_free(pool, FALSE, TRUE);
		(void)collect(&th, free_states, &nfree);
	}
	for (int i = 0; i < n; i++)
		if (states[i] != NULL && ops->worker_done != NULL)
			ops->worker_done(states[i]);
	if (th.finished != NULL)
		g_async_queue_unref(th.finished);
	if (th.wake[0] >= 0) {
		close(th.wake[0]);
		close(th.wake[1]);
	}
	g_free(free_states);
	g_free(states);
	return outcome;
}
