/* Measurement: the guest's workloads record the virtual addresses they
 * touch in a trace buffer; each HC_TRACE_REPLAY has the walk model (hv/model/walk.c)
 * replay a batch against the guest's real page tables, the real EPT, the
 * segments of the current mode and the escape filter, HC_TRACE_STEP entries
 * per exit (lib/hvcall.h). One RESULT line per
 * (workload, mode), every figure labelled source=model; where a PMU works
 * (arch/x86/pmu.h) a second line, source=pmu, gives the walk events the CPU
 * counted in guest mode between the replay that begins the measurement
 * (TRACE_BEGIN: the counters are zeroed and enabled) and the one that ends
 * it (TRACE_END: they are read and disabled). The test guest begins with an
 * empty replay right before a workload's traced loop and ends right after
 * it (guest/workloads.c), so the window holds that loop, the stores that
 * record its trace and the guest side of the replay calls made when the
 * trace buffer fills; the hypervisor's own work (the replays) is not
 * counted, being in host mode. */
#include "arch/x86/pmu.h"
#include "arch/x86/tsc.h"
#include "hv/vm/vm.h"
#include "lib/console.h"
#include "lib/fmt.h"

#define GSEG_VERIFY_ALL     (64 * MiB) /* segments up to this are walked leaf by leaf */
#define GSEG_VERIFY_SAMPLES 4096       /* pages at least, spread over a larger one */
#define HPA_CHECK_EVERY     64         /* accesses per check of the model's hPA */

static bool is_escaped(const void *ctx, u64 gfn)
{
	return gmap_is_escaped(ctx, gfn << GMAP_PAGE_SHIFT, NULL);
}

static bool range_escaped(const void *ctx, u64 gfn, u64 count)
{
	const struct gmap *g = ctx;
	unsigned i = gmap_escape_first_from(g, gfn << GMAP_PAGE_SHIFT);
	return i < gmap_escape_count(g) && gmap_escape_get(g, i)->gfn - gfn < count;
}

s64 measure_setup(struct vm *vm, u64 gpa, u64 bytes)
{
	/* The buffer belongs to the measurement open (and to a replay left
	 * pending, resumed from where it stopped in that buffer): it changes
	 * only between measurements, as the mode and escapes do. */
	if (vm->measuring || vm->replay_pending)
		return HC_EINVAL;
	if (bytes == 0 || bytes % sizeof(u64) || !is_aligned(gpa, sizeof(u64)))
		return HC_EINVAL;
	if (bytes > HC_TRACE_MAX_BYTES)
		return HC_E2BIG;
	enum gmap_err err = gmap_check_range(&vm->gmap, gpa, bytes, HC_TRACE_MAX_BYTES, false);
	if (err != GMAP_OK)
		return err == GMAP_ERR_TOO_LONG || err == GMAP_ERR_OVERFLOW ? HC_E2BIG : HC_EFAULT;
	vm->trace_gpa = gpa;
	vm->trace_entries = bytes / sizeof(u64);
	return HC_OK;
}

/* A guest segment stands for registers the guest loads; the model may trust
 * it only if the guest's own tables agree (DESIGN.md, "Trust"). Every leaf
 * of a segment up to 64 MiB is walked; above that, the walk steps by at
 * least 1/4096 of the segment, so at least 4096 pages spread over it are
 * checked (a leaf checked covers all its pages: it maps them linearly). */
static s64 verify_guest_seg(struct vm *vm)
{
	const struct direct_segment *seg = &vm->guest_seg;
	const u64 bytes = seg->limit - seg->base;
	const u64 stride =
	    bytes <= GSEG_VERIFY_ALL ? 0 : align_down(bytes / GSEG_VERIFY_SAMPLES, PAGE_SIZE_4K);
	u64 pages = 0;

	for (u64 gva = seg->base; gva < seg->limit; pages++) {
		u64 gpa, leaf;
		enum walk_status s = model_guest_translate(&vm->model, gva, &gpa, &leaf);
		if (s != WALK_OK || gpa != gva + seg->offset) {
			char why[96];
			if (s != WALK_OK)
				fmt_snprintf(why, sizeof(why), "%s", walk_status_str(s));
			else
				fmt_snprintf(why, sizeof(why), "the tables map it to gPA 0x%llx",
				             gpa);
			con_printf(
			    "measure: guest segment refused: gVA 0x%llx should be gPA 0x%llx, but "
			    "%s\n",
			    gva, gva + seg->offset, why);
			return HC_EMISMATCH;
		}
		u64 next = align_down(gva, leaf) + leaf;
		if (next < gva + stride)
			next = gva + stride;
		if (next <= gva) /* the top of the address space */
			break;
		gva = next;
	}
	con_printf(
	    "measure: guest segment [0x%llx, 0x%llx) matches the guest's tables (%llu walks, "
	    "%s)\n",
	    seg->base, seg->limit, pages, stride ? "sampled" : "every leaf");
	return HC_OK;
}

/* The model's answer checked against the hypervisor's own: the guest's
 * tables give the gPA, the guest memory map (with its escapes) the hPA, for
 * one access in HPA_CHECK_EVERY. A
 * segment or a cached entry that disagrees is a model bug, counted and
 * reported (hpa_checks, hpa_mismatches), the first one by address. */
static void check_hpa(struct vm *vm, u64 gva, u64 model_hpa)
{
	u64 gpa, leaf, hpa;

	vm->hpa_checks++;
	/* A segment can answer where the guest's own tables do not map the gVA:
	 * that is a mismatch too. */
	enum walk_status s = model_guest_translate(&vm->model, gva, &gpa, &leaf);
	if (s == WALK_OK) {
		if (!gmap_lookup(&vm->gmap, gpa, &hpa)) /* honours escapes */
			hpa = ~0ULL;
		if (hpa == model_hpa)
			return;
	}
	if (vm->hpa_mismatches++ != 0)
		return;
	if (s != WALK_OK)
		con_printf(
		    "measure: the model translated gVA 0x%llx to hPA 0x%llx, but the guest's "
		    "tables do not map it: %s\n",
		    gva, model_hpa, walk_status_str(s));
	else
		con_printf("measure: the model translated gVA 0x%llx to hPA 0x%llx, the memory map "
		           "says 0x%llx (gPA 0x%llx)\n",
		           gva, model_hpa, hpa, gpa);
}

void measure_walk_config(struct vm *vm, struct walk_config *out)
{
	struct walk_config c = {
	    .mode = (enum hv_mode)vm->mode,
	    .guest_cr3 = vcpu_arch_cr3(&vm->vcpu),
	    .nested_root = vm->ept.root,
	    .nested_format = vm->vcpu.ops->nested_format,
	    .pwc = vm->params.pwc,
	    .nested_tlb = vm->params.ntlb,
	    .nested_pwc = vm->params.npwc,
	    .seg_fill = vm->params.seg_fill,
	};
	if (mode_has_guest_seg(vm->mode))
		c.guest_seg = vm->guest_seg;
	if (mode_has_vmm_seg(vm->mode)) {
		c.vmm_seg = vm->vmm_seg;
		c.escape = &vm->escape;
		c.is_escaped = is_escaped;
		c.range_escaped = range_escaped;
		c.is_escaped_ctx = &vm->gmap;
	}
	*out = c;
}

static s64 measure_begin(struct vm *vm, u32 workload)
{
	struct walk_config c;
	measure_walk_config(vm, &c);
	const struct tlb_config *tlb = vm->params.tlb;
	enum walk_err err = tlb ? model_init(&vm->model, &c, tlb) : WALK_ERR_TLB_CONFIG;
	if (err != WALK_ERR_NONE) {
		con_printf("measure: the walk model refused its configuration: %s\n",
		           tlb ? walk_err_str(err) : "no such TLB preset");
		return HC_EINVAL;
	}
	if (mode_has_guest_seg(vm->mode)) {
		s64 v = verify_guest_seg(vm);
		if (v != HC_OK)
			return v;
	}
	vm->measuring = true;
	vm->measure_workload = workload;
	pmu_start(pmu_current());
	vm->hpa_checks = vm->hpa_mismatches = 0;
	if (vm->params.trace == VM_TRACE_EPT && vm->params.trace_span == VM_TRACE_SPAN_WORKLOADS)
		etrace_begin(vm, hv_workload_name(workload));
	return HC_OK;
}

/* Fixed-point x1000 as a decimal with three places. */
static void fmt_milli(char *buf, size_t n, u64 x1000)
{
	fmt_snprintf(buf, n, "%llu.%03llu", x1000 / 1000, x1000 % 1000);
}

void measure_print_model(struct vm *vm, const char *workload, const struct walk_counters *c,
                         u64 hpa_checks, u64 hpa_mismatches, const char *tail)
{
	static const char *const fill_names[] = {"none", "l1", "l2", "both"};
	const struct vm_params *p = &vm->params;
	struct walk_per_walk pw = walk_per_walk(c);
	char rpw[24], gpw[24], npw[24], rpk[24], bpm[24];
	fmt_milli(rpw, sizeof(rpw), pw.refs_x1000);
	fmt_milli(gpw, sizeof(gpw), pw.guest_refs_x1000);
	fmt_milli(npw, sizeof(npw), pw.nested_refs_x1000);
	fmt_milli(rpk, sizeof(rpk), pw.refs_per_kaccess_x1000);
	fmt_milli(bpm, sizeof(bpm), pw.checks_per_miss_x1000);
	con_printf(
	    "RESULT workload=%s mode=%s source=model accesses=%llu tlb_hits_l1=%llu l1_misses=%llu "
	    "tlb_hits_l2=%llu tlb_misses=%llu seg_served=%llu walks=%llu cache_served=%llu "
	    "guest_refs=%llu nested_refs=%llu refs_per_walk=%s guest_refs_per_walk=%s "
	    "nested_refs_per_walk=%s refs_per_kaccess=%s bb_checks=%llu bb_per_walk=%s "
	    "gseg_hits=%llu vseg_hits=%llu esc_checks=%llu esc_hits=%llu esc_fp=%llu faults=%llu "
	    "pwc_hits=%llu ntlb_hits=%llu npwc_hits=%llu guest_leaf_4k=%llu guest_leaf_2m=%llu "
	    "guest_leaf_1g=%llu tlb=%s pwc=%s ntlb=%s npwc=%s seg_fill=%s ept_leaves_4k=%llu "
	    "ept_leaves_2m=%llu ept_leaves_1g=%llu hpa_checks=%llu hpa_mismatches=%llu%s\n",
	    workload, hv_mode_name(vm->mode), c->accesses, c->tlb_hits_l1, c->l1_misses,
	    c->tlb_hits_l2, c->tlb_misses, c->seg_served, c->walks, c->cache_served, c->guest_refs,
	    c->nested_refs, rpw, gpw, npw, rpk, c->bb_checks, bpm, c->gseg_hits, c->vseg_hits,
	    c->esc_checks, c->esc_hits, c->esc_false_pos, c->faults, c->pwc_hits, c->ntlb_hits,
	    c->npwc_hits, c->guest_leaf[TLB_PAGE_4K], c->guest_leaf[TLB_PAGE_2M],
	    c->guest_leaf[TLB_PAGE_1G], p->tlb->name, p->pwc ? "on" : "off", p->ntlb ? "on" : "off",
	    p->npwc ? "on" : "off", NAME_IN(fill_names, p->seg_fill, "?"),
	    vm->ept.leaves[NESTED_LEAF_4K], vm->ept.leaves[NESTED_LEAF_2M],
	    vm->ept.leaves[NESTED_LEAF_1G], hpa_checks, hpa_mismatches, tail);
}

static void measure_end(struct vm *vm)
{
	measure_print_model(vm, hv_workload_name(vm->measure_workload), &vm->model.count,
	                    vm->hpa_checks, vm->hpa_mismatches, "");
	struct pmu *pmu = pmu_current();
	pmu_sample(pmu);
	pmu_stop(pmu);
	if (pmu->active) {
		char counts[PMU_MAX_EVENTS * 64], walks[24] = "n/a";
		u64 w;
		pmu_format_counts(pmu, counts, sizeof(counts));
		if (pmu_data_walks(pmu, &w))
			fmt_snprintf(walks, sizeof(walks), "%llu", w);
		/* DESIGN.md's keys: tlb_misses= is the data-side walks the CPU
		 * counted; the others have no PMU counterpart here (the traced
		 * accesses, references per walk, base-bound checks, segment and
		 * escape-filter counts exist only in the model): n/a. */
		con_printf("RESULT workload=%s mode=%s source=pmu accesses=n/a tlb_misses=%s "
		           "guest_refs=n/a nested_refs=n/a refs_per_walk=n/a bb_checks=n/a "
		           "bb_per_walk=n/a gseg_hits=n/a vseg_hits=n/a esc_checks=n/a "
		           "esc_hits=n/a esc_fp=n/a pmu=%s counting=guest-only "
		           "window=begin-to-end unit=events %s\n",
		           hv_workload_name(vm->measure_workload), hv_mode_name(vm->mode), walks,
		           pmu->uarch->name, counts);
	}
	if (vm->etrace.active && vm->params.trace_span == VM_TRACE_SPAN_WORKLOADS)
		etrace_end(vm, &vm->model.count);
	if (mode_has_vmm_seg(vm->mode)) {
		vm->vmm_seg_measurements++;
		vm->esc_hits_total += vm->model.count.esc_hits;
	}
	vm->measuring = false;
}

/* One step of HC_TRACE_REPLAY: at most HC_TRACE_STEP entries, then either
 * the call is complete or *rdx says that the same VMCALL resumes
 * (lib/hvcall.h) and VM_HC_RESUME tells the exit handler not to advance RIP.
 * Where the replay stopped is the hypervisor's own state; every step checks
 * the guest's registers again against it, so nothing the guest holds
 * between steps is trusted beyond what the hypervisor recorded. */
static u64 replay_seq(u64 done)
{
	return (done / HC_TRACE_STEP) & TRACE_SEQ_MASK;
}

s64 measure_replay(struct vm *vm, u64 count, u64 workload, u64 rdx, u64 *out)
{
	const u64 flags = rdx & TRACE_FLAGS;
	const bool resumed = rdx & TRACE_RESUME;
	const u64 seq = (rdx >> TRACE_SEQ_SHIFT) & TRACE_SEQ_MASK;
	const u64 known = TRACE_FLAGS | TRACE_RESUME | (u64)TRACE_SEQ_MASK << TRACE_SEQ_SHIFT;
	u64 done = 0;
	if ((rdx & ~known) || (!resumed && seq))
		return HC_EINVAL;
	if (!resumed)
		vm->replay_pending = false; /* a fresh call abandons a pending one */
	if (!vm->trace_entries)
		return HC_ENODEV;
	if (count > vm->trace_entries)
		return HC_E2BIG;
	if (workload >= WL_COUNT)
		return HC_EINVAL;
	if (resumed) {
		if (!vm->replay_pending || seq != replay_seq(vm->replay_done) ||
		    count != vm->replay_count || flags != vm->replay_flags || !vm->measuring ||
		    workload != vm->measure_workload)
			return HC_EINVAL;
		done = vm->replay_done;
	} else if (flags & TRACE_BEGIN) {
		s64 err = measure_begin(vm, (u32)workload);
		if (err)
			return err;
	} else if (!vm->measuring || workload != vm->measure_workload) {
		return HC_EINVAL;
	}
	vm->replay_pending = false;
	pmu_sample(pmu_current()); /* bounds the time between samples (overflow) */
	const u64 stop = count - done > HC_TRACE_STEP ? done + HC_TRACE_STEP : count;
	const u64 t0 = tsc_read();
	while (done < stop) {
		u64 n = stop - done;
		if (n > ARRAY_SIZE(vm->trace_buf))
			n = ARRAY_SIZE(vm->trace_buf);
		if (!vm_copy_from_guest(vm, vm->trace_buf, vm->trace_gpa + done * sizeof(u64),
		                        n * sizeof(u64)))
			return HC_EFAULT;
		for (u64 i = 0; i < n; i++) {
			u64 hpa;
			enum walk_status ws = model_access(&vm->model, vm->trace_buf[i], &hpa);
			/* Faults are counted; the first of a measurement is also named. */
			if (ws != WALK_OK && vm->model.count.faults == 1)
				con_printf("measure: gVA 0x%llx: %s\n", vm->trace_buf[i],
				           walk_status_str(ws));
			if (ws == WALK_OK && (done + i) % HPA_CHECK_EVERY == 0)
				check_hpa(vm, vm->trace_buf[i], hpa);
		}
		done += n;
	}
	const u64 cycles = tsc_read() - t0; /* the model's work, without console output */
	if (cycles > vm->replay_step_max_cycles)
		vm->replay_step_max_cycles = cycles;
	if (done < count) {
		vm->replay_pending = true;
		vm->replay_done = done;
		vm->replay_count = count;
		vm->replay_flags = (u32)flags;
		vm->replay_steps++;
		*out = flags | TRACE_RESUME | replay_seq(done) << TRACE_SEQ_SHIFT;
		return VM_HC_RESUME;
	}
	if (flags & TRACE_END)
		measure_end(vm);
	return HC_OK;
}
