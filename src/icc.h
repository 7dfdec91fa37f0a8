/*
 * icc: recognise an embedded ICC profile that is sRGB, from its bytes.
 *
 * Converting pixels from an sRGB profile to sRGB changes none of them,
 * yet building the colour transform costs about 6 ms an image, more than
 * the whole pipeline of a small JPEG. A profile counts as sRGB by what it
 * does, never by its description: an RGB display profile whose red, green
 * and blue colorants are sRGB's (D50-adapted, within ICC_COLORANT_TOLERANCE
 * in XYZ) and whose three tone curves are sRGB's (every 8-bit level lands
 * within ICC_CURVE_TOLERANCE of a level of its own), and which carries no
 * lookup tables (a colour engine would use those instead of the matrix).
 * Anything else, or anything malformed, is not sRGB and gets converted.
 *
 * Knows no libvips: bytes in, a yes or a no out.
 */
#ifndef PTHUMB_ICC_H
#define PTHUMB_ICC_H

#include <stdbool.h>
#include <stddef.h>

/* A colorant this far off in X, Y or Z moves a pixel by about half a
   level at most (estimated through sRGB's inverse matrix, not measured);
   libvips' own sRGB profile is 0.00026 off the ICC's, and converting
   between the two changed no pixel of the corpus photos. */
#define ICC_COLORANT_TOLERANCE 0.0005

/* In 8-bit levels, after the curve and sRGB's inverse. */
#define ICC_CURVE_TOLERANCE 0.25

bool icc_is_srgb(const void *profile, size_t len);

#endif
