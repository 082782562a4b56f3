/* The direct map's plan and tables (arch/x86/dmap.h, dmap_build): which
 * leaf size and PCD/PWT bits each part of [0, gigs GiB) gets from the MTRRs,
 * written into the tables the caller gives. Nothing here touches the CPU. */
#include "arch/x86/dmap.h"

#include "lib/mem.h"

struct build {
	const struct dmap_tables *t;
	const struct mtrr_state *m;
	u64 pat;
	unsigned pts; /* page tables used */
	struct dmap_info *info;
};

static u64 leaf(struct build *b, u64 addr, u64 size, const struct mtrr_leaf *l)
{
	if (l->type == MTRR_TYPE_UC || l->type == MTRR_TYPE_MIXED)
		b->info->uc_bytes += size;
	return addr | PTE_P | PTE_RW | l->pte_bits | (size > PAGE_SIZE_4K ? PTE_PS : 0);
}

/* One PDE: a 2 MiB leaf, or a table of 4 KiB leaves where the 2 MiB
 * straddles types. */
static u64 map_2m(struct build *b, u64 a)
{
	struct mtrr_leaf l = mtrr_leaf_for(b->m, b->pat, a, PAGE_SIZE_2M);
	if (l.split && b->pts < b->t->npt) {
		u64 *pt = b->t->pt[b->pts++];
		for (u64 j = 0; j < PT_ENTRIES; j++) {
			u64 p = a + j * PAGE_SIZE_4K;
			struct mtrr_leaf l4 = mtrr_leaf_for(b->m, b->pat, p, PAGE_SIZE_4K);
			pt[j] = leaf(b, p, PAGE_SIZE_4K, &l4);
		}
		b->info->split_2m++;
		b->info->leaves_4k += PT_ENTRIES;
		b->info->tables++;
		return (u64)(uintptr_t)pt | PTE_P | PTE_RW;
	}
	if (l.split)
		b->info->uc_fallback++; /* l.pte_bits are UC's (mtrr_pte_bits of MIXED) */
	b->info->leaves_2m++;
	return leaf(b, a, PAGE_SIZE_2M, &l);
}

void dmap_build(const struct dmap_tables *t, const struct mtrr_state *m, u64 pat, u64 gigs,
                bool huge, struct dmap_info *info)
{
	struct build b = {.t = t, .m = m, .pat = pat, .info = info};
	if (gigs > t->npd)
		gigs = t->npd;
	memset(t->pml4, 0, PT_ENTRIES * sizeof(u64));
	memset(t->pdpt, 0, PT_ENTRIES * sizeof(u64));
	t->pml4[0] = (u64)(uintptr_t)t->pdpt | PTE_P | PTE_RW;
	info->tables = 2;
	for (u64 g = 0; g < gigs; g++) {
		if (huge) {
			struct mtrr_leaf l = mtrr_leaf_for(m, pat, g * GiB, GiB);
			if (!l.split) {
				t->pdpt[g] = leaf(&b, g * GiB, GiB, &l);
				info->leaves_1g++;
				continue;
			}
			info->split_1g++;
		}
		for (u64 i = 0; i < PT_ENTRIES; i++)
			t->pd[g][i] = map_2m(&b, g * GiB + i * PAGE_SIZE_2M);
		t->pdpt[g] = (u64)(uintptr_t)t->pd[g] | PTE_P | PTE_RW;
		info->tables++;
	}
	info->top = gigs * GiB;
	info->page_size = info->leaves_1g ? PAGE_SIZE_1G : PAGE_SIZE_2M;
}
