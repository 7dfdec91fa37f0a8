/*
 * --freedesktop: names, chunks, permissions and the skip rule of the
 * freedesktop.org Thumbnail Managing Standard.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vips/vips.h>

#include "freedesktop.h"
#include "hash.h"
#include "helpers.h"

TestSuite(freedesktop, .init = helper_init_vips, .timeout = 60);

Test(freedesktop, crc32_and_uris)
{
	char *uri;

	/* The check value of CRC-32, and the CRC every PNG's IEND has. */
	cr_assert_eq(crc32_png("123456789", 9), 0xcbf43926UL);
	cr_assert_eq(crc32_png("IEND", 4), 0xae426082UL);
	/* Percent-encoded UTF-8, "/" kept, as the standard's examples. */
	uri = freedesktop_uri("/home/jens/photos/me and my dog é.png");
	cr_assert_str_eq(uri,
	    "file:///home/jens/photos/me%20and%20my%20dog%20%C3%A9.png");
	g_free(uri);
	uri = freedesktop_uri("/a/./b/../c.jpg");
	cr_assert_str_eq(uri, "file:///a/c.jpg");
	g_free(uri);
}

/* The chunk types of a PNG file in order, "IHDR tEXt ... IEND", checking
   every CRC on the way. */
static char *
chunk_types(const char *path)
{
	GString *types = g_string_new(NULL);
	guchar *p;
	gsize len, at = 8;

	cr_assert(g_file_get_contents(path, (gchar **)&p, &len, NULL));
	cr_assert(len > 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0);
	while (at + 12 <= len) {
		gsize n = (gsize)p[at] << 24 | p[at + 1] << 16 | p[at + 2] << 8 |
		    p[at + 3];
		const guchar *c = p + at + 8 + n;
		unsigned long crc = (unsigned long)c[0] << 24 | c[1] << 16 |
		    c[2] << 8 | c[3];

		cr_assert_leq(at + 12 + n, len);
		cr_assert_eq(crc, crc32_png(p + at + 4, n + 4),
		    "bad CRC in %.4s of %s", p + at + 4, path);
		g_string_append_printf(types, "%s%.4s", types->len ? " " : "",
		    p + at + 4);
		at += 12 + n;
	}
	g_free(p);
	return g_string_free(types, FALSE);
}

static char *
text_key(VipsImage *im, const char *key)
{
	for (int i = 0; i < 16; i++) {
		char *name = g_strdup_printf("png-comment-%d-%s", i, key);
		const char *v;

		if (vips_image_get_typeof(im, name) != 0 &&
		    vips_image_get_string(im, name, &v) == 0) {
			g_free(name);
			return g_strdup(v);
		}
		g_free(name);
	}
	return NULL;
}

/* Mode bits of path. */
static unsigned
mode_of(const char *path)
{
	struct stat st;

	cr_assert_eq(stat(path, &st), 0, "%s", path);
	return st.st_mode & 07777;
}

Test(freedesktop, the_cache_as_the_standard_says)
{
	char *dir = helper_tmpdir();
	char *cache = g_build_filename(dir, "cache", NULL);
	char *in = g_build_filename(dir, "my photos", NULL);
	char *src = g_build_filename(in, "sunset é.jpg", NULL);
	char *abs_uri, *md5, *thumb, *root, *normal, *types, *v;
	const char *const args[] = {"--freedesktop", in, NULL};
	const char *const plain[] = {"-q", "-b", "0", "-s", "128", "-f", "png",
	    "-o", dir, src, NULL};
	VipsImage *im, *ref;
	struct stat st;
	struct ran r;
	double diff;

	cr_assert_eq(g_mkdir_with_parents(in, 0755), 0);
	cr_assert_eq(helper_copy(TESTDATA "/sunset.jpg", src), 0);
	cr_assert_eq(setenv("XDG_CACHE_HOME", cache, 1), 0);
	umask(022);
	helper_run(&r, args);
	cr_assert_eq(r.status, 0, "%s", r.err);
	helper_run_free(&r);

	/* The name: MD5 of the percent-encoded file URI. */
	abs_uri = g_strdup_printf("file://%s/my%%20photos/sunset%%20%%C3%%A9"
	    ".jpg", dir);
	md5 = g_compute_checksum_for_string(G_CHECKSUM_MD5, abs_uri, -1);
	root = g_build_filename(cache, "thumbnails", NULL);
	normal = g_build_filename(root, "normal", NULL);
	thumb = g_strdup_printf("%s/%s.png", normal, md5);
	cr_assert_eq(access(thumb, F_OK), 0, "no %s", thumb);
	cr_assert_eq(mode_of(cache), 0700);
	cr_assert_eq(mode_of(root), 0700);
	cr_assert_eq(mode_of(normal), 0700);
	cr_assert_eq(mode_of(thumb), 0600);
	cr_assert_eq(helper_count_tmp(root), 0);

	/* Uncompressed text right after IHDR, every CRC right. */
	types = chunk_types(thumb);
	cr_assert(g_str_has_prefix(types, "IHDR tEXt tEXt"), "%s", types);
	cr_assert_null(strstr(types, "zTXt"), "%s", types);
	cr_assert(g_str_has_suffix(types, "IEND"), "%s", types);
	g_free(types);
	im = vips_image_new_from_file(thumb, NULL);
	cr_assert_not_null(im);
	v = text_key(im, "Thumb::URI");
	cr_assert_str_eq(v, abs_uri);
	g_free(v);
	cr_assert_eq(stat(src, &st), 0);
	v = text_key(im, "Thumb::MTime");
	cr_assert_not_null(v);
	cr_assert_eq(strtoll(v, NULL, 10), (long long)st.st_mtime);
	g_free(v);
	cr_assert(im->Xsize == 128 && im->Ysize <= 128, "%dx%d", im->Xsize,
	    im->Ysize);
	/* Not blurred: the same pixels as -b 0 at 128 px. */
	helper_run(&r, plain);
	cr_assert_eq(r.status, 0, "%s", r.err);
	helper_run_free(&r);
	{
		char *p = g_build_filename(dir, "sunset é.png", NULL);

		ref = vips_image_new_from_file(p, NULL);
		cr_assert_not_null(ref);
		cr_assert_eq(vips_image_get_typeof(ref, "png-comment-0-"
		    "Thumb::URI"), 0);
		g_free(p);
	}
	{
		VipsImage *d, *a;

		cr_assert_eq(vips_subtract(im, ref, &d, NULL), 0);
		cr_assert_eq(vips_abs(d, &a, NULL), 0);
		cr_assert_eq(vips_max(a, &diff, NULL), 0);
		g_object_unref(d);
		g_object_unref(a);
	}
	cr_assert_eq(diff, 0, "the cache's thumbnail differs by %g", diff);
	g_object_unref(ref);
	g_object_unref(im);

	/* Up to date while Thumb::MTime matches; redone once it does not. */
	helper_run(&r, args);
	cr_assert_not_null(strstr(r.out, "0 done, 0 failed, 1 skipped"), "%s",
	    r.out);
	helper_run_free(&r);
	{
		struct timespec t[2] = {{st.st_mtime - 100, 0},
		    {st.st_mtime - 100, 0}};

		cr_assert_eq(utimensat(AT_FDCWD, src, t, 0), 0);
	}
	helper_run(&r, args);
	cr_assert_not_null(strstr(r.out, "1 done, 0 failed, 0 skipped"), "%s",
	    r.out);
	helper_run_free(&r);
	unsetenv("XDG_CACHE_HOME");
	helper_rmtree(dir);
	g_free(abs_uri);
	g_free(md5);
	g_free(thumb);
	g_free(root);
	g_free(normal);
	g_free(src);
	g_free(in);
	g_free(cache);
	g_free(dir);
}

Test(freedesktop, failures_are_recorded_and_not_retried)
{
	char *dir = helper_tmpdir();
	char *cache = g_build_filename(dir, "cache", NULL);
	char *bad = g_build_filename(dir, "broken.jpg", NULL);
	const char *const args[] = {"--freedesktop", "--freedesktop-size",
	    "large", bad, TESTDATA "/seeding.jpg", NULL};
	const char *const force[] = {"--freedesktop", "--freedesktop-size",
	    "large", "--force", bad, NULL};
	char *uri, *md5, *fail, *types;
	VipsImage *im;
	struct ran r;

	cr_assert_eq(helper_copy(TOP_DIR "/tests/data/bad/corrupt.jpg", bad),
	    0);
	cr_assert_eq(setenv("XDG_CACHE_HOME", cache, 1), 0);
	helper_run(&r, args);
	cr_assert_eq(r.status, 1);
	cr_assert_eq(helper_count_lines(r.err, "broken.jpg: "), 1, "%s",
	    r.err);
	helper_run_free(&r);
	uri = g_strdup_printf("file://%s", bad);
	md5 = g_compute_checksum_for_string(G_CHECKSUM_MD5, uri, -1);
	fail = g_strdup_printf("%s/thumbnails/fail/pthumb/%s.png", cache, md5);
	cr_assert_eq(access(fail, F_OK), 0, "no %s", fail);
	cr_assert_eq(mode_of(fail), 0600);
	types = chunk_types(fail);
	cr_assert(g_str_has_prefix(types, "IHDR tEXt tEXt"), "%s", types);
	g_free(types);
	/* The good one went to large/, at most 256 px. */
	{
		GDir *d;
		char *large = g_build_filename(cache, "thumbnails", "large",
		    NULL);
		const char *name;

		d = g_dir_open(large, 0, NULL);
		cr_assert_not_null(d);
		name = g_dir_read_name(d);
		cr_assert_not_null(name);
		{
			char *p = g_build_filename(large, name, NULL);

			im = vips_image_new_from_file(p, NULL);
			cr_assert(im->Xsize == 256 && im->Ysize <= 256);
			g_object_unref(im);
			g_free(p);
		}
		g_dir_close(d);
		g_free(large);
	}
	/* Not tried again while unchanged; --force tries. */
	helper_run(&r, args);
	cr_assert_eq(r.status, 1);
	cr_assert_not_null(strstr(r.err, "failed before"), "%s", r.err);
	helper_run_free(&r);
	helper_run(&r, force);
	cr_assert_eq(r.status, 1);
	cr_assert_null(strstr(r.err, "failed before"), "%s", r.err);
	cr_assert_eq(helper_count_lines(r.err, "broken.jpg: "), 1);
	helper_run_free(&r);
	unsetenv("XDG_CACHE_HOME");
	helper_rmtree(dir);
	g_free(uri);
	g_free(md5);
	g_free(fail);
	g_free(bad);
	g_free(cache);
	g_free(dir);
}

Test(freedesktop, usage)
{
	static const char *const cases[][5] = {
		{"--freedesktop", "-o", "x", "a", NULL},
		{"--freedesktop", "-s", "64", "a", NULL},
		{"--freedesktop-size", "large", "a", NULL},
		{"--freedesktop", "--freedesktop-size", "huge", "a", NULL},
	};
	struct ran r;

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		helper_run(&r, cases[i]);
		cr_assert_eq(r.status, 2, "case %zu", i);
		cr_assert_eq(helper_count_lines(r.err, "pthumb: "), 1);
		helper_run_free(&r);
	}
}
