/* The nested-table builder: generates a 4-level nested table, Intel EPT (SDM Vol. 3C, 29.3.2)
 * or AMD nested paging (APM Vol. 2, 15.25.5), from a guest memory map. Each region is mapped with
 * the largest leaf (1 GiB, 2 MiB, 4 KiB) that is no larger than the configured maximum, to which
 * both its gPA and hPA are aligned, that the region covers whole, and that holds no escaped page;
 * escaped pages are 4 KiB leaves pointing at their alternate frames. Leaves are write-back with the
 * region's permissions; non-leaf entries grant everything so a leaf alone decides. Both formats
 * index a gPA the same way and put the address (51:12) and PS (7) in the same bits, so the shapes
 * and counts do not depend on the format. Table pages come from a caller's allocator and go back
 * through nested_free(), so the table can be rebuilt on every mode switch. A build that fails
 * returns every page it took. */
#ifndef HV_NESTED_H
#define HV_NESTED_H

#include "arch/x86/nested_format.h"
#include "hv/mem/gmap.h"
#include "lib/types.h"

enum nested_leaf {
	NESTED_LEAF_4K,
	NESTED_LEAF_2M,
	NESTED_LEAF_1G,
	NESTED_LEAF_SIZES,
};

enum nested_err {
	NESTED_OK = 0,
	NESTED_ERR_BAD_LEAF_SIZE, /* maximum leaf not 4 KiB, 2 MiB or 1 GiB */
	NESTED_ERR_NO_MEMORY,     /* the allocator returned 0 */
	NESTED_ERR_BAD_FRAME,     /* the allocator returned a frame not 4 KiB-aligned */
	NESTED_ERR_CONFLICT,      /* a gPA mapped twice: the gmap invariants were broken */
	NESTED_ERR_NOT_PRESENT,   /* nested_translate(): no mapping for the gPA */
	NESTED_ERR_MISCONFIG,     /* nested_translate(): an entry the CPU would reject */
	NESTED_ERR_GPA_LIMIT,     /* nested_translate(): gPA beyond the 48-bit walk */
	NESTED_ERR_BAD_FORMAT,    /* not an enum nested_format value */
	NESTED_ERR_NOT_USER,      /* nested_translate(): an NPT entry without U/S */
	NESTED_ERR_BAD_LEVEL,     /* nested_walk_from(): a start level other than 1 to 4 */
};

/* Supplies and takes back zeroed-or-not 4 KiB frames by hPA; the builder zeroes each table page
 * itself through phys_to_virt(), so a non-zeroing frame allocator can be used directly. */
struct nested_alloc {
	u64 (*alloc)(void *ctx); /* hPA of a free 4 KiB frame, 0 when out of memory */
	void (*free)(void *ctx, u64 hpa);
	void *ctx;
};

/* Entry formats: Intel EPT (SDM Vol. 3C, 29.3.2) and AMD nested paging, whose tables are
 * ordinary long-mode page tables (AMD APM Vol. 2, 15.25.5) walked as user accesses.
 *
 * How a region's GMAP_PERM_* (R is always set, gmap.h) becomes entry bits:
 *   EPT: R -> R, W -> W, X -> X; memory type WB in the leaf.
 *   NPT: R -> P|U/S, W -> R/W; X cannot be withheld: NX is left clear because it is only
 *        valid under the host's EFER.NXE, so every NPT page is executable. PAT/PCD/PWT are 0,
 *        which is write-back.
 * Non-leaf entries: EPT R|W|X; NPT P|R/W|U/S. */

struct nested_config {
	enum nested_format format;
	/* Largest leaf to use: PAGE_SIZE_4K, PAGE_SIZE_2M or PAGE_SIZE_1G. Whether the CPU supports
	 * 1 GiB EPT pages (IA32_VMX_EPT_VPID_CAP) is the caller's check. */
	u64 max_leaf;
};

struct nested_table {
	u64 root;                      /* hPA of the PML4 */
	u64 table_pages;               /* PML4, PDPT, PD and PT pages, root included */
	u64 leaves[NESTED_LEAF_SIZES]; /* leaf entries by size */
};

/* On success fills *out; on failure *out is zeroed and every page taken has been freed. */
enum nested_err nested_build(const struct gmap *g, const struct nested_config *cfg,
                             const struct nested_alloc *a, struct nested_table *out);
/* Returns every table page reachable from root to the allocator; the count freed. */
u64 nested_free(u64 root, const struct nested_alloc *a);

/* The one walker of a nested table, in either format, for the model, the escape code and the
 * self-checks: the hPA of gpa, the size of the leaf that maps it and the effective permissions, in
 * EPT_R/W/X terms for both formats (the intersection over all levels, as the CPU computes; an NPT
 * entry reads as R, W when R/W is set, X unless NX is set, which the builder never does), and how
 * many entries it read, the failing one included, which is what a hardware walk would fetch. */
struct nested_walk {
	u64 hpa;
	u64 leaf_size;
	u64 perms;
	unsigned entries_read;
	/* hPA of the table each non-leaf entry read pointed to, by the level of
	 * that table (1 PT, 2 PD, 3 PDPT); 0 where the walk did not go. A cache of
	 * nested non-leaf entries keeps these. */
	u64 next_table[4];
};
enum nested_err nested_walk(enum nested_format fmt, u64 root, u64 gpa, struct nested_walk *w);
/* The same walk started at the table of the given level (4 PML4 ... 1 PT), as
 * hardware does after a hit in a cache of non-leaf entries; perms then cover
 * the levels read only. */
enum nested_err nested_walk_from(enum nested_format fmt, u64 table, int level, u64 gpa,
                                 struct nested_walk *w);
/* nested_walk's answer without the count; any output pointer may be NULL. */
enum nested_err nested_translate(enum nested_format fmt, u64 root, u64 gpa, u64 *hpa,
                                 u64 *leaf_size, u64 *perms);

static inline u64 nested_leaf_bytes(enum nested_leaf l)
{
	return PAGE_SIZE_4K << (9 * l);
}
const char *nested_strerror(enum nested_err err);

/* Trap tracing (hv/vm/etrace.c): makes the 4 KiB page at gpa not present or
 * present again, splitting a 2 MiB or 1 GiB leaf that covers it into 512
 * leaves of the next size down, with the same address run and attributes,
 * as often as needed (new tables from a; *new_tables counts them, may be
 * NULL). A page made not present keeps its address and its rights stashed
 * in bits 54:52, which hardware ignores in a not-present entry (EPT: bits
 * 2:0 clear, SDM Vol. 3C 29.3.2; NPT: P clear, APM Vol. 2 5.3), so present
 * again restores it exactly. The caller invalidates (INVEPT / the NPT TLB
 * flush). NESTED_ERR_NOT_PRESENT when no leaf maps gpa. */
enum nested_err nested_set_present_4k(enum nested_format fmt, u64 root, u64 gpa, bool present,
                                      const struct nested_alloc *a, u64 *new_tables);
/* Trap tracing: makes every 4 KiB leaf of a table built with 4 KiB leaves only not present, as
 * nested_set_present_4k(false) does one by one (nested_set_present_4k(true) brings a page back);
 * *hidden counts them. NESTED_ERR_BAD_LEAF_SIZE when the table holds a larger leaf (the pages
 * changed before it are left hidden). The caller invalidates. */
enum nested_err nested_hide_all_4k(enum nested_format fmt, u64 root, u64 *hidden);
/* Trap tracing's recency: whether the CPU set the accessed flag of the present 4 KiB leaf of
 * gpa (EPT bit 8 when the EPTP enables A/D, SDM Vol. 3C 29.3.5; NPT bit 5, APM Vol. 2 15.25.5)
 * since it was last cleared, and clears it. A translation the CPU cached sets no flag again
 * until the caller invalidates. NESTED_ERR_NOT_PRESENT when no present 4 KiB leaf maps gpa. */
enum nested_err nested_test_clear_accessed_4k(enum nested_format fmt, u64 root, u64 gpa,
                                              bool *accessed);
/* Sharing and swapping (hv/mem/share.h, swap.h): points the 4 KiB leaf of gpa at hpa with the
 * entry bits of perms (GMAP_PERM_*, read required), present, splitting larger leaves as
 * nested_set_present_4k does; the leaf must exist (present, or made not present by
 * nested_set_present_4k). A read-only leaf makes a guest write fault (EPT violation, SDM
 * Vol. 3C 29.3.3.2; nested page fault, APM Vol. 2 15.25.6) for copy on write. The caller
 * invalidates. NESTED_ERR_MISCONFIG for an unaligned hpa or perms without read. */
enum nested_err nested_set_leaf_4k(enum nested_format fmt, u64 root, u64 gpa, u64 hpa,
                                   unsigned perms, const struct nested_alloc *a, u64 *new_tables);

#endif
