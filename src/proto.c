/*
 * proto: encoding and checked decoding of parent/worker messages (see
 * proto.h).
 */
#include "proto.h"

#include <errno.h>  /* errno */
#include <string.h> /* memcpy, memchr, strlen */

#include "xio.h" /* read_full */

/* RESULT payload before its three texts. */
struct wire_result {
	uint32_t status;
	int32_t width, height, out_width, out_height;
	int64_t usec, usec_open, usec_pixels, usec_resample, usec_write;
	uint16_t error_len, warnings_len, detail_len;
};
_Static_assert(sizeof(struct wire_result) <= 128, "PROTO_RESULT_MAX");
_Static_assert(RESULT_ERROR_MAX < 65536, "error_len is 16 bits");

static int
put_header(void *buf, uint16_t type, uint32_t len, uint32_t job_id,
    int32_t pid)
{
	struct msg_hdr h;

	memset(&h, 0, sizeof(h));
	h.magic = PROTO_MAGIC;
	h.version = PROTO_VERSION;
	h.type = type;
	h.len = len;
	h.job_id = job_id;
	h.pid = pid;
	memcpy(buf, &h, sizeof(h));
	return (int)(sizeof(h) + len);
}

int
proto_encode_ready(void *buf, int32_t pid)
{
	return put_header(buf, MSG_READY, 0, 0, pid);
}

int
proto_encode_job(void *buf, uint32_t job_id, uint64_t source,
    const char *in, const char *out)
{
	size_t a = strlen(in) + 1, b = strlen(out) + 1;
	char *p = (char *)buf + sizeof(struct msg_hdr);

	if (a > PROTO_PATH_MAX + 1 || b > PROTO_PATH_MAX + 1)
		return -1;
	memcpy(p, &source, 8);
	memcpy(p + 8, in, a);
	memcpy(p + 8 + a, out, b);
	return put_header(buf, MSG_JOB, (uint32_t)(8 + a + b), job_id, 0);
}

static size_t
text_len(const char *s, size_t max)
{
	const char *end = memchr(s, '\0', max);

	return end ? (size_t)(end - s) : max - 1;
}

int
proto_encode_result(void *buf, uint32_t job_id, int32_t pid,
    const struct result *r)
{
	struct wire_result w;
	char *p = (char *)buf + sizeof(struct msg_hdr);

	/* Zeroed whole, padding included: every byte sent is defined. */
	memset(&w, 0, sizeof(w));
	w.status = (uint32_t)r->status;
	w.width = r->width;
	w.height = r->height;
	w.out_width = r->out_width;
	w.out_height = r->out_height;
	w.usec = r->usec;
	w.usec_open = r->usec_open;
	w.usec_pixels = r->usec_pixels;
	w.usec_resample = r->usec_resample;
	w.usec_write = r->usec_write;
	w.error_len = (uint16_t)text_len(r->error, sizeof(r->error));
	w.warnings_len = (uint16_t)text_len(r->warnings, sizeof(r->warnings));
	w.detail_len = (uint16_t)text_len(r->detail, sizeof(r->detail));

	memcpy(p, &w, sizeof(w));
	p += sizeof(w);
	memcpy(p, r->error, w.error_len);
	memcpy(p + w.error_len, r->warnings, w.warnings_len);
	memcpy(p + w.error_len + w.warnings_len, r->detail, w.detail_len);
	return put_header(buf, MSG_RESULT, (uint32_t)(sizeof(w) +
	    w.error_len + w.warnings_len + w.detail_len), job_id, pid);
}

static int
decode_job(const char *p, uint32_t len, struct msg *m, const char **why)
{
	const char *nul;

	if (len < 8) {
		*why = "malformed job";
		return -1;
	}
	memcpy(&m->source, p, 8);
	p += 8;
	len -= 8;
	nul = memchr(p, '\0', len);

	if (len == 0 || p[len - 1] != '\0' || nul == NULL ||
	    nul == p + len - 1) {
		*why = "malformed job";
		return -1;
	}
	m->in = p;
	m->out = nul + 1;
	if (memchr(m->out, '\0', len - (size_t)(m->out - p)) != p + len - 1 ||
	    *m->in == '\0' || *m->out == '\0') {
		*why = "malformed job";
		return -1;
	}
	return 1;
}

static int
decode_result(const char *p, uint32_t len, struct msg *m, const char **why)
{
	struct wire_result w;
	struct result *r = &m->result;

	if (len < sizeof(w)) {
		*why = "result too short";
		return -1;
	}
	memcpy(&w, p, sizeof(w));
	if (w.status >= STATUS_LAST || w.error_len >= sizeof(r->error) ||
	    w.warnings_len >= sizeof(r->warnings) ||
	    w.detail_len >= sizeof(r->detail) ||
	    len != sizeof(w) + w.error_len + w.warnings_len + w.detail_len ||
	    w.width < 0 || w.height < 0 || w.out_width < 0 ||
	    w.out_height < 0 || w.usec < 0 || w.usec_open < 0 ||
	    w.usec_pixels < 0 || w.usec_resample < 0 || w.usec_write < 0) {
		*why = "malformed result";
		return -1;
	}
	memset(r, 0, sizeof(*r));
	r->status = (enum status)w.status;
	r->width = w.width;
	r->height = w.height;
	r->out_width = w.out_width;
	r->out_height = w.out_height;
	r->usec = w.usec;
	r->usec_open = w.usec_open;
	r->usec_pixels = w.usec_pixels;
	r->usec_resample = w.usec_resample;
	r->usec_write = w.usec_write;
	r->worker = m->hdr.pid;
	p += sizeof(w);
	memcpy(r->error, p, w.error_len);
	memcpy(r->warnings, p + w.error_len, w.warnings_len);
	memcpy(r->detail, p + w.error_len + w.warnings_len, w.detail_len);
	return 1;
}

int
proto_decode(const void *buf, size_t len, struct msg *m, size_t *used,
    const char **why)
{
	const char *p = buf;
	struct msg_hdr h;

	if (len < sizeof(h))
		return 0;
	memcpy(&h, p, sizeof(h));
	if (h.magic != PROTO_MAGIC) {
		*why = "bad magic";
		return -1;
	}
	if (h.version != PROTO_VERSION) {
		*why = "unknown protocol version";
		return -1;
	}
	if (h.len > PROTO_PAYLOAD_MAX) {
		*why = "message too long";
		return -1;
	}
	if (len < sizeof(h) + h.len)
		return 0;
	memset(m, 0, sizeof(*m));
	m->hdr = h;
	*used = sizeof(h) + h.len;
	p += sizeof(h);
	switch (h.type) {
	case MSG_READY:
		if (h.len != 0) {
			*why = "malformed ready";
			return -1;
		}
		return 1;
	case MSG_JOB:
		return decode_job(p, h.len, m, why);
	case MSG_RESULT:
		return decode_result(p, h.len, m, why);
	default:
		*why = "unknown message type";
		return -1;
	}
}

int
proto_recv(int fd, void *buf, struct msg *m, const char **why)
{
	struct msg_hdr h;
	size_t used;
	ssize_t n;
	int rc;

	n = read_full(fd, buf, sizeof(h));
	if (n == 0)
		return 0;
	if (n < 0) {
		*why = "read failed";
		return -1;
	}
	if ((size_t)n < sizeof(h)) {
		*why = "short message";
		return -1;
	}
	rc = proto_decode(buf, sizeof(h), m, &used, why);
	if (rc != 0)
		return rc;
	memcpy(&h, buf, sizeof(h)); /* checked: h.len <= PROTO_PAYLOAD_MAX */
	n = read_full(fd, (char *)buf + sizeof(h), h.len);
	if (n < 0) {
		*why = "read failed";
		return -1;
	}
	if ((size_t)n < h.len) {
		*why = "short message";
		return -1;
	}
	rc = proto_decode(buf, sizeof(h) + h.len, m, &used, why);
	return rc == 1 ? 1 : -1;
}
