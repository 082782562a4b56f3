/* The guest's own page tables: all of its RAM identity mapped - the low
 * 4 GiB with 2 MiB pages (code, data, tables, trace buffer), RAM above with
 * 1 GiB pages where the CPU has them (else 2 MiB) - and the workload region at
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

/* Table frames the identity map of RAM up to ram_top takes. */
u64 paging_identity_tables(u64 ram_top);
/* Builds the identity map of [0, max(4 GiB, ram_top rounded up to 1 GiB))
 * from pool frames and loads CR3. */
bool paging_init(struct gpt_pool *pool, u64 start, u64 end, u64 ram_top);
/* (Re)maps [REGION_VA, REGION_VA + size) -> [gpa, gpa + size) with pages of
 * page_size (4 KiB, 2 MiB or 1 GiB), dropping the previous region mapping,
 * and reloads CR3. Returns false when out of table frames or misaligned. */
bool paging_map_region(struct gpt_pool *pool, u64 gpa, u64 size, u64 page_size);
/* CPUID.80000001H:EDX.Page1GB: the CPU can map 1 GiB pages. */
bool paging_has_1g_pages(void);
/* The largest page size that gpa, REGION_VA and size allow (up to 1 GiB). */
u64 paging_largest_page(u64 gpa, u64 size);
/* Table frames used by the current region mapping. */
u64 paging_region_tables(const struct gpt_pool *pool);

#endif
