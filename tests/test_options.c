/*
 * options: sizes, numbers and whole command lines, good and bad.
 */
#include <criterion/criterion.h>
#include <sys/resource.h>
#include <glib.h>
#include <string.h>

#include "options.h"
#include "optvalue.h"

Test(options, size_square_and_box)
{
	int w = 0, h = 0;

	cr_assert_eq(options_parse_size("50", &w, &h), 0);
	cr_assert_eq(w, 50);
	cr_assert_eq(h, 50);
	cr_assert_eq(options_parse_size("640x480", &w, &h), 0);
	cr_assert_eq(w, 640);
	cr_assert_eq(h, 480);
	cr_assert_eq(options_parse_size("1X2", &w, &h), 0);
	cr_assert_eq(w, 1);
	cr_assert_eq(h, 2);
}

Test(options, size_rejects_bad_values)
{
	static const char *const bad[] = {
		"", "0", "-5", "x", "10x", "x10", "10x0", "10y10", "10x10x10",
		" 10", "10 ", "1.5", "100001", "99999999999999999999", "abc",
		"10xx10",
	};
	int w = 7, h = 9;

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		cr_assert_eq(options_parse_size(bad[i], &w, &h), -1,
		    "accepted \"%s\"", bad[i]);
		cr_assert_eq(w, 7, "changed width on \"%s\"", bad[i]);
		cr_assert_eq(h, 9);
	}
}

Test(options, numbers)
{
	double d;
	int i;

	cr_assert_eq(options_parse_double("2.5", 0, 10, &d), 0);
	cr_assert_float_eq(d, 2.5, 1e-12);
	cr_assert_eq(options_parse_double("0", 0, 10, &d), 0);
	cr_assert_eq(options_parse_double("-1", 0, 10, &d), -1);
	cr_assert_eq(options_parse_double("nan", 0, 10, &d), -1);
	cr_assert_eq(options_parse_double("inf", 0, 1e300, &d), -1);
	cr_assert_eq(options_parse_double("2,5", 0, 10, &d), -1);
	cr_assert_eq(options_parse_int("12", 1, 100, &i), 0);
	cr_assert_eq(i, 12);
	cr_assert_eq(options_parse_int("0x10", 1, 100, &i), -1);
	cr_assert_eq(options_parse_int("101", 1, 100, &i), -1);
	cr_assert_eq(options_parse_int("", 1, 100, &i), -1);
}

/* Parse a command line given as a NULL-terminated list. */
static int
parse(struct opts *o, char **msg, const char *const *args)
{
	GPtrArray *v = g_ptr_array_new();
	int rc;

	g_ptr_array_add(v, "pthumb");
	for (; *args != NULL; args++)
		g_ptr_array_add(v, (gpointer)*args);
	g_ptr_array_add(v, NULL);
	*msg = NULL;
	rc = options_parse((int)v->len - 1, (char **)v->pdata, o, msg);
	g_ptr_array_free(v, TRUE);
	return rc;
}

Test(options, defaults_follow_the_reference)
{
	const char *const args[] = {"photos", NULL};
	struct opts o;
	char *msg;

	cr_assert_eq(parse(&o, &msg, args), 0, "%s", msg);
	cr_assert_eq(o.thumb.width, 50);
	cr_assert_eq(o.thumb.height, 50);
	cr_assert_float_eq(o.thumb.blur, 2.0, 1e-12);
	cr_assert_str_eq(o.outdir, "thumbs");
	cr_assert_null(o.format);
	cr_assert_geq(o.jobs, 1);
	cr_assert_eq(o.npaths, 1);
	cr_assert_str_eq(o.paths[0], "photos");
	cr_assert_eq(o.mode, MODE_POOL);
	cr_assert_eq(o.max_tasks, 0);
	cr_assert_not(o.thumb.exact);
	cr_assert_not(o.force);
	options_free(&o);
}

Test(options, every_option_and_attached_values)
{
	const char *const args[] = {
		"-j3", "-s", "64x32", "-b0", "-o", "out", "-f", "webp",
		"-Q", "80", "--exact", "--force", "--json", "-q",
		"--sequential", "-L", "--allow-untrusted", "-0",
		"--files-from=list", "a", "--", "-b", "--", NULL,
	};
	struct opts o;
	char *msg;

	cr_assert_eq(parse(&o, &msg, args), 0, "%s", msg);
	cr_assert_eq(o.jobs, 3);
	cr_assert_eq(o.thumb.width, 64);
	cr_assert_eq(o.thumb.height, 32);
	cr_assert_float_eq(o.thumb.blur, 0.0, 1e-12);
	cr_assert_str_eq(o.outdir, "out");
	cr_assert_str_eq(o.format, "webp");
	cr_assert_eq(o.thumb.quality, 80);
	cr_assert(o.thumb.exact && o.force && o.json && o.quiet);
	cr_assert_eq(o.mode, MODE_SEQUENTIAL);
	cr_assert(o.follow && o.allow_untrusted && o.null_sep);
	cr_assert_str_eq(o.files_from, "list");
	/* After "--" everything is a PATH, a second "--" included. */
	cr_assert_eq(o.npaths, 3);
	cr_assert_str_eq(o.paths[0], "a");
	cr_assert_str_eq(o.paths[1], "-b");
	cr_assert_str_eq(o.paths[2], "--");
	cr_assert_null(o.paths[3]);
	options_free(&o);
}

/* An option that takes a value takes the next argument whole, as getopt
   does, even when it starts with '-'. */
Test(options, a_value_that_starts_with_a_dash_is_taken_whole)
{
	const char *const args[] = {"-o", "-bad", "--files-from", "-filelist",
	    "--format", "png", "-s-3", "a", NULL};
	const char *const dash_blur[] = {"-b", "-1", "a", NULL};
	struct opts o;
	char *msg;

	/* -s-3 is a size of -3: refused, naming it. */
	cr_assert_eq(parse(&o, &msg, args), -1);
	cr_assert_not_null(strstr(msg, "-3"), "%s", msg);
	g_free(msg);
	cr_assert_eq(parse(&o, &msg, (const char *[]){"-o", "-bad",
	    "--files-from", "-filelist", "--format", "png", "a", NULL}), 0,
	    "%s", msg);
	cr_assert_str_eq(o.outdir, "-bad");
	cr_assert_str_eq(o.files_from, "-filelist");
	cr_assert_str_eq(o.format, "png");
	cr_assert_eq(o.npaths, 1);
	cr_assert_str_eq(o.paths[0], "a");
	options_free(&o);
	/* A negative blur is the value, refused as one. */
	cr_assert_eq(parse(&o, &msg, dash_blur), -1);
	cr_assert_not_null(strstr(msg, "-1"), "%s", msg);
	g_free(msg);
}

/* --worker-memory stays within what a worker needs and what pthumb may
   set: the hard limit it inherited, which it could not raise. */
Test(options, worker_memory_within_its_bounds)
{
	struct rlimit rl = {1LL << 30, 1LL << 30};
	struct opts o;
	char *msg;

	cr_assert_eq(parse(&o, &msg, (const char *[]){"--worker-memory=10K",
	    "a", NULL}), -1);
	cr_assert_not_null(strstr(msg, "32 MiB"), "%s", msg);
	g_free(msg);
	cr_assert_eq(parse(&o, &msg, (const char *[]){"--worker-memory", "1",
	    "a", NULL}), -1);
	g_free(msg);
#ifdef __SANITIZE_ADDRESS__
	/* AddressSanitizer's shadow memory counts against RLIMIT_DATA: this
	   process could not live under 1 GiB. */
	(void)rl;
	return;
#endif
	/* This test's own process, as under ulimit -d. */
	cr_assert_eq(setrlimit(RLIMIT_DATA, &rl), 0);
	cr_assert_eq(parse(&o, &msg, (const char *[]){"--worker-memory=2G",
	    "a", NULL}), -1);
	cr_assert_not_null(strstr(msg, "1073741824"), "%s", msg);
	g_free(msg);
	cr_assert_eq(parse(&o, &msg, (const char *[]){"-j", "1", "a", NULL}),
	    0, "%s", msg);
	cr_assert_leq(o.worker_memory, 1LL << 30);
	cr_assert_gt(o.worker_memory, 0);
	options_free(&o);
}

Test(options, modes)
{
	static const struct {
		const char *args[6];
		enum run_mode mode;
		const char *name;
		int max_tasks;
	} cases[] = {
		{{"a", NULL}, MODE_POOL, "pool", 0},
		{{"--mode", "pool", "--max-tasks-per-worker", "7", "a", NULL},
		 MODE_POOL, "pool", 7},
		{{"--mode=spawn", "a", NULL}, MODE_SPAWN, "spawn", 0},
		{{"--mode", "threads", "a", NULL}, MODE_THREADS, "threads", 0},
		{{"--mode", "sequential", "a", NULL}, MODE_SEQUENTIAL,
		 "sequential", 0},
		{{"--sequential", "--mode", "sequential", "a", NULL},
		 MODE_SEQUENTIAL, "sequential", 0},
	};
	struct opts o;
	char *msg;

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		cr_assert_eq(parse(&o, &msg, cases[i].args), 0, "case %zu: %s",
		    i, msg);
		cr_assert_eq(o.mode, cases[i].mode, "case %zu", i);
		cr_assert_eq(o.max_tasks, cases[i].max_tasks, "case %zu", i);
		cr_assert_str_eq(options_mode_name(o.mode), cases[i].name);
		options_free(&o);
	}
	cr_assert_eq(parse(&o, &msg, (const char *[]){"--compare-modes", "a",
	    NULL}), 0);
	cr_assert(o.compare_modes && !o.compare);
	options_free(&o);
}

Test(options, pipelines)
{
	const char *const args[] = {"--shard", "2/5", "-n",
	    "--output-template", "%d/%s_t.webp", "a", NULL};
	struct opts o;
	char *msg;

	cr_assert_eq(parse(&o, &msg, args), 0, "%s", msg);
	cr_assert_eq(o.shard, 2);
	cr_assert_eq(o.shards, 5);
	cr_assert(o.dry_run);
	cr_assert_str_eq(o.output_template, "%d/%s_t.webp");
	options_free(&o);
	cr_assert_eq(parse(&o, &msg, (const char *[]){"a", NULL}), 0);
	cr_assert(o.shards == 0 && !o.dry_run && o.output_template == NULL);
	options_free(&o);
}

Test(options, bad_command_lines_say_why)
{
	static const struct {
		const char *args[6];
		const char *says;
	} cases[] = {
		{{"-j", "0", "a", NULL}, "--jobs"},
		{{"-j", "many", "a", NULL}, "--jobs"},
		{{"-s", "0x5", "a", NULL}, "--size"},
		{{"-b", "-1", "a", NULL}, "--blur"},
		{{"-Q", "101", "a", NULL}, "--quality"},
		{{"-f", "a/b", "a", NULL}, "--format"},
		{{"-f", ".jpg", "a", NULL}, "--format"},
		{{"-o", "", "a", NULL}, "--output"},
		{{"--bogus", "a", NULL}, "bogus"},
		{{"-j", NULL}, "-j"},
		{{NULL}, "no PATH"},
		{{"--", NULL}, "no PATH"},
		{{"--mode", "fork", "a", NULL}, "--mode"},
		{{"--mode", "spawn", "--sequential", "a", NULL}, "--mode"},
		{{"--max-tasks-per-worker", "0", "a", NULL},
		 "--max-tasks-per-worker"},
		{{"--mode", "threads", "--max-tasks-per-worker", "5", "a",
		  NULL}, "--max-tasks-per-worker"},
		{{"--compare-modes", "--mode", "pool", "a", NULL}, "--mode"},
		{{"--mode", "threads", "--timeout", "5", "a", NULL},
		 "--timeout"},
		{{"--mode=threads", "--worker-memory=1G", "a", NULL},
		 "--worker-memory"},
		{{"--sequential", "--timeout=1", "a", NULL}, "--timeout"},
		{{"--compare", "--sequential", "a", NULL}, "--sequential"},
		{{"--compare", "--compare-modes", "a", NULL}, "not both"},
		{{"--shard", "0/3", "a", NULL}, "--shard"},
		{{"--shard", "4/3", "a", NULL}, "--shard"},
		{{"--shard", "2", "a", NULL}, "--shard"},
		{{"--shard=1/x", "a", NULL}, "--shard"},
		{{"--output-template", "/abs/%s.jpg", "a", NULL}, "relative"},
		{{"--output-template", "a/../%s.jpg", "a", NULL}, "'..'"},
		{{"--output-template", "thumb.jpg", "a", NULL}, "%s"},
		{{"--output-template", "%s.%x", "a", NULL}, "escapes"},
		{{"--dry-run", "--compare", "a", NULL}, "--dry-run"},
	};
	struct opts o;
	char *msg;

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		cr_assert_eq(parse(&o, &msg, cases[i].args), -1,
		    "case %zu accepted", i);
		cr_assert_not_null(msg);
		cr_assert_not_null(strstr(msg, cases[i].says),
		    "case %zu: \"%s\" does not mention %s", i, msg,
		    cases[i].says);
		cr_assert_null(strchr(msg, '\n'), "not one line: %s", msg);
		g_free(msg);
	}
}

Test(options, sizes_lists_and_their_labels)
{
	struct thumb_opts t = {0};

	cr_assert_eq(options_parse_sizes("64,256,320x200", &t), 0);
	cr_assert_eq(t.nboxes, 3);
	cr_assert_eq(t.width, 64);
	cr_assert_eq(t.height, 64);
	cr_assert_eq(t.boxes[2].width, 320);
	cr_assert_eq(t.boxes[2].height, 200);
	cr_assert_str_eq(t.boxes[1].label, "256");
	cr_assert_str_eq(t.boxes[2].label, "320x200");
	/* A repeat, an empty entry, one too many: refused, t left alone. */
	cr_assert_eq(options_parse_sizes("64,64x64", &t), -1);
	cr_assert_eq(options_parse_sizes("64,,128", &t), -1);
	cr_assert_eq(options_parse_sizes("1,2,3,4,5,6,7,8,9", &t), -1);
	cr_assert_eq(options_parse_sizes("", &t), -1);
	cr_assert_eq(t.nboxes, 3);
	cr_assert_eq(t.width, 64);
}

Test(options, byte_counts)
{
	static const char *const bad[] = {"", " 1", "0", "-1", "1KB", "K",
	    "1X", "nan", "1e30"};
	long long b = 7;

	cr_assert_eq(options_parse_bytes("512", &b), 0);
	cr_assert_eq(b, 512);
	cr_assert_eq(options_parse_bytes("1K", &b), 0);
	cr_assert_eq(b, 1024);
	cr_assert_eq(options_parse_bytes("1.5m", &b), 0);
	cr_assert_eq(b, 3LL << 19);
	cr_assert_eq(options_parse_bytes("2T", &b), 0);
	cr_assert_eq(b, 2LL << 40);
	b = 7;
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		cr_assert_eq(options_parse_bytes(bad[i], &b), -1,
		    "accepted \"%s\"", bad[i]);
	cr_assert_eq(b, 7);
}

Test(options, colours)
{
	static const char *const bad[] = {"", "grey", "#12", "#12345g",
	    "1,2", "1,2,3,4", "256,0,0", "-1,0,0", "a,b,c"};
	double rgb[3];

	cr_assert_eq(options_parse_colour("Black", rgb), 0);
	cr_assert(rgb[0] == 0 && rgb[1] == 0 && rgb[2] == 0);
	cr_assert_eq(options_parse_colour("white", rgb), 0);
	cr_assert(rgb[0] == 255 && rgb[1] == 255 && rgb[2] == 255);
	cr_assert_eq(options_parse_colour("#0a1B2c", rgb), 0);
	cr_assert(rgb[0] == 10 && rgb[1] == 27 && rgb[2] == 44);
	/* #rgb is #rrggbb with each digit twice, as in CSS. */
	cr_assert_eq(options_parse_colour("#f80", rgb), 0);
	cr_assert(rgb[0] == 255 && rgb[1] == 136 && rgb[2] == 0);
	cr_assert_eq(options_parse_colour("1, 2,3", rgb), 0);
	cr_assert(rgb[0] == 1 && rgb[1] == 2 && rgb[2] == 3);
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		cr_assert_eq(options_parse_colour(bad[i], rgb), -1,
		    "accepted \"%s\"", bad[i]);
	cr_assert(rgb[0] == 1 && rgb[1] == 2 && rgb[2] == 3);
}

Test(options, jobs_lists)
{
	int out[4] = {9, 9, 9, 9};

	cr_assert_eq(options_parse_jobs_list("1,2,4", out, 4), 0);
	cr_assert(out[0] == 1 && out[1] == 2 && out[2] == 4 && out[3] == 0);
	/* Room for three and the 0 that ends them: a fourth is too many. */
	cr_assert_eq(options_parse_jobs_list("1,2,3,4", out, 4), -1);
	cr_assert_eq(out[0], 0);
	cr_assert_eq(options_parse_jobs_list("", out, 4), -1);
	cr_assert_eq(options_parse_jobs_list("1,,2", out, 4), -1);
	cr_assert_eq(options_parse_jobs_list("0", out, 4), -1);
	cr_assert_eq(options_parse_jobs_list("1025", out, 4), -1);
}

Test(options, choices_formats_and_templates)
{
	static const char *const words[] = {"none", NULL, "some"};
	const char *why = NULL;

	cr_assert_eq(options_parse_choice("none", words, 3), 0);
	cr_assert_eq(options_parse_choice("some", words, 3), 2);
	cr_assert_eq(options_parse_choice("", words, 3), -1);
	cr_assert_eq(options_parse_choice("None", words, 3), -1);
	cr_assert_eq(options_parse_choice("some", words, 2), -1);
	cr_assert_eq(options_check_format("webp"), 0);
	cr_assert_eq(options_check_format(""), -1);
	cr_assert_eq(options_check_format("a/b"), -1);
	cr_assert_eq(options_check_format(".jpg"), -1);
	cr_assert_eq(options_check_format("tar.gz"), -1);
	cr_assert_eq(options_check_template("%d/%s_t.%e", &why), 0);
	cr_assert_null(why);
	cr_assert_eq(options_check_template("%s/../x", &why), -1);
	cr_assert_str_eq(why, "no '..' component");
	cr_assert_eq(options_check_template("x%", &why), -1);
	cr_assert_str_eq(why, "the escapes are %s, %e, %d and %%");
}

/* The messages as a user reads them, byte for byte: each bad value in the
   same words, whether its setter or a rule refuses it. */
Test(options, messages_word_for_word)
{
	static const struct {
		const char *args[5];
		const char *says;
	} cases[] = {
		{{"-j", "0", "a", NULL}, "invalid --jobs '0' (expected 1-1024)"},
		{{"-s", "9x", "a", NULL}, "invalid --size '9x' (expected WxH or "
		 "N, 1-100000, or up to 8 different ones separated by commas)"},
		{{"-o", "", "a", NULL},
		 "invalid --output '' (expected a folder)"},
		{{"--fail-on", "none", "--strict", "a", NULL},
		 "invalid --fail-on 'none' (expected none, truncated, error or "
		 "warning, without --strict)"},
		{{"--mode", "spawn", "--sequential", "a", NULL},
		 "invalid --mode 'spawn' (expected pool, spawn, threads or "
		 "sequential)"},
		{{"--freedesktop-size", "large", "a", NULL},
		 "invalid --freedesktop-size 'large' (expected normal, large, "
		 "x-large or xx-large, with --freedesktop)"},
		{{"--output-template", "x", "a", NULL}, "invalid "
		 "--output-template 'x' (it needs %s, or every file gets the "
		 "same name)"},
		{{"--mode=threads", "--timeout=5", "a", NULL}, "--timeout needs "
		 "worker processes: images run in pthumb's own process cannot "
		 "be stopped or limited one by one (--mode threads)"},
		/* A bad value is named before a rule broken. */
		{{"--compare", "--sequential", "-Q0", "a", NULL},
		 "invalid --quality '0' (expected 1-100)"},
	};
	struct opts o;
	char *msg;

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		cr_assert_eq(parse(&o, &msg, cases[i].args), -1,
		    "case %zu accepted", i);
		cr_assert_str_eq(msg, cases[i].says, "case %zu", i);
		g_free(msg);
	}
}

/* --dry-run is no --mode, and no mode has its name. */
Test(options, the_dry_run_is_not_a_mode)
{
	struct opts o;
	char *msg;

	cr_assert_str_eq(options_mode_name((enum run_mode)(MODE_SEQUENTIAL +
	    1)), "unknown");
	cr_assert_eq(parse(&o, &msg, (const char *[]){"--mode", "dry-run",
	    "a", NULL}), -1);
	g_free(msg);
	cr_assert_eq(parse(&o, &msg, (const char *[]){"-n", "a", NULL}), 0,
	    "%s", msg);
	cr_assert(o.dry_run);
	cr_assert_eq(o.mode, MODE_POOL);
	options_free(&o);
}

/* --freedesktop picks the cache's box, folder and no blur unless -b. */
Test(options, freedesktop_decides_box_folder_and_blur)
{
	struct opts o;
	char *msg;

	cr_assert_eq(parse(&o, &msg, (const char *[]){"--freedesktop",
	    "--freedesktop-size", "x-large", "a", NULL}), 0, "%s", msg);
	cr_assert_not_null(o.freedesktop_size, "--freedesktop is on");
	cr_assert_str_eq(o.freedesktop_size, "x-large");
	cr_assert_eq(o.thumb.width, 512);
	cr_assert_eq(o.thumb.height, 512);
	cr_assert_float_eq(o.thumb.blur, 0.0, 1e-12);
	cr_assert(g_str_has_suffix(o.outdir, "/thumbnails"), "%s", o.outdir);
	cr_assert_eq(o.thumb.outdir, o.outdir);
	options_free(&o);
	cr_assert_eq(parse(&o, &msg, (const char *[]){"--freedesktop", "-b",
	    "1", "a", NULL}), 0, "%s", msg);
	cr_assert_str_eq(o.freedesktop_size, "normal");
	cr_assert_eq(o.thumb.width, 128);
	cr_assert_float_eq(o.thumb.blur, 1.0, 1e-12);
	options_free(&o);
}
