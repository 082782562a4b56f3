#include "hv/model/tlb.h"

#include "lib/bits.h"
#include "lib/mem.h"

#define ANY_SIZE_4K_2M (TLB_SIZE_BIT(TLB_PAGE_4K) | TLB_SIZE_BIT(TLB_PAGE_2M))

/* Data-TLB parameters from the Intel 64 and IA-32 Architectures Optimization
 * Reference Manual (TLB parameter tables of the Skylake and Sandy Bridge
 * microarchitecture chapters).
 *
 * Walk caches (DESIGN.md, "Walk caches"). Intel documents that paging-
 * structure caches exist per level (SDM Vol. 3A, 4.10.3) but not their
 * sizes; the model uses 2 PML4E, 4 PDPTE and 32 PDE entries, the sizes
 * reported for Intel cores by Barr, Cox and Rixner ("Translation Caching:
 * Skip, Don't Walk (the Page Table)", ISCA 2010) and Bhattacharjee ("Large-
 * Reach Memory Management Unit Caches", MICRO 2013). Intel publishes no size
 * for its caches of EPT non-leaf entries (SDM Vol. 3C, 29.4), so the nested
 * ones get the same geometry. The nested TLB (gPA -> hPA pages) has 16
 * entries, of the order Bhargava et al. evaluate for AMD's nested TLB
 * ("Accelerating Two-Dimensional Page Walks for Virtualized Systems",
 * ASPLOS 2008); no vendor publishes its size. */
#define INTEL_WALK_CACHES                                                                          \
	{                                                                                          \
		.pwc = {32, 4, 2}, .nested_pwc = {32, 4, 2}, .nested_tlb = 16                      \
	}
static const struct tlb_config tlb_presets[] = {
    {
        .name = "skylake",
        .level =
            {
                {
                    {.entries = 64, .ways = 4, .sizes = TLB_SIZE_BIT(TLB_PAGE_4K)},
                    {.entries = 32, .ways = 4, .sizes = TLB_SIZE_BIT(TLB_PAGE_2M)},
                    {.entries = 4, .ways = 4, .sizes = TLB_SIZE_BIT(TLB_PAGE_1G)},
                },
                {
                    {.entries = 1536, .ways = 12, .sizes = ANY_SIZE_4K_2M},
                    {.entries = 16, .ways = 4, .sizes = TLB_SIZE_BIT(TLB_PAGE_1G)},
                },
            },
        .caches = INTEL_WALK_CACHES,
    },
    {
        .name = "sandybridge",
        .level =
            {
                {
                    {.entries = 64, .ways = 4, .sizes = TLB_SIZE_BIT(TLB_PAGE_4K)},
                    {.entries = 32, .ways = 4, .sizes = TLB_SIZE_BIT(TLB_PAGE_2M)},
                    {.entries = 4, .ways = 4, .sizes = TLB_SIZE_BIT(TLB_PAGE_1G)},
                },
                {
                    {.entries = 512, .ways = 4, .sizes = TLB_SIZE_BIT(TLB_PAGE_4K)},
                },
            },
        .caches = INTEL_WALK_CACHES,
    },
};

static const u8 page_shift[TLB_PAGE_SIZES] = {
    [TLB_PAGE_4K] = 12,
    [TLB_PAGE_2M] = 21,
    [TLB_PAGE_1G] = 30,
};

u64 tlb_page_bytes(enum tlb_page_size ps)
{
	return 1ULL << page_shift[ps];
}

static enum tlb_err check_array(const struct tlb_array_config *a, u8 *sizes_seen)
{
	if (!a->ways || a->entries % a->ways || !is_pow2(a->entries / a->ways))
		return TLB_ERR_GEOMETRY;
	if (!a->sizes || a->sizes >= TLB_SIZE_BIT(TLB_PAGE_SIZES) || (a->sizes & *sizes_seen))
		return TLB_ERR_SIZES;
	*sizes_seen |= a->sizes;
	return TLB_OK;
}

enum tlb_err tlb_init(struct tlb *t, const struct tlb_config *config)
{
	u32 next = 0;

	memset(t->array, 0, sizeof(t->array));
	for (int l = 0; l < TLB_LEVELS; l++) {
		u8 sizes_seen = 0;
		for (int i = 0; i < TLB_MAX_ARRAYS; i++) {
			const struct tlb_array_config *a = &config->level[l][i];
			if (!a->entries)
				continue;
			enum tlb_err e = check_array(a, &sizes_seen);
			if (e == TLB_OK && next + a->entries > TLB_MAX_ENTRIES)
				e = TLB_ERR_TOO_LARGE;
			if (e != TLB_OK) {
				memset(t->array, 0, sizeof(t->array));
				return e;
			}
			t->array[l][i] = (struct tlb_array){
			    .first = next,
			    .sets = a->entries / a->ways,
			    .ways = a->ways,
			    .sizes = a->sizes,
			};
			next += a->entries;
		}
	}
	t->config = *config;
	tlb_flush(t);
	return TLB_OK;
}

void tlb_flush(struct tlb *t)
{
	memset(t->entry, 0, sizeof(t->entry));
	t->clock = 0;
}

static struct tlb_entry *set_of(struct tlb *t, const struct tlb_array *a, u64 vpn)
{
	return &t->entry[a->first + (vpn & (a->sets - 1)) * a->ways];
}

/* The entry caching va at any size the array holds, or NULL. */
static struct tlb_entry *array_find(struct tlb *t, const struct tlb_array *a, u64 va)
{
	for (int ps = 0; ps < TLB_PAGE_SIZES; ps++) {
		if (!(a->sizes & TLB_SIZE_BIT(ps)))
			continue;
		u64 vpn = va >> page_shift[ps];
		struct tlb_entry *set = set_of(t, a, vpn);
		for (u32 w = 0; w < a->ways; w++)
			if (set[w].valid && set[w].size == ps && set[w].vpn == vpn)
				return &set[w];
	}
	return NULL;
}

static void array_insert(struct tlb *t, const struct tlb_array *a, u64 vpn, u64 pa_base,
                         enum tlb_page_size size)
{
	struct tlb_entry *set = set_of(t, a, vpn);
	struct tlb_entry *victim = NULL;
	u32 w;

	/* Refresh in place: a page is never cached twice. */
	for (w = 0; w < a->ways && !victim; w++)
		if (set[w].valid && set[w].size == size && set[w].vpn == vpn)
			victim = &set[w];
	for (w = 0; w < a->ways && !victim; w++)
		if (!set[w].valid)
			victim = &set[w];
	if (!victim) {
		victim = &set[0];
		for (w = 1; w < a->ways; w++)
			if (set[w].last_use < victim->last_use)
				victim = &set[w];
	}
	*victim = (struct tlb_entry){
	    .vpn = vpn,
	    .pa_base = pa_base,
	    .last_use = ++t->clock,
	    .valid = true,
	    .size = (u8)size,
	};
}

static const struct tlb_array *array_for_size(const struct tlb *t, int level,
                                              enum tlb_page_size size)
{
	for (int i = 0; i < TLB_MAX_ARRAYS; i++) {
		const struct tlb_array *a = &t->array[level][i];
		if (a->ways && (a->sizes & TLB_SIZE_BIT(size)))
			return a;
	}
	return NULL;
}

static void insert_level(struct tlb *t, int level, u64 va, u64 pa_base, enum tlb_page_size size)
{
	const struct tlb_array *a = array_for_size(t, level, size);
	const u64 mask = tlb_page_bytes(size) - 1;

	if (a)
		array_insert(t, a, va >> page_shift[size], pa_base & ~mask, size);
}

struct tlb_result tlb_lookup_level(struct tlb *t, int level, u64 va)
{
	struct tlb_result r = {.level = TLB_MISS};

	for (int i = 0; i < TLB_MAX_ARRAYS; i++) {
		const struct tlb_array *a = &t->array[level][i];
		if (!a->ways)
			continue;
		struct tlb_entry *e = array_find(t, a, va);
		if (!e)
			continue;
		e->last_use = ++t->clock;
		r.level = level == 0 ? TLB_HIT_L1 : TLB_HIT_L2;
		r.size = (enum tlb_page_size)e->size;
		r.pa = e->pa_base + (va & (tlb_page_bytes(r.size) - 1));
		return r;
	}
	return r;
}

void tlb_insert_level(struct tlb *t, int level, u64 va, u64 pa_base, enum tlb_page_size size)
{
	insert_level(t, level, va, pa_base, size);
}

struct tlb_result tlb_lookup(struct tlb *t, u64 va)
{
	struct tlb_result r = tlb_lookup_level(t, 0, va);

	if (r.level != TLB_MISS)
		return r;
	r = tlb_lookup_level(t, 1, va);
	if (r.level == TLB_HIT_L2)
		insert_level(t, 0, va, r.pa, r.size);
	return r;
}

void tlb_insert(struct tlb *t, u64 va, u64 pa_base, enum tlb_page_size size)
{
	for (int l = 0; l < TLB_LEVELS; l++)
		insert_level(t, l, va, pa_base, size);
}

const struct tlb_config *tlb_preset_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(tlb_presets); i++)
		if (!strcmp(tlb_presets[i].name, name))
			return &tlb_presets[i];
	return NULL;
}
