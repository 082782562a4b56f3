/* A direct segment (Gandhi et al., MICRO 2014): BASE <= a < LIMIT translates
 * to a + OFFSET with one base-bound check and no memory reference. The same
 * struct serves the guest segment (gVA -> gPA) and the VMM segment
 * (gPA -> hPA). OFFSET is added modulo 2^64, so a segment may map downwards.
 * segment_set validates once; contains/translate then trust the segment. */
#ifndef HV_SEGMENT_H
#define HV_SEGMENT_H

#include "lib/types.h"

struct direct_segment {
	u64 base;
	u64 limit; /* exclusive */
	u64 offset;
	bool enabled;
};

enum segment_err {
	SEGMENT_OK,
	SEGMENT_ERR_EMPTY, /* base >= limit */
	SEGMENT_ERR_ALIGN, /* base, limit or offset not 4 KiB aligned */
	SEGMENT_ERR_WRAPS, /* [base + offset, limit + offset) wraps past 2^64 */
};

/* Fills and enables *s, or leaves it disabled and says why. Pages are the
 * unit of the escape filter and of the EPT realization, hence 4 KiB. */
const char *segment_err_str(enum segment_err e);
enum segment_err segment_set(struct direct_segment *s, u64 base, u64 limit, u64 offset);
void segment_disable(struct direct_segment *s);

/* The base-bound check. */
static inline bool segment_contains(const struct direct_segment *s, u64 a)
{
	return s->enabled && a >= s->base && a < s->limit;
}

/* Only meaningful where segment_contains(s, a). */
static inline u64 segment_translate(const struct direct_segment *s, u64 a)
{
	return a + s->offset;
}

#endif
