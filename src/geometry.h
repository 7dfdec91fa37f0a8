/*
 * geometry: the size of a thumbnail in its box, and how much a decoder may
 * shrink an image while it decodes. Plain arithmetic, no libvips.
 */
#ifndef PTHUMB_GEOMETRY_H
#define PTHUMB_GEOMETRY_H

/*
 * The shrink-on-load factor (1, 2, 4 or 8) for an image of w x h pixels
 * that must shrink by `factor` in all: the JPEG decoder's DCT scaling,
 * WebP's scaled decode, or a box filter after decoding other formats.
 */
int geometry_load_shrink(int w, int h, double factor);

/*
 * The size of the thumbnail of a w x h image in a bw x bh box: the side
 * that limits is exactly the box, the other is rounded; never enlarged.
 */
void geometry_fit(int w, int h, int bw, int bh, int *tw, int *th);

/*
 * The size to resize a w x h image to so that it covers a bw x bh box
 * (--crop): the side that limits is exactly the box, the other at least
 * the box; never enlarged.
 */
void geometry_cover(int w, int h, int bw, int bh, int *tw, int *th);

#endif
