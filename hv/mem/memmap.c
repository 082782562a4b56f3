#include "hv/mem/memmap.h"

#include "lib/bits.h"
#include "lib/mem.h"

void memmap_init(struct memmap *m)
{
	memset(m, 0, sizeof(*m));
}

static bool type_valid(enum memmap_type type)
{
	return type >= MEMMAP_USABLE && type <= MEMMAP_BAD;
}

enum memmap_err memmap_add(struct memmap *m, u64 base, u64 len, enum memmap_type type)
{
	if (!type_valid(type))
		return MEMMAP_ERR_BAD_TYPE;
	if (m->count == MEMMAP_MAX_RANGES)
		return MEMMAP_ERR_FULL;
	m->r[m->count++] = (struct memmap_range){.base = base, .len = len, .type = type};
	m->normalized = false;
	return MEMMAP_OK;
}

/* The part of a raw entry below MEMMAP_PHYS_LIMIT, as [*start, *end); false when none. */
static bool raw_span(const struct memmap_range *r, u64 *start, u64 *end)
{
	if (r->len == 0 || r->base >= MEMMAP_PHYS_LIMIT)
		return false;
	*start = r->base;
	if (add_overflows(r->base, r->len) || r->base + r->len > MEMMAP_PHYS_LIMIT)
		*end = MEMMAP_PHYS_LIMIT;
	else
		*end = r->base + r->len;
	return true;
}

static bool raw_is_clipped(const struct memmap_range *r)
{
	return r->len != 0 &&
	       (add_overflows(r->base, r->len) || r->base + r->len > MEMMAP_PHYS_LIMIT);
}

/* Appends [base, end) to out[], merging it into the previous range when that one is adjacent
 * and of the same type, so that outputs stay merged without a second pass. */
static enum memmap_err emit(struct memmap_range *out, unsigned *n, u64 base, u64 end,
                            enum memmap_type type)
{
	if (base >= end)
		return MEMMAP_OK;
	if (*n > 0) {
		struct memmap_range *prev = &out[*n - 1];
		if (prev->type == type && prev->base + prev->len == base) {
			prev->len += end - base;
			return MEMMAP_OK;
		}
	}
	if (*n == MEMMAP_MAX_RANGES)
		return MEMMAP_ERR_FULL;
	out[(*n)++] = (struct memmap_range){.base = base, .len = end - base, .type = type};
	return MEMMAP_OK;
}

/* Sweeps the elementary intervals between consecutive entry boundaries in address order; each
 * takes the highest-precedence type of the entries covering it. Quadratic in the entry count,
 * which is bounded by MEMMAP_MAX_RANGES and runs once at boot. */
static enum memmap_err sweep(const struct memmap *m, struct memmap_range *out, unsigned *n)
{
	u64 p = MEMMAP_PHYS_LIMIT;
	u64 s, e;

	*n = 0;
	for (unsigned i = 0; i < m->count; i++)
		if (raw_span(&m->r[i], &s, &e) && s < p)
			p = s;

	while (p < MEMMAP_PHYS_LIMIT) {
		enum memmap_type best = 0;
		u64 next = MEMMAP_PHYS_LIMIT;

		for (unsigned i = 0; i < m->count; i++) {
			if (!raw_span(&m->r[i], &s, &e))
				continue;
			if (s <= p && p < e) {
				if (m->r[i].type > best)
					best = m->r[i].type;
				if (e < next)
					next = e;
			} else if (s > p && s < next) {
				next = s;
			}
		}
		if (best) {
			enum memmap_err err = emit(out, n, p, next, best);
			if (err)
				return err;
		}
		p = next;
	}
	return MEMMAP_OK;
}

/* Usable memory is handed out in whole frames, so partial frames at either end are dropped. */
static unsigned trim_usable(struct memmap_range *r, unsigned n)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++) {
		struct memmap_range cur = r[i];
		if (cur.type == MEMMAP_USABLE) {
			u64 b = align_up(cur.base, PAGE_SIZE_4K);
			u64 e = align_down(cur.base + cur.len, PAGE_SIZE_4K);
			if (b >= e)
				continue;
			cur.base = b;
			cur.len = e - b;
		}
		r[k++] = cur;
	}
	return k;
}

enum memmap_err memmap_normalize(struct memmap *m)
{
	unsigned clipped = 0, empty = 0, n;

	for (unsigned i = 0; i < m->count; i++) {
		if (m->r[i].len == 0)
			empty++;
		else if (m->r[i].base >= MEMMAP_PHYS_LIMIT || raw_is_clipped(&m->r[i]))
			clipped++;
	}

	enum memmap_err err = sweep(m, m->scratch, &n);
	if (err)
		return err;
	n = trim_usable(m->scratch, n);

	memcpy(m->r, m->scratch, n * sizeof(m->r[0]));
	m->count = n;
	m->clipped += clipped;
	m->empty_dropped += empty;
	m->normalized = true;
	return MEMMAP_OK;
}

enum memmap_err memmap_reserve(struct memmap *m, u64 base, u64 len)
{
	if (!m->normalized)
		return MEMMAP_ERR_NOT_NORMALIZED;
	if (add_overflows(base, len))
		return MEMMAP_ERR_WRAPS;
	if (len == 0)
		return MEMMAP_OK;

	/* Clamp before widening so that align_up cannot wrap; nothing lies above the limit. */
	u64 end = base + len;
	if (end > MEMMAP_PHYS_LIMIT)
		end = MEMMAP_PHYS_LIMIT;
	u64 rb = align_down(base, PAGE_SIZE_4K);
	u64 re = align_up(end, PAGE_SIZE_4K);
	unsigned n = 0;
	enum memmap_err err = MEMMAP_OK;

	for (unsigned i = 0; i < m->count && !err; i++) {
		const struct memmap_range *r = &m->r[i];
		u64 rend = memmap_range_end(r);

		if (r->type != MEMMAP_USABLE || rend <= rb || r->base >= re) {
			err = emit(m->scratch, &n, r->base, rend, r->type);
			continue;
		}
		u64 cut_lo = r->base > rb ? r->base : rb;
		u64 cut_hi = rend < re ? rend : re;
		err = emit(m->scratch, &n, r->base, cut_lo, MEMMAP_USABLE);
		if (!err)
			err = emit(m->scratch, &n, cut_lo, cut_hi, MEMMAP_HV_RESERVED);
		if (!err)
			err = emit(m->scratch, &n, cut_hi, rend, MEMMAP_USABLE);
	}
	if (err)
		return err;
	memcpy(m->r, m->scratch, n * sizeof(m->r[0]));
	m->count = n;
	return MEMMAP_OK;
}

u64 memmap_usable_bytes(const struct memmap *m)
{
	const struct memmap_range *r;
	u64 total = 0;

	memmap_for_each (m, r) {
		if (r->type == MEMMAP_USABLE)
			total += r->len;
	}
	return total;
}

u64 memmap_usable_limit(const struct memmap *m)
{
	const struct memmap_range *r;
	u64 limit = 0;

	memmap_for_each (m, r) {
		if (r->type == MEMMAP_USABLE && memmap_range_end(r) > limit)
			limit = memmap_range_end(r);
	}
	return limit;
}

bool memmap_is_usable(const struct memmap *m, u64 base, u64 len)
{
	const struct memmap_range *r;

	if (len == 0 || add_overflows(base, len))
		return false;
	memmap_for_each (m, r) {
		if (r->type == MEMMAP_USABLE && base >= r->base &&
		    base + len <= memmap_range_end(r))
			return true;
	}
	return false;
}

enum memmap_type memmap_type_from_multiboot(u32 mb_type)
{
	switch (mb_type) {
	case MEMMAP_MB_AVAILABLE:
		return MEMMAP_USABLE;
	case MEMMAP_MB_ACPI_RECLAIMABLE:
		return MEMMAP_ACPI_RECLAIMABLE;
	case MEMMAP_MB_NVS:
		return MEMMAP_ACPI_NVS;
	case MEMMAP_MB_BADRAM:
		return MEMMAP_BAD;
	default:
		/* The spec: "any other value indicates a reserved area". */
		return MEMMAP_RESERVED;
	}
}

const char *memmap_type_name(enum memmap_type type)
{
	static const char *const names[] = {
	    [MEMMAP_USABLE] = "usable",
	    [MEMMAP_HV_RESERVED] = "hypervisor",
	    [MEMMAP_ACPI_RECLAIMABLE] = "acpi-reclaimable",
	    [MEMMAP_ACPI_NVS] = "acpi-nvs",
	    [MEMMAP_RESERVED] = "reserved",
	    [MEMMAP_BAD] = "bad",
	};
	return NAME_IN(names, type, "unknown-type");
}

const char *memmap_strerror(enum memmap_err err)
{
	static const char *const names[] = {
	    [MEMMAP_OK] = "ok",
	    [MEMMAP_ERR_FULL] = "memory map full (MEMMAP_MAX_RANGES)",
	    [MEMMAP_ERR_BAD_TYPE] = "unknown memory range type",
	    [MEMMAP_ERR_NOT_NORMALIZED] = "memory map not normalized",
	    [MEMMAP_ERR_WRAPS] = "range wraps past 2^64",
	};
	return NAME_IN(names, err, "unknown memmap error");
}
