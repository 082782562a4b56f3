/* The host physical memory map: a fixed-capacity list of typed ranges.
 * memmap_add() records raw firmware entries as given; memmap_normalize() turns them into sorted,
 * non-overlapping, merged ranges (non-usable types win on overlap, usable ranges trimmed inward to
 * 4 KiB, empty entries dropped, anything at or above MEMMAP_PHYS_LIMIT clipped and counted).
 * memmap_reserve() then carves hypervisor-owned ranges out of the usable ones. Every operation
 * that fails leaves the map as it was. */
#ifndef HV_MEMMAP_H
#define HV_MEMMAP_H

#include "lib/types.h"

#define MEMMAP_MAX_RANGES 128

/* x86-64 physical addresses have at most 52 bits (SDM Vol. 3A, 4.1.4, MAXPHYADDR). Clipping
 * there also keeps every range's length representable in a u64. */
#define MEMMAP_PHYS_LIMIT (1ULL << 52)

/* Ordered by precedence: on overlap, the higher value wins. */
enum memmap_type {
	MEMMAP_USABLE = 1,
	MEMMAP_HV_RESERVED, /* carved out by memmap_reserve(): image, modules, boot data */
	MEMMAP_ACPI_RECLAIMABLE,
	MEMMAP_ACPI_NVS,
	MEMMAP_RESERVED,
	MEMMAP_BAD,
};

/* Multiboot v1 memory map "type" values (Multiboot spec 0.6.96, 3.3 "Boot information format"). */
#define MEMMAP_MB_AVAILABLE        1
#define MEMMAP_MB_RESERVED         2
#define MEMMAP_MB_ACPI_RECLAIMABLE 3
#define MEMMAP_MB_NVS              4
#define MEMMAP_MB_BADRAM           5

enum memmap_err {
	MEMMAP_OK = 0,
	MEMMAP_ERR_FULL,           /* more ranges than MEMMAP_MAX_RANGES */
	MEMMAP_ERR_BAD_TYPE,       /* not an enum memmap_type value */
	MEMMAP_ERR_NOT_NORMALIZED, /* operation needs memmap_normalize() first */
	MEMMAP_ERR_WRAPS,          /* a reservation whose base + len passes 2^64 */
};

struct memmap_range {
	u64 base;
	u64 len;
	enum memmap_type type;
};

struct memmap {
	struct memmap_range r[MEMMAP_MAX_RANGES];
	unsigned count;
	bool normalized;
	unsigned clipped;       /* entries cut or dropped at MEMMAP_PHYS_LIMIT (incl. wrapping) */
	unsigned empty_dropped; /* zero-length entries dropped */
	/* Scratch for building a new list, so that a failure leaves r[] untouched. */
	struct memmap_range scratch[MEMMAP_MAX_RANGES];
};

void memmap_init(struct memmap *m);
/* Records one raw entry verbatim; the map is no longer normalized. */
enum memmap_err memmap_add(struct memmap *m, u64 base, u64 len, enum memmap_type type);
enum memmap_err memmap_normalize(struct memmap *m);
/* Removes [base, base + len), widened to 4 KiB frames, from the usable ranges; the removed
 * parts become MEMMAP_HV_RESERVED. Non-usable ranges and holes are not changed. */
enum memmap_err memmap_reserve(struct memmap *m, u64 base, u64 len);

u64 memmap_usable_bytes(const struct memmap *m);
/* One past the highest usable byte; 0 when nothing is usable. */
u64 memmap_usable_limit(const struct memmap *m);
/* Whether [base, base + len) lies entirely inside one usable range (len 0: false). */
bool memmap_is_usable(const struct memmap *m, u64 base, u64 len);

static inline unsigned memmap_count(const struct memmap *m)
{
	return m->count;
}
static inline const struct memmap_range *memmap_get(const struct memmap *m, unsigned i)
{
	return i < m->count ? &m->r[i] : NULL;
}
static inline u64 memmap_range_end(const struct memmap_range *r)
{
	return r->base + r->len;
}

#define memmap_for_each(m, it) for ((it) = &(m)->r[0]; (it) < &(m)->r[(m)->count]; (it)++)

enum memmap_type memmap_type_from_multiboot(u32 mb_type);
const char *memmap_type_name(enum memmap_type type);
const char *memmap_strerror(enum memmap_err err);

#endif
