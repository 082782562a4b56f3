#include "hv/model/walk.h"

#include "lib/x86/paging.h"
#include "hv/mem/nested.h"
#include "hv/mem/phys.h"
#include "lib/bits.h"
#include "lib/mem.h"

#define PTE_BYTES      8
#define PER_WALK_SCALE 1000
#define GFN_SHIFT      12 /* the escape filter holds 4 KiB page numbers */
#define VA_MASK_48     BITS(47, 0)
#define NESTED_LEVELS  4 /* nested tables are 4-level, indexed like paging */

/* One translated dimension: the address and the largest page around it that
 * the dimension maps with one translation. A dimension done by a segment maps
 * the largest aligned block the segment holds whole (segment_span), so the
 * TLB entry of a combined translation is the smaller of the two dimensions:
 * the guest page in vmm-direct, the nested leaf in guest-direct (DESIGN.md,
 * "The walk model: its semantics"). */
struct xlate {
	u64 pa;
	enum tlb_page_size size;
};

static const char *const walk_err_names[] = {
    [WALK_ERR_NONE] = "ok",
    [WALK_ERR_MODE] = "unknown walk mode",
    [WALK_ERR_NESTED_ROOT] = "nested table root missing or not 4 KiB-aligned",
    [WALK_ERR_NESTED_FORMAT] = "unknown nested table format",
    [WALK_ERR_NO_GUEST_SEGMENT] = "mode needs an enabled guest segment",
    [WALK_ERR_NO_VMM_SEGMENT] = "mode needs an enabled VMM segment",
    [WALK_ERR_NO_ESCAPE_PREDICATE] = "escape filter given without its escape predicates",
    [WALK_ERR_TLB_CONFIG] = "invalid TLB configuration",
};

static const char *const walk_status_names[] = {
    [WALK_OK] = "ok",
    [WALK_FAULT_NONCANONICAL] = "non-canonical guest virtual address",
    [WALK_FAULT_GUEST_NOT_PRESENT] = "guest page-table entry not present",
    [WALK_FAULT_GUEST_RESERVED] = "guest PML4E with PS set",
    [WALK_FAULT_EPT_NOT_PRESENT] = "nested table entry not present",
    [WALK_FAULT_EPT_MISCONFIG] = "nested table entry the CPU rejects (misconfiguration)",
};

const char *walk_err_str(enum walk_err e)
{
	return NAME_IN(walk_err_names, e, "unknown walk error");
}

const char *walk_status_str(enum walk_status s)
{
	return NAME_IN(walk_status_names, s, "unknown walk status");
}

/* Paging level of a leaf -> its page size: 1 -> 4 KiB, 2 -> 2 MiB, 3 -> 1 GiB. */
static enum tlb_page_size leaf_size(int level)
{
	return (enum tlb_page_size)(level - 1);
}

static enum tlb_page_size min_size(enum tlb_page_size a, enum tlb_page_size b)
{
	return a < b ? a : b;
}

/* --- small fully associative LRU caches: page-walk cache, nested TLB --- */

static void cache_init(struct walk_cache *c, u32 capacity)
{
	memset(c, 0, sizeof(*c));
	c->capacity = capacity;
}

static bool cache_find(struct walk_cache *c, u64 tag, u64 *value)
{
	for (u32 i = 0; i < c->capacity; i++) {
		struct walk_cache_entry *e = &c->e[i];
		if (e->valid && e->tag == tag) {
			e->last_use = ++c->clock;
			*value = e->value;
			return true;
		}
	}
	return false;
}

static void cache_put(struct walk_cache *c, u64 tag, u64 value)
{
	struct walk_cache_entry *victim = &c->e[0];

	for (u32 i = 0; i < c->capacity; i++) {
		struct walk_cache_entry *e = &c->e[i];
		if (!e->valid || e->tag == tag) {
			victim = e;
			break;
		}
		if (e->last_use < victim->last_use)
			victim = e;
	}
	*victim = (struct walk_cache_entry){
	    .tag = tag, .value = value, .last_use = ++c->clock, .valid = true};
}

/* The PWC entry for a guest level is tagged by the VA bits that select the
 * entries down to that level: VA bits 47 to the bottom of the span one
 * entry of that level maps. */
static u64 pwc_tag(u64 gva, int level)
{
	return (gva & VA_MASK_48) / pt_level_size(level);
}

static struct walk_cache *pwc_of(struct walk_model *m, int level)
{
	return &m->pwc[level - 2];
}

static struct walk_cache *npwc_of(struct walk_model *m, int level)
{
	return &m->npwc[level - 2];
}

/* The nested walk's start: the deepest cached nested non-leaf entry (tagged
 * by the gPA bits above the span of its level, as the guest PWC is by gVA),
 * else the root. */
static int npwc_start(struct walk_model *m, u64 gpa, u64 *table)
{
	u64 next;

	for (int level = 2; level <= NESTED_LEVELS; level++) {
		if (cache_find(npwc_of(m, level), pwc_tag(gpa, level), &next)) {
			m->count.npwc_hits++;
			*table = next;
			return level - 1;
		}
	}
	*table = m->config.nested_root;
	return NESTED_LEVELS;
}

/* Keeps the non-leaf entries the walk read: the entry of level l + 1 that
 * pointed at the table of level l. */
static void npwc_fill(struct walk_model *m, u64 gpa, const struct nested_walk *w)
{
	for (int l = 1; l < NESTED_LEVELS; l++)
		if (w->next_table[l])
			cache_put(npwc_of(m, l + 1), pwc_tag(gpa, l + 1), w->next_table[l]);
}

/* The largest page around addr that a segment maps as one contiguous,
 * aligned run: the block must lie inside [base, limit) and the offset must
 * keep its alignment. A TLB entry cannot be larger. */
static enum tlb_page_size segment_span(const struct direct_segment *seg, u64 addr)
{
	for (int ps = TLB_PAGE_1G; ps > TLB_PAGE_4K; ps--) {
		const u64 bytes = tlb_page_bytes(ps);
		const u64 start = align_down(addr, bytes);
		/* start <= addr < limit, so limit - start cannot wrap. */
		if (is_aligned(seg->offset, bytes) && start >= seg->base &&
		    seg->limit - start >= bytes)
			return (enum tlb_page_size)ps;
	}
	return TLB_PAGE_4K;
}

/* segment_span for the VMM segment, shrunk until the block holds no
 * escaped page: an entry over one would hide its alternate frame. */
static enum tlb_page_size span_clear_of_escapes(struct walk_model *m,
                                                const struct direct_segment *vseg, u64 gpa)
{
	enum tlb_page_size ps = segment_span(vseg, gpa);

	if (!m->config.escape)
		return ps;
	while (ps > TLB_PAGE_4K) {
		const u64 bytes = tlb_page_bytes(ps);
		if (!m->config.range_escaped(m->config.is_escaped_ctx,
		                             align_down(gpa, bytes) >> GFN_SHIFT, bytes >> GFN_SHIFT))
			break;
		ps--;
	}
	return ps;
}

/* Nested TLB tags carry the page size, so one page number cannot alias
 * another size's. */
static u64 ntlb_tag(u64 gpa, enum tlb_page_size ps)
{
	return (gpa / tlb_page_bytes(ps)) * TLB_PAGE_SIZES + ps;
}

static bool ntlb_find(struct walk_model *m, u64 gpa, struct xlate *out)
{
	for (int ps = 0; ps < TLB_PAGE_SIZES; ps++) {
		u64 base;
		if (cache_find(&m->ntlb, ntlb_tag(gpa, ps), &base)) {
			out->pa = base + (gpa & (tlb_page_bytes(ps) - 1));
			out->size = ps;
			return true;
		}
	}
	return false;
}

static void ntlb_put(struct walk_model *m, u64 gpa, const struct xlate *x)
{
	u64 mask = tlb_page_bytes(x->size) - 1;
	cache_put(&m->ntlb, ntlb_tag(gpa, x->size), x->pa & ~mask);
}

/* --- the nested dimension: gPA -> hPA --- */

/* The nested table through the one walker (hv/mem/nested.c); each entry it
 * read is a nested reference when counted. */
static enum walk_status ept_walk(struct walk_model *m, u64 gpa, bool counted, struct xlate *out)
{
	struct nested_walk w;
	u64 table = m->config.nested_root;
	int level = NESTED_LEVELS;

	if (counted && m->config.nested_pwc)
		level = npwc_start(m, gpa, &table);
	enum nested_err err = nested_walk_from(m->config.nested_format, table, level, gpa, &w);

	if (counted) {
		m->count.nested_refs += w.entries_read;
		if (m->config.nested_pwc)
			npwc_fill(m, gpa, &w);
	}
	if (err == NESTED_ERR_NOT_PRESENT)
		return WALK_FAULT_EPT_NOT_PRESENT;
	if (err != NESTED_OK)
		return WALK_FAULT_EPT_MISCONFIG;
	out->pa = w.hpa;
	out->size = w.leaf_size == PAGE_SIZE_1G   ? TLB_PAGE_1G
	            : w.leaf_size == PAGE_SIZE_2M ? TLB_PAGE_2M
	                                          : TLB_PAGE_4K;
	return WALK_OK;
}

/* Native mode's bookkeeping: how the model reaches a gPA on this machine.
 * Natively a gPA is the physical address, so nothing here is counted. */
static enum walk_status native_phys(struct walk_model *m, u64 gpa, u64 *hpa)
{
	struct xlate x;
	enum walk_status s;

	if (!m->config.nested_root) {
		*hpa = gpa;
		return WALK_OK;
	}
	s = ept_walk(m, gpa, false, &x);
	*hpa = x.pa;
	return s;
}

/* Escape filter on a gPA inside the VMM segment: true sends it to paging. */
static bool escape_filter_hits(struct walk_model *m, u64 gpa)
{
	const struct walk_config *cfg = &m->config;
	u64 gfn = gpa >> GFN_SHIFT;

	if (!cfg->escape)
		return false;
	m->count.esc_checks++;
	if (!bloom_test(cfg->escape, gfn))
		return false;
	m->count.esc_hits++;
	if (!cfg->is_escaped(cfg->is_escaped_ctx, gfn))
		m->count.esc_false_pos++;
	return true;
}

/* A counted EPT walk, short-cut by the nested TLB when enabled. */
static enum walk_status ept_translate(struct walk_model *m, u64 gpa, struct xlate *out)
{
	enum walk_status s;

	if (m->config.nested_tlb && ntlb_find(m, gpa, out)) {
		m->count.ntlb_hits++;
		return WALK_OK;
	}
	s = ept_walk(m, gpa, true, out);
	if (s == WALK_OK && m->config.nested_tlb)
		ntlb_put(m, gpa, out);
	return s;
}

/* gPA -> hPA in a virtualized mode: the VMM segment if the mode has one, the
 * gPA lies in it and the escape filter lets it through; else the EPT. */
static enum walk_status gpa_translate(struct walk_model *m, u64 gpa, struct xlate *out)
{
	const struct direct_segment *vseg = &m->config.vmm_seg;

	if (mode_has_vmm_seg(m->config.mode)) {
		m->count.bb_checks++;
		if (segment_contains(vseg, gpa) && !escape_filter_hits(m, gpa)) {
			m->count.vseg_hits++;
			out->pa = segment_translate(vseg, gpa);
			out->size = span_clear_of_escapes(m, vseg, gpa);
			return WALK_OK;
		}
	}
	return ept_translate(m, gpa, out);
}

/* --- the guest dimension: gVA -> gPA --- */

/* Where the walk starts: the deepest cached non-leaf entry, else CR3. */
static int pwc_start(struct walk_model *m, u64 gva, u64 *table)
{
	u64 e;

	if (m->config.pwc) {
		for (int level = 2; level <= PT_LEVELS; level++) {
			if (cache_find(pwc_of(m, level), pwc_tag(gva, level), &e)) {
				m->count.pwc_hits++;
				*table = e & PTE_ADDR_MASK;
				return level - 1;
			}
		}
	}
	*table = m->config.guest_cr3 & PTE_ADDR_MASK;
	return PT_LEVELS;
}

/* Reads the guest's 4-level tables (SDM Vol. 3A, 4.5); each entry's gPA is
 * first translated to an hPA, counted except in native mode. A probe is the
 * hypervisor looking, not the modelled hardware: nothing is counted or
 * cached, and table gPAs go through the nested table alone. */
static enum walk_status guest_walk_as(struct walk_model *m, u64 gva, struct xlate *out, bool probe)
{
	const bool native = probe || m->config.mode == MODE_NATIVE;
	u64 table = m->config.guest_cr3 & PTE_ADDR_MASK;
	int level = probe ? PT_LEVELS : pwc_start(m, gva, &table);

	for (; level >= 1; level--) {
		u64 entry_gpa = table + pt_index(gva, level) * PTE_BYTES;
		struct xlate where;
		enum walk_status s;

		if (native)
			s = native_phys(m, entry_gpa, &where.pa);
		else
			s = gpa_translate(m, entry_gpa, &where);
		if (s != WALK_OK)
			return s;

		u64 e = phys_read64(where.pa);
		if (!probe)
			m->count.guest_refs++;
		if (!(e & PTE_P))
			return WALK_FAULT_GUEST_NOT_PRESENT;
		if (level == PT_LEVELS && (e & PTE_PS))
			return WALK_FAULT_GUEST_RESERVED;
		if (level == 1 || (e & PTE_PS)) {
			/* In a large leaf bit 12 is PAT, cleared by the mask. */
			u64 mask = pt_level_size(level) - 1;
			out->pa = (e & PTE_ADDR_MASK & ~mask) | (gva & mask);
			out->size = leaf_size(level);
			if (!probe)
				m->count.guest_leaf[out->size]++;
			return WALK_OK;
		}
		if (m->config.pwc && !probe)
			cache_put(pwc_of(m, level), pwc_tag(gva, level), e);
		table = e & PTE_ADDR_MASK;
	}
	return WALK_FAULT_GUEST_NOT_PRESENT; /* not reached: level 1 is a leaf */
}

static enum walk_status guest_walk(struct walk_model *m, u64 gva, struct xlate *out)
{
	return guest_walk_as(m, gva, out, false);
}

enum walk_status model_guest_translate(struct walk_model *m, u64 gva, u64 *gpa, u64 *leaf_bytes)
{
	struct xlate g;
	enum walk_status s =
	    va_is_canonical(gva) ? guest_walk_as(m, gva, &g, true) : WALK_FAULT_NONCANONICAL;

	if (s == WALK_OK) {
		*gpa = g.pa;
		*leaf_bytes = tlb_page_bytes(g.size);
	}
	return s;
}

/* --- one TLB miss --- */

/* After an L2 miss: the segments, else a walk. Fills out with the address to
 * cache and the TLB page size (the hPA, or in native mode the gPA, natively
 * the physical address); *served says a segment gave the whole translation
 * with no table read (dual-direct). */
static enum walk_status walk_miss(struct walk_model *m, u64 gva, struct xlate *out, bool *served)
{
	const struct walk_config *cfg = &m->config;
	struct xlate g, h;
	bool in_gseg = false;
	enum walk_status s;

	*served = false;
	if (mode_has_guest_seg(cfg->mode)) {
		m->count.bb_checks++;
		in_gseg = segment_contains(&cfg->guest_seg, gva);
	}
	if (in_gseg) {
		m->count.gseg_hits++;
		g.pa = segment_translate(&cfg->guest_seg, gva);
		g.size = segment_span(&cfg->guest_seg, gva);
		/* The combined gVA -> hPA segment: its check was the one above. */
		if (cfg->mode == MODE_DUAL_DIRECT && segment_contains(&cfg->vmm_seg, g.pa)) {
			if (!escape_filter_hits(m, g.pa)) {
				m->count.vseg_hits++;
				out->pa = segment_translate(&cfg->vmm_seg, g.pa);
				out->size = TLB_PAGE_4K; /* how a segment hit fills a TLB */
				*served = true;
				return WALK_OK;
			}
			/* Escaped (or a false positive): this gPA alone is paged. */
			s = ept_translate(m, g.pa, &h);
		} else if (cfg->mode == MODE_DUAL_DIRECT) {
			/* Outside the VMM segment: the one check above said so. */
			s = ept_translate(m, g.pa, &h);
		} else {
			s = gpa_translate(m, g.pa, &h);
		}
	} else {
		s = guest_walk(m, gva, &g);
		if (s != WALK_OK)
			return s;
		if (cfg->mode == MODE_NATIVE) {
			*out = g;
			return WALK_OK;
		}
		s = gpa_translate(m, g.pa, &h);
	}
	if (s != WALK_OK)
		return s;
	out->pa = h.pa;
	out->size = min_size(g.size, h.size);
	return WALK_OK;
}

/* --- the model --- */

static enum walk_err check_config(const struct walk_config *cfg)
{
	if ((unsigned)cfg->mode >= MODE_COUNT)
		return WALK_ERR_MODE;
	/* Native may run without a nested table; every other mode can fall back to it. */
	if (cfg->mode != MODE_NATIVE || cfg->nested_root) {
		if (!cfg->nested_root || !is_aligned(cfg->nested_root, PAGE_SIZE_4K))
			return WALK_ERR_NESTED_ROOT;
		if (cfg->nested_format != NESTED_FORMAT_EPT &&
		    cfg->nested_format != NESTED_FORMAT_NPT)
			return WALK_ERR_NESTED_FORMAT;
	}
	if (mode_has_guest_seg(cfg->mode) && !cfg->guest_seg.enabled)
		return WALK_ERR_NO_GUEST_SEGMENT;
	if (mode_has_vmm_seg(cfg->mode) && !cfg->vmm_seg.enabled)
		return WALK_ERR_NO_VMM_SEGMENT;
	if (cfg->escape && (!cfg->is_escaped || !cfg->range_escaped))
		return WALK_ERR_NO_ESCAPE_PREDICATE;
	return WALK_ERR_NONE;
}

enum walk_err model_init(struct walk_model *m, const struct walk_config *config,
                         const struct tlb_config *tlb)
{
	enum walk_err e = check_config(config);

	if (e != WALK_ERR_NONE)
		return e;
	if (tlb_init(&m->tlb, tlb) != TLB_OK)
		return WALK_ERR_TLB_CONFIG;
	for (int i = 0; i < WALK_PWC_LEVELS; i++)
		if (tlb->caches.pwc[i] > WALK_CACHE_MAX ||
		    tlb->caches.nested_pwc[i] > WALK_CACHE_MAX)
			return WALK_ERR_TLB_CONFIG;
	if (tlb->caches.nested_tlb > WALK_CACHE_MAX)
		return WALK_ERR_TLB_CONFIG;
	m->config = *config;
	for (int level = 2; level <= PT_LEVELS; level++) {
		cache_init(pwc_of(m, level), tlb->caches.pwc[level - 2]);
		cache_init(npwc_of(m, level), tlb->caches.nested_pwc[level - 2]);
	}
	cache_init(&m->ntlb, tlb->caches.nested_tlb);
	model_reset_counters(m);
	return WALK_ERR_NONE;
}

void model_reset_counters(struct walk_model *m)
{
	memset(&m->count, 0, sizeof(m->count));
}

enum walk_status model_access(struct walk_model *m, u64 gva, u64 *hpa)
{
	struct walk_counters *c = &m->count;
	const bool native = m->config.mode == MODE_NATIVE;
	enum walk_status s;
	struct xlate x;

	c->accesses++;
	if (!va_is_canonical(gva)) {
		c->faults++;
		return WALK_FAULT_NONCANONICAL;
	}

	/* L1; on a miss the L2 and the segment registers in parallel (DESIGN.md):
	 * an L2 hit wins and the segments' answer is not used. */
	struct tlb_result r = tlb_lookup_level(&m->tlb, 0, gva);
	if (r.level == TLB_HIT_L1) {
		c->tlb_hits_l1++;
		x.pa = r.pa;
		s = WALK_OK;
	} else if (c->l1_misses++, (r = tlb_lookup_level(&m->tlb, 1, gva)).level == TLB_HIT_L2) {
		c->tlb_hits_l2++;
		tlb_insert_level(&m->tlb, 0, gva, r.pa, r.size);
		x.pa = r.pa;
		s = WALK_OK;
	} else {
		const u64 refs = c->guest_refs + c->nested_refs;
		bool served;

		c->tlb_misses++;
		s = walk_miss(m, gva, &x, &served);
		if (s == WALK_OK && served) {
			c->seg_served++;
			if (m->config.seg_fill & SEG_FILL_L1)
				tlb_insert_level(&m->tlb, 0, gva, x.pa, x.size);
			if (m->config.seg_fill & SEG_FILL_L2)
				tlb_insert_level(&m->tlb, 1, gva, x.pa, x.size);
		} else if (s == WALK_OK) {
			if (c->guest_refs + c->nested_refs > refs)
				c->walks++;
			else
				c->cache_served++;
			tlb_insert(&m->tlb, gva, x.pa, x.size);
		} else if (c->guest_refs + c->nested_refs > refs) {
			c->walks++; /* a walk that faulted still read the tables */
		}
	}
	if (s == WALK_OK && native)
		s = native_phys(m, x.pa, &x.pa);
	if (s != WALK_OK) {
		c->faults++;
		return s;
	}
	*hpa = x.pa;
	return WALK_OK;
}

struct walk_per_walk walk_per_walk(const struct walk_counters *c)
{
	struct walk_per_walk p = {0};
	const u64 refs = c->guest_refs + c->nested_refs;

	if (c->walks) {
		p.guest_refs_x1000 = c->guest_refs * PER_WALK_SCALE / c->walks;
		p.nested_refs_x1000 = c->nested_refs * PER_WALK_SCALE / c->walks;
		p.refs_x1000 = refs * PER_WALK_SCALE / c->walks;
	}
	if (c->tlb_misses)
		p.checks_per_miss_x1000 = c->bb_checks * PER_WALK_SCALE / c->tlb_misses;
	if (c->accesses) {
		/* refs x 10^6 / accesses, without overflowing for large counts. */
		const u64 scale = PER_WALK_SCALE * 1000;
		p.refs_per_kaccess_x1000 =
		    refs / c->accesses * scale + refs % c->accesses * scale / c->accesses;
	}
	return p;
}
