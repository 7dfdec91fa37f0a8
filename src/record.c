/*
 * record: the line pthumb writes into its thumbnails, where each format
 * keeps it, and how it is read back without decoding (see record.h).
 *
 * The writer puts the record at one fixed place per format and the reader
 * looks only there: a file whose record is elsewhere (moved by another
 * tool) has none, and is not pthumb's to replace.
 */
#include "record.h"

#include <errno.h>     /* errno, ENOTSUP */
#include <inttypes.h>  /* PRIx64, SCNx64 */
#include <stdio.h>     /* snprintf, sscanf */
#include <string.h>    /* memcmp, memcpy */
#include <sys/xattr.h> /* fgetxattr, fsetxattr */
#include <unistd.h>    /* pread */

#include "hash.h"  /* hash64, crc32_png */

#define MAGIC "pthumb-record/1 "

/* The first bytes a reader looks at: a GIF's colour table is the largest
   thing before a record (768 bytes). */
#define HEAD_BYTES 2048

/* Records larger than this are not ours: no thumbnail is read whole. */
#define VERIFY_MAX (1LL << 30)

enum kind { KIND_NONE, KIND_JPEG, KIND_PNG, KIND_WEBP, KIND_GIF };

/* Where the record goes (or is) in a file that starts with these bytes. */
struct place {
	enum kind kind;
	size_t off;      /* where the record's segment starts */
	size_t vp8x;     /* WebP: bytes of VP8X to add before it (0 or 18) */
	int width, height, alpha; /* WebP: for that VP8X */
};

static const unsigned char png_signature[8] = {
	0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
};

static unsigned
be16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static void
put_le(unsigned char *p, uint32_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void
put_be32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * (3 - i)));
}

/* After SOI, and after the JFIF APP0 that readers expect first. */
static bool
jpeg_place(const unsigned char *b, size_t n, struct place *pl)
{
	if (n < 4 || b[0] != 0xff || b[1] != 0xd8 || b[2] != 0xff)
		return false;
	pl->off = 2;
	if (b[3] == 0xe0 && n >= 6)
		pl->off = 4 + be16(b + 4);
	return pl->off <= n;
}

static bool
png_place(const unsigned char *b, size_t n, struct place *pl)
{
	/* Signature, then IHDR: length, type, 13 bytes of data, CRC. */
	pl->off = 8 + 4 + 4 + 13 + 4;
	return n >= pl->off && memcmp(b, png_signature, 8) == 0 &&
	    memcmp(b + 12, "IHDR", 4) == 0;
}

static bool
gif_place(const unsigned char *b, size_t n, struct place *pl)
{
	size_t table;

	/* Comments are GIF89a's; the header and screen descriptor are 13
	   bytes, then the global colour table if its flag is set. */
	if (n < 13 || memcmp(b, "GIF89a", 6) != 0)
		return false;
	table = b[10] & 0x80 ? (size_t)3 << ((b[10] & 7) + 1) : 0;
	pl->off = 13 + table;
	return pl->off <= n;
}

/*
 * After VP8X. A simple file (one VP8 or VP8L chunk) has none: it gets one,
 * with the canvas size and alpha flag read from the bitstream's header.
 */
static bool
webp_place(const unsigned char *b, size_t n, struct place *pl)
{
	const unsigned char *c = b + 12, *d = b + 20;

	if (n < 30 || memcmp(b, "RIFF", 4) != 0 || memcmp(b + 8, "WEBP", 4))
		return false;
	if (memcmp(c, "VP8X", 4) == 0) {
		pl->off = 30;
		return le32(c + 4) == 10;
	}
	pl->off = 12;
	pl->vp8x = 18;
	if (memcmp(c, "VP8 ", 4) == 0 && d[3] == 0x9d && d[4] == 0x01 &&
	    d[5] == 0x2a) {
		pl->width = (int)((d[6] | d[7] << 8) & 0x3fff);
		pl->height = (int)((d[8] | d[9] << 8) & 0x3fff);
		pl->alpha = 0;
		return pl->width > 0 && pl->height > 0;
	}
	if (memcmp(c, "VP8L", 4) == 0 && d[0] == 0x2f) {
		uint32_t bits = le32(d + 1);

		pl->width = (int)(bits & 0x3fff) + 1;
		pl->height = (int)(bits >> 14 & 0x3fff) + 1;
		pl->alpha = (int)(bits >> 28 & 1);
		return true;
	}
	return false;
}

static bool
find_place(const unsigned char *b, size_t n, struct place *pl)
{
	memset(pl, 0, sizeof(*pl));
	if (jpeg_place(b, n, pl))
		pl->kind = KIND_JPEG;
	else if (png_place(b, n, pl))
		pl->kind = KIND_PNG;
	else if (gif_place(b, n, pl))
		pl->kind = KIND_GIF;
	else if (webp_place(b, n, pl))
		pl->kind = KIND_WEBP;
	return pl->kind != KIND_NONE;
}

/* The record's segment in the format's framing, appended to out. */
static void
put_segment(enum kind kind, const char *text, size_t tlen, GByteArray *out)
{
	unsigned char h[16];
	guint start = out->len;

	switch (kind) {
	case KIND_JPEG: /* COM: marker, length (itself included), text */
		h[0] = 0xff;
		h[1] = 0xfe;
		h[2] = (unsigned char)((tlen + 2) >> 8);
		h[3] = (unsigned char)(tlen + 2);
		g_byte_array_append(out, h, 4);
		g_byte_array_append(out, (const guint8 *)text, (guint)tlen);
		break;
	case KIND_PNG: /* tEXt: keyword, NUL, text; CRC of type and data */
		put_be32(h, (uint32_t)(7 + tlen));
		memcpy(h + 4, "tEXtpthumb", 11);
		g_byte_array_append(out, h, 15);
		g_byte_array_append(out, (const guint8 *)text, (guint)tlen);
		put_be32(h, (uint32_t)crc32_png(out->data + start + 4,
		    out->len - start - 4));
		g_byte_array_append(out, h, 4);
		break;
	case KIND_WEBP: /* a RIFF chunk, padded to an even size */
		memcpy(h, "PTHM", 4);
		put_le(h + 4, (uint32_t)tlen, 4);
		g_byte_array_append(out, h, 8);
		g_byte_array_append(out, (const guint8 *)text, (guint)tlen);
		if (tlen % 2 != 0)
			g_byte_array_append(out, (const guint8 *)"", 1);
		break;
	case KIND_GIF: /* comment extension: one sub-block, terminator */
		h[0] = 0x21;
		h[1] = 0xfe;
		h[2] = (unsigned char)tlen;
		g_byte_array_append(out, h, 3);
		g_byte_array_append(out, (const guint8 *)text, (guint)tlen);
		g_byte_array_append(out, (const guint8 *)"", 1);
		break;
	case KIND_NONE:
		break;
	}
}

/* The text inside a segment at b[0..n) of this kind, or NULL. */
static const char *
segment_text(enum kind kind, const unsigned char *b, size_t n, size_t *tlen,
    size_t *seglen)
{
	size_t t = 0, head = 0, tail = 0;

	switch (kind) {
	case KIND_JPEG:
		if (n < 4 || b[0] != 0xff || b[1] != 0xfe || be16(b + 2) < 2)
			return NULL;
		head = 4;
		t = be16(b + 2) - 2;
		break;
	case KIND_PNG:
		if (n < 15 || memcmp(b + 4, "tEXtpthumb", 11) != 0 ||
		    (t = (size_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]) < 7)
			return NULL;
		head = 15;
		t -= 7;
		tail = 4;
		break;
	case KIND_WEBP:
		if (n < 8 || memcmp(b, "PTHM", 4) != 0)
			return NULL;
		head = 8;
		t = le32(b + 4);
		tail = t % 2;
		break;
	case KIND_GIF:
		if (n < 3 || b[0] != 0x21 || b[1] != 0xfe)
			return NULL;
		head = 3;
		t = b[2];
		tail = 1;
		break;
	case KIND_NONE:
		return NULL;
	}
	if (t > RECORD_TEXT_MAX || head + t + tail > n)
		return NULL;
	*tlen = t;
	*seglen = head + t + tail;
	return (const char *)b + head;
}

size_t
record_format(const struct record *rec, char *buf)
{
	int n = snprintf(buf, RECORD_TEXT_MAX, MAGIC "source=%016" PRIx64
	    " size=%lld mtime=%lld.%09ld options=%016" PRIx64
	    " length=%012lld sum=%016" PRIx64, rec->source, rec->size,
	    rec->mtime_s, rec->mtime_ns, rec->options, rec->length, rec->sum);

	return n > 0 && n < RECORD_TEXT_MAX ? (size_t)n : 0;
}

/*
 * The parser reads only the form record_format() writes, by hand: the
 * parent reads a record per thumbnail on every re-run, and sscanf() and
 * the reformatting that checked its leniency cost a tenth of that path.
 * p walks the text; each step fails (NULL) on anything else.
 */
static const char *
expect(const char *p, const char *end, const char *word)
{
	size_t n = strlen(word);

	return p != NULL && (size_t)(end - p) >= n && memcmp(p, word, n) == 0
	    ? p + n : NULL;
}

/* Exactly 16 lower-case hex digits (%016x). */
static const char *
hex16(const char *p, const char *end, uint64_t *v)
{
	*v = 0;
	if (p == NULL || end - p < 16)
		return NULL;
	for (int i = 0; i < 16; i++, p++) {
		int d = *p >= '0' && *p <= '9' ? *p - '0' :
		    *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;

		if (d < 0)
			return NULL;
		*v = *v << 4 | (uint64_t)d;
	}
	return p;
}

/* Decimal digits: exactly `width` of them, or (width 0) as %lld prints a
   number, no leading zero, at most 18 digits. */
static const char *
digits(const char *p, const char *end, int width, long long *v)
{
	int n = 0;

	*v = 0;
	if (p == NULL)
		return NULL;
	while (p < end && *p >= '0' && *p <= '9' && n < 18) {
		*v = *v * 10 + (*p++ - '0');
		n++;
	}
	if (width > 0 ? n != width : n == 0 || (n > 1 && p[-n] == '0') ||
	    (p < end && *p >= '0' && *p <= '9'))
		return NULL;
	return p;
}

bool
record_parse(const char *text, size_t len, struct record *rec)
{
	const char *p = text, *end = text + len;
	long long ns;
	bool minus;
	struct record r;

	p = hex16(expect(p, end, MAGIC "source="), end, &r.source);
	p = digits(expect(p, end, " size="), end, 0, &r.size);
	p = expect(p, end, " mtime=");
	/* A file may be dated before 1970. */
	minus = p != NULL && p < end && *p == '-';
	p = digits(minus ? p + 1 : p, end, 0, &r.mtime_s);
	if (minus && r.mtime_s == 0)
		return false;
	p = digits(expect(p, end, "."), end, 9, &ns);
	p = hex16(expect(p, end, " options="), end, &r.options);
	p = digits(expect(p, end, " length="), end, 12, &r.length);
	p = hex16(expect(p, end, " sum="), end, &r.sum);
	if (p != end)
		return false;
	r.mtime_s = minus ? -r.mtime_s : r.mtime_s;
	r.mtime_ns = (long)ns;
	*rec = r;
	return true;
}

void
record_set_source(struct record *rec, uint64_t source, const struct stat *st)
{
	rec->source = source;
	rec->size = (long long)st->st_size;
	rec->mtime_s = (long long)st->st_mtim.tv_sec;
	rec->mtime_ns = st->st_mtim.tv_nsec;
}

uint64_t
record_options(const struct thumb_opts *o, int box_w, int box_h,
    const char *suffix)
{
	char *lower = g_ascii_strdown(suffix, -1);
	/* %a: doubles exactly, whatever the locale. */
	char *text = g_strdup_printf("pipeline=%d box=%dx%d blur=%a exact=%d "
	    "crop=%d suffix=%s quality=%d background=%a,%a,%a profile=%d "
	    "metadata=%d damage=%d", RECORD_PIPELINE_VERSION, box_w, box_h,
	    o->blur, o->exact, (int)o->crop, lower, o->quality,
	    o->background[0], o->background[1], o->background[2],
	    o->keep_profile, o->keep_metadata, (int)o->damage);
	uint64_t h = hash64_str(text);

	g_free(text);
	g_free(lower);
	return h;
}

/* hash64() of b[0..n) without the segment at [off, off + seglen). */
static uint64_t
sum_outside(const unsigned char *b, size_t n, size_t off, size_t seglen)
{
	unsigned char *rest = g_malloc(n - seglen + 1);
	uint64_t h;

	memcpy(rest, b, off);
	memcpy(rest + off, b + off + seglen, n - off - seglen);
	h = hash64(rest, n - seglen);
	g_free(rest);
	return h;
}

GByteArray *
record_embed(const void *buf, size_t len, struct record *rec)
{
	const unsigned char *b = buf;
	char text[RECORD_TEXT_MAX];
	struct place pl;
	GByteArray *out, *seg;
	size_t tlen, at;

	if (!find_place(b, len, &pl))
		return NULL;
	/* Every field but the sum is known now, and the text's length does
	   not depend on the sum: frame it once to learn its size. */
	rec->sum = 0;
	rec->length = 0;
	seg = g_byte_array_new();
	put_segment(pl.kind, text, record_format(rec, text), seg);
	rec->length = (long long)(len + pl.vp8x + seg->len);
	g_byte_array_set_size(seg, 0);

	out = g_byte_array_sized_new((guint)rec->length);
	g_byte_array_append(out, b, (guint)pl.off);
	if (pl.vp8x > 0) {
		unsigned char x[18] = {'V', 'P', '8', 'X', 10, 0, 0, 0};

		x[8] = pl.alpha ? 0x10 : 0;
		put_le(x + 12, (uint32_t)pl.width - 1, 3);
		put_le(x + 15, (uint32_t)pl.height - 1, 3);
		g_byte_array_append(out, x, 18);
	}
	at = out->len;
	tlen = record_format(rec, text);
	put_segment(pl.kind, text, tlen, out);
	g_byte_array_append(out, b + pl.off, (guint)(len - pl.off));
	if (pl.kind == KIND_WEBP) /* RIFF's size: what follows it */
		put_le(out->data + 4, out->len - 8, 4);
	/* Now the sum of everything around the segment, and the segment
	   again with it: the same length. */
	rec->sum = sum_outside(out->data, out->len, at, out->len - at -
	    (len - pl.off));
	put_segment(pl.kind, text, record_format(rec, text), seg);
	memcpy(out->data + at, seg->data, seg->len);
	g_byte_array_unref(seg);
	return out;
}

/* Read all of fd's len bytes from offset 0 into a new buffer, or NULL. */
static unsigned char *
read_whole(int fd, size_t len)
{
	unsigned char *b = g_malloc(len + 1);
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, b + got, len - got, (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO; /* shorter than fstat said */
			g_free(b);
			return NULL;
		}
		got += (size_t)n;
	}
	return b;
}

int
record_set_xattr(int fd, struct record *rec, const void *data, size_t len)
{
	char text[RECORD_TEXT_MAX];

	rec->length = (long long)len;
	rec->sum = hash64(data, len);
	return fsetxattr(fd, RECORD_XATTR, text, record_format(rec, text), 0);
}

/* The record in a file's first bytes: its text and segment. */
static bool
find_in_head(const unsigned char *b, size_t n, struct record *rec,
    size_t *off, size_t *seglen)
{
	struct place pl;
	const char *text;
	size_t tlen;

	if (!find_place(b, n, &pl) || pl.vp8x > 0)
		return false;
	text = segment_text(pl.kind, b + pl.off, n - pl.off, &tlen, seglen);
	*off = pl.off;
	return text != NULL && record_parse(text, tlen, rec);
}

/* From the attribute: 1, 0 when there is none, -1 with errno. */
static int
find_in_xattr(int fd, struct record *rec)
{
	char text[RECORD_TEXT_MAX];
	ssize_t n = fgetxattr(fd, RECORD_XATTR, text, sizeof(text));

	if (n < 0)
		return errno == ENODATA || errno == ENOTSUP || errno == ERANGE
		    ? 0 : -1;
	return record_parse(text, (size_t)n, rec) ? 1 : 0;
}

enum record_found
record_read(int fd, const struct stat *st, struct record *rec)
{
	unsigned char head[HEAD_BYTES];
	size_t want = (size_t)MIN((long long)st->st_size, HEAD_BYTES);
	size_t off, seglen;
	struct place pl;
	ssize_t n;
	int rc;

	do
		n = pread(fd, head, want, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return RECORD_IOERR;
	if (find_in_head(head, (size_t)n, rec, &off, &seglen))
		return RECORD_FOUND;
	/* A format with a place for the record keeps pthumb's there: no
	   attribute to look for (one system call per input saved). */
	if (find_place(head, (size_t)n, &pl))
		return RECORD_NONE;
	rc = find_in_xattr(fd, rec);
	return rc > 0 ? RECORD_FOUND : rc == 0 ? RECORD_NONE : RECORD_IOERR;
}

int
record_verify(int fd)
{
	struct record rec;
	struct stat st;
	unsigned char *b;
	size_t off, seglen;
	int ok;

	if (fstat(fd, &st) != 0)
		return -1;
	if (st.st_size > VERIFY_MAX)
		return 0;
	if ((b = read_whole(fd, (size_t)st.st_size)) == NULL)
		return -1;
	if (find_in_head(b, (size_t)st.st_size, &rec, &off, &seglen))
		ok = rec.length == st.st_size && rec.sum == sum_outside(b,
		    (size_t)st.st_size, off, seglen);
	else
		ok = find_in_xattr(fd, &rec) > 0 && rec.length == st.st_size &&
		    rec.sum == hash64(b, (size_t)st.st_size);
	g_free(b);
	return ok;
}
