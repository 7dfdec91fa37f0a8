/*
 * hash: a word-at-a-time multiply hash with an avalanche (see hash.h).
 */
#include "hash.h"

#include <string.h> /* strlen */

#define K1 0x9e3779b97f4a7c15ULL /* 2^64 / golden ratio, odd */
#define K2 0xc2b2ae3d27d4eb4fULL /* an odd constant of many set bits */

static uint64_t
rotl(uint64_t x, int r)
{
	return x << r | x >> (64 - r);
}

/* Up to 8 bytes as a little-endian word, on any CPU. */
static uint64_t
load_le(const unsigned char *p, size_t n)
{
	uint64_t w = 0;

	for (size_t i = 0; i < n; i++)
		w |= (uint64_t)p[i] << (8 * i);
	return w;
}

/* splitmix64's finaliser: each input bit flips each output bit with
   probability close to 1/2. */
static uint64_t
avalanche(uint64_t h)
{
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

uint64_t
hash64(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = K1 ^ (len * K2);

	for (; len >= 8; p += 8, len -= 8)
		h = rotl(h ^ load_le(p, 8) * K2, 31) * K1;
	if (len > 0)
		h = rotl(h ^ load_le(p, len) * K2, 31) * K1;
	return avalanche(h);
}

uint64_t
hash64_str(const char *s)
{
	return hash64(s, strlen(s));
}

unsigned long
crc32_png(const void *data, size_t len)
{
	const unsigned char *p = data;
	unsigned long c = 0xffffffffUL;

	/* Bit by bit: the chunks are a few hundred bytes. */
	for (size_t i = 0; i < len; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320UL ^ (c >> 1) : c >> 1;
	}
	return c ^ 0xffffffffUL;
}
