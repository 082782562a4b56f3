/* The software MMU model (DESIGN.md, "No CPU has these registers"): a TLB
 * model in front of a 2D page walker that reads the guest's real 4-level page
 * tables and the real EPT through phys_to_virt, never writing, and counts what
 * the proposed hardware would do in each mode:
 *   base          gVA -> gPA by guest tables, every gPA -> hPA by an EPT walk
 *   native        guest tables walked 1D, no VMM (the reference cost)
 *   vmm-direct    guest tables; each gPA through the VMM segment if inside it
 *   guest-direct  gVA in the guest segment -> gPA with no table read; EPT
 *   dual-direct   gVA in the guest segment with gPA in the VMM segment: one
 *                 combined gVA -> hPA segment
 * Counting rules: one guest_ref per guest table entry read, one nested_ref
 * per nested entry read, one bb_check per base-bound comparison whose result
 * is used, i.e. made after an L2 TLB miss (a failed comparison counts too). The escape filter is
 * consulted (esc_checks) for each gPA inside the VMM segment; a hit, true or
 * false, sends that gPA through the EPT walk. With 4 KiB pages everywhere a
 * TLB miss inside the segments costs 24/0 (refs/checks), 4/0, 4/5, 4/1, 0/1
 * in the order above; in general a 2D walk costs (n+1)(m+1)-1 references.
 * Not-present entries are counted as faults and returned, never fatal. */
#ifndef HV_WALK_H
#define HV_WALK_H

#include "arch/x86/nested_format.h"
#include "hv/dseg/bloom.h"
#include "hv/dseg/segment.h"
#include "hv/model/tlb.h"
#include "lib/modes.h"
#include "lib/types.h"

/* Where a segment-served translation (dual-direct) is cached, as a 4 KiB
 * entry. The default is the L1 TLB only: Basu et al. (ISCA 2013, Section 4)
 * check the direct segment on an L1 miss in parallel with the L2 TLB and
 * refill the L1 from it; Gandhi et al. (MICRO 2014) keep that arrangement
 * for their VMM and dual-direct segments. */
enum seg_fill {
	SEG_FILL_NONE = 0,
	SEG_FILL_L1 = 1,
	SEG_FILL_L2 = 2,
	SEG_FILL_BOTH = SEG_FILL_L1 | SEG_FILL_L2,
};

/* The exact answer the filter approximates: is this guest page (gPA >> 12)
 * really escaped? It tells a true positive from a false one. */
typedef bool (*walk_escaped_fn)(const void *ctx, u64 gfn);
/* Whether any of the count guest pages from gfn is escaped: a TLB entry that
 * covered one would hide its alternate frame. */
typedef bool (*walk_range_escaped_fn)(const void *ctx, u64 gfn, u64 count);

struct walk_config {
	enum hv_mode mode;
	u64 guest_cr3; /* gPA of the guest PML4 in bits 51:12 (SDM Vol. 3A, 4.5) */
	/* hPA of the nested table's PML4 and its format. In native mode it is
	 * only the model's own way to reach guest memory, and 0 there means
	 * gPA == hPA. */
	u64 nested_root;
	enum nested_format nested_format;
	struct direct_segment guest_seg; /* gVA -> gPA; guest-direct, dual-direct */
	struct direct_segment vmm_seg;   /* gPA -> hPA; vmm-direct, dual-direct */
	const struct bloom *escape;      /* NULL: no escape filter */
	walk_escaped_fn is_escaped;      /* required with a filter */
	walk_range_escaped_fn range_escaped; /* required with a filter */
	const void *is_escaped_ctx;
	bool pwc;          /* page-walk caches of guest PML4Es, PDPTEs and PDEs by gVA prefix */
	bool nested_tlb;   /* cache of gPA -> hPA pages from nested walks */
	bool nested_pwc;   /* cache of nested non-leaf entries by gPA prefix */
	unsigned seg_fill; /* SEG_FILL_*: the TLB levels a segment-served translation fills */
};

enum walk_err {
	WALK_ERR_NONE,
	WALK_ERR_MODE,
	WALK_ERR_NESTED_ROOT,      /* no nested root, or one not 4 KiB-aligned */
	WALK_ERR_NESTED_FORMAT,    /* not an enum nested_format value */
	WALK_ERR_NO_GUEST_SEGMENT, /* the mode needs an enabled guest segment */
	WALK_ERR_NO_VMM_SEGMENT,   /* the mode needs an enabled VMM segment */
	WALK_ERR_NO_ESCAPE_PREDICATE,
	WALK_ERR_TLB_CONFIG,
};

enum walk_status {
	WALK_OK,
	WALK_FAULT_NONCANONICAL,
	WALK_FAULT_GUEST_NOT_PRESENT,
	WALK_FAULT_GUEST_RESERVED, /* PS set in a PML4E */
	WALK_FAULT_EPT_NOT_PRESENT,
	WALK_FAULT_EPT_MISCONFIG, /* an entry the CPU rejects (PS in a PML4E, reserved bits) */
};

/* Every access is one of: an L1 hit, an L2 hit, or a TLB miss (both levels
 * missed). A TLB miss is one of: segment-served (no table read), a walk (at
 * least one table entry read), cache-served (the walk caches held all it
 * needed), or a fault before any read. l1_misses = tlb_hits_l2 + tlb_misses. */
struct walk_counters {
	u64 accesses;
	u64 tlb_hits_l1;
	u64 l1_misses;
	u64 tlb_hits_l2;
	u64 tlb_misses;
	u64 seg_served;
	u64 walks;
	u64 cache_served;
	u64 guest_leaf[TLB_PAGE_SIZES]; /* guest walks that ended at a leaf of this size */
	u64 guest_refs;
	u64 nested_refs;
	u64 bb_checks;
	u64 gseg_hits;
	u64 vseg_hits; /* a dual-direct combined hit counts in both gseg and vseg */
	u64 esc_checks;
	u64 esc_hits;
	u64 esc_false_pos;
	u64 faults;
	u64 pwc_hits;
	u64 ntlb_hits;
	u64 npwc_hits;
};

/* Averages, x1000 (hv has no floating point): references per walk (0 with no
 * walks), base-bound checks per TLB miss, walk references per 1000 accesses. */
struct walk_per_walk {
	u64 refs_x1000;
	u64 guest_refs_x1000;
	u64 nested_refs_x1000;
	u64 checks_per_miss_x1000;
	u64 refs_per_kaccess_x1000;
};

#define WALK_PWC_LEVELS 3  /* levels 4, 3, 2: the non-leaf entries; sizes per preset */
#define WALK_CACHE_MAX  64 /* entries of any one cache, fully associative, LRU */

struct walk_cache_entry {
	u64 tag;
	u64 value;
	u64 last_use;
	bool valid;
};

struct walk_cache {
	u32 capacity;
	u64 clock;
	struct walk_cache_entry e[WALK_CACHE_MAX];
};

/* Caller-owned; static in hv (about 70 KiB, nearly all struct tlb). */
struct walk_model {
	struct walk_config config;
	struct walk_counters count;
	struct tlb tlb;
	struct walk_cache pwc[WALK_PWC_LEVELS];  /* guest non-leaf entries */
	struct walk_cache npwc[WALK_PWC_LEVELS]; /* nested non-leaf entries */
	struct walk_cache ntlb;
};

const char *walk_err_str(enum walk_err e);
const char *walk_status_str(enum walk_status s);

/* Validates the configuration, empties TLB and caches, zeroes counters. */
enum walk_err model_init(struct walk_model *m, const struct walk_config *config,
                         const struct tlb_config *tlb);
/* One guest data access: TLB lookup; on a miss a counted walk per the mode
 * and a TLB insert. *hpa gets the host-physical address when WALK_OK. */
enum walk_status model_access(struct walk_model *m, u64 gva, u64 *hpa);
void model_reset_counters(struct walk_model *m);
/* The hypervisor's own look at the guest's tables under an initialized
 * model: gva's gPA and the size of the guest leaf mapping it, reading table
 * gPAs through the nested table; nothing counted, nothing cached. */
enum walk_status model_guest_translate(struct walk_model *m, u64 gva, u64 *gpa, u64 *leaf_bytes);
struct walk_per_walk walk_per_walk(const struct walk_counters *c);

#endif
