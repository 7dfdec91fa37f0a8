/*
 * fault: fault injection for the tests, compiled in only when
 * PTHUMB_FAULT_INJECTION is defined (make check's test binary, never
 * ./pthumb).
 *
 * PTHUMB_FAULT=KIND:N makes each worker misbehave at its Nth image:
 *   crash  SIGSEGV          hang  sleep until killed
 *   exit   _exit(7)         abort abort()
 */
#ifndef PTHUMB_FAULT_H
#define PTHUMB_FAULT_H

#ifdef PTHUMB_FAULT_INJECTION
/* Called by a worker before each image. */
void fault_before_image(void);
#else
static inline void
fault_before_image(void)
{
}
#endif

#endif
