/*
 * optvalue: the parsers of option values (see optvalue.h).
 */
#include "optvalue.h"

#include <errno.h>  /* errno */
#include <math.h>   /* isfinite */
#include <stdbool.h>
#include <stdlib.h> /* strtol */
#include <string.h> /* strchr, strcmp, strspn */

#include <glib.h> /* g_ascii_strtod, g_strsplit */

#include "options.h" /* struct thumb_opts, MAX_SIZES */

int
options_parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0' || g_ascii_isspace(*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

int
options_parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0' || g_ascii_isspace(*s))
		return -1;
	errno = 0;
	v = g_ascii_strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v) || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int
options_parse_size(const char *s, int *w, int *h)
{
	const char *x;
	char *first;
	int a, b, rc;

	if (s == NULL)
		return -1;
	x = strchr(s, 'x');
	if (x == NULL)
		x = strchr(s, 'X');
	if (x == NULL) {
		if (options_parse_int(s, 1, MAX_BOX, &a) != 0)
			return -1;
		*w = *h = a;
		return 0;
	}
	first = g_strndup(s, (gsize)(x - s));
	rc = options_parse_int(first, 1, MAX_BOX, &a);
	g_free(first);
	if (rc != 0 || options_parse_int(x + 1, 1, MAX_BOX, &b) != 0)
		return -1;
	*w = a;
	*h = b;
	return 0;
}

int
options_parse_sizes(const char *s, struct thumb_opts *t)
{
	struct thumb_box boxes[MAX_SIZES];
	char **parts;
	int n = 0, rc = 0;

	if (s == NULL || *s == '\0')
		return -1;
	parts = g_strsplit(s, ",", -1);
	for (char **p = parts; *p != NULL && rc == 0; p++) {
		struct thumb_box *b = &boxes[n];

		if (n == MAX_SIZES || strlen(*p) >= sizeof(b->label) ||
		    options_parse_size(*p, &b->width, &b->height) != 0) {
			rc = -1;
			break;
		}
		for (int k = 0; k < n; k++)
			if (boxes[k].width == b->width &&
			    boxes[k].height == b->height)
				rc = -1;
		g_strlcpy(b->label, *p, sizeof(b->label));
		n++;
	}
	g_strfreev(parts);
	if (rc != 0 || n == 0)
		return -1;
	memcpy(t->boxes, boxes, sizeof(boxes[0]) * (size_t)n);
	t->nboxes = n;
	t->width = boxes[0].width;
	t->height = boxes[0].height;
	return 0;
}

int
options_parse_bytes(const char *s, long long *out)
{
	static const char units[] = "KMGT";
	char *end;
	double v, scale = 1;
	const char *u;

	if (s == NULL || *s == '\0' || g_ascii_isspace(*s))
		return -1;
	errno = 0;
	v = g_ascii_strtod(s, &end);
	if (errno != 0 || end == s || !isfinite(v) || v <= 0)
		return -1;
	if (*end != '\0') {
		u = strchr(units, g_ascii_toupper(*end));
		if (u == NULL || end[1] != '\0')
			return -1;
		for (; u >= units; u--)
			scale *= 1024;
	}
	v *= scale;
	if (v < 1 || v > 9.0e18)
		return -1;
	*out = (long long)v;
	return 0;
}

int
options_parse_jobs_list(const char *s, int *out, int max)
{
	char **parts;
	int n = 0, rc = 0;

	if (s == NULL || *s == '\0')
		return -1;
	parts = g_strsplit(s, ",", -1);
	for (char **p = parts; *p != NULL; p++) {
		if (n >= max - 1 || options_parse_int(*p, 1, MAX_JOBS,
		    &out[n]) != 0) {
			rc = -1;
			break;
		}
		n++;
	}
	g_strfreev(parts);
	out[rc == 0 ? n : 0] = 0;
	return rc;
}

int
options_parse_colour(const char *s, double rgb[3])
{
	unsigned v[3];
	char **parts;
	int n, ok = 0;

	if (s == NULL)
		return -1;
	if (g_ascii_strcasecmp(s, "white") == 0 ||
	    g_ascii_strcasecmp(s, "black") == 0) {
		for (int i = 0; i < 3; i++)
			rgb[i] = g_ascii_tolower(s[0]) == 'w' ? 255 : 0;
		return 0;
	}
	if (s[0] == '#') {
		size_t len = strlen(s + 1);
		int step = len == 6 ? 2 : 1;

		if ((len != 6 && len != 3) || strspn(s + 1,
		    "0123456789abcdefABCDEF") != len)
			return -1;
		for (int i = 0; i < 3; i++) {
			char hex[3] = {s[1 + i * step], s[1 + i * step +
			    (step - 1)], '\0'};

			rgb[i] = (double)strtol(hex, NULL, 16);
		}
		return 0;
	}
	parts = g_strsplit(s, ",", -1);
	n = (int)g_strv_length(parts);
	if (n == 3) {
		ok = 1;
		for (int i = 0; i < 3; i++) {
			int c;

			if (options_parse_int(g_strstrip(parts[i]), 0, 255, &c)
			    != 0)
				ok = 0;
			else
				v[i] = (unsigned)c;
		}
	}
	g_strfreev(parts);
	if (!ok)
		return -1;
	for (int i = 0; i < 3; i++)
		rgb[i] = v[i];
	return 0;
}

int
options_check_template(const char *t, const char **why)
{
	char **parts;
	bool stem = false, up;

	if (*t == '\0' || *t == '/') {
		*why = "it must be a relative path";
		return -1;
	}
	for (const char *p = t; *p != '\0'; p++) {
		if (*p != '%')
			continue;
		p++;
		if (*p == 's')
			stem = true;
		else if (*p != 'e' && *p != 'd' && *p != '%') {
			*why = "the escapes are %s, %e, %d and %%";
			return -1;
		}
	}
	if (!stem) {
		*why = "it needs %s, or every file gets the same name";
		return -1;
	}
	parts = g_strsplit(t, "/", -1);
	up = g_strv_contains((const char *const *)parts, "..");
	g_strfreev(parts);
	if (up) {
		*why = "no '..' component";
		return -1;
	}
	return 0;
}

int
options_parse_choice(const char *s, const char *const *choices, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (choices[i] != NULL && strcmp(s, choices[i]) == 0)
			return (int)i;
	return -1;
}

int
options_check_format(const char *s)
{
	return *s == '\0' || strchr(s, '/') || strchr(s, '.') ? -1 : 0;
}
