/*
 * icc: which profiles count as sRGB. Profiles are built here with lcms2
 * from published primaries, and libvips' own sRGB profile is asked of
 * libvips.
 */
#include <criterion/criterion.h>
#include <lcms2.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "helpers.h"
#include "icc.h"

/* sRGB's and Display P3's primaries, and D65. */
static const cmsCIExyY d65 = {0.3127, 0.3290, 1.0};
static const cmsCIExyYTRIPLE srgb_primaries = {
	{0.640, 0.330, 1.0}, {0.300, 0.600, 1.0}, {0.150, 0.060, 1.0}};
static const cmsCIExyYTRIPLE p3_primaries = {
	{0.680, 0.320, 1.0}, {0.265, 0.690, 1.0}, {0.150, 0.060, 1.0}};
static const cmsCIExyYTRIPLE adobe_primaries = {
	{0.640, 0.330, 1.0}, {0.210, 0.710, 1.0}, {0.150, 0.060, 1.0}};

/* sRGB's tone curve: parametric type 4 in lcms2's numbering. */
static cmsToneCurve *
srgb_curve(void)
{
	const cmsFloat64Number p[5] = {2.4, 1 / 1.055, 0.055 / 1.055,
	    1 / 12.92, 0.04045};

	return cmsBuildParametricToneCurve(NULL, 4, p);
}

/* The profile's bytes (free them), with description desc if not NULL. */
static unsigned char *
bytes_of(cmsHPROFILE h, const char *desc, size_t *len)
{
	cmsUInt32Number n = 0;
	unsigned char *p;

	if (desc != NULL) {
		cmsMLU *mlu = cmsMLUalloc(NULL, 1);

		cmsMLUsetASCII(mlu, "en", "US", desc);
		cr_assert(cmsWriteTag(h, cmsSigProfileDescriptionTag, mlu));
		cmsMLUfree(mlu);
	}
	cr_assert(cmsSaveProfileToMem(h, NULL, &n));
	p = malloc(n);
	cr_assert(cmsSaveProfileToMem(h, p, &n));
	cmsCloseProfile(h);
	*len = n;
	return p;
}

static unsigned char *
rgb_profile(const cmsCIExyYTRIPLE *primaries, cmsToneCurve *curve,
    const char *desc, size_t *len)
{
	cmsToneCurve *curves[3] = {curve, curve, curve};
	cmsHPROFILE h = cmsCreateRGBProfile(&d65, primaries, curves);
	unsigned char *p;

	cr_assert_not_null(h);
	cmsSetProfileVersion(h, 2.1);
	p = bytes_of(h, desc, len);
	cmsFreeToneCurve(curve);
	return p;
}

Test(icc, srgb_profiles_are_recognised)
{
	size_t len;
	unsigned char *p = bytes_of(cmsCreate_sRGBProfile(), NULL, &len);
	VipsBlob *blob = NULL;
	const void *data;

	cr_assert(icc_is_srgb(p, len), "lcms2's sRGB");
	free(p);
	p = rgb_profile(&srgb_primaries, srgb_curve(), "my screen", &len);
	cr_assert(icc_is_srgb(p, len), "sRGB primaries and curve");
	free(p);
	helper_init_vips();
	cr_assert_eq(vips_profile_load("srgb", &blob, NULL), 0);
	data = vips_blob_get(blob, &len);
	cr_assert(icc_is_srgb(data, len), "libvips' sRGB");
	vips_area_unref(VIPS_AREA(blob));
}

Test(icc, a_table_curve_is_read)
{
	cmsToneCurve *s = srgb_curve();
	cmsUInt16Number table[1024];
	size_t len;
	unsigned char *p;

	for (int i = 0; i < 1024; i++)
		table[i] = cmsEvalToneCurve16(s, (cmsUInt16Number)(i * 65535 /
		    1023));
	cmsFreeToneCurve(s);
	p = rgb_profile(&srgb_primaries, cmsBuildTabulatedToneCurve16(NULL,
	    1024, table), NULL, &len);
	cr_assert(icc_is_srgb(p, len), "sRGB as a 1024-entry table, as in "
	    "HP's sRGB profile");
	free(p);
}

Test(icc, other_profiles_are_not_srgb)
{
	cmsToneCurve *gamma;
	size_t len;
	unsigned char *p;

	p = rgb_profile(&p3_primaries, srgb_curve(), NULL, &len);
	cr_assert_not(icc_is_srgb(p, len), "Display P3");
	free(p);
	/* The description is only a name. */
	p = rgb_profile(&p3_primaries, srgb_curve(), "sRGB IEC61966-2.1",
	    &len);
	cr_assert_not(icc_is_srgb(p, len), "P3 that calls itself sRGB");
	free(p);
	p = rgb_profile(&adobe_primaries, cmsBuildGamma(NULL, 563.0 / 256),
	    NULL, &len);
	cr_assert_not(icc_is_srgb(p, len), "Adobe RGB (1998)");
	free(p);
	p = rgb_profile(&srgb_primaries, cmsBuildGamma(NULL, 2.2), NULL, &len);
	cr_assert_not(icc_is_srgb(p, len), "sRGB primaries, gamma 2.2");
	free(p);
	p = rgb_profile(&srgb_primaries, cmsBuildGamma(NULL, 1.0), NULL, &len);
	cr_assert_not(icc_is_srgb(p, len), "linear sRGB");
	free(p);
	gamma = cmsBuildGamma(NULL, 2.2);
	p = bytes_of(cmsCreateGrayProfile(cmsD50_xyY(), gamma), NULL, &len);
	cmsFreeToneCurve(gamma);
	cr_assert_not(icc_is_srgb(p, len), "grey");
	free(p);
}

/* Lookup tables would be used instead of the matrix: not sRGB, whatever
   the colorants say. */
Test(icc, a_profile_with_tables_is_not_srgb)
{
	cmsHPROFILE h = cmsCreate_sRGBProfile();
	cmsPipeline *lut = cmsPipelineAlloc(NULL, 3, 3);
	size_t len;
	unsigned char *p;

	cr_assert(cmsWriteTag(h, cmsSigAToB0Tag, lut));
	cmsPipelineFree(lut);
	p = bytes_of(h, NULL, &len);
	cr_assert_not(icc_is_srgb(p, len));
	free(p);
}

/* Every truncation, and damage to every header and tag-table byte, is
   read safely (the sanitizers watch) and never taken for sRGB. */
Test(icc, damaged_profiles_are_read_safely)
{
	size_t len;
	unsigned char *p = bytes_of(cmsCreate_sRGBProfile(), NULL, &len);

	cr_assert(icc_is_srgb(p, len));
	for (size_t n = 0; n < len; n++) {
		unsigned char *cut = malloc(n ? n : 1);

		memcpy(cut, p, n);
		cr_assert_not(icc_is_srgb(cut, n), "cut to %zu bytes", n);
		free(cut);
	}
	for (size_t i = 0; i < 132 + 12 * 20 && i < len; i++) {
		unsigned char keep = p[i];

		p[i] = 0xff;
		(void)icc_is_srgb(p, len);
		p[i] = keep;
	}
	cr_assert_not(icc_is_srgb(NULL, 0));
	free(p);
}
