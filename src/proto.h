/*
 * proto: the messages between the parent and a worker, one socketpair per
 * worker.
 *
 * Every message is a fixed header followed by `len` payload bytes:
 *
 *   READY   worker -> parent  no payload; the worker is initialised
 *   JOB     parent -> worker  source (8 bytes), kind and number of
 *                             targets (4 bytes each), input path NUL,
 *                             then per target its box (2 x 4 bytes) and
 *                             path NUL
 *   RESULT  worker -> parent  fixed fields, then error and warning text
 *
 * All integers are in host order: both ends are the same binary on the same
 * machine. The parent closes its end to tell a worker to finish. Nothing in
 * a message is trusted before proto_decode() has checked magic, version,
 * type, length, string termination and field ranges; the caller checks
 * that job_id and pid are the ones it expects.
 */
#ifndef PTHUMB_PROTO_H
#define PTHUMB_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "output.h" /* struct targets */
#include "result.h"

#define PROTO_MAGIC 0x42485450u /* "PTHB" */
#define PROTO_VERSION 5
#define PROTO_PATH_MAX 4096
/* Largest payloads: a job's fixed fields, its input's path and each
   target's box and path; a result's fixed fields (under 128 bytes) and
   its three texts. */
#define PROTO_JOB_MAX (16 + (PROTO_PATH_MAX + 1) + \
    MAX_SIZES * (8 + PROTO_PATH_MAX + 1))
#define PROTO_RESULT_MAX (128 + RESULT_ERROR_MAX + RESULT_WARNINGS_MAX + \
    RESULT_DETAIL_MAX)
#define PROTO_PAYLOAD_MAX (PROTO_RESULT_MAX > PROTO_JOB_MAX ? \
    PROTO_RESULT_MAX : PROTO_JOB_MAX)

enum msg_type {
	MSG_READY = 1,
	MSG_JOB,
	MSG_RESULT,
};

struct msg_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type;
	uint32_t len;    /* payload bytes after the header */
	uint32_t job_id;
	int32_t pid;     /* sender's pid (0 from the parent) */
};

#define PROTO_MSG_MAX (sizeof(struct msg_hdr) + PROTO_PAYLOAD_MAX)

/* A decoded message. Strings point into the buffer that was decoded (the
   targets' paths too: they are not to be freed). */
struct msg {
	struct msg_hdr hdr;
	const char *in;       /* JOB */
	struct targets out;   /* JOB */
	uint64_t source;      /* JOB */
	struct result result; /* RESULT */
};

/*
 * Encode a message into buf (at least PROTO_MSG_MAX bytes). Return the
 * number of bytes, or -1 if a path is too long for the wire.
 */
int proto_encode_ready(void *buf, int32_t pid);
int proto_encode_job(void *buf, uint32_t job_id, uint64_t source,
    const char *in, const struct targets *out);
int proto_encode_result(void *buf, uint32_t job_id, int32_t pid,
    const struct result *r);

/*
 * Decode the message at the start of buf[0..len). Returns 1 and sets *used
 * when a whole valid message is there, 0 when more bytes are needed, -1
 * (with a static description in *why) when the bytes cannot be a message.
 */
int proto_decode(const void *buf, size_t len, struct msg *m, size_t *used,
    const char **why);

/*
 * Blocking read of one whole message from fd into buf (PROTO_MSG_MAX
 * bytes). Returns 1, 0 on a clean end of file before a message, or -1 with
 * *why set (errno kept for read errors).
 */
int proto_recv(int fd, void *buf, struct msg *m, const char **why);

#endif
