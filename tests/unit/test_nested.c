/* hv/mem/nested: EPT and NPT generation from a gmap, checked page by page with the software walk,
 * with exact table-page and leaf counts, exact entry bits, escapes, allocation failure and
 * freeing. The two formats share every shape: only the entry bits differ. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "arch/x86/ept.h"
#include "lib/x86/paging.h"
#include "arch/x86/svm_defs.h"
#include "hv/mem/gmap.h"
#include "hv/mem/nested.h"
#include "hv/mem/phys.h"
#include "tests/unit/arena.h"

#define PG           PAGE_SIZE_4K
#define ARENA_BYTES  (8 * MiB)
#define ARENA_FRAMES (ARENA_BYTES / PG)
/* Every page of [0, WALK_TOP) is translated: all regions lie below 3 GiB, so the last GiB
 * checks the hole above guest RAM. */
#define WALK_TOP (4 * GiB)

/* The test map. hPAs need not lie in the arena: only table pages are read or written.
 * leaf[] is the leaf size expected for the region, without escapes, per maximum leaf. */
struct tregion {
	u64 gpa, size, hpa;
	unsigned perms;
	u64 leaf[NESTED_LEAF_SIZES];
};

static const struct tregion regions[] = {
    /* 5 pages, both addresses only 4 KiB-aligned. */
    {0x3000, 0x5000, 0x70003000, GMAP_PERM_RX, {PG, PG, PG}},
    /* 1 MiB, smaller than any large leaf; shares the first PT with the one above. */
    {1 * MiB, 1 * MiB, 0x70100000, GMAP_PERM_RW, {PG, PG, PG}},
    /* 8 MiB, 2 MiB-aligned on both sides but not 1 GiB. */
    {2 * MiB, 8 * MiB, 0x80200000, GMAP_PERM_RW, {PG, 2 * MiB, 2 * MiB}},
    /* 4 MiB, gPA 2 MiB-aligned but hPA only 4 KiB-aligned: 4 KiB leaves only. */
    {16 * MiB, 4 * MiB, 0x90001000, GMAP_PERM_R, {PG, PG, PG}},
    /* 1 GiB backed by a 1 GiB-aligned hPA. */
    {1 * GiB, 1 * GiB, 4 * GiB, GMAP_PERM_RWX, {PG, 2 * MiB, 1 * GiB}},
    /* 1 GiB whose hPA is 2 MiB- but not 1 GiB-aligned. */
    {2 * GiB, 1 * GiB, 0x140200000, GMAP_PERM_RW, {PG, 2 * MiB, 2 * MiB}},
};

/* One escape in the first 2 MiB of A (an 8 MiB region), one in B (already 4 KiB leaves), one
 * inside the 1 GiB region C and one on the last page of F. */
static const u64 escapes[][2] = {
    {2 * MiB, 0xa0000000},
    {16 * MiB + 0x1000, 0xa0001000},
    {1 * GiB + 2 * MiB + 0x5000, 0xa0002000},
    {3 * GiB - PG, 0xa0003000},
};

static const u64 max_leaves[NESTED_LEAF_SIZES] = {PG, 2 * MiB, 1 * GiB};

static const enum nested_format all_formats[] = {NESTED_FORMAT_EPT, NESTED_FORMAT_NPT};

/* ---- an allocator over the arena that records the fate of every frame ---- */

enum frame_state { FRAME_UNUSED, FRAME_TAKEN, FRAME_RETURNED };

struct tracker {
	u64 limit; /* allocations allowed before failing; ~0 for none */
	u64 allocated;
	u64 freed;
	unsigned bad_frees; /* frees of a frame not currently taken */
	u8 state[ARENA_FRAMES];
};

static u64 frame_index(u64 pa)
{
	return (pa - ARENA_BASE) / PG;
}

static u64 track_alloc(void *ctx)
{
	struct tracker *t = ctx;

	if (t->allocated == t->limit)
		return 0;
	const u64 pa = arena_alloc_frame();
	if (pa == 0)
		return 0;
	/* Dirty it: the builder must zero table pages itself. */
	memset(phys_to_virt(pa), 0xa5, PG);
	t->state[frame_index(pa)] = FRAME_TAKEN;
	t->allocated++;
	return pa;
}

static void track_free(void *ctx, u64 pa)
{
	struct tracker *t = ctx;

	if (pa < ARENA_BASE || frame_index(pa) >= ARENA_FRAMES ||
	    t->state[frame_index(pa)] != FRAME_TAKEN) {
		t->bad_frees++;
		return;
	}
	t->state[frame_index(pa)] = FRAME_RETURNED;
	t->freed++;
}

static void tracker_init(struct tracker *t, struct nested_alloc *a, u64 limit)
{
	memset(t, 0, sizeof(*t));
	t->limit = limit;
	*a = (struct nested_alloc){.alloc = track_alloc, .free = track_free, .ctx = t};
}

/* Every frame handed out came back exactly once. */
static void assert_all_returned(const struct tracker *t)
{
	assert_int_equal(t->bad_frees, 0);
	assert_int_equal(t->freed, t->allocated);
	for (u64 i = 0; i < ARENA_FRAMES; i++)
		assert_int_not_equal(t->state[i], FRAME_TAKEN);
}

/* The tracker lives in the cmocka state so that a failed assertion does not leak it. */
static int setup(void **state)
{
	arena_create(ARENA_BYTES);
	*state = test_calloc(1, sizeof(struct tracker));
	return 0;
}

static int teardown(void **state)
{
	test_free(*state);
	arena_destroy();
	return 0;
}

/* ---- the expected translation, from the test's own tables ---- */

static void make_gmap(struct gmap *g, bool with_escapes)
{
	gmap_init(g);
	for (unsigned i = 0; i < ARRAY_SIZE(regions); i++)
		assert_int_equal(gmap_add(g, regions[i].gpa, regions[i].size, regions[i].hpa,
		                          GMAP_RAM, regions[i].perms),
		                 GMAP_OK);
	if (with_escapes)
		for (unsigned i = 0; i < ARRAY_SIZE(escapes); i++)
			assert_int_equal(gmap_escape_page(g, escapes[i][0], escapes[i][1]),
			                 GMAP_OK);
}

static bool escape_within(u64 base, u64 size, bool with_escapes)
{
	if (!with_escapes)
		return false;
	for (unsigned i = 0; i < ARRAY_SIZE(escapes); i++)
		if (escapes[i][0] >= base && escapes[i][0] - base < size)
			return true;
	return false;
}

/* The rights nested_translate() reports for a region, in EPT_R/W/X terms. NPT cannot withhold
 * execute (NX is left clear), so every NPT page reads as executable. */
static u64 perms_of(enum nested_format fmt, unsigned perms)
{
	const u64 x = fmt == NESTED_FORMAT_NPT || (perms & GMAP_PERM_X) ? EPT_X : 0;
	return (perms & GMAP_PERM_R ? EPT_R : 0) | (perms & GMAP_PERM_W ? EPT_W : 0) | x;
}

/* Translates every page below WALK_TOP (at a varying byte offset) and compares hPA, leaf size
 * and permissions with what the test's tables say; pages in no region must not be present.
 * An NPT table is also read as EPT, as the walk model (hv/model/walk.c) reads every nested table:
 * the same bits 2:0 make an entry present, the same PS and address give the same answer. */
static void check_every_page(enum nested_format fmt, u64 root, enum nested_leaf max,
                             bool with_escapes)
{
	unsigned ri = 0;

	for (u64 page = 0; page < WALK_TOP; page += PG) {
		const u64 gpa = page | ((page >> 9) & (PG - 8));
		u64 hpa = 0, size = 0, perms = 0;
		const enum nested_err err = nested_translate(fmt, root, gpa, &hpa, &size, &perms);

		if (fmt == NESTED_FORMAT_NPT) {
			u64 ept_hpa = 0, ept_size = 0;
			const enum nested_err ept_err = nested_translate(
			    NESTED_FORMAT_EPT, root, gpa, &ept_hpa, &ept_size, NULL);
			if (ept_err != err || ept_hpa != hpa || ept_size != size)
				fail_msg("gpa 0x%llx read as EPT: err %d hpa 0x%llx leaf 0x%llx",
				         (unsigned long long)gpa, ept_err,
				         (unsigned long long)ept_hpa, (unsigned long long)ept_size);
		}

		while (ri < ARRAY_SIZE(regions) && page >= regions[ri].gpa + regions[ri].size)
			ri++;
		if (ri == ARRAY_SIZE(regions) || page < regions[ri].gpa) {
			if (err != NESTED_ERR_NOT_PRESENT)
				fail_msg("gpa 0x%llx should not be mapped",
				         (unsigned long long)gpa);
			continue;
		}
		const struct tregion *r = &regions[ri];
		u64 want_hpa = r->hpa + (gpa - r->gpa);
		u64 want_size = r->leaf[max];

		for (unsigned i = 0; with_escapes && i < ARRAY_SIZE(escapes); i++)
			if (escapes[i][0] == page)
				want_hpa = escapes[i][1] + (gpa - page);
		/* An escape inside a would-be large leaf splits it one level down, repeatedly. */
		if (want_size == 1 * GiB && escape_within(page & ~(GiB - 1), GiB, with_escapes))
			want_size = 2 * MiB;
		if (want_size == 2 * MiB &&
		    escape_within(page & ~(2 * MiB - 1), 2 * MiB, with_escapes))
			want_size = PG;

		if (err != NESTED_OK || hpa != want_hpa || size != want_size ||
		    perms != perms_of(fmt, r->perms))
			fail_msg("gpa 0x%llx: err %d hpa 0x%llx (want 0x%llx) leaf 0x%llx (want "
			         "0x%llx) perms %llx",
			         (unsigned long long)gpa, err, (unsigned long long)hpa,
			         (unsigned long long)want_hpa, (unsigned long long)size,
			         (unsigned long long)want_size, (unsigned long long)perms);
	}
	/* Beyond the walk: another PML4 slot, the top of the 48-bit space, and past it. */
	assert_int_equal(nested_translate(fmt, root, 512 * GiB, NULL, NULL, NULL),
	                 NESTED_ERR_NOT_PRESENT);
	assert_int_equal(nested_translate(fmt, root, GMAP_GPA_LIMIT - 1, NULL, NULL, NULL),
	                 NESTED_ERR_NOT_PRESENT);
	assert_int_equal(nested_translate(fmt, root, GMAP_GPA_LIMIT, NULL, NULL, NULL),
	                 NESTED_ERR_GPA_LIMIT);
}

/* Expected shapes, worked out by hand. All gPAs are below 512 GiB, so one PML4 and one PDPT.
 * PDs: one per GiB touched: [0, 1 GiB) for the four small regions, C and F.
 *
 * Maximum 4 KiB: every page is a 4 KiB leaf: 5 + 256 + 2048 + 1024 + 262144 + 262144 =
 *   527621. PTs: [0, 2 MiB) holds the 5-page region and the 1 MiB one (1), A spans PD slots
 *   1-4 (4), B slots 8-9 (2), C and F 512 each: 1031. Tables 1 + 1 + 3 + 1031 = 1036.
 * Maximum 2 MiB: A is 4 2 MiB leaves, C and F 512 each (1028); 4 KiB leaves are the 261
 *   pages below 2 MiB and B's 1024 (1285). PTs: slot 0 and B's two (3). Tables 1+1+3+3 = 8.
 * Maximum 1 GiB: as 2 MiB, but C becomes one 1 GiB leaf and needs no PD: F stays at 2 MiB
 *   since its hPA is not 1 GiB-aligned. 2 MiB leaves 4 + 512 = 516. Tables 1+1+2+3 = 7. */
static const struct nested_table want_plain[NESTED_LEAF_SIZES] = {
    [NESTED_LEAF_4K] = {.table_pages = 1036, .leaves = {527621, 0, 0}},
    [NESTED_LEAF_2M] = {.table_pages = 8, .leaves = {1285, 1028, 0}},
    [NESTED_LEAF_1G] = {.table_pages = 7, .leaves = {1285, 516, 1}},
};

/* With the four escapes:
 * Maximum 4 KiB: an escape replaces one 4 KiB leaf by another: same as without.
 * Maximum 2 MiB: A's first 2 MiB, C's second 2 MiB and F's last 2 MiB each become a PT of
 *   512 4 KiB leaves (one of them the escape); B's escape changes no count. 4 KiB leaves
 *   1285 + 3 * 512 = 2821; 2 MiB leaves 3 + 511 + 511 = 1025; PTs 3 + 3 = 6, tables 11.
 * Maximum 1 GiB: C holds an escape so cannot be a 1 GiB leaf; it falls back to its PD and
 *   the result is the 2 MiB shape exactly. */
static const struct nested_table want_escaped[NESTED_LEAF_SIZES] = {
    [NESTED_LEAF_4K] = {.table_pages = 1036, .leaves = {527621, 0, 0}},
    [NESTED_LEAF_2M] = {.table_pages = 11, .leaves = {2821, 1025, 0}},
    [NESTED_LEAF_1G] = {.table_pages = 11, .leaves = {2821, 1025, 0}},
};

static void build_and_check(struct tracker *t, enum nested_format fmt, enum nested_leaf max,
                            bool with_escapes)
{
	const struct nested_table *want = with_escapes ? &want_escaped[max] : &want_plain[max];
	const struct nested_config cfg = {.format = fmt, .max_leaf = max_leaves[max]};
	struct nested_alloc a;
	struct nested_table nt;
	struct gmap g;

	tracker_init(t, &a, ~0ULL);
	make_gmap(&g, with_escapes);
	assert_int_equal(nested_build(&g, &cfg, &a, &nt), NESTED_OK);
	assert_int_equal(nt.table_pages, want->table_pages);
	assert_int_equal(t->allocated, want->table_pages);
	for (int l = 0; l < NESTED_LEAF_SIZES; l++)
		assert_int_equal(nt.leaves[l], want->leaves[l]);
	assert_true(nt.root >= ARENA_BASE && (nt.root & (PG - 1)) == 0);

	check_every_page(fmt, nt.root, max, with_escapes);

	assert_int_equal(nested_free(nt.root, &a), want->table_pages);
	assert_all_returned(t);
}

/* One test per (format, maximum leaf, escapes), so that a failure names its case. */
#define BUILD_TEST(name, fmt, max, escapes)                                                        \
	static void name(void **state)                                                             \
	{                                                                                          \
		build_and_check(*state, fmt, max, escapes);                                        \
	}
BUILD_TEST(test_ept_plain_4k, NESTED_FORMAT_EPT, NESTED_LEAF_4K, false)
BUILD_TEST(test_ept_plain_2m, NESTED_FORMAT_EPT, NESTED_LEAF_2M, false)
BUILD_TEST(test_ept_plain_1g, NESTED_FORMAT_EPT, NESTED_LEAF_1G, false)
BUILD_TEST(test_ept_escaped_4k, NESTED_FORMAT_EPT, NESTED_LEAF_4K, true)
BUILD_TEST(test_ept_escaped_2m, NESTED_FORMAT_EPT, NESTED_LEAF_2M, true)
BUILD_TEST(test_ept_escaped_1g, NESTED_FORMAT_EPT, NESTED_LEAF_1G, true)
BUILD_TEST(test_npt_plain_4k, NESTED_FORMAT_NPT, NESTED_LEAF_4K, false)
BUILD_TEST(test_npt_plain_2m, NESTED_FORMAT_NPT, NESTED_LEAF_2M, false)
BUILD_TEST(test_npt_plain_1g, NESTED_FORMAT_NPT, NESTED_LEAF_1G, false)
BUILD_TEST(test_npt_escaped_4k, NESTED_FORMAT_NPT, NESTED_LEAF_4K, true)
BUILD_TEST(test_npt_escaped_2m, NESTED_FORMAT_NPT, NESTED_LEAF_2M, true)
BUILD_TEST(test_npt_escaped_1g, NESTED_FORMAT_NPT, NESTED_LEAF_1G, true)

static u64 entry(u64 table, unsigned index)
{
	return phys_read64(table + index * sizeof(u64));
}

static u64 next_table(u64 table, unsigned index)
{
	return entry(table, index) & PTE_ADDR_MASK;
}

/* The bits the builder puts beside the address, per format: EPT (SDM Tables 29-1 to 29-6) and
 * long-mode entries for NPT (APM Vol. 2, 5.3 and 15.25.5). */
struct entry_bits {
	u64 table; /* every non-leaf entry */
	u64 leaf_r, leaf_rx, leaf_rw, leaf_rwx;
	u64 large; /* added to a 2 MiB or 1 GiB leaf */
};

static const struct entry_bits want_bits[] = {
    [NESTED_FORMAT_EPT] =
        {
            .table = EPT_RWX,
            .leaf_r = EPT_R | EPT_MT(EPT_MT_WB),
            .leaf_rx = EPT_R | EPT_X | EPT_MT(EPT_MT_WB),
            .leaf_rw = EPT_R | EPT_W | EPT_MT(EPT_MT_WB),
            .leaf_rwx = EPT_RWX | EPT_MT(EPT_MT_WB),
            .large = EPT_LEAF_PS,
        },
    /* R/W is the only right NPT can withhold; PAT/PCD/PWT 0 is write-back; NX clear. */
    [NESTED_FORMAT_NPT] =
        {
            .table = PTE_P | PTE_RW | PTE_US,
            .leaf_r = PTE_P | PTE_US,
            .leaf_rx = PTE_P | PTE_US,
            .leaf_rw = PTE_P | PTE_RW | PTE_US,
            .leaf_rwx = PTE_P | PTE_RW | PTE_US,
            .large = PTE_PS,
        },
};

/* The same bits spelled out as numbers, so that a wrong constant in a header is caught too:
 * EPT R/W/X are bits 0-2, WB is 6 in bits 5:3, PS bit 7; NPT P, R/W, U/S are bits 0-2. */
static void test_entry_literals(void **state)
{
	(void)state;
	const struct entry_bits *e = &want_bits[NESTED_FORMAT_EPT];
	const struct entry_bits *n = &want_bits[NESTED_FORMAT_NPT];

	assert_int_equal(e->table, 0x7);
	assert_int_equal(e->leaf_r, 0x31);
	assert_int_equal(e->leaf_rx, 0x35);
	assert_int_equal(e->leaf_rw, 0x33);
	assert_int_equal(e->leaf_rwx, 0x37);
	assert_int_equal(e->large, 0x80);
	assert_int_equal(n->table, 0x7);
	assert_int_equal(n->leaf_r, 0x5);
	assert_int_equal(n->leaf_rx, 0x5);
	assert_int_equal(n->leaf_rw, 0x7);
	assert_int_equal(n->leaf_rwx, 0x7);
	assert_int_equal(n->large, 0x80);
}

/* The exact bits of a few entries of a plain build with 1 GiB leaves, then of the tables an
 * escape splits out with 2 MiB leaves. */
static void check_entry_encoding(struct tracker *t, enum nested_format fmt)
{
	const struct entry_bits *w = &want_bits[fmt];
	struct nested_config cfg = {.format = fmt, .max_leaf = 1 * GiB};
	struct nested_alloc a;
	struct nested_table nt;
	struct gmap g;

	tracker_init(t, &a, ~0ULL);
	make_gmap(&g, false);
	assert_int_equal(nested_build(&g, &cfg, &a, &nt), NESTED_OK);

	assert_int_equal(entry(nt.root, 0) & ~PTE_ADDR_MASK, w->table);
	const u64 pdpt = next_table(nt.root, 0);
	assert_int_equal(entry(pdpt, 1), 4 * GiB | w->large | w->leaf_rwx); /* C */
	assert_int_equal(entry(pdpt, 0) & ~PTE_ADDR_MASK, w->table);
	const u64 pd = next_table(pdpt, 0);
	assert_int_equal(entry(pd, 1), 0x80200000 | w->large | w->leaf_rw); /* A */
	const u64 pt = next_table(pd, 0);
	assert_int_equal(entry(pt, 2), 0);
	assert_int_equal(entry(pt, 3), 0x70003000 | w->leaf_rx);
	assert_int_equal(entry(pt, 8), 0);
	assert_int_equal(entry(pd, 8) & ~PTE_ADDR_MASK, w->table);
	assert_int_equal(entry(next_table(pd, 8), 1), 0x90002000 | w->leaf_r); /* B */
	assert_int_equal(entry(pdpt, 3), 0);
	assert_int_equal(entry(nt.root, 1), 0);
	assert_int_equal(nested_free(nt.root, &a), 7);

	/* Escapes: A's first 2 MiB and F's last page each become a PT of 4 KiB leaves. */
	cfg.max_leaf = 2 * MiB;
	make_gmap(&g, true);
	assert_int_equal(nested_build(&g, &cfg, &a, &nt), NESTED_OK);
	const u64 epdpt = next_table(nt.root, 0);
	const u64 epd0 = next_table(epdpt, 0);
	assert_int_equal(entry(epd0, 1) & ~PTE_ADDR_MASK, w->table);
	const u64 a_pt = next_table(epd0, 1);
	assert_int_equal(entry(a_pt, 0), 0xa0000000 | w->leaf_rw);
	assert_int_equal(entry(a_pt, 1), 0x80201000 | w->leaf_rw);
	assert_int_equal(entry(epd0, 2), 0x80400000 | w->large | w->leaf_rw);
	const u64 f_pd = next_table(epdpt, 2);
	assert_int_equal(entry(f_pd, 510), (0x140200000 + 510 * 2 * MiB) | w->large | w->leaf_rw);
	const u64 f_pt = next_table(f_pd, 511);
	assert_int_equal(entry(f_pt, 510), (0x140200000 + GiB - 2 * PG) | w->leaf_rw);
	assert_int_equal(entry(f_pt, 511), 0xa0003000 | w->leaf_rw);
	assert_int_equal(nested_free(nt.root, &a), 11);
	assert_all_returned(t);
}

static void test_ept_entry_encoding(void **state)
{
	check_entry_encoding(*state, NESTED_FORMAT_EPT);
}

static void test_npt_entry_encoding(void **state)
{
	check_entry_encoding(*state, NESTED_FORMAT_NPT);
}

/* Every allocation point fails once: the build reports it and gives back what it took. */
static void test_out_of_memory(void **state)
{
	struct tracker *t = *state;
	struct nested_alloc a;
	struct nested_table nt;
	struct gmap g;

	make_gmap(&g, true);
	for (unsigned f = 0; f < ARRAY_SIZE(all_formats); f++) {
		const struct nested_config cfg = {.format = all_formats[f], .max_leaf = 1 * GiB};

		for (u64 limit = 0; limit < want_escaped[NESTED_LEAF_1G].table_pages; limit++) {
			arena_destroy();
			arena_create(ARENA_BYTES);
			tracker_init(t, &a, limit);
			memset(&nt, 0xff, sizeof(nt));
			assert_int_equal(nested_build(&g, &cfg, &a, &nt), NESTED_ERR_NO_MEMORY);
			assert_int_equal(t->allocated, limit);
			assert_all_returned(t);
			assert_int_equal(nt.root, 0);
			assert_int_equal(nt.table_pages, 0);
			assert_int_equal(nt.leaves[NESTED_LEAF_4K], 0);
		}
		tracker_init(t, &a, want_escaped[NESTED_LEAF_1G].table_pages);
		assert_int_equal(nested_build(&g, &cfg, &a, &nt), NESTED_OK);
		assert_int_equal(nested_free(nt.root, &a), 11);
		assert_all_returned(t);
	}
}

/* Mode switches rebuild: build, free, build again from the same map gives the same shape. */
static void test_rebuild(void **state)
{
	struct tracker *t = *state;
	struct nested_alloc a;
	struct nested_table first, second;
	struct gmap g;

	make_gmap(&g, true);
	for (unsigned f = 0; f < ARRAY_SIZE(all_formats); f++) {
		const struct nested_config cfg = {.format = all_formats[f], .max_leaf = 2 * MiB};

		tracker_init(t, &a, ~0ULL);
		assert_int_equal(nested_build(&g, &cfg, &a, &first), NESTED_OK);
		assert_int_equal(nested_free(first.root, &a), 11);
		assert_int_equal(nested_build(&g, &cfg, &a, &second), NESTED_OK);
		assert_int_not_equal(second.root, first.root); /* the arena never reuses frames */
		assert_int_equal(second.table_pages, first.table_pages);
		assert_memory_equal(second.leaves, first.leaves, sizeof(first.leaves));
		assert_int_equal(nested_free(second.root, &a), 11);
		assert_int_equal(t->allocated, 22);
		assert_all_returned(t);
	}
	assert_int_equal(nested_free(0, &a), 0);
}

static void test_empty_map(void **state)
{
	struct tracker *t = *state;
	struct nested_alloc a;
	struct nested_table nt;
	struct gmap g;

	gmap_init(&g);
	for (unsigned f = 0; f < ARRAY_SIZE(all_formats); f++) {
		const struct nested_config cfg = {.format = all_formats[f], .max_leaf = 1 * GiB};

		tracker_init(t, &a, ~0ULL);
		assert_int_equal(nested_build(&g, &cfg, &a, &nt), NESTED_OK);
		assert_int_equal(nt.table_pages, 1); /* just the PML4 */
		assert_int_equal(nested_translate(all_formats[f], nt.root, 0, NULL, NULL, NULL),
		                 NESTED_ERR_NOT_PRESENT);
		assert_int_equal(nested_free(nt.root, &a), 1);
		assert_all_returned(t);
	}
}

static void test_bad_config(void **state)
{
	struct tracker *t = *state;
	const u64 bad[] = {0, 8 * KiB, 4 * MiB, 512 * GiB};
	const enum nested_format bad_format = (enum nested_format)(NESTED_FORMAT_NPT + 1);
	struct nested_alloc a;
	struct nested_table nt;
	struct gmap g;

	tracker_init(t, &a, ~0ULL);
	make_gmap(&g, false);
	for (unsigned f = 0; f < ARRAY_SIZE(all_formats); f++) {
		for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
			const struct nested_config cfg = {.format = all_formats[f],
			                                  .max_leaf = bad[i]};
			assert_int_equal(nested_build(&g, &cfg, &a, &nt), NESTED_ERR_BAD_LEAF_SIZE);
		}
	}
	const struct nested_config cfg = {.format = bad_format, .max_leaf = PG};
	memset(&nt, 0xff, sizeof(nt));
	assert_int_equal(nested_build(&g, &cfg, &a, &nt), NESTED_ERR_BAD_FORMAT);
	assert_int_equal(nt.root, 0);
	assert_int_equal(t->allocated, 0);
	assert_int_equal(nested_translate(bad_format, ARENA_BASE, 0, NULL, NULL, NULL),
	                 NESTED_ERR_BAD_FORMAT);
}

static u64 misaligned_alloc(void *ctx)
{
	(void)ctx;
	return arena_alloc_frame() + 8;
}

static void count_free(void *ctx, u64 pa)
{
	u64 *last = ctx;
	*last = pa;
}

static void test_bad_frame(void **state)
{
	(void)state;
	u64 freed = 0;
	const struct nested_alloc a = {
	    .alloc = misaligned_alloc, .free = count_free, .ctx = &freed};
	struct nested_table nt;
	struct gmap g;

	make_gmap(&g, false);
	for (unsigned f = 0; f < ARRAY_SIZE(all_formats); f++) {
		const struct nested_config cfg = {.format = all_formats[f], .max_leaf = PG};
		const u64 frame = ARENA_BASE + arena_frames_used() * PG;

		assert_int_equal(nested_build(&g, &cfg, &a, &nt), NESTED_ERR_BAD_FRAME);
		assert_int_equal(freed, frame + 8); /* given back as received */
	}
}

/* A map that breaks the gmap invariants (built by hand, bypassing gmap_add) is caught. */
static void test_conflict(void **state)
{
	struct tracker *t = *state;
	struct nested_alloc a;
	struct nested_table nt;
	struct gmap g;

	gmap_init(&g);
	g.r[0] = (struct gmap_region){0, 4 * MiB, 0, GMAP_RAM, GMAP_PERM_RW};
	g.r[1] = (struct gmap_region){2 * MiB, PG, 0x100000, GMAP_RAM, GMAP_PERM_RW};
	g.count = 2;
	for (unsigned f = 0; f < ARRAY_SIZE(all_formats); f++) {
		const struct nested_config cfg = {.format = all_formats[f], .max_leaf = 2 * MiB};

		tracker_init(t, &a, ~0ULL);
		assert_int_equal(nested_build(&g, &cfg, &a, &nt), NESTED_ERR_CONFLICT);
		assert_int_equal(nt.root, 0);
		assert_all_returned(t);
	}
}

/* Builds the plain map with 1 GiB leaves; *leaf_pa is C's 1 GiB leaf, *pml4e_pa the entry
 * above it. */
static void build_for_faults(struct tracker *t, enum nested_format fmt, struct nested_alloc *a,
                             struct nested_table *nt, u64 *pml4e_pa, u64 *leaf_pa)
{
	const struct nested_config cfg = {.format = fmt, .max_leaf = 1 * GiB};
	struct gmap g;

	tracker_init(t, a, ~0ULL);
	make_gmap(&g, false);
	assert_int_equal(nested_build(&g, &cfg, a, nt), NESTED_OK);
	*pml4e_pa = nt->root;
	*leaf_pa = next_table(nt->root, 0) + 1 * sizeof(u64);
}

/* nested_translate() refuses entries the CPU would call misconfigured. */
static void test_ept_translate_misconfig(void **state)
{
	struct tracker *t = *state;
	const enum nested_format fmt = NESTED_FORMAT_EPT;
	struct nested_alloc a;
	struct nested_table nt;
	u64 pml4e_pa, c_pa;

	build_for_faults(t, fmt, &a, &nt, &pml4e_pa, &c_pa);
	const u64 c = phys_read64(c_pa);

	phys_write64(c_pa, (c & ~EPT_RWX) | EPT_W); /* write without read */
	assert_int_equal(nested_translate(fmt, nt.root, 1 * GiB, NULL, NULL, NULL),
	                 NESTED_ERR_MISCONFIG);
	phys_write64(c_pa, c | 2 * MiB); /* address bits below 1 GiB set */
	assert_int_equal(nested_translate(fmt, nt.root, 1 * GiB, NULL, NULL, NULL),
	                 NESTED_ERR_MISCONFIG);
	phys_write64(c_pa, c | PG); /* bit 12 too: EPT has no PAT bit there */
	assert_int_equal(nested_translate(fmt, nt.root, 1 * GiB, NULL, NULL, NULL),
	                 NESTED_ERR_MISCONFIG);
	phys_write64(c_pa, c & ~EPT_W); /* read-only: the effective rights drop W */
	u64 perms = 0;
	assert_int_equal(nested_translate(fmt, nt.root, 1 * GiB, NULL, NULL, &perms), NESTED_OK);
	assert_int_equal(perms, EPT_R | EPT_X);
	phys_write64(c_pa, c);

	const u64 pml4e = phys_read64(pml4e_pa);
	phys_write64(pml4e_pa, pml4e & ~EPT_X); /* rights are the intersection over levels */
	assert_int_equal(nested_translate(fmt, nt.root, 1 * GiB, NULL, NULL, &perms), NESTED_OK);
	assert_int_equal(perms, EPT_R | EPT_W);
	phys_write64(pml4e_pa, pml4e | EPT_LEAF_PS); /* bit 7 reserved in a PML4E */
	assert_int_equal(nested_translate(fmt, nt.root, 1 * GiB, NULL, NULL, NULL),
	                 NESTED_ERR_MISCONFIG);
	phys_write64(pml4e_pa, pml4e);

	assert_int_equal(nested_free(nt.root, &a), 7);
	assert_all_returned(t);
}

/* The NPT reading: P decides presence, a missing U/S faults the (user-mode) nested walk, R/W
 * and NX narrow the rights, reserved bits are refused and a large leaf's PAT bit is not an
 * address bit. */
static void test_npt_translate_faults(void **state)
{
	struct tracker *t = *state;
	const enum nested_format fmt = NESTED_FORMAT_NPT;
	struct nested_alloc a;
	struct nested_table nt;
	u64 pml4e_pa, c_pa, hpa = 0, size = 0, perms = 0;

	build_for_faults(t, fmt, &a, &nt, &pml4e_pa, &c_pa);
	const u64 c = phys_read64(c_pa);
	const u64 gpa = 1 * GiB + 0x12345;

	phys_write64(c_pa, c & ~PTE_P); /* R/W and U/S alone do not make it present */
	assert_int_equal(nested_translate(fmt, nt.root, gpa, NULL, NULL, NULL),
	                 NESTED_ERR_NOT_PRESENT);
	phys_write64(c_pa, c & ~PTE_US);
	assert_int_equal(nested_translate(fmt, nt.root, gpa, NULL, NULL, NULL),
	                 NESTED_ERR_NOT_USER);
	phys_write64(c_pa, c | 2 * MiB); /* address bits below 1 GiB set */
	assert_int_equal(nested_translate(fmt, nt.root, gpa, NULL, NULL, NULL),
	                 NESTED_ERR_MISCONFIG);
	phys_write64(c_pa, c | PG); /* bit 12 is the large leaf's PAT bit */
	assert_int_equal(nested_translate(fmt, nt.root, gpa, &hpa, &size, &perms), NESTED_OK);
	assert_int_equal(hpa, 4 * GiB + 0x12345);
	assert_int_equal(size, 1 * GiB);
	assert_int_equal(perms, EPT_RWX);
	phys_write64(c_pa, c & ~PTE_RW);
	assert_int_equal(nested_translate(fmt, nt.root, gpa, NULL, NULL, &perms), NESTED_OK);
	assert_int_equal(perms, EPT_R | EPT_X);
	phys_write64(c_pa, c | PTE_NX);
	assert_int_equal(nested_translate(fmt, nt.root, gpa, NULL, NULL, &perms), NESTED_OK);
	assert_int_equal(perms, EPT_R | EPT_W);
	phys_write64(c_pa, c | PTE_A | PTE_D); /* what the CPU writes back changes nothing */
	assert_int_equal(nested_translate(fmt, nt.root, gpa, &hpa, NULL, &perms), NESTED_OK);
	assert_int_equal(hpa, 4 * GiB + 0x12345);
	assert_int_equal(perms, EPT_RWX);
	phys_write64(c_pa, c);

	const u64 pml4e = phys_read64(pml4e_pa);
	phys_write64(pml4e_pa, pml4e & ~PTE_RW); /* rights are the intersection over levels */
	assert_int_equal(nested_translate(fmt, nt.root, gpa, NULL, NULL, &perms), NESTED_OK);
	assert_int_equal(perms, EPT_R | EPT_X);
	phys_write64(pml4e_pa, pml4e & ~PTE_US);
	assert_int_equal(nested_translate(fmt, nt.root, gpa, NULL, NULL, NULL),
	                 NESTED_ERR_NOT_USER);
	phys_write64(pml4e_pa, pml4e | PTE_PS); /* bit 7 reserved in a PML4E */
	assert_int_equal(nested_translate(fmt, nt.root, gpa, NULL, NULL, NULL),
	                 NESTED_ERR_MISCONFIG);
	phys_write64(pml4e_pa, pml4e);

	assert_int_equal(nested_free(nt.root, &a), 7);
	assert_all_returned(t);
}

static void test_eptp(void **state)
{
	(void)state;
	/* Root | WB (6) | walk length 4 - 1 = 3 in bits 5:3 | A/D in bit 6 (SDM 25.6.11). */
	assert_int_equal(ept_eptp(0x1234000, false), 0x123401e);
	assert_int_equal(ept_eptp(0x1234000, true), 0x123405e);
	assert_int_equal(ept_eptp(0xffffffffff000ULL, false), 0xffffffffff01eULL);
}

static void test_ncr3(void **state)
{
	(void)state;
	/* Only the address: PWT (bit 3) and PCD (bit 4) stay 0, so the table is fetched WB. */
	assert_int_equal(svm_ncr3(0x1234000), 0x1234000);
	assert_int_equal(svm_ncr3(0x1234fff), 0x1234000);
	assert_int_equal(svm_ncr3(0xffffffffff000ULL), 0xffffffffff000ULL);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(nested_strerror(NESTED_ERR_NO_MEMORY), "out of memory for table pages");
	assert_string_equal(nested_strerror((enum nested_err)99), "unknown nested error");
	for (int e = NESTED_OK; e <= NESTED_ERR_BAD_LEVEL; e++)
		assert_string_not_equal(nested_strerror((enum nested_err)e),
		                        "unknown nested error");
	assert_string_equal(nested_strerror(NESTED_ERR_NOT_USER),
	                    "NPT entry without U/S: the nested walk is a user access");
	assert_int_equal(nested_leaf_bytes(NESTED_LEAF_1G), 1 * GiB);
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    TEST(test_ept_plain_4k),
	    TEST(test_ept_plain_2m),
	    TEST(test_ept_plain_1g),
	    TEST(test_ept_escaped_4k),
	    TEST(test_ept_escaped_2m),
	    TEST(test_ept_escaped_1g),
	    TEST(test_npt_plain_4k),
	    TEST(test_npt_plain_2m),
	    TEST(test_npt_plain_1g),
	    TEST(test_npt_escaped_4k),
	    TEST(test_npt_escaped_2m),
	    TEST(test_npt_escaped_1g),
	    cmocka_unit_test(test_entry_literals),
	    TEST(test_ept_entry_encoding),
	    TEST(test_npt_entry_encoding),
	    TEST(test_out_of_memory),
	    TEST(test_rebuild),
	    TEST(test_empty_map),
	    TEST(test_bad_config),
	    TEST(test_bad_frame),
	    TEST(test_conflict),
	    TEST(test_ept_translate_misconfig),
	    TEST(test_npt_translate_faults),
	    cmocka_unit_test(test_eptp),
	    cmocka_unit_test(test_ncr3),
	    cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests_name("nested", tests, NULL, NULL);
}
