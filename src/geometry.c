/*
 * geometry: thumbnail sizes and the shrink-on-load policy (see
 * geometry.h).
 */
#include "geometry.h"

#include <math.h> /* lround */

#include <glib.h> /* MAX */

/*
 * Images up to this many pixels are decoded at full size whatever the
 * box: they are cheap to decode, and small web images are detailed to the
 * pixel, where the DCT's scaled decodes lose (measured on 40 of the bench's
 * small JPEGs at box 50 against a float reference of the literal
 * operation: 42.9 dB mean, 30.9 worst, and worse than libvips' integer
 * pipeline on 25 of them; decoded whole, 68.9 mean, 64.2 worst).
 */
#define SMALL_IMAGE_PIXELS (2 * 1000 * 1000)

void
geometry_cover(int w, int h, int bw, int bh, int *tw, int *th)
{
	double scale = MAX((double)bw / w, (double)bh / h);

	if (scale >= 1) {
		*tw = w;
		*th = h;
		return;
	}
	*tw = MAX(1, (int)lround(w * scale));
	*th = MAX(1, (int)lround(h * scale));
	/* Rounding must not leave the box uncovered. */
	if (*tw < bw && w >= bw)
		*tw = bw;
	if (*th < bh && h >= bh)
		*th = bh;
}

void
geometry_fit(int w, int h, int bw, int bh, int *tw, int *th)
{
	if (w <= bw && h <= bh) {
		*tw = w;
		*th = h;
	} else if ((long long)w * bh >= (long long)h * bw) {
		*tw = bw;
		*th = (int)lround((double)h * bw / w);
	} else {
		*th = bh;
		*tw = (int)lround((double)w * bh / h);
	}
	if (*tw < 1)
		*tw = 1;
	if (*th < 1)
		*th = 1;
}

int
geometry_load_shrink(int w, int h, double factor)
{
	if ((long long)w * h <= SMALL_IMAGE_PIXELS)
		return 1;
	/* What the resampler must be left, measured against a float
	   reference of the literal operation (tests/test_fidelity.c) on the
	   39 corpus photos: at 1/8 the decoder keeps only each block's mean,
	   a box filter that aliases. Leaving 2 after it, 3 photos at box
	   256 came out worse than libvips' integer pipeline (40.6 dB
	   against 44.7 at worst); leaving 6.4, one 4:2:0 photo at box 50
	   (40.5 against 44.3); leaving 8, none (worst 47.4 dB). 1/4 and 1/2
	   need 2. Against leaving 1.5 at every scale, this costs 4% at box
	   256 and nothing measurable at box 50, where Huffman decoding,
	   the same at every scale, is most of the time. */
	if (factor / 8 >= 8)
		return 8;
	for (int s = 4; s > 1; s /= 2)
		if (factor / s >= 2)
			return s;
	return 1;
}
