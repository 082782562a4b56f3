/* hv/model/walk and hv/dseg/segment: the 2D walker and its counts, over guest page
 * tables and an EPT built in the test arena.
 *
 * Layout (all modes, all page sizes):
 *   hPA  [16M, 48M)  the arena; EPT tables are bump-allocated from 16M, guest
 *                    RAM is [32M, 48M)
 *   gPA  = hPA + 1G  the EPT's linear map of [1G+32M, 1G+64M) (4K/2M leaves)
 *                    or of [1G, 2G) with one 1G leaf; above 48M only data
 *                    addresses land, never read
 *   gVA  = gPA - 1G + 512G  the guest's linear map, realized in its tables;
 *                    the guest's tables are at gPA [1G+32M, 1G+34M)
 * so every translation is hPA = gVA - 512G. The guest segment covers gVA
 * [512G+36M, 512G+44M); the VMM segment gPA [1G+32M, 1G+48M), tables included.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/ept.h"
#include "lib/x86/paging.h"
#include "hv/mem/phys.h"
#include "hv/model/walk.h"
#include "tests/unit/arena.h"

#define ARENA_BYTES     (32 * MiB)
#define GRAM_HPA        (32 * MiB)
#define GPA_OF_HPA0     (1 * GiB)
#define GRAM_GPA        (GPA_OF_HPA0 + GRAM_HPA)
#define GRAM_BYTES      (16 * MiB)
#define EPT_MAP_END     (GPA_OF_HPA0 + 64 * MiB)
#define GVA_BASE        (512 * GiB)
#define GUEST_MAP_START (GVA_BASE + 34 * MiB)
#define GUEST_MAP_END   (GVA_BASE + 64 * MiB)

#define GSEG_START (GVA_BASE + 36 * MiB)
#define GSEG_END   (GVA_BASE + 44 * MiB)
#define VSEG_START GRAM_GPA
#define VSEG_END   (GRAM_GPA + GRAM_BYTES)

#define A_IN     (GVA_BASE + 40 * MiB + 0x1238) /* in both segments */
#define A_OUT_G  (GVA_BASE + 46 * MiB + 0x238)  /* gPA in the VMM segment only */
#define A_OUT_V  (GVA_BASE + 52 * MiB + 0x238)  /* in neither */
#define A_NO_PDE (GVA_BASE + 200 * MiB)         /* guest PDE not present */
#define A_NO_EPT (GVA_BASE + 80 * MiB + 0x10)   /* gPA the EPT does not map */

static u64 gpa_of(u64 gva)
{
	return gva - GVA_BASE + GPA_OF_HPA0;
}
static u64 hpa_of_gpa(u64 gpa)
{
	return gpa - GPA_OF_HPA0;
}
static u64 hpa_of(u64 gva)
{
	return gva - GVA_BASE;
}

struct fixture {
	struct walk_model *m;
	u64 root; /* of the nested table (EPT format) */
	u64 cr3;
	u64 next_guest_table;
	enum tlb_page_size gsize, esize;
	struct walk_config cfg;
	u64 escaped[4];
	int n_escaped;
};

static const u64 size_bytes[] = {PAGE_SIZE_4K, PAGE_SIZE_2M, PAGE_SIZE_1G};

/* Level at which a leaf of this size sits: 4K -> 1, 2M -> 2, 1G -> 3. */
static int leaf_level(enum tlb_page_size ps)
{
	return (int)ps + 1;
}

static u64 ept_new_table(void)
{
	u64 pa = arena_alloc_frame();
	assert_true(pa != 0 && pa < ARENA_BASE + GRAM_HPA - ARENA_BASE);
	return pa;
}

static void ept_map(u64 root, u64 gpa, u64 hpa, enum tlb_page_size ps)
{
	u64 table = root;
	for (int level = 4; level > leaf_level(ps); level--) {
		u64 slot = table + pt_index(gpa, level) * 8;
		u64 e = phys_read64(slot);
		if (!ept_present(e)) {
			e = ept_new_table() | EPT_RWX;
			phys_write64(slot, e);
		}
		table = e & EPT_ADDR_MASK;
	}
	u64 leaf = hpa | EPT_RWX | EPT_MT(EPT_MT_WB) | (ps != TLB_PAGE_4K ? EPT_LEAF_PS : 0);
	phys_write64(table + pt_index(gpa, leaf_level(ps)) * 8, leaf);
}

/* Guest tables live at gPAs; the test writes them at their hPAs. */
static u64 guest_new_table(struct fixture *fx)
{
	u64 gpa = fx->next_guest_table;
	fx->next_guest_table += PAGE_SIZE_4K;
	assert_true(fx->next_guest_table <= GRAM_GPA + 2 * MiB);
	memset(phys_to_virt(hpa_of_gpa(gpa)), 0, PAGE_SIZE_4K);
	return gpa;
}

static void guest_map(struct fixture *fx, u64 gva, u64 gpa, enum tlb_page_size ps)
{
	u64 table = fx->cr3;
	for (int level = 4; level > leaf_level(ps); level--) {
		u64 slot = hpa_of_gpa(table + pt_index(gva, level) * 8);
		u64 e = phys_read64(slot);
		if (!(e & PTE_P)) {
			e = guest_new_table(fx) | PTE_P | PTE_RW;
			phys_write64(slot, e);
		}
		table = e & PTE_ADDR_MASK;
	}
	u64 leaf = gpa | PTE_P | PTE_RW | (ps != TLB_PAGE_4K ? PTE_PS : 0);
	phys_write64(hpa_of_gpa(table + pt_index(gva, leaf_level(ps)) * 8), leaf);
}

static bool is_escaped(const void *ctx, u64 gfn)
{
	const struct fixture *fx = ctx;
	for (int i = 0; i < fx->n_escaped; i++)
		if (fx->escaped[i] == gfn)
			return true;
	return false;
}

static bool range_escaped(const void *ctx, u64 gfn, u64 count)
{
	const struct fixture *fx = ctx;
	for (int i = 0; i < fx->n_escaped; i++)
		if (fx->escaped[i] - gfn < count)
			return true;
	return false;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	fx->m = calloc(1, sizeof(*fx->m));
	arena_create(ARENA_BYTES);
	*state = fx;
	return fx && fx->m ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	arena_destroy();
	free(fx->m);
	free(fx);
	return 0;
}

/* Builds EPT and guest tables with the given leaf sizes and a base config. */
static void build(struct fixture *fx, enum tlb_page_size gsize, enum tlb_page_size esize)
{
	u64 root = ept_new_table();
	u64 step;

	fx->gsize = gsize;
	fx->esize = esize;
	if (esize == TLB_PAGE_1G) {
		ept_map(root, GPA_OF_HPA0, 0, TLB_PAGE_1G);
	} else {
		step = size_bytes[esize];
		for (u64 gpa = GRAM_GPA; gpa < EPT_MAP_END; gpa += step)
			ept_map(root, gpa, hpa_of_gpa(gpa), esize);
	}
	fx->root = root;

	fx->next_guest_table = GRAM_GPA;
	fx->cr3 = guest_new_table(fx);
	if (gsize == TLB_PAGE_1G) {
		guest_map(fx, GVA_BASE, GPA_OF_HPA0, TLB_PAGE_1G);
	} else {
		step = size_bytes[gsize];
		for (u64 gva = GUEST_MAP_START; gva < GUEST_MAP_END; gva += step)
			guest_map(fx, gva, gpa_of(gva), gsize);
		guest_map(fx, A_NO_EPT & ~(PAGE_SIZE_4K - 1),
		          gpa_of(A_NO_EPT & ~(PAGE_SIZE_4K - 1)), TLB_PAGE_4K);
	}

	memset(&fx->cfg, 0, sizeof(fx->cfg));
	fx->cfg.seg_fill = SEG_FILL_L1; /* the default (hv/model/walk.h) */
	fx->cfg.guest_cr3 = fx->cr3;
	fx->cfg.nested_root = fx->root;
	fx->cfg.nested_format = NESTED_FORMAT_EPT;
	assert_int_equal(
	    segment_set(&fx->cfg.guest_seg, GSEG_START, GSEG_END, GPA_OF_HPA0 - GVA_BASE),
	    SEGMENT_OK);
	assert_int_equal(segment_set(&fx->cfg.vmm_seg, VSEG_START, VSEG_END, -GPA_OF_HPA0),
	                 SEGMENT_OK);
}

static void init_model(struct fixture *fx, enum hv_mode mode)
{
	fx->cfg.mode = mode;
	assert_int_equal(model_init(fx->m, &fx->cfg, tlb_preset_find("skylake")), WALK_ERR_NONE);
}

/* One access that must succeed and land on want_hpa. */
static void access_ok(struct fixture *fx, u64 gva, u64 want_hpa)
{
	u64 hpa = 0;
	enum walk_status s = model_access(fx->m, gva, &hpa);
	if (s != WALK_OK)
		fail_msg("gva 0x%llx: %s", (unsigned long long)gva, walk_status_str(s));
	assert_int_equal(hpa, want_hpa);
}

struct cost {
	u64 guest_refs, nested_refs, bb_checks;
};

static void expect_cost(const struct walk_counters *c, struct cost want, const char *what)
{
	if (c->guest_refs != want.guest_refs || c->nested_refs != want.nested_refs ||
	    c->bb_checks != want.bb_checks)
		fail_msg("%s: guest %llu nested %llu checks %llu, want %llu %llu %llu", what,
		         (unsigned long long)c->guest_refs, (unsigned long long)c->nested_refs,
		         (unsigned long long)c->bb_checks, (unsigned long long)want.guest_refs,
		         (unsigned long long)want.nested_refs, (unsigned long long)want.bb_checks);
}

static void test_segment(void **state)
{
	(void)state;
	struct direct_segment s;

	assert_int_equal(segment_set(&s, 0x2000, 0x2000, 0), SEGMENT_ERR_EMPTY);
	assert_false(s.enabled);
	assert_int_equal(segment_set(&s, 0x2001, 0x3000, 0), SEGMENT_ERR_ALIGN);
	assert_int_equal(segment_set(&s, 0x2000, 0x3000, 0x10), SEGMENT_ERR_ALIGN);
	assert_int_equal(segment_set(&s, 0x2000, 0x4000, -0x3000ULL), SEGMENT_ERR_WRAPS);
	assert_string_equal(segment_err_str(SEGMENT_ERR_WRAPS),
	                    "segment target range wraps past 2^64");
	assert_false(segment_contains(&s, 0x2000)); /* a failed set leaves it off */

	assert_int_equal(segment_set(&s, 0x40000000, 0x80000000, -0x30000000ULL), SEGMENT_OK);
	assert_false(segment_contains(&s, 0x3fffffff));
	assert_true(segment_contains(&s, 0x40000000));
	assert_true(segment_contains(&s, 0x7fffffff));
	assert_false(segment_contains(&s, 0x80000000));
	assert_int_equal(segment_translate(&s, 0x40001234), 0x10001234);
	segment_disable(&s);
	assert_false(segment_contains(&s, 0x40000000));
}

static void test_config_errors(void **state)
{
	struct fixture *fx = *state;
	struct walk_config c;
	struct bloom b;

	build(fx, TLB_PAGE_4K, TLB_PAGE_4K);
	const struct tlb_config *sky = tlb_preset_find("skylake");

	c = fx->cfg;
	c.mode = MODE_COUNT;
	assert_int_equal(model_init(fx->m, &c, sky), WALK_ERR_MODE);
	c = fx->cfg;
	c.nested_root = fx->root | 0x800;
	assert_int_equal(model_init(fx->m, &c, sky), WALK_ERR_NESTED_ROOT);
	c = fx->cfg;
	c.nested_format = (enum nested_format)7;
	assert_int_equal(model_init(fx->m, &c, sky), WALK_ERR_NESTED_FORMAT);
	c.nested_root = 0;
	assert_int_equal(model_init(fx->m, &c, sky), WALK_ERR_NESTED_ROOT);
	c.mode = MODE_NATIVE; /* native needs no EPT */
	assert_int_equal(model_init(fx->m, &c, sky), WALK_ERR_NONE);
	c = fx->cfg;
	c.mode = MODE_VMM_DIRECT;
	segment_disable(&c.vmm_seg);
	assert_int_equal(model_init(fx->m, &c, sky), WALK_ERR_NO_VMM_SEGMENT);
	c = fx->cfg;
	c.mode = MODE_DUAL_DIRECT;
	segment_disable(&c.guest_seg);
	assert_int_equal(model_init(fx->m, &c, sky), WALK_ERR_NO_GUEST_SEGMENT);
	c = fx->cfg;
	assert_int_equal(bloom_init(&b, 256, 4), BLOOM_OK);
	c.escape = &b;
	assert_int_equal(model_init(fx->m, &c, sky), WALK_ERR_NO_ESCAPE_PREDICATE);
	struct tlb_config bad = {.name = "bad", .level = {{{.entries = 3, .ways = 1, .sizes = 1}}}};
	assert_int_equal(model_init(fx->m, &fx->cfg, &bad), WALK_ERR_TLB_CONFIG);
	assert_string_equal(walk_err_str(WALK_ERR_NO_VMM_SEGMENT),
	                    "mode needs an enabled VMM segment");
	assert_string_equal(hv_mode_name(MODE_GUEST_DIRECT), "guest-direct");
}

/* The modes table of DESIGN.md, 4 KiB pages everywhere, an address inside
 * both segments: one TLB miss each. */
static void test_modes_4k(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		enum hv_mode mode;
		struct cost cost;
		u64 gseg_hits, vseg_hits;
	} rows[] = {
	    {MODE_BASE, {4, 20, 0}, 0, 0},       {MODE_NATIVE, {4, 0, 0}, 0, 0},
	    {MODE_VMM_DIRECT, {4, 0, 5}, 0, 5},  {MODE_GUEST_DIRECT, {0, 4, 1}, 1, 0},
	    {MODE_DUAL_DIRECT, {0, 0, 1}, 1, 1},
	};

	build(fx, TLB_PAGE_4K, TLB_PAGE_4K);
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		init_model(fx, rows[i].mode);
		access_ok(fx, A_IN, hpa_of(A_IN));
		const struct walk_counters *c = &fx->m->count;
		expect_cost(c, rows[i].cost, hv_mode_name(rows[i].mode));
		assert_int_equal(c->accesses, 1);
		assert_int_equal(c->tlb_misses, 1);
		assert_int_equal(c->walks, rows[i].mode == MODE_DUAL_DIRECT ? 0 : 1);
		assert_int_equal(c->seg_served, rows[i].mode == MODE_DUAL_DIRECT ? 1 : 0);
		assert_int_equal(c->gseg_hits, rows[i].gseg_hits);
		assert_int_equal(c->vseg_hits, rows[i].vseg_hits);
		assert_int_equal(c->faults, 0);
		struct walk_per_walk p = walk_per_walk(c);
		assert_int_equal(p.refs_x1000,
		                 1000 * (rows[i].cost.guest_refs + rows[i].cost.nested_refs));
		assert_int_equal(p.checks_per_miss_x1000, 1000 * rows[i].cost.bb_checks);
		/* One access, one miss: the figure of merit is the refs x 1000. */
		assert_int_equal(p.refs_per_kaccess_x1000,
		                 1000 * 1000 *
		                     (rows[i].cost.guest_refs + rows[i].cost.nested_refs));
	}
}

/* Segments of a whole GiB, so that their spans allow every TLB page size:
 * gVA [512G, 513G) -> gPA [1G, 2G), gPA [1G, 2G) -> hPA [0, 1G). */
static void whole_gib_segments(struct fixture *fx)
{
	assert_int_equal(
	    segment_set(&fx->cfg.guest_seg, GVA_BASE, GVA_BASE + 1 * GiB, GPA_OF_HPA0 - GVA_BASE),
	    SEGMENT_OK);
	assert_int_equal(segment_set(&fx->cfg.vmm_seg, GPA_OF_HPA0, 2 * GPA_OF_HPA0, -GPA_OF_HPA0),
	                 SEGMENT_OK);
}

/* The expectations of DESIGN.md ("The walk model: its semantics") for one
 * TLB miss at A_IN inside both segments, with a guest leaf of g and a nested
 * leaf of e: n = 4 - g guest levels, m = 4 - e nested levels.
 *   base          n guest refs, (n+1)m nested refs, no check; entry min(g, e)
 *   native        n guest refs; entry g
 *   vmm-direct    n guest refs, n+1 checks (each gPA and the data); entry g
 *   guest-direct  m nested refs, 1 check; entry e
 *   dual-direct   no ref, 1 check, segment-served (not a walk); a 4 KiB entry
 *                 in the L1 TLB only (seg_fill=l1, the default) */
struct matrix_want {
	struct cost cost;
	u64 walks, seg_served;
	enum tlb_page_size entry;
	bool in_l2;
};

static struct matrix_want matrix_want(enum hv_mode mode, int g, int e)
{
	const u64 n = 4 - g, m = 4 - e;
	switch (mode) {
	case MODE_BASE:
		return (struct matrix_want){{n, (n + 1) * m, 0}, 1, 0, g < e ? g : e, true};
	case MODE_NATIVE:
		return (struct matrix_want){{n, 0, 0}, 1, 0, g, true};
	case MODE_VMM_DIRECT:
		return (struct matrix_want){{n, 0, n + 1}, 1, 0, g, true};
	case MODE_GUEST_DIRECT:
		return (struct matrix_want){{0, m, 1}, 1, 0, e, true};
	default:
		return (struct matrix_want){{0, 0, 1}, 0, 1, TLB_PAGE_4K, false};
	}
}

/* Every mode over every guest x nested leaf size pair (4K, 2M, 1G each). */
static void test_page_size_matrix(void **state)
{
	struct fixture *fx = *state;
	static const enum hv_mode modes[] = {MODE_BASE, MODE_NATIVE, MODE_VMM_DIRECT,
	                                     MODE_GUEST_DIRECT, MODE_DUAL_DIRECT};
	/* Total references of a 2D walk, written out: (n+1)(m+1)-1 by n, m. */
	static const u64 refs_2d[3][3] = {
	    /* g = 4K */ {24, 19, 14},
	    /* g = 2M */ {19, 15, 11},
	    /* g = 1G */ {14, 11, 8},
	};

	for (int g = TLB_PAGE_4K; g <= TLB_PAGE_1G; g++) {
		for (int e = TLB_PAGE_4K; e <= TLB_PAGE_1G; e++) {
			arena_destroy();
			arena_create(ARENA_BYTES);
			build(fx, g, e);
			whole_gib_segments(fx);
			for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
				const struct matrix_want w = matrix_want(modes[i], g, e);
				const struct walk_counters *c = &fx->m->count;
				char what[64];
				snprintf(what, sizeof(what), "%s guest %s nested %s",
				         hv_mode_name(modes[i]),
				         g == 0   ? "4K"
				         : g == 1 ? "2M"
				                  : "1G",
				         e == 0   ? "4K"
				         : e == 1 ? "2M"
				                  : "1G");
				init_model(fx, modes[i]);
				access_ok(fx, A_IN, hpa_of(A_IN));
				expect_cost(c, w.cost, what);
				if (modes[i] == MODE_BASE &&
				    c->guest_refs + c->nested_refs != refs_2d[g][e])
					fail_msg(
					    "%s: %llu refs, a 2D walk costs %llu", what,
					    (unsigned long long)(c->guest_refs + c->nested_refs),
					    (unsigned long long)refs_2d[g][e]);
				if (c->tlb_misses != 1 || c->walks != w.walks ||
				    c->seg_served != w.seg_served || c->l1_misses != 1)
					fail_msg("%s: misses %llu walks %llu seg_served %llu", what,
					         (unsigned long long)c->tlb_misses,
					         (unsigned long long)c->walks,
					         (unsigned long long)c->seg_served);
				if (w.walks)
					assert_int_equal(c->guest_leaf[g],
					                 modes[i] == MODE_GUEST_DIRECT ? 0 : 1);
				/* The entry: present in L1 at exactly that size, and in L2 unless
				 * segment-served; the last byte of its page hits, the next page
				 * of that size does not. */
				const u64 bytes = tlb_page_bytes(w.entry);
				const u64 last = align_down(A_IN, bytes) + bytes - 1;
				struct tlb_result r = tlb_lookup_level(&fx->m->tlb, 0, A_IN);
				if (r.level != TLB_HIT_L1 || r.size != w.entry)
					fail_msg("%s: L1 entry of size %d, want %d", what,
					         r.level == TLB_HIT_L1 ? (int)r.size : -1,
					         (int)w.entry);
				assert_int_equal(tlb_lookup_level(&fx->m->tlb, 0, last).level,
				                 TLB_HIT_L1);
				assert_int_equal(tlb_lookup_level(&fx->m->tlb, 0, last + 1).level,
				                 TLB_MISS);
				r = tlb_lookup_level(&fx->m->tlb, 1, A_IN);
				assert_int_equal(r.level, w.in_l2 ? TLB_HIT_L2 : TLB_MISS);
			}
		}
	}
}

/* A segment smaller than a leaf bounds the entry: with the 8 MiB guest
 * segment of the fixture over 1 GiB nested leaves, guest-direct caches
 * 2 MiB (the largest aligned block inside the segment), and the 16 MiB VMM
 * segment keeps vmm-direct's 1 GiB guest pages to 2 MiB. */
static void test_entry_bounded_by_segment(void **state)
{
	struct fixture *fx = *state;

	build(fx, TLB_PAGE_1G, TLB_PAGE_1G);
	init_model(fx, MODE_GUEST_DIRECT);
	access_ok(fx, A_IN, hpa_of(A_IN));
	struct tlb_result r = tlb_lookup_level(&fx->m->tlb, 0, A_IN);
	assert_int_equal(r.level, TLB_HIT_L1);
	assert_int_equal(r.size, TLB_PAGE_2M);

	/* The fixture's 16 MiB VMM segment holds no whole GiB around A_IN. */
	init_model(fx, MODE_VMM_DIRECT);
	access_ok(fx, A_IN, hpa_of(A_IN));
	r = tlb_lookup_level(&fx->m->tlb, 0, A_IN);
	assert_int_equal(r.level, TLB_HIT_L1);
	assert_int_equal(r.size, TLB_PAGE_2M);
}

/* seg_fill: where a segment-served translation goes. With l1 a second
 * access to the page hits L1; with l2 it misses L1 and hits L2; with none
 * it is served by the segment again; never a walk. */
static void test_seg_fill(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		unsigned fill;
		u64 l1_hits, l2_hits, seg_served;
	} rows[] = {
	    {SEG_FILL_L1, 1, 0, 1},
	    {SEG_FILL_L2, 0, 1, 1},
	    {SEG_FILL_BOTH, 1, 0, 1},
	    {SEG_FILL_NONE, 0, 0, 2},
	};

	build(fx, TLB_PAGE_4K, TLB_PAGE_4K);
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		fx->cfg.seg_fill = rows[i].fill;
		init_model(fx, MODE_DUAL_DIRECT);
		access_ok(fx, A_IN, hpa_of(A_IN));
		access_ok(fx, A_IN + 8, hpa_of(A_IN) + 8);
		const struct walk_counters *c = &fx->m->count;
		assert_int_equal(c->tlb_hits_l1, rows[i].l1_hits);
		assert_int_equal(c->tlb_hits_l2, rows[i].l2_hits);
		assert_int_equal(c->seg_served, rows[i].seg_served);
		assert_int_equal(c->walks, 0);
		assert_int_equal(c->l1_misses, 2 - rows[i].l1_hits);
		assert_int_equal(c->tlb_misses, rows[i].seg_served);
	}
}

static void test_outside_segments(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		enum hv_mode mode;
		u64 gva;
		struct cost cost;
		u64 vseg_hits;
	} rows[] = {
	    /* gVA outside the guest segment: the guest tables are walked. */
	    {MODE_GUEST_DIRECT, A_OUT_G, {4, 20, 1}, 0},
	    {MODE_DUAL_DIRECT, A_OUT_G, {4, 0, 6}, 5},
	    {MODE_VMM_DIRECT, A_OUT_G, {4, 0, 5}, 5},
	    /* ... and its gPA outside the VMM segment: the data pays the EPT. */
	    {MODE_VMM_DIRECT, A_OUT_V, {4, 4, 5}, 4},
	    {MODE_DUAL_DIRECT, A_OUT_V, {4, 4, 6}, 4},
	    {MODE_GUEST_DIRECT, A_OUT_V, {4, 20, 1}, 0},
	    {MODE_BASE, A_OUT_V, {4, 20, 0}, 0},
	};

	build(fx, TLB_PAGE_4K, TLB_PAGE_4K);
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		init_model(fx, rows[i].mode);
		access_ok(fx, rows[i].gva, hpa_of(rows[i].gva));
		expect_cost(&fx->m->count, rows[i].cost, hv_mode_name(rows[i].mode));
		assert_int_equal(fx->m->count.gseg_hits, 0);
		assert_int_equal(fx->m->count.vseg_hits, rows[i].vseg_hits);
	}

	/* Segments that cover neither the tables nor the data: the full 24-ref
	 * walk of base, plus the failed checks (1 guest + 5 VMM). */
	assert_int_equal(segment_set(&fx->cfg.vmm_seg, GRAM_GPA + 4 * MiB, VSEG_END, -GPA_OF_HPA0),
	                 SEGMENT_OK);
	init_model(fx, MODE_DUAL_DIRECT);
	access_ok(fx, A_OUT_V, hpa_of(A_OUT_V));
	expect_cost(&fx->m->count, (struct cost){4, 20, 6}, "dual-direct, outside all");
	assert_int_equal(fx->m->count.vseg_hits, 0);
}

/* The page of A_IN is escaped: the EPT maps it to an alternate frame and the
 * filter holds it. */
static u64 escape_a_in(struct fixture *fx, struct bloom *b, u32 m_bits, u32 k)
{
	u64 alt = arena_alloc_frame();
	u64 page = gpa_of(A_IN) & ~(PAGE_SIZE_4K - 1);

	ept_map(fx->root, page, alt, TLB_PAGE_4K);
	fx->escaped[fx->n_escaped++] = page >> 12;
	assert_int_equal(bloom_init(b, m_bits, k), BLOOM_OK);
	bloom_add(b, page >> 12);
	fx->cfg.escape = b;
	fx->cfg.is_escaped = is_escaped;
	fx->cfg.range_escaped = range_escaped;
	fx->cfg.is_escaped_ctx = fx;
	return alt + (A_IN & (PAGE_SIZE_4K - 1));
}

static void test_escaped_page(void **state)
{
	struct fixture *fx = *state;
	struct bloom b;
	const struct walk_counters *c = &fx->m->count;

	build(fx, TLB_PAGE_4K, TLB_PAGE_4K);
	u64 alt = escape_a_in(fx, &b, BLOOM_DEFAULT_BITS, BLOOM_DEFAULT_HASHES);
	assert_int_not_equal(alt, hpa_of(A_IN));

	/* vmm-direct: the four table gPAs pass the filter; the data gPA hits it
	 * and takes the EPT walk to the alternate frame. */
	init_model(fx, MODE_VMM_DIRECT);
	access_ok(fx, A_IN, alt);
	expect_cost(c, (struct cost){4, 4, 5}, "vmm-direct escaped");
	assert_int_equal(c->esc_checks, 5);
	assert_int_equal(c->esc_hits, 1);
	assert_int_equal(c->esc_false_pos, 0);
	assert_int_equal(c->vseg_hits, 4);

	/* dual-direct: still one check for the combined segment. */
	init_model(fx, MODE_DUAL_DIRECT);
	access_ok(fx, A_IN, alt);
	expect_cost(c, (struct cost){0, 4, 1}, "dual-direct escaped");
	assert_int_equal(c->esc_checks, 1);
	assert_int_equal(c->esc_hits, 1);
	assert_int_equal(c->esc_false_pos, 0);
	assert_int_equal(c->gseg_hits, 1);
	assert_int_equal(c->vseg_hits, 0);
	/* The page next door is not escaped and keeps the segment. */
	access_ok(fx, A_IN + PAGE_SIZE_4K, hpa_of(A_IN + PAGE_SIZE_4K));
	assert_int_equal(c->vseg_hits, 1);
	assert_int_equal(c->esc_checks, 2);

	/* base has no VMM segment: no filter, the EPT gives the same answer. */
	init_model(fx, MODE_BASE);
	access_ok(fx, A_IN, alt);
	assert_int_equal(c->esc_checks, 0);
}

static void test_false_positive(void **state)
{
	struct fixture *fx = *state;
	struct bloom b;
	const struct walk_counters *c = &fx->m->count;
	u64 victim = 0;

	build(fx, TLB_PAGE_4K, TLB_PAGE_4K);
	/* An 8-bit, 1-hash filter: one page in eight of the segment collides. */
	escape_a_in(fx, &b, 8, 1);
	for (u64 gva = GSEG_START; gva < GSEG_END; gva += PAGE_SIZE_4K) {
		if (!is_escaped(fx, gpa_of(gva) >> 12) && bloom_test(&b, gpa_of(gva) >> 12)) {
			victim = gva + 0x7c8;
			break;
		}
	}
	assert_true(victim != 0);

	init_model(fx, MODE_DUAL_DIRECT);
	access_ok(fx, victim, hpa_of(victim)); /* paid a walk, translated right */
	expect_cost(c, (struct cost){0, 4, 1}, "dual-direct false positive");
	assert_int_equal(c->esc_hits, 1);
	assert_int_equal(c->esc_false_pos, 1);
	assert_int_equal(c->vseg_hits, 0);
}

static void test_faults(void **state)
{
	struct fixture *fx = *state;
	const struct walk_counters *c = &fx->m->count;
	u64 hpa = 0xdead;

	build(fx, TLB_PAGE_4K, TLB_PAGE_4K);
	init_model(fx, MODE_BASE);

	/* PML4E and PDPTE present, PDE not: 3 guest refs, each 4 nested. */
	assert_int_equal(model_access(fx->m, A_NO_PDE, &hpa), WALK_FAULT_GUEST_NOT_PRESENT);
	expect_cost(c, (struct cost){3, 12, 0}, "guest fault");
	assert_int_equal(c->faults, 1);
	assert_int_equal(c->tlb_misses, 1);
	assert_int_equal(hpa, 0xdead);
	/* Nothing was cached: the same access walks and faults again. */
	assert_int_equal(model_access(fx->m, A_NO_PDE, &hpa), WALK_FAULT_GUEST_NOT_PRESENT);
	assert_int_equal(c->faults, 2);
	assert_int_equal(c->tlb_misses, 2);

	/* Guest tables fine (16 nested), the data gPA's EPT PDE absent (3). */
	model_reset_counters(fx->m);
	assert_int_equal(model_access(fx->m, A_NO_EPT, &hpa), WALK_FAULT_EPT_NOT_PRESENT);
	expect_cost(c, (struct cost){4, 19, 0}, "EPT fault");
	assert_int_equal(c->faults, 1);

	/* A non-canonical gVA faults before the TLB: no walk. */
	model_reset_counters(fx->m);
	assert_int_equal(model_access(fx->m, 0x0000800000000000ULL, &hpa), WALK_FAULT_NONCANONICAL);
	assert_int_equal(c->faults, 1);
	assert_int_equal(c->tlb_misses, 0);
	assert_int_equal(c->accesses, 1);
	assert_string_equal(walk_status_str(WALK_FAULT_EPT_NOT_PRESENT),
	                    "nested table entry not present");
}

static void test_tlb_in_model(void **state)
{
	struct fixture *fx = *state;
	const struct walk_counters *c = &fx->m->count;

	build(fx, TLB_PAGE_4K, TLB_PAGE_4K);
	init_model(fx, MODE_BASE);
	access_ok(fx, A_IN, hpa_of(A_IN));
	access_ok(fx, A_IN + 0x10, hpa_of(A_IN) + 0x10);
	assert_int_equal(c->accesses, 2);
	assert_int_equal(c->tlb_hits_l1, 1);
	assert_int_equal(c->tlb_misses, 1);
	expect_cost(c, (struct cost){4, 20, 0}, "hit adds nothing");

	tlb_flush(&fx->m->tlb);
	access_ok(fx, A_IN, hpa_of(A_IN));
	assert_int_equal(c->tlb_misses, 2);
	expect_cost(c, (struct cost){8, 40, 0}, "after flush");

	/* Native caches the gPA and reaches the hPA uncounted, hit or miss. */
	init_model(fx, MODE_NATIVE);
	access_ok(fx, A_OUT_G, hpa_of(A_OUT_G));
	access_ok(fx, A_OUT_G + 8, hpa_of(A_OUT_G) + 8);
	assert_int_equal(c->tlb_hits_l1, 1);
	expect_cost(c, (struct cost){4, 0, 0}, "native");
}

/* Second access to the next page (TLB miss, same page table). */
static void second_walk_in(struct fixture *fx, enum hv_mode mode, bool pwc, bool ntlb,
                           bool npwc, u64 second)
{
	fx->cfg.pwc = pwc;
	fx->cfg.nested_tlb = ntlb;
	fx->cfg.nested_pwc = npwc;
	init_model(fx, mode);
	access_ok(fx, A_IN, hpa_of(A_IN));
	model_reset_counters(fx->m);
	access_ok(fx, second, hpa_of(second));
	assert_int_equal(fx->m->count.tlb_misses, 1);
}

static void second_walk(struct fixture *fx, bool pwc, bool ntlb, u64 second)
{
	second_walk_in(fx, MODE_BASE, pwc, ntlb, false, second);
}

static void test_pwc_and_nested_tlb(void **state)
{
	struct fixture *fx = *state;
	const struct walk_counters *c = &fx->m->count;

	build(fx, TLB_PAGE_4K, TLB_PAGE_4K);

	/* Off (the default): the second walk costs the full 24. */
	second_walk(fx, false, false, A_IN + PAGE_SIZE_4K);
	expect_cost(c, (struct cost){4, 20, 0}, "no caches");

	/* PWC: the PDE is cached; only the PTE (4 + 1) and the data (4). */
	second_walk(fx, true, false, A_IN + PAGE_SIZE_4K);
	expect_cost(c, (struct cost){1, 8, 0}, "pwc");
	assert_int_equal(c->pwc_hits, 1);
	/* Another page table under the same PD: PDPTE cached, PDE and PTE read. */
	second_walk(fx, true, false, A_IN + PAGE_SIZE_2M);
	expect_cost(c, (struct cost){2, 12, 0}, "pwc, next 2M");

	/* Nested TLB: the four table pages' gPAs are cached, the data's is new. */
	second_walk(fx, false, true, A_IN + PAGE_SIZE_4K);
	expect_cost(c, (struct cost){4, 4, 0}, "nested TLB");
	assert_int_equal(c->ntlb_hits, 4);

	/* Both: one PTE read through a cached gPA, plus the data's EPT walk. */
	second_walk(fx, true, true, A_IN + PAGE_SIZE_4K);
	expect_cost(c, (struct cost){1, 4, 0}, "pwc + nested TLB");

	/* Nested non-leaf cache: every gPA of the second walk lies under a
	 * nested PDE the first walk read (all within one 2 MiB of gPA for the
	 * tables, and the data page next door), so each nested walk reads its
	 * PTE only: 5 nested walks of 1 reference. */
	second_walk_in(fx, MODE_BASE, false, false, true, A_IN + PAGE_SIZE_4K);
	expect_cost(c, (struct cost){4, 5, 0}, "nested non-leaf cache");
	assert_int_equal(c->npwc_hits, 5);
	assert_int_equal(c->walks, 1);

	/* Cache-served: in guest-direct with the nested TLB, a second page under
	 * the same 4 KiB... is a new page, so take the same page's other half
	 * after a TLB flush: the segment gives the gPA, the nested TLB the hPA,
	 * and no table entry is read. It is a TLB miss but not a walk. */
	fx->cfg.nested_tlb = true;
	init_model(fx, MODE_GUEST_DIRECT);
	access_ok(fx, A_IN, hpa_of(A_IN));
	tlb_flush(&fx->m->tlb);
	model_reset_counters(fx->m);
	access_ok(fx, A_IN + 8, hpa_of(A_IN) + 8);
	assert_int_equal(c->tlb_misses, 1);
	assert_int_equal(c->walks, 0);
	assert_int_equal(c->cache_served, 1);
	assert_int_equal(c->ntlb_hits, 1);
	expect_cost(c, (struct cost){0, 0, 1}, "cache-served");
	fx->cfg.nested_tlb = false;
}

/* Dual-direct with the gVA in the guest segment but its gPA outside the VMM
 * segment: the one combined check fails and the gPA is walked in the nested
 * table; no second check. */
static void test_dual_outside_vmm_segment(void **state)
{
	struct fixture *fx = *state;
	const struct walk_counters *c = &fx->m->count;

	build(fx, TLB_PAGE_4K, TLB_PAGE_4K);
	/* The guest's tables stay inside; A_IN's gPA (1G + 40M) does not. */
	assert_int_equal(segment_set(&fx->cfg.vmm_seg, VSEG_START, VSEG_START + 6 * MiB,
	                             -GPA_OF_HPA0),
	                 SEGMENT_OK);
	init_model(fx, MODE_DUAL_DIRECT);
	access_ok(fx, A_IN, hpa_of(A_IN));
	expect_cost(c, (struct cost){0, 4, 1}, "dual-direct, gPA outside the VMM segment");
	assert_int_equal(c->gseg_hits, 1);
	assert_int_equal(c->vseg_hits, 0);
	assert_int_equal(c->walks, 1);
	assert_int_equal(c->seg_served, 0);
}

/* An escaped page keeps a vmm-direct TLB entry from covering it, and only
 * where it is: with 2 MiB guest pages, the 2 MiB page holding the escaped
 * page is cached at 4 KiB, the next 2 MiB page at 2 MiB. */
static void test_escape_bounds_entry(void **state)
{
	struct fixture *fx = *state;
	struct bloom b;

	build(fx, TLB_PAGE_2M, TLB_PAGE_4K); /* the escape splits a 4 KiB nested leaf */
	u64 alt = escape_a_in(fx, &b, BLOOM_DEFAULT_BITS, BLOOM_DEFAULT_HASHES);
	init_model(fx, MODE_VMM_DIRECT);
	/* A page of the same 2 MiB, not escaped, then the escaped one. */
	access_ok(fx, A_IN + PAGE_SIZE_4K, hpa_of(A_IN + PAGE_SIZE_4K));
	struct tlb_result r = tlb_lookup_level(&fx->m->tlb, 0, A_IN + PAGE_SIZE_4K);
	assert_int_equal(r.level, TLB_HIT_L1);
	assert_int_equal(r.size, TLB_PAGE_4K);
	access_ok(fx, A_IN, alt);
	/* The next 2 MiB page holds no escape. */
	access_ok(fx, A_IN + PAGE_SIZE_2M, hpa_of(A_IN + PAGE_SIZE_2M));
	r = tlb_lookup_level(&fx->m->tlb, 0, A_IN + PAGE_SIZE_2M);
	assert_int_equal(r.size, TLB_PAGE_2M);
}

static void test_per_walk(void **state)
{
	(void)state;
	struct walk_counters c = {0};

	assert_int_equal(walk_per_walk(&c).refs_x1000, 0);
	/* 4 misses: 2 walks (33 refs), 2 segment-served; 3 checks; 40 accesses. */
	c.accesses = 40;
	c.tlb_misses = 4;
	c.walks = 2;
	c.seg_served = 2;
	c.guest_refs = 5;
	c.nested_refs = 28;
	c.bb_checks = 3;
	struct walk_per_walk p = walk_per_walk(&c);
	assert_int_equal(p.refs_x1000, 16500);
	assert_int_equal(p.guest_refs_x1000, 2500);
	assert_int_equal(p.nested_refs_x1000, 14000);
	assert_int_equal(p.checks_per_miss_x1000, 750);
	assert_int_equal(p.refs_per_kaccess_x1000, 825000); /* 33 refs / 40 accesses x 1000 */
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_segment),
	    T(test_config_errors),
	    T(test_modes_4k),
	    T(test_page_size_matrix),
	    T(test_entry_bounded_by_segment),
	    T(test_seg_fill),
	    T(test_dual_outside_vmm_segment),
	    T(test_escape_bounds_entry),
	    T(test_outside_segments),
	    T(test_escaped_page),
	    T(test_false_positive),
	    T(test_faults),
	    T(test_tlb_in_model),
	    T(test_pwc_and_nested_tlb),
	    cmocka_unit_test(test_per_walk),
	};
	return cmocka_run_group_tests_name("walk", tests, NULL, NULL);
}
