#include "hv/dseg/segment.h"

#include "lib/bits.h"

static const char *const segment_err_names[] = {
    [SEGMENT_OK] = "ok",
    [SEGMENT_ERR_EMPTY] = "segment base is not below its limit",
    [SEGMENT_ERR_ALIGN] = "segment base, limit or offset not 4 KiB aligned",
    [SEGMENT_ERR_WRAPS] = "segment target range wraps past 2^64",
};

const char *segment_err_str(enum segment_err e)
{
	return NAME_IN(segment_err_names, e, "unknown segment error");
}

enum segment_err segment_set(struct direct_segment *s, u64 base, u64 limit, u64 offset)
{
	segment_disable(s);
	if (base >= limit)
		return SEGMENT_ERR_EMPTY;
	if (!is_aligned(base, PAGE_SIZE_4K) || !is_aligned(limit, PAGE_SIZE_4K) ||
	    !is_aligned(offset, PAGE_SIZE_4K))
		return SEGMENT_ERR_ALIGN;
	/* The target range must be contiguous: its last byte after its first. */
	if (base + offset > limit - 1 + offset)
		return SEGMENT_ERR_WRAPS;
	s->base = base;
	s->limit = limit;
	s->offset = offset;
	s->enabled = true;
	return SEGMENT_OK;
}

void segment_disable(struct direct_segment *s)
{
	s->base = 0;
	s->limit = 0;
	s->offset = 0;
	s->enabled = false;
}
