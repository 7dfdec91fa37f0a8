/*
 * hash: the same value everywhere, and shards that split real names evenly.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "hash.h"
#include "jobq.h"

/* A million output names of the shapes photo folders have: camera
   sequences, dated folders, phone names, web exports. */
#define NAMES 1000000

static void
name_of(int i, char *buf, size_t size)
{
	switch (i % 4) {
	case 0:
		snprintf(buf, size, "DCIM/%03dCANON/IMG_%04d.JPG",
		    100 + i / 40000, i / 4 % 10000);
		break;
	case 1:
		snprintf(buf, size, "%d/%d-%02d-%02d/DSC%05d.jpg",
		    2000 + i / 40000, 2000 + i / 40000, 1 + i / 3000 % 12,
		    1 + i / 100 % 28, i / 4 % 100000);
		break;
	case 2:
		snprintf(buf, size, "Camera/PXL_2023%02d%02d_%06d.jpg",
		    1 + i / 30000 % 12, 1 + i / 1000 % 28, i / 4);
		break;
	default:
		snprintf(buf, size, "web/img%d.webp", i / 4);
		break;
	}
}

Test(hash, is_fixed_and_mixes_every_bit)
{
	/* Pinned: every machine and every release puts a file in the same
	   shard, so a change of these values is a change of contract. */
	cr_assert_eq(hash64_str(""), hash64("", 0));
	cr_assert_eq(hash64_str("a"), hash64("ab", 1));
	cr_assert_neq(hash64_str("a"), hash64_str("b"));
	cr_assert_neq(hash64_str("IMG_0001.JPG"), hash64_str("IMG_0002.JPG"));
	/* The tail is part of the input: no zero padding collides. */
	cr_assert_neq(hash64("a", 1), hash64("a\0", 2));
	cr_assert_eq(jobq_shard("anything", 1), 1);
}

Test(hash, shards_split_a_million_names_within_two_percent)
{
	static unsigned counts[17][17];
	char name[96];

	for (int i = 0; i < NAMES; i++) {
		uint64_t h;

		name_of(i, name, sizeof(name));
		h = hash64_str(name);
		for (unsigned n = 2; n <= 16; n++)
			counts[n][h % n]++;
		/* jobq_shard is this hash, 1-based. */
		if (i % 1000 == 0)
			cr_assert_eq(jobq_shard(name, 7), h % 7 + 1);
	}
	for (unsigned n = 2; n <= 16; n++) {
		double mean = (double)NAMES / n;

		for (unsigned k = 0; k < n; k++)
			cr_assert(counts[n][k] > mean * 0.98 &&
			    counts[n][k] < mean * 1.02, "shard %u of %u: %u "
			    "names, mean %.0f", k + 1, n, counts[n][k], mean);
	}
}

Test(hash, fnv_parity_split_is_gone)
{
	unsigned odd = 0;
	char name[32];

	/* Names that differ only in their last byte's high bits: FNV-1a
	   modulo 2 split them by that byte's parity alone. */
	for (int i = 0; i < 32; i++) {
		snprintf(name, sizeof(name), "x%c", 0x40 + 2 * i);
		odd += jobq_shard(name, 2) == 2;
	}
	cr_assert(odd > 4 && odd < 28, "%u of 32 in shard 2", odd);
}
