/*
 * thumb: the sizes and the shrink-on-load policy, without libvips.
 */
#include <criterion/criterion.h>

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
