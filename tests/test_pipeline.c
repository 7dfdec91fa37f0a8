/*
 * pipeline: the pixel pipeline alone, on images made in memory: no
 * files, no fork, no pool.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <vips/vips.h>

#include "helpers.h"
#include "pipeline.h"

static void
init_process(void)
{
	helper_init_vips();
	pipeline_init_process(true);
}

TestSuite(pipeline, .init = init_process);

/* A w x h image in `suffix`'s format, encoded in memory: vertical stripes
   one pixel wide, black and white, in every band. */
static void *
stripes(int w, int h, int bands, const char *suffix, size_t *len)
{
	VipsImage *x, *y, *z;
	void *buf = NULL;

	cr_assert_eq(vips_xyz(&x, w, h, NULL), 0);
	/* (x mod 2) * 255 of the x band. */
	cr_assert_eq(vips_extract_band(x, &y, 0, NULL), 0);
	g_object_unref(x);
	cr_assert_eq(vips_remainder_const1(y, &x, 2, NULL), 0);
	g_object_unref(y);
	cr_assert_eq(vips_linear1(x, &y, 255, 0, "uchar", TRUE, NULL), 0);
	g_object_unref(x);
	z = y;
	if (bands > 1) {
		VipsImage *in[4] = {y, y, y, y};

		cr_assert_eq(vips_bandjoin(in, &z, bands, NULL), 0);
		g_object_unref(y);
	}
	cr_assert_eq(vips_image_write_to_buffer(z, suffix, &buf, len, NULL),
	    0);
	g_object_unref(z);
	return buf;
}

/* The bytes in blob decoded: a new image. */
static VipsImage *
decoded(VipsBlob *blob)
{
	size_t len;
	const void *data = vips_blob_get(blob, &len);
	VipsImage *img = vips_image_new_from_buffer(data, len, "", NULL);
	VipsImage *mem;

	cr_assert_not_null(img, "%s", vips_error_buffer());
	/* Read more than once. */
	mem = vips_image_copy_memory(img);
	cr_assert_not_null(mem);
	g_object_unref(img);
	return mem;
}

static double
mean(VipsImage *img)
{
	double m;

	cr_assert_eq(vips_avg(img, &m, NULL), 0);
	return m;
}

static double
deviation(VipsImage *img)
{
	double d;

	cr_assert_eq(vips_deviate(img, &d, NULL), 0);
	return d;
}

/* One thumbnail of src, as PNG, in a bw x bh box with blur sigma: the
   decoded image, and the result in *r. */
static VipsImage *
make(const struct thumb_src *src, double sigma, int bw, int bh,
    struct result *r)
{
	struct thumb_opts o = {.width = bw, .height = bh, .nboxes = 1,
	    .blur = sigma, .max_pixels = 1 << 30};
	struct pipeline *p = pipeline_new(&o, NULL);
	VipsBlob *blob;
	VipsImage *img;

	memset(r, 0, sizeof(*r));
	cr_assert_eq(pipeline_make(p, src, VIPS_FAIL_ON_ERROR, bw, bh, ".png",
	    &blob, r), 0, "%s", vips_error_buffer());
	img = decoded(blob);
	vips_area_unref(VIPS_AREA(blob));
	pipeline_free(p);
	return img;
}

/* The classic job: blur, then fit the box, keeping the aspect. */
Test(pipeline, fits_the_box_and_blurs)
{
	struct thumb_src src = {.fd = -1};
	void *png = stripes(400, 300, 3, ".png", &src.len);
	struct result r;
	VipsImage *img;

	src.data = png;
	img = make(&src, 2, 50, 50, &r);
	cr_assert_eq(r.width, 400);
	cr_assert_eq(r.height, 300);
	cr_assert_eq(r.out_width, 50);
	cr_assert_eq(r.out_height, 38);
	cr_assert_eq(img->Xsize, 50);
	cr_assert_eq(img->Ysize, 38);
	cr_assert_eq(img->Bands, 3);
	/* Stripes average to mid grey. */
	cr_assert_float_eq(mean(img), 127.5, 2.0);
	g_object_unref(img);

	/* At full size the stripes stay without a blur, and a blur of 2
	   pixels leaves a few percent of them. */
	img = make(&src, 0, 400, 300, &r);
	cr_assert_eq(img->Xsize, 400);
	cr_assert_gt(deviation(img), 100.0, "%g", deviation(img));
	g_object_unref(img);
	img = make(&src, 2, 400, 300, &r);
	cr_assert_lt(deviation(img), 10.0, "%g", deviation(img));
	cr_assert_float_eq(mean(img), 127.5, 2.0);
	g_object_unref(img);
	g_free(png);
}

/* Alpha goes where the format has none: flattened on the background. */
Test(pipeline, flattens_onto_the_background_for_jpeg)
{
	struct thumb_opts o = {.width = 20, .height = 20, .nboxes = 1,
	    .background = {255, 255, 255}, .max_pixels = 1 << 30};
	struct pipeline *p = pipeline_new(&o, NULL);
	struct thumb_src src = {.fd = -1};
	struct result r = {0};
	VipsBlob *blob;
	VipsImage *img;
	void *png = stripes(40, 40, 4, ".png", &src.len);

	src.data = png;
	cr_assert_eq(pipeline_make(p, &src, VIPS_FAIL_ON_ERROR, 20, 20, ".jpg",
	    &blob, &r), 0, "%s", vips_error_buffer());
	img = decoded(blob);
	cr_assert_eq(img->Bands, 3);
	cr_assert_eq(img->Xsize, 20);
	/* Half the pixels were transparent: on white they are white. */
	cr_assert_gt(mean(img), 180.0, "%g", mean(img));
	g_object_unref(img);
	vips_area_unref(VIPS_AREA(blob));
	pipeline_free(p);
	g_free(png);
}

/* One load, several boxes; and a refusal before any pixel is decoded. */
Test(pipeline, one_load_many_boxes_and_refusals)
{
	struct thumb_opts o = {.width = 64, .height = 64, .nboxes = 1,
	    .max_pixels = 1 << 30};
	const struct thumb_box boxes[] = {{.width = 64, .height = 64},
	    {.width = 16, .height = 16}};
	struct pipeline *p = pipeline_new(&o, NULL);
	VipsObject *ctx = VIPS_OBJECT(vips_image_new());
	struct thumb_src src = {.fd = -1};
	struct pipeline_image loaded;
	struct result r = {0};
	void *jpg = stripes(256, 128, 3, ".jpg", &src.len);

	src.data = jpg;
	cr_assert_eq(pipeline_load(p, ctx, &src, VIPS_FAIL_ON_ERROR, boxes, 2,
	    &loaded, &r), 0);
	/* Decoded once, for both boxes. */
	cr_assert_eq(pipeline_decode(ctx, &loaded, &r), 0);
	for (int i = 0; i < 2; i++) {
		VipsBlob *blob;
		VipsImage *img;

		r.out_width = 0;
		cr_assert_eq(pipeline_save(p, &loaded, boxes[i].width,
		    boxes[i].height, ".webp", &blob, &r), 0);
		img = decoded(blob);
		cr_assert_eq(img->Xsize, boxes[i].width);
		cr_assert_eq(img->Ysize, boxes[i].height / 2);
		cr_assert_eq(r.out_width, boxes[i].width);
		g_object_unref(img);
		vips_area_unref(VIPS_AREA(blob));
	}
	g_object_unref(ctx);

	o.max_pixels = 256 * 128 - 1;
	ctx = VIPS_OBJECT(vips_image_new());
	memset(&r, 0, sizeof(r));
	cr_assert_eq(pipeline_load(p, ctx, &src, VIPS_FAIL_ON_ERROR, boxes, 1,
	    &loaded, &r), PIPELINE_REFUSED);
	cr_assert_not_null(strstr(r.error, "over --max-pixels"), "%s",
	    r.error);
	g_object_unref(ctx);
	pipeline_free(p);
	g_free(jpg);
}

Test(pipeline, what_libvips_can_save)
{
	cr_assert(pipeline_can_save(".png"));
	cr_assert(pipeline_can_save(".JPG"));
	cr_assert(pipeline_can_save(".avif"), "through the HEIF saver");
	cr_assert_not(pipeline_can_save(".pdf"));
	cr_assert_not(pipeline_can_save(""));
}
