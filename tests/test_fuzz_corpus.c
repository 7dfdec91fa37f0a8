/*
 * Replays every input kept under tests/fuzz/ (the fuzzers' seeds and any
 * crash they found, kept as regression tests) through the same harnesses
 * that `make fuzz` runs under libFuzzer.
 */
#include <criterion/criterion.h>
#include <glib.h>

#define LLVMFuzzerTestOneInput fuzz_proto_input
#include "fuzz/fuzz_proto.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_options_input
#include "fuzz/fuzz_options.c"
#undef LLVMFuzzerTestOneInput

#include "helpers.h"

static int
replay(const char *dir, int (*one)(const uint8_t *, size_t))
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;
	int n = 0;

	cr_assert_not_null(d, "%s", dir);
	while ((name = g_dir_read_name(d)) != NULL) {
		char *path = g_build_filename(dir, name, NULL);
		gchar *data;
		gsize len;

		cr_assert(g_file_get_contents(path, &data, &len, NULL), "%s",
		    path);
		cr_assert_eq(one((const uint8_t *)data, len), 0, "%s", path);
		g_free(data);
		g_free(path);
		n++;
	}
	g_dir_close(d);
	return n;
}

Test(fuzz_corpus, proto_inputs)
{
	cr_assert_geq(replay(TOP_DIR "/tests/fuzz/proto", fuzz_proto_input), 4);
}

Test(fuzz_corpus, option_inputs)
{
	cr_assert_geq(replay(TOP_DIR "/tests/fuzz/options",
	    fuzz_options_input), 3);
}
