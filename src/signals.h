/*
 * signals: SIGINT, SIGTERM, SIGPIPE, SIGHUP and SIGQUIT only set a flag;
 * the loops that hand out work look at it between files and stop cleanly.
 * SIGHUP and SIGQUIT ignored when pthumb starts (nohup, a background job)
 * stay ignored; SIGINT and SIGTERM are always caught. SIGCHLD is set back
 * to its default, so that a worker's death is seen.
 *
 * signals_install() blocks those signals; a loop that sleeps unblocks
 * them only while it sleeps (ppoll with signals_sleep_mask()), so a signal
 * can never slip in between the check and the sleep.
 */
#ifndef PTHUMB_SIGNALS_H
#define PTHUMB_SIGNALS_H

#include <signal.h>

/* Install the handlers and block the signals. 0, or -1 with errno. */
int signals_install(void);

/* The first signal caught so far, or 0. */
int signals_caught(void);

/* The mask to sleep with: the one before signals_install(). */
const sigset_t *signals_sleep_mask(void);

/* For a freshly forked worker: default dispositions, nothing blocked,
   SIGINT, SIGHUP and SIGQUIT ignored (the parent decides when workers
   stop). */
void signals_reset_child(void);

#endif
