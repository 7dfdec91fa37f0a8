/*
 * stream: one image to standard output (see stream.h).
 */
#include "stream.h"

#include <errno.h>    /* errno */
#include <stdio.h>    /* fprintf */
#include <string.h>   /* strerror, strstr */
#include <sys/stat.h> /* stat, S_ISREG */
#include <unistd.h>   /* isatty, read */

#include <glib.h>
#include <vips/vips.h> /* vips_foreign_find_load_buffer */

#include "output.h" /* output_suffix, output_can_save */
#include "thumb.h"

/* Standard input is read whole: no image worth a thumbnail is larger. */
#define STDIN_MAX (1024LL * 1024 * 1024)

/* Parts of libvips' loader class names (VipsForeignLoadNsgifBuffer), in
   lower case, and the suffix of their format. */
static const struct {
	const char *loader, *suffix;
} loader_suffixes[] = {
	{"jpeg", ".jpg"}, {"png", ".png"}, {"webp", ".webp"},
	{"gif", ".gif"}, {"tiff", ".tif"}, {"jp2k", ".jp2"},
	{"jxl", ".jxl"}, {"heif", ".heic"},
};

const char *
stream_suffix(const char *name, const void *data, size_t len)
{
	const char *suffix = ".png", *loader;

	if (name != NULL) {
		suffix = output_suffix(name);
	} else if ((loader = vips_foreign_find_load_buffer(data, len))
	    != NULL) {
		char *lower = g_ascii_strdown(loader, -1);

		for (size_t i = 0; i < G_N_ELEMENTS(loader_suffixes); i++)
			if (strstr(lower, loader_suffixes[i].loader)) {
				suffix = loader_suffixes[i].suffix;
				break;
			}
		g_free(lower);
		/* HEIF holds HEIC and AVIF: the brand says which. */
		if (strcmp(suffix, ".heic") == 0 && len >= 12 &&
		    memcmp((const char *)data + 8, "avif", 4) == 0)
			suffix = ".avif";
	} else {
		/* The failed guess left a message; the load will say why. */
		vips_error_clear();
	}
	return output_can_save(suffix) ? suffix : ".png";
}

/* All of standard input. 0, or -1 with a message in *why. */
static int
read_stdin(GByteArray *buf, const char **why)
{
	guint8 chunk[65536];
	ssize_t n;

	for (;;) {
		n = read(STDIN_FILENO, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*why = strerror(errno);
			return -1;
		}
		if (n == 0)
			break;
		if (buf->len + (size_t)n > STDIN_MAX) {
			*why = "over 1 GiB";
			return -1;
		}
		g_byte_array_append(buf, chunk, (guint)n);
	}
	if (buf->len == 0) {
		*why = "empty";
		return -1;
	}
	return 0;
}

int
stream_run(const struct opts *o)
{
	const char *name = o->npaths > 0 ? o->paths[0] : "standard input";
	GByteArray *buf = g_byte_array_new();
	struct thumb_src src = {0};
	struct thumb *t = NULL;
	char *suffix = NULL;
	const char *why;
	struct result r;
	struct stat st;
	int status = 2;

	if (isatty(STDOUT_FILENO)) {
		fprintf(stderr, "pthumb: not writing an image to a terminal; "
		    "redirect standard output\n");
		goto out;
	}
	if (o->npaths > 0) {
		if (stat(name, &st) != 0) {
			fprintf(stderr, "pthumb: %s: %s\n", name,
			    strerror(errno));
			goto out;
		}
		if (!S_ISREG(st.st_mode)) {
			fprintf(stderr, "pthumb: %s: -o - writes one "
			    "thumbnail; this is not a file\n", name);
			goto out;
		}
		src.path = name;
	} else {
		if (read_stdin(buf, &why) != 0) {
			fprintf(stderr, "pthumb: standard input: %s\n", why);
			goto out;
		}
		src.data = buf->data;
		src.len = buf->len;
	}
	suffix = o->format != NULL ? g_strconcat(".", o->format, NULL)
	    : g_strdup(stream_suffix(src.path, src.data, src.len));
	t = thumb_new(&o->thumb, THUMB_OWN_PROCESS);
	thumb_stream(t, &src, suffix, STDOUT_FILENO, &r);
	if (status_failed(r.status)) {
		fprintf(stderr, "pthumb: %s: %s\n", name, r.error);
		status = 1;
		goto out;
	}
	if (r.status == STATUS_WARNING)
		fprintf(stderr, "pthumb: %s: %s\n", name, r.warnings);
	status = 0;
out:
	thumb_free(t);
	g_free(suffix);
	g_byte_array_unref(buf);
	return status;
}
