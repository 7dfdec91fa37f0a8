/*
 * icc: is this profile sRGB? (see icc.h)
 *
 * The parts of an ICC profile read here (ICC.1:2010, the same in version
 * 2): a 128-byte header (class at 12, colour space at 16, connection space
 * at 20, 'acsp' at 36), then a tag count and 12-byte entries {signature,
 * offset, size}. Colorants are XYZType ('XYZ ', 4 reserved bytes, three
 * s15Fixed16 numbers); tone curves are curveType ('curv', 4 reserved, a
 * count, then: none = identity, one u8Fixed8 gamma, or a table of 16-bit
 * values) or parametricCurveType ('para', 4 reserved, a function type, 2
 * reserved, s15Fixed16 parameters). Everything big-endian.
 */
#include "icc.h"

#include <math.h>   /* pow, fabs */
#include <stdint.h> /* uint32_t, int32_t */
#include <string.h> /* memcmp */

/* sRGB's colorants adapted to D50, as the ICC's own sRGB profiles give
   them (IEC 61966-2-1 primaries, Bradford adaptation). */
static const double srgb_colorants[3][3] = {
	{0.4361, 0.2225, 0.0139}, /* rXYZ */
	{0.3851, 0.7169, 0.0971}, /* gXYZ */
	{0.1431, 0.0606, 0.7141}, /* bXYZ */
};

struct profile {
	const unsigned char *p;
	size_t len;
};

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static double
s15f16(const unsigned char *p)
{
	return (int32_t)be32(p) / 65536.0;
}

/* The tag's bytes, or NULL when it is absent or runs off the end. */
static const unsigned char *
find_tag(const struct profile *pr, const char *sig, uint32_t *size)
{
	uint32_t n = be32(pr->p + 128);

	if (n > (pr->len - 132) / 12)
		return NULL;
	for (uint32_t i = 0; i < n; i++) {
		const unsigned char *e = pr->p + 132 + 12 * (size_t)i;
		uint32_t off = be32(e + 4), len = be32(e + 8);

		if (memcmp(e, sig, 4) != 0)
			continue;
		if (off > pr->len || len > pr->len - off || len < 8)
			return NULL;
		*size = len;
		return pr->p + off;
	}
	return NULL;
}

static bool
colorant_is_srgb(const struct profile *pr, const char *sig, int k)
{
	uint32_t size;
	const unsigned char *t = find_tag(pr, sig, &size);

	if (t == NULL || size < 20 || memcmp(t, "XYZ ", 4) != 0)
		return false;
	for (int c = 0; c < 3; c++)
		if (fabs(s15f16(t + 8 + 4 * c) - srgb_colorants[k][c]) >
		    ICC_COLORANT_TOLERANCE)
			return false;
	return true;
}

/* sRGB's encoding of linear light v. */
static double
srgb_encode(double v)
{
	return v <= 0.0031308 ? 12.92 * v : 1.055 * pow(v, 1 / 2.4) - 0.055;
}

/* The curve at x in [0, 1], or -1 if it cannot be read. */
static double
curve_at(const unsigned char *t, uint32_t size, double x)
{
	if (memcmp(t, "curv", 4) == 0 && size >= 12) {
		uint32_t n = be32(t + 8);
		double pos, f;
		size_t i;

		if (n > (size - 12) / 2)
			return -1;
		if (n == 0)
			return x;
		if (n == 1)
			return pow(x, (t[12] << 8 | t[13]) / 256.0);
		pos = x * (n - 1);
		i = (size_t)pos;
		if (i >= n - 1)
			return (t[12 + 2 * (n - 1)] << 8 | t[13 + 2 * (n - 1)]) /
			    65535.0;
		f = pos - i;
		return ((1 - f) * (t[12 + 2 * i] << 8 | t[13 + 2 * i]) +
		    f * (t[14 + 2 * i] << 8 | t[15 + 2 * i])) / 65535.0;
	}
	if (memcmp(t, "para", 4) == 0 && size >= 16) {
		static const int nparams[] = {1, 3, 4, 5, 7};
		int type = t[8] << 8 | t[9];
		double g[7] = {0};

		if (type > 4 || size < 12 + 4 * (uint32_t)nparams[type])
			return -1;
		for (int i = 0; i < nparams[type]; i++)
			g[i] = s15f16(t + 12 + 4 * i);
		/* Y = (aX + b)^g from d on, cX + f below (types 3, 4). */
		switch (type) {
		case 0:
			return pow(x, g[0]);
		case 1:
			return x >= -g[2] / g[1] ? pow(g[1] * x + g[2], g[0])
			    : 0;
		case 2:
			return x >= -g[2] / g[1] ? pow(g[1] * x + g[2], g[0]) +
			    g[3] : g[3];
		case 3:
			return x >= g[4] ? pow(g[1] * x + g[2], g[0])
			    : g[3] * x;
		default:
			return x >= g[4] ? pow(g[1] * x + g[2], g[0]) + g[5]
			    : g[3] * x + g[6];
		}
	}
	return -1;
}

static bool
curve_is_srgb(const struct profile *pr, const char *sig)
{
	uint32_t size;
	const unsigned char *t = find_tag(pr, sig, &size);

	if (t == NULL)
		return false;
	for (int level = 0; level < 256; level++) {
		double v = curve_at(t, size, level / 255.0);

		if (!(v >= 0) || fabs(255 * srgb_encode(v) - level) >
		    ICC_CURVE_TOLERANCE)
			return false;
	}
	return true;
}

bool
icc_is_srgb(const void *profile, size_t len)
{
	static const char *const luts[] = {"A2B0", "A2B1", "A2B2", "B2A0",
	    "B2A1", "B2A2", "D2B0", "B2D0"};
	const struct profile pr = {profile, len};
	uint32_t size;

	if (profile == NULL || len < 132 || be32(pr.p) > len ||
	    memcmp(pr.p + 12, "mntr", 4) != 0
	    || memcmp(pr.p + 16, "RGB ", 4) != 0 ||
	    memcmp(pr.p + 20, "XYZ ", 4) != 0 ||
	    memcmp(pr.p + 36, "acsp", 4) != 0)
		return false;
	for (size_t i = 0; i < sizeof(luts) / sizeof(luts[0]); i++)
		if (find_tag(&pr, luts[i], &size) != NULL)
			return false;
	return colorant_is_srgb(&pr, "rXYZ", 0) &&
	    colorant_is_srgb(&pr, "gXYZ", 1) &&
	    colorant_is_srgb(&pr, "bXYZ", 2) && curve_is_srgb(&pr, "rTRC") &&
	    curve_is_srgb(&pr, "gTRC") && curve_is_srgb(&pr, "bTRC");
}
