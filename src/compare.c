/*
 * compare: the --compare timing table (see compare.h).
 */
#include "compare.h"

#include <errno.h>        /* errno */
#include <stdio.h>        /* printf, fprintf */
#include <stdlib.h>       /* qsort */
#include <string.h>       /* strerror */
#include <sys/resource.h> /* struct rusage */
#include <sys/stat.h>     /* mkdir */
#include <sys/wait.h>     /* wait4, W* */
#include <unistd.h>       /* fork, pipe, _exit */

#include <glib.h> /* g_strdup_printf, g_mkdtemp, GString */
#include <vips/vips.h> /* vips_black, only in a child */

#include "batch.h"   /* batch_run */
#include "outcome.h" /* BATCH_DONE, EXIT_*, WORKER_EXIT_* */
#include "report.h"  /* report_new_silent, report_totals */
#include "signals.h" /* signals_caught */
#include "xio.h"     /* now_ns, read_full, write_full */

#define MAX_PHASES 17

/* --compare-modes' dispatch measurement: this many tiny images, each mode
   with one worker, the median of this many runs. */
#define TINY_IMAGES 200
#define TINY_SIDE 16
#define TINY_RUNS 3

struct phase {
	enum run_mode mode;
	int workers;        /* 0 for sequential */
	char *dir;          /* its output folder */
	char **paths;       /* its inputs; NULL = the command line's */
	bool ran;           /* the child reported back */
	double wall, cpu;   /* seconds */
	struct report_totals totals;
	struct report_workers used;
	double calibration; /* spinning speedup at this many processes */
};

/* What a phase's child sends back. */
struct phase_report {
	struct report_totals totals;
	struct report_workers used;
	int outcome;
};

/* The modes --compare-modes times, in the order it runs them. */
static const enum run_mode all_modes[] = {
	MODE_SEQUENTIAL, MODE_SPAWN, MODE_POOL, MODE_THREADS,
};
#define NMODES G_N_ELEMENTS(all_modes)

/* Per-file cost of each mode of all_modes on tiny images, ms. */
struct dispatch {
	bool ran;
	double ms[NMODES];
};

/* Burn CPU: the same arithmetic in every process. */
static unsigned long
spin(long long iters)
{
	volatile unsigned long x = 1;

	for (long long i = 0; i < iters; i++)
		x = x * 2654435761u + (unsigned long)i;
	return x;
}

/* Wall time of n children each spinning iters times. */
static double
spin_wall(int n, long long iters)
{
	long long start = now_ns();
	int started = 0;

	fflush(NULL);
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			spin(iters);
			_exit(WORKER_EXIT_DONE);
		}
		if (pid > 0)
			started++;
	}
	for (int i = 0; i < started; i++)
		while (wait(NULL) < 0 && errno == EINTR)
			;
	return started == n ? (now_ns() - start) / 1e9 : -1;
}

static int
compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double
compare_calibrate(int n)
{
	long long probe = 2000000, start = now_ns(), iters;
	double one[3], many[3];

	if (n <= 1)
		return 1.0;
	spin(probe);
	/* About 0.15 s of work per process. */
	iters = (long long)(probe * 0.15e9 / (double)(now_ns() - start + 1));
	for (int i = 0; i < 3; i++) {
		one[i] = spin_wall(1, iters);
		many[i] = spin_wall(n, iters);
		if (one[i] <= 0 || many[i] <= 0)
			return -1;
	}
	qsort(one, 3, sizeof(double), compare_doubles);
	qsort(many, 3, sizeof(double), compare_doubles);
	return n * one[1] / many[1];
}

double
compare_cgroup_cpus(void)
{
	gchar *line = NULL, *path = NULL, *text = NULL;
	double cpus = 0, quota, period;

	/* cgroup v2: "0::/path" in /proc/self/cgroup. */
	if (g_file_get_contents("/proc/self/cgroup", &line, NULL, NULL) &&
	    g_str_has_prefix(line, "0::")) {
		g_strstrip(line);
		path = g_strdup_printf("/sys/fs/cgroup%s/cpu.max", line + 3);
		if (g_file_get_contents(path, &text, NULL, NULL) &&
		    sscanf(text, "%lf %lf", &quota, &period) == 2 &&
		    period > 0)
			cpus = quota / period;
	}
	g_free(line);
	g_free(path);
	g_free(text);
	return cpus;
}

/* Run one phase in a child; fills wall, cpu and totals. */
static int
run_phase(const struct opts *o, struct phase *ph)
{
	struct opts po = *o;
	struct phase_report rep;
	struct rusage ru;
	long long start;
	int fd[2], status;
	ssize_t n;
	pid_t pid;

	po.outdir = ph->dir;
	po.thumb.outdir = ph->dir;
	po.jobs = ph->workers;
	po.force = true;
	if (ph->paths != NULL) {
		po.paths = ph->paths;
		po.npaths = (int)g_strv_length(ph->paths);
		po.files_from = NULL;
	}
	if (mkdir(ph->dir, 0777) != 0 || pipe(fd) != 0) {
		fprintf(stderr, "pthumb: %s: %s\n", ph->dir, strerror(errno));
		return -1;
	}
	fflush(NULL);
	start = now_ns();
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "pthumb: fork() failed for the %s run: %s\n",
		    options_mode_name(ph->mode), strerror(errno));
		close(fd[0]);
		close(fd[1]);
		return -1;
	}
	if (pid == 0) {
		struct report *rp = report_new_silent();

		close(fd[0]);
		memset(&rep, 0, sizeof(rep));
		rep.outcome = batch_run(&po, ph->mode, rp);
		rep.totals = *report_totals(rp);
		rep.used = *report_workers(rp);
		_exit(write_full(fd[1], &rep, sizeof(rep)) == 0 ?
		    WORKER_EXIT_DONE : WORKER_EXIT_FAILED);
	}
	close(fd[1]);
	n = read_full(fd[0], &rep, sizeof(rep));
	close(fd[0]);
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR)
			return -1;
	ph->wall = (now_ns() - start) / 1e9;
	ph->cpu = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	if (n != (ssize_t)sizeof(rep) || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != WORKER_EXIT_DONE ||
	    rep.outcome != BATCH_DONE)
		return -1;
	ph->totals = rep.totals;
	ph->used = rep.used;
	ph->ran = true;
	return 0;
}

static unsigned
done(const struct phase *ph)
{
	return ph->totals.count[STATUS_OK] + ph->totals.count[STATUS_WARNING];
}

static unsigned
failed(const struct phase *ph)
{
	return ph->totals.count[STATUS_ERROR] +
	    ph->totals.count[STATUS_TIMEOUT];
}

/* Mean milliseconds per image done. */
static double
per_image(const struct phase *ph, long long usec)
{
	return done(ph) ? usec / 1000.0 / done(ph) : 0;
}

/* Did an earlier phase than i have as many workers (same calibration)? */
static bool
seen_workers(const struct phase *ph, int i)
{
	for (int k = 0; k < i; k++)
		if (ph[k].workers == ph[i].workers)
			return true;
	return false;
}

static void
print_dispatch(const struct dispatch *d)
{
	printf("\nper-file cost on %d tiny images (%dx%d JPEG), one worker, "
	    "median of %d runs:\n%-10s %8s %12s\n", TINY_IMAGES, TINY_SIDE,
	    TINY_SIDE, TINY_RUNS, "mode", "ms/file", "dispatch ms");
	for (size_t m = 0; m < NMODES; m++) {
		printf("%-10s %8.3f ", options_mode_name(all_modes[m]),
		    d->ms[m]);
		if (all_modes[m] == MODE_SEQUENTIAL)
			printf("%12s\n", "-");
		else
			printf("%+12.3f\n", d->ms[m] - d->ms[0]);
	}
	printf("dispatch: what handing one file to a worker costs over doing "
	    "it in place\n(spawn: fork and libvips start-up per file; pool: "
	    "a message each way;\nthreads: a queue hand-over).\n");
}

static void
print_table(const struct opts *o, struct phase *ph, int n, int cpus,
    double quota, const struct dispatch *d)
{
	const struct phase *seq = &ph[0];

	printf("pthumb %s: %u images, box %dx%d, blur %g\n", o->compare_modes
	    ? "--compare-modes" : "--compare", done(seq), o->thumb.width,
	    o->thumb.height, o->thumb.blur);
	printf("machine: %d online CPUs, ", cpus);
	if (quota > 0)
		printf("cgroup CPU quota %.2f CPUs", quota);
	else
		printf("no cgroup CPU quota");
	for (int i = 1; i < n; i++)
		if (ph[i].workers > 1 && !seen_workers(ph, i))
			printf("; %d spinning processes run %.2fx faster than "
			    "one", ph[i].workers, ph[i].calibration);
	printf("\n\n%-10s %7s %5s %8s %8s %8s %8s %10s %10s  %s\n", "mode",
	    "workers", "forks", "wall s", "CPU s", "img/s", "speedup",
	    "efficiency", "vs machine",
	    "ms/image: open pixels resample write");
	for (int i = 0; i < n; i++) {
		const struct phase *p = &ph[i];
		double speedup = seq->wall / p->wall;
		int w = p->workers ? p->workers : 1;

		printf("%-10s %7d %5u %8.3f %8.3f %8.1f %7.2fx %9.0f%% "
		    "%9.0f%%  %6.1f %6.1f %8.1f %5.1f",
		    options_mode_name(p->mode),
		    w, p->used.started, p->wall, p->cpu, done(p) / p->wall,
		    speedup, 100 * speedup / w, 100 * speedup / p->calibration,
		    per_image(p, p->totals.usec_open),
		    per_image(p, p->totals.usec_pixels),
		    per_image(p, p->totals.usec_resample),
		    per_image(p, p->totals.usec_write));
		if (failed(p))
			printf("  (%u failed)", failed(p));
		printf("\n");
	}
	printf("\nforks: worker processes started; speedup: sequential wall / "
	    "this wall;\nefficiency: speedup / workers; vs machine: speedup / "
	    "the spinning\nprocesses' speedup at as many workers.\n");
	if (d != NULL && d->ran)
		print_dispatch(d);
}

static void
print_json(const struct opts *o, struct phase *ph, int n, int cpus,
    double quota, const struct dispatch *d)
{
	const struct phase *seq = &ph[0];

	printf("{\"type\": \"compare\", \"images\": %u, \"width\": %d, "
	    "\"height\": %d, \"blur\": %g, \"machine\": {\"online_cpus\": "
	    "%d, \"cpu_quota\": ", done(seq), o->thumb.width, o->thumb.height,
	    o->thumb.blur, cpus);
	if (quota > 0)
		printf("%.3f", quota);
	else
		printf("null");
	printf("}, \"phases\": [");
	for (int i = 0; i < n; i++) {
		const struct phase *p = &ph[i];
		double speedup = seq->wall / p->wall;
		int w = p->workers ? p->workers : 1;

		printf("%s{\"mode\": \"%s\", \"workers\": %d, \"forks\": %u, "
		    "\"wall_s\": %.6f, \"cpu_s\": %.6f, \"images\": %u, "
		    "\"failed\": %u, \"images_per_second\": %.6f, "
		    "\"speedup\": %.6f, \"efficiency\": %.6f, "
		    "\"calibration_speedup\": %.6f, "
		    "\"efficiency_vs_calibration\": %.6f, \"ms_per_image\": "
		    "{\"open\": %.3f, \"pixels\": %.3f, \"resample\": %.3f, "
		    "\"write\": %.3f}}",
		    i ? ", " : "", options_mode_name(p->mode), w,
		    p->used.started, p->wall, p->cpu, done(p), failed(p),
		    done(p) / p->wall, speedup, speedup / w, p->calibration,
		    speedup / p->calibration,
		    per_image(p, p->totals.usec_open),
		    per_image(p, p->totals.usec_pixels),
		    per_image(p, p->totals.usec_resample),
		    per_image(p, p->totals.usec_write));
	}
	printf("]");
	if (d != NULL && d->ran) {
		printf(", \"dispatch\": {\"images\": %d, \"side\": %d, "
		    "\"runs\": %d, \"ms_per_file\": {", TINY_IMAGES,
		    TINY_SIDE, TINY_RUNS);
		for (size_t m = 0; m < NMODES; m++)
			printf("%s\"%s\": %.4f", m ? ", " : "",
			    options_mode_name(all_modes[m]), d->ms[m]);
		printf("}, \"overhead_ms\": {");
		for (size_t m = 1; m < NMODES; m++)
			printf("%s\"%s\": %.4f", m > 1 ? ", " : "",
			    options_mode_name(all_modes[m]),
			    d->ms[m] - d->ms[0]);
		printf("}}");
	}
	printf("}\n");
}

/*
 * Write n tiny JPEGs into dir, in a child: the parent must not run
 * libvips. 0, or -1 with a message on stderr.
 */
static int
make_tiny_images(const char *dir, int n)
{
	int status;
	pid_t pid;

	if (mkdir(dir, 0777) != 0) {
		fprintf(stderr, "pthumb: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "pthumb: fork() failed: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		VipsImage *im = NULL;
		int rc = vips_gaussnoise(&im, TINY_SIDE, TINY_SIDE, NULL);

		for (int i = 0; i < n && rc == 0; i++) {
			char *path = g_strdup_printf("%s/%03d.jpg", dir, i);

			rc = vips_image_write_to_file(im, path, NULL);
			g_free(path);
		}
		if (rc != 0)
			fprintf(stderr, "pthumb: cannot make tiny images in "
			    "%s: %s", dir, vips_error_buffer());
		_exit(rc == 0 ? WORKER_EXIT_DONE : WORKER_EXIT_FAILED);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == WORKER_EXIT_DONE ?
	    0 : -1;
}

/* The per-file cost of each mode with one worker on tiny images. */
static int
measure_dispatch(const struct opts *o, const char *base, struct dispatch *d)
{
	char *in = g_strdup_printf("%s/tiny", base);
	char *paths[] = {in, NULL};
	int rc = make_tiny_images(in, TINY_IMAGES);

	for (size_t m = 0; m < NMODES && rc == 0; m++) {
		double ms[TINY_RUNS];

		for (int k = 0; k < TINY_RUNS && rc == 0; k++) {
			struct phase p = {
				.mode = all_modes[m],
				.workers = all_modes[m] == MODE_SEQUENTIAL ? 0
				    : 1,
				.paths = paths,
			};

			p.dir = g_strdup_printf("%s/tiny-%s-%d", base,
			    options_mode_name(p.mode), k);
			rc = run_phase(o, &p);
			if (rc == 0 && done(&p) != TINY_IMAGES)
				rc = -1;
			ms[k] = p.wall * 1000 / TINY_IMAGES;
			g_free(p.dir);
			if (signals_caught())
				rc = -1;
		}
		if (rc != 0)
			break;
		qsort(ms, TINY_RUNS, sizeof(double), compare_doubles);
		d->ms[m] = ms[TINY_RUNS / 2];
	}
	d->ran = rc == 0;
	g_free(in);
	return rc;
}

static int
remove_tree(const char *path)
{
	GDir *d = g_dir_open(path, 0, NULL);
	const char *name;
	int rc = 0;

	if (d != NULL) {
		while ((name = g_dir_read_name(d)) != NULL) {
			char *p = g_build_filename(path, name, NULL);

			if (g_file_test(p, G_FILE_TEST_IS_DIR) &&
			    !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
				rc |= remove_tree(p);
			else if (unlink(p) != 0)
				rc = -1;
			g_free(p);
		}
		g_dir_close(d);
	}
	return rmdir(path) == 0 ? rc : -1;
}

int
compare_run(const struct opts *o)
{
	struct phase ph[MAX_PHASES] = {{0}};
	struct dispatch d = {0};
	char *base = g_build_filename(g_get_tmp_dir(), "pthumb-compare-XXXXXX",
	    NULL);
	int cpus = (int)sysconf(_SC_NPROCESSORS_ONLN), n = 0;
	int status = EXIT_ALL_DONE;
	double quota = compare_cgroup_cpus();

	if (g_mkdtemp(base) == NULL) {
		fprintf(stderr, "pthumb: %s: cannot create: %s\n", base,
		    strerror(errno));
		g_free(base);
		return EXIT_USAGE;
	}
	if (o->compare_modes) {
		for (size_t m = 0; m < NMODES; m++)
			ph[n++] = (struct phase){.mode = all_modes[m],
			    .workers = all_modes[m] == MODE_SEQUENTIAL ? 0
			    : o->jobs};
	} else {
		ph[n++] = (struct phase){.mode = MODE_SEQUENTIAL};
		if (o->compare_jobs[0] == 0)
			ph[n++] = (struct phase){.mode = MODE_POOL,
			    .workers = o->jobs};
		for (int i = 0; o->compare_jobs[i] != 0 && n < MAX_PHASES;
		    i++)
			ph[n++] = (struct phase){.mode = MODE_POOL,
			    .workers = o->compare_jobs[i]};
	}
	/* The machine first, while nothing else of ours runs; once per
	   worker count. */
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < i; k++)
			if (ph[k].workers == ph[i].workers)
				ph[i].calibration = ph[k].calibration;
		if (!seen_workers(ph, i))
			ph[i].calibration = compare_calibrate(ph[i].workers);
		ph[i].dir = g_strdup_printf("%s/%s-%d", base,
		    options_mode_name(ph[i].mode), ph[i].workers);
	}
	for (int i = 0; i < n && status == EXIT_ALL_DONE; i++) {
		if (run_phase(o, &ph[i]) != 0) {
			fprintf(stderr, "pthumb: the %s run with %d workers did "
			    "not complete\n", options_mode_name(ph[i].mode),
			    ph[i].workers);
			status = EXIT_SOME_FAILED;
		}
		if (signals_caught())
			status = EXIT_SIGNAL_BASE + signals_caught();
	}
	if (status == EXIT_ALL_DONE && o->compare_modes &&
	    measure_dispatch(o, base, &d) != 0) {
		fprintf(stderr, "pthumb: the dispatch measurement on tiny "
		    "images did not complete\n");
		status = signals_caught() ? EXIT_SIGNAL_BASE + signals_caught()
		    : EXIT_SOME_FAILED;
	}
	if (status == EXIT_ALL_DONE) {
		if (o->json)
			print_json(o, ph, n, cpus, quota, &d);
		else
			print_table(o, ph, n, cpus, quota, &d);
		for (int i = 0; i < n; i++)
			if (failed(&ph[i]))
				status = EXIT_SOME_FAILED;
	}
	if (o->keep)
		fprintf(stderr, "pthumb: thumbnails of each run kept in %s\n",
		    base);
	else if (remove_tree(base) != 0)
		fprintf(stderr, "pthumb: %s: cannot remove: %s\n", base,
		    strerror(errno));
	for (int i = 0; i < n; i++)
		g_free(ph[i].dir);
	g_free(base);
	return status;
}
