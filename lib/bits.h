/* Bit and alignment helpers. All take and return u64. */
#ifndef LIB_BITS_H
#define LIB_BITS_H

#include "lib/types.h"

#define BIT(n) (1ULL << (n))
/* Mask of bits hi..lo inclusive. */
#define BITS(hi, lo) ((~0ULL >> (63 - (hi))) & ~(BIT(lo) - 1))

static inline bool is_pow2(u64 x)
{
	return x && !(x & (x - 1));
}
static inline u64 align_down(u64 x, u64 a)
{
	return x & ~(a - 1);
}
/* Returns 0 on overflow past 2^64 (callers check). */
static inline u64 align_up(u64 x, u64 a)
{
	return (x + a - 1) & ~(a - 1);
}
static inline bool is_aligned(u64 x, u64 a)
{
	return (x & (a - 1)) == 0;
}
/* a + b without wrapping; false when it would wrap. */
static inline bool add_overflows(u64 a, u64 b)
{
	return a + b < a;
}

#endif
