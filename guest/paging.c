#include "guest/paging.h"

#include "lib/bits.h"
#include "lib/mem.h"
#include "lib/x86/cpuid.h"
#include "lib/x86/cr.h"
#include "lib/x86/paging.h"

#define IDENTITY_LOW_GIB 4 /* mapped with 2 MiB pages, as the boot tables do */

static u64 *table(u64 pa)
{
	return (u64 *)(uintptr_t)pa;
}

static u64 pool_alloc(struct gpt_pool *pool)
{
	if (pool->next + PAGE_SIZE_4K > pool->end)
		return 0;
	u64 pa = pool->next;
	pool->next += PAGE_SIZE_4K;
	memset(table(pa), 0, PAGE_SIZE_4K);
	return pa;
}

static u64 pml4_pa;

/* GiB of guest-physical space the identity map covers. */
static u64 identity_gib(u64 ram_top)
{
	u64 gib = align_up(ram_top, PAGE_SIZE_1G) / PAGE_SIZE_1G;
	return gib < IDENTITY_LOW_GIB ? IDENTITY_LOW_GIB : gib;
}

u64 paging_identity_tables(u64 ram_top)
{
	u64 gib = identity_gib(ram_top);
	u64 pds = paging_has_1g_pages() ? IDENTITY_LOW_GIB : gib; /* one PD per 2 MiB-mapped GiB */
	return 2 + pds;                                           /* and a PML4 and a PDPT */
}

/* One GiB of identity map at gPA g GiB: a PD of 2 MiB pages. */
static bool map_gib_2m(struct gpt_pool *pool, u64 pdpt, u64 g)
{
	u64 pd = pool_alloc(pool);
	if (!pd)
		return false;
	for (u64 i = 0; i < 512; i++)
		table(pd)[i] = (g * GiB + i * PAGE_SIZE_2M) | PTE_P | PTE_RW | PTE_PS;
	table(pdpt)[g] = pd | PTE_P | PTE_RW;
	return true;
}

bool paging_init(struct gpt_pool *pool, u64 start, u64 end, u64 ram_top)
{
	pool->start = pool->next = start;
	pool->end = end;
	pml4_pa = pool_alloc(pool);
	u64 pdpt = pool_alloc(pool);
	u64 gib = identity_gib(ram_top);
	if (!pml4_pa || !pdpt || gib > PT_ENTRIES)
		return false;
	table(pml4_pa)[0] = pdpt | PTE_P | PTE_RW;
	const bool big = paging_has_1g_pages();
	for (u64 g = 0; g < gib; g++) {
		if (g >= IDENTITY_LOW_GIB && big)
			table(pdpt)[g] = (g * GiB) | PTE_P | PTE_RW | PTE_PS;
		else if (!map_gib_2m(pool, pdpt, g))
			return false;
	}
	pool->region_mark = pool->next;
	write_cr3(pml4_pa);
	return true;
}

/* The table below entry e at `level`, made when absent. */
static u64 next_table(struct gpt_pool *pool, u64 *e)
{
	if (!(*e & PTE_P)) {
		u64 t = pool_alloc(pool);
		if (!t)
			return 0;
		*e = t | PTE_P | PTE_RW;
	}
	return *e & PTE_ADDR_MASK;
}

bool paging_map_region(struct gpt_pool *pool, u64 gpa, u64 size, u64 page_size)
{
	if (!is_aligned(gpa | size, page_size))
		return false;
	pool->next = pool->region_mark;
	table(pml4_pa)[pt_index(REGION_VA, 4)] = 0;
	int leaf_level = page_size == PAGE_SIZE_1G ? 3 : page_size == PAGE_SIZE_2M ? 2 : 1;
	for (u64 off = 0; off < size; off += page_size) {
		u64 va = REGION_VA + off;
		u64 *e = &table(pml4_pa)[pt_index(va, 4)];
		for (int level = 3; level >= leaf_level; level--) {
			u64 t = next_table(pool, e);
			if (!t)
				return false;
			e = &table(t)[pt_index(va, level)];
		}
		*e = (gpa + off) | PTE_P | PTE_RW | (leaf_level > 1 ? PTE_PS : 0);
	}
	write_cr3(pml4_pa); /* drops every TLB entry of the old mapping */
	return true;
}

/* 1 GiB pages exist only where CPUID.80000001H:EDX.Page1GB[bit 26] says
 * so; elsewhere PS in a PDPTE is reserved (SDM Vol. 3A, 4.5). */
bool paging_has_1g_pages(void)
{
	return cpuid(CPUID_LEAF_EXT_FEATURES, 0).edx & CPUID_80000001_EDX_PAGE1GB;
}

u64 paging_largest_page(u64 gpa, u64 size)
{
	if (paging_has_1g_pages() && is_aligned(gpa | size | REGION_VA, PAGE_SIZE_1G))
		return PAGE_SIZE_1G;
	if (is_aligned(gpa | size | REGION_VA, PAGE_SIZE_2M))
		return PAGE_SIZE_2M;
	return PAGE_SIZE_4K;
}

u64 paging_region_tables(const struct gpt_pool *pool)
{
	return (pool->next - pool->region_mark) / PAGE_SIZE_4K;
}
