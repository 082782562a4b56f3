/* The guest's own page tables: the low 4 GiB identity mapped with 2 MiB
 * pages (code, data, tables, trace buffer), and the workload region at
 * REGION_VA mapped onto its guest-physical run by one linear offset - with
 * 4 KiB or 2 MiB pages in paging modes, and with the largest pages that fit
 * where the region is the guest segment. */
#ifndef GUEST_PAGING_H
#define GUEST_PAGING_H

#include "lib/types.h"

#define REGION_VA (1ULL << 40) /* 1 TiB: a PML4 entry of its own */

struct gpt_pool {
	u64 start, end;  /* identity-mapped frames for tables */
	u64 next;        /* bump pointer */
	u64 region_mark; /* tables from here on belong to the region mapping */
};

/* Builds the identity map from pool frames and loads CR3. */
bool paging_init(struct gpt_pool *pool, u64 start, u64 end);
/* (Re)maps [REGION_VA, REGION_VA + size) -> [gpa, gpa + size) with pages of
 * page_size (4 KiB, 2 MiB or 1 GiB), dropping the previous region mapping,
 * and reloads CR3. Returns false when out of table frames or misaligned. */
bool paging_map_region(struct gpt_pool *pool, u64 gpa, u64 size, u64 page_size);
/* The largest page size that gpa, REGION_VA and size allow (up to 1 GiB). */
u64 paging_largest_page(u64 gpa, u64 size);
/* Table frames used by the current region mapping. */
u64 paging_region_tables(const struct gpt_pool *pool);

#endif
