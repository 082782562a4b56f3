/* The hypervisor's direct map: all physical memory below `top`, identity
 * mapped with the largest pages the CPU offers (1 GiB where CPUID says
 * Page1GB, else 2 MiB), each page with the memory type the MTRRs give it
 * (arch/x86/mtrr.h: PCD/PWT select a PAT entry of that type). A large page
 * whose range straddles MTRR types is split, 1 GiB into 2 MiB and 2 MiB into
 * 4 KiB (SDM Vol. 3A, 12.11.9 "Large Page Size Considerations"): the first
 * MiB under the fixed-range MTRRs, the edges of MMIO ranges. Tables come
 * from a static pool, so the map exists before the frame allocator does. */
#ifndef ARCH_X86_DMAP_H
#define ARCH_X86_DMAP_H

#include "arch/x86/mtrr.h"
#include "lib/types.h"
#include "lib/x86/paging.h"

/* 2 MiB-page directories in the pool: 64 cover 64 GiB. */
#define DMAP_MAX_BYTES (64 * GiB)
/* 4 KiB-page tables in the pool, one per 2 MiB that straddles MTRR types;
 * past them such a 2 MiB page stays whole and UC (12.11.9's other way). */
#define DMAP_MAX_SPLIT_2M 16

struct dmap_info {
	u64 top;         /* bytes mapped: [0, top) */
	u64 page_size;   /* PAGE_SIZE_1G or PAGE_SIZE_2M: the largest page used */
	unsigned tables; /* table pages used */
	/* Memory types. */
	const struct mtrr_state *mtrr; /* as read at dmap_init */
	enum mtrr_err mtrr_err;        /* MTRR_ERR_MSR_FAULT: read as absent */
	u32 mtrr_bad_msr;              /* the MSR that faulted */
	u64 pat;                       /* IA32_PAT as found: the host does not program it */
	unsigned leaves_1g, leaves_2m, leaves_4k;
	unsigned split_1g, split_2m; /* large pages split where they straddle types */
	unsigned uc_fallback;        /* 2 MiB pages left whole and UC: no table left */
	u64 uc_bytes;                /* bytes mapped with a UC type */
};

/* Maps [0, top) (rounded up to 1 GiB, clamped to DMAP_MAX_BYTES) and loads
 * CR3. Returns the bytes actually mapped in *out. */
void dmap_init(u64 top, struct dmap_info *out);

/* The table pages dmap_build fills: pd[npd] page directories, pt[npt]
 * page tables (the pool for 2 MiB splits). Entries hold the tables'
 * addresses as pointers: the map is an identity map. */
struct dmap_tables {
	u64 *pml4, *pdpt;
	u64 (*pd)[PT_ENTRIES];
	unsigned npd;
	u64 (*pt)[PT_ENTRIES];
	unsigned npt;
};
/* The plan and the tables of dmap_init, without touching the CPU (pure, so
 * host unit tests run it over a fake MTRR state, arch/x86/dmap_build.c):
 * maps [0, gigs GiB) (gigs <= t->npd) with 1 GiB leaves where huge, 2 MiB
 * ones, and 4 KiB ones in t->pt while they last; past them a straddling 2 MiB
 * page is one UC leaf (uc_fallback). Fills info's counts, top, page_size,
 * uc_bytes; the caller sets mtrr, pat and the MTRR fields. */
void dmap_build(const struct dmap_tables *t, const struct mtrr_state *m, u64 pat, u64 gigs,
                bool huge, struct dmap_info *info);
/* Whether the map gives [pa, pa + len) the UC memory type: each page has
 * the type of its MTRRs (PCD/PWT select a PAT entry of the same type), so
 * this is whether the MTRRs make the range UC. For MMIO such as the local
 * APIC's, which must be UC (SDM Vol. 3A, 11.4.1). */
bool dmap_is_uncached(u64 pa, u64 len);
/* Checks the live tables: every leaf (1 GiB, 2 MiB or 4 KiB) present and
 * pointing at its own address, with the PCD/PWT bits of its MTRR type, and
 * no large leaf that straddles types beyond the UC fallbacks counted at
 * init. Returns the number of wrong entries. */
unsigned dmap_verify(void);

#endif
