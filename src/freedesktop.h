/*
 * freedesktop: the thumbnail cache file managers read (the freedesktop.org
 * Thumbnail Managing Standard), for --freedesktop.
 *
 * A file's thumbnail is $XDG_CACHE_HOME/thumbnails/<size>/<md5 of its
 * URI>.png: a PNG no larger than the size's box (normal 128, large 256,
 * x-large 512, xx-large 1024) carrying the uncompressed tEXt chunks
 * Thumb::URI and Thumb::MTime, which a reader checks before trusting it.
 * Folders are 0700 and files 0600. A file that cannot be thumbnailed gets
 * a placeholder with the same keys under fail/pthumb/, so it is not tried
 * again until it changes.
 *
 * libvips' PNG saver writes text as compressed zTXt and drops it with
 * strip, so the chunks are spliced in here, after IHDR, each with its
 * CRC-32.
 */
#ifndef PTHUMB_FREEDESKTOP_H
#define PTHUMB_FREEDESKTOP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <glib.h> /* GByteArray */

/* The file:// URI of path (made absolute, not following links). New. */
char *freedesktop_uri(const char *path);

/* <root>/<size>/<md5 of the URI>.png for path. New string. */
char *freedesktop_path(const char *root, const char *size, const char *path);

/* Where a failure for the thumbnail at `thumb` is recorded:
   <root>/fail/pthumb/<same name>. New string. */
char *freedesktop_fail_path(const char *thumb);

/*
 * The PNG in png (len bytes) with tEXt chunks Thumb::URI, Thumb::MTime and
 * the others given (key, value, ..., NULL) spliced in after IHDR. NULL if
 * png is not a PNG.
 */
GByteArray *freedesktop_add_text(const void *png, size_t len,
    const char *uri, long long mtime, ...) G_GNUC_NULL_TERMINATED;

/*
 * The Thumb::MTime of the PNG file at path, read from its chunks before the
 * image data; -1 when absent or unreadable.
 */
long long freedesktop_read_mtime(const char *path);

#endif
