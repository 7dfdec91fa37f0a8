/*
 * format: the table of image formats (see format.h).
 */
#include "format.h"

#include <string.h> /* strrchr, strchr, strstr, strlen, memcmp */

#include <glib.h> /* g_ascii_strcasecmp, g_ascii_strdown */

/*
 * Trusted formats first: their suffixes are the ones scanned by default,
 * in this order. Names are those users know; formats without one are
 * said "image" in messages.
 */
static const struct format formats[] = {
	{.name = "JPEG", .suffixes = {".jpg", ".jpeg"},
	    .also = {".jpe", ".jfif"}, .trusted = true, .loader = "jpeg",
	    .flat = true},
	{.name = "PNG", .suffixes = {".png"}, .trusted = true,
	    .loader = "png"},
	{.name = "WebP", .suffixes = {".webp"}, .trusted = true,
	    .loader = "webp"},
	{.name = "GIF", .suffixes = {".gif"}, .trusted = true,
	    .loader = "gif"},
	{.name = "TIFF", .suffixes = {".tif", ".tiff"}, .trusted = true,
	    .loader = "tiff"},
	{.name = "HEIF", .suffixes = {".heic", ".heif"}, .trusted = true,
	    .loader = "heif"},
	/* libvips' HEIF saver writes AV1 when asked, but its class lists
	   only .heic and .heif. Its loader is HEIF's: the brand tells. */
	{.name = "AVIF", .suffixes = {".avif"}, .trusted = true,
	    .saver = ".heif", .save_options = "compression=av1"},
	{.name = "JPEG XL", .suffixes = {".jxl"}, .loader = "jxl"},
	{.name = "SVG", .suffixes = {".svg", ".svgz"}},
	{.name = "PDF", .suffixes = {".pdf"}},
	{.name = "JPEG 2000", .suffixes = {".jp2", ".j2k"}, .loader = "jp2k"},
	{.suffixes = {".ppm", ".pgm", ".pbm", ".pfm"}},
	{.suffixes = {".exr"}},
	{.suffixes = {".fits"}},
};

static bool
in_names(const char *const *names, size_t n, const char *suffix)
{
	for (size_t i = 0; i < n && names[i] != NULL; i++)
		if (g_ascii_strcasecmp(names[i], suffix) == 0)
			return true;
	return false;
}

const struct format *
format_of_suffix(const char *suffix)
{
	for (size_t i = 0; suffix != NULL && i < G_N_ELEMENTS(formats); i++) {
		const struct format *f = &formats[i];

		if (in_names(f->suffixes, G_N_ELEMENTS(f->suffixes), suffix) ||
		    in_names(f->also, G_N_ELEMENTS(f->also), suffix))
			return f;
	}
	return NULL;
}

const char *
format_suffix(const char *path)
{
	const char *base = strrchr(path, '/');
	const char *dot;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	return dot && dot != base ? dot : path + strlen(path);
}

bool
format_is_image(const char *name, bool allow_untrusted)
{
	const char *dot = strrchr(name, '.');
	const struct format *f;

	if (dot == NULL || dot == name || strchr(dot, '/') != NULL)
		return false;
	f = format_of_suffix(dot);
	/* The also-written suffixes are not scanned. */
	return f != NULL && in_names(f->suffixes, G_N_ELEMENTS(f->suffixes),
	    dot) && (f->trusted || allow_untrusted);
}

const char *
format_scanned_suffix(int i)
{
	for (size_t k = 0; i >= 0 && k < G_N_ELEMENTS(formats); k++)
		for (size_t s = 0; s < G_N_ELEMENTS(formats[k].suffixes) &&
		    formats[k].suffixes[s] != NULL; s++)
			if (i-- == 0)
				return formats[k].suffixes[s] + 1;
	return NULL;
}

const char *
format_stream_suffix(const char *loader, const void *data, size_t len)
{
	char *lower = loader != NULL ? g_ascii_strdown(loader, -1) : NULL;
	const char *suffix = NULL;

	for (size_t i = 0; lower != NULL && i < G_N_ELEMENTS(formats); i++)
		if (formats[i].loader != NULL &&
		    strstr(lower, formats[i].loader) != NULL) {
			suffix = formats[i].suffixes[0];
			break;
		}
	g_free(lower);
	/* HEIF holds HEIC and AVIF: the brand says which. */
	if (suffix != NULL && strcmp(suffix, ".heic") == 0 && len >= 12 &&
	    memcmp((const char *)data + 8, "avif", 4) == 0)
		suffix = ".avif";
	return suffix;
}

const char *
format_saver_suffix(const char *suffix)
{
	const struct format *f = format_of_suffix(suffix);

	return f != NULL && f->saver != NULL ? f->saver : suffix;
}
