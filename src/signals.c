/*
 * signals: flag-setting handlers (see signals.h).
 *
 * The flag and the saved mask are globals because a signal handler has no
 * other way to talk to the program. They are not pthumb's only
 * process-wide state; the rest, and why it is so:
 *   output.c  owner, owner_place: who this run is (PLACE-PID-START), in
 *             every temporary name and in telling whose leftovers are
 *             whose; learnt once (output_owner_init()) before the workers
 *             fork, so that every process of the run names the same owner
 *   thumb.c   shared_lock: the one lock of every pipeline under --mode
 *             threads: two threads building or freeing libvips operations
 *             at once crashed
 *   fault.c   how often each fault point was passed in this process, the
 *             Nth image being a worker's Nth (the test build only)
 * And what the libraries keep per process, set by pthumb: GLib's log
 * handlers (vipslog.c, started where a worker, the sequential run or the
 * threads run begins), libvips' untrusted-loader block (main.c), its
 * concurrency and cache and malloc's arenas and thresholds
 * (pipeline_init_process(), called in the same places), and the signal
 * dispositions and mask set here.
 */
#include "signals.h"

#include <errno.h>  /* errno */
#include <stdbool.h>
#include <stddef.h> /* NULL */

static volatile sig_atomic_t caught;
static sigset_t sleep_mask;

static void
on_signal(int sig)
{
	int saved = errno;

	if (caught == 0)
		caught = sig;
	errno = saved;
}

/* The signals that stop a run cleanly. SIGHUP and SIGQUIT only where they
   were not ignored when pthumb started (nohup, a background job). */
static const int stops[] = {SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGQUIT};

static bool
keeps_ignored(int sig)
{
	struct sigaction old;

	return (sig == SIGHUP || sig == SIGQUIT) &&
	    sigaction(sig, NULL, &old) == 0 && old.sa_handler == SIG_IGN;
}

int
signals_install(void)
{
	struct sigaction sa = {.sa_handler = on_signal};
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigset_t block;

	sigemptyset(&sa.sa_mask);
	sigemptyset(&dfl.sa_mask);
	sigemptyset(&block);
	/* Started with SIGCHLD ignored, the workers' deaths would be reaped
	   unseen: their signals must be reported. */
	if (sigaction(SIGCHLD, &dfl, NULL) != 0)
		return -1;
	for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++) {
		if (keeps_ignored(stops[i]))
			continue;
		if (sigaction(stops[i], &sa, NULL) != 0)
			return -1;
		sigaddset(&block, stops[i]);
	}
	return sigprocmask(SIG_BLOCK, &block, &sleep_mask);
}

int
signals_caught(void)
{
	sigset_t pending;

	/* Blocked signals wait here until a sleep lets them in. */
	if (caught == 0 && sigpending(&pending) == 0)
		for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++)
			if (sigismember(&pending, stops[i]))
				return stops[i];
	return caught;
}

const sigset_t *
signals_sleep_mask(void)
{
	return &sleep_mask;
}

void
signals_reset_child(void)
{
	sigset_t none;

	/* The parent stops the workers on what it catches: a Ctrl-C, a
	   hangup or a quit sent to the whole group leaves them to it. */
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}
