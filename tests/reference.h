/*
 * reference: blur then resize the literal way, in doubles, for tests to
 * measure pthumb against.
 *
 * Written apart from src/resample.c and without its fusion: first the
 * Gaussian (exp(-d^2 / 2 sigma^2) at whole pixel offsets, cut below 0.01
 * of its peak, normalised), then Lanczos3 at the full ratio (centre of
 * output x at (x + 0.5) * in / out - 0.5, support 3 * max(1, in / out),
 * normalised), edges extended for both, one axis after the other. Slow
 * and exact: no rounding until the caller's.
 */
#ifndef PTHUMB_TEST_REFERENCE_H
#define PTHUMB_TEST_REFERENCE_H

#include <stdint.h>

/* The w x h 8-bit image (bands interleaved) blurred by sigma and resized
   to ow x oh: ow * oh * bands doubles, to free(). */
double *reference_resample(const uint8_t *in, int w, int h, int bands,
    int ow, int oh, double sigma);

#endif
