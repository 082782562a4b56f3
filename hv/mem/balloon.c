/* Self-ballooning with hot-add: see balloon.h. */
#include "hv/mem/balloon.h"

#include "hv/mem/phys.h"
#include "lib/bits.h"
#include "lib/mem.h"
#include "lib/x86/zero.h"

void balloon_init(struct balloon *b)
{
	memset(b, 0, sizeof(*b));
}

static bool overlaps(u64 a, u64 alen, u64 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

/* Count and alignment: what needs no memory map. */
static enum balloon_err check_shape(const u64 *ent, unsigned n, unsigned *bad)
{
	*bad = 0;
	if (n == 0)
		return BALLOON_ERR_EMPTY;
	if (n > BALLOON_MAX_ENTRIES)
		return BALLOON_ERR_TOO_MANY;
	for (unsigned i = 0; i < n; i++) {
		*bad = i;
		if (!is_aligned(balloon_entry_gpa(ent[i]), balloon_entry_bytes(ent[i])))
			return BALLOON_ERR_UNALIGNED;
	}
	return BALLOON_OK;
}

/* Two entries naming the same page (a 4 KiB page inside a 2 MiB one counts). Quadratic over at
 * most BALLOON_MAX_ENTRIES entries. */
static enum balloon_err check_duplicates(const u64 *ent, unsigned n, unsigned *bad)
{
	for (unsigned i = 1; i < n; i++) {
		for (unsigned j = 0; j < i; j++) {
			if (overlaps(balloon_entry_gpa(ent[i]), balloon_entry_bytes(ent[i]),
			             balloon_entry_gpa(ent[j]), balloon_entry_bytes(ent[j]))) {
				*bad = i;
				return BALLOON_ERR_DUPLICATE;
			}
		}
	}
	return BALLOON_OK;
}

static bool has_escape(const struct gmap *g, u64 gpa, u64 bytes)
{
	const unsigned e = gmap_escape_first_from(g, gpa);
	return e < gmap_escape_count(g) && gmap_escape_gpa(gmap_escape_get(g, e)) < gpa + bytes;
}

enum balloon_err balloon_check_out(const struct gmap *g, const u64 *ent, unsigned n,
                                   struct balloon_range seg, unsigned *bad)
{
	unsigned dummy;
	if (!bad)
		bad = &dummy;
	enum balloon_err err = check_shape(ent, n, bad);
	if (err != BALLOON_OK)
		return err;
	for (unsigned i = 0; i < n; i++) {
		const u64 gpa = balloon_entry_gpa(ent[i]), bytes = balloon_entry_bytes(ent[i]);
		*bad = i;
		if (gmap_check_range(g, gpa, bytes, bytes, false) != GMAP_OK)
			return BALLOON_ERR_OUT_OF_MAP;
		if (has_escape(g, gpa, bytes))
			return BALLOON_ERR_ESCAPED;
	}
	err = check_duplicates(ent, n, bad);
	if (err != BALLOON_OK)
		return err;
	for (unsigned i = 0; i < n; i++) {
		*bad = i;
		if (overlaps(balloon_entry_gpa(ent[i]), balloon_entry_bytes(ent[i]), seg.lo,
		             seg.hi - seg.lo))
			return BALLOON_ERR_IN_SEGMENT;
	}
	return BALLOON_OK;
}

enum balloon_err balloon_out(struct balloon *b, struct gmap *g, struct frame_alloc *fa,
                             const u64 *ent, unsigned n, struct balloon_range seg, u64 *pages,
                             unsigned *bad)
{
	unsigned dummy;
	if (!bad)
		bad = &dummy;
	enum balloon_err err = balloon_check_out(g, ent, n, seg, bad);
	if (err != BALLOON_OK)
		return err;
	/* The cuts are made on a copy, so that a map that runs out of region slots halfway
	 * is left as it was. */
	static struct gmap cut;
	cut = *g;
	for (unsigned i = 0; i < n; i++) {
		*bad = i;
		if (gmap_remove_range(&cut, balloon_entry_gpa(ent[i]),
		                      balloon_entry_bytes(ent[i])) != GMAP_OK)
			return BALLOON_ERR_REGIONS_FULL;
	}
	u64 freed = 0;
	for (unsigned i = 0; i < n; i++) {
		const u64 gpa = balloon_entry_gpa(ent[i]), bytes = balloon_entry_bytes(ent[i]);
		for (u64 off = 0; off < bytes; off += PAGE_SIZE_4K) {
			u64 hpa;
			gmap_lookup(g, gpa + off, &hpa);
			/* What the guest left there is not the next owner's business; a page it
			 * never wrote costs a read (lib/x86/zero.h). */
			zero_range(phys_to_virt(hpa), PAGE_SIZE_4K);
			if (frame_free(fa, hpa) == FRAME_OK)
				freed++;
		}
	}
	*g = cut;
	b->returned += freed;
	b->pending += freed;
	*pages = freed;
	return BALLOON_OK;
}

/* Undoes the first `done` entries of a balloon_in that failed. */
static void undo_in(struct gmap *saved, struct gmap *g, struct frame_alloc *fa, const u64 *ent,
                    unsigned done)
{
	for (unsigned i = 0; i < done; i++) {
		u64 hpa;
		gmap_lookup(g, balloon_entry_gpa(ent[i]), &hpa);
		frame_free_run(fa, hpa, balloon_entry_bytes(ent[i]) / PAGE_SIZE_4K);
	}
	*g = *saved;
}

enum balloon_err balloon_in(struct balloon *b, struct gmap *g, struct frame_alloc *fa,
                            const u64 *ent, unsigned n, struct balloon_range reserved, u64 *pages,
                            unsigned *bad)
{
	unsigned dummy;
	if (!bad)
		bad = &dummy;
	enum balloon_err err = check_shape(ent, n, bad);
	if (err != BALLOON_OK)
		return err;
	const u64 top = gmap_ram_top(g);
	u64 want = 0;
	for (unsigned i = 0; i < n; i++) {
		const u64 gpa = balloon_entry_gpa(ent[i]), bytes = balloon_entry_bytes(ent[i]);
		*bad = i;
		if (gpa + bytes > top)
			return BALLOON_ERR_OUT_OF_MAP;
		for (u64 off = 0; off < bytes; off += PAGE_SIZE_4K)
			if (gmap_lookup(g, gpa + off, NULL))
				return BALLOON_ERR_IN_MAP;
		if (overlaps(gpa, bytes, reserved.lo, reserved.hi - reserved.lo))
			return BALLOON_ERR_RESERVED;
		want += bytes / PAGE_SIZE_4K;
	}
	err = check_duplicates(ent, n, bad);
	if (err != BALLOON_OK)
		return err;
	*bad = 0;
	if (want > b->pending)
		return BALLOON_ERR_NO_PENDING;
	static struct gmap saved;
	saved = *g;
	for (unsigned i = 0; i < n; i++) {
		const u64 gpa = balloon_entry_gpa(ent[i]), bytes = balloon_entry_bytes(ent[i]);
		u64 hpa;
		*bad = i;
		if (frame_alloc_run(fa, bytes / PAGE_SIZE_4K, PAGE_SIZE_4K, &hpa) != FRAME_OK) {
			undo_in(&saved, g, fa, ent, i);
			return BALLOON_ERR_NO_MEMORY;
		}
		if (gmap_add_merge(g, gpa, bytes, hpa, GMAP_RAM, GMAP_PERM_RWX) != GMAP_OK) {
			frame_free_run(fa, hpa, bytes / PAGE_SIZE_4K);
			undo_in(&saved, g, fa, ent, i);
			return BALLOON_ERR_REGIONS_FULL;
		}
		zero_range(phys_to_virt(hpa), bytes);
	}
	b->pending -= want;
	b->taken_back += want;
	*pages = want;
	return BALLOON_OK;
}

enum balloon_err balloon_hotadd_begin(const struct balloon *b, const struct gmap *g,
                                      struct frame_alloc *fa, u64 min_gpa,
                                      struct balloon_hotadd_job *j)
{
	memset(j, 0, sizeof(*j));
	if (b->pending == 0)
		return BALLOON_ERR_NO_PENDING;
	u64 top = gmap_ram_top(g);
	const u64 gpa = align_up(top > min_gpa ? top : min_gpa, PAGE_SIZE_2M);
	const u64 bytes = b->pending * PAGE_SIZE_4K;
	if (gpa + bytes > GMAP_GPA_LIMIT)
		return BALLOON_ERR_GPA_LIMIT;
	/* The commit adds one region before it merges: the slot must be there. */
	if (gmap_count(g) >= GMAP_MAX_REGIONS)
		return BALLOON_ERR_REGIONS_FULL;
	u64 hpa = 0, conflict;
	/* First the host frames that continue the RAM at the top, so that the new range joins it
	 * on one host run (above the PCI hole: all RAM above 4 GiB in one VMM segment); else any
	 * run, 2 MiB-aligned where one is free. */
	const struct gmap_region *last = g->count ? gmap_get(g, g->count - 1) : NULL;
	enum frame_err ferr = FRAME_ERR_NO_MEMORY;
	if (last && gmap_region_end(last) == gpa) {
		hpa = last->hpa + last->size;
		ferr = frame_claim_at(fa, hpa, b->pending, &conflict);
	}
	if (ferr != FRAME_OK)
		ferr = frame_alloc_run(fa, b->pending, PAGE_SIZE_2M, &hpa);
	if (ferr != FRAME_OK)
		ferr = frame_alloc_run(fa, b->pending, PAGE_SIZE_4K, &hpa);
	if (ferr != FRAME_OK)
		return BALLOON_ERR_NO_MEMORY;
	*j = (struct balloon_hotadd_job){.gpa = gpa, .bytes = bytes, .hpa = hpa, .active = true};
	return BALLOON_OK;
}

bool balloon_hotadd_zero(struct balloon_hotadd_job *j, u64 max_bytes)
{
	u64 n = j->bytes - j->zeroed < max_bytes ? j->bytes - j->zeroed : max_bytes;
	zero_range(phys_to_virt(j->hpa + j->zeroed), n);
	j->zeroed += n;
	j->steps++;
	return j->zeroed == j->bytes;
}

enum balloon_err balloon_hotadd_commit(struct balloon *b, struct gmap *g, struct frame_alloc *fa,
                                       struct balloon_hotadd_job *j, struct hv_mem_range *out)
{
	const u64 pages = j->bytes / PAGE_SIZE_4K;
	j->active = false;
	if (gmap_add_merge(g, j->gpa, j->bytes, j->hpa, GMAP_RAM, GMAP_PERM_RWX) != GMAP_OK) {
		frame_free_run(fa, j->hpa, pages);
		return BALLOON_ERR_REGIONS_FULL;
	}
	b->hotadded += pages;
	b->pending -= pages;
	b->hotadds++;
	b->last = (struct hv_mem_range){.gpa = j->gpa, .bytes = j->bytes};
	b->last_hpa = j->hpa;
	*out = b->last;
	return BALLOON_OK;
}

void balloon_hotadd_abort(struct frame_alloc *fa, struct balloon_hotadd_job *j)
{
	if (j->active)
		frame_free_run(fa, j->hpa, j->bytes / PAGE_SIZE_4K);
	j->active = false;
}

enum balloon_err balloon_hotadd(struct balloon *b, struct gmap *g, struct frame_alloc *fa,
                                u64 min_gpa, struct hv_mem_range *out, u64 *hpa_out)
{
	struct balloon_hotadd_job j;
	enum balloon_err err = balloon_hotadd_begin(b, g, fa, min_gpa, &j);
	if (err != BALLOON_OK)
		return err;
	balloon_hotadd_zero(&j, j.bytes);
	err = balloon_hotadd_commit(b, g, fa, &j, out);
	if (err == BALLOON_OK && hpa_out)
		*hpa_out = j.hpa;
	return err;
}

static const char *const balloon_err_names[] = {
    [BALLOON_OK] = "ok",
    [BALLOON_ERR_EMPTY] = "empty list",
    [BALLOON_ERR_TOO_MANY] = "too many entries",
    [BALLOON_ERR_UNALIGNED] = "gPA not aligned to its page size",
    [BALLOON_ERR_OUT_OF_MAP] = "page outside guest RAM",
    [BALLOON_ERR_DUPLICATE] = "page named twice",
    [BALLOON_ERR_IN_SEGMENT] = "page inside the guest segment",
    [BALLOON_ERR_ESCAPED] = "page has an alternate frame",
    [BALLOON_ERR_REGIONS_FULL] = "memory map has no region slot left",
    [BALLOON_ERR_IN_MAP] = "page is RAM already",
    [BALLOON_ERR_RESERVED] = "page in a reserved range (the I/O hole)",
    [BALLOON_ERR_NO_PENDING] = "more pages than were ballooned out",
    [BALLOON_ERR_NO_MEMORY] = "no host frames",
    [BALLOON_ERR_GPA_LIMIT] = "beyond the 48-bit guest-physical space",
};

const char *balloon_strerror(enum balloon_err err)
{
	return NAME_IN(balloon_err_names, err, "unknown balloon error");
}

static const s64 balloon_hc[] = {
    [BALLOON_OK] = HC_OK,
    [BALLOON_ERR_EMPTY] = HC_EINVAL,
    [BALLOON_ERR_TOO_MANY] = HC_E2BIG,
    [BALLOON_ERR_UNALIGNED] = HC_EALIGN,
    [BALLOON_ERR_OUT_OF_MAP] = HC_EFAULT,
    [BALLOON_ERR_DUPLICATE] = HC_EEXIST,
    [BALLOON_ERR_IN_SEGMENT] = HC_ESEGMENT,
    [BALLOON_ERR_ESCAPED] = HC_EINVAL,
    [BALLOON_ERR_REGIONS_FULL] = HC_ENOMEM,
    [BALLOON_ERR_IN_MAP] = HC_EEXIST,
    [BALLOON_ERR_RESERVED] = HC_EFAULT,
    [BALLOON_ERR_NO_PENDING] = HC_EINVAL,
    [BALLOON_ERR_NO_MEMORY] = HC_ENOMEM,
    [BALLOON_ERR_GPA_LIMIT] = HC_ENOMEM,
};

s64 balloon_hc_status(enum balloon_err err)
{
	return (unsigned)err < ARRAY_SIZE(balloon_hc) ? balloon_hc[err] : HC_EINVAL;
}
