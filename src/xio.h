/*
 * xio: I/O helpers that retry on EINTR and loop over short transfers.
 *
 * Every caller in pthumb reads and writes through these, so a signal or a
 * partial pipe write never shows up as a half-sent message.
 */
#ifndef PTHUMB_XIO_H
#define PTHUMB_XIO_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Read exactly len bytes. Returns len, or fewer at end of file (0 when the
 * peer closed before sending anything), or -1 with errno set.
 */
ssize_t read_full(int fd, void *buf, size_t len);

/* Write all len bytes. Returns 0, or -1 with errno set. */
int write_full(int fd, const void *buf, size_t len);

/*
 * write_full() for a socket, without SIGPIPE when the peer is gone: the
 * caller gets -1 with EPIPE instead. Returns 0 or -1 with errno set.
 */
int send_full(int fd, const void *buf, size_t len);

/* Monotonic clock in nanoseconds. */
long long now_ns(void);

#endif
