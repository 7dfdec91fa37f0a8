/*
 * cause: why an image failed, in words its user knows.
 *
 * libvips' error buffer and the messages its decoders log arrive as
 * fragments, each behind an internal prefix, often repeated, sometimes
 * naming the file again, with libvips' own follow-on complaints mixed in:
 *
 *   VipsJpeg: Premature end of input file; read gave 2 warnings;
 *   VipsJpeg: Premature end of JPEG file
 *
 * cause_shape() makes one line of them, the first meaningful fragment with
 * its decoder named:
 *
 *   damaged JPEG: Premature end of input file
 *
 * It knows no libvips: it works on the text alone, and is tested so.
 */
#ifndef PTHUMB_CAUSE_H
#define PTHUMB_CAUSE_H

#include <stddef.h>

/* The longest cause, in bytes; a longer one is cut at a word, with "...". */
#define CAUSE_MAX 200

/*
 * The cause in text (fragments separated by newlines or "; "), as one
 * line, into out (at most size bytes, and at most CAUSE_MAX + 1).
 * path, if not NULL, is the file's path: fragments that start with it
 * lose it (the report names the file once). suffix (".png", or NULL)
 * names the format where no fragment's prefix does.
 */
void cause_shape(const char *text, const char *path, const char *suffix,
    char *out, size_t size);

#endif
