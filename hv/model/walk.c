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

/* One translated dimension: the address and the page size it belongs to. A
 * dimension translated by a segment counts as 4 KiB, so that a TLB entry
 * covers the same span whatever the mode: TLB miss counts stay comparable
 * across modes and only the cost per miss differs. */
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
    [WALK_ERR_NO_ESCAPE_PREDICATE] = "escape filter given without an is_escaped predicate",
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
	if ((unsigned)e >= ARRAY_SIZE(walk_err_names))
		return "unknown walk error";
	return walk_err_names[e];
}

const char *walk_status_str(enum walk_status s)
{
	if ((unsigned)s >= ARRAY_SIZE(walk_status_names))
		return "unknown walk status";
	return walk_status_names[s];
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
	enum nested_err err = nested_walk(m->config.nested_format, m->config.nested_root, gpa, &w);

	if (counted)
		m->count.nested_refs += w.entries_read;
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
			out->size = TLB_PAGE_4K;
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
 * first translated to an hPA, counted except in native mode. */
static enum walk_status guest_walk(struct walk_model *m, u64 gva, struct xlate *out)
{
	const bool native = m->config.mode == MODE_NATIVE;
	u64 table;

	for (int level = pwc_start(m, gva, &table); level >= 1; level--) {
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
			return WALK_OK;
		}
		if (m->config.pwc)
			cache_put(pwc_of(m, level), pwc_tag(gva, level), e);
		table = e & PTE_ADDR_MASK;
	}
	return WALK_FAULT_GUEST_NOT_PRESENT; /* not reached: level 1 is a leaf */
}

/* --- one TLB miss --- */

/* Fills out with the address to cache and the TLB page size: the hPA, or in
 * native mode the gPA (natively the physical address). */
static enum walk_status walk_miss(struct walk_model *m, u64 gva, struct xlate *out)
{
	const struct walk_config *cfg = &m->config;
	struct xlate g, h;
	bool in_gseg = false;
	enum walk_status s;

	if (mode_has_guest_seg(cfg->mode)) {
		m->count.bb_checks++;
		in_gseg = segment_contains(&cfg->guest_seg, gva);
	}
	if (in_gseg) {
		m->count.gseg_hits++;
		g.pa = segment_translate(&cfg->guest_seg, gva);
		g.size = TLB_PAGE_4K;
		/* The combined gVA -> hPA segment: its check was the one above. */
		if (cfg->mode == MODE_DUAL_DIRECT && segment_contains(&cfg->vmm_seg, g.pa)) {
			if (!escape_filter_hits(m, g.pa)) {
				m->count.vseg_hits++;
				out->pa = segment_translate(&cfg->vmm_seg, g.pa);
				out->size = TLB_PAGE_4K;
				return WALK_OK;
			}
			/* Escaped (or a false positive): this gPA alone is paged. */
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
	if (cfg->escape && !cfg->is_escaped)
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
	m->config = *config;
	for (int i = 0; i < WALK_PWC_LEVELS; i++)
		cache_init(&m->pwc[i], WALK_PWC_ENTRIES);
	cache_init(&m->ntlb, WALK_NTLB_ENTRIES);
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

	struct tlb_result r = tlb_lookup(&m->tlb, gva);
	if (r.level != TLB_MISS) {
		if (r.level == TLB_HIT_L1)
			c->tlb_hits_l1++;
		else
			c->tlb_hits_l2++;
		x.pa = r.pa;
		s = WALK_OK;
	} else {
		c->tlb_misses++;
		s = walk_miss(m, gva, &x);
		if (s == WALK_OK)
			tlb_insert(&m->tlb, gva, x.pa, x.size);
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
	u64 n = c->tlb_misses;

	if (!n)
		return p;
	p.guest_refs_x1000 = c->guest_refs * PER_WALK_SCALE / n;
	p.nested_refs_x1000 = c->nested_refs * PER_WALK_SCALE / n;
	p.refs_x1000 = (c->guest_refs + c->nested_refs) * PER_WALK_SCALE / n;
	p.checks_x1000 = c->bb_checks * PER_WALK_SCALE / n;
	return p;
}
