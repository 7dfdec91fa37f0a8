/*
 * freedesktop: names, chunks and files of the thumbnail cache (see
 * freedesktop.h).
 */
#include "freedesktop.h"

#include <errno.h>    /* errno */
#include <fcntl.h>    /* open, O_* */
#include <stdarg.h>   /* va_list */
#include <stdio.h>    /* snprintf */
#include <stdlib.h>   /* strtoll */
#include <string.h>   /* memcmp, strlen */
#include <unistd.h>   /* close */

#include "hash.h"   /* crc32_png */
#include "xio.h"    /* read_full */

static const unsigned char png_signature[8] = {
	0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
};

/* Signature, then IHDR: length, type, 13 bytes of data, CRC. */
#define IHDR_END (8 + 4 + 4 + 13 + 4)

char *
freedesktop_uri(const char *path)
{
	char *abs = g_canonicalize_filename(path, NULL);
	char *uri = g_filename_to_uri(abs, NULL, NULL);

	g_free(abs);
	return uri;
}

char *
freedesktop_path(const char *root, const char *size, const char *path)
{
	char *uri = freedesktop_uri(path);
	char *md5 = g_compute_checksum_for_string(G_CHECKSUM_MD5,
	    uri != NULL ? uri : path, -1);
	char *name = g_strconcat(md5, ".png", NULL);
	char *out = g_build_filename(root, size, name, NULL);

	g_free(name);
	g_free(md5);
	g_free(uri);
	return out;
}

char *
freedesktop_fail_path(const char *thumb)
{
	char *dir = g_path_get_dirname(thumb);
	char *root = g_path_get_dirname(dir);
	char *base = g_path_get_basename(thumb);
	char *out = g_build_filename(root, "fail", "pthumb", base, NULL);

	g_free(base);
	g_free(root);
	g_free(dir);
	return out;
}

static void
put32(GByteArray *b, unsigned long v)
{
	guint8 x[4] = {v >> 24 & 0xff, v >> 16 & 0xff, v >> 8 & 0xff,
	    v & 0xff};

	g_byte_array_append(b, x, 4);
}

/* Append one tEXt chunk: length, type, key NUL value, CRC of type+data. */
static void
put_text(GByteArray *b, const char *key, const char *value)
{
	size_t start, klen = strlen(key), vlen = strlen(value);

	put32(b, (unsigned long)(klen + 1 + vlen));
	start = b->len;
	g_byte_array_append(b, (const guint8 *)"tEXt", 4);
	g_byte_array_append(b, (const guint8 *)key, (guint)klen + 1);
	g_byte_array_append(b, (const guint8 *)value, (guint)vlen);
	put32(b, crc32_png(b->data + start, b->len - start));
}

GByteArray *
freedesktop_add_text(const void *png, size_t len, const char *uri,
    long long mtime, ...)
{
	const unsigned char *p = png;
	GByteArray *b;
	char when[32];
	const char *key;
	va_list ap;

	if (len < IHDR_END || memcmp(p, png_signature, 8) != 0 ||
	    memcmp(p + 12, "IHDR", 4) != 0)
		return NULL;
	b = g_byte_array_sized_new((guint)len + 512);
	g_byte_array_append(b, p, IHDR_END);
	snprintf(when, sizeof(when), "%lld", mtime);
	put_text(b, "Thumb::URI", uri);
	put_text(b, "Thumb::MTime", when);
	va_start(ap, mtime);
	while ((key = va_arg(ap, const char *)) != NULL)
		put_text(b, key, va_arg(ap, const char *));
	va_end(ap);
	g_byte_array_append(b, p + IHDR_END, (guint)(len - IHDR_END));
	return b;
}

long long
freedesktop_read_mtime(const char *path)
{
	unsigned char buf[8192];
	long long mtime = -1;
	size_t at = 8;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	/* The keys come before the image data: the head is enough. */
	n = read_full(fd, buf, sizeof(buf));
	close(fd);
	if (n < IHDR_END || memcmp(buf, png_signature, 8) != 0)
		return -1;
	while (at + 8 <= (size_t)n) {
		size_t clen = (size_t)buf[at] << 24 | buf[at + 1] << 16 |
		    buf[at + 2] << 8 | buf[at + 3];
		const unsigned char *type = buf + at + 4, *data = type + 4;
		static const char key[] = "Thumb::MTime";

		if (memcmp(type, "IDAT", 4) == 0 || clen > (size_t)n ||
		    at + 12 + clen > (size_t)n)
			break;
		if (memcmp(type, "tEXt", 4) == 0 && clen > sizeof(key) &&
		    memcmp(data, key, sizeof(key)) == 0) {
			char text[32] = {0};
			size_t tlen = MIN(clen - sizeof(key), sizeof(text) - 1);
			char *end;

			memcpy(text, data + sizeof(key), tlen);
			mtime = strtoll(text, &end, 10);
			if (end == text || *end != '\0')
				mtime = -1;
			break;
		}
		at += 12 + clen;
	}
	return mtime;
}
