/* hv/mem/share (page sharing with copy on write) over the test arena, then the VM's side of it
 * (hv/vm/vmfeat.c) through the hypercalls and the nested-fault hook with the vendor backend
 * stubbed. Expectations follow DESIGN.md "Memory management" and hv/mem/share.h: identical
 * 4 KiB pages are mapped to one frame read-only in 4 KiB nested leaves and the duplicates' frames
 * are freed; a write gives the page a frame of its own again with the same data; a page whose
 * frame was taken meanwhile gets a fresh one as an escape in the memory map; inside a VMM segment
 * every shared page must be in the escape filter, since the segment maps gPA + OFFSET, which is
 * not where a shared page lives. */
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
#include "hv/mem/share.h"
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

static void scan_all(struct fixture *f, unsigned *steps)
{
	bool done = false;
	assert_int_equal(share_scan_begin(&f->s, &f->g, 0, GUEST_RAM), SHARE_OK);
	for (*steps = 0; !done; ++*steps)
		assert_int_equal(share_scan_step(&f->s, &f->env, NULL, NULL, &done), SHARE_OK);
}

static void translate(const struct fixture *f, u64 gpa, u64 *hpa, u64 *leaf, u64 *perms)
{
	assert_int_equal(nested_translate(f->env.fmt, f->t.root, gpa, hpa, leaf, perms), NESTED_OK);
}

/* The guest's view of a page: what the nested table maps it to. */
static u64 word_seen(const struct fixture *f, u64 gpa, u64 j)
{
	u64 hpa;
	translate(f, gpa, &hpa, NULL, NULL);
	return phys_read64(hpa + j * 8);
}

static void assert_page_is(const struct fixture *f, u64 gpa, u64 seed)
{
	for (u64 j = 0; j < WORDS; j++)
		assert_int_equal(word_seen(f, gpa, j), seed * 0x9e3779b97f4a7c15ULL + j);
}

static void assert_shared_ro(const struct fixture *f, u64 gpa, u64 frame)
{
	u64 hpa, leaf, perms;
	translate(f, gpa, &hpa, &leaf, &perms);
	assert_int_equal(hpa, frame);
	assert_int_equal(leaf, PAGE_SIZE_4K);
	assert_false(perms & EPT_W);
	assert_true(perms & EPT_R);
}

static void assert_own_rw(const struct fixture *f, u64 gpa)
{
	u64 hpa, want, leaf, perms;
	translate(f, gpa, &hpa, &leaf, &perms);
	assert_non_null(gmap_lookup(&f->g, gpa, &want));
	assert_int_equal(hpa, want);
	assert_true(perms & EPT_W);
}

/* Pages 10, 20 and 30 hold the same contents, 11 and 21 another; every other page its own. */
static void make_duplicates(struct fixture *f)
{
	fill(f, PG(10), 7);
	fill(f, PG(20), 7);
	fill(f, PG(30), 7);
	fill(f, PG(11), 8);
	fill(f, PG(21), 8);
}

static void identical_pages_merge(void **state)
{
	struct fixture *f = *state;
	make_duplicates(f);
	const u64 free0 = frame_count_free(&f->fa), tables0 = f->t.table_pages;
	unsigned steps;
	scan_all(f, &steps);
	/* 1024 pages, SHARE_STEP_PAGES a step. */
	assert_int_equal(steps, PAGES(GUEST_RAM) / SHARE_STEP_PAGES);
	assert_int_equal(f->s.pages_scanned, PAGES(GUEST_RAM));
	/* Two copies of 7 and one of 8 merge onto the first page of each. */
	assert_int_equal(f->s.pages_merged, 3);
	assert_int_equal(f->s.frames_freed, 3);
	assert_int_equal(share_count(&f->s), 5);
	assert_int_equal(share_frames_in_use(&f->s), 2);
	/* The frames freed, less the table pages the 2 MiB leaf split took. */
	const u64 split = f->t.table_pages - tables0;
	assert_int_equal(split, 1); /* one PT under the 2 MiB leaf of gPA [0, 2M) */
	assert_int_equal(frame_count_free(&f->fa), free0 + 3 - split);
	const u64 f7 = f->ram_hpa + PG(10), f8 = f->ram_hpa + PG(11);
	assert_shared_ro(f, PG(10), f7);
	assert_shared_ro(f, PG(20), f7);
	assert_shared_ro(f, PG(30), f7);
	assert_shared_ro(f, PG(11), f8);
	assert_shared_ro(f, PG(21), f8);
	assert_true(frame_is_free(&f->fa, f->ram_hpa + PG(20)));
	assert_true(frame_is_free(&f->fa, f->ram_hpa + PG(30)));
	assert_true(frame_is_free(&f->fa, f->ram_hpa + PG(21)));
	assert_own_rw(f, PG(12));
	assert_page_is(f, PG(30), 7);
	assert_page_is(f, PG(21), 8);
	assert_page_is(f, PG(12), 1012);
	/* A second scan finds nothing new. */
	scan_all(f, &steps);
	assert_int_equal(f->s.pages_merged, 3);
}

static void a_write_splits(void **state)
{
	struct fixture *f = *state;
	make_duplicates(f);
	unsigned steps;
	scan_all(f, &steps);
	const u64 free_shared = frame_count_free(&f->fa);
	/* A reader that is not the frame's owner gets its own frame back, same data. */
	assert_int_equal(share_cow(&f->s, &f->env, PG(20) + 0x123), SHARE_OK);
	assert_int_equal(f->s.cow_faults, 1);
	assert_int_equal(f->s.reclaimed, 1);
	assert_own_rw(f, PG(20));
	assert_page_is(f, PG(20), 7);
	assert_shared_ro(f, PG(10), f->ram_hpa + PG(10));
	assert_int_equal(frame_count_free(&f->fa), free_shared - 1);
	/* Its writes no longer show in the others. */
	u64 hpa;
	translate(f, PG(20), &hpa, NULL, NULL);
	phys_write64(hpa, 0xdead);
	assert_page_is(f, PG(30), 7);
	/* The last other reader leaves: the owner alone needs no sharing and is writable. */
	assert_int_equal(share_cow(&f->s, &f->env, PG(30)), SHARE_OK);
	assert_false(share_frame_of(&f->s, PG(10) >> 12, NULL));
	assert_own_rw(f, PG(10));
	assert_page_is(f, PG(10), 7);
	assert_page_is(f, PG(30), 7);
	assert_int_equal(share_count(&f->s), 2);
	/* A page that is not shared is refused, and nothing changes. */
	const u64 free1 = frame_count_free(&f->fa);
	assert_int_equal(share_cow(&f->s, &f->env, PG(12)), SHARE_ERR_NOT_SHARED);
	assert_int_equal(frame_count_free(&f->fa), free1);
	/* Unsharing everything gives every frame back. */
	assert_int_equal(share_unshare_all(&f->s, &f->env), SHARE_OK);
	assert_int_equal(share_count(&f->s), 0);
	assert_int_equal(frame_count_free(&f->fa), free_shared - 3);
	assert_own_rw(f, PG(21));
	assert_page_is(f, PG(21), 8);
}

static void owner_write_moves_the_others(void **state)
{
	struct fixture *f = *state;
	make_duplicates(f);
	unsigned steps;
	scan_all(f, &steps);
	const u64 free_shared = frame_count_free(&f->fa);
	/* Page 10 owns the frame (its map frame): it keeps it, writable; 20 and 30 move to a copy.
	 */
	assert_int_equal(share_cow(&f->s, &f->env, PG(10)), SHARE_OK);
	assert_int_equal(f->s.frames_copied, 1);
	assert_own_rw(f, PG(10));
	u64 copy;
	assert_true(share_frame_of(&f->s, PG(20) >> 12, &copy));
	assert_int_not_equal(copy, f->ram_hpa + PG(10));
	assert_shared_ro(f, PG(20), copy);
	assert_shared_ro(f, PG(30), copy);
	assert_int_equal(frame_count_free(&f->fa), free_shared - 1);
	phys_write64(f->ram_hpa + PG(10), 0xbeef);
	assert_page_is(f, PG(20), 7);
	/* Both readers leave: the copy is freed with the last one. */
	assert_int_equal(share_cow(&f->s, &f->env, PG(20)), SHARE_OK);
	assert_int_equal(share_cow(&f->s, &f->env, PG(30)), SHARE_OK);
	assert_true(frame_is_free(&f->fa, copy));
	assert_page_is(f, PG(30), 7);
	assert_int_equal(frame_count_free(&f->fa), free_shared - 1 - 2 + 1);
}

static void taken_frame_becomes_an_escape(void **state)
{
	struct fixture *f = *state;
	make_duplicates(f);
	unsigned steps;
	scan_all(f, &steps);
	/* Someone else takes page 20's freed frame. */
	assert_int_equal(frame_claim(&f->fa, f->ram_hpa + PG(20), 1), FRAME_OK);
	assert_int_equal(share_cow(&f->s, &f->env, PG(20)), SHARE_OK);
	assert_int_equal(f->s.cow_escapes, 1);
	u64 alt;
	assert_true(gmap_is_escaped(&f->g, PG(20), &alt));
	assert_int_not_equal(alt, f->ram_hpa + PG(20));
	assert_own_rw(f, PG(20)); /* gmap_lookup honours the escape */
	assert_page_is(f, PG(20), 7);
	/* An escaped page takes no part in a later scan; a shared one is a candidate there. */
	fill(f, PG(40), 7);
	scan_all(f, &steps);
	assert_false(share_frame_of(&f->s, PG(20) >> 12, NULL));
	assert_true(share_frame_of(&f->s, PG(40) >> 12, NULL));
}

static void refusals_change_nothing(void **state)
{
	struct fixture *f = *state;
	bool done;
	assert_int_equal(share_scan_begin(&f->s, &f->g, 0x800, PAGE_SIZE_4K), SHARE_ERR_RANGE);
	assert_int_equal(share_scan_begin(&f->s, &f->g, 0, 0), SHARE_ERR_RANGE);
	assert_int_equal(share_scan_begin(&f->s, &f->g, GUEST_RAM - PG(1), PG(2)), SHARE_ERR_RANGE);
	assert_int_equal(share_scan_step(&f->s, &f->env, NULL, NULL, &done), SHARE_ERR_IDLE);
	assert_int_equal(share_scan_begin(&f->s, &f->g, 0, PG(1)), SHARE_OK);
	assert_int_equal(share_scan_begin(&f->s, &f->g, 0, PG(1)), SHARE_ERR_BUSY);
	assert_int_equal(share_count(&f->s), 0);
}

static void rebuild_keeps_sharing(void **state)
{
	struct fixture *f = *state;
	make_duplicates(f);
	unsigned steps;
	scan_all(f, &steps);
	/* A rebuild from the map alone maps page 20 to its freed frame, writable... */
	nested_free(f->t.root, &f->na);
	const struct nested_config cfg = {.format = f->env.fmt, .max_leaf = PAGE_SIZE_2M};
	assert_int_equal(nested_build(&f->g, &cfg, &f->na, &f->t), NESTED_OK);
	f->env.root = f->t.root;
	u64 hpa;
	translate(f, PG(20), &hpa, NULL, NULL);
	assert_int_equal(hpa, f->ram_hpa + PG(20));
	/* ...and share_apply puts the read-only leaves back. */
	assert_int_equal(share_apply(&f->s, &f->env), SHARE_OK);
	assert_shared_ro(f, PG(20), f->ram_hpa + PG(10));
	assert_shared_ro(f, PG(21), f->ram_hpa + PG(11));
}

static void vmm_segment_cannot_map_a_shared_page(void **state)
{
	struct fixture *f = *state;
	make_duplicates(f);
	unsigned steps;
	scan_all(f, &steps);
	/* The VMM segment would translate gPA 20 pages to ram_hpa + gPA, a freed frame: the page
	 * must take the paging path (the escape filter), where the nested table has it right. */
	u64 hpa;
	translate(f, PG(20), &hpa, NULL, NULL);
	assert_int_not_equal(hpa, f->ram_hpa + PG(20));
	assert_int_equal(hpa, f->ram_hpa + PG(10));
}

/* The VM: vmm-direct puts every shared page in the escape filter, base does not; a write fault
 * is served by the nested-fault hook; the mode cannot change while pages are shared. */
#define SCAN_GPA   (4 * MiB)
#define SCAN_PAGES 64

/* 64 zeroed pages (vm_create zeroes guest RAM): 63 merge onto the first. */
static u64 vm_scan(struct vm *vm)
{
	u64 out = 0, rdx = 0;
	s64 st;
	while ((st = hypercall_dispatch(vm, HC_SHARE_SCAN, SCAN_GPA, PG(SCAN_PAGES), rdx, &out)) ==
	       VM_HC_RESUME)
		rdx = out;
	assert_int_equal(st, HC_OK);
	return out;
}

static void vm_share_in_mode(struct vm_fixture *f, u32 mode, bool filter)
{
	struct vm *vm = f->vm;
	u64 out;
	assert_int_equal(hypercall_dispatch(vm, HC_SET_MODE, mode, 0, 0, &out), HC_OK);
	const u32 adds0 = vm->escape.adds;
	assert_int_equal(vm_scan(vm), SCAN_PAGES - 1);
	for (u64 p = 0; p < SCAN_PAGES; p++)
		assert_true(share_frame_of(&vm->share, (SCAN_GPA >> 12) + p, NULL));
	if (filter) {
		for (u64 p = 0; p < SCAN_PAGES; p++)
			assert_true(bloom_test(&vm->escape, (SCAN_GPA >> 12) + p));
		assert_true(vm->escape.adds - adds0 >= SCAN_PAGES);
	} else {
		assert_int_equal(vm->escape.adds, adds0);
	}
	/* The mode and the memory map stay while pages are shared. */
	assert_int_equal(hypercall_dispatch(vm, HC_SET_MODE, MODE_BASE, 0, 0, &out), HC_EINVAL);
	/* A guest write takes the nested fault; the hook serves it and the page is writable. */
	const u64 gpa = SCAN_GPA + PG(5);
	assert_true(vmfeat_nested_fault(vm, gpa, true));
	assert_false(share_frame_of(&vm->share, gpa >> 12, NULL));
	u64 hpa, perms;
	assert_int_equal(nested_translate((enum nested_format)vm->vcpu.ops->nested_format,
	                                  vm->ept.root, gpa, &hpa, NULL, &perms),
	                 NESTED_OK);
	assert_true(perms & EPT_W);
	/* A read of a shared page is no fault of sharing's. */
	assert_false(vmfeat_nested_fault(vm, SCAN_GPA + PG(6), false));
	/* The hypervisor reads a shared page from its frame and leaves it shared; its write
	 * unshares the page first (counted as a copy on write), then lands in it alone. */
	u64 v = 1;
	assert_true(vm_copy_from_guest(vm, &v, SCAN_GPA + PG(7) + 8, sizeof(v)));
	assert_int_equal(v, 0);
	assert_true(share_frame_of(&vm->share, (SCAN_GPA >> 12) + 7, NULL));
	v = 0x77;
	assert_true(vm_copy_to_guest(vm, SCAN_GPA + PG(8) + 8, &v, sizeof(v)));
	assert_false(share_frame_of(&vm->share, (SCAN_GPA >> 12) + 8, NULL));
	assert_true(vm_copy_from_guest(vm, &v, SCAN_GPA + PG(9) + 8, sizeof(v)));
	assert_int_equal(v, 0);
	v = 0;
	assert_true(vm_copy_to_guest(vm, SCAN_GPA + PG(8) + 8, &v, sizeof(v)));
	/* The hypervisor's hash sees zeros, as the guest does. */
	u64 zeros[WORDS] = {0}, h;
	u64 want = HASH_WORDS_INIT;
	for (unsigned p = 0; p < SCAN_PAGES; p++)
		want = hash_words(want, zeros, WORDS);
	assert_int_equal(hypercall_dispatch(vm, HC_VMM_HASH, SCAN_GPA, PG(SCAN_PAGES), 0, &h),
	                 HC_OK);
	assert_int_equal(h, want);
	/* The walk model's figures, worked out here from DESIGN.md "The walk model" for one access
	 * per page: a 4-level guest walk of 4 references; in vmm-direct each of its 4 entry gPAs
	 * and the data gPA is a base-bound check and an escape-filter check, and a filter hit
	 * walks the nested table for that gPA. */
	u64 want_refs = 0, want_checks = 0, want_hits = 0;
	const enum nested_format fmt = (enum nested_format)vm->vcpu.ops->nested_format;
	for (u64 p = 0; p < SCAN_PAGES; p++) {
		const u64 gva = SCAN_GPA + PG(p);
		const u64 gpas[] = {GPT_GPA + 8 * ((gva >> 39) & 511),
		                    GPT_GPA + PG(1) + 8 * ((gva >> 30) & 511),
		                    GPT_GPA + PG(2) + 8 * ((gva >> 21) & 511),
		                    GPT_GPA + PG(3) + 8 * ((gva >> 12) & 511), gva};
		if (!filter) {
			want_refs += 24; /* (4 + 1)(4 + 1) - 1 over 4 KiB nested leaves */
			continue;
		}
		want_refs += 4;
		for (unsigned i = 0; i < ARRAY_SIZE(gpas); i++) {
			struct nested_walk w;
			want_checks++;
			if (!bloom_test(&vm->escape, gpas[i] >> 12))
				continue;
			want_hits++;
			assert_int_equal(nested_walk(fmt, vm->ept.root, gpas[i], &w), NESTED_OK);
			want_refs += w.entries_read;
		}
	}
	vmf_con_len = 0;
	assert_int_equal(
	    hypercall_dispatch(vm, HC_VMM_END, HC_VMM_SHARE, SCAN_GPA, PG(SCAN_PAGES), &out),
	    HC_OK);
	assert_non_null(strstr(vmf_con_buf, "RESULT kind=share source=hypervisor"));
	assert_non_null(strstr(vmf_con_buf, "pages_shared=63 frames_freed=63 shared_now=62"));
	assert_non_null(strstr(vmf_con_buf, "cow_faults=2 "));
	assert_non_null(strstr(vmf_con_buf, filter ? "escaped=62 " : "escaped=0 "));
	/* The model walked every page to the frame the hypervisor says it reads. */
	assert_non_null(strstr(vmf_con_buf, "model_accesses=64 walks=64 "));
	assert_non_null(strstr(vmf_con_buf, "model_faults=0 hpa_mismatches=0"));
	const struct walk_counters *c = &vm->model.count;
	assert_int_equal(c->guest_refs + c->nested_refs, want_refs);
	assert_int_equal(c->esc_checks, want_checks);
	assert_int_equal(c->esc_hits, want_hits);
	if (filter)
		assert_true(want_hits >= SCAN_PAGES - 2); /* every shared data page at least */
	/* 4 KiB guest pages: in base over 4 KiB nested leaves, (4 + 1)(4 + 1) - 1 = 24 refs; in
	 * vmm-direct the 4 guest refs, plus a nested walk for the data gPA of every escaped page.
	 */
	if (!filter)
		assert_non_null(strstr(vmf_con_buf, "refs_per_walk=24.000"));
	assert_int_equal(share_count(&vm->share), 0);
}

static void vm_base_needs_no_escape(void **state)
{
	vm_share_in_mode(*state, MODE_BASE, false);
}

static void vm_vmm_direct_escapes_shared_pages(void **state)
{
	vm_share_in_mode(*state, MODE_VMM_DIRECT, true);
}

static void vm_scan_resume_is_checked(void **state)
{
	struct vm_fixture *f = *state;
	struct vm *vm = f->vm;
	u64 out = 0;
	assert_int_equal(hypercall_dispatch(vm, HC_SHARE_SCAN, SCAN_GPA, PG(256), 0, &out),
	                 VM_HC_RESUME);
	const u64 rdx = out;
	assert_true(rdx & HC_SHARE_RESUME);
	/* Another range, or a step number it did not hand out, is refused. */
	assert_int_equal(
	    hypercall_dispatch(vm, HC_SHARE_SCAN, SCAN_GPA + PG(1), PG(256), rdx, &out), HC_EINVAL);
	assert_int_equal(hypercall_dispatch(vm, HC_SHARE_SCAN, SCAN_GPA, PG(256),
	                                    rdx + (1u << TRACE_SEQ_SHIFT), &out),
	                 HC_EINVAL);
	assert_int_equal(hypercall_dispatch(vm, HC_SHARE_SCAN, SCAN_GPA, PG(256), rdx, &out),
	                 VM_HC_RESUME);
	/* Past RAM and too long. */
	assert_int_equal(hypercall_dispatch(vm, HC_SHARE_SCAN, VM_RAM - PG(1), PG(2), 0, &out),
	                 HC_EFAULT);
	assert_int_equal(
	    hypercall_dispatch(vm, HC_SHARE_SCAN, 0, HC_SHARE_MAX_BYTES + PG(1), 0, &out),
	    HC_E2BIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(identical_pages_merge, setup, teardown),
	    cmocka_unit_test_setup_teardown(identical_pages_merge, setup_npt, teardown),
	    cmocka_unit_test_setup_teardown(a_write_splits, setup, teardown),
	    cmocka_unit_test_setup_teardown(a_write_splits, setup_npt, teardown),
	    cmocka_unit_test_setup_teardown(owner_write_moves_the_others, setup, teardown),
	    cmocka_unit_test_setup_teardown(taken_frame_becomes_an_escape, setup, teardown),
	    cmocka_unit_test_setup_teardown(refusals_change_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(rebuild_keeps_sharing, setup, teardown),
	    cmocka_unit_test_setup_teardown(vmm_segment_cannot_map_a_shared_page, setup, teardown),
	    cmocka_unit_test_setup_teardown(vm_base_needs_no_escape, vm_setup, vm_teardown),
	    cmocka_unit_test_setup_teardown(vm_vmm_direct_escapes_shared_pages, vm_setup,
	                                    vm_teardown),
	    cmocka_unit_test_setup_teardown(vm_scan_resume_is_checked, vm_setup, vm_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
