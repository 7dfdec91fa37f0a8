/*
 * cause: why an image failed, in words its user knows (cause.h).
 *
 * The text is cut into fragments, and each is looked at once: the file's
 * own path in front is dropped, a decoder's prefix ("VipsJpeg: ") names
 * the format, libvips' follow-on complaints ("read gave 2 warnings") and
 * internal operation names ("linear: ...") are passed over. The first
 * fragment left is the cause; the rest most often says it again.
 */
#include "cause.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "format.h" /* format_of_suffix */

/* Decoders' prefixes and the format each names. */
static const struct {
	const char *prefix, *format;
} decoders[] = {
	{"VipsJpeg: ", "JPEG"}, {"jpegload: ", "JPEG"},
	{"jpegload_source: ", "JPEG"}, {"vipspng: ", "PNG"},
	{"pngload: ", "PNG"}, {"pngload_source: ", "PNG"},
	{"gifload: ", "GIF"}, {"gifload_source: ", "GIF"},
	{"webpload: ", "WebP"}, {"webpload_source: ", "WebP"},
	{"webp: ", "WebP"}, {"heifload: ", "HEIF"}, {"heif: ", "HEIF"},
	{"tiff2vips: ", "TIFF"}, {"tiffload: ", "TIFF"},
	{"svgload: ", "SVG"}, {"pdfload: ", "PDF"}, {"jxlload: ", "JPEG XL"},
	{"jp2kload: ", "JPEG 2000"},
};

/* What libvips says after a decoder failed, which adds nothing. */
static const char *const follow_on[] = {
	"read gave ", "libpng read error", "unable to write to target",
	"bad seek to ", "unable to call ", "out of order read",
	"VipsImage: ", "VipsRegion: ", "VipsForeignLoad", "vips_",
};

/* The name of the format of a suffix, where the table has one. */
static const char *
format_name(const char *suffix)
{
	const struct format *f = format_of_suffix(suffix);

	return f != NULL ? f->name : NULL;
}

/* The decoder whose prefix starts s, or -1. */
static int
decoder_of(const char *s)
{
	for (size_t i = 0; i < G_N_ELEMENTS(decoders); i++)
		if (g_str_has_prefix(s, decoders[i].prefix))
			return (int)i;
	return -1;
}

/* "linear: ...": an operation's name (lower case, digits, '_') first. */
static bool
is_internal(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_");

	return n > 0 && s[n] == ':' && s[n + 1] == ' ';
}

static bool
is_follow_on(const char *s)
{
	for (size_t i = 0; i < G_N_ELEMENTS(follow_on); i++)
		if (g_str_has_prefix(s, follow_on[i]))
			return true;
	return *s == '\0';
}

/* Drop what trails a message: a code such as " (6.1000)", '.', ';'. */
static void
trim_tail(char *s)
{
	size_t n = strlen(s);
	char *open = strrchr(s, '(');

	if (open != NULL && open > s && open[-1] == ' ' && n > 0 &&
	    s[n - 1] == ')' && strspn(open + 1, "0123456789.") ==
	    (size_t)(s + n - 1 - (open + 1)))
		*open = '\0';
	g_strchomp(s);
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ';' || s[n - 1] == '.'))
		s[--n] = '\0';
	g_strchomp(s);
}

/* s without path (or its base name) and ": " in front. */
static const char *
past_path(const char *s, const char *path)
{
	const char *base;
	size_t n;

	if (path == NULL || *path == '\0')
		return s;
	base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	n = strlen(path);
	if (strncmp(s, path, n) == 0 && strncmp(s + n, ": ", 2) == 0)
		return s + n + 2;
	n = strlen(base);
	if (strncmp(s, base, n) == 0 && strncmp(s + n, ": ", 2) == 0)
		return s + n + 2;
	return s;
}

/* Cut at a word so that it fits CAUSE_MAX, with "...". */
static void
cut(char *s)
{
	char *space;

	if (strlen(s) <= CAUSE_MAX)
		return;
	s[CAUSE_MAX - 3] = '\0';
	space = strrchr(s, ' ');
	if (space != NULL && space > s + CAUSE_MAX / 2)
		*space = '\0';
	g_strchomp(s);
	strcat(s, "...");
}

/* Fragments of text: lines, and "; " within them (a new vector). */
static char **
fragments(const char *text)
{
	GPtrArray *all = g_ptr_array_new();
	char **lines = g_strsplit(text, "\n", -1);

	for (char **l = lines; *l != NULL; l++) {
		char **parts = g_strsplit(*l, "; ", -1);

		for (char **p = parts; *p != NULL; p++)
			g_ptr_array_add(all, g_strstrip(*p));
		g_free(parts); /* the strings now belong to all */
	}
	g_strfreev(lines);
	g_ptr_array_add(all, NULL);
	return (char **)g_ptr_array_free(all, FALSE);
}

/*
 * Fragments that say all there is, in words of pthumb's own (true, with
 * the cause in out): a loader blocked as untrusted, a file in no known
 * format or gone (libvips names the file again; the report already does),
 * memory that ran out.
 */
static bool
says_it_all(const char *s, char *out, size_t size)
{
	if (strstr(s, "operation is blocked") != NULL) {
		int n = (int)strcspn(s, ":");

		/* The loader's name, not its variant for sources. */
		if (n > 7 && strncmp(s + n - 7, "_source", 7) == 0)
			n -= 7;
		snprintf(out, size, "%.*s is blocked: libvips marks it "
		    "untrusted (--allow-untrusted allows it)", n, s);
	} else if (strstr(s, "is not a known file format") != NULL ||
	    strstr(s, "is not in a known format") != NULL) {
		snprintf(out, size, "not a known image format");
	} else if (strstr(s, "\" does not exist") != NULL) {
		snprintf(out, size, "file does not exist (any more)");
	} else if (strstr(s, "out of memory") != NULL ||
	    strstr(s, "Error creating thread") != NULL) {
		/* A thread's stack counts against the limit too. */
		snprintf(out, size, "out of memory (a larger --worker-memory "
		    "may help)");
	} else {
		return false;
	}
	return true;
}

void
cause_shape(const char *text, const char *path, const char *suffix,
    char *out, size_t size)
{
	const char *by_suffix = format_name(suffix), *format = NULL;
	char **parts = fragments(text != NULL ? text : "");
	char *line = NULL, *whole;
	bool io = false;

	/* Some messages are the whole story, whatever else was said; then
	   an I/O error is one. */
	for (char **p = parts; *p != NULL; p++)
		if (says_it_all(*p, out, size)) {
			g_strfreev(parts);
			return;
		}
	for (char **p = parts; *p != NULL && line == NULL; p++) {
		const char *unix_error = strstr(*p, "unix error: ");

		if (unix_error != NULL) {
			line = g_strdup(unix_error + strlen("unix error: "));
			io = true;
		}
	}
	for (char **p = parts; *p != NULL && line == NULL; p++) {
		const char *s = past_path(*p, path);
		int d;

		if ((d = decoder_of(s)) >= 0) {
			format = decoders[d].format;
			s += strlen(decoders[d].prefix);
		}
		if (is_follow_on(s) || (d < 0 && is_internal(s)))
			continue;
		line = g_strdup(s);
	}
	g_strfreev(parts);
	/* Nothing but libvips' own words: they would tell a user nothing. */
	if (line == NULL) {
		snprintf(out, size, "the image could not be processed");
		return;
	}
	trim_tail(line);
	if (format != NULL && strcmp(format, "HEIF") == 0 && by_suffix != NULL &&
	    strcmp(by_suffix, "AVIF") == 0)
		format = by_suffix;
	if (format == NULL)
		format = by_suffix != NULL ? by_suffix : "image";
	if (io)
		whole = g_strdup_printf("cannot read: %s", line);
	else
		whole = g_strdup_printf("%s %s: %s", strstr(line, "nsupported") ?
		    "unsupported" : "damaged", format, line);
	cut(whole);
	snprintf(out, size, "%s", whole);
	g_free(whole);
	g_free(line);
}
