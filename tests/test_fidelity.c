/*
 * The fast pipeline (shrink-on-load, then the fused blur and resize)
 * against the literal one (--exact: full decode, libvips' blur and
 * resize): PSNR at least 38 dB on average and 30 dB on every image, at box
 * 50 and 256 with blur 2 and at box 1200 with blur 15; on testdata/ and on
 * the corpus photos (box 1200 on eight of them). And both against the
 * operation computed in doubles (reference.h), where the fused pass must
 * beat libvips' integer pipeline on every photo. Corpus tests skip with a
 * message when the photos have not been fetched, and take three photos
 * under the sanitizers.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <glib.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <vips/vips.h>

#include "helpers.h"
#include "reference.h"
#include "resample.h" /* RESAMPLE_GAUSS_MIN */

TestSuite(fidelity, .init = helper_init_vips, .timeout = 600);

static const struct {
	const char *size, *blur;
} configs[] = {
	{"50", "2"},
	{"256", "2"},
	{"1200", "15"},
};

/* Compare every thumbnail under fast/ with its twin under exact/. */
static void
compare_tree(const char *fast, const char *exact, const char *rel,
    double *sum, double *min, int *n)
{
	char *dir = g_build_filename(fast, rel, NULL);
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	cr_assert_not_null(d, "cannot open %s", dir);
	while ((name = g_dir_read_name(d)) != NULL) {
		char *sub = g_build_filename(rel, name, NULL);
		char *a = g_build_filename(fast, sub, NULL);
		char *b = g_build_filename(exact, sub, NULL);

		if (g_file_test(a, G_FILE_TEST_IS_DIR)) {
			compare_tree(fast, exact, sub, sum, min, n);
		} else {
			double db = helper_psnr(a, b);

			cr_assert_geq(db, 0, "cannot compare %s", sub);
			cr_log_info("%6.2f dB  %s", db, sub);
			cr_expect_geq(db, 30.0, "%s: %.2f dB < 30", sub, db);
			*sum += db;
			*min = db < *min ? db : *min;
			(*n)++;
		}
		g_free(a);
		g_free(b);
		g_free(sub);
	}
	g_dir_close(d);
	g_free(dir);
}

static gint
by_name(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The corpus photos, sorted: all of them, or three under the sanitizers,
   which make the float reference ten times slower. */
static GPtrArray *
corpus_photos(void)
{
	const char *dir = helper_corpus_photos();
	GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
	GDir *d;
	const char *name;

	if (dir == NULL)
		cr_skip_test("no corpus photos: run ../shared/corpus/get-photos.sh"
		    " (or set PTHUMB_CORPUS) to include them");
	d = g_dir_open(dir, 0, NULL);
	cr_assert_not_null(d);
	while ((name = g_dir_read_name(d)) != NULL)
		g_ptr_array_add(paths, g_build_filename(dir, name, NULL));
	g_dir_close(d);
	g_ptr_array_sort(paths, by_name);
#ifdef __SANITIZE_ADDRESS__
	g_ptr_array_set_size(paths, MIN(paths->len, 3));
#endif
	return paths;
}

/* A new folder of links to the first n photos, for pthumb to walk. */
static char *
link_photos(GPtrArray *photos, guint n)
{
	char *dir = helper_tmpdir();

	for (guint i = 0; i < n && i < photos->len; i++) {
		char *base = g_path_get_basename(photos->pdata[i]);
		char *link = g_build_filename(dir, base, NULL);

		cr_assert_eq(symlink(photos->pdata[i], link), 0);
		g_free(link);
		g_free(base);
	}
	return dir;
}

/* Configs [from, to) on the images under input. */
static void
check_fidelity(const char *input, int expect_files, size_t from, size_t to)
{
	char *dir = helper_tmpdir();

	for (size_t c = from; c < to; c++) {
		char *fast = g_strdup_printf("%s/fast-%s", dir, configs[c].size);
		char *exact = g_strdup_printf("%s/exact-%s", dir,
		    configs[c].size);
		const char *const a[] = {"-q", "-s", configs[c].size, "-b",
		    configs[c].blur, "-o", fast, input, NULL};
		const char *const b[] = {"-q", "--exact", "-s", configs[c].size,
		    "-b", configs[c].blur, "-o", exact, input, NULL};
		double sum = 0, min = 1e9;
		int n = 0;
		struct ran r;

		helper_run(&r, a);
		cr_assert_eq(r.status, 0, "%s", r.err);
		helper_run_free(&r);
		helper_run(&r, b);
		cr_assert_eq(r.status, 0, "%s", r.err);
		helper_run_free(&r);
		compare_tree(fast, exact, "", &sum, &min, &n);
		cr_assert_eq(n, expect_files);
		cr_log_info("box %s blur %s: %d images, mean %.2f dB, min %.2f dB",
		    configs[c].size, configs[c].blur, n, sum / n, min);
		fprintf(stderr, "fidelity %s: box %s blur %s: %d images, mean "
		    "%.2f dB, min %.2f dB\n", input, configs[c].size,
		    configs[c].blur, n, sum / n, min);
		cr_assert_geq(sum / n, 38.0, "mean %.2f dB < 38", sum / n);
		g_free(fast);
		g_free(exact);
	}
	helper_rmtree(dir);
	g_free(dir);
}

Test(fidelity, fast_matches_exact_on_testdata)
{
	check_fidelity(TESTDATA, TESTDATA_IMAGES, 0, G_N_ELEMENTS(configs));
}

/* Why the tests over the corpus photos are left to make check: minutes of
   arithmetic on photos, three times slower under the sanitizers, through
   the code fast_matches_exact_on_testdata runs there too. */
#define CORPUS_WHY "the corpus photos' fidelity is measured by make check; " \
    "the same code runs here on testdata"

/* Every photo at box 50 and 256; box 1200 with blur 15, where --exact's
   float convolution of 91 taps over whole photos takes minutes, on the
   first eight. */
Test(fidelity, fast_matches_exact_on_the_corpus_photos)
{
	GPtrArray *photos;

	helper_skip_under_sanitizers(CORPUS_WHY);
	photos = corpus_photos();
	guint few = MIN(photos->len, 8);
	char *all = link_photos(photos, photos->len);
	char *some = link_photos(photos, few);

	check_fidelity(all, (int)photos->len, 0, 2);
	check_fidelity(some, (int)few, 2, 3);
	helper_rmtree(all);
	helper_rmtree(some);
	g_free(all);
	g_free(some);
	g_ptr_array_unref(photos);
}

/* The same bounds for the formats shrunk by a box filter (PNG, TIFF) or
   by the WebP decoder, made here from the testdata photo over 2 MP. */
Test(fidelity, fast_matches_exact_on_other_formats)
{
	static const char *const formats[] = {"png", "tif", "webp[Q=95]"};
	char *dir = helper_tmpdir();
	char *in = g_build_filename(dir, "in", NULL);
	VipsImage *src;

	cr_assert_eq(g_mkdir_with_parents(in, 0755), 0);
	src = vips_image_new_from_file(TESTDATA "/seeding.jpg", NULL);
	cr_assert_not_null(src);
	cr_assert_gt((long long)src->Xsize * src->Ysize, 2000000,
	    "the photo must be large enough to be shrunk");
	for (size_t i = 0; i < G_N_ELEMENTS(formats); i++) {
		char *name = g_strdup_printf("%s/seeding-%zu.%s", in, i,
		    formats[i]);

		cr_assert_eq(vips_image_write_to_file(src, name, NULL), 0, "%s",
		    vips_error_buffer());
		g_free(name);
	}
	g_object_unref(src);
	check_fidelity(in, G_N_ELEMENTS(formats), 0, G_N_ELEMENTS(configs));
	helper_rmtree(dir);
	g_free(in);
	g_free(dir);
}

/* --- against the literal operation in doubles ---------------------------- */

/* An image file as 8-bit pixels in memory, upright and in sRGB, as pthumb
   sees it before resizing; g_free() the result. The image too, in *keep,
   unless keep is NULL. */
static uint8_t *
upright_srgb(const char *path, int *w, int *h, int *bands, VipsImage **keep)
{
	VipsImage *t[4] = {NULL};
	uint8_t *p;
	size_t len;

	t[0] = vips_image_new_from_file(path, NULL);
	cr_assert_not_null(t[0], "%s: %s", path, vips_error_buffer());
	cr_assert_eq(vips_autorot(t[0], &t[1], NULL), 0);
	if (vips_image_get_typeof(t[1], VIPS_META_ICC_NAME) != 0)
		cr_assert_eq(vips_icc_transform(t[1], &t[2], "srgb",
		    "embedded", TRUE, NULL), 0, "%s", vips_error_buffer());
	else
		t[2] = g_object_ref(t[1]);
	cr_assert_eq(vips_cast(t[2], &t[3], VIPS_FORMAT_UCHAR, NULL), 0);
	p = vips_image_write_to_memory(t[3], &len);
	cr_assert_not_null(p);
	*w = t[3]->Xsize;
	*h = t[3]->Ysize;
	*bands = t[3]->Bands;
	if (keep != NULL)
		*keep = g_object_ref(t[3]);
	for (int i = 0; i < 4; i++)
		VIPS_UNREF(t[i]);
	return p;
}

/* libvips' literal integer pipeline: the same Gaussian at integer
   precision, then vips_resize, into ow x oh. */
static uint8_t *
libvips_integer(VipsImage *in, double sigma, int ow, int oh)
{
	VipsImage *t[4] = {NULL};
	uint8_t *p;
	size_t len;

	/* Blurred into memory first: the resize asks for a few rows at a
	   time, and each request would blur again. */
	cr_assert_eq(vips_gaussblur(in, &t[0], sigma, "min_ampl",
	    RESAMPLE_GAUSS_MIN, NULL), 0);
	cr_assert_not_null(t[1] = vips_image_copy_memory(t[0]));
	cr_assert_eq(vips_resize(t[1], &t[2], (double)ow / in->Xsize,
	    "vscale", (double)oh / in->Ysize, NULL), 0);
	cr_assert_eq(vips_cast(t[2], &t[3], VIPS_FORMAT_UCHAR, NULL), 0);
	cr_assert(t[3]->Xsize == ow && t[3]->Ysize == oh);
	p = vips_image_write_to_memory(t[3], &len);
	for (int i = 0; i < 4; i++)
		VIPS_UNREF(t[i]);
	return p;
}

static double
psnr_of(const uint8_t *a, const double *ref, size_t n)
{
	double se = 0;

	for (size_t i = 0; i < n; i++) {
		double d = a[i] - CLAMP(round(ref[i]), 0, 255);

		se += d * d;
	}
	return se == 0 ? 99 : 10 * log10(255.0 * 255 * n / se);
}

/*
 * Against the literal operation in doubles (reference.h), the fused pass,
 * shrink-on-load and all, comes closer than libvips' integer pipeline on
 * every photo. The thumbnails are PNG so that no encoder stands between.
 */
static void
check_reference(const char *box)
{
	const double sigma = 2;
	GPtrArray *photos = corpus_photos();
	char *dir = helper_tmpdir();
	const char **args = g_new0(const char *, photos->len + 10);
	double sum_fused = 0, sum_int = 0, worst_fused = 99, worst_int = 99;
	struct ran r;
	int n = 0;

	for (const char *a[] = {"-q", "-f", "png", "-s", box, "-b", "2", "-o",
	    dir, NULL}; a[n] != NULL; n++)
		args[n] = a[n];
	for (guint i = 0; i < photos->len; i++)
		args[n + i] = photos->pdata[i];
	helper_run(&r, args);
	cr_assert_eq(r.status, 0, "%s", r.err);
	helper_run_free(&r);
	for (guint i = 0; i < photos->len; i++) {
		char *base = g_path_get_basename(photos->pdata[i]);
		char *stem = g_strndup(base, (gsize)(strrchr(base, '.') - base));
		char *thumb = g_strdup_printf("%s/%s.png", dir, stem);
		int w, h, bands, tw, th, tb;
		VipsImage *full;
		uint8_t *src = upright_srgb(photos->pdata[i], &w, &h, &bands,
		    &full);
		uint8_t *fused = upright_srgb(thumb, &tw, &th, &tb, NULL);
		double *ref = reference_resample(src, w, h, bands, tw, th,
		    sigma);
		uint8_t *lit = libvips_integer(full, sigma, tw, th);
		size_t len = (size_t)tw * th * bands;
		double a = psnr_of(fused, ref, len), b = psnr_of(lit, ref, len);

		cr_assert_eq(tb, bands, "%s", base);
		fprintf(stderr, "reference: box %s: %6.2f dB fused, %6.2f dB "
		    "libvips integer  %s\n", box, a, b, base);
		cr_expect_gt(a, b, "%s: fused %.2f dB, libvips integer %.2f dB",
		    base, a, b);
		sum_fused += a;
		sum_int += b;
		worst_fused = MIN(worst_fused, a);
		worst_int = MIN(worst_int, b);
		g_object_unref(full);
		g_free(src);
		g_free(fused);
		free(ref);
		g_free(lit);
		g_free(thumb);
		g_free(stem);
		g_free(base);
	}
	fprintf(stderr, "reference: box %s blur 2, %u photos: fused mean %.2f "
	    "dB, worst %.2f; libvips integer mean %.2f, worst %.2f\n", box,
	    photos->len, sum_fused / photos->len, worst_fused,
	    sum_int / photos->len, worst_int);
	helper_rmtree(dir);
	g_free(dir);
	g_free(args);
	g_ptr_array_unref(photos);
}

Test(fidelity, fused_beats_libvips_integer_against_a_float_reference_at_50)
{
	helper_skip_under_sanitizers(CORPUS_WHY);
	check_reference("50");
}

Test(fidelity, fused_beats_libvips_integer_against_a_float_reference_at_256)
{
	helper_skip_under_sanitizers(CORPUS_WHY);
	check_reference("256");
}
