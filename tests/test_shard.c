/*
 * shard: K/N as given; auto from a Slurm array's variables (any start,
 * any step, an even range only); auto/N from JOB_COMPLETION_INDEX; every
 * missing or disagreeing variable an error, never a silent wrong split.
 */
#include <criterion/criterion.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "shard.h"

static const char *const slurm_vars[] = {
	"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_MAX",
	"SLURM_ARRAY_TASK_STEP", "SLURM_ARRAY_TASK_COUNT",
};

/* A Slurm array task's environment; NULL values are left unset. */
static void
slurm(const char *id, const char *min, const char *max, const char *step,
    const char *count)
{
	const char *const values[] = {id, min, max, step, count};

	for (size_t i = 0; i < G_N_ELEMENTS(slurm_vars); i++)
		if (values[i] != NULL)
			cr_assert_eq(setenv(slurm_vars[i], values[i], 1), 0);
		else
			unsetenv(slurm_vars[i]);
}

static void
expect(const char *value, unsigned k, unsigned n, const char *from)
{
	unsigned gk = 0, gn = 0;
	char *got_from = NULL, *msg = NULL;

	cr_assert_eq(shard_resolve(value, &gk, &gn, &got_from, &msg), 0,
	    "%s: %s", value, msg);
	cr_assert(gk == k && gn == n, "%s: %u/%u, not %u/%u", value, gk, gn,
	    k, n);
	if (from == NULL)
		cr_assert_null(got_from);
	else
		cr_assert_str_eq(got_from, from);
	g_free(got_from);
}

static void
refuse(const char *value, const char *says)
{
	unsigned k = 0, n = 0;
	char *from = NULL, *msg = NULL;

	cr_assert_eq(shard_resolve(value, &k, &n, &from, &msg), -1,
	    "%s: %u/%u taken", value, k, n);
	cr_assert_not_null(strstr(msg, says), "%s: %s", value, msg);
	cr_assert_null(from);
	g_free(msg);
}

Test(shard, given_k_of_n_is_taken_as_is)
{
	slurm("5", "1", "7", "2", "4");
	cr_assert_eq(setenv("JOB_COMPLETION_INDEX", "0", 1), 0);
	expect("2/5", 2, 5, NULL);
	expect("1/1", 1, 1, NULL);
	refuse("0/3", "invalid --shard");
	refuse("4/3", "invalid --shard");
	refuse("2", "invalid --shard");
	refuse("1/x", "invalid --shard");
	refuse("-1/3", "invalid --shard");
	refuse("1/ 3", "invalid --shard");
}

/* Arrays starting at 0 or 1, stepping by 1 or 2: tasks 1..COUNT. */
Test(shard, auto_numbers_slurm_tasks_from_one)
{
	slurm("0", "0", "3", "1", "4");
	expect("auto", 1, 4, "SLURM_ARRAY_TASK_ID=0 of array 0-3:1");
	slurm("3", "0", "3", "1", "4");
	expect("auto", 4, 4, "SLURM_ARRAY_TASK_ID=3 of array 0-3:1");
	slurm("1", "1", "8", NULL, "8");
	expect("auto", 1, 8, "SLURM_ARRAY_TASK_ID=1 of array 1-8:1");
	slurm("5", "1", "7", "2", "4");
	expect("auto", 3, 4, "SLURM_ARRAY_TASK_ID=5 of array 1-7:2");
	slurm("7", "1", "7", "2", "4");
	expect("auto", 4, 4, "SLURM_ARRAY_TASK_ID=7 of array 1-7:2");
	slurm("42", "42", "42", "1", "1");
	expect("auto", 1, 1, "SLURM_ARRAY_TASK_ID=42 of array 42-42:1");
}

Test(shard, auto_refuses_what_would_split_wrongly)
{
	unsetenv("JOB_COMPLETION_INDEX");
	slurm(NULL, NULL, NULL, NULL, NULL);
	refuse("auto", "SLURM_ARRAY_TASK_ID is not set");
	cr_assert_eq(setenv("JOB_COMPLETION_INDEX", "1", 1), 0);
	refuse("auto", "--shard auto/N");
	slurm("2", "1", NULL, "1", "4");
	refuse("auto", "SLURM_ARRAY_TASK_MAX is not set");
	slurm("2", "1", "4", "1", NULL);
	refuse("auto", "SLURM_ARRAY_TASK_COUNT is not set");
	slurm("2", "1", "4", "1", "x");
	refuse("auto", "SLURM_ARRAY_TASK_COUNT is 'x', not a number");
	/* --array=1,3,7: three tasks, no even range. */
	slurm("3", "1", "7", NULL, "3");
	refuse("auto", "not an even range");
	slurm("3", "1", "7", "2", "3");
	refuse("auto", "not an even range");
	slurm("4", "1", "7", "3", "4");
	refuse("auto", "not an even range");
	slurm("4", "1", "8", "3", "3");
	refuse("auto", "not an even range");
	slurm("4", "1", "7", "2", "4");
	refuse("auto", "is not a task of the array 1-7:2");
	slurm("9", "1", "7", "2", "4");
	refuse("auto", "is not a task of the array 1-7:2");
	slurm("1", "1", "7", "0", "4");
	refuse("auto", "not an even range");
}

Test(shard, auto_n_takes_the_completion_index)
{
	slurm("5", "1", "7", "2", "4");
	cr_assert_eq(setenv("JOB_COMPLETION_INDEX", "0", 1), 0);
	expect("auto/16", 1, 16, "JOB_COMPLETION_INDEX=0");
	cr_assert_eq(setenv("JOB_COMPLETION_INDEX", "15", 1), 0);
	expect("auto/16", 16, 16, "JOB_COMPLETION_INDEX=15");
	refuse("auto/15", "JOB_COMPLETION_INDEX=15 is not below 15");
	refuse("auto/0", "invalid --shard 'auto/0'");
	refuse("auto/x", "invalid --shard 'auto/x'");
	cr_assert_eq(setenv("JOB_COMPLETION_INDEX", "-1", 1), 0);
	refuse("auto/4", "JOB_COMPLETION_INDEX is '-1', not a number");
	unsetenv("JOB_COMPLETION_INDEX");
	refuse("auto/4", "JOB_COMPLETION_INDEX is not set");
}
