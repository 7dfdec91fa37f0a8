/*
 * signals: flag-setting handlers (see signals.h).
 *
 * The flag and the saved mask are the only mutable globals in pthumb:
 * a signal handler has no other way to talk to the program.
 */
#include "signals.h"

#include <errno.h>  /* errno */
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

int
signals_install(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGPIPE};
	struct sigaction sa = {.sa_handler = on_signal};
	sigset_t block;

	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (sigaction(sigs[i], &sa, NULL) != 0)
			return -1;
		sigaddset(&block, sigs[i]);
	}
	return sigprocmask(SIG_BLOCK, &block, &sleep_mask);
}

int
signals_caught(void)
{
	sigset_t pending;

	/* Blocked signals wait here until a sleep lets them in. */
	if (caught == 0 && sigpending(&pending) == 0) {
		if (sigismember(&pending, SIGINT))
			return SIGINT;
		if (sigismember(&pending, SIGTERM))
			return SIGTERM;
		if (sigismember(&pending, SIGPIPE))
			return SIGPIPE;
	}
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

	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}
