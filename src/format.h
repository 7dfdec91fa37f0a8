/*
 * format: what pthumb knows of each image format, in one table: the
 * suffixes it is found by, whether its libvips loader is trusted with
 * untrusted input, its name in messages, how libvips' loader and saver
 * classes name it, and whether it holds alpha.
 *
 * Whether this libvips can write a format is asked of libvips at run
 * time (pipeline_can_save(): savers come in modules that may be absent);
 * this table says only how to ask. Nothing here needs libvips.
 */
#ifndef PTHUMB_FORMAT_H
#define PTHUMB_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

struct format {
	const char *name;         /* "JPEG", as messages say it */
	const char *suffixes[5];  /* found by these (scan.h); the first is
				     the one it is written with */
	const char *also[3];      /* written with these too, never scanned */
	bool trusted;             /* scanned without --allow-untrusted */
	const char *loader;       /* part of its loader classes' names
				     (VipsForeignLoadJpegBuffer), or NULL:
				     a stream in it becomes a PNG */
	const char *saver;        /* the suffix libvips' saver is found by,
				     when not its own (AVIF: the HEIF
				     saver), or NULL */
	const char *save_options; /* added to the saver's, or NULL */
	bool flat;                /* no alpha: flatten before saving */
};

/* The format of a suffix (".JPG": any case, with the dot), or NULL. */
const struct format *format_of_suffix(const char *suffix);

/* The suffix of a path's base name including the dot, or "" if none. */
const char *format_suffix(const char *path);

/* Is name an image pthumb takes, by its suffix? Untrusted formats only
   with allow_untrusted. */
bool format_is_image(const char *name, bool allow_untrusted);

/* The i-th suffix pthumb scans for, without the dot (trusted ones first),
   or NULL past the last. */
const char *format_scanned_suffix(int i);

/*
 * The suffix a stream should be written with, from the name of the loader
 * libvips found for its bytes (NULL if none) and the bytes themselves:
 * NULL for a format with no suffix of its own here.
 */
const char *format_stream_suffix(const char *loader, const void *data,
    size_t len);

/* The suffix to find the saver of `suffix` by in libvips ("x.avif":
   ".heif"). */
const char *format_saver_suffix(const char *suffix);

#endif
