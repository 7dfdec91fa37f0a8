/*
 * libFuzzer target: the command line. The input is split at NUL bytes
 * into arguments for options_parse(); the whole input is also given to
 * each value parser of optvalue.h.
 */
#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "options.h"
#include "optvalue.h"

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
	static const char *const words[] = {"pool", NULL, "x-large"};
	struct opts o;
	struct thumb_opts t;
	char *msg = NULL;
	const char *why;
	size_t off = 0;
	long long bytes;
	double d, rgb[3];
	int w, h, i, jobs[4];

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
	(void)options_parse_sizes(text, &t);
	(void)options_parse_colour(text, rgb);
	(void)options_parse_jobs_list(text, jobs, G_N_ELEMENTS(jobs));
	(void)options_parse_choice(text, words, G_N_ELEMENTS(words));
	(void)options_check_format(text);
	(void)options_check_template(text, &why);
	for (guint k = 1; k + 1 < args->len; k++)
		g_free(args->pdata[k]);
	g_ptr_array_free(args, TRUE);
	g_free(text);
	return 0;
}
