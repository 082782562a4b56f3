#include "lib/hash.h"

/* Xor-shift-multiply rounds with the SplitMix64 multipliers: both odd, so
 * each round (and the whole function) is a bijection on 64-bit values. */
#define MIX_MUL1 0xbf58476d1ce4e5b9ULL
#define MIX_MUL2 0x94d049bb133111ebULL
/* 2^64 / golden ratio: separates the second hash's input from the first's. */
#define GOLDEN_GAMMA 0x9e3779b97f4a7c15ULL

u64 hash_mix64(u64 x)
{
	x ^= x >> 30;
	x *= MIX_MUL1;
	x ^= x >> 27;
	x *= MIX_MUL2;
	x ^= x >> 31;
	return x;
}

struct hash_pair hash_pair_of(u64 key)
{
	struct hash_pair h;

	h.h1 = hash_mix64(key);
	h.h2 = hash_mix64(key + GOLDEN_GAMMA) | 1;
	return h;
}

u32 hash_nth(const struct hash_pair *h, u32 i, u32 m)
{
	return (u32)(hash_mix64(h->h1 + (u64)i * h->h2) % m);
}

#define FNV64_PRIME 0x100000001b3ULL

u64 hash_words(u64 h, const u64 *w, u64 nwords)
{
	for (u64 i = 0; i < nwords; i++)
		h = (h ^ w[i]) * FNV64_PRIME;
	return h;
}
