/*
 * The test helpers that need libvips (helpers.h): its start-up as a suite
 * fixture, and the PSNR of two images. The rest of helpers.c links
 * without libvips, as the parent's modules do (make test's
 * test-without-libvips).
 */
#include "helpers.h"

#include <math.h>  /* log10 */
#include <stdio.h> /* fprintf */

#include <criterion/criterion.h>
#include <vips/vips.h>

void
helper_init_vips(void)
{
	cr_assert_eq(VIPS_INIT("test"), 0, "libvips: %s", vips_error_buffer());
}

void
helper_init_vips_dir(void)
{
	helper_init_vips();
	helper_init_dir();
}

/* *im premultiplied, in place of *im. */
static int
premultiply(VipsImage **im)
{
	VipsImage *p;

	if (vips_premultiply(*im, &p, NULL))
		return -1;
	g_object_unref(*im);
	*im = p;
	return 0;
}

double
helper_psnr(const char *a, const char *b)
{
	VipsImage *x = NULL, *y = NULL, *d = NULL, *sq = NULL;
	double mean = -1, psnr = -1;

	if (VIPS_INIT("pthumb-test") != 0)
		return -1;
	x = vips_image_new_from_file(a, NULL);
	y = vips_image_new_from_file(b, NULL);
	if (x == NULL || y == NULL) {
		fprintf(stderr, "psnr: cannot load: %s\n", vips_error_buffer());
		goto out;
	}
	if (x->Xsize != y->Xsize || x->Ysize != y->Ysize ||
	    x->Bands != y->Bands) {
		fprintf(stderr, "psnr: %s is %dx%dx%d, %s is %dx%dx%d\n", a,
		    x->Xsize, x->Ysize, x->Bands, b, y->Xsize, y->Ysize,
		    y->Bands);
		goto out;
	}
	if (vips_image_hasalpha(x) && (premultiply(&x) || premultiply(&y)))
		goto out;
	if (vips_subtract(x, y, &d, NULL) || vips_multiply(d, d, &sq, NULL) ||
	    vips_avg(sq, &mean, NULL))
		goto out;
	psnr = mean == 0 ? 99.0 : 10 * log10(255.0 * 255.0 / mean);
out:
	vips_error_clear();
	VIPS_UNREF(x);
	VIPS_UNREF(y);
	VIPS_UNREF(d);
	VIPS_UNREF(sq);
	return psnr;
}
