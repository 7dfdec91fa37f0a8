/*
 * thumb: the sizes and the shrink-on-load and blur policies, without
 * libvips; and the one fact about libvips the blur policy rests on.
 */
#include <criterion/criterion.h>
#include <vips/vips.h>

#include "thumb.h"

Test(thumb, fit_keeps_the_aspect_and_never_enlarges)
{
	static const struct {
		int w, h, bw, bh, tw, th;
	} cases[] = {
		{4000, 3000, 50, 50, 50, 38},  /* landscape */
		{3000, 4000, 50, 50, 38, 50},  /* portrait */
		{640, 427, 256, 256, 256, 171},
		{400, 200, 100, 80, 100, 50},  /* width limits */
		{400, 200, 300, 50, 100, 50},  /* height limits */
		{40, 30, 50, 50, 40, 30},      /* never enlarged */
		{10000, 1, 50, 50, 50, 1},     /* at least one pixel */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int tw, th;

		thumb_fit(cases[i].w, cases[i].h, cases[i].bw, cases[i].bh,
		    &tw, &th);
		cr_assert(tw == cases[i].tw && th == cases[i].th, "case %zu: "
		    "%dx%d", i, tw, th);
	}
}

Test(thumb, cover_fills_the_box_and_never_enlarges)
{
	static const struct {
		int w, h, bw, bh, tw, th;
	} cases[] = {
		{400, 200, 100, 100, 200, 100},
		{200, 400, 100, 100, 100, 200},
		{4000, 3000, 128, 128, 171, 128},
		{80, 60, 100, 100, 80, 60},    /* smaller than the box */
		{300, 60, 100, 100, 300, 60},  /* one side short: as is */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int tw, th;

		thumb_cover(cases[i].w, cases[i].h, cases[i].bw, cases[i].bh,
		    &tw, &th);
		cr_assert(tw == cases[i].tw && th == cases[i].th, "case %zu: "
		    "%dx%d", i, tw, th);
	}
}

Test(thumb, shrink_on_load_leaves_the_resampler_a_factor_of_1_5)
{
	/* Up to 2 megapixels: decoded whole, whatever the factor. */
	cr_assert_eq(thumb_load_shrink(1600, 1200, 32), 1);
	/* 12 MP to 256 px: 15.6 = 8 x 1.95. */
	cr_assert_eq(thumb_load_shrink(4000, 3000, 4000 / 256.0), 8);
	/* 11 = 8 x 1.4 is too little left: 4 x 2.75. */
	cr_assert_eq(thumb_load_shrink(4000, 3000, 11), 4);
	cr_assert_eq(thumb_load_shrink(4000, 3000, 12), 8);
	cr_assert_eq(thumb_load_shrink(4000, 3000, 3), 2);
	cr_assert_eq(thumb_load_shrink(4000, 3000, 2.9), 1);
	cr_assert_eq(thumb_load_shrink(4000, 3000, 1), 1);
}

Test(thumb, a_blur_is_skipped_only_below_the_smallest_mask)
{
	/* 2 source pixels on a photo decoded at 1/8 is 0.25: nothing. */
	cr_assert_eq(thumb_blur_sigma(2, 8), 0);
	cr_assert_eq(thumb_blur_sigma(2, 4), 0);
	cr_assert_float_eq(thumb_blur_sigma(2, 2), 1.0, 1e-9);
	cr_assert_float_eq(thumb_blur_sigma(2, 1), 2.0, 1e-9);
	cr_assert_float_eq(thumb_blur_sigma(5, 8), 0.625, 1e-9);
	cr_assert_eq(thumb_blur_sigma(0, 1), 0);
}

/* The largest difference between noise and its blur at sigma. */
static double
blur_changes(double sigma)
{
	VipsImage *t[6] = {NULL};
	double most = -1;

	/* In memory, so both sides of the difference see the same noise. */
	if (vips_gaussnoise(&t[0], 64, 64, "mean", 128.0, "sigma", 60.0,
	    NULL) ||
	    vips_cast(t[0], &t[1], VIPS_FORMAT_UCHAR, NULL) ||
	    (t[2] = vips_image_copy_memory(t[1])) == NULL ||
	    vips_gaussblur(t[2], &t[3], sigma, NULL) ||
	    vips_subtract(t[2], t[3], &t[4], NULL) ||
	    vips_abs(t[4], &t[5], NULL) ||
	    vips_max(t[5], &most, NULL))
		cr_assert_fail("libvips: %s", vips_error_buffer());
	for (int i = 0; i < 6; i++)
		if (t[i] != NULL)
			g_object_unref(t[i]);
	return most;
}

Test(thumb, libvips_blur_below_the_smallest_mask_is_a_copy)
{
	cr_assert_eq(VIPS_INIT("test"), 0);
	cr_assert_eq(blur_changes(THUMB_BLUR_MIN - 0.001), 0,
	    "libvips blurs at sigma %.3f: THUMB_BLUR_MIN is too high",
	    THUMB_BLUR_MIN - 0.001);
	cr_assert_gt(blur_changes(0.6), 0, "libvips does not blur at 0.6");
}
