/*
 * shard: --shard's value, given or read from the scheduler's variables
 * (see shard.h).
 */
#include "shard.h"

#include <limits.h> /* INT_MAX */
#include <stdlib.h> /* getenv */
#include <string.h> /* strchr, strcmp */

#include <glib.h> /* g_strdup_printf, g_strndup */

#include "optvalue.h" /* options_parse_int */

/* The most shards: far more than any cluster has tasks. */
#define SHARDS_MAX 1000000

/* K/N as given. */
static int
explicit(const char *value, unsigned *k, unsigned *n)
{
	const char *slash = strchr(value, '/');
	char *first;
	int a, b, rc;

	if (slash == NULL)
		return -1;
	first = g_strndup(value, (gsize)(slash - value));
	rc = options_parse_int(first, 1, SHARDS_MAX, &a);
	g_free(first);
	if (rc != 0 || options_parse_int(slash + 1, 1, SHARDS_MAX, &b) != 0 ||
	    a > b)
		return -1;
	*k = (unsigned)a;
	*n = (unsigned)b;
	return 0;
}

/* A scheduler's variable as a number; -1 with *msg if it is not one. */
static int
variable(const char *name, int *out, char **msg)
{
	const char *v = getenv(name);

	if (v == NULL) {
		*msg = g_strdup_printf("--shard auto: %s is not set", name);
		return -1;
	}
	if (options_parse_int(v, 0, INT_MAX, out) != 0) {
		*msg = g_strdup_printf("--shard auto: %s is '%s', not a "
		    "number", name, v);
		return -1;
	}
	return 0;
}

/* auto: the Slurm array task this is. */
static int
from_slurm(unsigned *k, unsigned *n, char **from, char **msg)
{
	int id, min, max, count, step = 1;

	if (getenv("SLURM_ARRAY_TASK_ID") == NULL) {
		*msg = g_strdup(getenv("JOB_COMPLETION_INDEX") != NULL ?
		    "--shard auto reads a Slurm array's variables, and "
		    "SLURM_ARRAY_TASK_ID is not set; for a Kubernetes Indexed "
		    "Job say --shard auto/N" : "--shard auto: "
		    "SLURM_ARRAY_TASK_ID is not set (not a Slurm array task); "
		    "say --shard K/N");
		return -1;
	}
	if (variable("SLURM_ARRAY_TASK_ID", &id, msg) != 0 ||
	    variable("SLURM_ARRAY_TASK_MIN", &min, msg) != 0 ||
	    variable("SLURM_ARRAY_TASK_MAX", &max, msg) != 0 ||
	    variable("SLURM_ARRAY_TASK_COUNT", &count, msg) != 0 ||
	    (getenv("SLURM_ARRAY_TASK_STEP") != NULL &&
	    variable("SLURM_ARRAY_TASK_STEP", &step, msg) != 0))
		return -1;
	/* An even range MIN-MAX:STEP, this task in it, COUNT tasks. */
	if (step < 1 || min > max || (max - min) % step != 0 ||
	    (max - min) / step + 1 != count || count > SHARDS_MAX) {
		*msg = g_strdup_printf("--shard auto: the array is not an even "
		    "range (SLURM_ARRAY_TASK_MIN=%d, _MAX=%d, _STEP=%d, "
		    "_COUNT=%d); submit it as --array=MIN-MAX:STEP or say "
		    "--shard K/N", min, max, step, count);
		return -1;
	}
	if (id < min || id > max || (id - min) % step != 0) {
		*msg = g_strdup_printf("--shard auto: SLURM_ARRAY_TASK_ID=%d "
		    "is not a task of the array %d-%d:%d", id, min, max,
		    step);
		return -1;
	}
	*k = (unsigned)((id - min) / step + 1);
	*n = (unsigned)count;
	*from = g_strdup_printf("SLURM_ARRAY_TASK_ID=%d of array %d-%d:%d",
	    id, min, max, step);
	return 0;
}

/* auto/N: the index of a Kubernetes Indexed Job's pod. */
static int
from_index(const char *value, unsigned *k, unsigned *n, char **from,
    char **msg)
{
	int shards, index;

	if (options_parse_int(value + strlen("auto/"), 1, SHARDS_MAX,
	    &shards) != 0) {
		*msg = g_strdup_printf("invalid --shard '%s' (expected auto/N "
		    "with N >= 1)", value);
		return -1;
	}
	if (variable("JOB_COMPLETION_INDEX", &index, msg) != 0)
		return -1;
	if (index >= shards) {
		*msg = g_strdup_printf("--shard %s: JOB_COMPLETION_INDEX=%d is "
		    "not below %d (the Job's completions)", value, index,
		    shards);
		return -1;
	}
	*k = (unsigned)index + 1;
	*n = (unsigned)shards;
	*from = g_strdup_printf("JOB_COMPLETION_INDEX=%d", index);
	return 0;
}

int
shard_resolve(const char *value, unsigned *k, unsigned *n, char **from,
    char **msg)
{
	*from = NULL;
	if (strcmp(value, "auto") == 0)
		return from_slurm(k, n, from, msg);
	if (strncmp(value, "auto/", 5) == 0)
		return from_index(value, k, n, from, msg);
	if (explicit(value, k, n) == 0)
		return 0;
	*msg = g_strdup_printf("invalid --shard '%s' (expected K/N with 1 <= "
	    "K <= N, auto or auto/N)", value);
	return -1;
}
