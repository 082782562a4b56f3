/* Bit and alignment helpers. All take and return u64. BIT() and BITS()
 * also serve assembly sources (with __ASSEMBLY__ defined), where constants
 * have no suffix and gas computes in 64 bits. */
#ifndef LIB_BITS_H
#define LIB_BITS_H

#ifdef __ASSEMBLY__
#define ULL(x) x
#else
#define ULL(x) x##ULL
#endif

#define BIT(n) (ULL(1) << (n))
/* Mask of bits hi..lo inclusive. */
#define BITS(hi, lo) ((~ULL(0) >> (63 - (hi))) & ~(BIT(lo) - 1))

#ifndef __ASSEMBLY__
#include "lib/types.h"

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

#endif
