/*
 * geometry: the sizes and the shrink-on-load policy, without libvips.
 */
#include <criterion/criterion.h>

#include "geometry.h"

Test(geometry, fit_keeps_the_aspect_and_never_enlarges)
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

		geometry_fit(cases[i].w, cases[i].h, cases[i].bw, cases[i].bh,
		    &tw, &th);
		cr_assert(tw == cases[i].tw && th == cases[i].th, "case %zu: "
		    "%dx%d", i, tw, th);
	}
}

Test(geometry, cover_fills_the_box_and_never_enlarges)
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

		geometry_cover(cases[i].w, cases[i].h, cases[i].bw, cases[i].bh,
		    &tw, &th);
		cr_assert(tw == cases[i].tw && th == cases[i].th, "case %zu: "
		    "%dx%d", i, tw, th);
	}
}

Test(geometry, shrink_on_load_leaves_the_resampler_8_after_1_8_else_2)
{
	/* Up to 2 megapixels: decoded whole, whatever the factor. */
	cr_assert_eq(geometry_load_shrink(1600, 1200, 32), 1);
	/* 12 MP to 50 px: 80 = 8 x 10. */
	cr_assert_eq(geometry_load_shrink(4000, 3000, 80), 8);
	cr_assert_eq(geometry_load_shrink(4000, 3000, 64), 8);
	/* 63 = 8 x 7.9 is too little left after 1/8: 4 x 15.75. */
	cr_assert_eq(geometry_load_shrink(4000, 3000, 63), 4);
	/* 12 MP to 256 px: 15.6 = 4 x 3.9. */
	cr_assert_eq(geometry_load_shrink(4000, 3000, 4000 / 256.0), 4);
	cr_assert_eq(geometry_load_shrink(4000, 3000, 8), 4);
	cr_assert_eq(geometry_load_shrink(4000, 3000, 7.9), 2);
	cr_assert_eq(geometry_load_shrink(4000, 3000, 4), 2);
	cr_assert_eq(geometry_load_shrink(4000, 3000, 3.9), 1);
	cr_assert_eq(geometry_load_shrink(4000, 3000, 1), 1);
}
