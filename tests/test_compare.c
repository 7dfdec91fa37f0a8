/*
 * --compare: the table's structure and arithmetic, never its times.
 */
#include <criterion/criterion.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare.h"
#include "helpers.h"

TestSuite(compare, .timeout = 120);

static int
count(const char *json, const char *needle)
{
	int n = 0;

	for (const char *p = json; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* Run --compare with TMPDIR pointing at a fresh folder of ours. */
static void
run_compare(struct ran *r, char **tmp, const char *const *args)
{
	*tmp = helper_tmpdir();
	cr_assert_eq(setenv("TMPDIR", *tmp, 1), 0);
	helper_run(r, args);
	unsetenv("TMPDIR");
}

Test(compare, json_table_adds_up)
{
	const char *const args[] = {"--compare", "--json",
	    "--compare-jobs=1,2,3", TESTDATA, NULL};
	struct ran r;
	char *tmp;
	double seq_wall;

	run_compare(&r, &tmp, args);
	cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
	cr_assert_eq(count(r.out, "\n"), 1, "one JSON object, one line");
	cr_assert_eq(count(r.out, "\"mode\": "), 4);
	cr_assert_eq(helper_json_number(r.out, "images", 0), TESTDATA_IMAGES);
	cr_assert_geq(helper_json_number(r.out, "online_cpus", 0), 1);
	cr_assert_not_null(strstr(r.out, "\"mode\": \"sequential\", "
	    "\"workers\": 1"));
	seq_wall = helper_json_number(r.out, "wall_s", 0);
	cr_assert_gt(seq_wall, 0);
	for (int k = 0; k < 4; k++) {
		double wall = helper_json_number(r.out, "wall_s", k);
		double speedup = helper_json_number(r.out, "speedup", k);
		double eff = helper_json_number(r.out, "efficiency", k);
		double cal = helper_json_number(r.out, "calibration_speedup",
		    k);
		double vs = helper_json_number(r.out,
		    "efficiency_vs_calibration", k);
		double ips = helper_json_number(r.out, "images_per_second", k);
		double workers = helper_json_number(r.out, "workers", k);
		double images = helper_json_number(r.out, "images", k + 1);

		cr_assert_eq(workers, k == 0 ? 1 : k);
		cr_assert_eq(images, TESTDATA_IMAGES);
		cr_assert_float_eq(speedup, seq_wall / wall, 1e-4 * speedup);
		cr_assert_float_eq(eff, speedup / workers, 1e-4 * eff);
		cr_assert_float_eq(vs, speedup / cal, 1e-4 * vs);
		cr_assert_float_eq(ips, images / wall, 1e-3 * ips);
		cr_assert_gt(helper_json_number(r.out, "cpu_s", k), 0);
		cr_assert_gt(helper_json_number(r.out, "pixels", k), 0);
		cr_assert_gt(helper_json_number(r.out, "resample", k), 0);
		if (workers == 1)
			cr_assert_float_eq(cal, 1.0, 1e-9);
		else
			cr_assert_gt(cal, 0);
	}
	cr_assert_float_eq(helper_json_number(r.out, "speedup", 0), 1.0, 1e-9);
	/* Its temporary folders are gone. */
	cr_assert_eq(helper_count_files(tmp), 0);
	{
		GDir *d = g_dir_open(tmp, 0, NULL);

		cr_assert_null(g_dir_read_name(d), "%s is not empty", tmp);
		g_dir_close(d);
	}
	helper_run_free(&r);
	helper_rmtree(tmp);
	g_free(tmp);
}

Test(compare, human_table_and_kept_folders)
{
	const char *const args[] = {"--compare", "-j", "2", "--keep",
	    TESTDATA, NULL};
	struct ran r;
	char *tmp, *seq, *pool;
	GDir *d;
	const char *name;

	run_compare(&r, &tmp, args);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "pthumb --compare: 8 images, box "
	    "50x50, blur 2"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "online CPUs"));
	cr_assert_not_null(strstr(r.out, "spinning processes run"));
	cr_assert_not_null(strstr(r.out, "mode       workers forks   wall s    "
	    "CPU s    img/s  speedup efficiency vs machine"), "%s", r.out);
	cr_assert_eq(helper_count_lines(r.out, "sequential       1     0 "), 1);
	cr_assert_eq(helper_count_lines(r.out, "pool             2     2 "), 1);
	cr_assert_not_null(strstr(r.err, "kept in "), "%s", r.err);
	/* Both runs wrote the same thumbnails. */
	d = g_dir_open(tmp, 0, NULL);
	name = g_dir_read_name(d);
	cr_assert_not_null(name);
	seq = g_build_filename(tmp, name, "sequential-0", NULL);
	pool = g_build_filename(tmp, name, "pool-2", NULL);
	g_dir_close(d);
	cr_assert_eq(helper_count_files(seq), TESTDATA_IMAGES);
	cr_assert_eq(helper_count_files(pool), TESTDATA_IMAGES);
	{
		char *a = g_build_filename(seq, "sunset.jpg", NULL);
		char *b = g_build_filename(pool, "sunset.jpg", NULL);
		gchar *x, *y;
		gsize nx, ny;

		cr_assert(g_file_get_contents(a, &x, &nx, NULL));
		cr_assert(g_file_get_contents(b, &y, &ny, NULL));
		cr_assert(nx == ny && memcmp(x, y, nx) == 0);
		g_free(x);
		g_free(y);
		g_free(a);
		g_free(b);
	}
	helper_run_free(&r);
	helper_rmtree(tmp);
	g_free(seq);
	g_free(pool);
	g_free(tmp);
}

Test(compare, modes_table_adds_up)
{
	static const char *const modes[] = {"sequential", "spawn", "pool",
	    "threads"};
	const char *const args[] = {"--compare-modes", "--json", "-j", "2",
	    TESTDATA, NULL};
	double seq_wall, per_file[4];
	const char *disp;
	struct ran r;
	char *tmp;

	run_compare(&r, &tmp, args);
	cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
	cr_assert_eq(count(r.out, "\n"), 1, "one JSON object, one line");
	cr_assert_eq(count(r.out, "\"mode\": "), 4);
	seq_wall = helper_json_number(r.out, "wall_s", 0);
	for (int k = 0; k < 4; k++) {
		char *mode = g_strdup_printf("{\"mode\": \"%s\", \"workers\": "
		    "%d, \"forks\": ", modes[k], k == 0 ? 1 : 2);
		const char *phase = strstr(r.out, mode);
		double wall = helper_json_number(r.out, "wall_s", k);
		double speedup = helper_json_number(r.out, "speedup", k);
		double forks = helper_json_number(r.out, "forks", k);

		cr_assert_not_null(phase, "no %s in %s", mode, r.out);
		/* The phases come in this order. */
		cr_assert_eq(count(r.out, "\"mode\": ") - count(phase,
		    "\"mode\": "), k);
		cr_assert_eq(helper_json_number(r.out, "images", k + 1),
		    TESTDATA_IMAGES);
		cr_assert_float_eq(speedup, seq_wall / wall, 1e-4 * speedup);
		cr_assert_float_eq(helper_json_number(r.out, "efficiency", k),
		    speedup / (k == 0 ? 1 : 2), 1e-4);
		/* Processes: none of its own for sequential and threads, one
		   per image for spawn, one per worker for the pool. */
		cr_assert_eq(forks, k == 1 ? TESTDATA_IMAGES : k == 2 ? 2 : 0,
		    "%s forks %g", modes[k], forks);
		g_free(mode);
	}
	/* Dispatch: per-file cost of each mode on tiny images, and the
	   overhead is the difference to sequential. */
	disp = strstr(r.out, "\"dispatch\": {");
	cr_assert_not_null(disp, "%s", r.out);
	cr_assert_eq(helper_json_number(disp, "images", 0), 200);
	for (int k = 0; k < 4; k++) {
		per_file[k] = helper_json_number(disp, modes[k], 0);
		cr_assert_gt(per_file[k], 0);
	}
	for (int k = 1; k < 4; k++)
		cr_assert_float_eq(helper_json_number(disp, modes[k], 1),
		    per_file[k] - per_file[0], 2e-4, "%s", disp);
	cr_assert_eq(helper_count_files(tmp), 0, "left files in %s", tmp);
	helper_run_free(&r);
	helper_rmtree(tmp);
	g_free(tmp);
}

Test(compare, modes_human_table)
{
	const char *const args[] = {"--compare-modes", "-j", "2", TESTDATA,
	    NULL};
	struct ran r;
	char *tmp;

	run_compare(&r, &tmp, args);
	cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
	cr_assert_not_null(strstr(r.out, "pthumb --compare-modes: 8 images"),
	    "%s", r.out);
	cr_assert_eq(helper_count_lines(r.out, "spawn            2     8 "), 1,
	    "%s", r.out);
	cr_assert_eq(helper_count_lines(r.out, "threads          2     0 "), 1);
	cr_assert_not_null(strstr(r.out, "per-file cost on 200 tiny images"));
	cr_assert_eq(helper_count_lines(r.out, "spawn    "), 2, "%s", r.out);
	helper_run_free(&r);
	helper_rmtree(tmp);
	g_free(tmp);
}

Test(compare, bad_lists_are_usage_errors)
{
	static const char *const cases[][4] = {
		{"--compare", "--compare-jobs=1,,2", "x", NULL},
		{"--compare", "--compare-jobs=0", "x", NULL},
		{"--compare-jobs=2", "x", NULL},
		{"--compare", "--sequential", "x", NULL},
		{"--compare-modes", "--mode=threads", "x", NULL},
		{"--compare-modes", "--compare", "x", NULL},
	};
	struct ran r;

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		helper_run(&r, cases[i]);
		cr_assert_eq(r.status, 2, "case %zu: %d", i, r.status);
		cr_assert_eq(helper_count_lines(r.err, "pthumb: "), 1);
		helper_run_free(&r);
	}
}

Test(compare, calibration_and_quota)
{
	double one = compare_calibrate(1), two = compare_calibrate(2);

	cr_assert_float_eq(one, 1.0, 1e-12);
	/* Two spinners can be no more than twice as fast as one, give or
	   take the noise of a shared machine. */
	cr_assert(two > 0.3 && two < 2.6, "calibration %.2f", two);
	cr_assert_geq(compare_cgroup_cpus(), 0);
}
