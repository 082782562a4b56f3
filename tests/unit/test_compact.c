/* hv/mem/compact: planning and executing compaction of scattered guest RAM over the arena. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>

#include "hv/mem/compact.h"
#include "hv/mem/nested.h"
#include "hv/mem/phys.h"
#include "tests/unit/arena.h"

#define ARENA_SIZE (64 * MiB)
#define GUEST      (16 * MiB)

static struct memmap map;
static struct frame_alloc fa;
static struct frame_tenants ten;
static struct gmap g;
static struct compact_job job;

static u64 nalloc(void *ctx)
{
	u64 pa;
	return frame_alloc(ctx, &pa) == FRAME_OK ? pa : 0;
}
static void nfree(void *ctx, u64 pa)
{
	frame_free(ctx, pa);
}

/* Host fragmented every 4th chunk (pinned or not), 16 MiB of guest RAM scattered on it,
 * a pattern written through the map. */
static void setup_host(bool pinned)
{
	struct frame_span runs[32];
	unsigned n = 0;
	arena_create(ARENA_SIZE);
	memmap_init(&map);
	assert_int_equal(memmap_add(&map, ARENA_BASE, ARENA_SIZE, MEMMAP_USABLE), MEMMAP_OK);
	assert_int_equal(memmap_normalize(&map), MEMMAP_OK);
	assert_int_equal(frame_init(&fa, &map), FRAME_OK);
	assert_true(frame_fragment(&fa, &ten, 4, 0, !pinned) > 0);
	/* Every 4th chunk held: no free run reaches 8 MiB. */
	assert_true(frame_largest_free_run(&fa, FRAME_SIZE) < (8 * MiB / FRAME_SIZE));
	assert_int_equal(frame_alloc_scattered(&fa, GUEST / FRAME_SIZE, runs, 32, &n), FRAME_OK);
	assert_true(n > 1);
	gmap_init(&g);
	u64 gpa = 0;
	for (unsigned i = 0; i < n; i++) {
		u64 len = (runs[i].end_pfn - runs[i].first_pfn) * FRAME_SIZE;
		assert_int_equal(
		    gmap_add(&g, gpa, len, runs[i].first_pfn * FRAME_SIZE, GMAP_RAM, GMAP_PERM_RWX),
		    GMAP_OK);
		gpa += len;
	}
	assert_int_equal(gpa, GUEST);
	assert_false(gmap_ram_contiguous(&g, NULL));
	for (u64 a = 0, h; a < GUEST; a += 8) {
		gmap_lookup(&g, a, &h);
		phys_write64(h, a * 0x9e3779b97f4a7c15ULL + 1);
	}
}

static void teardown_host(void)
{
	arena_destroy();
}

static void test_scattered_placement_in_2m_runs(void **state)
{
	(void)state;
	setup_host(false);
	for (unsigned i = 0; i < gmap_count(&g); i++) {
		const struct gmap_region *r = gmap_get(&g, i);
		assert_true(r->hpa % PAGE_SIZE_2M == 0 && r->size % PAGE_SIZE_2M == 0);
		assert_null(frame_tenant_at(&ten, r->hpa)); /* never on a tenant's chunk */
	}
	teardown_host();
}

static void test_plan_and_execute(void **state)
{
	(void)state;
	setup_host(false);
	const u64 h0 = compact_hash_ram(&g);
	static struct compact_plan p;
	assert_int_equal(compact_plan(&fa, &g, &ten, &p), COMPACT_OK);
	assert_true(p.nmoves > 0 && p.frames_to_move > 0);
	assert_true(p.target_hpa % PAGE_SIZE_2M == 0);
	assert_int_equal(p.frames, GUEST / FRAME_SIZE);
	assert_int_equal(p.unmovable_frames, 0);
	const u64 free0 = frame_count_free(&fa);
	compact_start(&job, &p);
	bool moved;
	unsigned steps = 0;
	while (!compact_step(&job, &fa, &g, &ten, COMPACT_STEP_FRAMES, &moved))
		assert_true(++steps < 1000);
	assert_int_equal(job.err, COMPACT_OK);
	assert_true(job.frames_moved > 0);
	u64 hpa;
	assert_true(gmap_ram_contiguous(&g, &hpa));
	assert_int_equal(hpa, p.target_hpa);
	assert_int_equal(job.hash_before, h0);
	assert_int_equal(job.hash_after, h0);
	assert_int_equal(compact_hash_ram(&g), h0);
	/* No frame lost or leaked: the guest and the tenants hold what they held. */
	assert_int_equal(frame_count_free(&fa), free0);
	for (unsigned i = 0; i < ten.count; i++) /* tenants left the target */
		assert_true(ten.c[i].hpa + PAGE_SIZE_2M <= p.target_hpa ||
		            ten.c[i].hpa >= p.target_hpa + GUEST);
	/* The nested table built from the map agrees with it, through the one walker. */
	const struct nested_alloc a = {nalloc, nfree, &fa};
	const struct nested_config cfg = {.format = NESTED_FORMAT_EPT, .max_leaf = PAGE_SIZE_2M};
	struct nested_table t;
	assert_int_equal(nested_build(&g, &cfg, &a, &t), NESTED_OK);
	for (u64 gpa = 0; gpa < GUEST; gpa += FRAME_SIZE) {
		u64 h;
		assert_int_equal(nested_translate(NESTED_FORMAT_EPT, t.root, gpa, &h, NULL, NULL),
		                 NESTED_OK);
		assert_int_equal(h, p.target_hpa + gpa);
	}
	/* Already contiguous: no moves. */
	assert_int_equal(compact_plan(&fa, &g, &ten, &p), COMPACT_OK);
	assert_int_equal(p.nmoves, 0);
	assert_int_equal(p.target_hpa, hpa);
	teardown_host();
}

static void test_unmovable_refused(void **state)
{
	(void)state;
	setup_host(true);
	static struct compact_plan p;
	assert_int_equal(compact_plan(&fa, &g, &ten, &p), COMPACT_ERR_UNMOVABLE);
	assert_true(p.candidates > 0);
	assert_int_equal(p.blocked_unmovable, p.candidates);
	/* Every window of 8 chunks holds 2 pinned chunks. */
	assert_int_equal(p.unmovable_frames, 2 * FRAME_CHUNK_FRAMES);
	teardown_host();
}

static void test_not_enough_memory(void **state)
{
	(void)state;
	setup_host(false);
	u64 pa;
	while (frame_alloc(&fa, &pa) == FRAME_OK) /* a hypervisor that took all the rest */
		;
	static struct compact_plan p;
	enum compact_err err = compact_plan(&fa, &g, &ten, &p);
	/* The frames just taken are unmovable: every candidate is blocked one way or the other. */
	assert_true(err == COMPACT_ERR_UNMOVABLE || err == COMPACT_ERR_NO_MEMORY);
	teardown_host();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scattered_placement_in_2m_runs),
	    cmocka_unit_test(test_plan_and_execute),
	    cmocka_unit_test(test_unmovable_refused),
	    cmocka_unit_test(test_not_enough_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
