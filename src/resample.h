/*
 * resample: a Gaussian blur and a Lanczos3 resize in one pass.
 *
 * Blurring and then resizing are two linear, separable filters, so per
 * axis they are one: output pixel x is sum_j K(x, j) in(j), with
 * K(x, j) = sum_i L(x, i) G(j - i), L the Lanczos3 kernel stretched to the
 * reduction ratio and G the Gaussian. K is worked out once per output
 * column and once per output row; the pixels then go through one
 * horizontal and one vertical pass. The blur costs a slightly wider kernel
 * on work the resize does anyway, and nothing is built per image but two
 * small weight tables. At scale 1 the same code is a plain Gaussian.
 *
 * The definitions, so that --exact (libvips' convolution and resize) can
 * compute the same thing the slow way:
 * - The Gaussian of sigma s is exp(-d^2 / 2s^2) sampled at whole pixel
 *   offsets d, kept while it is at least RESAMPLE_GAUSS_MIN of its peak
 *   (libvips' gaussmat with min_ampl RESAMPLE_GAUSS_MIN), normalised to
 *   sum 1.
 * - Output pixel x of an axis that maps `span` input pixels onto `out`
 *   centres on input position c = (x + 0.5) * span / out - 0.5, and takes
 *   Lanczos3 over (i - c) / max(1, span / out), normalised to sum 1.
 * - Edges extend: a tap beyond the image reads its edge pixel, for the
 *   blur and for the resize, as libvips does.
 * - The two make one kernel per output pixel; taps at its ends that weigh
 *   under RESAMPLE_TRIM together are dropped and the rest renormalised
 *   (a quarter of the taps of a 2:1 reduction at sigma 2, and never more
 *   than an eighth of an 8-bit level per axis).
 *
 * Precision: weights and sums are single-precision floats, each output
 * value rounded once at the end (8 and 16 bits: to nearest, clamped to
 * the type's range; float: as computed). Float sums are done in one fixed
 * order, element by element, so the bytes are the same on every machine
 * and whatever the compiler vectorises; build with -ffp-contract=off.
 *
 * Knows no files and no libvips: pixels in, pixels out, rows in order, so
 * that a large image never needs a whole float copy in memory.
 */
#ifndef PTHUMB_RESAMPLE_H
#define PTHUMB_RESAMPLE_H

#include <stddef.h>

/* The Gaussian's cut-off, a fraction of its peak (3.03 sigma). */
#define RESAMPLE_GAUSS_MIN 0.01

/* The weight of kernel tails dropped, per output pixel and axis. */
#define RESAMPLE_TRIM (1.0 / 2048)

enum resample_format { RESAMPLE_U8, RESAMPLE_U16, RESAMPLE_FLOAT };

/* The weights of one axis: output index x reads inputs start[x] ..
   start[x] + n[x] - 1 with weights w[x * stride] ...; the windows end in
   order (start[x] + n[x] never decreases). */
struct resample_axis {
	int out;
	int *start, *n;
	int stride; /* the most taps of any output index */
	float *w;
};

/*
 * The weights of an axis of `in` pixels, of which the first `span` (at
 * most in, at least 1: a decoder that shrinks rounds its size up) are the
 * source, onto `out` pixels, blurred by sigma input pixels (0: none).
 * Returns NULL (errno ENOMEM or EINVAL) if the table cannot be made.
 */
struct resample_axis *resample_axis_new(int in, double span, int out,
    double sigma);
void resample_axis_free(struct resample_axis *a);

struct resample_spec {
	int in_w, in_h;        /* the pixels given */
	double span_w, span_h; /* the source they cover; 0: in_w, in_h */
	int out_w, out_h;
	int bands;             /* 1 to 4, interleaved */
	enum resample_format format; /* of input and output alike */
	double sigma;          /* the blur, in input pixels; 0: none */
};

struct resample;

/*
 * A resampler writing into out, whose rows are out_stride bytes apart
 * (the caller owns it). Returns NULL with errno set on a bad spec or
 * when memory is short.
 */
struct resample *resample_new(const struct resample_spec *s, void *out,
    size_t out_stride);

/*
 * The next n input rows, top to bottom, stride bytes apart. Output rows
 * are written as soon as their inputs are in; after the last input row
 * every output row is.
 */
void resample_push(struct resample *r, const void *rows, size_t stride,
    int n);

void resample_free(struct resample *r);

#endif
