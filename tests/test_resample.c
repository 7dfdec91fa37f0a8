/*
 * resample: the fused blur and resize, against its definition (resample.h)
 * computed the literal way, in doubles (reference.h), and against libvips.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "helpers.h"
#include "reference.h"
#include "resample.h"

/* Resample a whole image in one push; the caller frees the result. */
static void *
run(const struct resample_spec *s, const void *in)
{
	size_t px = s->format == RESAMPLE_U8 ? 1 : s->format == RESAMPLE_U16 ?
	    2 : 4;
	size_t out_stride = (size_t)s->out_w * (size_t)s->bands * px;
	void *out = calloc((size_t)s->out_h, out_stride);
	struct resample *r = resample_new(s, out, out_stride);

	cr_assert_not_null(r, "resample_new: %s", strerror(errno));
	resample_push(r, in, (size_t)s->in_w * (size_t)s->bands * px,
	    s->in_h);
	resample_free(r);
	return out;
}

Test(resample, weights_sum_to_one_and_stay_in_the_image)
{
	static const struct {
		int in;
		double span;
		int out;
		double sigma;
	} cases[] = {
		{640, 640, 256, 2}, {640, 640, 256, 0}, {4000, 4000, 50, 0.25},
		{81, 80.125, 10, 1}, {256, 256, 256, 2}, {1, 1, 1, 5},
		{10000, 10000, 1, 2}, {7, 7, 3, 30}, {3, 3, 7, 0},
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct resample_axis *a = resample_axis_new(cases[c].in,
		    cases[c].span, cases[c].out, cases[c].sigma);

		cr_assert_not_null(a, "case %zu", c);
		for (int x = 0; x < a->out; x++) {
			double sum = 0;

			cr_assert(a->start[x] >= 0 && a->n[x] >= 1 &&
			    a->start[x] + a->n[x] <= cases[c].in &&
			    a->n[x] <= a->stride, "case %zu, x %d", c, x);
			for (int t = 0; t < a->n[x]; t++)
				sum += a->w[(size_t)x * a->stride + t];
			cr_assert_float_eq(sum, 1.0, 1e-5, "case %zu, x %d: "
			    "%.7f", c, x, sum);
		}
		resample_axis_free(a);
	}
}

Test(resample, nonsense_is_refused)
{
	cr_assert_null(resample_axis_new(0, 1, 1, 0));
	cr_assert_null(resample_axis_new(10, 11, 1, 0)); /* span > in */
	cr_assert_null(resample_axis_new(10, 10, 0, 0));
	cr_assert_null(resample_axis_new(10, 10, 5, -1));
	cr_assert_null(resample_axis_new(10, 10, 5, NAN));
	cr_assert_null(resample_new(&(struct resample_spec){.in_w = 4,
	    .in_h = 4, .out_w = 2, .out_h = 2, .bands = 5}, NULL, 0));
}

/* Noise of levels 0-255, as bytes and as the same floats. */
static uint8_t *
noise(int w, int h, unsigned seed, float **f)
{
	uint8_t *p = malloc((size_t)(w * h));

	*f = malloc(sizeof(float) * (size_t)(w * h));
	srand(seed);
	for (int i = 0; i < w * h; i++)
		(*f)[i] = p[i] = (uint8_t)(rand() % 256);
	return p;
}

/* Fused and literal (tests/reference.c) agree to what the definition
   allows, at every kind of ratio. */
Test(resample, fused_equals_blur_then_lanczos3)
{
	static const struct {
		int w, h, ow, oh;
		double sigma;
	} cases[] = {
		{64, 48, 25, 19, 2},  /* shrink and blur */
		{64, 48, 25, 19, 0},  /* plain Lanczos3 */
		{40, 30, 40, 30, 1.5}, /* scale 1: a Gaussian */
		{33, 17, 4, 2, 0.7},
		{1, 9, 1, 3, 1},      /* one pixel wide */
		{9, 1, 2, 1, 3},      /* one pixel tall */
		{500, 3, 1, 1, 2},    /* 500:1 */
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		int w = cases[c].w, h = cases[c].h;
		int ow = cases[c].ow, oh = cases[c].oh;
		float *in;
		uint8_t *bytes = noise(w, h, (unsigned)c + 1, &in);
		struct resample_spec s = {.in_w = w, .in_h = h, .out_w = ow,
		    .out_h = oh, .bands = 1, .format = RESAMPLE_FLOAT,
		    .sigma = cases[c].sigma};
		float *got = run(&s, in);
		double *want = reference_resample(bytes, w, h, 1, ow, oh,
		    cases[c].sigma);

		/* The trimmed tails (RESAMPLE_TRIM per axis) and float
		   sums: at most 2 x 255 / 2048 on levels 0-255. */
		for (int i = 0; i < ow * oh; i++)
			cr_assert_float_eq(got[i], want[i], 0.25, "case %zu, "
			    "pixel %d: %.5f, literal %.5f", c, i, got[i],
			    want[i]);
		free(bytes);
		free(in);
		free(got);
		free(want);
	}
}

/* A single bright pixel comes out as the kernel itself: at scale 1 the
   Gaussian of the definition, rows and columns alike. */
Test(resample, an_impulse_gives_the_gaussian)
{
	enum { N = 41 };
	static float in[N * N];
	const double sigma = 2.5;
	struct resample_spec s = {.in_w = N, .in_h = N, .out_w = N, .out_h = N,
	    .bands = 1, .format = RESAMPLE_FLOAT, .sigma = sigma};
	int radius = (int)floor(sigma * sqrt(-2 * log(RESAMPLE_GAUSS_MIN)));
	double g[N], gs = 0;
	float *out;

	in[(N / 2) * N + N / 2] = 1;
	out = run(&s, in);
	for (int d = -radius; d <= radius; d++)
		gs += g[d + radius] = exp(-d * d / (2 * sigma * sigma));
	cr_assert_eq(radius, 7); /* 2.5 sqrt(2 ln 100) = 7.6 */
	for (int y = 0; y < N; y++)
		for (int x = 0; x < N; x++) {
			int dx = x - N / 2, dy = y - N / 2;
			double want = abs(dx) > radius || abs(dy) > radius ? 0
			    : g[dx + radius] * g[dy + radius] / (gs * gs);

			cr_assert_float_eq(out[y * N + x], want, 1e-6,
			    "(%d, %d): %g, expected %g", dx, dy,
			    out[y * N + x], want);
		}
	free(out);
}

/* Constant in, the same constant out, exactly, in every format and at
   every size, extreme ratios and single pixels included. */
Test(resample, a_constant_image_stays_constant)
{
	static const int sizes[][4] = {
		{37, 23, 5, 3}, {1, 1, 1, 1}, {1, 1000, 1, 1},
		{10000, 2, 1, 1}, {7, 5, 7, 5}, {3, 4, 2, 9},
	};
	static const enum resample_format formats[] = {RESAMPLE_U8,
	    RESAMPLE_U16, RESAMPLE_FLOAT};
	static const double value[] = {200, 51234, 0.375};

	for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++)
	for (size_t f = 0; f < 3; f++)
	for (int bands = 1; bands <= 4; bands++) {
		int w = sizes[z][0], h = sizes[z][1];
		int ow = sizes[z][2], oh = sizes[z][3];
		size_t n = (size_t)w * h * bands, m = (size_t)ow * oh * bands;
		struct resample_spec s = {.in_w = w, .in_h = h, .out_w = ow,
		    .out_h = oh, .bands = bands, .format = formats[f],
		    .sigma = 1.7};
		uint8_t *u8 = malloc(n * 4);
		uint16_t *u16 = (uint16_t *)u8;
		float *fl = (float *)u8;
		void *out;

		for (size_t i = 0; i < n; i++) {
			if (f == 0)
				u8[i] = (uint8_t)value[0];
			else if (f == 1)
				u16[i] = (uint16_t)value[1];
			else
				fl[i] = (float)value[2];
		}
		out = run(&s, u8);
		for (size_t i = 0; i < m; i++) {
			double v = f == 0 ? ((uint8_t *)out)[i] : f == 1 ?
			    ((uint16_t *)out)[i] : ((float *)out)[i];

			cr_assert_float_eq(v, value[f], f == 2 ? 1e-6 : 0,
			    "%dx%d -> %dx%d, format %zu, %d bands: %g", w, h,
			    ow, oh, f, bands, v);
		}
		free(out);
		free(u8);
	}
}

/* Rows given one at a time or all at once: the same bytes. */
Test(resample, rows_may_come_in_any_pieces)
{
	enum { W = 97, H = 71, OW = 30, OH = 22, B = 3 };
	struct resample_spec s = {.in_w = W, .in_h = H, .out_w = OW,
	    .out_h = OH, .bands = B, .format = RESAMPLE_U8, .sigma = 2};
	uint8_t *in = malloc(W * H * B);
	uint8_t whole[OW * OH * B], pieces[OW * OH * B];
	struct resample *r;
	int y = 0;

	srand(7);
	for (int i = 0; i < W * H * B; i++)
		in[i] = (uint8_t)rand();
	r = resample_new(&s, whole, OW * B);
	resample_push(r, in, W * B, H);
	resample_free(r);
	r = resample_new(&s, pieces, OW * B);
	for (int step = 1; y < H; step = step % 5 + 1) {
		int n = y + step > H ? H - y : step;

		resample_push(r, in + (size_t)y * W * B, W * B, n);
		y += n;
	}
	resample_free(r);
	cr_assert_arr_eq(whole, pieces, sizeof(whole));
	free(in);
}

/* --- against libvips ----------------------------------------------------- */

/* An 8-bit sRGB image of a testdata file, in memory. */
static uint8_t *
load_u8(const char *name, int *w, int *h, int *bands)
{
	char *path = g_build_filename(TESTDATA, name, NULL);
	VipsImage *img = vips_image_new_from_file(path, NULL);
	size_t len;
	uint8_t *p;

	cr_assert_not_null(img, "%s", vips_error_buffer());
	cr_assert_eq(img->BandFmt, VIPS_FORMAT_UCHAR);
	*w = img->Xsize;
	*h = img->Ysize;
	*bands = img->Bands;
	p = vips_image_write_to_memory(img, &len);
	cr_assert_not_null(p);
	g_object_unref(img);
	g_free(path);
	return p;
}

/* Peak signal to noise between two 8-bit buffers, in dB. */
static double
psnr(const uint8_t *a, const uint8_t *b, size_t n)
{
	double se = 0;

	for (size_t i = 0; i < n; i++)
		se += (double)(a[i] - b[i]) * (a[i] - b[i]);
	return se == 0 ? 99 : 10 * log10(255.0 * 255 * n / se);
}

/* libvips' operation f applied to a w x h 8-bit image held in p. */
static uint8_t *
through_vips(const uint8_t *p, int w, int h, int bands,
    int (*f)(VipsImage *, VipsImage **, void *), void *arg, int ow, int oh)
{
	VipsImage *in = vips_image_new_from_memory(p, (size_t)w * h * bands, w,
	    h, bands, VIPS_FORMAT_UCHAR);
	VipsImage *out = NULL, *cast = NULL;
	uint8_t *res;
	size_t len;

	cr_assert_eq(f(in, &out, arg), 0, "%s", vips_error_buffer());
	cr_assert_eq(vips_cast(out, &cast, VIPS_FORMAT_UCHAR, NULL), 0);
	cr_assert(cast->Xsize == ow && cast->Ysize == oh, "%dx%d",
	    cast->Xsize, cast->Ysize);
	res = vips_image_write_to_memory(cast, &len);
	g_object_unref(cast);
	g_object_unref(out);
	g_object_unref(in);
	return res;
}

static int
vips_blur(VipsImage *in, VipsImage **out, void *sigma)
{
	VipsImage *f = NULL;
	int rc = vips_gaussblur(in, &f, *(double *)sigma, "min_ampl",
	    RESAMPLE_GAUSS_MIN, "precision", VIPS_PRECISION_FLOAT, NULL) ||
	    vips_round(f, out, VIPS_OPERATION_ROUND_RINT, NULL);

	VIPS_UNREF(f);
	return rc;
}

/* At scale 1 the fused pass is libvips' float Gaussian of the same
   definition, to within one level of rounding. */
Test(resample, scale_1_is_libvips_gaussian, .init = helper_init_vips)
{
	int w, h, b;
	uint8_t *in = load_u8("sunset.jpg", &w, &h, &b);
	double sigma = 2;
	struct resample_spec s = {.in_w = w, .in_h = h, .out_w = w,
	    .out_h = h, .bands = b, .format = RESAMPLE_U8, .sigma = sigma};
	uint8_t *got = run(&s, in);
	uint8_t *want = through_vips(in, w, h, b, vips_blur, &sigma, w, h);
	int most = 0;

	for (size_t i = 0; i < (size_t)w * h * b; i++)
		most = MAX(most, abs(got[i] - want[i]));
	cr_assert_leq(most, 1, "differs by %d levels", most);
	g_free(in);
	free(got);
	g_free(want);
}

struct size {
	int w, h;
};

static int
vips_lanczos(VipsImage *in, VipsImage **out, void *arg)
{
	const struct size *s = arg;

	return vips_resize(in, out, (double)s->w / in->Xsize, "vscale",
	    (double)s->h / in->Ysize, "gap", 0.0, NULL);
}

/*
 * Without a blur the fused pass is libvips' Lanczos3 resize at the full
 * ratio. libvips works in fixed point on 8-bit images (6-bit
 * coefficients), so the two agree only so far: measured 51.8-57.2 dB on
 * these images; the bound is 50 dB (a centre off by a tenth of a pixel
 * gives 49.3 on aitzgorri.tif).
 */
Test(resample, sigma_0_matches_libvips_resize, .init = helper_init_vips)
{
	static const char *const names[] = {"sunset.jpg", "umang.webp",
	    "seeding.jpg", "aitzgorri.tif"};

	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		int w, h, b;
		uint8_t *in = load_u8(names[i], &w, &h, &b);
		struct size out = {256, (int)lround(256.0 * h / w)};
		struct resample_spec s = {.in_w = w, .in_h = h, .out_w = out.w,
		    .out_h = out.h, .bands = b, .format = RESAMPLE_U8};
		uint8_t *got = run(&s, in);
		uint8_t *want = through_vips(in, w, h, b, vips_lanczos, &out,
		    out.w, out.h);
		double db = psnr(got, want, (size_t)out.w * out.h * b);

		fprintf(stderr, "resample: %s to %dx%d: %.2f dB against "
		    "vips_resize\n", names[i], out.w, out.h, db);
		cr_expect_geq(db, 50, "%s: %.2f dB", names[i], db);
		g_free(in);
		free(got);
		g_free(want);
	}
}
