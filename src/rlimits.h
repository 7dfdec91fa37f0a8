/*
 * rlimits: resource limits a worker puts on itself, so that a loader bug
 * or a hostile image cannot take the machine down.
 */
#ifndef PTHUMB_RLIMITS_H
#define PTHUMB_RLIMITS_H

/*
 * Cap the data segment (RLIMIT_DATA: heap and anonymous mappings) at
 * `bytes`; 0 leaves it alone. An address-space limit would be a poor fit:
 * a libvips worker maps far more than it touches. 0, or -1 with errno.
 */
int rlimits_set_memory(long long bytes);

/*
 * Allow `seconds` more CPU time from now (RLIMIT_CPU counts the whole life
 * of a long-lived worker, so it is moved forward before each image);
 * past it the kernel sends SIGXCPU, which ends the process. 0, or -1
 * with errno.
 */
int rlimits_cpu_from_now(double seconds);

#endif
