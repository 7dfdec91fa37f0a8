/*
 * proto: round trips, byte-at-a-time delivery, truncation and garbage.
 */
#include <criterion/criterion.h>
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proto.h"
#include "xio.h"

static unsigned char buf[PROTO_MSG_MAX], rbuf[PROTO_MSG_MAX];

/* One thumbnail file at path, in a 50 x 40 box. */
static const struct targets *
one(const char *path)
{
	static struct targets ts = {.kind = OUTPUT_FILES, .n = 1,
	    .t = {{.width = 50, .height = 40}}};

	ts.t[0].path = (char *)path;
	return &ts;
}

static const struct targets boxes = {.kind = OUTPUT_CACHE, .n = 3, .t = {
	{.path = "o/64/a.jpg", .width = 64, .height = 64},
	{.path = "o/256/a.jpg", .width = 256, .height = 256},
	{.path = "o/320x200/a.jpg", .width = 320, .height = 200},
}};

static struct result
sample_result(void)
{
	struct result r = {
		.status = STATUS_WARNING, .width = 4000, .height = 3000,
		.out_width = 50, .out_height = 38, .usec = 123456,
	};

	snprintf(r.error, sizeof(r.error), "no error");
	snprintf(r.warnings, sizeof(r.warnings), "Premature end of JPEG");
	snprintf(r.detail, sizeof(r.detail), "VipsJpeg: Premature end of JPEG "
	    "file; read gave 2 warnings");
	return r;
}

Test(proto, round_trip_each_type)
{
	struct result r = sample_result();
	struct msg m;
	const char *why = NULL;
	size_t used;
	int n;

	n = proto_encode_ready(buf, 42);
	cr_assert_eq(proto_decode(buf, (size_t)n, &m, &used, &why), 1);
	cr_assert_eq(used, (size_t)n);
	cr_assert_eq(m.hdr.type, MSG_READY);
	cr_assert_eq(m.hdr.pid, 42);

	n = proto_encode_job(buf, 7, 0x8000000000000001ULL, "in/a b.jpg",
	    one("out/a b.jpg"));
	cr_assert_eq(proto_decode(buf, (size_t)n, &m, &used, &why), 1);
	cr_assert_eq(m.hdr.type, MSG_JOB);
	cr_assert_eq(m.hdr.job_id, 7);
	cr_assert_eq(m.source, 0x8000000000000001ULL);
	cr_assert_str_eq(m.in, "in/a b.jpg");
	cr_assert_eq(m.out.n, 1);
	cr_assert_eq(m.out.kind, OUTPUT_FILES);
	cr_assert_str_eq(m.out.t[0].path, "out/a b.jpg");
	cr_assert_eq(m.out.t[0].width, 50);
	cr_assert_eq(m.out.t[0].height, 40);

	n = proto_encode_job(buf, 8, 1, "a.jpg", &boxes);
	cr_assert_eq(proto_decode(buf, (size_t)n, &m, &used, &why), 1);
	cr_assert_eq(m.out.kind, OUTPUT_CACHE);
	cr_assert_eq(m.out.n, 3);
	for (int i = 0; i < 3; i++) {
		cr_assert_str_eq(m.out.t[i].path, boxes.t[i].path);
		cr_assert_eq(m.out.t[i].width, boxes.t[i].width);
		cr_assert_eq(m.out.t[i].height, boxes.t[i].height);
	}

	n = proto_encode_result(buf, 9, 43, &r);
	cr_assert_eq(proto_decode(buf, (size_t)n, &m, &used, &why), 1);
	cr_assert_eq(m.hdr.type, MSG_RESULT);
	cr_assert_eq(m.hdr.job_id, 9);
	cr_assert_eq(m.result.worker, 43);
	cr_assert_eq(m.result.status, STATUS_WARNING);
	cr_assert_eq(m.result.width, 4000);
	cr_assert_eq(m.result.out_height, 38);
	cr_assert_eq(m.result.usec, 123456);
	cr_assert_str_eq(m.result.error, "no error");
	cr_assert_str_eq(m.result.warnings, "Premature end of JPEG");
	cr_assert_str_eq(m.result.detail, "VipsJpeg: Premature end of JPEG "
	    "file; read gave 2 warnings");
}

Test(proto, every_prefix_asks_for_more)
{
	struct result r = sample_result();
	struct msg m;
	const char *why = NULL;
	size_t used;
	int n = proto_encode_result(buf, 1, 2, &r);

	for (int i = 0; i < n; i++)
		cr_assert_eq(proto_decode(buf, (size_t)i, &m, &used, &why), 0,
		    "prefix of %d bytes", i);
	cr_assert_eq(proto_decode(buf, (size_t)n, &m, &used, &why), 1);
}

Test(proto, two_messages_back_to_back)
{
	struct msg m;
	const char *why = NULL;
	size_t used;
	int a = proto_encode_ready(buf, 5);
	int b = proto_encode_job(buf + a, 3, 0, "x", one("y"));

	cr_assert_eq(proto_decode(buf, (size_t)(a + b), &m, &used, &why), 1);
	cr_assert_eq(used, (size_t)a);
	cr_assert_eq(proto_decode(buf + used, (size_t)b, &m, &used, &why), 1);
	cr_assert_str_eq(m.out.t[0].path, "y");
}

/* Change one field of an encoded message and expect a rejection. */
static void
expect_garbage(int n, const char *what)
{
	struct msg m;
	const char *why = NULL;
	size_t used;

	cr_assert_eq(proto_decode(buf, (size_t)n, &m, &used, &why), -1,
	    "accepted %s", what);
	cr_assert_not_null(why);
}

Test(proto, garbage_is_rejected)
{
	struct result r = sample_result();
	struct msg_hdr h;
	int n;

	memset(buf, 'A', sizeof(buf));
	expect_garbage(64, "letters");

	n = proto_encode_ready(buf, 1);
	memcpy(&h, buf, sizeof(h));
	h.version = 99;
	memcpy(buf, &h, sizeof(h));
	expect_garbage(n, "a wrong version");

	n = proto_encode_ready(buf, 1);
	memcpy(&h, buf, sizeof(h));
	h.type = 77;
	memcpy(buf, &h, sizeof(h));
	expect_garbage(n, "an unknown type");

	n = proto_encode_ready(buf, 1);
	memcpy(&h, buf, sizeof(h));
	h.len = PROTO_PAYLOAD_MAX + 1;
	memcpy(buf, &h, sizeof(h));
	expect_garbage(n, "an oversized length");

	n = proto_encode_job(buf, 1, 0, "in", one("out"));
	buf[n - 1] = 'x'; /* unterminated second path */
	expect_garbage(n, "an unterminated path");

	n = proto_encode_job(buf, 1, 0, "in", one("out"));
	memcpy(&h, buf, sizeof(h));
	h.len = 16 + 3; /* "in\0" only: no target */
	memcpy(buf, &h, sizeof(h));
	expect_garbage((int)sizeof(h) + 16 + 3, "a job with one path");

	h.len = 15; /* not even the fixed fields */
	memcpy(buf, &h, sizeof(h));
	expect_garbage((int)sizeof(h) + 15, "a job cut short");

	/* The fixed fields: source, kind, number of targets. */
	for (int k = 0; k < 4; k++) {
		static const uint32_t bad[][2] = {
			{2, 1}, {0, 0}, {0, MAX_SIZES + 1}, {0, 2},
		};

		n = proto_encode_job(buf, 1, 0, "in", one("out"));
		memcpy(buf + sizeof(h) + 8, bad[k], sizeof(bad[k]));
		expect_garbage(n, "bad kind or number of targets");
	}

	/* A box out of range. */
	n = proto_encode_job(buf, 1, 0, "in", one("out"));
	memset(buf + sizeof(h) + 16 + 3, 0, 4);
	expect_garbage(n, "an empty box");

	/* Bytes after the last target. */
	n = proto_encode_job(buf, 1, 0, "in", one("out"));
	memcpy(&h, buf, sizeof(h));
	h.len += 1;
	memcpy(buf, &h, sizeof(h));
	buf[n] = 'z';
	expect_garbage(n + 1, "a job with trailing bytes");

	r.status = STATUS_LAST;
	n = proto_encode_result(buf, 1, 1, &r);
	expect_garbage(n, "a status out of range");

	r = sample_result();
	n = proto_encode_result(buf, 1, 1, &r);
	memcpy(&h, buf, sizeof(h));
	h.len -= 1; /* texts no longer add up */
	memcpy(buf, &h, sizeof(h));
	expect_garbage(n - 1, "a result whose lengths do not add up");
}

Test(proto, paths_too_long_for_the_wire)
{
	char *longp = g_strnfill(PROTO_PATH_MAX + 1, 'a');

	cr_assert_eq(proto_encode_job(buf, 1, 0, longp, one("x")), -1);
	cr_assert_eq(proto_encode_job(buf, 1, 0, "x", one(longp)), -1);
	g_free(longp);
}

/* A writer that sends one byte at a time: the reader still gets it whole. */
Test(proto, recv_over_a_socket_with_short_writes)
{
	struct result r = sample_result();
	int sv[2], n, status;
	struct msg m;
	const char *why = NULL;
	pid_t pid;

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	n = proto_encode_result(buf, 4, 5, &r);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(sv[0]);
		for (int i = 0; i < n; i++) {
			if (write_full(sv[1], buf + i, 1) != 0)
				_exit(1);
			if (i % 16 == 0)
				usleep(100);
		}
		/* Then half a message and hang up. */
		if (write_full(sv[1], buf, 10) != 0)
			_exit(1);
		_exit(0);
	}
	close(sv[1]);
	cr_assert_eq(proto_recv(sv[0], rbuf, &m, &why), 1, "%s", why);
	cr_assert_str_eq(m.result.warnings, "Premature end of JPEG");
	cr_assert_str_eq(m.result.detail, "VipsJpeg: Premature end of JPEG "
	    "file; read gave 2 warnings");
	cr_assert_eq(proto_recv(sv[0], rbuf, &m, &why), -1);
	cr_assert_str_eq(why, "short message");
	cr_assert_eq(proto_recv(sv[0], rbuf, &m, &why), 0, "then end of file");
	close(sv[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
