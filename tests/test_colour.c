/*
 * Correct pictures: colour profiles, CMYK, alpha, 16-bit, palette and
 * multi-page inputs, crops and metadata. The inputs are made here with
 * libvips; the checks read pixels, not only sizes.
 */
#include <criterion/criterion.h>
#include <glib.h>
#include <lcms2.h>
#include <math.h>
#include <string.h>
#include <unistd.h>
#include <vips/vips.h>

#include "helpers.h"

TestSuite(colour, .init = helper_init_vips_dir, .fini = helper_fini_dir,
    .timeout = 60);

/* A w x h image of one colour (bands values from v). */
static VipsImage *
solid(int w, int h, const double *v, int bands)
{
	VipsImage *black, *out;

	cr_assert_eq(vips_black(&black, w, h, "bands", bands, NULL), 0);
	cr_assert_eq(vips_linear(black, &out, (double[]){1, 1, 1, 1},
	    (double *)v, bands, "uchar", TRUE, NULL), 0);
	g_object_unref(black);
	return out;
}

static void
save(VipsImage *im, const char *path)
{
	cr_assert_eq(vips_image_write_to_file(im, path, NULL), 0, "%s: %s",
	    path, vips_error_buffer());
}

/* Thumbnail one file with extra options into out; the thumbnail's path. */
static char *
thumb(const char *out, const char *in, const char *name,
    const char *const *extra)
{
	const char *args[16] = {"-q", "-o", out};
	int n = 3;
	struct ran r;

	for (; extra != NULL && *extra != NULL; extra++)
		args[n++] = *extra;
	args[n++] = in;
	args[n] = NULL;
	helper_run(&r, args);
	cr_assert_eq(r.status, 0, "%s: %s", in, r.err);
	helper_run_free(&r);
	return g_build_filename(out, name, NULL);
}

/* The pixel at the middle of an image file, and its band count. */
static int
middle(const char *path, double *px)
{
	VipsImage *im = vips_image_new_from_file(path, NULL);
	double *v;
	int n, bands;

	cr_assert_not_null(im, "%s: %s", path, vips_error_buffer());
	cr_assert_eq(vips_getpoint(im, &v, &n, im->Xsize / 2, im->Ysize / 2,
	    NULL), 0);
	memcpy(px, v, sizeof(double) * MIN(n, 4));
	g_free(v);
	bands = im->Bands;
	g_object_unref(im);
	return bands;
}

static void
assert_near(const double *got, const double *want, int n, double tol,
    const char *what)
{
	for (int i = 0; i < n; i++)
		cr_assert(fabs(got[i] - want[i]) <= tol, "%s band %d: %g, want "
		    "%g +- %g", what, i, got[i], want[i], tol);
}

/*
 * sRGB red written in another profile's numbers, with that profile
 * attached (profile: a libvips name or an ICC file), into dir/name. The
 * numbers must differ from sRGB's (first band below 245), or the check
 * proves nothing; they are returned in numbers.
 */
static char *
red_in_profile(const char *dir, const char *name, const char *profile,
    double *numbers)
{
	char *in = g_build_filename(dir, name, NULL);
	VipsImage *red = solid(64, 64, (double[]){255, 0, 0}, 3), *other;

	cr_assert_eq(vips_icc_transform(red, &other, profile, "input_profile",
	    "srgb", NULL), 0, "%s", vips_error_buffer());
	save(other, in);
	cr_assert_eq(middle(in, numbers), 3);
	cr_assert_lt(numbers[0], 245, "%s: not other numbers: %g %g %g",
	    profile, numbers[0], numbers[1], numbers[2]);
	g_object_unref(red);
	g_object_unref(other);
	return in;
}

/* Its thumbnail is sRGB red again. */
static void
assert_back_to_srgb_red(const char *dir, const char *in, const char *name)
{
	char *out = g_build_filename(dir, "out", NULL);
	char *t = thumb(out, in, name, NULL);
	double px[4];

	cr_assert_eq(middle(t, px), 3);
	assert_near(px, (double[]){255, 0, 0}, 3, 4, name);
	g_free(t);
	g_free(out);
}

Test(colour, a_display_p3_red_comes_out_as_srgb_red)
{
	const char *dir = helper_dir();
	char *keep = g_build_filename(dir, "keep", NULL);
	double px[4], p3px[4];
	char *in = red_in_profile(dir, "red-p3.png", "p3", p3px);
	VipsImage *im;
	char *t;

	assert_back_to_srgb_red(dir, in, "red-p3.png");
	/* --keep-profile: the numbers and the profile stay as they were. */
	t = thumb(keep, in, "red-p3.png", (const char *[]){"--keep-profile",
	    NULL});
	middle(t, px);
	assert_near(px, p3px, 3, 1, "kept P3");
	im = vips_image_new_from_file(t, NULL);
	cr_assert(vips_image_get_typeof(im, VIPS_META_ICC_NAME) != 0,
	    "--keep-profile lost the profile");
	g_object_unref(im);
	g_free(t);
	g_free(in);
	g_free(keep);
}

/* An RGB profile of D65 white, these primaries and one tone curve for
   all three, described as desc (or not), written to path. */
static void
write_rgb_profile(const char *path, const cmsCIExyYTRIPLE *primaries,
    cmsToneCurve *curve, const char *desc)
{
	const cmsCIExyY white = {0.3127, 0.3290, 1.0};
	cmsToneCurve *curves[3] = {curve, curve, curve};
	cmsHPROFILE h = cmsCreateRGBProfile(&white, primaries, curves);

	cr_assert_not_null(h);
	if (desc != NULL) {
		cmsMLU *mlu = cmsMLUalloc(NULL, 1);

		cmsMLUsetASCII(mlu, "en", "US", desc);
		cr_assert(cmsWriteTag(h, cmsSigProfileDescriptionTag, mlu));
		cmsMLUfree(mlu);
	}
	cr_assert(cmsSaveProfileToFile(h, path));
	cmsCloseProfile(h);
	cmsFreeToneCurve(curve);
}

/*
 * An Adobe RGB (1998) profile, built here with lcms2 from the published
 * primaries, D65 white and gamma 563/256 (no such profile ships with the
 * system), written to path.
 */
static void
write_adobe_rgb(const char *path)
{
	const cmsCIExyYTRIPLE primaries = {
		{0.6400, 0.3300, 1.0}, {0.2100, 0.7100, 1.0},
		{0.1500, 0.0600, 1.0},
	};

	write_rgb_profile(path, &primaries, cmsBuildGamma(NULL, 563.0 / 256.0),
	    NULL);
}

Test(colour, an_adobe_rgb_red_comes_out_as_srgb_red)
{
	const char *dir = helper_dir();
	char *icc = g_build_filename(dir, "AdobeRGB1998.icc", NULL);
	double numbers[4];
	char *in;

	write_adobe_rgb(icc);
	in = red_in_profile(dir, "red-adobe.png", icc, numbers);
	/* Adobe RGB's red is wider than sRGB's: about 219 on its scale. */
	cr_assert(numbers[0] > 200 && numbers[0] < 235, "%g", numbers[0]);
	assert_back_to_srgb_red(dir, in, "red-adobe.png");
	g_free(icc);
	g_free(in);
}

/*
 * A Display P3 profile (P3 primaries, D65, sRGB's tone curve) whose
 * description says it is sRGB, written to path: pthumb tells profiles
 * apart by what they do, so this one must still be converted.
 */
static void
write_p3_named_srgb(const char *path)
{
	const cmsCIExyYTRIPLE primaries = {
		{0.680, 0.320, 1.0}, {0.265, 0.690, 1.0}, {0.150, 0.060, 1.0},
	};
	const cmsFloat64Number srgb[5] = {2.4, 1 / 1.055, 0.055 / 1.055,
	    1 / 12.92, 0.04045};

	write_rgb_profile(path, &primaries, cmsBuildParametricToneCurve(NULL,
	    4, srgb), "sRGB IEC61966-2.1");
}

Test(colour, a_p3_profile_named_srgb_is_still_converted)
{
	const char *dir = helper_dir();
	char *icc = g_build_filename(dir, "fake-srgb.icc", NULL);
	double numbers[4];
	char *in;

	write_p3_named_srgb(icc);
	in = red_in_profile(dir, "red-fake.png", icc, numbers);
	assert_back_to_srgb_red(dir, in, "red-fake.png");
	g_free(icc);
	g_free(in);
}

/* An image tagged with an sRGB profile comes out with the numbers it
   had: the profile is recognised and no conversion is made. */
Test(colour, an_srgb_profile_changes_nothing)
{
	const char *dir = helper_dir();
	char *in = g_build_filename(dir, "tagged.png", NULL);
	char *out = g_build_filename(dir, "out", NULL);
	VipsImage *im = solid(64, 64, (double[]){200, 120, 40}, 3), *tagged;
	double px[4];
	char *t;

	cr_assert_eq(vips_icc_transform(im, &tagged, "srgb", "input_profile",
	    "srgb", NULL), 0, "%s", vips_error_buffer());
	cr_assert(vips_image_get_typeof(tagged, VIPS_META_ICC_NAME) != 0);
	save(tagged, in);
	t = thumb(out, in, "tagged.png", NULL);
	cr_assert_eq(middle(t, px), 3);
	assert_near(px, (double[]){200, 120, 40}, 3, 0, "sRGB-tagged");
	g_object_unref(tagged);
	g_object_unref(im);
	g_free(t);
	g_free(out);
	g_free(in);
}

Test(colour, cmyk_with_and_without_a_profile_becomes_rgb)
{
	const char *dir = helper_dir();
	char *with = g_build_filename(dir, "with.jpg", NULL);
	char *without = g_build_filename(dir, "without.jpg", NULL);
	char *out = g_build_filename(dir, "out", NULL);
	VipsImage *red = solid(64, 64, (double[]){255, 0, 0}, 3), *cmyk;
	double a[4], b[4];
	char *ta, *tb;

	cr_assert_eq(vips_icc_transform(red, &cmyk, "cmyk", "input_profile",
	    "srgb", NULL), 0);
	save(cmyk, with);
	cr_assert_eq(vips_image_write_to_file(cmyk, without, "strip", TRUE,
	    NULL), 0);
	{
		VipsImage *im = vips_image_new_from_file(without, NULL);

		cr_assert_eq(im->Bands, 4);
		cr_assert_eq(vips_image_get_typeof(im, VIPS_META_ICC_NAME), 0);
		g_object_unref(im);
	}
	ta = thumb(out, with, "with.jpg", NULL);
	tb = thumb(out, without, "without.jpg", NULL);
	cr_assert_eq(middle(ta, a), 3, "still CMYK");
	cr_assert_eq(middle(tb, b), 3, "still CMYK");
	/* Red through CMYK ink is a less saturated red, but red. */
	cr_assert(a[0] > 200 && a[1] < 70 && a[2] < 70, "%g %g %g", a[0],
	    a[1], a[2]);
	/* Without a profile, libvips' CMYK profile stands in: the same. */
	assert_near(b, a, 3, 3, "CMYK without a profile");
	g_object_unref(red);
	g_object_unref(cmyk);
	g_free(ta);
	g_free(tb);
	g_free(with);
	g_free(without);
	g_free(out);
}

Test(colour, sixteen_bit_and_grey_become_eight_bit)
{
	const char *dir = helper_dir();
	char *rgb16 = g_build_filename(dir, "rgb16.png", NULL);
	char *grey16 = g_build_filename(dir, "grey16.png", NULL);
	char *out = g_build_filename(dir, "out", NULL);
	VipsImage *u8 = solid(64, 64, (double[]){200, 100, 50}, 3);
	VipsImage *wide, *rgb, *g8, *gwide, *grey;
	VipsImage *im;
	double px[4];
	char *t;

	/* 8-bit values times 257: the same colour in 16 bits. */
	cr_assert_eq(vips_linear1(u8, &wide, 257, 0, NULL), 0);
	cr_assert_eq(vips_cast(wide, &rgb, VIPS_FORMAT_USHORT, NULL), 0);
	rgb->Type = VIPS_INTERPRETATION_RGB16;
	save(rgb, rgb16);
	g8 = solid(64, 64, (double[]){90}, 1);
	cr_assert_eq(vips_linear1(g8, &gwide, 257, 0, NULL), 0);
	cr_assert_eq(vips_cast(gwide, &grey, VIPS_FORMAT_USHORT, NULL), 0);
	grey->Type = VIPS_INTERPRETATION_GREY16;
	save(grey, grey16);
	im = vips_image_new_from_file(rgb16, NULL);
	cr_assert_eq(im->BandFmt, VIPS_FORMAT_USHORT, "not a 16-bit input");
	g_object_unref(im);

	t = thumb(out, rgb16, "rgb16.png", NULL);
	im = vips_image_new_from_file(t, NULL);
	cr_assert_eq(im->BandFmt, VIPS_FORMAT_UCHAR);
	g_object_unref(im);
	cr_assert_eq(middle(t, px), 3);
	assert_near(px, (double[]){200, 100, 50}, 3, 2, "16-bit RGB");
	g_free(t);
	t = thumb(out, grey16, "grey16.png", NULL);
	cr_assert_eq(middle(t, px), 1, "grey stays grey");
	assert_near(px, (double[]){90}, 1, 2, "16-bit grey");
	g_free(t);
	/* Float, as float TIFFs hold it: linear light, 0-1 (scRGB). */
	{
		char *f32 = g_build_filename(dir, "float.tif", NULL);
		VipsImage *fl;

		cr_assert_eq(vips_colourspace(u8, &fl, VIPS_INTERPRETATION_scRGB,
		    NULL), 0);
		save(fl, f32);
		im = vips_image_new_from_file(f32, NULL);
		cr_assert_eq(im->BandFmt, VIPS_FORMAT_FLOAT, "not a float input");
		cr_assert_eq(im->Type, VIPS_INTERPRETATION_scRGB);
		g_object_unref(im);
		t = thumb(out, f32, "float.jpg", (const char *[]){"-f", "jpg",
		    NULL});
		cr_assert_eq(middle(t, px), 3);
		assert_near(px, (double[]){200, 100, 50}, 3, 3, "float");
		g_free(t);
		g_object_unref(fl);
		g_free(f32);
	}
	g_object_unref(u8);
	g_object_unref(wide);
	g_object_unref(rgb);
	g_object_unref(g8);
	g_object_unref(gwide);
	g_object_unref(grey);
	g_free(rgb16);
	g_free(grey16);
	g_free(out);
}

Test(colour, alpha_stays_alpha_and_jpeg_gets_the_background)
{
	const char *dir = helper_dir();
	char *in = g_build_filename(dir, "clear.png", NULL);
	char *out = g_build_filename(dir, "out", NULL);
	/* Red where opaque, fully transparent elsewhere (left half). */
	VipsImage *left = solid(32, 64, (double[]){255, 0, 0, 0}, 4);
	VipsImage *right = solid(32, 64, (double[]){255, 0, 0, 255}, 4);
	VipsImage *both;
	double px[4];
	char *t;
	static const struct {
		const char *fmt, *bg;
		int bands;
		double want[4];
	} cases[] = {
		{"png", NULL, 4, {0, 0, 0, 0}},
		{"webp", NULL, 4, {0, 0, 0, 0}},
		{"jpg", NULL, 3, {255, 255, 255}},
		{"jpg", "black", 3, {0, 0, 0}},
		{"jpg", "#0000ff", 3, {0, 0, 255}},
		{"jpg", "0,128,0", 3, {0, 128, 0}},
	};

	cr_assert_eq(vips_join(left, right, &both, VIPS_DIRECTION_HORIZONTAL,
	    NULL), 0);
	save(both, in);
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *o = g_strdup_printf("%s/%zu", out, i);
		char *name = g_strdup_printf("clear.%s", cases[i].fmt);
		const char *extra[7] = {"-b", "0", "-f", cases[i].fmt};
		VipsImage *im;

		if (cases[i].bg != NULL) {
			extra[4] = "--background";
			extra[5] = cases[i].bg;
		}
		t = thumb(o, in, name, extra);
		im = vips_image_new_from_file(t, NULL);
		cr_assert_eq(im->Bands, cases[i].bands, "case %zu", i);
		/* The transparent half, away from the edge. */
		{
			double *v;
			int n;

			cr_assert_eq(vips_getpoint(im, &v, &n, 4, im->Ysize / 2,
			    NULL), 0);
			memcpy(px, v, sizeof(double) * MIN(n, 4));
			g_free(v);
		}
		if (cases[i].bands == 4)
			cr_assert_eq(px[3], 0, "case %zu: alpha %g", i, px[3]);
		else
			assert_near(px, cases[i].want, 3, 6, cases[i].fmt);
		g_object_unref(im);
		/* The opaque half stays red. */
		middle(t, px);
		g_free(t);
		g_free(name);
		g_free(o);
	}
	g_object_unref(left);
	g_object_unref(right);
	g_object_unref(both);
	g_free(in);
	g_free(out);
}

Test(colour, palette_and_multi_page_inputs)
{
	const char *dir = helper_dir();
	char *pal = g_build_filename(dir, "palette.png", NULL);
	char *pages = g_build_filename(dir, "pages.tif", NULL);
	char *out = g_build_filename(dir, "out", NULL);
	VipsImage *green = solid(64, 64, (double[]){0, 160, 0}, 3);
	VipsImage *red = solid(64, 64, (double[]){250, 0, 0}, 3);
	VipsImage *blue = solid(64, 64, (double[]){0, 0, 250}, 3);
	VipsImage *stack, *im;
	double px[4];
	char *t;

	cr_assert_eq(vips_image_write_to_file(green, pal, "palette", TRUE,
	    NULL), 0);
	im = vips_image_new_from_file(pal, NULL);
	cr_assert_eq(vips_image_get_int(im, "palette-bit-depth", &(int){0}),
	    0, "not a palette PNG");
	g_object_unref(im);
	t = thumb(out, pal, "palette.png", (const char *[]){"-b", "0", NULL});
	cr_assert_eq(middle(t, px), 3);
	assert_near(px, (double[]){0, 160, 0}, 3, 3, "palette");
	g_free(t);

	/* Two pages: red, then blue. The first page is the picture. */
	cr_assert_eq(vips_join(red, blue, &stack, VIPS_DIRECTION_VERTICAL,
	    NULL), 0);
	vips_image_set_int(stack, VIPS_META_PAGE_HEIGHT, 64);
	save(stack, pages);
	im = vips_image_new_from_file(pages, "n", -1, NULL);
	cr_assert_eq(im->Ysize, 128, "not two pages");
	g_object_unref(im);
	t = thumb(out, pages, "pages.tif", NULL);
	im = vips_image_new_from_file(t, NULL);
	cr_assert(im->Xsize == 50 && im->Ysize == 50, "%dx%d", im->Xsize,
	    im->Ysize);
	g_object_unref(im);
	middle(t, px);
	assert_near(px, (double[]){250, 0, 0}, 3, 3, "first page");
	g_free(t);
	/* An animated GIF: the first frame. */
	{
		char *gif = g_build_filename(dir, "anim.gif", NULL);

		save(stack, gif);
		im = vips_image_new_from_file(gif, "n", -1, NULL);
		cr_assert_eq(im->Ysize, 128, "not two frames");
		g_object_unref(im);
		t = thumb(out, gif, "anim.gif", NULL);
		middle(t, px);
		cr_assert(px[0] > 200 && px[2] < 60, "not the first frame: "
		    "%g %g %g", px[0], px[1], px[2]);
		g_free(t);
		g_free(gif);
	}
	g_object_unref(green);
	g_object_unref(red);
	g_object_unref(blue);
	g_object_unref(stack);
	g_free(pal);
	g_free(pages);
	g_free(out);
}

Test(colour, crop_fills_the_box)
{
	const char *dir = helper_dir();
	char *in = g_build_filename(dir, "wide.png", NULL);
	char *small = g_build_filename(dir, "small.png", NULL);
	char *out = g_build_filename(dir, "out", NULL);
	/* 400x200: blue | red | blue, the red third in the middle. */
	VipsImage *b = solid(150, 200, (double[]){0, 0, 255}, 3);
	VipsImage *r = solid(100, 200, (double[]){255, 0, 0}, 3);
	VipsImage *br, *all, *tiny = solid(80, 60, (double[]){9, 9, 9}, 3);
	static const char *const modes[][3] = {
		{"--crop", NULL}, {"--smartcrop", "attention", NULL},
		{"--smartcrop", "entropy", NULL},
	};

	cr_assert_eq(vips_join(b, r, &br, VIPS_DIRECTION_HORIZONTAL, NULL), 0);
	cr_assert_eq(vips_join(br, b, &all, VIPS_DIRECTION_HORIZONTAL, NULL),
	    0);
	save(all, in);
	save(tiny, small);
	for (size_t i = 0; i < G_N_ELEMENTS(modes); i++) {
		const char *extra[7] = {"-s", "100", "-b", "0", modes[i][0],
		    modes[i][1]};
		char *o = g_strdup_printf("%s/%zu", out, i);
		char *t = thumb(o, in, "wide.png", extra);
		VipsImage *im = vips_image_new_from_file(t, NULL);
		double px[4];

		cr_assert(im->Xsize == 100 && im->Ysize == 100, "%s: %dx%d",
		    modes[i][0], im->Xsize, im->Ysize);
		g_object_unref(im);
		if (i == 0) {
			/* Scaled to 200x100, the middle 100: half red. */
			middle(t, px);
			assert_near(px, (double[]){255, 0, 0}, 3, 4, "centre");
		}
		g_free(t);
		/* Never enlarged: a smaller image keeps its size. */
		t = thumb(o, small, "small.png", extra);
		im = vips_image_new_from_file(t, NULL);
		cr_assert(im->Xsize == 80 && im->Ysize == 60, "%dx%d",
		    im->Xsize, im->Ysize);
		g_object_unref(im);
		g_free(t);
		g_free(o);
	}
	g_object_unref(b);
	g_object_unref(r);
	g_object_unref(br);
	g_object_unref(all);
	g_object_unref(tiny);
	g_free(in);
	g_free(small);
	g_free(out);
}

Test(colour, metadata_is_stripped_unless_kept)
{
	const char *out = helper_dir();
	char *strip_dir = g_build_filename(out, "strip", NULL);
	char *keep_dir = g_build_filename(out, "keep", NULL);
	const char *in = TESTDATA "/people/friends-exif.jpg";
	VipsImage *src = vips_image_new_from_file(in, NULL), *im;
	char *t;

	cr_assert(vips_image_get_typeof(src, VIPS_META_EXIF_NAME) != 0,
	    "the sample lost its EXIF");
	g_object_unref(src);
	t = thumb(strip_dir, in, "friends-exif.jpg", NULL);
	im = vips_image_new_from_file(t, NULL);
	cr_assert_eq(vips_image_get_typeof(im, VIPS_META_EXIF_NAME), 0);
	g_object_unref(im);
	g_free(t);
	t = thumb(keep_dir, in, "friends-exif.jpg", (const char *[]){
	    "--keep-metadata", NULL});
	im = vips_image_new_from_file(t, NULL);
	cr_assert(vips_image_get_typeof(im, VIPS_META_EXIF_NAME) != 0,
	    "--keep-metadata dropped EXIF");
	/* Turned upright, so no orientation is left to apply twice. */
	cr_assert_lt(im->Xsize, im->Ysize);
	cr_assert_leq(vips_image_get_orientation(im), 1);
	g_object_unref(im);
	g_free(t);
	g_free(strip_dir);
	g_free(keep_dir);
}
