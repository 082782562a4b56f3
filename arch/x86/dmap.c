#include "arch/x86/dmap.h"

#include "arch/x86/cpu.h"
#include "lib/x86/paging.h"
#include "lib/mem.h"

#define DMAP_PDS (DMAP_MAX_BYTES / GiB)

static u64 dmap_pml4[PT_ENTRIES] __attribute__((aligned(4096)));
static u64 dmap_pdpt[PT_ENTRIES] __attribute__((aligned(4096)));
static u64 dmap_pd[DMAP_PDS][PT_ENTRIES] __attribute__((aligned(4096)));
static struct dmap_info dmap;

void dmap_init(u64 top, struct dmap_info *out)
{
	bool huge = cpuid(CPUID_LEAF_EXT_FEATURES, 0).edx & CPUID_80000001_EDX_PAGE1GB;
	u64 gigs = align_up(top, GiB) / GiB;
	if (gigs < 4)
		gigs = 4; /* keep the low 4 GiB: firmware tables and MMIO live there */
	if (gigs > DMAP_PDS)
		gigs = DMAP_PDS;

	memset(dmap_pml4, 0, sizeof(dmap_pml4));
	memset(dmap_pdpt, 0, sizeof(dmap_pdpt));
	dmap_pml4[0] = (u64)(uintptr_t)dmap_pdpt | PTE_P | PTE_RW;
	dmap.tables = 2;
	for (u64 g = 0; g < gigs; g++) {
		if (huge) {
			dmap_pdpt[g] = (g * GiB) | PTE_P | PTE_RW | PTE_PS;
			continue;
		}
		for (u64 i = 0; i < PT_ENTRIES; i++)
			dmap_pd[g][i] = (g * GiB + i * PAGE_SIZE_2M) | PTE_P | PTE_RW | PTE_PS;
		dmap_pdpt[g] = (u64)(uintptr_t)dmap_pd[g] | PTE_P | PTE_RW;
		dmap.tables++;
	}
	dmap.top = gigs * GiB;
	dmap.page_size = huge ? PAGE_SIZE_1G : PAGE_SIZE_2M;
	write_cr3((u64)(uintptr_t)dmap_pml4);
	*out = dmap;
}

bool dmap_set_uncached(u64 pa, u64 len)
{
	if (!len || pa + len > dmap.top || pa + len < pa)
		return false;
	for (u64 a = align_down(pa, PAGE_SIZE_2M); a < pa + len; a += PAGE_SIZE_2M) {
		const u64 g = a / GiB;
		if (dmap_pdpt[g] & PTE_PS) {
			for (u64 i = 0; i < PT_ENTRIES; i++)
				dmap_pd[g][i] =
				    (g * GiB + i * PAGE_SIZE_2M) | PTE_P | PTE_RW | PTE_PS;
			dmap_pdpt[g] = (u64)(uintptr_t)dmap_pd[g] | PTE_P | PTE_RW;
			dmap.tables++;
		}
		dmap_pd[g][pt_index(a, 2)] |= PTE_PCD | PTE_PWT;
	}
	write_cr3(read_cr3()); /* the direct map has no global pages: this flushes it */
	return true;
}

unsigned dmap_verify(void)
{
	const u64 *pml4 = (const u64 *)(uintptr_t)(read_cr3() & PTE_ADDR_MASK);
	const u64 *pdpt = (const u64 *)(uintptr_t)(pml4[0] & PTE_ADDR_MASK);
	unsigned bad = 0;
	for (u64 a = 0; a < dmap.top; a += dmap.page_size) {
		u64 e = pdpt[a / GiB];
		if (dmap.page_size == PAGE_SIZE_2M && (e & PTE_P) && !(e & PTE_PS)) {
			const u64 *pd = (const u64 *)(uintptr_t)(e & PTE_ADDR_MASK);
			e = pd[pt_index(a, 2)];
		}
		if (!(e & PTE_P) || !(e & PTE_PS) || (e & PTE_ADDR_MASK) != a)
			bad++;
	}
	return bad;
}
