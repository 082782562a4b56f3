#include "hv/mem/nested.h"

#include "arch/x86/ept.h"
#include "lib/x86/paging.h"
#include "hv/mem/phys.h"
#include "lib/bits.h"
#include "lib/mem.h"

/* EPT paging structures index a gPA exactly as 4-level paging indexes a linear address: 9 bits
 * per level above a 12-bit page offset (SDM 29.3.2), and AMD nested tables are 4-level paging
 * tables, so the paging.h level helpers apply to both. Levels are numbered 4 = PML4 ... 1 = PT;
 * leaves sit at levels 3 (1 GiB), 2 (2 MiB) and 1 (4 KiB). */
#define EPT_ENTRY_BYTES sizeof(u64)
#define EPT_LEVEL_PML4  4
#define EPT_LEVEL_PDPT  3
#define EPT_LEVEL_PT    1

/* Both formats keep the address in bits 51:12 and mark a large leaf with bit 7 (SDM Tables 29-2
 * to 29-6; APM Vol. 2, 5.3), which lets the shape logic and nested_free() ignore the format. */
_Static_assert(EPT_LEAF_PS == PTE_PS, "EPT and NPT large-page bits differ");
_Static_assert(EPT_ADDR_MASK == PTE_ADDR_MASK, "EPT and NPT address fields differ");
#define NESTED_PS        EPT_LEAF_PS
#define NESTED_ADDR_MASK EPT_ADDR_MASK

/* PAT index bit of a 2 MiB or 1 GiB long-mode leaf (APM Vol. 2, 5.3; SDM Tables 4-17, 4-15):
 * it sits among the low address bits, which are otherwise reserved in a large leaf. */
#define NPT_LARGE_PAT BIT(12)

/* What the two formats do differently; all else is shared. */
struct entry_format {
	u64 present;    /* an entry is present when any of these bits is set */
	u64 accessed;   /* the accessed flag the CPU sets in a leaf it uses */
	u64 table_bits; /* a non-leaf entry: the next table's address plus these */
	u64 (*leaf_bits)(unsigned gmap_perms);
	/* Bits below a large leaf's size that are neither address nor reserved. */
	u64 large_low_bits;
	/* One entry's share of the effective rights, as EPT_R/W/X; an error if the CPU faults. */
	enum nested_err (*rights)(u64 e, u64 *rights);
};

/* Write-back with the PAT not ignored, so the guest's own PAT can still make a page uncached
 * (SDM 29.3.7.2). Every region type is RAM today; device memory would want UC here. */
static u64 ept_leaf_bits(unsigned perms)
{
	return (perms & GMAP_PERM_R ? EPT_R : 0) | (perms & GMAP_PERM_W ? EPT_W : 0) |
	       (perms & GMAP_PERM_X ? EPT_X : 0) | EPT_MT(EPT_MT_WB);
}

/* A region is always readable (gmap.h), so P; U/S because the nested walk is a user access
 * (APM 15.25.5); NX stays clear, so X is not honoured (see nested.h). PAT = PCD = PWT = 0:
 * write-back. */
static u64 npt_leaf_bits(unsigned perms)
{
	return PTE_P | PTE_US | (perms & GMAP_PERM_W ? PTE_RW : 0);
}

static enum nested_err ept_rights(u64 e, u64 *rights)
{
	/* Write without read is a misconfiguration (SDM 29.3.3.1). */
	if ((e & EPT_W) && !(e & EPT_R))
		return NESTED_ERR_MISCONFIG;
	*rights = e & EPT_RWX;
	return NESTED_OK;
}

/* A present long-mode entry always allows reads; NX is read as the host's EFER.NXE = 1. */
static enum nested_err npt_rights(u64 e, u64 *rights)
{
	if (!(e & PTE_US))
		return NESTED_ERR_NOT_USER;
	*rights = EPT_R | (e & PTE_RW ? EPT_W : 0) | (e & PTE_NX ? 0 : EPT_X);
	return NESTED_OK;
}

static const struct entry_format formats[] = {
    [NESTED_FORMAT_EPT] =
        {
            .present = EPT_RWX,
            .accessed = EPT_A,
            .table_bits = EPT_RWX,
            .leaf_bits = ept_leaf_bits,
            .large_low_bits = 0,
            .rights = ept_rights,
        },
    [NESTED_FORMAT_NPT] =
        {
            .present = PTE_P,
            .accessed = PTE_A,
            .table_bits = PTE_P | PTE_RW | PTE_US,
            .leaf_bits = npt_leaf_bits,
            .large_low_bits = NPT_LARGE_PAT,
            .rights = npt_rights,
        },
};

static const struct entry_format *format_of(enum nested_format fmt)
{
	return (unsigned)fmt < ARRAY_SIZE(formats) ? &formats[fmt] : NULL;
}

static bool entry_present(const struct entry_format *f, u64 e)
{
	return (e & f->present) != 0;
}

static u64 entry_pa(u64 table, u64 gpa, int level)
{
	return table + pt_index(gpa, level) * EPT_ENTRY_BYTES;
}

static enum nested_leaf leaf_of_level(int level)
{
	return (enum nested_leaf)(level - 1);
}

/* Level of the largest leaf allowed; 0 for a size the EPT cannot map. */
static int max_leaf_level(u64 max_leaf)
{
	for (int level = EPT_LEVEL_PT; level <= EPT_LEVEL_PDPT; level++)
		if (max_leaf == pt_level_size(level))
			return level;
	return 0;
}

struct builder {
	const struct entry_format *f;
	const struct nested_alloc *a;
	int max_level;
	struct nested_table t;
};

static enum nested_err new_table(struct builder *b, u64 *pa)
{
	u64 frame = b->a->alloc(b->a->ctx);

	if (frame == 0)
		return NESTED_ERR_NO_MEMORY;
	if (!is_aligned(frame, PAGE_SIZE_4K)) {
		b->a->free(b->a->ctx, frame);
		return NESTED_ERR_BAD_FRAME;
	}
	/* A stale entry would be walked by the CPU: never trust the allocator to have zeroed. */
	memset(phys_to_virt(frame), 0, PAGE_SIZE_4K);
	b->t.table_pages++;
	*pa = frame;
	return NESTED_OK;
}

/* Installs one leaf at the given level, creating the tables above it. */
static enum nested_err map_leaf(struct builder *b, u64 gpa, u64 hpa, int level, u64 attrs)
{
	u64 table = b->t.root;
	enum nested_err err;

	for (int l = EPT_LEVEL_PML4; l > level; l--) {
		const u64 pa = entry_pa(table, gpa, l);
		u64 e = phys_read64(pa);

		if (!entry_present(b->f, e)) {
			u64 child;
			err = new_table(b, &child);
			if (err != NESTED_OK)
				return err;
			e = child | b->f->table_bits;
			phys_write64(pa, e);
		} else if (e & NESTED_PS) {
			return NESTED_ERR_CONFLICT;
		}
		table = e & NESTED_ADDR_MASK;
	}

	const u64 pa = entry_pa(table, gpa, level);
	if (entry_present(b->f, phys_read64(pa)))
		return NESTED_ERR_CONFLICT;
	/* Bit 7 means "large page" only above the PT level; in a PTE it is ignored by EPT (SDM
	 * Table 29-6) and is the PAT bit in long mode (APM Vol. 2, 5.3), so it stays clear there.
	 */
	phys_write64(pa, hpa | attrs | (level > EPT_LEVEL_PT ? NESTED_PS : 0));
	b->t.leaves[leaf_of_level(level)]++;
	return NESTED_OK;
}

/* Maps [gpa, gpa + size) -> [hpa, ...), taking at each step the largest leaf to which both
 * addresses are aligned and which the rest of the piece fills. */
static enum nested_err map_piece(struct builder *b, u64 gpa, u64 hpa, u64 size, u64 attrs)
{
	while (size) {
		int level = b->max_level;
		u64 bytes = pt_level_size(level);

		while (level > EPT_LEVEL_PT &&
		       !(is_aligned(gpa, bytes) && is_aligned(hpa, bytes) && size >= bytes)) {
			level--;
			bytes = pt_level_size(level);
		}
		enum nested_err err = map_leaf(b, gpa, hpa, level, attrs);
		if (err != NESTED_OK)
			return err;
		gpa += bytes;
		hpa += bytes;
		size -= bytes;
	}
	return NESTED_OK;
}

/* A region in pieces between its escaped pages; each escaped page becomes a 4 KiB leaf, which
 * keeps every larger leaf clear of escapes. */
static enum nested_err map_region(struct builder *b, const struct gmap *g,
                                  const struct gmap_region *r)
{
	const u64 attrs = b->f->leaf_bits(r->perms);
	const u64 end = gmap_region_end(r);
	u64 cur = r->gpa;
	enum nested_err err;

	for (unsigned i = gmap_escape_first_from(g, cur); i < gmap_escape_count(g); i++) {
		const struct gmap_escape *e = gmap_escape_get(g, i);
		const u64 egpa = gmap_escape_gpa(e);

		if (egpa >= end)
			break;
		err = map_piece(b, cur, r->hpa + (cur - r->gpa), egpa - cur, attrs);
		if (err != NESTED_OK)
			return err;
		err = map_leaf(b, egpa, e->alt_hpa, EPT_LEVEL_PT, attrs);
		if (err != NESTED_OK)
			return err;
		cur = egpa + PAGE_SIZE_4K;
	}
	return map_piece(b, cur, r->hpa + (cur - r->gpa), end - cur, attrs);
}

enum nested_err nested_build(const struct gmap *g, const struct nested_config *cfg,
                             const struct nested_alloc *a, struct nested_table *out)
{
	struct builder b = {
	    .f = format_of(cfg->format), .a = a, .max_level = max_leaf_level(cfg->max_leaf)};
	const struct gmap_region *r;
	enum nested_err err;

	memset(out, 0, sizeof(*out));
	if (!b.f)
		return NESTED_ERR_BAD_FORMAT;
	if (b.max_level == 0)
		return NESTED_ERR_BAD_LEAF_SIZE;
	err = new_table(&b, &b.t.root);
	if (err != NESTED_OK)
		return err;
	gmap_for_each_region (g, r) {
		err = map_region(&b, g, r);
		if (err != NESTED_OK) {
			nested_free(b.t.root, a);
			return err;
		}
	}
	*out = b.t;
	return NESTED_OK;
}

/* Post-order, so that each page is read completely before the allocator may reuse it. No format
 * is needed: a present entry of either format has a bit of 2:0 set (NPT's P is bit 0, EPT's
 * R/W/X are 2:0), and the builder writes every other entry as zero. */
static u64 free_table(u64 table, int level, const struct nested_alloc *a)
{
	u64 freed = 0;

	if (level > EPT_LEVEL_PT) {
		for (unsigned i = 0; i < PT_ENTRIES; i++) {
			const u64 e = phys_read64(table + i * EPT_ENTRY_BYTES);
			if (ept_present(e) && !(e & NESTED_PS))
				freed += free_table(e & NESTED_ADDR_MASK, level - 1, a);
		}
	}
	a->free(a->ctx, table);
	return freed + 1;
}

u64 nested_free(u64 root, const struct nested_alloc *a)
{
	return root ? free_table(root & NESTED_ADDR_MASK, EPT_LEVEL_PML4, a) : 0;
}

enum nested_err nested_walk(enum nested_format fmt, u64 root, u64 gpa, struct nested_walk *w)
{
	return nested_walk_from(fmt, root, EPT_LEVEL_PML4, gpa, w);
}

enum nested_err nested_walk_from(enum nested_format fmt, u64 table, int level, u64 gpa,
                                 struct nested_walk *w)
{
	const struct entry_format *f = format_of(fmt);
	u64 rights = EPT_RWX;

	*w = (struct nested_walk){0};
	table &= NESTED_ADDR_MASK;
	if (!f)
		return NESTED_ERR_BAD_FORMAT;
	if (gpa >= GMAP_GPA_LIMIT)
		return NESTED_ERR_GPA_LIMIT;
	if (level < EPT_LEVEL_PT || level > EPT_LEVEL_PML4)
		return NESTED_ERR_BAD_LEVEL;
	for (; level >= EPT_LEVEL_PT; level--) {
		const u64 e = phys_read64(entry_pa(table, gpa, level));
		u64 r;

		w->entries_read++;
		if (!entry_present(f, e))
			return NESTED_ERR_NOT_PRESENT;
		const enum nested_err err = f->rights(e, &r);
		if (err != NESTED_OK)
			return err;
		rights &= r;
		/* Bit 7 is reserved in a PML4E in both formats (SDM Table 29-1, APM 5.3). */
		if (level == EPT_LEVEL_PML4 && (e & NESTED_PS))
			return NESTED_ERR_MISCONFIG;
		if (level > EPT_LEVEL_PT && !(e & NESTED_PS)) {
			table = e & NESTED_ADDR_MASK;
			w->next_table[level - 1] = table;
			continue;
		}
		const u64 bytes = pt_level_size(level);
		u64 base = e & NESTED_ADDR_MASK;
		if (level > EPT_LEVEL_PT)
			base &= ~f->large_low_bits;
		/* A large leaf's address bits below its size are reserved. */
		if (!is_aligned(base, bytes))
			return NESTED_ERR_MISCONFIG;
		w->hpa = base | (gpa & (bytes - 1));
		w->leaf_size = bytes;
		w->perms = rights;
		return NESTED_OK;
	}
	return NESTED_ERR_NOT_PRESENT; /* not reached: level 1 always ends the walk */
}

enum nested_err nested_translate(enum nested_format fmt, u64 root, u64 gpa, u64 *hpa,
                                 u64 *leaf_size, u64 *perms)
{
	struct nested_walk w;
	const enum nested_err err = nested_walk(fmt, root, gpa, &w);

	if (err != NESTED_OK)
		return err;
	if (hpa)
		*hpa = w.hpa;
	if (leaf_size)
		*leaf_size = w.leaf_size;
	if (perms)
		*perms = w.perms;
	return NESTED_OK;
}

static const char *const nested_err_names[] = {
    [NESTED_OK] = "ok",
    [NESTED_ERR_BAD_LEAF_SIZE] = "maximum leaf not 4 KiB, 2 MiB or 1 GiB",
    [NESTED_ERR_NO_MEMORY] = "out of memory for table pages",
    [NESTED_ERR_BAD_FRAME] = "allocator returned an unaligned frame",
    [NESTED_ERR_CONFLICT] = "guest page mapped twice",
    [NESTED_ERR_NOT_PRESENT] = "guest-physical address not mapped",
    [NESTED_ERR_MISCONFIG] = "entry the CPU rejects (EPT misconfiguration, NPT reserved bit)",
    [NESTED_ERR_GPA_LIMIT] = "guest-physical address beyond the 48-bit walk",
    [NESTED_ERR_BAD_FORMAT] = "unknown nested table format",
    [NESTED_ERR_NOT_USER] = "NPT entry without U/S: the nested walk is a user access",
    [NESTED_ERR_BAD_LEVEL] = "walk started at a level other than 1 to 4",
};

const char *nested_strerror(enum nested_err err)
{
	return NAME_IN(nested_err_names, err, "unknown nested error");
}

#define NESTED_STASH_SHIFT 52 /* bits 54:52: ignored in a not-present entry */

/* Replaces the large leaf at entry_pa (a leaf of the given level) with a
 * table of 512 leaves one level down covering the same run. */
static enum nested_err split_leaf(const struct nested_alloc *a, u64 pa, int level, u64 *new_tables)
{
	const u64 e = phys_read64(pa);
	const u64 child_size = pt_level_size(level - 1);
	const u64 base = e & NESTED_ADDR_MASK & ~(pt_level_size(level) - 1);
	const u64 attrs = e & ~(NESTED_ADDR_MASK | NESTED_PS);
	u64 table = a->alloc(a->ctx);
	if (table == 0)
		return NESTED_ERR_NO_MEMORY;
	if (!is_aligned(table, PAGE_SIZE_4K)) {
		a->free(a->ctx, table);
		return NESTED_ERR_BAD_FRAME;
	}
	for (u64 i = 0; i < PAGE_SIZE_4K / EPT_ENTRY_BYTES; i++)
		phys_write64(table + i * EPT_ENTRY_BYTES,
		             (base + i * child_size) | attrs |
		                 (level - 1 > EPT_LEVEL_PT ? NESTED_PS : 0));
	if (new_tables)
		++*new_tables;
	/* The caller writes the format's non-leaf bits over this. */
	phys_write64(pa, table);
	return NESTED_OK;
}

/* The 4 KiB leaf entry that maps gpa, splitting any larger leaf on the way: its hPA in *entry. */
static enum nested_err leaf_4k_entry(const struct entry_format *f, u64 root, u64 gpa,
                                     const struct nested_alloc *a, u64 *new_tables, u64 *entry)
{
	u64 table = root;
	for (int l = EPT_LEVEL_PML4; l > EPT_LEVEL_PT; l--) {
		const u64 pa = entry_pa(table, gpa, l);
		u64 e = phys_read64(pa);
		if (!entry_present(f, e))
			return NESTED_ERR_NOT_PRESENT;
		if (e & NESTED_PS) {
			enum nested_err err = split_leaf(a, pa, l, new_tables);
			if (err != NESTED_OK)
				return err;
			/* Table bits of this format, not the leaf's rights. */
			phys_write64(pa, (phys_read64(pa) & NESTED_ADDR_MASK) | f->table_bits);
			e = phys_read64(pa);
		}
		table = e & NESTED_ADDR_MASK;
	}
	*entry = entry_pa(table, gpa, EPT_LEVEL_PT);
	return NESTED_OK;
}

enum nested_err nested_set_present_4k(enum nested_format fmt, u64 root, u64 gpa, bool present,
                                      const struct nested_alloc *a, u64 *new_tables)
{
	const struct entry_format *f = format_of(fmt);
	if (!f)
		return NESTED_ERR_BAD_FORMAT;
	u64 pa;
	enum nested_err err = leaf_4k_entry(f, root, gpa, a, new_tables, &pa);
	if (err != NESTED_OK)
		return err;
	u64 e = phys_read64(pa);
	const u64 stash_mask = f->present << NESTED_STASH_SHIFT;
	if (present) {
		if (!entry_present(f, e)) {
			if (!(e & stash_mask))
				return NESTED_ERR_NOT_PRESENT;
			e = (e & ~stash_mask) | ((e & stash_mask) >> NESTED_STASH_SHIFT);
		}
	} else if (entry_present(f, e)) {
		e = (e & ~f->present) | ((e & f->present) << NESTED_STASH_SHIFT);
	} else if (!(e & stash_mask)) {
		return NESTED_ERR_NOT_PRESENT;
	}
	phys_write64(pa, e);
	return NESTED_OK;
}

enum nested_err nested_test_clear_accessed_4k(enum nested_format fmt, u64 root, u64 gpa,
                                              bool *accessed)
{
	const struct entry_format *f = format_of(fmt);
	if (!f)
		return NESTED_ERR_BAD_FORMAT;
	u64 table = root & NESTED_ADDR_MASK;
	for (int l = EPT_LEVEL_PML4; l > EPT_LEVEL_PT; l--) {
		const u64 e = phys_read64(entry_pa(table, gpa, l));
		if (!entry_present(f, e))
			return NESTED_ERR_NOT_PRESENT;
		if (e & NESTED_PS)
			return NESTED_ERR_BAD_LEAF_SIZE;
		table = e & NESTED_ADDR_MASK;
	}
	const u64 pa = entry_pa(table, gpa, EPT_LEVEL_PT);
	const u64 e = phys_read64(pa);
	if (!entry_present(f, e))
		return NESTED_ERR_NOT_PRESENT;
	*accessed = e & f->accessed;
	if (*accessed)
		phys_write64(pa, e & ~f->accessed);
	return NESTED_OK;
}

/* nested_hide_all_4k's walk over one table of the given level. */
static enum nested_err hide_table(const struct entry_format *f, u64 table, int level, u64 *hidden)
{
	for (u64 i = 0; i < PAGE_SIZE_4K / EPT_ENTRY_BYTES; i++) {
		const u64 pa = table + i * EPT_ENTRY_BYTES;
		const u64 e = phys_read64(pa);
		if (!entry_present(f, e))
			continue;
		if (level == EPT_LEVEL_PT) {
			phys_write64(pa,
			             (e & ~f->present) | ((e & f->present) << NESTED_STASH_SHIFT));
			++*hidden;
			continue;
		}
		if (e & NESTED_PS)
			return NESTED_ERR_BAD_LEAF_SIZE;
		enum nested_err err = hide_table(f, e & NESTED_ADDR_MASK, level - 1, hidden);
		if (err != NESTED_OK)
			return err;
	}
	return NESTED_OK;
}

enum nested_err nested_hide_all_4k(enum nested_format fmt, u64 root, u64 *hidden)
{
	const struct entry_format *f = format_of(fmt);
	*hidden = 0;
	if (!f)
		return NESTED_ERR_BAD_FORMAT;
	return hide_table(f, root & NESTED_ADDR_MASK, EPT_LEVEL_PML4, hidden);
}

enum nested_err nested_set_leaf_4k(enum nested_format fmt, u64 root, u64 gpa, u64 hpa,
                                   unsigned perms, const struct nested_alloc *a, u64 *new_tables)
{
	const struct entry_format *f = format_of(fmt);
	if (!f)
		return NESTED_ERR_BAD_FORMAT;
	if (!is_aligned(hpa, PAGE_SIZE_4K) || !(perms & GMAP_PERM_R) || (perms & ~GMAP_PERM_RWX))
		return NESTED_ERR_MISCONFIG;
	u64 pa;
	enum nested_err err = leaf_4k_entry(f, root, gpa, a, new_tables, &pa);
	if (err != NESTED_OK)
		return err;
	const u64 e = phys_read64(pa);
	/* A leaf the walk can reach: present now, or stashed by nested_set_present_4k. */
	if (!entry_present(f, e) && !(e & (f->present << NESTED_STASH_SHIFT)))
		return NESTED_ERR_NOT_PRESENT;
	phys_write64(pa, (hpa & NESTED_ADDR_MASK) | f->leaf_bits(perms));
	return NESTED_OK;
}
