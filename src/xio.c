/*
 * xio: EINTR-safe full reads and writes (see xio.h).
 */
#include "xio.h"

#include <errno.h>  /* errno, EINTR */
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

int
write_full(int fd, const void *buf, size_t len)
{
	size_t put = 0;

	while (put < len) {
		ssize_t n = write(fd, (const char *)buf + put, len - put);

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
send_full(int fd, const void *buf, size_t len)
{
	size_t put = 0;

	while (put < len) {
		ssize_t n = send(fd, (const char *)buf + put, len - put,
		    MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		put += (size_t)n;
	}
	return 0;
}

long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
