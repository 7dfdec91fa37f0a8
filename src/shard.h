/*
 * shard: which part of the files this process does, from --shard's value.
 *
 *   K/N     shard K of N, as given (several shards per task are fine)
 *   auto    a Slurm array task: shard (SLURM_ARRAY_TASK_ID -
 *           SLURM_ARRAY_TASK_MIN) / SLURM_ARRAY_TASK_STEP + 1 of
 *           SLURM_ARRAY_TASK_COUNT; the array may start anywhere and step
 *           by any amount, but must be an even range (MIN-MAX:STEP)
 *   auto/N  a Kubernetes Indexed Job: shard JOB_COMPLETION_INDEX + 1 of N
 *
 * With auto, a variable that is missing, not a number, or disagrees with
 * the others is an error: a wrong split would do some files twice and
 * others never.
 */
#ifndef PTHUMB_SHARD_H
#define PTHUMB_SHARD_H

/*
 * Set *k and *n (1 <= k <= n) from value. Returns 0, with *from a new
 * string saying where they came from ("SLURM_ARRAY_TASK_ID=5 of array
 * 1-7:2") for auto, else NULL; or -1 with *msg, a new string.
 */
int shard_resolve(const char *value, unsigned *k, unsigned *n, char **from,
    char **msg);

#endif
