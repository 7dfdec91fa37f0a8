/*
 * deliver: a thumbnail's bytes, made in memory, to where they go: a file
 * with its record (record.h), through a temporary file and moved into
 * place only as output.h's rule allows; the thumbnail cache's file with
 * its keys (freedesktop.h); or a stream. No libvips here.
 */
#ifndef PTHUMB_DELIVER_H
#define PTHUMB_DELIVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <glib.h> /* GString */

#include "options.h" /* struct thumb_opts */
#include "output.h"  /* struct target */
#include "result.h"

/* A worker's deliveries: the output folder it last wrote into is kept
   for the next file. */
struct delivery *delivery_new(const struct thumb_opts *o);
void delivery_free(struct delivery *dv);

/*
 * data (len bytes) as the thumbnail file tg of the source st, whose record
 * names `source`. What a user should know of it that is no failure (no
 * record kept) is added to notes. 0, or -1 with the cause in r->error.
 */
int deliver_file(struct delivery *dv, const struct stat *st,
    uint64_t source, const struct target *tg, const void *data, size_t len,
    GString *notes, struct result *r);

/* A PNG as the cache's thumbnail tg of the file at path (its fstat st; its
   thumbnail's size in r): its keys spliced in, written 0600 atomically.
   0, or -1 with the cause in r->error. */
int deliver_cache(struct delivery *dv, const char *path,
    const struct stat *st, const struct target *tg, const void *data,
    size_t len, struct result *r);

/* Bytes to a stream. 0, or -1 with the cause in r->error. */
int deliver_stream(int fd, const void *data, size_t len, struct result *r);

/* The cache's record that the file at path (fstat st) cannot be
   thumbnailed: png (a placeholder) with the keys, under fail/pthumb/ of
   the cache that holds `out`. Best effort. */
void deliver_cache_failure(const char *path, const struct stat *st,
    const char *out, const void *png, size_t len);

#endif
