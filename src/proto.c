/*
 * proto: encoding and checked decoding of parent/worker messages (see
 * proto.h).
 */
#include "proto.h"

#include <errno.h>  /* errno */
#include <stddef.h> /* ptrdiff_t */
#include <string.h> /* memcpy, memchr, strlen */

#include "optvalue.h" /* MAX_BOX: boxes as the options allow them */
#include "xio.h"      /* read_full */

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

/* JOB payload before its input's path. */
struct wire_job {
	uint64_t source;
	uint32_t kind, n;
};
_Static_assert(sizeof(struct wire_job) == 16, "PROTO_JOB_MAX");

/* A string and its NUL at p, unless longer than PROTO_PATH_MAX: -1. */
static int
put_path(char **p, const char *s)
{
	size_t n = strlen(s) + 1;

	if (n > PROTO_PATH_MAX + 1)
		return -1;
	memcpy(*p, s, n);
	*p += n;
	return 0;
}

int
proto_encode_job(void *buf, uint32_t job_id, uint64_t source,
    const char *in, const struct targets *out)
{
	char *start = (char *)buf + sizeof(struct msg_hdr), *p = start;
	struct wire_job w = {.source = source, .kind = out->kind,
	    .n = (uint32_t)out->n};

	if (out->n < 1 || out->n > MAX_SIZES)
		return -1;
	memcpy(p, &w, sizeof(w));
	p += sizeof(w);
	if (put_path(&p, in) != 0)
		return -1;
	for (int i = 0; i < out->n; i++) {
		int32_t box[2] = {out->t[i].width, out->t[i].height};

		memcpy(p, box, sizeof(box));
		p += sizeof(box);
		if (put_path(&p, out->t[i].path) != 0)
			return -1;
	}
	return put_header(buf, MSG_JOB, (uint32_t)(p - start), job_id, 0);
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

/* A non-empty string ending before end at *p, and past it: or NULL. */
static const char *
take_path(const char **p, const char *end)
{
	const char *s = *p, *nul = memchr(s, '\0', (size_t)(end - s));

	if (nul == NULL || nul == s)
		return NULL;
	*p = nul + 1;
	return s;
}

static int
decode_job(const char *p, uint32_t len, struct msg *m, const char **why)
{
	const char *end = p + len;
	struct wire_job w;

	*why = "malformed job";
	if (len < sizeof(w))
		return -1;
	memcpy(&w, p, sizeof(w));
	p += sizeof(w);
	if ((w.kind != OUTPUT_FILES && w.kind != OUTPUT_CACHE) || w.n < 1 ||
	    w.n > MAX_SIZES || (m->in = take_path(&p, end)) == NULL)
		return -1;
	m->source = w.source;
	m->out.kind = (enum output_kind)w.kind;
	for (m->out.n = 0; m->out.n < (int)w.n; m->out.n++) {
		struct target *t = &m->out.t[m->out.n];
		int32_t box[2];

		if (end - p < (ptrdiff_t)sizeof(box))
			return -1;
		memcpy(box, p, sizeof(box));
		p += sizeof(box);
		if (box[0] < 1 || box[0] > MAX_BOX || box[1] < 1 ||
		    box[1] > MAX_BOX || (t->path = (char *)take_path(&p,
		    end)) == NULL)
			return -1;
		t->width = box[0];
		t->height = box[1];
	}
	return p == end ? 1 : -1;
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
