#include "arch/x86/dmap.h"

#include "arch/x86/cpu.h"
#include "lib/x86/paging.h"
#include "lib/mem.h"

#define DMAP_PDS (DMAP_MAX_BYTES / GiB)

static u64 dmap_pml4[PT_ENTRIES] __attribute__((aligned(4096)));
static u64 dmap_pdpt[PT_ENTRIES] __attribute__((aligned(4096)));
static u64 dmap_pd[DMAP_PDS][PT_ENTRIES] __attribute__((aligned(4096)));
static u64 dmap_pt[DMAP_MAX_SPLIT_2M][PT_ENTRIES] __attribute__((aligned(4096)));
static struct mtrr_state dmap_mtrr;
static struct dmap_info dmap;

static bool cpu_rdmsr(void *ctx, u32 msr, u64 *val)
{
	(void)ctx;
	return rdmsr_safe(msr, val) == 0;
}

static const struct mtrr_ops cpu_mtrr_ops = {.rdmsr = cpu_rdmsr};

/* Writes back and invalidates every cache level (Vol. 2B, WBINVD). */
static inline void wbinvd(void)
{
	__asm__ volatile("wbinvd" ::: "memory");
}

void dmap_init(u64 top, struct dmap_info *out)
{
	const struct cpuid_regs f1 = cpuid(CPUID_LEAF_FEATURES, 0);
	bool huge = cpuid(CPUID_LEAF_EXT_FEATURES, 0).edx & CPUID_80000001_EDX_PAGE1GB;
	u64 gigs = align_up(top, GiB) / GiB;
	if (gigs < 4)
		gigs = 4; /* keep the low 4 GiB: firmware tables and MMIO live there */
	if (gigs > DMAP_PDS)
		gigs = DMAP_PDS;

	memset(&dmap, 0, sizeof(dmap));
	dmap.mtrr = &dmap_mtrr;
	dmap.mtrr_err =
	    mtrr_read(&cpu_mtrr_ops, f1.edx & CPUID_1_EDX_MTRR, &dmap_mtrr, &dmap.mtrr_bad_msr);
	/* The host leaves IA32_PAT as it finds it (its power-on value unless the
	 * firmware changed it); a CPU without PAT gives PCD/PWT the meanings of
	 * the power-on value's entries 0-3 (Vol. 3A, 12.12.3). */
	dmap.pat = (f1.edx & CPUID_1_EDX_PAT) ? rdmsr(IA32_PAT) : PAT_POWER_ON_VALUE;
	/* The boot tables map everything WB in PAT terms, which leaves the MTRR
	 * type in force (Vol. 3A, Table 12-7); the bits chosen here select the
	 * same effective type, except in a UC fallback (below): see the end. */
	static const struct dmap_tables tables = {
	    .pml4 = dmap_pml4,
	    .pdpt = dmap_pdpt,
	    .pd = dmap_pd,
	    .npd = DMAP_PDS,
	    .pt = dmap_pt,
	    .npt = DMAP_MAX_SPLIT_2M,
	};
	dmap_build(&tables, &dmap_mtrr, dmap.pat, gigs, huge, &dmap);
	write_cr3((u64)(uintptr_t)dmap_pml4);
	/* A UC fallback maps UC whole a 2 MiB page that straddles MTRR types and
	 * that the boot tables mapped PAT WB, under which its cacheable parts
	 * could be cached: its type changed, and those lines must go. Vol. 3A,
	 * 12.12.4: after the new mapping is in place and the TLBs flushed (the
	 * CR3 load above; the boot tables had no global pages), flush the caches.
	 * Without a fallback no type changed and no flush is needed. */
	if (dmap.uc_fallback)
		wbinvd();
	*out = dmap;
}

bool dmap_is_uncached(u64 pa, u64 len)
{
	return len && pa + len <= dmap.top && pa + len > pa &&
	       mtrr_range_type(&dmap_mtrr, pa, len) == MTRR_TYPE_UC;
}

/* One leaf: present, its own address, the PCD/PWT bits of its type;
 * counts a large leaf that straddles types in *straddling. */
static bool leaf_ok(u64 e, u64 a, u64 size, unsigned *straddling)
{
	const struct mtrr_leaf l = mtrr_leaf_for(&dmap_mtrr, dmap.pat, a, size);
	if (l.split)
		(*straddling)++;
	return (e & PTE_P) && (e & PTE_ADDR_MASK) == a && (e & (PTE_PCD | PTE_PWT)) == l.pte_bits;
}

unsigned dmap_verify(void)
{
	const u64 *pml4 = (const u64 *)(uintptr_t)(read_cr3() & PTE_ADDR_MASK);
	const u64 *pdpt = (const u64 *)(uintptr_t)(pml4[0] & PTE_ADDR_MASK);
	unsigned bad = 0, straddling = 0;
	for (u64 g = 0; g < dmap.top / GiB; g++) {
		u64 e = pdpt[g];
		if ((e & PTE_P) && (e & PTE_PS)) {
			bad += !leaf_ok(e, g * GiB, GiB, &straddling);
			continue;
		}
		if (!(e & PTE_P)) {
			bad++;
			continue;
		}
		const u64 *pd = (const u64 *)(uintptr_t)(e & PTE_ADDR_MASK);
		for (u64 i = 0; i < PT_ENTRIES; i++) {
			u64 a = g * GiB + i * PAGE_SIZE_2M, d = pd[i];
			if (!(d & PTE_P) || (d & PTE_PS)) {
				bad += !leaf_ok(d, a, PAGE_SIZE_2M, &straddling);
				continue;
			}
			const u64 *pt = (const u64 *)(uintptr_t)(d & PTE_ADDR_MASK);
			for (u64 j = 0; j < PT_ENTRIES; j++)
				bad += !leaf_ok(pt[j], a + j * PAGE_SIZE_4K, PAGE_SIZE_4K,
				                &straddling);
		}
	}
	if (straddling > dmap.uc_fallback)
		bad += straddling - dmap.uc_fallback;
	return bad;
}
