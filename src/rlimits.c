/*
 * rlimits: setrlimit wrappers for workers (see rlimits.h).
 */
#include "rlimits.h"

#include <math.h>         /* ceil */
#include <sys/resource.h> /* setrlimit, getrusage */

int
rlimits_set_memory(long long bytes)
{
	struct rlimit rl = {(rlim_t)bytes, (rlim_t)bytes};

	if (bytes <= 0)
		return 0;
#ifdef __SANITIZE_ADDRESS__
	/* AddressSanitizer's shadow memory is private mappings that count
	   against RLIMIT_DATA: a sanitizer build cannot have the limit. */
	(void)rl;
	return 0;
#else
	return setrlimit(RLIMIT_DATA, &rl);
#endif
}

int
rlimits_cpu_from_now(double seconds)
{
	struct rusage ru;
	struct rlimit rl;
	double used;

	if (getrusage(RUSAGE_SELF, &ru) != 0 || getrlimit(RLIMIT_CPU, &rl) != 0)
		return -1;
	used = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	/* Only the soft limit moves (SIGXCPU ends the worker there): once
	   lowered, a hard limit cannot be raised again without privilege,
	   and the next image needs it later. */
	rl.rlim_cur = (rlim_t)ceil(used + seconds);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
		rl.rlim_cur = rl.rlim_max;
	return setrlimit(RLIMIT_CPU, &rl);
}
