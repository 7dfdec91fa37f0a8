/*
 * fault: fault injection for the tests, compiled in only when
 * PTHUMB_FAULT_INJECTION is defined (make check's test binary, never
 * ./pthumb).
 *
 * PTHUMB_FAULT=KIND:N makes each worker misbehave at its Nth image:
 *   crash  SIGSEGV          hang  sleep until killed
 *   exit   _exit(7)         abort abort()
 *   vanish delete the input file first (it vanished after the scan)
 *   fifo   put a FIFO in the input file's place first
 *   change append a byte to the input once it is open (it changed
 *          while its thumbnail was made)
 *   stall  sleep until killed once the temporary file is written
 * PTHUMB_FAULT=start makes every worker die before it is ready, and
 * PTHUMB_FAULT=watchlimit:N makes --watch's Nth folder watch and every
 * later one fail as at the limit of inotify watches (ENOSPC).
 */
#ifndef PTHUMB_FAULT_H
#define PTHUMB_FAULT_H

#ifdef PTHUMB_FAULT_INJECTION
/* Called by a worker before each image, and once as it starts. */
void fault_before_image(const char *in);
void fault_at_start(void);
/* Called by the pipeline once the input is open, and once the
   temporary file is written. */
void fault_after_open(const char *in);
void fault_while_writing(void);
/* Called by --watch before it watches a folder: 0, or the errno to fail
   with. */
int fault_watch_add(void);
#else
static inline void
fault_before_image(const char *in)
{
	(void)in;
}

static inline void
fault_at_start(void)
{
}

static inline void
fault_after_open(const char *in)
{
	(void)in;
}

static inline void
fault_while_writing(void)
{
}

static inline int
fault_watch_add(void)
{
	return 0;
}
#endif

#endif
