/* The escape filter (DESIGN.md, "Escape filter"): a Bloom filter over guest
 * page numbers (gPA >> 12), consulted together with the VMM segment. A hit
 * sends that translation through paging; the filter has false positives
 * (a wasted walk) but never false negatives (a page added always hits).
 * The state is caller-owned and fixed-size; no allocation. The theoretical
 * false-positive rate is computed in integer fixed point, since hv/ is built
 * without floating point. */
#ifndef HV_BLOOM_H
#define HV_BLOOM_H

#include "lib/types.h"

#define BLOOM_MIN_BITS       8
#define BLOOM_MAX_BITS       4096
#define BLOOM_MAX_HASHES     16
#define BLOOM_DEFAULT_BITS   256
#define BLOOM_DEFAULT_HASHES 4

enum bloom_err {
	BLOOM_OK,
	BLOOM_ERR_BITS,   /* m outside [BLOOM_MIN_BITS, BLOOM_MAX_BITS] */
	BLOOM_ERR_HASHES, /* k outside [1, BLOOM_MAX_HASHES] */
};

struct bloom {
	u32 m_bits;
	u32 k;
	u32 adds; /* bloom_add calls since the last clear, duplicates included */
	u64 word[BLOOM_MAX_BITS / 64];
};

const char *bloom_err_str(enum bloom_err e);
enum bloom_err bloom_init(struct bloom *b, u32 m_bits, u32 k);
void bloom_clear(struct bloom *b);
void bloom_add(struct bloom *b, u64 gfn);
bool bloom_test(const struct bloom *b, u64 gfn);
/* Bits currently set (for reports: a full filter sends everything to paging). */
u32 bloom_bits_set(const struct bloom *b);

/* (1 - e^(-k n / m))^k in parts per million, rounded down, for n distinct
 * pages in an m-bit filter with k hashes. Within 2 ppm of the exact value. */
u32 bloom_fp_ppm(u32 m_bits, u32 k, u64 n);

#endif
