/* A model of a data TLB: two levels (L1 and the unified second-level STLB),
 * each made of set-associative arrays with exact LRU replacement. As on real
 * cores each array holds given page sizes (4 KiB, 2 MiB, 1 GiB); one array
 * may hold several (Skylake's STLB shares 4 KiB and 2 MiB). A miss in both
 * levels is the caller's walk, after which it inserts into both levels; a hit
 * in L2 refills L1. The state is a caller-owned struct sized for the largest
 * configuration (TLB_MAX_ENTRIES in all); there is no address-space tag, so a
 * CR3 switch is a tlb_flush. */
#ifndef HV_TLB_H
#define HV_TLB_H

#include "lib/types.h"

enum tlb_page_size {
	TLB_PAGE_4K,
	TLB_PAGE_2M,
	TLB_PAGE_1G,
	TLB_PAGE_SIZES,
};
#define TLB_SIZE_BIT(ps) (1u << (ps))

enum tlb_level {
	TLB_MISS,
	TLB_HIT_L1,
	TLB_HIT_L2,
};

#define TLB_LEVELS      2
#define TLB_MAX_ARRAYS  3 /* per level */
#define TLB_MAX_ENTRIES 2048

struct tlb_array_config {
	u16 entries; /* 0: the array is absent */
	u16 ways;    /* entries / ways sets, a power of two; ways == entries: fully associative */
	u8 sizes;    /* TLB_SIZE_BIT mask of the page sizes it holds */
};

/* The walk caches that go with a TLB preset (used when the model turns them
 * on): entries per level of non-leaf entry, [0] PDE, [1] PDPTE, [2] PML4E,
 * for the guest's tables and for the nested table, and the nested TLB. */
struct mmu_cache_config {
	u16 pwc[3];
	u16 nested_pwc[3];
	u16 nested_tlb;
};

struct tlb_config {
	const char *name;
	struct tlb_array_config level[TLB_LEVELS][TLB_MAX_ARRAYS]; /* [0] = L1, [1] = L2 */
	struct mmu_cache_config caches;
};

enum tlb_err {
	TLB_OK,
	TLB_ERR_GEOMETRY,  /* ways 0, entries not a multiple of ways, or sets not a power of 2 */
	TLB_ERR_SIZES,     /* an array holds no page size, or a size held twice in a level */
	TLB_ERR_TOO_LARGE, /* more than TLB_MAX_ENTRIES in all */
};

struct tlb_entry {
	u64 vpn;     /* va >> page shift of size */
	u64 pa_base; /* physical base of the page */
	u64 last_use;
	bool valid;
	u8 size; /* enum tlb_page_size */
};

struct tlb_array {
	u32 first; /* index of its first entry in tlb.entry[] */
	u32 sets;
	u32 ways;
	u8 sizes;
};

struct tlb {
	struct tlb_config config;
	struct tlb_array array[TLB_LEVELS][TLB_MAX_ARRAYS];
	u64 clock; /* LRU time, advanced by every lookup hit and insert */
	struct tlb_entry entry[TLB_MAX_ENTRIES];
};

struct tlb_result {
	enum tlb_level level;
	u64 pa; /* translation of the looked-up va, when level != TLB_MISS */
	enum tlb_page_size size;
};

u64 tlb_page_bytes(enum tlb_page_size ps);

enum tlb_err tlb_init(struct tlb *t, const struct tlb_config *config);
/* One level (0 = L1, 1 = L2) alone: no refill of the other. */
struct tlb_result tlb_lookup_level(struct tlb *t, int level, u64 va);
void tlb_insert_level(struct tlb *t, int level, u64 va, u64 pa_base, enum tlb_page_size size);
/* L1, then L2 with a refill of L1 on an L2 hit. */
struct tlb_result tlb_lookup(struct tlb *t, u64 va);
/* Caches va's page of the given size at pa_base in every level that has an
 * array for that size. Unaligned low bits of va and pa_base are ignored. */
void tlb_insert(struct tlb *t, u64 va, u64 pa_base, enum tlb_page_size size);
void tlb_flush(struct tlb *t);

/* Presets "skylake" and "sandybridge"; NULL for an unknown name. */
const struct tlb_config *tlb_preset_find(const char *name);

#endif
