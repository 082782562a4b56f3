/* The hypervisor's direct map: all physical memory below `top`, identity
 * mapped with the largest pages the CPU offers (1 GiB where CPUID says
 * Page1GB, else 2 MiB). Tables come from a static pool, so the map exists
 * before the frame allocator does. */
#ifndef ARCH_X86_DMAP_H
#define ARCH_X86_DMAP_H

#include "lib/types.h"

/* 2 MiB-page directories in the pool: 64 cover 64 GiB. */
#define DMAP_MAX_BYTES (64 * GiB)

struct dmap_info {
	u64 top;         /* bytes mapped: [0, top) */
	u64 page_size;   /* PAGE_SIZE_1G or PAGE_SIZE_2M */
	unsigned tables; /* table pages used */
};

/* Maps [0, top) (rounded up to 1 GiB, clamped to DMAP_MAX_BYTES) and loads
 * CR3. Returns the bytes actually mapped in *out. */
void dmap_init(u64 top, struct dmap_info *out);
/* Makes the 2 MiB pages holding [pa, pa + len) uncached (PCD and PWT: PAT
 * entry 3, UC with the power-up PAT, SDM Vol. 3A, 13.12.3), splitting a
 * 1 GiB page into 2 MiB ones first. For MMIO such as the local APIC's;
 * false when the range is not in the map. */
bool dmap_set_uncached(u64 pa, u64 len);
/* Checks the live tables: every 1 GiB or 2 MiB entry present and pointing
 * at its own address. Returns the number of wrong entries. */
unsigned dmap_verify(void);

#endif
