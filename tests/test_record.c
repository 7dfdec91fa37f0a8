/*
 * record: the line inside every thumbnail. Each format still decodes to
 * the same pixels with it, a reader finds it in the first bytes, and a
 * damaged or truncated thumbnail is told from a whole one.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <vips/vips.h>

#include "helpers.h"
#include "record.h"

TestSuite(record, .init = helper_init_vips);

static const struct record example = {
	.source = 0x0123456789abcdefULL, .size = 123456,
	.mtime_s = 1700000000, .mtime_ns = 5, .options = 0xfedcba9876543210ULL,
};

Test(record, text_round_trips_and_rejects_junk)
{
	char text[RECORD_TEXT_MAX];
	struct record r = example, back;
	size_t n;

	r.length = 4321;
	r.sum = 42;
	n = record_format(&r, text);
	cr_assert_gt(n, 0);
	cr_assert(record_parse(text, n, &back));
	cr_assert(memcmp(&r, &back, sizeof(r)) == 0);
	cr_assert_not(record_parse(text, n - 1, &back), "cut short");
	cr_assert_not(record_parse("pthumb-record/1 source=1", 24, &back));
	text[3] = 'X';
	cr_assert_not(record_parse(text, n, &back), "another magic");
}

/* Edge values round-trip; only the exact form record_format() writes is
   read: no sign, leading zero, upper case, space or short field. */
Test(record, parse_is_exact)
{
	static const struct record edges[] = {
		{0, 0, 0, 0, 0, 0, 0},
		{UINT64_MAX, 999999999999999999LL, -1, 999999999, UINT64_MAX,
		 999999999999LL, UINT64_MAX},
		{1, 7, -86400 * 365LL, 1, 2, 1, 3},
	};
	static const char *const junk[] = {
		"source=0123456789abcdef size=+1 mtime=1.000000000 "
		    "options=0000000000000000 length=000000000001 "
		    "sum=0000000000000000",
		"source=0123456789abcdef size=01 mtime=1.000000000 "
		    "options=0000000000000000 length=000000000001 "
		    "sum=0000000000000000",
		"source=0123456789ABCDEF size=1 mtime=1.000000000 "
		    "options=0000000000000000 length=000000000001 "
		    "sum=0000000000000000",
		"source=0123456789abcdef size=1 mtime=-0.000000000 "
		    "options=0000000000000000 length=000000000001 "
		    "sum=0000000000000000",
		"source=0123456789abcdef size=1 mtime=1.00000000 "
		    "options=0000000000000000 length=000000000001 "
		    "sum=0000000000000000",
		"source=0123456789abcdef size=1  mtime=1.000000000 "
		    "options=0000000000000000 length=000000000001 "
		    "sum=0000000000000000",
		"source=0123456789abcdef size=1 mtime=1.000000000 "
		    "options=0000000000000000 length=1 sum=0000000000000000",
		"source=0123456789abcdef size=1 mtime=1.000000000 "
		    "options=0000000000000000 length=000000000001 "
		    "sum=0000000000000000 ",
		"source=0123456789abcdef size=1000000000000000000 "
		    "mtime=1.000000000 options=0000000000000000 "
		    "length=000000000001 sum=0000000000000000",
	};
	char text[RECORD_TEXT_MAX];
	struct record back;

	for (size_t i = 0; i < G_N_ELEMENTS(edges); i++) {
		size_t n = record_format(&edges[i], text);

		cr_assert(record_parse(text, n, &back), "%.*s", (int)n, text);
		cr_assert(memcmp(&edges[i], &back, sizeof(back)) == 0,
		    "%.*s", (int)n, text);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(junk); i++) {
		char *line = g_strconcat("pthumb-record/1 ", junk[i], NULL);

		cr_assert_not(record_parse(line, strlen(line), &back), "%s",
		    line);
		g_free(line);
	}
	/* The good form of the junk above is read. */
	{
		const char *good = "pthumb-record/1 source=0123456789abcdef "
		    "size=1 mtime=1.000000000 options=0000000000000000 "
		    "length=000000000001 sum=0000000000000000";

		cr_assert(record_parse(good, strlen(good), &back));
	}
}

/* The sample, saved by libvips in a format; the caller frees it. */
static void *
save(const char *file, const char *suffix, size_t *len)
{
	VipsImage *img = vips_image_new_from_file(file, NULL);
	void *buf = NULL;

	cr_assert_not_null(img, "%s", vips_error_buffer());
	cr_assert_eq(vips_image_write_to_buffer(img, suffix, &buf, len,
	    NULL), 0, "%s: %s", suffix, vips_error_buffer());
	g_object_unref(img);
	return buf;
}

/* Both buffers decode, strictly, to the same pixels. */
static void
assert_same_pixels(const void *a, size_t alen, const void *b, size_t blen,
    const char *what)
{
	VipsImage *x = vips_image_new_from_buffer(a, alen, "",
	    "fail_on", VIPS_FAIL_ON_WARNING, NULL);
	VipsImage *y = vips_image_new_from_buffer(b, blen, "",
	    "fail_on", VIPS_FAIL_ON_WARNING, NULL);
	double diff = -1;
	VipsImage *d = NULL;

	cr_assert(x != NULL && y != NULL, "%s: %s", what,
	    vips_error_buffer());
	cr_assert(x->Xsize == y->Xsize && x->Ysize == y->Ysize &&
	    x->Bands == y->Bands, "%s: the header changed", what);
	cr_assert_eq(vips_subtract(x, y, &d, NULL), 0);
	cr_assert_eq(vips_max(d, &diff, NULL), 0, "%s: %s", what,
	    vips_error_buffer());
	cr_assert_eq(diff, 0, "%s: pixels changed", what);
	cr_assert_eq(vips_min(d, &diff, NULL), 0);
	cr_assert_eq(diff, 0, "%s: pixels changed", what);
	g_object_unref(d);
	g_object_unref(x);
	g_object_unref(y);
}

/* Write bytes to a new file under dir; returns an fd open for reading. */
static int
file_of(const char *dir, const void *data, size_t len)
{
	char *path = g_build_filename(dir, "thumb", NULL);
	int fd;

	cr_assert(g_file_set_contents(path, data, (gssize)len, NULL));
	fd = open(path, O_RDWR);
	cr_assert_geq(fd, 0);
	g_free(path);
	return fd;
}

Test(record, each_format_keeps_its_pixels_and_its_record)
{
	static const struct {
		const char *file, *suffix;
	} cases[] = {
		{TESTDATA "/sunset.jpg", ".jpg"},
		{TESTDATA "/sunset.jpg", ".jpg[strip]"},
		{TESTDATA "/sunset.jpg", ".png"},
		{TESTDATA "/wine-alpha.png", ".png"},
		{TESTDATA "/sunset.jpg", ".webp"},           /* simple VP8 */
		{TESTDATA "/sunset.jpg", ".webp[lossless]"}, /* simple VP8L */
		{TESTDATA "/wine-alpha.png", ".webp"},       /* VP8X + ALPH */
		{TESTDATA "/wine-alpha.png", ".webp[lossless]"},
		{TESTDATA "/sunset.jpg", ".gif"},
		{TESTDATA "/picture.gif", ".gif"},
	};
	char *dir = helper_tmpdir();

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct record r = example, back;
		size_t len;
		void *buf = save(cases[i].file, cases[i].suffix, &len);
		GByteArray *b = record_embed(buf, len, &r);
		struct stat st;
		int fd;

		cr_assert_not_null(b, "%s: no place for a record",
		    cases[i].suffix);
		cr_assert_eq(r.length, (long long)b->len);
		assert_same_pixels(buf, len, b->data, b->len, cases[i].suffix);
		fd = file_of(dir, b->data, b->len);
		cr_assert_eq(fstat(fd, &st), 0);
		cr_assert_eq(record_read(fd, &st, &back), RECORD_FOUND, "%s",
		    cases[i].suffix);
		cr_assert(memcmp(&r, &back, sizeof(r)) == 0, "%s",
		    cases[i].suffix);
		cr_assert_eq(record_verify(fd), 1, "%s", cases[i].suffix);
		/* One bit of the image data flipped: damage. */
		b->data[b->len - 3] ^= 0x10;
		cr_assert_eq(pwrite(fd, b->data + b->len - 3, 1,
		    (off_t)b->len - 3), 1);
		cr_assert_eq(record_verify(fd), 0, "%s: damage not seen",
		    cases[i].suffix);
		close(fd);
		g_byte_array_unref(b);
		g_free(buf);
	}
	helper_rmtree(dir);
	g_free(dir);
}

Test(record, files_without_one_have_none)
{
	static const char *const files[] = {"sunset.jpg", "wine-alpha.png",
	    "umang.webp", "picture.gif", "CREDITS"};
	char *dir = helper_tmpdir();
	char junk[] = "pthumb-record/1 source=0123456789abcdef";

	for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
		char *path = g_build_filename(TESTDATA, files[i], NULL);
		int fd = open(path, O_RDONLY);
		struct record r;
		struct stat st;

		cr_assert_geq(fd, 0, "%s", path);
		cr_assert_eq(fstat(fd, &st), 0);
		cr_assert_eq(record_read(fd, &st, &r), RECORD_NONE, "%s",
		    files[i]);
		close(fd);
		g_free(path);
	}
	/* A text file that says the words is not a thumbnail either. */
	{
		int fd = file_of(dir, junk, sizeof(junk));
		struct record r;
		struct stat st;

		cr_assert_eq(fstat(fd, &st), 0);
		cr_assert_eq(record_read(fd, &st, &r), RECORD_NONE);
		cr_assert_eq(record_verify(fd), 0);
		close(fd);
	}
	helper_rmtree(dir);
	g_free(dir);
}

Test(record, other_formats_carry_it_as_an_attribute)
{
	char *dir = helper_tmpdir();
	struct record r = example, back;
	size_t len;
	void *buf = save(TESTDATA "/sunset.jpg", ".tif", &len);
	int fd = file_of(dir, buf, len);
	struct stat st;

	cr_assert_null(record_embed(buf, len, &r), "TIFF has no place");
	if (record_set_xattr(fd, &r, buf, len) != 0) {
		cr_assert(errno == ENOTSUP, "%s", strerror(errno));
		cr_skip_test("no extended attributes on this file system");
	}
	cr_assert_eq(fstat(fd, &st), 0);
	cr_assert_eq(record_read(fd, &st, &back), RECORD_FOUND);
	cr_assert(memcmp(&r, &back, sizeof(r)) == 0);
	cr_assert_eq(r.length, (long long)len);
	cr_assert_eq(record_verify(fd), 1);
	cr_assert_eq(pwrite(fd, "x", 1, (off_t)len - 1), 1);
	cr_assert_eq(record_verify(fd), 0);
	close(fd);
	g_free(buf);
	helper_rmtree(dir);
	g_free(dir);
}

Test(record, options_that_shape_the_bytes_change_the_digest)
{
	struct thumb_opts a = {.width = 50, .height = 50, .blur = 2,
	    .background = {255, 255, 255}};
	struct thumb_opts b = a;
	uint64_t base = record_options(&a, 50, 50, ".jpg");

	cr_assert_eq(base, record_options(&b, 50, 50, ".JPG"));
	cr_assert_neq(base, record_options(&a, 64, 64, ".jpg"));
	cr_assert_neq(base, record_options(&a, 50, 50, ".png"));
	b.blur = 2.5;
	cr_assert_neq(base, record_options(&b, 50, 50, ".jpg"));
	b = a;
	b.quality = 80;
	cr_assert_neq(base, record_options(&b, 50, 50, ".jpg"));
	b = a;
	b.crop = CROP_CENTRE;
	cr_assert_neq(base, record_options(&b, 50, 50, ".jpg"));
	b = a;
	b.exact = true;
	cr_assert_neq(base, record_options(&b, 50, 50, ".jpg"));
	/* What does not shape the bytes does not count. */
	b = a;
	b.max_pixels = 1000;
	cr_assert_eq(base, record_options(&b, 50, 50, ".jpg"));
}
