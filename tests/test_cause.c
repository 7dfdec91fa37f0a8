/*
 * cause: libvips' and the decoders' words made into one line a user
 * reads. The texts are what libvips 8.14 said on files of tests/data/,
 * PngSuite and libvips' own test images.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../src/cause.h"

static void
expect(const char *text, const char *path, const char *suffix,
    const char *want)
{
	char out[CAUSE_MAX + 1];

	cause_shape(text, path, suffix, out, sizeof(out));
	cr_expect_str_eq(out, want, "from: %s", text);
}

Test(cause, the_first_decoder_message_with_its_format_named)
{
	expect("VipsJpeg: Premature end of input file; read gave 2 warnings; "
	    "VipsJpeg: Premature end of JPEG file", "t.jpg", ".jpg",
	    "damaged JPEG: Premature end of input file");
	expect("read gave 1 warnings; VipsJpeg: Corrupt JPEG data: premature "
	    "end of data segment", "b.jpg", ".jpg",
	    "damaged JPEG: Corrupt JPEG data: premature end of data segment");
	expect("vipspng: libpng read error; IDAT: CRC error\n", "x.png", ".png",
	    "damaged PNG: IDAT: CRC error");
	expect("gifload: Invalid frame data; Invalid frame data", "g.gif",
	    ".gif", "damaged GIF: Invalid frame data");
	expect("VipsJpeg: Unsupported JPEG data precision 12", "t.jpg", ".jpg",
	    "unsupported JPEG: Unsupported JPEG data precision 12");
}

/* libpng's own words come without a prefix: the suffix names it. */
Test(cause, the_suffix_names_what_no_prefix_does)
{
	expect("Invalid bit depth in IHDR; Invalid color type/bit depth "
	    "combination in IHDR; Invalid IHDR data", "p/xd0n2c08.png", ".png",
	    "damaged PNG: Invalid bit depth in IHDR");
	expect("something odd", "a.weird", ".weird",
	    "damaged image: something odd");
}

Test(cause, the_path_libvips_repeats_goes_and_so_do_its_codes)
{
	expect("f/16x17000.avif: bad seek to 371; heif: Memory allocation "
	    "error: Security limit exceeded: Image size 16x17000 exceeds the "
	    "maximum image size 16384x16384;  (6.1000)", "f/16x17000.avif",
	    ".avif", "damaged AVIF: Memory allocation error: Security limit "
	    "exceeded: Image size 16x17000 exceeds the maximum image size "
	    "16384x16384");
	expect("/full/crash.tif: bad seek to 3309; /full/crash.tif: bad seek "
	    "to 3309; tiff2vips: read error", "/full/crash.tif", ".tif",
	    "damaged TIFF: read error");
}

Test(cause, internal_operation_names_never_show)
{
	expect("VipsJpeg: Corrupt JPEG data: 1 extraneous bytes; linear: "
	    "vector must have 1 or 8 elements", "c.jpg", ".jpg",
	    "damaged JPEG: Corrupt JPEG data: 1 extraneous bytes");
	expect("linear: vector must have 1 or 8 elements", "c.jpg", ".jpg",
	    "the image could not be processed");
	expect("", "c.jpg", ".jpg", "the image could not be processed");
}

Test(cause, an_io_error_is_named_as_one)
{
	expect("unable to open for read; unix error: Permission denied; "
	    "unable to open for read; unix error: Permission denied",
	    "x.jpg", ".jpg", "cannot read: Permission denied");
}

Test(cause, memory_running_out_is_said_so)
{
	expect("vips_tracked: out of memory --- size == 9MB; linear: vector "
	    "must have 1 or 8 elements", "x.jpg", ".jpg",
	    "out of memory (a larger --worker-memory may help)");
	expect("glib: Error creating thread: Resource temporarily unavailable",
	    "x.jpg", ".jpg", "out of memory (a larger --worker-memory may "
	    "help)");
}

Test(cause, a_long_cause_is_cut_at_a_word)
{
	char text[600], out[CAUSE_MAX + 1];

	strcpy(text, "VipsJpeg: ");
	for (int i = 0; i < 50; i++)
		strcat(text, "corrupt ");
	cause_shape(text, "x.jpg", ".jpg", out, sizeof(out));
	cr_assert_leq(strlen(out), CAUSE_MAX);
	cr_assert(strlen(out) > CAUSE_MAX - 12, "%s", out);
	cr_assert_str_eq(out + strlen(out) - 10, "corrupt...", "%s", out);
	/* A small buffer gets what fits. */
	cause_shape(text, "x.jpg", ".jpg", out, 10);
	cr_assert_str_eq(out, "damaged J");
}

/* What libvips says of a blocked loader, an unknown format or a file gone
   is said in pthumb's words, without the path libvips repeats. */
Test(cause, whole_story_messages)
{
	expect("pdfload_source: operation is blocked", "x.pdf", ".pdf",
	    "pdfload is blocked: libvips marks it untrusted "
	    "(--allow-untrusted allows it)");
	expect("VipsForeignLoad: \"a/notes.jpg\" is not a known file format",
	    "a/notes.jpg", ".jpg", "not a known image format");
	expect("VipsForeignLoad: file \"a/x.jpg\" does not exist; unable to "
	    "open for read; unix error: No such file or directory", "a/x.jpg",
	    ".jpg", "file does not exist (any more)");
}
