/*
 * reference: the literal blur and Lanczos3 in doubles (see reference.h).
 * Rows are blurred and resized across as they come, so the whole image is
 * never held in doubles, only its resized-across rows.
 */
#include "reference.h"

#include <math.h>
#include <stdlib.h>

static int
clampi(int v, int n)
{
	return v < 0 ? 0 : v >= n ? n - 1 : v;
}

static double
lanczos3(double x)
{
	if (x == 0)
		return 1;
	if (fabs(x) >= 3)
		return 0;
	return 3 * sin(M_PI * x) * sin(M_PI * x / 3) / (M_PI * M_PI * x * x);
}

/* The normalised Gaussian, g[0 .. 2 * radius]. */
static double *
gaussian(double sigma, int *radius)
{
	double *g, sum = 0;

	*radius = sigma > 0 ? (int)floor(sigma * sqrt(-2 * log(0.01))) : 0;
	g = malloc(sizeof(double) * (size_t)(2 * *radius + 1));
	if (g == NULL)
		abort();
	for (int d = -*radius; d <= *radius; d++)
		sum += g[d + *radius] = sigma > 0 ? exp(-(double)d * d /
		    (2 * sigma * sigma)) : 1;
	for (int d = 0; d <= 2 * *radius; d++)
		g[d] /= sum;
	return g;
}

/* n values, stride apart, through the Gaussian into b[]. */
static void
blur(const double *in, size_t stride, int n, const double *g, int radius,
    double *b)
{
	for (int k = 0; k < n; k++) {
		double s = 0;

		for (int d = -radius; d <= radius; d++)
			s += g[d + radius] * in[(size_t)clampi(k + d, n) * stride];
		b[k] = s;
	}
}

/* Lanczos3 from n values to out: for output x, taps first[x] and on,
   weights w[x * taps ...], normalised. */
struct lanczos {
	int taps, *first;
	double *w;
};

static struct lanczos
lanczos_new(int n, int out)
{
	double scale = (double)n / out, fs = scale > 1 ? scale : 1;
	struct lanczos l = {.taps = (int)ceil(6 * fs) + 2};

	l.first = malloc(sizeof(int) * (size_t)out);
	l.w = calloc((size_t)out * (size_t)l.taps, sizeof(double));
	if (l.first == NULL || l.w == NULL)
		abort();
	for (int x = 0; x < out; x++) {
		double c = (x + 0.5) * scale - 0.5, sum = 0;
		double *w = l.w + (size_t)x * l.taps;

		l.first[x] = (int)floor(c - 3 * fs);
		for (int t = 0; t < l.taps; t++)
			sum += w[t] = lanczos3((l.first[x] + t - c) / fs);
		for (int t = 0; t < l.taps; t++)
			w[t] /= sum;
	}
	return l;
}

/* b[0 .. n-1] resized to out values, res_stride apart. */
static void
lanczos(const struct lanczos *l, const double *b, int n, int out,
    double *res, size_t res_stride)
{
	for (int x = 0; x < out; x++) {
		const double *w = l->w + (size_t)x * l->taps;
		double s = 0;

		for (int t = 0; t < l->taps; t++)
			s += w[t] * b[clampi(l->first[x] + t, n)];
		res[(size_t)x * res_stride] = s;
	}
}

double *
reference_resample(const uint8_t *in, int w, int h, int bands, int ow,
    int oh, double sigma)
{
	size_t across = (size_t)ow * bands;
	double *rows = malloc(sizeof(double) * (size_t)h * across);
	double *line = malloc(sizeof(double) * (size_t)(w > h ? w : h));
	double *b = malloc(sizeof(double) * (size_t)(w > h ? w : h));
	double *out = malloc(sizeof(double) * (size_t)oh * across);
	struct lanczos lw = lanczos_new(w, ow), lh = lanczos_new(h, oh);
	int radius;
	double *g = gaussian(sigma, &radius);

	if (rows == NULL || line == NULL || b == NULL || out == NULL)
		abort();
	for (int y = 0; y < h; y++)
		for (int c = 0; c < bands; c++) {
			const uint8_t *p = in + (size_t)y * w * bands + c;

			for (int x = 0; x < w; x++)
				line[x] = p[(size_t)x * bands];
			blur(line, 1, w, g, radius, b);
			lanczos(&lw, b, w, ow, rows + (size_t)y * across + c,
			    bands);
		}
	for (size_t i = 0; i < across; i++) {
		blur(rows + i, across, h, g, radius, b);
		lanczos(&lh, b, h, oh, out + i, across);
	}
	free(lw.first);
	free(lw.w);
	free(lh.first);
	free(lh.w);
	free(g);
	free(rows);
	free(line);
	free(b);
	return out;
}
