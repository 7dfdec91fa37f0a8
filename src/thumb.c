/*
 * thumb: one image's thumbnails under the damage policy (see thumb.h).
 */
#include "thumb.h"

#include <errno.h>  /* errno, ENOENT */
#include <fcntl.h>  /* open, O_* */
#include <stdio.h>  /* snprintf */
#include <string.h> /* strerror, memset */
#include <unistd.h> /* close */

#include <vips/vips.h>

#include "cause.h"   /* cause_shape */
#include "deliver.h"
#include "fault.h"
#include "format.h"  /* format_suffix */
#include "xio.h"     /* now_ns */

/* --mode threads: held around a thread's libvips work (pipeline.h). */
static GMutex shared_lock;

struct thumb {
	const struct thumb_opts *o;
	enum thumb_home home;
	GMutex *lock;       /* &shared_lock in a shared process, or NULL */
	GString *log;       /* what libvips logged for this image: the
			       vipslog's text, or an empty one of ours */
	GString *own_log;   /* that empty one, shared, or NULL */
	GString *notes;     /* pthumb's own remarks on it */
	struct pipeline *pipeline;
	struct delivery *delivery;
};

/* How one try at an image ended: written, failed on the image, refused
   before decoding, or failed reading or writing the file. */
enum try_end { TRY_WRITTEN, TRY_BAD_IMAGE, TRY_REFUSED, TRY_IO };

/* libvips' level for each policy that is a single try. */
static const VipsFailOn fail_on_level[] = {
	/* First of two tries: any complaint of the decoder means damage
	   (metadata quirks are logged, not decoder failures). */
	[DAMAGE_WARN] = VIPS_FAIL_ON_WARNING,
	[DAMAGE_FAIL_NONE] = VIPS_FAIL_ON_NONE,
	[DAMAGE_FAIL_TRUNCATED] = VIPS_FAIL_ON_TRUNCATED,
	[DAMAGE_FAIL_ERROR] = VIPS_FAIL_ON_ERROR,
	[DAMAGE_FAIL_WARNING] = VIPS_FAIL_ON_WARNING,
};

struct thumb *
thumb_new(const struct thumb_opts *o, enum thumb_home home,
    struct vipslog *log)
{
	struct thumb *t = g_new0(struct thumb, 1);

	t->o = o;
	t->home = home;
	t->lock = home == THUMB_SHARED_PROCESS ? &shared_lock : NULL;
	if (log != NULL)
		t->log = log->text;
	else
		t->log = t->own_log = g_string_new(NULL);
	t->notes = g_string_new(NULL);
	t->pipeline = pipeline_new(o, t->lock);
	t->delivery = delivery_new(o);
	return t;
}

void
thumb_free(struct thumb *t)
{
	if (t == NULL)
		return;
	if (t->own_log != NULL)
		g_string_free(t->own_log, TRUE);
	g_string_free(t->notes, TRUE);
	pipeline_free(t->pipeline);
	delivery_free(t->delivery);
	g_free(t);
}

/* What libvips and the decoder said, whole and on one line, for --json's
   detail: the words cause_shape() chose from. */
static void
set_detail(struct result *r, const char *text, const char *log)
{
	char *both = g_strjoin(*text && *log ? "; " : "", text, log, NULL);

	g_strdelimit(both, "\n\r", ' ');
	snprintf(r->detail, sizeof(r->detail), "%s", g_strstrip(both));
	g_free(both);
}

/*
 * libvips' error buffer, then cleared, as one line in words a user knows
 * (cause_shape) into r->error, and whole into r->detail. What the decoder
 * logged may be all there is to it: "libpng read error" in the buffer,
 * "not enough data" in the log.
 */
static void
take_vips_error(struct result *r, const char *log,
    const struct thumb_src *src)
{
	/* Copied and cleared at once: other threads may be adding to it. */
	char *text = g_strstrip(vips_error_buffer_copy());
	char *both = g_strconcat(text, "\n", log, NULL);

	set_detail(r, text, log);
	cause_shape(both, src->path, src->path != NULL ?
	    format_suffix(src->path) : NULL, r->error, sizeof(r->error));
	g_free(both);
	g_free(text);
}

/* Where one image's thumbnails go: files, the thumbnail cache, or a
   stream. */
struct dest {
	const struct targets *to; /* files or the cache; NULL: a stream */
	uint64_t source;    /* files: their records' source */
	const char *suffix; /* a stream: its format */
	int fd;             /* a stream: where */
};

/* A pipeline's return as a try's end (libvips' error taken into r). */
static enum try_end
made(struct thumb *t, const struct thumb_src *src, int rc, struct result *r)
{
	if (rc == PIPELINE_REFUSED)
		return TRY_REFUSED;
	if (rc != 0) {
		take_vips_error(r, t->log->str, src);
		return TRY_BAD_IMAGE;
	}
	return TRY_WRITTEN;
}

/* The bytes in blob to where d says; the time it takes in r. */
static enum try_end
deliver(struct thumb *t, const struct thumb_src *src, const struct dest *d,
    const struct target *tg, VipsBlob *blob, struct result *r)
{
	long long start = now_ns();
	size_t len;
	const void *data = vips_blob_get(blob, &len);
	int rc;

	if (d->to == NULL)
		rc = deliver_stream(d->fd, data, len, r);
	else if (d->to->kind == OUTPUT_CACHE)
		rc = deliver_cache(t->delivery, src->path, &src->st, tg, data,
		    len, r);
	else
		rc = deliver_file(t->delivery, &src->st, d->source, tg, data,
		    len, t->notes, r);
	r->usec_write += (now_ns() - start) / 1000;
	return rc == 0 ? TRY_WRITTEN : TRY_IO;
}

/*
 * One try at one thumbnail: of the source, or (img not NULL) of an image
 * already loaded, into tg's box (the options' box for a stream, tg NULL),
 * made in memory first (a record goes in its first bytes, and some savers
 * seek back, which a pipe cannot), then delivered.
 */
static enum try_end
try_one(struct thumb *t, const struct thumb_src *src,
    const struct pipeline_image *img, const struct target *tg,
    const struct dest *d, VipsFailOn fail_on, struct result *r)
{
	int bw = tg != NULL ? tg->width : t->o->width;
	int bh = tg != NULL ? tg->height : t->o->height;
	const char *suffix = d->to == NULL ? d->suffix :
	    d->to->kind == OUTPUT_CACHE ? ".png" : format_suffix(tg->path);
	VipsBlob *blob = NULL;
	enum try_end end;
	int rc;

	if (img != NULL)
		rc = pipeline_save(t->pipeline, img, bw, bh, suffix, &blob, r);
	else
		rc = pipeline_make(t->pipeline, src, fail_on, bw, bh, suffix,
		    &blob, r);
	end = made(t, src, rc, r);
	if (end == TRY_WRITTEN)
		end = deliver(t, src, d, tg, blob, r);
	if (blob != NULL)
		vips_area_unref(VIPS_AREA(blob));
	return end;
}

/*
 * -s 64,256,1024: one decode, a thumbnail per box. The source is opened
 * and shrunk for the largest box, decoded once into memory, and each box
 * made from that; each file is written through its own temporary file.
 */
static enum try_end
try_boxes(struct thumb *t, const struct thumb_src *src,
    const struct dest *d, VipsFailOn fail_on, struct result *r)
{
	const struct targets *to = d->to;
	VipsObject *ctx = VIPS_OBJECT(vips_image_new());
	struct thumb_box boxes[MAX_SIZES] = {{0}};
	struct pipeline_image img;
	enum try_end end;
	int rc;

	for (int i = 0; i < to->n; i++) {
		boxes[i].width = to->t[i].width;
		boxes[i].height = to->t[i].height;
	}
	rc = pipeline_load(t->pipeline, ctx, src, fail_on, boxes, to->n, &img,
	    r);
	if (rc == 0)
		rc = pipeline_decode(ctx, &img, r);
	end = made(t, src, rc, r);
	for (int i = 0; i < to->n && end == TRY_WRITTEN; i++)
		end = try_one(t, src, &img, &to->t[i], d, fail_on, r);
	g_object_unref(ctx);
	return end;
}

static enum try_end
try_all(struct thumb *t, const struct thumb_src *src, const struct dest *d,
    VipsFailOn fail_on, struct result *r)
{
	if (d->to == NULL)
		return try_one(t, src, NULL, NULL, d, fail_on, r);
	if (d->to->n > 1)
		return try_boxes(t, src, d, fail_on, r);
	return try_one(t, src, NULL, &d->to->t[0], d, fail_on, r);
}

/*
 * The cache's record of a file that cannot be thumbnailed: a 1x1
 * transparent PNG with the keys, under fail/pthumb/. Best effort: the
 * file's error is reported either way.
 */
static void
record_failure(const struct thumb_src *src, const char *out)
{
	void *png = NULL;
	size_t len = 0;

	if (src->fd >= 0 && pipeline_blank_png(&png, &len) == 0)
		deliver_cache_failure(src->path, &src->st, out, png, len);
	vips_error_clear();
	g_free(png);
}

/*
 * A file is opened once: what is decoded, every time, is what was opened,
 * and its fstat() is the identity the record keeps. Without waiting: a
 * FIFO put where a file was is no image. 0, or -1 with why it cannot be
 * read in why (src->fd is then -1).
 */
static int
open_once(struct thumb_src *src, char *why, size_t size)
{
	bool stated;

	src->fd = open(src->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (src->fd < 0) {
		if (errno == ENOENT)
			snprintf(why, size, "file does not exist (any more)");
		else
			snprintf(why, size, "cannot read: %s", strerror(errno));
		return -1;
	}
	stated = fstat(src->fd, &src->st) == 0;
	if (stated && S_ISREG(src->st.st_mode))
		return 0;
	if (stated)
		snprintf(why, size, "not a regular file");
	else
		snprintf(why, size, "cannot read: %s", strerror(errno));
	close(src->fd);
	src->fd = -1;
	return -1;
}

/*
 * By default an image that fails only a strict decode is damaged but
 * readable: decode it leniently, write it, and say so (the strict try's
 * cause is the warning; what the decoder said again on the way is left
 * out). Returns how the second try ended.
 */
static enum try_end
try_leniently(struct thumb *t, const struct thumb_src *src,
    const struct dest *d, struct result *r)
{
	struct result first = *r;
	enum try_end end;

	memset(r, 0, sizeof(*r));
	/* The time of the first try was spent too. */
	r->usec_open = first.usec_open;
	r->usec_pixels = first.usec_pixels;
	r->usec_write = first.usec_write;
	g_string_truncate(t->log, 0);
	end = try_all(t, src, d, VIPS_FAIL_ON_NONE, r);
	if (end == TRY_WRITTEN) {
		r->status = STATUS_WARNING;
		set_detail(r, first.detail, t->log->str);
		g_string_assign(t->log, first.error);
	}
	return end;
}

/* One image's thumbnails under the damage policy (see thumb.h). */
static void
make_thumbnails(struct thumb *t, const struct thumb_src *in,
    const struct dest *d, struct result *r)
{
	long long start = now_ns();
	char unread[RESULT_ERROR_MAX];
	struct thumb_src src_copy = *in, *src = &src_copy;
	enum try_end end;
	int opened = 0;

	src->fd = -1;
	if (src->path != NULL) {
		opened = open_once(src, unread, sizeof(unread));
		fault_after_open(src->path);
	}
	if (t->lock != NULL)
		g_mutex_lock(t->lock);
	memset(r, 0, sizeof(*r));
	g_string_truncate(t->log, 0);
	g_string_truncate(t->notes, 0);
	/* A successful decode can leave text in libvips' error buffer; it
	   must not be taken for the next image's error. Another thread's
	   error may be in it too: then leave it for that thread. */
	if (t->home == THUMB_OWN_PROCESS)
		vips_error_clear();
	if (opened != 0) {
		/* Nothing to decode: no lenient second try either. */
		snprintf(r->error, sizeof(r->error), "%s", unread);
		end = TRY_IO;
	} else {
		end = try_all(t, src, d, fail_on_level[t->o->damage], r);
	}
	if (end == TRY_BAD_IMAGE && t->o->damage == DAMAGE_WARN)
		end = try_leniently(t, src, d, r);
	if (end != TRY_WRITTEN) {
		r->status = STATUS_ERROR;
		r->out_width = r->out_height = 0;
	}
	if ((end == TRY_BAD_IMAGE || end == TRY_REFUSED) && d->to != NULL &&
	    d->to->kind == OUTPUT_CACHE)
		record_failure(src, d->to->t[0].path);
	snprintf(r->warnings, sizeof(r->warnings), "%s%s%s", t->log->str,
	    t->log->len && t->notes->len ? "; " : "", t->notes->str);
	if (t->lock != NULL)
		g_mutex_unlock(t->lock);
	if (src->fd >= 0)
		close(src->fd);
	r->usec = (now_ns() - start) / 1000;
}

void
thumb_run(struct thumb *t, const char *in, const struct targets *out,
    uint64_t source, struct result *r)
{
	const struct thumb_src src = {.path = in};
	const struct dest d = {.to = out, .source = source};

	make_thumbnails(t, &src, &d, r);
}

void
thumb_stream(struct thumb *t, const struct thumb_src *src,
    const char *suffix, int fd, struct result *r)
{
	const struct dest d = {.suffix = suffix, .fd = fd};

	make_thumbnails(t, src, &d, r);
}
