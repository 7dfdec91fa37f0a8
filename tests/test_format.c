/*
 * format: the table of image formats, by suffix and by loader.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "format.h"

Test(format, images_by_suffix)
{
	cr_assert(format_is_image("a.JPG", false));
	cr_assert(format_is_image("a.b.jpeg", false));
	cr_assert(format_is_image("x.avif", false));
	cr_assert_not(format_is_image("a.pdf", false));
	cr_assert(format_is_image("a.pdf", true));
	cr_assert(format_is_image("a.SVGZ", true));
	cr_assert_not(format_is_image("data.csv", true));
	cr_assert_not(format_is_image("image.v", true));
	cr_assert_not(format_is_image("jpg", false));
	cr_assert_not(format_is_image(".jpg", false));
	/* Written with these, never taken as inputs. */
	cr_assert_not(format_is_image("a.jpe", true));
	cr_assert_not(format_is_image("a.jfif", true));
	cr_assert_not(format_is_image("dir.jpg/file", true));
}

Test(format, suffix_of_a_path)
{
	cr_assert_str_eq(format_suffix("a/b.c/d.JPG"), ".JPG");
	cr_assert_str_eq(format_suffix("a/b.c/d"), "");
	cr_assert_str_eq(format_suffix(".profile"), "");
}

/* Trusted suffixes first, each once, in the table's order. */
Test(format, scanned_suffixes)
{
	static const char *const want[] = {
		"jpg", "jpeg", "png", "webp", "gif", "tif", "tiff", "heic",
		"heif", "avif", "jxl", "svg", "svgz", "pdf", "jp2", "j2k",
		"ppm", "pgm", "pbm", "pfm", "exr", "fits",
	};
	size_t n = sizeof(want) / sizeof(want[0]);

	for (size_t i = 0; i < n; i++)
		cr_assert_str_eq(format_scanned_suffix((int)i), want[i]);
	cr_assert_null(format_scanned_suffix((int)n));
	cr_assert_null(format_scanned_suffix(-1));
	for (size_t i = 0; i < n; i++) {
		char name[16];

		snprintf(name, sizeof(name), "x.%s", want[i]);
		cr_assert_eq(format_is_image(name, false), i < 10, "%s", name);
		cr_assert(format_is_image(name, true), "%s", name);
	}
}

Test(format, what_savers_need)
{
	cr_assert_str_eq(format_saver_suffix(".avif"), ".heif");
	cr_assert_str_eq(format_saver_suffix(".webp"), ".webp");
	cr_assert_str_eq(format_saver_suffix(".v"), ".v");
	cr_assert_str_eq(format_of_suffix(".AVIF")->save_options,
	    "compression=av1");
	cr_assert(format_of_suffix(".jfif")->flat);
	cr_assert(format_of_suffix(".jpeg")->flat);
	cr_assert_not(format_of_suffix(".png")->flat);
	cr_assert_null(format_of_suffix(".v"));
	cr_assert_null(format_of_suffix(NULL));
	cr_assert_str_eq(format_of_suffix(".tiff")->name, "TIFF");
}

Test(format, streams_by_loader)
{
	static const char avif[] = "\0\0\0\x1c" "ftypavif";
	static const char heic[] = "\0\0\0\x1c" "ftypheic";

	cr_assert_str_eq(format_stream_suffix("VipsForeignLoadJpegBuffer", "",
	    0), ".jpg");
	cr_assert_str_eq(format_stream_suffix("VipsForeignLoadNsgifBuffer", "",
	    0), ".gif");
	cr_assert_str_eq(format_stream_suffix("VipsForeignLoadTiffBuffer", "",
	    0), ".tif");
	cr_assert_str_eq(format_stream_suffix("VipsForeignLoadJp2kBuffer", "",
	    0), ".jp2");
	cr_assert_str_eq(format_stream_suffix("VipsForeignLoadHeifBuffer",
	    heic, sizeof(heic) - 1), ".heic");
	cr_assert_str_eq(format_stream_suffix("VipsForeignLoadHeifBuffer",
	    avif, sizeof(avif) - 1), ".avif");
	cr_assert_null(format_stream_suffix("VipsForeignLoadSvgBuffer", "",
	    0));
	cr_assert_null(format_stream_suffix(NULL, "", 0));
}
