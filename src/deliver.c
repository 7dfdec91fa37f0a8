/*
 * deliver: a thumbnail's bytes to a file, the cache or a stream (see
 * deliver.h).
 */
#include "deliver.h"

#include <errno.h>  /* errno, ELOOP, ENOENT, ENOTSUP */
#include <stdio.h>  /* snprintf */
#include <string.h> /* strerror */
#include <unistd.h> /* close, fsync, unlinkat, getpid */

#include "fault.h"
#include "format.h"      /* format_suffix */
#include "freedesktop.h"
#include "record.h"      /* record_embed, record_set_xattr */
#include "xio.h"         /* write_full */

struct delivery {
	const struct thumb_opts *o;
	struct output_dir out; /* the last output folder written into */
};

struct delivery *
delivery_new(const struct thumb_opts *o)
{
	struct delivery *dv = g_new0(struct delivery, 1);

	dv->o = o;
	dv->out.fd = -1;
	return dv;
}

void
delivery_free(struct delivery *dv)
{
	if (dv == NULL)
		return;
	output_dir_close(&dv->out);
	g_free(dv);
}

/*
 * The folder of out, opened from the output folder without following a
 * link and kept for the next thumbnail (output_dir_of); again forces a
 * fresh open. -1 with the cause in r->error.
 */
static int
out_dir(struct delivery *dv, const char *out, bool again, struct result *r)
{
	char *where = NULL;
	int fd = output_dir_of(&dv->out, dv->o->outdir, out, true, again,
	    NULL, &where);

	if (fd >= 0)
		return fd;
	if (where != NULL)
		snprintf(r->error, sizeof(r->error), "%s %s", where,
		    errno == ELOOP ? "is a symbolic link; nothing is written "
		    "through it" : "is not a folder");
	else
		snprintf(r->error, sizeof(r->error), "cannot write %s: %s",
		    out, strerror(errno));
	g_free(where);
	return -1;
}

/* The temporary file tmp in the folder of out (opened again if it was
   removed meanwhile): a descriptor and *dirfd, or -1 with r->error. */
static int
create_tmp(struct delivery *dv, const char *out, const char *tmp,
    int *dirfd, struct result *r)
{
	int fd;

	/* No symbolic link below the output folder is followed. */
	if ((*dirfd = out_dir(dv, out, false, r)) < 0)
		return -1;
	fd = output_create_tmp_at(*dirfd, tmp);
	if (fd < 0 && errno == ENOENT) {
		if ((*dirfd = out_dir(dv, out, true, r)) < 0)
			return -1;
		fd = output_create_tmp_at(*dirfd, tmp);
	}
	/* The temporary file's name means nothing to a user: name out. */
	if (fd < 0)
		snprintf(r->error, sizeof(r->error), "cannot write %s: %s",
		    out, strerror(errno));
	return fd;
}

/* The bytes, then the record as an attribute where the format has no
   place for it, flushed when asked. 0, or -1 with errno. */
static int
write_thumbnail(struct delivery *dv, int fd, const GByteArray *b,
    struct record *rec, const void *data, size_t len,
    const char *out, GString *notes)
{
	if (write_full(fd, b ? b->data : data, b ? b->len : len) != 0)
		return -1;
	fault_while_writing();
	if (b == NULL && record_set_xattr(fd, rec, data, len) != 0) {
		if (errno != ENOTSUP)
			return -1;
		g_string_append_printf(notes, "%s%s has no record (the file "
		    "system keeps no extended attributes): a later run will "
		    "not replace it", notes->len ? "; " : "", out);
	}
	return dv->o->fsync ? fsync(fd) : 0;
}

int
deliver_file(struct delivery *dv, const struct stat *st, uint64_t source,
    const struct target *tg, const void *data, size_t len, GString *notes,
    struct result *r)
{
	const char *out = tg->path;
	char *tmp = output_tmp_name(out, getpid());
	char *base = g_path_get_basename(out);
	struct record rec = {0};
	GByteArray *b = NULL;
	int dirfd = -1, rc = -1, err;
	int fd = create_tmp(dv, out, tmp, &dirfd, r);

	if (fd < 0)
		goto out;
	record_set_source(&rec, source, st);
	rec.options = record_options(dv->o, tg->width, tg->height,
	    format_suffix(out));
	b = record_embed(data, len, &rec);
	rc = write_thumbnail(dv, fd, b, &rec, data, len, out, notes);
	err = errno;
	if (close(fd) != 0 && rc == 0) {
		rc = -1;
		err = errno;
	}
	if (rc == 0)
		rc = output_commit_at(dirfd, tmp, base, out, st, source,
		    dv->o->replace_unrecorded, r->error, sizeof(r->error));
	else
		snprintf(r->error, sizeof(r->error), "cannot write %s: %s",
		    out, strerror(err));
	if (rc != 0) {
		unlinkat(dirfd, tmp, 0);
		goto out;
	}
	/* The rename reaches the disk with the folder. */
	if (dv->o->fsync && fsync(dirfd) != 0) {
		snprintf(r->error, sizeof(r->error), "cannot write %s: %s",
		    out, strerror(errno));
		rc = -1;
	}
out:
	if (b != NULL)
		g_byte_array_unref(b);
	g_free(base);
	g_free(tmp);
	return rc;
}

int
deliver_cache(struct delivery *dv, const char *path, const struct stat *st,
    const struct target *tg, const void *data, size_t len,
    struct result *r)
{
	char *uri = freedesktop_uri(path);
	char size[32], width[16], height[16];
	GByteArray *png = NULL;
	int rc = -1;

	/* The keys describe the source as it was decoded: its name, and
	   the fstat() of the descriptor read. */
	if (uri == NULL) {
		snprintf(r->error, sizeof(r->error), "no file URI for its name");
		goto out;
	}
	snprintf(size, sizeof(size), "%lld", (long long)st->st_size);
	snprintf(width, sizeof(width), "%d", r->width);
	snprintf(height, sizeof(height), "%d", r->height);
	png = freedesktop_add_text(data, len, uri, (long long)st->st_mtime,
	    "Thumb::Size", size, "Thumb::Image::Width", width,
	    "Thumb::Image::Height", height, "Software", "pthumb", NULL);
	if (png == NULL) {
		snprintf(r->error, sizeof(r->error), "libvips' PNG for %s has "
		    "no IHDR to follow", tg->path);
		goto out;
	}
	rc = output_write_file(tg->path, png->data, png->len, 0600,
	    dv->o->fsync);
	if (rc != 0)
		snprintf(r->error, sizeof(r->error), "cannot write %s: %s",
		    tg->path, strerror(errno));
out:
	if (png != NULL)
		g_byte_array_unref(png);
	g_free(uri);
	return rc;
}

int
deliver_stream(int fd, const void *data, size_t len, struct result *r)
{
	if (write_full(fd, data, len) == 0)
		return 0;
	snprintf(r->error, sizeof(r->error), "cannot write to standard "
	    "output: %s", strerror(errno));
	return -1;
}

void
deliver_cache_failure(const char *path, const struct stat *st,
    const char *out, const void *png, size_t len)
{
	char *fail = freedesktop_fail_path(out);
	char *uri = freedesktop_uri(path);
	GByteArray *keyed = NULL;

	if (uri != NULL && (keyed = freedesktop_add_text(png, len, uri,
	    (long long)st->st_mtime, NULL)) != NULL &&
	    output_make_folder(fail, 0700) == 0)
		(void)output_write_file(fail, keyed->data, keyed->len, 0600,
		    false);
	if (keyed != NULL)
		g_byte_array_unref(keyed);
	g_free(uri);
	g_free(fail);
}
