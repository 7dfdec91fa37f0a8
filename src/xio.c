/*
 * xio: EINTR-safe full reads and writes (see xio.h).
 */
#include "xio.h"

#include <errno.h>  /* errno, EINTR */
#include <stdbool.h>
#include <sys/socket.h> /* send, MSG_NOSIGNAL */
#include <time.h>   /* clock_gettime, CLOCK_MONOTONIC */
#include <unistd.h> /* read, write */

ssize_t
read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Write all of buf, with send(MSG_NOSIGNAL) on a socket, else write. */
static int
put_all(int fd, const void *buf, size_t len, bool socket)
{
	size_t put = 0;

	while (put < len) {
		const char *p = (const char *)buf + put;
		ssize_t n = socket ? send(fd, p, len - put, MSG_NOSIGNAL)
		    : write(fd, p, len - put);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		put += (size_t)n;
	}
	return 0;
}

int
write_full(int fd, const void *buf, size_t len)
{
	return put_all(fd, buf, len, false);
}

int
send_full(int fd, const void *buf, size_t len)
{
	return put_all(fd, buf, len, true);
}

long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
