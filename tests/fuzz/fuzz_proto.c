/*
 * libFuzzer target: the wire-protocol decoder on arbitrary bytes, as the
 * parent receives them from a worker (several messages, cut anywhere).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char buf[PROTO_MSG_MAX * 2];
	const char *why = NULL;
	struct msg m;
	size_t used, off = 0;

	if (size > sizeof(buf))
		size = sizeof(buf);
	/* A copy, so reads past the input are caught by ASan as overflows of
	   the input, not of a larger static buffer. */
	memcpy(buf, data, size);
	while (off < size && proto_decode(buf + off, size - off, &m, &used,
	    &why) == 1) {
		if (m.hdr.type == MSG_JOB)
			for (int i = 0; i < m.out.n; i++)
				(void)(strlen(m.in) + strlen(m.out.t[i].path));
		off += used;
	}
	return 0;
}
