#include "hv/dseg/bloom.h"

#include "lib/bits.h"
#include "lib/hash.h"
#include "lib/mem.h"

/* Fixed point with 31 fraction bits: a product of two values <= 1.0 fits in
 * 62 bits, so plain u64 arithmetic suffices. */
#define Q31_SHIFT 31
#define Q31_ONE   (1ULL << Q31_SHIFT)
/* e^-1 * 2^31, rounded. */
#define Q31_EXP_MINUS_ONE 790015084ULL
/* Taylor terms of e^-x for 0 <= x < 1: the 14th is below 2^-31. */
#define EXP_TAYLOR_TERMS 14
#define PPM              1000000ULL

static const char *const bloom_err_names[] = {
    [BLOOM_OK] = "ok",
    [BLOOM_ERR_BITS] = "filter size outside [8, 4096] bits",
    [BLOOM_ERR_HASHES] = "hash count outside [1, 16]",
};

const char *bloom_err_str(enum bloom_err e)
{
	return NAME_IN(bloom_err_names, e, "unknown bloom error");
}

enum bloom_err bloom_init(struct bloom *b, u32 m_bits, u32 k)
{
	if (m_bits < BLOOM_MIN_BITS || m_bits > BLOOM_MAX_BITS)
		return BLOOM_ERR_BITS;
	if (k < 1 || k > BLOOM_MAX_HASHES)
		return BLOOM_ERR_HASHES;
	b->m_bits = m_bits;
	b->k = k;
	bloom_clear(b);
	return BLOOM_OK;
}

void bloom_clear(struct bloom *b)
{
	memset(b->word, 0, sizeof(b->word));
	b->adds = 0;
}

void bloom_add(struct bloom *b, u64 gfn)
{
	const struct hash_pair h = hash_pair_of(gfn);

	for (u32 i = 0; i < b->k; i++) {
		u32 bit = hash_nth(&h, i, b->m_bits);
		b->word[bit / 64] |= BIT(bit % 64);
	}
	b->adds++;
}

bool bloom_test(const struct bloom *b, u64 gfn)
{
	const struct hash_pair h = hash_pair_of(gfn);

	for (u32 i = 0; i < b->k; i++) {
		u32 bit = hash_nth(&h, i, b->m_bits);
		if (!(b->word[bit / 64] & BIT(bit % 64)))
			return false;
	}
	return true;
}

u32 bloom_bits_set(const struct bloom *b)
{
	u32 n = 0;

	for (u32 i = 0; i < b->m_bits; i++)
		n += (b->word[i / 64] >> (i % 64)) & 1;
	return n;
}

static u64 q31_mul(u64 a, u64 b)
{
	return (a * b) >> Q31_SHIFT;
}

/* e^(-num/den) in Q31: e^-1 raised to the integer part times a Taylor
 * series for the fraction. */
static u64 q31_exp_neg(u64 num, u64 den)
{
	u64 whole = num / den;
	u64 rem = num % den;
	u64 r = Q31_ONE;

	for (u64 i = 0; i < whole && r; i++)
		r = q31_mul(r, Q31_EXP_MINUS_ONE);
	if (!r)
		return 0;

	/* term_i = (rem/den)^i / i!, alternating in sign. */
	s64 sum = (s64)Q31_ONE;
	u64 term = Q31_ONE;
	for (u64 i = 1; i < EXP_TAYLOR_TERMS && term; i++) {
		term = term * rem / (den * i);
		sum += (i & 1) ? -(s64)term : (s64)term;
	}
	if (sum < 0)
		sum = 0;
	return q31_mul(r, (u64)sum);
}

u32 bloom_fp_ppm(u32 m_bits, u32 k, u64 n)
{
	if (!m_bits || !k)
		return 0;
	/* k * n overflows only for absurd n; the filter is then full. */
	if (n > ~0ULL / BLOOM_MAX_HASHES)
		return (u32)PPM;

	u64 bit_set = Q31_ONE - q31_exp_neg((u64)k * n, m_bits);
	u64 p = Q31_ONE;
	for (u32 i = 0; i < k; i++)
		p = q31_mul(p, bit_set);
	return (u32)((p * PPM) >> Q31_SHIFT);
}
