/*
 * fault: test-only fault injection (see fault.h).
 *
 * Each fault point counts in a static of its own how often this process
 * has passed it: the Nth image is a worker's Nth, and a fresh worker
 * counts from zero again.
 */
#include "fault.h"

#ifdef PTHUMB_FAULT_INJECTION

#include <errno.h>  /* ENOSPC */
#include <fcntl.h>  /* open, O_* */
#include <signal.h> /* raise, signal, SIGSEGV */
#include <stdlib.h> /* getenv, abort, atoi */
#include <string.h> /* strncmp, strchr */
#include <sys/stat.h> /* mkfifo */
#include <unistd.h> /* pause, _exit */

#include "outcome.h" /* WORKER_EXIT_FAULT, WORKER_EXIT_FAULT_START */

void
fault_at_start(void)
{
	const char *spec = getenv("PTHUMB_FAULT");

	if (spec != NULL && strcmp(spec, "start") == 0)
		_exit(WORKER_EXIT_FAULT_START);
}

void
fault_before_image(const char *in)
{
	static int images;
	const char *spec = getenv("PTHUMB_FAULT");
	const char *colon;

	if (spec == NULL || (colon = strchr(spec, ':')) == NULL ||
	    ++images != atoi(colon + 1))
		return;
	if (strncmp(spec, "crash:", 6) == 0) {
		signal(SIGSEGV, SIG_DFL);
		raise(SIGSEGV);
	} else if (strncmp(spec, "hang:", 5) == 0) {
		for (;;)
			pause();
	} else if (strncmp(spec, "exit:", 5) == 0) {
		_exit(WORKER_EXIT_FAULT);
	} else if (strncmp(spec, "vanish:", 7) == 0) {
		unlink(in);
	} else if (strncmp(spec, "fifo:", 5) == 0) {
		/* Replaced by a FIFO after the scan saw a file. */
		if (unlink(in) != 0 || mkfifo(in, 0644) != 0)
			abort();
	} else if (strncmp(spec, "abort:", 6) == 0) {
		signal(SIGABRT, SIG_DFL);
		abort();
	}
}

void
fault_after_open(const char *in)
{
	static int images;
	const char *spec = getenv("PTHUMB_FAULT");
	int fd;

	if (spec == NULL || strncmp(spec, "change:", 7) != 0 ||
	    ++images != atoi(spec + 7))
		return;
	fd = open(in, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "", 1) != 1)
			abort();
		close(fd);
	}
}

void
fault_while_writing(void)
{
	static int images;
	const char *spec = getenv("PTHUMB_FAULT");

	if (spec == NULL || strncmp(spec, "stall:", 6) != 0 ||
	    ++images != atoi(spec + 6))
		return;
	for (;;)
		pause();
}

int
fault_watch_add(void)
{
	static int watches;
	const char *spec = getenv("PTHUMB_FAULT");

	if (spec == NULL || strncmp(spec, "watchlimit:", 11) != 0 ||
	    ++watches < atoi(spec + 11))
		return 0;
	return ENOSPC;
}

#endif
