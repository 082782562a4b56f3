/* The guest page walk of gwalk.h. */
#include "hv/vm/gwalk.h"

#include "lib/bits.h"
#include "lib/x86/cr.h"
#include "lib/x86/paging.h"

#define PAGE_SHIFT        12
#define LEGACY_BITS       10 /* index bits per level of 32-bit paging */
#define LONG_BITS         9  /* ... of PAE and IA-32e paging */
#define PDE32_PS_ADDR     BITS(31, 22)
#define PDE32_PSE36       BITS(20, 13) /* physical-address bits 39:32 of a 4 MiB page */
#define PDE32_PSE36_SHIFT 13
#define ADDR32_MASK       BITS(31, 12)
#define PAE_PDPT_MASK     BITS(31, 5) /* CR3 in PAE paging (SDM Vol. 3A, Table 4-7) */
#define PAE_PDPT_SHIFT    30
#define LEVELS_4          4
#define LEVELS_5          5

static bool read_entry(gwalk_read_fn read, void *ctx, u64 addr, unsigned size, u64 *e)
{
	*e = 0;
	return read(ctx, addr, e, size) && (*e & PTE_P);
}

/* 32-bit paging (SDM Vol. 3A, 4.3, Tables 4-4 to 4-6). */
static bool walk32(const struct gwalk_regs *r, u32 la, gwalk_read_fn read, void *ctx, u64 *gpa)
{
	u64 pde, pte;
	const u64 pd = r->cr3 & ADDR32_MASK;
	if (!read_entry(read, ctx, pd + (la >> (PAGE_SHIFT + LEGACY_BITS)) * 4, 4, &pde))
		return false;
	if ((pde & PTE_PS) && (r->cr4 & CR4_PSE)) {
		*gpa = (pde & PDE32_PS_ADDR) | ((pde & PDE32_PSE36) >> PDE32_PSE36_SHIFT) << 32 |
		       (la & BITS(21, 0));
		return true;
	}
	const u64 pt = pde & ADDR32_MASK;
	if (!read_entry(read, ctx, pt + ((la >> PAGE_SHIFT) & BITS(9, 0)) * 4, 4, &pte))
		return false;
	*gpa = (pte & ADDR32_MASK) | (la & BITS(11, 0));
	return true;
}

/* From a table at `table` whose entries index la's bits from `shift` down: PAE's page
 * directory (levels 2) or IA-32e's top table (4 or 5). A PS bit ends the walk at 1 GiB
 * (the level under the top in IA-32e mode) or 2 MiB. */
static bool walk64(u64 table, unsigned levels, bool ps_1g, u64 la, gwalk_read_fn read, void *ctx,
                   u64 *gpa)
{
	for (unsigned level = levels; level >= 1; level--) {
		const unsigned shift = PAGE_SHIFT + LONG_BITS * (level - 1);
		u64 e;
		if (!read_entry(read, ctx, table + ((la >> shift) % PT_ENTRIES) * sizeof(e),
		                sizeof(e), &e))
			return false;
		const bool leaf =
		    level == 1 || ((e & PTE_PS) && (level == 2 || (level == 3 && ps_1g)));
		if (leaf) {
			const u64 size = 1ull << shift;
			*gpa = (e & PTE_ADDR_MASK & ~(size - 1)) | (la & (size - 1));
			return true;
		}
		table = e & PTE_ADDR_MASK;
	}
	return false;
}

bool gwalk(const struct gwalk_regs *r, u64 la, gwalk_read_fn read, void *ctx, u64 *gpa)
{
	if (!(r->cr0 & CR0_PG)) {
		*gpa = (u32)la;
		return true;
	}
	if (r->efer & EFER_LMA) {
		const unsigned levels = (r->cr4 & CR4_LA57) ? LEVELS_5 : LEVELS_4;
		return walk64(r->cr3 & PTE_ADDR_MASK, levels, true, la, read, ctx, gpa);
	}
	if (!(r->cr4 & CR4_PAE))
		return walk32(r, (u32)la, read, ctx, gpa);
	/* PAE paging (4.4): the PDPTE of la[31:30], then a page directory. */
	u64 pdpte;
	const u32 la32 = (u32)la;
	if (!read_entry(read, ctx, (r->cr3 & PAE_PDPT_MASK) + (la32 >> PAE_PDPT_SHIFT) * 8, 8,
	                &pdpte))
		return false;
	return walk64(pdpte & PTE_ADDR_MASK, 2, false, la32, read, ctx, gpa);
}
