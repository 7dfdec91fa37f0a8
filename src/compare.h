/*
 * compare: --compare, the timing mode. Runs the same files sequentially
 * (one process, libvips on one thread) and then with the pool at each
 * requested size, each phase in a child forked from this clean process
 * (which never runs libvips itself) and writing into a fresh temporary
 * folder. Prints a table: wall and CPU seconds, images per second,
 * speedup over sequential, efficiency, where the time goes per image,
 * and what parallelism the machine really offers (online CPUs, the
 * cgroup CPU quota, and the speedup of N spinning processes over one).
 */
#ifndef PTHUMB_COMPARE_H
#define PTHUMB_COMPARE_H

#include "options.h"

/* Run the comparison; returns the exit status (outcome.h): EXIT_ALL_DONE,
   EXIT_SOME_FAILED if a phase had failures or could not run, EXIT_USAGE if
   its temporary folder could not be made, EXIT_SIGNAL_BASE + N on signal
   N. */
int compare_run(const struct opts *o);

/* Speedup of n processes spinning on the CPU over one, measured now. */
double compare_calibrate(int n);

/* CPUs the cgroup allows (cpu.max quota / period), or 0 for no quota. */
double compare_cgroup_cpus(void);

#endif
