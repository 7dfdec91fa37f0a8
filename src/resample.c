/*
 * resample: the fused blur and resize (see resample.h).
 *
 * Input rows are turned into floats as they arrive and kept in a ring of
 * as many rows as the vertical kernel is tall. As soon as an output row's
 * last input row is in, the vertical pass sums its rows across the whole
 * width, then the horizontal pass resizes that one row. Vertical first:
 * its sums are independent element by element, so they vectorise and
 * stream, while the horizontal pass, one dependent chain of sums per
 * pixel, runs on output rows only (measured on 480x360 to 256x192, sigma
 * 2, fastest of several runs: 2.3 ms against 4.2 ms horizontal first).
 *
 * Pixels of 3 and 4 bands are held as four floats, so that a tap is one
 * vector multiply and add (GCC's vector extension: the same element-wise
 * arithmetic, in the same order, on every target); 1 and 2 bands stay
 * scalar. The horizontal sum of a pixel runs as four interleaved partial
 * sums, added at the end, (s0 + s1) + (s2 + s3): a fixed order, so still
 * the same bytes everywhere, and four times shorter chains of dependent
 * additions.
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
	int px;         /* floats per pixel across: 1, 2 or 4 */
	size_t nvec;    /* v4sf in an input row as floats (bands to a pixel) */
	v4sf *ring;     /* cap input rows: row k in slot k % cap */
	int cap;
	const v4sf **rows; /* the ring rows of the output row being made */
	v4sf *acc;      /* their vertical sums */
	v4sf *padded;   /* three bands: those sums at four floats a pixel */
	v4sf *w4;       /* three or four: h's weights, each four times */
	v4sf *across;   /* that row resized across */
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
 * The taps k[0 .. n-1] of input start0 without the ends that weigh under
 * RESAMPLE_TRIM together, moved to k[0], normalised to sum 1. Returns
 * their number; their first input is in *start.
 */
static int
trim(double *k, int n, int start0, int *start)
{
	double cut = 0, sum = 0;
	int lo = 0, hi = n - 1;

	while (lo < hi) {
		double a = fabs(k[lo]), b = fabs(k[hi]);

		if (cut + MIN(a, b) > RESAMPLE_TRIM)
			break;
		cut += MIN(a, b);
		if (a <= b)
			lo++;
		else
			hi--;
	}
	for (int j = lo; j <= hi; j++)
		sum += k[j];
	for (int j = lo; j <= hi; j++)
		k[j - lo] = k[j] / sum;
	*start = start0 + lo;
	return hi - lo + 1;
}

/*
 * Output index x: Lanczos3 taps i around its centre (their values in l[],
 * scratch), each spread over the Gaussian, every index clamped to the
 * image, into k[] from k[0] = input start. Returns the number of taps.
 */
static int
axis_taps(int in, double scale, const double *g, int radius, int x,
    double *l, double *k, int *start)
{
	double fs = scale > 1 ? scale : 1, support = 3 * fs;
	double c = (x + 0.5) * scale - 0.5, lsum = 0;
	int lo = (int)floor(c - support) + 1, hi = (int)ceil(c + support) - 1;
	int jlo = clampi(clampi(lo, 0, in - 1) - radius, 0, in - 1);
	int jhi = clampi(clampi(hi, 0, in - 1) + radius, 0, in - 1);

	for (int i = lo; i <= hi; i++)
		lsum += l[i - lo] = lanczos3((i - c) / fs);
	memset(k, 0, sizeof(*k) * (size_t)(jhi - jlo + 1));
	for (int i = lo; i <= hi; i++) {
		double li = l[i - lo] / lsum;
		int b = clampi(i, 0, in - 1);

		for (int d = -radius; d <= radius; d++)
			k[clampi(b + d, 0, in - 1) - jlo] += li * g[d + radius];
	}
	return trim(k, jhi - jlo + 1, jlo, start);
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
	double *g = NULL, *k = NULL, *l = NULL;
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
	l = malloc(sizeof(*l) * (size_t)(ceil(6 * fs) + 2));
	if (a == NULL || g == NULL || k == NULL || l == NULL)
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

		a->n[x] = axis_taps(in, scale, g, radius, x, l, k,
		    &a->start[x]);
		for (int j = 0; j < a->n[x]; j++)
			w[j] = (float)k[j];
		/* Trimming can end a window before the one to its left:
		   where it would, zero weights stretch it, so that windows
		   end in order (resample_push relies on it). */
		if (x > 0 && a->start[x] + a->n[x] < a->start[x - 1] +
		    a->n[x - 1])
			a->n[x] = a->start[x - 1] + a->n[x - 1] - a->start[x];
	}
	free(g);
	free(k);
	free(l);
	return a;
fail:
	free(g);
	free(k);
	free(l);
	resample_axis_free(a);
	errno = ENOMEM;
	return NULL;
}

/* --- the passes --------------------------------------------------------- */

/*
 * One input row into floats, as they are: the vertical pass works element
 * by element and needs no pixels. Bytes through a table: a load and a
 * store each, where a conversion is four instructions at the x86-64
 * baseline.
 */
#define X4(i) (float)(i), (float)(i) + 1, (float)(i) + 2, (float)(i) + 3
#define X16(i) X4(i), X4((i) + 4), X4((i) + 8), X4((i) + 12)
#define X64(i) X16(i), X16((i) + 16), X16((i) + 32), X16((i) + 48)
static const float byte_value[256] = {X64(0), X64(64), X64(128), X64(192)};

static void
u8_to_float(const uint8_t *p, float *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		f[i] = byte_value[p[i]];
}

static void
u16_to_float(const uint16_t *p, float *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		f[i] = p[i];
}

static void
row_to_float(const struct resample *r, const void *row, float *f)
{
	size_t n = (size_t)r->s.in_w * (size_t)r->s.bands;

	if (r->s.format == RESAMPLE_U8)
		u8_to_float(row, f, n);
	else if (r->s.format == RESAMPLE_U16)
		u16_to_float(row, f, n);
	else
		memcpy(f, row, n * sizeof(float));
}

/* A row of three-band pixels as four floats each, for hpass4. */
static void
pad_to_4(const float *in, int w, v4sf *out)
{
	for (int x = 0; x < w; x++)
		out[x] = (v4sf){in[3 * x], in[3 * x + 1], in[3 * x + 2], 0};
}

/* Four floats to a pixel; w4 holds each weight four times over, so that
   a tap is a load, a multiply and an add. */
static void
hpass4(const struct resample_axis *a, const v4sf *w4, const v4sf *in,
    v4sf *out)
{
	for (int x = 0; x < a->out; x++) {
		const v4sf *w = w4 + (size_t)x * (size_t)a->stride;
		const v4sf *p = in + a->start[x];
		v4sf s0 = {0, 0, 0, 0}, s1 = s0, s2 = s0, s3 = s0;
		int n = a->n[x], t = 0;

		for (; t + 4 <= n; t += 4) {
			s0 += w[t] * p[t];
			s1 += w[t + 1] * p[t + 1];
			s2 += w[t + 2] * p[t + 2];
			s3 += w[t + 3] * p[t + 3];
		}
		for (; t < n; t++)
			s0 += w[t] * p[t];
		out[x] = (s0 + s1) + (s2 + s3);
	}
}

/* One or two bands: px floats to a pixel. */
static void
hpass_scalar(const struct resample_axis *a, int px, const float *in,
    float *out)
{
	for (int x = 0; x < a->out; x++) {
		const float *w = a->w + (size_t)x * (size_t)a->stride;

		for (int c = 0; c < px; c++) {
			const float *p = in + px * a->start[x] + c;
			float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
			int n = a->n[x], t = 0;

			for (; t + 4 <= n; t += 4) {
				s0 += w[t] * p[px * t];
				s1 += w[t + 1] * p[px * (t + 1)];
				s2 += w[t + 2] * p[px * (t + 2)];
				s3 += w[t + 3] * p[px * (t + 3)];
			}
			for (; t < n; t++)
				s0 += w[t] * p[px * t];
			out[px * x + c] = (s0 + s1) + (s2 + s3);
		}
	}
}

static float
clampf(float v, float hi)
{
	return v < 0 ? 0 : v > hi ? hi : v;
}

/* The finished output row into the caller's pixels, rounded once. */
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

/* Output row y: its input rows summed down, each element over the taps
   in order, then resized across. */
static void
emit_row(struct resample *r, int y)
{
	const struct resample_axis *v = r->v;
	const float *w = v->w + (size_t)y * (size_t)v->stride;
	const v4sf **rows = r->rows;
	v4sf *acc = r->acc;
	int n = v->n[y];
	size_t i = 0;

	for (int t = 0; t < n; t++)
		rows[t] = r->ring + (size_t)((v->start[y] + t) % r->cap) *
		    r->nvec;
	/* Four vectors at a time stay in registers over all the taps. */
	for (; i + 4 <= r->nvec; i += 4) {
		v4sf s0 = {0, 0, 0, 0}, s1 = s0, s2 = s0, s3 = s0;

		for (int t = 0; t < n; t++) {
			const v4sf *row = rows[t] + i;

			s0 += w[t] * row[0];
			s1 += w[t] * row[1];
			s2 += w[t] * row[2];
			s3 += w[t] * row[3];
		}
		acc[i] = s0;
		acc[i + 1] = s1;
		acc[i + 2] = s2;
		acc[i + 3] = s3;
	}
	for (; i < r->nvec; i++) {
		v4sf s0 = {0, 0, 0, 0};

		for (int t = 0; t < n; t++)
			s0 += w[t] * rows[t][i];
		acc[i] = s0;
	}
	if (r->s.bands == 3) {
		pad_to_4((const float *)acc, r->s.in_w, r->padded);
		hpass4(r->h, r->w4, r->padded, r->across);
	} else if (r->s.bands == 4) {
		hpass4(r->h, r->w4, acc, r->across);
	} else
		hpass_scalar(r->h, r->px, (const float *)acc,
		    (float *)r->across);
	put_row(r, (const float *)r->across, r->out + (size_t)y *
	    r->out_stride);
}

void
resample_push(struct resample *r, const void *rows, size_t stride, int n)
{
	const unsigned char *p = rows;

	for (int i = 0; i < n; i++, p += stride) {
		int k = r->next_in++;

		if (k < r->first_in || k > r->last_in)
			continue;
		row_to_float(r, p, (float *)(r->ring + (size_t)(k % r->cap) *
		    r->nvec));
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
	free(r->ring);
	free(r->acc);
	free(r->across);
	free(r->padded);
	free(r->w4);
	free(r->rows);
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
	r->nvec = ((size_t)s->in_w * (size_t)s->bands + 3) / 4;
	if ((r->h = resample_axis_new(s->in_w, sw, s->out_w, s->sigma)) ==
	    NULL || (r->v = resample_axis_new(s->in_h, sh, s->out_h,
	    s->sigma)) == NULL)
		goto fail;
	for (int y = 0; y < s->out_h; y++)
		r->cap = r->v->n[y] > r->cap ? r->v->n[y] : r->cap;
	r->first_in = r->v->start[0];
	for (int y = 1; y < s->out_h; y++)
		r->first_in = MIN(r->first_in, r->v->start[y]);
	r->last_in = r->v->start[s->out_h - 1] + r->v->n[s->out_h - 1] - 1;
	if ((size_t)r->cap > SIZE_MAX / sizeof(v4sf) / r->nvec) {
		errno = ENOMEM;
		goto fail;
	}
	r->ring = alloc_vec((size_t)r->cap * r->nvec * 4);
	r->acc = alloc_vec(r->nvec * 4);
	r->across = alloc_vec((size_t)s->out_w * (size_t)r->px);
	r->rows = malloc(sizeof(*r->rows) * (size_t)r->cap);
	if (s->bands == 3)
		r->padded = alloc_vec((size_t)s->in_w * 4);
	if (s->bands >= 3)
		r->w4 = alloc_vec((size_t)s->out_w * (size_t)r->h->stride * 4);
	if (r->ring == NULL || r->acc == NULL || r->across == NULL ||
	    r->rows == NULL || (s->bands == 3 && r->padded == NULL) ||
	    (s->bands >= 3 && r->w4 == NULL)) {
		errno = ENOMEM;
		goto fail;
	}
	for (size_t i = 0; s->bands >= 3 && i < (size_t)s->out_w *
	    (size_t)r->h->stride; i++)
		r->w4[i] = (v4sf){0, 0, 0, 0} + r->h->w[i];
	return r;
fail:
	resample_free(r);
	return NULL;
}
