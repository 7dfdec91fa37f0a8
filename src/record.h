/*
 * record: what pthumb writes into every thumbnail it makes, so that a later
 * run can tell that the file is pthumb's, which source it was made from
 * and with which options, and whether it is whole.
 *
 * The record is one line of text:
 *
 *   pthumb-record/1 source=<16 hex> size=<bytes> mtime=<s>.<9 digits>
 *       options=<16 hex> length=<12 digits> sum=<16 hex>
 *
 * source is hash64() of the source's path relative to its PATH argument
 * (never an absolute path: thumbnails get published); size and mtime are
 * the source's, from fstat() of the descriptor that was decoded; options
 * is record_options(); length is the thumbnail file's length in bytes,
 * record included, and sum is hash64() of its bytes outside the record.
 * Nothing in it depends on the time, the host or the process: the same
 * source and options give the same thumbnail bytes everywhere.
 *
 * Where it lives: inside the file, within its first bytes, where the
 * format keeps comments, so it moves and is replaced with the file (one
 * rename), needs no shared file between shards on several machines, and
 * is read by one pread() without decoding anything:
 *   JPEG  a COM segment after SOI (and after the JFIF APP0, if any);
 *   PNG   a tEXt chunk "pthumb" after IHDR;
 *   WebP  a chunk "PTHM" after VP8X (a simple file gets its VP8X);
 *   GIF   a comment extension after the global colour table (GIF89a).
 * Other formats (TIFF, HEIF, ...) carry it as the extended attribute
 * user.pthumb; where the file system keeps none, the thumbnail has no
 * record.
 *
 * Knows no libvips: the parent reads records.
 */
#ifndef PTHUMB_RECORD_H
#define PTHUMB_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <glib.h> /* GByteArray */

#include "options.h" /* struct thumb_opts */

struct record {
	uint64_t source;    /* hash64() of the source's relative path */
	long long size;     /* the source's size ... */
	long long mtime_s;  /* ... and modification time */
	long mtime_ns;
	uint64_t options;   /* record_options() */
	long long length;   /* the thumbnail file's length */
	uint64_t sum;       /* hash64() of its bytes outside the record */
};

/* The extended attribute of formats without a place inside the file. */
#define RECORD_XATTR "user.pthumb"

/*
 * The version of the pipeline's output (pipeline.c): part of every
 * thumbnail's record, so that a thumbnail made by an older pipeline is
 * redone. Bump it in the same commit as any change to the bytes a
 * thumbnail gets.
 */
#define RECORD_PIPELINE_VERSION 1

/* The record's source fields from the source's fstat(). */
void record_set_source(struct record *rec, uint64_t source,
    const struct stat *st);

/*
 * The digest of everything that shapes a thumbnail's bytes for one box:
 * the box, blur, --exact, crop, the output's suffix, quality, background,
 * profile and metadata flags, the damage policy, and
 * RECORD_PIPELINE_VERSION.
 */
uint64_t record_options(const struct thumb_opts *o, int box_w, int box_h,
    const char *suffix);

/*
 * The thumbnail in buf (len bytes, as the saver wrote it) with rec
 * inside, where its format keeps comments; rec->length and rec->sum are
 * filled in. A new array, or NULL when the format has no place known here
 * (then record_set_xattr).
 */
GByteArray *record_embed(const void *buf, size_t len, struct record *rec);

/*
 * Fill rec->length and rec->sum for the file open at fd, which holds
 * exactly data (len bytes), and set it as fd's RECORD_XATTR. 0, or -1
 * with errno (ENOTSUP: the file system keeps no extended attributes).
 */
int record_set_xattr(int fd, struct record *rec, const void *data,
    size_t len);

enum record_found {
	RECORD_NONE,  /* no record: not a thumbnail pthumb made */
	RECORD_FOUND,
	RECORD_IOERR, /* it could not be read (errno) */
};

/*
 * The record of the regular file open at fd whose fstat() is st: from
 * its first bytes or its attribute. Checks nothing but its syntax.
 */
enum record_found record_read(int fd, const struct stat *st,
    struct record *rec);

/*
 * Read the whole file at fd and check its length and sum against its
 * record. 1 whole, 0 damaged or without a record, -1 with errno.
 */
int record_verify(int fd);

/* Exposed for the tests: the record's text in buf (at least
   RECORD_TEXT_MAX bytes), and back. */
#define RECORD_TEXT_MAX 192
size_t record_format(const struct record *rec, char *buf);
bool record_parse(const char *text, size_t len, struct record *rec);

#endif
