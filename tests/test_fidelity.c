/*
 * The fast pipeline (shrink-on-load, blur scaled to the decoded size)
 * against the literal one (--exact: full decode, blur, resize): PSNR at
 * least 38 dB on average and 30 dB on every image, at box 50 and 256 with
 * blur 2 and at box 1200 with blur 15; on testdata/ and on the corpus
 * photos (skipped with a message when they have not been fetched).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <vips/vips.h>

#include "helpers.h"

static void
init_vips(void)
{
	cr_assert_eq(VIPS_INIT("test"), 0);
}

TestSuite(fidelity, .init = init_vips, .timeout = 600);

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

static void
check_fidelity(const char *input, int expect_files)
{
	char *dir = helper_tmpdir();

	for (size_t c = 0; c < G_N_ELEMENTS(configs); c++) {
		char *fast = g_strdup_printf("%s/fast-%s", dir, configs[c].size);
		char *exact = g_strdup_printf("%s/exact-%s", dir,
		    configs[c].size);
		const char *const a[] = {"-q", "-s", configs[c].size, "-b",
		    configs[c].blur, "-o", fast, input, NULL};
		const char *const b[] = {"-q", "--exact", "-s", configs[c].size,
		    "-b", configs[c].blur, "-o", exact, input, NULL};
		double sum = 0, min = 1e9;
		int n = 0;
		struct run r;

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
	check_fidelity(TESTDATA, TESTDATA_IMAGES);
}

Test(fidelity, fast_matches_exact_on_the_corpus_photos)
{
	const char *photos = helper_corpus_photos();
	GDir *d;
	int n = 0;

	if (photos == NULL)
		cr_skip_test("no corpus photos: run ../shared/corpus/get-photos.sh"
		    " (or set PTHUMB_CORPUS) to include them");
	d = g_dir_open(photos, 0, NULL);
	cr_assert_not_null(d);
	while (g_dir_read_name(d) != NULL)
		n++;
	g_dir_close(d);
	check_fidelity(photos, n);
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
	check_fidelity(in, G_N_ELEMENTS(formats));
	helper_rmtree(dir);
	g_free(in);
	g_free(dir);
}
