/*
 * libFuzzer target: the command line. The input is split at NUL bytes
 * into arguments for options_parse(); the first is also tried as a size,
 * a byte count and a number.
 */
#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* GOption prints help and exits for these; not a parser path to test. */
static int
asks_for_help(const char *a)
{
	if (g_str_has_prefix(a, "--help"))
		return 1;
	return a[0] == '-' && a[1] != '-' && (strchr(a, 'h') || strchr(a, '?'));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = g_strndup((const char *)data, size);
	GPtrArray *args = g_ptr_array_new();
	struct opts o;
	char *msg = NULL;
	size_t off = 0;
	long long bytes;
	double d;
	int w, h, i;

	g_ptr_array_add(args, "pthumb");
	while (off < size && args->len < 32) {
		const char *a = (const char *)data + off;
		size_t n = strnlen(a, size - off);
		char *arg = g_strndup(a, n);

		if (asks_for_help(arg))
			g_free(arg);
		else
			g_ptr_array_add(args, arg);
		off += n + 1;
	}
	g_ptr_array_add(args, NULL);
	if (options_parse((int)args->len - 1, (char **)args->pdata, &o,
	    &msg) == 0)
		options_free(&o);
	g_free(msg);
	(void)options_parse_size(text, &w, &h);
	(void)options_parse_bytes(text, &bytes);
	(void)options_parse_double(text, 0, 100, &d);
	(void)options_parse_int(text, 0, 100, &i);
	for (guint k = 1; k + 1 < args->len; k++)
		g_free(args->pdata[k]);
	g_ptr_array_free(args, TRUE);
	g_free(text);
	return 0;
}
