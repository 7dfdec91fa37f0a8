/*
 * report: JSON escaping (any file name must round-trip) and the shape of
 * the lines.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

static void
expect_json(const char *in, const char *want)
{
	GString *s = g_string_new(NULL);

	report_json_string(s, in);
	cr_assert_str_eq(s->str, want, "escaping \"%s\"", in);
	g_string_free(s, TRUE);
}

Test(report, json_escapes_specials)
{
	expect_json("plain.jpg", "\"plain.jpg\"");
	expect_json("a\"b\\c", "\"a\\\"b\\\\c\"");
	expect_json("line\nnext\ttab", "\"line\\nnext\\ttab\"");
	expect_json("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"");
	expect_json("", "\"\"");
}

Test(report, json_keeps_utf8_and_escapes_bad_bytes_as_surrogates)
{
	expect_json("caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x93\xb7",
	    "\"caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x93\xb7\"");
	expect_json("\xff", "\"\\udcff\"");
	expect_json("a\xc3", "\"a\\udcc3\"");
	/* Overlong and surrogate encodings are not valid UTF-8. */
	expect_json("\xc0\xaf", "\"\\udcc0\\udcaf\"");
	expect_json("\xed\xa0\x80", "\"\\udced\\udca0\\udc80\"");
	expect_json("x\xe9y.jpg", "\"x\\udce9y.jpg\"");
}

Test(report, json_lines_carry_every_key, .init = cr_redirect_stdout)
{
	struct report *rp = report_new(true, false);
	struct job job = {.id = 1, .in = "in/a.jpg", .out = {.n = 1,
	    .t = {{.path = "thumbs/a.jpg"}}}};
	struct result r = {
		.status = STATUS_WARNING, .width = 4000, .height = 3000,
		.out_width = 50, .out_height = 38, .usec = 12345, .worker = 77,
		.usec_open = 1000, .usec_pixels = 8000, .usec_resample = 2000,
		.usec_write = 1345,
	};
	char buf[4096] = {0};
	FILE *f;

	snprintf(r.warnings, sizeof(r.warnings), "Premature end");
	report_file(rp, &job, &r);
	report_set_workers(rp, &(struct report_workers){.mode = MODE_POOL,
	    .workers = 2, .started = 5, .recycled = 3, .max_alive = 2});
	report_summary(rp, 2.0);
	fflush(stdout);
	f = cr_get_redirected_stdout();
	cr_assert_gt(fread(buf, 1, sizeof(buf) - 1, f), 0);
	cr_assert(g_str_has_prefix(buf,
	    "{\"type\": \"file\", \"input\": \"in/a.jpg\", \"output\": "
	    "\"thumbs/a.jpg\", \"status\": \"warning\", \"error\": null, "
	    "\"warnings\": \"Premature end\", \"detail\": null, "
	    "\"width\": 4000, \"height\": "
	    "3000, \"out_width\": 50, \"out_height\": 38, \"ms\": 12.345, "
	    "\"ms_open\": 1.000, \"ms_pixels\": 8.000, \"ms_resample\": 2.000, "
	    "\"ms_write\": 1.345, \"worker\": 77}\n"
	    "{\"type\": \"summary\", \"files\": 1, \"done\": 1, \"ok\": 0, "
	    "\"warning\": 1, \"failed\": 0, \"error\": 0, \"timeout\": 0, "
	    "\"skipped\": 0, \"seconds\": 2.000, \"images_per_second\": 0.5, "
	    "\"mode\": \"pool\", \"workers\": 2, \"workers_started\": 5, "
	    "\"workers_recycled\": 3, \"max_workers_alive\": 2, "
	    "\"first_done_seconds\": "), "%s", buf);
	/* Times and memory vary; their keys are there, and it ends. */
	cr_assert_not_null(strstr(buf, ", \"scan_seconds\": 0.000, "
	    "\"parent_max_rss_kb\": "), "%s", buf);
	cr_assert(g_str_has_suffix(buf, "}\n"));
	cr_assert_not(report_failed(rp));
	report_free(rp);
}

static void
redirect_both(void)
{
	cr_redirect_stdout();
	cr_redirect_stderr();
}

Test(report, human_lines_and_errors, .init = redirect_both)
{
	struct report *rp = report_new(false, false);
	struct job ok = {.id = 1, .in = "a\nb.jpg", .out = {.n = 1,
	    .t = {{.path = "t/a\nb.jpg"}}}};
	struct job bad = {.id = 2, .in = "bad.jpg", .out = {.n = 1,
	    .t = {{.path = "t/bad.jpg"}}}};
	struct result r = {
		.status = STATUS_OK, .width = 4000, .height = 3000,
		.out_width = 50, .out_height = 38, .usec = 12300,
	};
	struct result e = {.status = STATUS_ERROR};
	char buf[4096] = {0};
	FILE *f;

	snprintf(e.error, sizeof(e.error), "not a known image format");
	report_file(rp, &ok, &r);
	report_file(rp, &bad, &e);
	fflush(stdout);
	f = cr_get_redirected_stdout();
	cr_assert_gt(fread(buf, 1, sizeof(buf) - 1, f), 0);
	/* A newline in a name cannot break the one-line-per-file rule. */
	cr_assert_str_eq(buf, "a\\x0ab.jpg -> t/a\\x0ab.jpg  4000x3000 -> "
	    "50x38  12.3 ms\n");
	cr_assert(report_failed(rp));
	fflush(stderr);
	cr_assert_stderr_eq_str("pthumb: bad.jpg: not a known image format\n");
	report_free(rp);
}
