/* Guest RAM on fragmented host memory (DESIGN.md, "Memory management"): host_fragment= hands
 * chunks of host memory to other tenants the way a long-running host has, guest RAM that finds
 * no contiguous run is placed on scattered runs, and a mode that needs the VMM segment compacts
 * it first (hv/mem/compact.h), in steps of bounded work that resume the same VMCALL. */
#include "arch/x86/tsc.h"
#include "hv/vm/vm.h"
#include "lib/bits.h"
#include "lib/console.h"

/* hv/mem/frame.h: more runs would not fit the guest memory map beside what compaction and
 * escapes need. */
#define RAM_MAX_RUNS (GMAP_MAX_REGIONS / 2)

static u64 us_of(u64 cycles, u64 tsc_hz)
{
	return tsc_hz ? cycles / tsc_hz * 1000000 + cycles % tsc_hz * 1000000 / tsc_hz : 0;
}

/* host_fragment=: the other tenants take their chunks before the guest is placed. */
static int fragment_host(struct vm *vm)
{
	const struct vm_params *p = &vm->params;
	if (!p->host_fragment)
		return 0;
	if (p->host_fragment < 2) {
		con_printf("FAIL: host-fragment: host_fragment=%llu would hold every chunk; use 2 "
		           "or more\n",
		           p->host_fragment);
		return -1;
	}
	u64 free_before = frame_count_free(vm->fa);
	unsigned held = frame_fragment(vm->fa, &vm->tenants, p->host_fragment,
	                               p->host_fragment_seed, !p->host_fragment_pin);
	u64 run = frame_largest_free_run(vm->fa, PAGE_SIZE_4K);
	con_printf(
	    "host-fragment: other tenants hold %u chunks of 2 MiB (%s 1 in %llu, seed 0x%llx, "
	    "%s)%s; free memory %llu -> %llu MiB, largest free run %llu MiB\n",
	    held, p->host_fragment_seed ? "random" : "every", p->host_fragment,
	    p->host_fragment_seed, p->host_fragment_pin ? "unmovable" : "movable",
	    vm->tenants.capped ? " (capped at the table's size)" : "",
	    free_before * FRAME_SIZE / MiB, frame_count_free(vm->fa) * FRAME_SIZE / MiB,
	    run * FRAME_SIZE / MiB);
	return 0;
}

/* Scattered placement: runs laid out in gPA order from 0. */
static enum frame_err place_scattered(struct vm *vm, u64 frames)
{
	static struct frame_span runs[RAM_MAX_RUNS];
	unsigned n = 0;
	enum frame_err err = frame_alloc_scattered(vm->fa, frames, runs, RAM_MAX_RUNS, &n);
	if (err)
		return err;
	u64 gpa = 0, largest = 0, in_2m = 0;
	for (unsigned i = 0; i < n; i++) {
		u64 hpa = runs[i].first_pfn << FRAME_SHIFT;
		u64 len = (runs[i].end_pfn - runs[i].first_pfn) << FRAME_SHIFT;
		enum gmap_err gerr = gmap_add(&vm->gmap, gpa, len, hpa, GMAP_RAM, GMAP_PERM_RWX);
		if (gerr != GMAP_OK) {
			con_printf("FAIL: guest-ram: scattered run %u: %s\n", i,
			           gmap_strerror(gerr));
			return FRAME_ERR_INCONSISTENT;
		}
		if (len > largest)
			largest = len;
		if (is_aligned(hpa | len, PAGE_SIZE_2M))
			in_2m += len;
		gpa += len;
	}
	vm->ram_hpa = runs[0].first_pfn << FRAME_SHIFT;
	con_printf("guest: RAM gPA [0x0, 0x%llx) scattered over %u host runs (largest %llu KiB, "
	           "%llu MiB in 2 MiB-aligned runs): no contiguous run was free\n",
	           gpa, n, largest / KiB, in_2m / MiB);
	return FRAME_OK;
}

int vm_place_ram(struct vm *vm)
{
	return fragment_host(vm);
}

enum frame_err vm_place_scattered(struct vm *vm, u64 frames)
{
	if (frames > frame_count_free(vm->fa))
		return FRAME_ERR_NO_MEMORY;
	enum frame_err err = place_scattered(vm, frames);
	if (err == FRAME_ERR_TOO_SCATTERED)
		con_printf("FAIL: guest-ram: free host memory is in more than %u runs: %s\n",
		           RAM_MAX_RUNS, frame_strerror(err));
	return err;
}

/* The paging mode a VMM-segment mode stays in when it cannot have its segment. */
static u32 paging_fallback(u32 mode)
{
	return mode == MODE_DUAL_DIRECT ? MODE_GUEST_DIRECT : MODE_BASE;
}

static void result_line(struct vm *vm, u32 mode, const char *status, enum compact_err err)
{
	const struct compact_job *j = &vm->compact;
	const struct compact_plan *p = &j->plan;
	const u64 wall = tsc_read() - vm->compact_t0;
	con_printf(
	    "RESULT kind=compaction source=hypervisor mode=%s status=%s reason=%s "
	    "guest_frames=%llu frames_moved=%llu bytes_moved=%llu tenant_frames_moved=%llu "
	    "guest_frames_moved=%llu frames_unmovable=%llu candidates=%llu "
	    "blocked_unmovable=%llu blocked_memory=%llu target_hpa=0x%llx steps=%llu "
	    "cycles=%llu ms=%llu max_step_cycles=%llu max_step_us=%llu wall_cycles=%llu "
	    "hash_before=0x%llx hash_after=0x%llx hash_equal=%s tsc_hz=%llu\n",
	    hv_mode_name(mode), status, err ? compact_strerror(err) : "none", p->frames,
	    j->frames_moved, j->frames_moved * FRAME_SIZE, j->tenant_moved,
	    j->frames_moved - j->tenant_moved, p->unmovable_frames, p->candidates,
	    p->blocked_unmovable, p->blocked_memory, p->target_hpa, j->steps, vm->compact_cycles,
	    us_of(vm->compact_cycles, vm->tsc_hz) / 1000, vm->compact_max_step_cycles,
	    us_of(vm->compact_max_step_cycles, vm->tsc_hz), wall, j->hash_before, j->hash_after,
	    j->phase == COMPACT_DONE && !j->err ? (j->hash_before == j->hash_after ? "yes" : "no")
	                                        : "n/a",
	    vm->tsc_hz);
}

/* The VMM segment over guest RAM, now on one run. */
static void segment_on_run(struct vm *vm)
{
	u64 hpa = 0;
	gmap_ram_contiguous(&vm->gmap, &hpa);
	vm->ram_hpa = hpa;
	vm->ram_contiguous = true;
	segment_set(&vm->vmm_seg, 0, gmap_ram_top(&vm->gmap), hpa);
}

/* Refused: named, and the VM stays in the mode's paging counterpart. */
static s64 refuse(struct vm *vm, u32 mode, enum compact_err err)
{
	const u32 fallback = paging_fallback(mode);
	con_printf("compaction: %s needs one contiguous host run for its VMM segment and guest "
	           "RAM cannot be compacted: %s (%llu candidate runs: %llu hold unmovable frames, "
	           "%llu lack free memory to move into); staying in %s (paging)\n",
	           hv_mode_name(mode), compact_strerror(err), vm->compact.plan.candidates,
	           vm->compact.plan.blocked_unmovable, vm->compact.plan.blocked_memory,
	           hv_mode_name(fallback));
	result_line(vm, mode, "refused", err);
	return dseg_set_mode(vm, fallback) ? HC_ENOMEM : HC_OK;
}

/* The nested table of the current (paging) mode after frames moved. */
static int rebuild(struct vm *vm)
{
	u64 leaf = mode_has_vmm_seg(vm->mode) || vm->mode == MODE_NATIVE ? vm->cpu_max_page
	                                                                 : vm->ept_max_page;
	return vm_build_nested(vm, leaf);
}

/* One step; true when over (HC status in *status). */
static bool step(struct vm *vm, u32 mode, u64 budget, s64 *status)
{
	bool moved = false;
	const u64 t0 = tsc_read();
	bool over = compact_step(&vm->compact, vm->fa, &vm->gmap, &vm->tenants, budget, &moved);
	if (moved && vm->ept.root && rebuild(vm)) { /* no table yet at creation */
		/* The map is the truth and the old table still maps frames that hold the data
		 * (nothing was freed that the old table names and the guest has not run). */
		vm_stop(vm, "compaction: the nested table could not be rebuilt after a step");
		*status = HC_ENOMEM;
		vm->compacting = false;
		return true;
	}
	const u64 dt = tsc_read() - t0;
	vm->compact_cycles += dt;
	if (dt > vm->compact_max_step_cycles)
		vm->compact_max_step_cycles = dt;
	if (!over)
		return false;
	vm->compacting = false;
	const struct compact_job *j = &vm->compact;
	if (j->err) {
		con_printf("FAIL: compaction: stopped after %llu frames moved: %s; guest RAM stays "
		           "where the map says\n",
		           j->frames_moved, compact_strerror(j->err));
		result_line(vm, mode, "failed", j->err);
		*status = dseg_set_mode(vm, paging_fallback(mode)) ? HC_ENOMEM : HC_OK;
		return true;
	}
	vm->compactions++;
	if (j->hash_before != j->hash_after) {
		vm->compact_hash_bad++;
		con_printf("FAIL: compaction: guest RAM hashed 0x%llx before and 0x%llx after\n",
		           j->hash_before, j->hash_after);
	}
	segment_on_run(vm);
	con_printf("compaction: guest RAM now on hPA [0x%llx, 0x%llx) after %llu frames moved in "
	           "%llu steps\n",
	           vm->ram_hpa, vm->ram_hpa + gmap_ram_bytes(&vm->gmap), j->frames_moved, j->steps);
	result_line(vm, mode, "done", COMPACT_OK);
	*status = dseg_set_mode(vm, mode) ? HC_ENOMEM : HC_OK;
	return true;
}

/* Plans and starts; true when the outcome is already known (*status). */
static bool start(struct vm *vm, u32 mode, s64 *status)
{
	static struct compact_plan plan;
	vm->compact_t0 = tsc_read();
	vm->compact_cycles = vm->compact_max_step_cycles = 0;
	enum compact_err err = compact_plan(vm->fa, &vm->gmap, &vm->tenants, &plan);
	vm->compact.plan = plan; /* for the refusal's figures */
	vm->compact.steps = vm->compact.frames_moved = vm->compact.tenant_moved = 0;
	vm->compact.phase = COMPACT_RESERVE;
	if (err) {
		*status = refuse(vm, mode, err);
		return true;
	}
	con_printf(
	    "compaction: target hPA [0x%llx, 0x%llx): %llu tenant frames and %llu guest "
	    "frames in the way, %llu guest frames to copy in, %u moves (%llu candidate runs, "
	    "%llu blocked by unmovable frames)\n",
	    plan.target_hpa, plan.target_hpa + plan.frames * FRAME_SIZE, plan.tenant_frames,
	    plan.guest_evict_frames, plan.fill_frames, plan.nmoves, plan.candidates,
	    plan.blocked_unmovable);
	compact_start(&vm->compact, &plan);
	vm->compacting = true;
	vm->compact_mode = mode;
	return false;
}

int vm_compact_now(struct vm *vm, u32 mode)
{
	s64 status = HC_OK;
	if (!start(vm, mode, &status))
		while (!step(vm, mode, COMPACT_STEP_FRAMES, &status))
			;
	return status == HC_OK ? 0 : -1;
}

s64 vm_compact_step(struct vm *vm, u32 mode, u64 rdx, u64 *out)
{
	s64 status = HC_OK;
	if (vm->compacting && (mode != vm->compact_mode || rdx != vm->compact.steps)) {
		/* A different call while one was under way: the guest gave it up. */
		con_printf("compaction: abandoned after %llu steps (a new HC_SET_MODE)\n",
		           vm->compact.steps);
		compact_abort(&vm->compact, vm->fa, &vm->gmap, &vm->tenants);
		vm->compacting = false;
	}
	if (!vm->compacting && start(vm, mode, &status))
		return status;
	if (step(vm, mode, COMPACT_STEP_FRAMES, &status))
		return status;
	*out = vm->compact.steps; /* non-zero: the cookie the resumed VMCALL brings back */
	return VM_HC_RESUME;
}
