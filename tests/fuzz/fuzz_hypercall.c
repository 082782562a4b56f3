/* The hypercall dispatcher (hv/vm/hypercall.c) driven by a guest that calls anything with
 * any arguments and writes anything into its own memory (page tables, trace buffers) between
 * calls, over a fresh VM in the arena for every input (tests/fuzz/vm_fixture.h).
 *
 * Input: a configuration byte (start mode, nested format, largest nested leaf, ept_page),
 * a model byte (TLB preset, walk caches, seg_fill), then operations until the input or
 * MAX_OPS runs out, each an opcode byte and its operands:
 *   hypercall     call number, then per argument a selector byte and a value: any u64,
 *                 a gPA in or just past guest RAM, a page-aligned one, or a small number
 *   write         a gPA in guest RAM, a length byte and that many bytes of guest memory
 *   pte           a page-table entry (frame in guest RAM plus flag bits) at an aligned gPA
 *   cpu           the vCPU's CR3 (a guest RAM page) and CPL
 * Invariants, after each call: the status is one of the ABI's; the counters moved by one call
 * (hypercall_errors <= hypercalls, unknown_hypercalls <= hypercall_errors); the guest memory
 * map is unchanged but for the one escape a successful HC_ESCAPE_PAGE adds and those that copy on
 * write or swap-in add when a page's own frame is gone (hv/mem/share.h); the mode changes
 * only by a successful HC_SET_MODE; every guest RAM page translates through the nested table
 * (hv/mem/nested.c nested_translate) to what gmap_lookup says, with leaves no larger than the
 * mode allows and escaped pages in 4 KiB leaves, a shared page read-only to its shared frame
 * in a 4 KiB leaf and a swapped-out page not present, and the page past RAM does not; the vCPU
 * holds the current root; no frame leaks (free frames account for the table pages, alternate
 * frames, the swap store and the frames sharing saved); bad frames stay poisoned and escaped
 * pages hit the escape filter, shared and swapped ones too in a VMM-segment mode; the
 * trace buffer changes only by an HC_TRACE_SETUP made with no measurement open and no replay
 * pending; the trace buffer and guest segment lie in guest RAM; the model's counters are
 * consistent. */
#include "tests/fuzz/fuzz.h"

#include "lib/bits.h"
#include "arch/x86/ept.h"
#include "lib/x86/paging.h"
#include "tests/fuzz/vm_fixture.h"

#define MAX_OPS    48
#define MAX_REPLAY 4096 /* entries a replay may ask for, to keep one input fast */
#define PTE_FLAGS  0xfffULL

enum op { OP_HYPERCALL, OP_HYPERCALL2, OP_WRITE, OP_PTE, OP_CPU, OP_COUNT };

static struct vm_fixture fx;
static bool ready;

/* What a call may change, taken before it. */
struct before {
	struct gmap gmap;
	u64 hypercalls, errors, unknown;
	u32 mode;
	unsigned bad_frames;
	u64 map_escapes; /* vm->vmmfeat_map_escapes */
	u64 ram_bytes;
	u64 trace_gpa, trace_entries;
	bool measuring, replay_pending;
};

/* Frames in use beyond the table pages and alternate frames, fixed at creation. */
static u64 frames_baseline;

static u64 arg(struct fuzz_in *in)
{
	u8 sel = fuzz_u8(in);
	switch (sel & 3) {
	case 0:
		return fuzz_u64(in);
	case 1:
		return fuzz_u32(in) % (FUZZ_GUEST_RAM + 2 * PAGE_SIZE_4K);
	case 2:
		return ((u64)fuzz_bytes(in, 2) << 12) % (FUZZ_GUEST_RAM + 2 * PAGE_SIZE_4K);
	default:
		return fuzz_u8(in);
	}
}

static bool status_known(s64 s)
{
	return s == HC_OK || (s <= HC_ENOSYS && s >= HC_ELOWEST);
}

/* Copy on write or swap-in with no frame or escape slot left stops the guest by name. */
static bool stopped_by_vmm_pages(const struct vm *vm)
{
	static const char *const why[] = {"copy on write", "swap-in", "vmm-pages"};
	if (vm->state != VM_STOPPED)
		return false;
	for (unsigned i = 0; i < ARRAY_SIZE(why); i++)
		if (!strncmp(vm->stop_reason, why[i], strlen(why[i])))
			return true;
	return false;
}

static u64 mode_max_leaf(const struct vm *vm)
{
	return mode_has_vmm_seg(vm->mode) || vm->mode == MODE_NATIVE ? vm->cpu_max_page
	                                                             : vm->ept_max_page;
}

static void check_nested(const struct vm *vm)
{
	const enum nested_format fmt = (enum nested_format)vm->vcpu.ops->nested_format;
	const u64 top = gmap_ram_top(&vm->gmap);
	u64 covered = 0;

	FUZZ_CHECK(vm->ept.root != 0, "no nested table");
	if (fx.cpu.set_root_calls)
		FUZZ_CHECK(fx.cpu.nested_root == vm->ept.root,
		           "the vCPU holds root 0x%llx, not 0x%llx", fx.cpu.nested_root,
		           vm->ept.root);
	for (unsigned l = 0; l < NESTED_LEAF_SIZES; l++)
		covered += vm->ept.leaves[l] * nested_leaf_bytes(l);
	FUZZ_CHECK(covered == gmap_ram_bytes(&vm->gmap), "leaves cover 0x%llx bytes of 0x%llx",
	           covered, gmap_ram_bytes(&vm->gmap));
	for (u64 gpa = 0; gpa < top; gpa += PAGE_SIZE_4K) {
		u64 want, hpa, leaf, perms, frame;
		const u64 probe =
		    gpa + ((gpa >> 12) * 0x48 & (PAGE_SIZE_4K - 1)); /* a byte in it */
		FUZZ_CHECK(gmap_lookup(&vm->gmap, probe, &want), "gPA 0x%llx not in the map",
		           probe);
		enum nested_err err =
		    nested_translate(fmt, vm->ept.root, probe, &hpa, &leaf, &perms);
		if (swap_is_out(&vm->swap, gpa >> 12)) {
			FUZZ_CHECK(err == NESTED_ERR_NOT_PRESENT, "swapped-out gPA 0x%llx: %s",
			           probe, nested_strerror(err));
			FUZZ_CHECK(mode_has_vmm_seg(vm->mode) <= bloom_test(&vm->escape, gpa >> 12),
			           "swapped-out gPA 0x%llx not in the filter", gpa);
			continue;
		}
		if (share_frame_of(&vm->share, gpa >> 12, &frame)) {
			FUZZ_CHECK(err == NESTED_OK && hpa == frame + (probe & 0xfff) &&
			               leaf == PAGE_SIZE_4K && !(perms & EPT_W),
			           "shared gPA 0x%llx: %s, hPA 0x%llx (frame 0x%llx), leaf 0x%llx, "
			           "perms 0x%llx",
			           probe, nested_strerror(err), hpa, frame, leaf, perms);
			FUZZ_CHECK(mode_has_vmm_seg(vm->mode) <= bloom_test(&vm->escape, gpa >> 12),
			           "shared gPA 0x%llx not in the filter", gpa);
			continue;
		}
		FUZZ_CHECK(err == NESTED_OK, "gPA 0x%llx: %s", probe, nested_strerror(err));
		FUZZ_CHECK(hpa == want, "gPA 0x%llx: nested hPA 0x%llx, the map says 0x%llx", probe,
		           hpa, want);
		FUZZ_CHECK(leaf <= mode_max_leaf(vm), "gPA 0x%llx in a leaf of 0x%llx", probe,
		           leaf);
		if (gmap_is_escaped(&vm->gmap, probe, NULL))
			FUZZ_CHECK(leaf == PAGE_SIZE_4K, "escaped gPA 0x%llx in a leaf of 0x%llx",
			           probe, leaf);
	}
	FUZZ_CHECK(nested_translate(fmt, vm->ept.root, top, NULL, NULL, NULL) ==
	               NESTED_ERR_NOT_PRESENT,
	           "gPA 0x%llx past RAM translates", top);
}

static void check_vm(const struct vm *vm, const struct before *b, u64 nr, u64 a0, s64 status)
{
	FUZZ_CHECK(status_known(status), "call %llu: status %lld", nr, (long long)status);
	FUZZ_CHECK(vm->hypercalls == b->hypercalls + 1, "call %llu: hypercalls %llu after %llu", nr,
	           vm->hypercalls, b->hypercalls);
	FUZZ_CHECK(vm->hypercall_errors == b->errors + (status != HC_OK),
	           "call %llu: status %lld, errors %llu after %llu", nr, (long long)status,
	           vm->hypercall_errors, b->errors);
	FUZZ_CHECK(vm->unknown_hypercalls == b->unknown + (nr >= HC_COUNT),
	           "call %llu: unknown %llu after %llu", nr, vm->unknown_hypercalls, b->unknown);
	FUZZ_CHECK(vm->hypercall_errors <= vm->hypercalls &&
	               vm->unknown_hypercalls <= vm->hypercall_errors,
	           "counters %llu %llu %llu", vm->hypercalls, vm->hypercall_errors,
	           vm->unknown_hypercalls);
	if (nr >= HC_COUNT)
		FUZZ_CHECK(status == HC_ENOSYS, "unknown call %llu: status %lld", nr,
		           (long long)status);

	/* The guest memory map: regions change only by a successful balloon call (the RAM it
	 * returned or got is RAM frames no longer or newly in use); escapes only by HC_ESCAPE_PAGE.
	 */
	const bool ballooned =
	    status == HC_OK && (nr == HC_BALLOON_OUT || nr == HC_BALLOON_IN || nr == HC_HOTADD);
	if (ballooned)
		frames_baseline += (gmap_ram_bytes(&vm->gmap) - b->ram_bytes) / PAGE_SIZE_4K;
	FUZZ_CHECK(ballooned ||
	               (vm->gmap.count == b->gmap.count &&
	                !memcmp(vm->gmap.r, b->gmap.r, sizeof(vm->gmap.r[0]) * vm->gmap.count)),
	           "call %llu changed the regions of the guest memory map", nr);
	const bool escaped = nr == HC_ESCAPE_PAGE && status == HC_OK;
	const u64 fresh = vm->vmmfeat_map_escapes - b->map_escapes;
	FUZZ_CHECK(vm->gmap.escape_count == b->gmap.escape_count + escaped + fresh,
	           "call %llu (status %lld): %u escapes after %u", nr, (long long)status,
	           vm->gmap.escape_count, b->gmap.escape_count);
	FUZZ_CHECK(vm->bad_frames == b->bad_frames + escaped, "call %llu: %u bad frames after %u",
	           nr, vm->bad_frames, b->bad_frames);
	if (!escaped && !fresh)
		FUZZ_CHECK(!memcmp(vm->gmap.esc, b->gmap.esc,
		                   sizeof(vm->gmap.esc[0]) * vm->gmap.escape_count),
		           "call %llu changed the escapes", nr);
	FUZZ_CHECK(vm->gmap.escape_count == vm->bad_frames + vm->vmmfeat_map_escapes,
	           "%u escapes, %u bad frames, %llu from sharing or swapping",
	           vm->gmap.escape_count, vm->bad_frames, vm->vmmfeat_map_escapes);

	/* The mode. */
	FUZZ_CHECK(vm->mode < MODE_COUNT, "mode %u", vm->mode);
	if (nr == HC_SET_MODE && status == HC_OK)
		FUZZ_CHECK(vm->mode == a0, "HC_SET_MODE %llu left mode %u", a0, vm->mode);
	else
		FUZZ_CHECK(vm->mode == b->mode, "call %llu (status %lld) changed the mode", nr,
		           (long long)status);

	check_nested(vm);

	/* Frames: all but the baseline are the nested table, the alternate frames and the swap
	 * store; every guest page not swapped out uses one frame, but shared pages one per group.
	 */
	const u64 used = frame_count_total(vm->fa) - frame_count_free(vm->fa);
	const u64 saved = share_count(&vm->share) + swap_count(&vm->swap);
	const u64 groups = share_frames_in_use(&vm->share);
	FUZZ_CHECK(
	    used + saved == frames_baseline + vm->ept.table_pages + vm->bad_frames +
	                        swap_store_frames(&vm->swap) + groups,
	    "call %llu: %llu frames used, expected %llu + %llu table pages + %u alternates + "
	    "%llu store + %llu shared frames - %llu pages shared or out",
	    nr, used, frames_baseline, vm->ept.table_pages, vm->bad_frames,
	    swap_store_frames(&vm->swap), groups, saved);

	/* Escapes: bad frames untouched, every escaped page in the filter. */
	FUZZ_CHECK(dseg_check_bad_frames(vm) == 0, "call %llu wrote a bad frame", nr);
	for (unsigned i = 0; i < vm->gmap.escape_count; i++)
		FUZZ_CHECK(bloom_test(&vm->escape, vm->gmap.esc[i].gfn),
		           "escaped gfn 0x%llx not in the filter", vm->gmap.esc[i].gfn);

	/* The trace buffer changes only by a successful HC_TRACE_SETUP, which
	 * succeeds only with no measurement open and no replay pending. */
	if (nr == HC_TRACE_SETUP && status == HC_OK)
		FUZZ_CHECK(!b->measuring && !b->replay_pending,
		           "HC_TRACE_SETUP accepted during a measurement");
	else
		FUZZ_CHECK(vm->trace_gpa == b->trace_gpa && vm->trace_entries == b->trace_entries,
		           "call %llu (status %lld) changed the trace buffer", nr,
		           (long long)status);

	/* What the guest registered lies in its RAM. */
	if (vm->trace_entries)
		FUZZ_CHECK(vm->trace_entries <= HC_TRACE_MAX_BYTES / sizeof(u64) &&
		               gmap_check_range(&vm->gmap, vm->trace_gpa, vm->trace_entries * 8,
		                                HC_TRACE_MAX_BYTES, false) == GMAP_OK,
		           "trace buffer 0x%llx, %llu entries", vm->trace_gpa, vm->trace_entries);
	if (vm->guest_seg.enabled) {
		const struct direct_segment *s = &vm->guest_seg;
		FUZZ_CHECK(s->base < s->limit &&
		               gmap_check_range(&vm->gmap, s->base + s->offset, s->limit - s->base,
		                                s->limit - s->base, true) == GMAP_OK,
		           "guest segment [0x%llx, 0x%llx) + 0x%llx outside RAM", s->base, s->limit,
		           s->offset);
	}

	/* The model's counters (hv/model/walk.h). */
	const struct walk_counters *c = &vm->model.count;
	FUZZ_CHECK(c->tlb_hits_l1 <= c->accesses && c->l1_misses <= c->accesses &&
	               c->tlb_hits_l2 <= c->l1_misses && c->walks <= c->accesses &&
	               c->seg_served <= c->accesses && c->faults <= c->accesses &&
	               c->esc_hits <= c->esc_checks && c->esc_false_pos <= c->esc_hits,
	           "model counters: accesses %llu l1 hits %llu l1 misses %llu l2 hits %llu walks "
	           "%llu seg %llu faults %llu esc %llu/%llu/%llu",
	           c->accesses, c->tlb_hits_l1, c->l1_misses, c->tlb_hits_l2, c->walks,
	           c->seg_served, c->faults, c->esc_checks, c->esc_hits, c->esc_false_pos);
	FUZZ_CHECK(vm->hpa_mismatches <= vm->hpa_checks, "hPA checks");
	FUZZ_CHECK(vm->line_len <= VM_LINE_MAX, "console line of %u", vm->line_len);
	if (vm->state != VM_RUNNING)
		FUZZ_CHECK((nr == HC_EXIT && vm->state == VM_EXITED) || stopped_by_vmm_pages(vm),
		           "call %llu left state %d", nr, vm->state);
}

static void hypercall(struct fuzz_in *in)
{
	struct vm *vm = fx.vm;
	static struct before b;
	u8 pick = fuzz_u8(in);
	u64 nr = pick & 0x80 ? fuzz_u64(in) : pick % (HC_COUNT + 2);
	u64 a0 = arg(in), a1 = arg(in), a2 = arg(in), out = 0;
	if (nr == HC_TRACE_REPLAY)
		a0 %= MAX_REPLAY + 1;

	b.gmap = vm->gmap;
	b.hypercalls = vm->hypercalls;
	b.errors = vm->hypercall_errors;
	b.unknown = vm->unknown_hypercalls;
	b.mode = vm->mode;
	b.bad_frames = vm->bad_frames;
	b.map_escapes = vm->vmmfeat_map_escapes;
	b.ram_bytes = gmap_ram_bytes(&vm->gmap);
	b.trace_gpa = vm->trace_gpa;
	b.trace_entries = vm->trace_entries;
	b.measuring = vm->measuring;
	b.replay_pending = vm->replay_pending;
	s64 status = hypercall_dispatch(vm, nr, a0, a1, a2, &out);
	/* A long call comes back VM_HC_RESUME (bounded work per exit) and the
	 * same VMCALL goes on with RDX = out, as hv/vm/exits.c does; a guest may
	 * also walk away from it, which the next call must survive. */
	while (status == VM_HC_RESUME && !(fuzz_u8(in) == 0xff)) {
		/* The continuation lives in the hypervisor; RDX only says "resume"
		 * in bits a 32-bit guest keeps (lib/hvcall.h). */
		FUZZ_CHECK(out >> 32 == 0 &&
		               ((out & TRACE_RESUME) || nr == HC_HOTADD || nr == HC_SET_MODE),
		           "resume RDX 0x%llx", out);
		a2 = out;
		status = hypercall_dispatch(vm, nr, a0, a1, a2, &out);
	}
	if (status == VM_HC_RESUME) {
		FUZZ_CHECK(nr == HC_TRACE_REPLAY || nr == HC_SHARE_SCAN || nr == HC_HOTADD ||
		               nr == HC_SET_MODE,
		           "call %llu resumes", nr);
		return; /* abandoned mid-call: nothing is finished to check */
	}
	check_vm(vm, &b, nr, a0, status);
}

static void guest_write(struct fuzz_in *in)
{
	u64 gpa = fuzz_u32(in) % FUZZ_GUEST_RAM;
	u64 len = fuzz_u8(in) + 1;
	u8 buf[256];
	for (u64 i = 0; i < len; i++)
		buf[i] = fuzz_u8(in);
	if (len > FUZZ_GUEST_RAM - gpa)
		len = FUZZ_GUEST_RAM - gpa;
	FUZZ_CHECK(vm_copy_to_guest(fx.vm, gpa, buf, len) || stopped_by_vmm_pages(fx.vm),
	           "guest write at 0x%llx", gpa);
}

static void guest_pte(struct fuzz_in *in)
{
	u64 slot = (fuzz_u32(in) % FUZZ_GUEST_RAM) & ~7ULL;
	u64 frame = ((u64)fuzz_bytes(in, 2) << 12) % FUZZ_GUEST_RAM;
	u64 e = frame | (fuzz_bytes(in, 2) & PTE_FLAGS) | PTE_P;
	FUZZ_CHECK(vm_copy_to_guest(fx.vm, slot, &e, sizeof(e)) || stopped_by_vmm_pages(fx.vm),
	           "PTE write at 0x%llx", slot);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct fuzz_in in = {data, size};
	if (!ready) {
		vm_fixture_init(&fx);
		ready = true;
	}
	u8 config = fuzz_u8(&in), model = fuzz_u8(&in);
	fx.params.mode = config % MODE_COUNT;
	const enum nested_format fmt = config & 0x08 ? NESTED_FORMAT_NPT : NESTED_FORMAT_EPT;
	const u64 cpu_max_page = config & 0x10 ? PAGE_SIZE_2M : PAGE_SIZE_4K;
	fx.params.ept_page = config & 0x20 ? PAGE_SIZE_2M : PAGE_SIZE_4K;
	fx.params.tlb = tlb_preset_find(model & 1 ? "sandybridge" : "skylake");
	fx.params.pwc = model & 2;
	fx.params.ntlb = model & 4;
	fx.params.npwc = model & 8;
	fx.params.seg_fill = (model >> 4) & 3;
	FUZZ_CHECK(fx.params.tlb, "TLB preset");
	FUZZ_CHECK(vm_fixture_create(&fx, cpu_max_page, fmt) == 0, "VM creation");
	struct vm *vm = fx.vm;
	frames_baseline = frame_count_total(vm->fa) - frame_count_free(vm->fa) -
	                  vm->ept.table_pages - vm->bad_frames;
	fx.cpu.cr3 = 1 * MiB;

	for (unsigned n = 0; n < MAX_OPS && in.left && vm->state == VM_RUNNING; n++) {
		switch (fuzz_u8(&in) % OP_COUNT) {
		case OP_HYPERCALL:
		case OP_HYPERCALL2:
			hypercall(&in);
			break;
		case OP_WRITE:
			guest_write(&in);
			break;
		case OP_PTE:
			guest_pte(&in);
			break;
		default:
			fx.cpu.cr3 = ((u64)fuzz_bytes(&in, 2) << 12) % FUZZ_GUEST_RAM;
			fx.cpu.cpl = fuzz_u8(&in) & 3;
			break;
		}
	}
	return 0;
}
