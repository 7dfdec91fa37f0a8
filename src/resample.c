/*
 * resample: the fused blur and resize (see resample.h).
 *
 * The horizontal pass runs on each input row as it arrives and keeps its
 * result in a ring of as many rows as the vertical kernel is tall; each
 * output row is summed from the ring as soon as its last input row is in.
 * Pixels of 3 and 4 bands are held as four floats, so that a tap is one
 * vector multiply and add (GCC's vector extension: the same element-wise
 * arithmetic, in the same order, on every target); 1 and 2 bands stay
 * scalar.
 */
#include "resample.h"

#include <errno.h>  /* errno, EINVAL, ENOMEM */
#include <math.h>   /* exp, floor, ceil, sin, log, sqrt, isfinite */
#include <stdint.h> /* uint8_t, uint16_t, SIZE_MAX */
#include <stdlib.h> /* aligned_alloc, calloc, free */
#include <string.h> /* memset */

typedef float v4sf __attribute__((vector_size(16)));

#define MIN(a, b) ((a) < (b) ? (a) : (b))

struct resample {
	struct resample_spec s;
	struct resample_axis *h, *v;
	int px;         /* floats per pixel in the passes: 1, 2 or 4 */
	size_t nvec;    /* v4sf in a horizontally filtered row */
	float *in_row;  /* the input row being filtered, as floats */
	v4sf *ring;     /* cap filtered rows: input row k in slot k % cap */
	int cap;
	v4sf *acc;      /* the output row being summed */
	unsigned char *out;
	size_t out_stride;
	int next_in, next_out;
	int first_in, last_in; /* the input rows any output row reads */
};

static double
lanczos3(double x)
{
	double px = M_PI * x;

	if (x == 0)
		return 1;
	if (x <= -3 || x >= 3)
		return 0;
	return 3 * sin(px) * sin(px / 3) / (px * px);
}

/* The Gaussian's radius in whole pixels: the last offset at or above
   RESAMPLE_GAUSS_MIN of the peak, as libvips' gaussmat counts it. */
static int
gauss_radius(double sigma)
{
	if (sigma <= 0)
		return 0;
	return (int)floor(sigma * sqrt(-2 * log(RESAMPLE_GAUSS_MIN)));
}

/* g[0 .. 2R], normalised; g[R] is the centre. */
static void
gauss_fill(double sigma, int radius, double *g)
{
	double sum = 0;

	for (int d = -radius; d <= radius; d++) {
		g[d + radius] = sigma > 0 ? exp(-d * d / (2 * sigma * sigma))
		    : 1;
		sum += g[d + radius];
	}
	for (int d = 0; d <= 2 * radius; d++)
		g[d] /= sum;
}

static int
clampi(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/*
 * Output index x: Lanczos3 taps i around its centre, each spread over the
 * Gaussian, every index clamped to the image, into k[] from k[0] = input
 * start. Returns the number of taps.
 */
static int
axis_taps(int in, double scale, const double *g, int radius, int x,
    double *k, int *start)
{
	double fs = scale > 1 ? scale : 1, support = 3 * fs;
	double c = (x + 0.5) * scale - 0.5, lsum = 0;
	int lo = (int)floor(c - support) + 1, hi = (int)ceil(c + support) - 1;
	int jlo = clampi(clampi(lo, 0, in - 1) - radius, 0, in - 1);
	int jhi = clampi(clampi(hi, 0, in - 1) + radius, 0, in - 1);
	double ksum = 0;

	for (int i = lo; i <= hi; i++)
		lsum += lanczos3((i - c) / fs);
	memset(k, 0, sizeof(*k) * (size_t)(jhi - jlo + 1));
	for (int i = lo; i <= hi; i++) {
		double l = lanczos3((i - c) / fs) / lsum;
		int b = clampi(i, 0, in - 1);

		for (int d = -radius; d <= radius; d++)
			k[clampi(b + d, 0, in - 1) - jlo] += l * g[d + radius];
	}
	for (int j = 0; j <= jhi - jlo; j++)
		ksum += k[j];
	for (int j = 0; j <= jhi - jlo; j++)
		k[j] /= ksum;
	*start = jlo;
	return jhi - jlo + 1;
}

void
resample_axis_free(struct resample_axis *a)
{
	if (a == NULL)
		return;
	free(a->start);
	free(a->n);
	free(a->w);
	free(a);
}

struct resample_axis *
resample_axis_new(int in, double span, int out, double sigma)
{
	struct resample_axis *a = NULL;
	double scale = span / out, fs = scale > 1 ? scale : 1;
	double *g = NULL, *k = NULL;
	int radius, bound;

	if (in < 1 || out < 1 || !(span >= 1 && span <= in) ||
	    !(sigma >= 0 && sigma <= 1e4)) {
		errno = EINVAL;
		return NULL;
	}
	radius = gauss_radius(sigma);
	/* Taps: the Lanczos window, widened by the Gaussian, within the
	   image. */
	bound = (int)MIN((double)in, ceil(6 * fs) + 2 + 2.0 * radius);
	if ((size_t)out > SIZE_MAX / sizeof(float) / (size_t)bound) {
		errno = ENOMEM;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	g = malloc(sizeof(*g) * (size_t)(2 * radius + 1));
	k = malloc(sizeof(*k) * (size_t)bound);
	if (a == NULL || g == NULL || k == NULL)
		goto fail;
	a->out = out;
	a->stride = bound;
	a->start = malloc(sizeof(int) * (size_t)out);
	a->n = malloc(sizeof(int) * (size_t)out);
	a->w = calloc((size_t)out * (size_t)bound, sizeof(float));
	if (a->start == NULL || a->n == NULL || a->w == NULL)
		goto fail;
	gauss_fill(sigma, radius, g);
	for (int x = 0; x < out; x++) {
		float *w = a->w + (size_t)x * (size_t)bound;

		a->n[x] = axis_taps(in, scale, g, radius, x, k, &a->start[x]);
		for (int j = 0; j < a->n[x]; j++)
			w[j] = (float)k[j];
	}
	free(g);
	free(k);
	return a;
fail:
	free(g);
	free(k);
	resample_axis_free(a);
	errno = ENOMEM;
	return NULL;
}

/* --- the passes --------------------------------------------------------- */

/* One input row into floats, px to a pixel (bands padded with 0). */
static void
row_to_float(const struct resample *r, const void *row, float *f)
{
	int w = r->s.in_w, b = r->s.bands, px = r->px;

	switch (r->s.format) {
	case RESAMPLE_U8: {
		const uint8_t *p = row;

		for (int x = 0; x < w; x++)
			for (int c = 0; c < b; c++)
				f[x * px + c] = p[x * b + c];
		break;
	}
	case RESAMPLE_U16: {
		const uint16_t *p = row;

		for (int x = 0; x < w; x++)
			for (int c = 0; c < b; c++)
				f[x * px + c] = p[x * b + c];
		break;
	}
	case RESAMPLE_FLOAT: {
		const float *p = row;

		for (int x = 0; x < w; x++)
			for (int c = 0; c < b; c++)
				f[x * px + c] = p[x * b + c];
		break;
	}
	}
}

static void
hpass4(const struct resample_axis *a, const v4sf *in, v4sf *out)
{
	for (int x = 0; x < a->out; x++) {
		const float *w = a->w + (size_t)x * (size_t)a->stride;
		const v4sf *p = in + a->start[x];
		v4sf sum = {0, 0, 0, 0};

		for (int t = 0; t < a->n[x]; t++)
			sum += w[t] * p[t];
		out[x] = sum;
	}
}

static void
hpass2(const struct resample_axis *a, const float *in, float *out)
{
	for (int x = 0; x < a->out; x++) {
		const float *w = a->w + (size_t)x * (size_t)a->stride;
		const float *p = in + 2 * a->start[x];
		float s0 = 0, s1 = 0;

		for (int t = 0; t < a->n[x]; t++) {
			s0 += w[t] * p[2 * t];
			s1 += w[t] * p[2 * t + 1];
		}
		out[2 * x] = s0;
		out[2 * x + 1] = s1;
	}
}

static void
hpass1(const struct resample_axis *a, const float *in, float *out)
{
	for (int x = 0; x < a->out; x++) {
		const float *w = a->w + (size_t)x * (size_t)a->stride;
		const float *p = in + a->start[x];
		float s = 0;

		for (int t = 0; t < a->n[x]; t++)
			s += w[t] * p[t];
		out[x] = s;
	}
}

/* Input row k, filtered horizontally, into its ring slot. */
static void
take_row(struct resample *r, const void *row, int k)
{
	v4sf *slot = r->ring + (size_t)(k % r->cap) * r->nvec;

	row_to_float(r, row, r->in_row);
	if (r->px == 4)
		hpass4(r->h, (const v4sf *)r->in_row, slot);
	else if (r->px == 2)
		hpass2(r->h, r->in_row, (float *)slot);
	else
		hpass1(r->h, r->in_row, (float *)slot);
}

static float
clampf(float v, float hi)
{
	return v < 0 ? 0 : v > hi ? hi : v;
}

/* The summed output row into the caller's pixels, rounded once. */
static void
put_row(const struct resample *r, const float *f, void *row)
{
	int w = r->s.out_w, b = r->s.bands, px = r->px;

	switch (r->s.format) {
	case RESAMPLE_U8: {
		uint8_t *p = row;

		for (int x = 0; x < w; x++)
			for (int c = 0; c < b; c++)
				p[x * b + c] = (uint8_t)(clampf(f[x * px + c],
				    255) + 0.5f);
		break;
	}
	case RESAMPLE_U16: {
		uint16_t *p = row;

		for (int x = 0; x < w; x++)
			for (int c = 0; c < b; c++)
				p[x * b + c] = (uint16_t)(clampf(f[x * px + c],
				    65535) + 0.5f);
		break;
	}
	case RESAMPLE_FLOAT: {
		float *p = row;

		for (int x = 0; x < w; x++)
			for (int c = 0; c < b; c++)
				p[x * b + c] = f[x * px + c];
		break;
	}
	}
}

/* Output row y from the ring: each element summed over the taps in
   order. */
static void
emit_row(struct resample *r, int y)
{
	const struct resample_axis *v = r->v;
	const float *w = v->w + (size_t)y * (size_t)v->stride;
	v4sf *acc = r->acc;

	for (size_t i = 0; i < r->nvec; i++)
		acc[i] = (v4sf){0, 0, 0, 0};
	for (int t = 0; t < v->n[y]; t++) {
		const v4sf *row = r->ring + (size_t)((v->start[y] + t) %
		    r->cap) * r->nvec;
		float wt = w[t];

		for (size_t i = 0; i < r->nvec; i++)
			acc[i] += wt * row[i];
	}
	put_row(r, (const float *)acc, r->out + (size_t)y * r->out_stride);
}

void
resample_push(struct resample *r, const void *rows, size_t stride, int n)
{
	const unsigned char *p = rows;

	for (int i = 0; i < n; i++, p += stride) {
		int k = r->next_in++;

		if (k < r->first_in || k > r->last_in)
			continue;
		take_row(r, p, k);
		while (r->next_out < r->s.out_h &&
		    r->v->start[r->next_out] + r->v->n[r->next_out] <= k + 1)
			emit_row(r, r->next_out++);
	}
}

/* --- set-up ------------------------------------------------------------- */

static void *
alloc_vec(size_t floats)
{
	size_t bytes = (floats + 3) / 4 * sizeof(v4sf);
	void *p = aligned_alloc(sizeof(v4sf), bytes);

	if (p != NULL)
		memset(p, 0, bytes);
	return p;
}

void
resample_free(struct resample *r)
{
	if (r == NULL)
		return;
	resample_axis_free(r->h);
	resample_axis_free(r->v);
	free(r->in_row);
	free(r->ring);
	free(r->acc);
	free(r);
}

struct resample *
resample_new(const struct resample_spec *s, void *out, size_t out_stride)
{
	struct resample *r;
	double sw = s->span_w > 0 ? s->span_w : s->in_w;
	double sh = s->span_h > 0 ? s->span_h : s->in_h;

	if (s->bands < 1 || s->bands > 4 || s->in_w < 1 || s->in_h < 1 ||
	    s->out_w < 1 || s->out_h < 1) {
		errno = EINVAL;
		return NULL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->s = *s;
	r->out = out;
	r->out_stride = out_stride;
	r->px = s->bands > 2 ? 4 : s->bands;
	r->nvec = ((size_t)s->out_w * (size_t)r->px + 3) / 4;
	if ((r->h = resample_axis_new(s->in_w, sw, s->out_w, s->sigma)) ==
	    NULL || (r->v = resample_axis_new(s->in_h, sh, s->out_h,
	    s->sigma)) == NULL)
		goto fail;
	for (int y = 0; y < s->out_h; y++)
		r->cap = r->v->n[y] > r->cap ? r->v->n[y] : r->cap;
	r->first_in = r->v->start[0];
	r->last_in = r->v->start[s->out_h - 1] + r->v->n[s->out_h - 1] - 1;
	if ((size_t)r->cap > SIZE_MAX / sizeof(v4sf) / r->nvec) {
		errno = ENOMEM;
		goto fail;
	}
	r->in_row = alloc_vec((size_t)s->in_w * (size_t)r->px);
	r->ring = alloc_vec((size_t)r->cap * r->nvec * 4);
	r->acc = alloc_vec(r->nvec * 4);
	if (r->in_row == NULL || r->ring == NULL || r->acc == NULL) {
		errno = ENOMEM;
		goto fail;
	}
	return r;
fail:
	resample_free(r);
	return NULL;
}
