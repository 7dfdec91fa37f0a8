/*
 * hash: one 64-bit hash for names and bytes, the same on every machine.
 *
 * Eight bytes at a time (read little-endian whatever the CPU), each word
 * multiplied into the state, then a final avalanche (the finaliser of
 * splitmix64) so that every bit of the input moves every bit of the
 * result: hash % n splits names evenly for any n, which FNV-1a modulo a
 * power of two does not (its low bits see only the low bits of each byte).
 * Not cryptographic: it spreads names over shards and notices damaged
 * thumbnails; it does not resist an adversary.
 */
#ifndef PTHUMB_HASH_H
#define PTHUMB_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t hash64(const void *data, size_t len);

/* hash64() of a string's bytes, without its NUL. */
uint64_t hash64_str(const char *s);

/* CRC-32 as PNG (and zlib) compute it, for PNG chunks. */
unsigned long crc32_png(const void *data, size_t len);

#endif
