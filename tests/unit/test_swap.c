/* hv/mem/swap (VMM swapping to a backing store in host memory) over the test arena, then the VM's
 * side of it (hv/vm/vmfeat.c) through the hypercalls and the nested-fault hook with the vendor
 * backend stubbed. Expectations follow DESIGN.md "Memory management" and hv/mem/swap.h: an evicted
 * page is not present in the nested table, its frame is freed and its data is in the store; an
 * access brings it back with the same bytes (checked against the hash taken at eviction, a
 * corrupted store refused by name); inside a VMM segment every swapped page must be in the escape
 * filter, since the segment would translate it as present. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/ept.h"
#include "hv/config.h"
#include "lib/x86/paging.h"
#include "hv/mem/phys.h"
#include "hv/mem/swap.h"
#include "hv/vm/vm.h"
#include "lib/console.h"
#include "lib/hash.h"
#include "tests/unit/arena.h"
#include "tests/unit/vcpu_stub.h"
#include "tests/unit/vm_feat_fixture.h"

#define ARENA_SIZE (64 * MiB)
#define GUEST_RAM  (4 * MiB)
#define PAGES(b)   ((b) / PAGE_SIZE_4K)
#define WORDS      (PAGE_SIZE_4K / sizeof(u64))
#define PG(n)      ((u64)(n)*PAGE_SIZE_4K)

struct fixture {
	struct memmap map;
	struct frame_alloc fa;
	struct gmap g;
	struct share s;
	struct swap w;
	struct nested_alloc na;
	struct nested_table t;
	struct vmmpage_env env;
	u64 ram_hpa;
};

static u64 alloc_frame(void *ctx)
{
	u64 pa;
	return frame_alloc(ctx, &pa) == FRAME_OK ? pa : 0;
}

static void free_frame(void *ctx, u64 pa)
{
	frame_free(ctx, pa);
}

/* Page contents from a seed: every word different, so a page moved or lost shows. */
static void fill(const struct fixture *f, u64 gpa, u64 seed)
{
	for (u64 j = 0; j < WORDS; j++)
		phys_write64(f->ram_hpa + gpa + j * 8, seed * 0x9e3779b97f4a7c15ULL + j);
}

static int setup_fmt(void **state, enum nested_format fmt)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	arena_create(ARENA_SIZE);
	memmap_init(&f->map);
	assert_int_equal(memmap_add(&f->map, ARENA_BASE, ARENA_SIZE, MEMMAP_USABLE), MEMMAP_OK);
	assert_int_equal(memmap_normalize(&f->map), MEMMAP_OK);
	assert_int_equal(frame_init(&f->fa, &f->map), FRAME_OK);
	assert_int_equal(frame_alloc_run(&f->fa, PAGES(GUEST_RAM), PAGE_SIZE_2M, &f->ram_hpa),
	                 FRAME_OK);
	gmap_init(&f->g);
	assert_int_equal(gmap_add(&f->g, 0, GUEST_RAM, f->ram_hpa, GMAP_RAM, GMAP_PERM_RWX),
	                 GMAP_OK);
	for (u64 p = 0; p < PAGES(GUEST_RAM); p++)
		fill(f, PG(p), 1000 + p); /* all different */
	f->na = (struct nested_alloc){alloc_frame, free_frame, &f->fa};
	const struct nested_config cfg = {.format = fmt, .max_leaf = PAGE_SIZE_2M};
	assert_int_equal(nested_build(&f->g, &cfg, &f->na, &f->t), NESTED_OK);
	f->env = (struct vmmpage_env){&f->g, &f->fa, fmt, f->t.root, &f->na, &f->t.table_pages};
	share_init(&f->s);
	swap_init(&f->w);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_fmt(state, NESTED_FORMAT_EPT);
}

static int setup_npt(void **state)
{
	return setup_fmt(state, NESTED_FORMAT_NPT);
}

static int teardown(void **state)
{
	arena_destroy();
	free(*state);
	return 0;
}

static bool is_present(const struct fixture *f, u64 gpa)
{
	return nested_translate(f->env.fmt, f->t.root, gpa, NULL, NULL, NULL) == NESTED_OK;
}

static void assert_page_is(const struct fixture *f, u64 gpa, u64 seed)
{
	u64 hpa;
	assert_int_equal(nested_translate(f->env.fmt, f->t.root, gpa, &hpa, NULL, NULL), NESTED_OK);
	for (u64 j = 0; j < WORDS; j++)
		assert_int_equal(phys_read64(hpa + j * 8), seed * 0x9e3779b97f4a7c15ULL + j);
}

static void out_and_back_restores_bytes(void **state)
{
	struct fixture *f = *state;
	const u64 free0 = frame_count_free(&f->fa), tables0 = f->t.table_pages;
	u64 n = 0;
	assert_int_equal(swap_out(&f->w, &f->s, &f->env, PG(100), 8, &n), SWAP_OK);
	assert_int_equal(n, 8);
	assert_int_equal(swap_count(&f->w), 8);
	assert_int_equal(f->w.pages_out, 8);
	assert_int_equal(f->w.bytes_out, 8 * PAGE_SIZE_4K);
	/* The store took its frames once; the 8 guest frames are free; one PT split the leaf. */
	const u64 split = f->t.table_pages - tables0;
	assert_int_equal(split, 1);
	assert_int_equal(frame_count_free(&f->fa), free0 - SWAP_STORE_PAGES + 8 - split);
	for (u64 p = 100; p < 108; p++) {
		assert_false(is_present(f, PG(p)));
		assert_true(frame_is_free(&f->fa, f->ram_hpa + PG(p)));
		u64 slot;
		assert_true(swap_slot_of(&f->w, p, &slot));
		assert_int_equal(phys_read64(slot + 8), (1000 + p) * 0x9e3779b97f4a7c15ULL + 1);
	}
	assert_true(is_present(f, PG(99)));
	assert_true(is_present(f, PG(108)));
	/* Fault-in: its own frame back, writable, the same bytes. */
	assert_int_equal(swap_in(&f->w, &f->env, PG(103) + 0x40), SWAP_OK);
	u64 hpa, perms;
	assert_int_equal(nested_translate(f->env.fmt, f->t.root, PG(103), &hpa, NULL, &perms),
	                 NESTED_OK);
	assert_int_equal(hpa, f->ram_hpa + PG(103));
	assert_true(perms & EPT_W);
	assert_page_is(f, PG(103), 1103);
	assert_int_equal(f->w.pages_in, 1);
	assert_int_equal(f->w.reclaimed, 1);
	assert_int_equal(swap_in(&f->w, &f->env, PG(103)), SWAP_ERR_NOT_OUT);
	assert_int_equal(swap_in_all(&f->w, &f->env), SWAP_OK);
	assert_int_equal(swap_count(&f->w), 0);
	for (u64 p = 100; p < 108; p++)
		assert_page_is(f, PG(p), 1000 + p);
	assert_int_equal(frame_count_free(&f->fa), free0 - SWAP_STORE_PAGES - split);
}

static void store_full_stops(void **state)
{
	struct fixture *f = *state;
	u64 n = 0;
	assert_int_equal(swap_out(&f->w, &f->s, &f->env, 0, SWAP_STORE_PAGES + 4, &n),
	                 SWAP_ERR_FULL);
	assert_int_equal(n, SWAP_STORE_PAGES);
	assert_true(is_present(f, PG(SWAP_STORE_PAGES)));
	assert_false(is_present(f, PG(SWAP_STORE_PAGES - 1)));
}

static void corrupt_store_is_refused(void **state)
{
	struct fixture *f = *state;
	u64 n = 0, slot;
	assert_int_equal(swap_out(&f->w, &f->s, &f->env, PG(7), 1, &n), SWAP_OK);
	assert_true(swap_slot_of(&f->w, 7, &slot));
	phys_write64(slot + 64, phys_read64(slot + 64) ^ 1);
	const u64 free1 = frame_count_free(&f->fa);
	assert_int_equal(swap_in(&f->w, &f->env, PG(7)), SWAP_ERR_CORRUPT);
	assert_int_equal(f->w.corrupt, 1);
	assert_true(swap_is_out(&f->w, 7));
	assert_false(is_present(f, PG(7)));
	assert_int_equal(frame_count_free(&f->fa), free1);
}

static void shared_escaped_and_out_are_skipped(void **state)
{
	struct fixture *f = *state;
	fill(f, PG(20), 5);
	fill(f, PG(21), 5);
	bool done = false;
	assert_int_equal(share_scan_begin(&f->s, &f->g, PG(20), PG(2)), SHARE_OK);
	assert_int_equal(share_scan_step(&f->s, &f->env, NULL, NULL, &done), SHARE_OK);
	assert_true(done);
	u64 alt, n = 0;
	assert_int_equal(frame_alloc(&f->fa, &alt), FRAME_OK);
	assert_int_equal(gmap_escape_page(&f->g, PG(22), alt), GMAP_OK);
	assert_int_equal(swap_out(&f->w, &f->s, &f->env, PG(23), 1, &n), SWAP_OK);
	assert_int_equal(swap_out(&f->w, &f->s, &f->env, PG(20), 5, &n), SWAP_OK);
	assert_int_equal(n, 1); /* page 24 only */
	assert_int_equal(f->w.skipped, 4);
	assert_true(swap_is_out(&f->w, 24));
	assert_false(swap_is_out(&f->w, 20));
}

static void bad_ranges_change_nothing(void **state)
{
	struct fixture *f = *state;
	u64 n = 9;
	assert_int_equal(swap_out(&f->w, &f->s, &f->env, PG(1), 0, &n), SWAP_ERR_RANGE);
	assert_int_equal(n, 0);
	assert_int_equal(swap_out(&f->w, &f->s, &f->env, PG(1), SWAP_MAX_BATCH + 1, &n),
	                 SWAP_ERR_RANGE);
	assert_int_equal(swap_out(&f->w, &f->s, &f->env, PG(1) + 8, 1, &n), SWAP_ERR_RANGE);
	assert_int_equal(swap_out(&f->w, &f->s, &f->env, GUEST_RAM - PG(1), 2, &n), SWAP_ERR_RANGE);
	assert_int_equal(swap_store_frames(&f->w), 0); /* no store taken for nothing */
	assert_int_equal(swap_count(&f->w), 0);
}

static void rebuild_keeps_pages_out(void **state)
{
	struct fixture *f = *state;
	u64 n = 0;
	assert_int_equal(swap_out(&f->w, &f->s, &f->env, PG(600), 3, &n), SWAP_OK);
	nested_free(f->t.root, &f->na);
	const struct nested_config cfg = {.format = f->env.fmt, .max_leaf = PAGE_SIZE_2M};
	assert_int_equal(nested_build(&f->g, &cfg, &f->na, &f->t), NESTED_OK);
	f->env.root = f->t.root;
	assert_true(is_present(f, PG(601)));
	assert_int_equal(swap_apply(&f->w, &f->env), SWAP_OK);
	for (u64 p = 600; p < 603; p++)
		assert_false(is_present(f, PG(p)));
	assert_int_equal(swap_in(&f->w, &f->env, PG(601)), SWAP_OK);
	assert_page_is(f, PG(601), 1601);
}

static void taken_frame_becomes_an_escape(void **state)
{
	struct fixture *f = *state;
	u64 n = 0, alt;
	assert_int_equal(swap_out(&f->w, &f->s, &f->env, PG(300), 1, &n), SWAP_OK);
	assert_int_equal(frame_claim(&f->fa, f->ram_hpa + PG(300), 1), FRAME_OK);
	assert_int_equal(swap_in(&f->w, &f->env, PG(300)), SWAP_OK);
	assert_int_equal(f->w.escapes, 1);
	assert_true(gmap_is_escaped(&f->g, PG(300), &alt));
	u64 hpa;
	assert_int_equal(nested_translate(f->env.fmt, f->t.root, PG(300), &hpa, NULL, NULL),
	                 NESTED_OK);
	assert_int_equal(hpa, alt);
	assert_page_is(f, PG(300), 1300);
}

/* The VM: vmm-direct puts every swapped page in the escape filter, base does not; an access
 * fault is served by the nested-fault hook; the hypervisor reads a page out through the store. */
#define OUT_GPA   (4 * MiB)
#define OUT_PAGES 32

static void vm_swap_in_mode(struct vm_fixture *f, u32 mode, bool filter)
{
	struct vm *vm = f->vm;
	u64 out, h0, h1;
	assert_int_equal(hypercall_dispatch(vm, HC_SET_MODE, mode, 0, 0, &out), HC_OK);
	for (u64 p = 0; p < OUT_PAGES; p++) {
		const u64 v = 0xabc000 + p;
		assert_true(vm_copy_to_guest(vm, OUT_GPA + PG(p) + 16, &v, sizeof(v)));
	}
	assert_int_equal(hypercall_dispatch(vm, HC_VMM_HASH, OUT_GPA, PG(OUT_PAGES), 0, &h0),
	                 HC_OK);
	const u32 adds0 = vm->escape.adds;
	assert_int_equal(hypercall_dispatch(vm, HC_SWAP_OUT, OUT_GPA, OUT_PAGES, 0, &out), HC_OK);
	assert_int_equal(out, OUT_PAGES);
	if (filter) {
		for (u64 p = 0; p < OUT_PAGES; p++)
			assert_true(bloom_test(&vm->escape, (OUT_GPA >> 12) + p));
	} else {
		assert_int_equal(vm->escape.adds, adds0);
	}
	/* The hypervisor's hash reads the store: the same, and nothing comes back for it. */
	assert_int_equal(hypercall_dispatch(vm, HC_VMM_HASH, OUT_GPA, PG(OUT_PAGES), 0, &h1),
	                 HC_OK);
	assert_int_equal(h1, h0);
	assert_int_equal(vm->swap.pages_in, 0);
	assert_int_equal(hypercall_dispatch(vm, HC_SET_MODE, MODE_BASE, 0, 0, &out), HC_EINVAL);
	/* A guest read of page 3 faults; the hook brings it back. */
	assert_true(vmfeat_nested_fault(vm, OUT_GPA + PG(3) + 16, false));
	assert_false(swap_is_out(&vm->swap, (OUT_GPA >> 12) + 3));
	/* The hypervisor's own read of page 4 is served from the store: the page stays out. */
	u64 v = 0;
	assert_true(vm_copy_from_guest(vm, &v, OUT_GPA + PG(4) + 16, sizeof(v)));
	assert_int_equal(v, 0xabc004);
	assert_true(swap_is_out(&vm->swap, (OUT_GPA >> 12) + 4));
	/* Its write to page 5 brings the page back first, then lands in it. */
	v = 0x5555;
	assert_true(vm_copy_to_guest(vm, OUT_GPA + PG(5) + 24, &v, sizeof(v)));
	assert_false(swap_is_out(&vm->swap, (OUT_GPA >> 12) + 5));
	v = 0;
	assert_true(vm_copy_from_guest(vm, &v, OUT_GPA + PG(5) + 16, sizeof(v)));
	assert_int_equal(v, 0xabc005);
	assert_int_equal(vm->swap.pages_in, 2);
	assert_false(vmfeat_nested_fault(vm, OUT_GPA + PG(OUT_PAGES), true)); /* not swapped */
	vmf_con_len = 0;
	assert_int_equal(
	    hypercall_dispatch(vm, HC_VMM_END, HC_VMM_SWAP, OUT_GPA, PG(OUT_PAGES), &out), HC_OK);
	assert_non_null(strstr(vmf_con_buf, "RESULT kind=swap source=hypervisor"));
	assert_non_null(strstr(vmf_con_buf, "pages_out=32 pages_in=2 "));
	assert_non_null(strstr(vmf_con_buf, "out_now=30 "));
	assert_non_null(strstr(vmf_con_buf, filter ? "escaped=30 " : "escaped=0 "));
	/* The model walked the 30 pages still out into a not-present nested entry. */
	assert_non_null(strstr(vmf_con_buf, "model_faults=30 "));
	assert_non_null(strstr(vmf_con_buf, "hpa_mismatches=0"));
	assert_int_equal(swap_count(&vm->swap), 0);
	assert_int_equal(hypercall_dispatch(vm, HC_VMM_HASH, OUT_GPA, PG(OUT_PAGES), 0, &h1),
	                 HC_OK);
	assert_int_not_equal(h1, h0); /* the hypervisor's write to page 5 */
	v = 0;
	assert_true(vm_copy_to_guest(vm, OUT_GPA + PG(5) + 24, &v, sizeof(v)));
	assert_int_equal(hypercall_dispatch(vm, HC_VMM_HASH, OUT_GPA, PG(OUT_PAGES), 0, &h1),
	                 HC_OK);
	assert_int_equal(h1, h0);
}

static void vm_base_needs_no_escape(void **state)
{
	vm_swap_in_mode(*state, MODE_BASE, false);
}

static void vm_vmm_direct_escapes_swapped_pages(void **state)
{
	vm_swap_in_mode(*state, MODE_VMM_DIRECT, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(out_and_back_restores_bytes, setup, teardown),
	    cmocka_unit_test_setup_teardown(out_and_back_restores_bytes, setup_npt, teardown),
	    cmocka_unit_test_setup_teardown(store_full_stops, setup, teardown),
	    cmocka_unit_test_setup_teardown(corrupt_store_is_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(shared_escaped_and_out_are_skipped, setup, teardown),
	    cmocka_unit_test_setup_teardown(bad_ranges_change_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(rebuild_keeps_pages_out, setup_npt, teardown),
	    cmocka_unit_test_setup_teardown(taken_frame_becomes_an_escape, setup, teardown),
	    cmocka_unit_test_setup_teardown(vm_base_needs_no_escape, vm_setup, vm_teardown),
	    cmocka_unit_test_setup_teardown(vm_vmm_direct_escapes_swapped_pages, vm_setup,
	                                    vm_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
