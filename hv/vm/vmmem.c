/* The memory features the guest drives by hypercall (lib/hvcall.h): ballooning out and back in,
 * hot-add, and the statistics; hv/mem/balloon.c does the work on the memory map, this file copies
 * the guest's lists in, names what it refused, regenerates the nested table and keeps the VMM
 * segment over the hot-added range (where the guest builds its segment). */
#include "hv/vm/vm.h"
#include "lib/console.h"
#include "lib/fmt.h"
#include "lib/mem.h"

/* The guest segment's gPA range, or none. */
static struct balloon_range gseg_range(const struct vm *vm)
{
	const struct direct_segment *s = &vm->guest_seg;
	if (!s->enabled)
		return (struct balloon_range){0, 0};
	return (struct balloon_range){s->base + s->offset, s->limit + s->offset};
}

/* Copies a balloon list in: its length is judged first, then its place. */
static s64 copy_list(struct vm *vm, u64 list, u64 count)
{
	if (count == 0)
		return HC_EINVAL;
	if (count > HC_BALLOON_MAX)
		return HC_E2BIG;
	const u64 bytes = count * sizeof(u64);
	if (gmap_check_range(&vm->gmap, list, bytes, sizeof(vm->mem_list), false) != GMAP_OK)
		return HC_EFAULT;
	return vm_copy_from_guest(vm, vm->mem_list, list, bytes) ? HC_OK : HC_EFAULT;
}

/* The memory map changed: the nested table must follow before the guest runs again. */
static s64 follow(struct vm *vm, const char *what)
{
	if (dseg_rebuild(vm) == 0)
		return HC_OK;
	vm_stop(vm, "%s: the nested table could not be regenerated", what);
	return HC_ENOMEM;
}

static s64 refused(const char *what, enum balloon_err err, unsigned bad, const u64 *ent)
{
	con_printf("%s: refused: entry %u (0x%llx): %s, nothing changed\n", what, bad, ent[bad],
	           balloon_strerror(err));
	return balloon_hc_status(err);
}

/* A hot-add under way is given up when the guest does anything else with its memory. */
static void hotadd_abandon(struct vm *vm, const char *why)
{
	struct balloon_hotadd_job *j = &vm->hotadd;
	if (!j->active)
		return;
	con_printf("hot-add: abandoned after %llu of %llu bytes zeroed (%s); nothing changed\n",
	           j->zeroed, j->bytes, why);
	balloon_hotadd_abort(vm->fa, j);
}

s64 vmmem_balloon_out(struct vm *vm, u64 list, u64 count, u64 *out)
{
	hotadd_abandon(vm, "HC_BALLOON_OUT");
	s64 st = copy_list(vm, list, count);
	if (st)
		return st;
	if (vm->measuring)
		return HC_EINVAL; /* the model holds the nested table of this measurement */
	u64 pages = 0;
	unsigned bad = 0;
	enum balloon_err err = balloon_out(&vm->balloon, &vm->gmap, vm->fa, vm->mem_list,
	                                   (unsigned)count, gseg_range(vm), &pages, &bad);
	if (err != BALLOON_OK)
		return refused("balloon-out", err, bad, vm->mem_list);
	*out = pages;
	return follow(vm, "balloon-out");
}

s64 vmmem_balloon_in(struct vm *vm, u64 list, u64 count, u64 *out)
{
	hotadd_abandon(vm, "HC_BALLOON_IN");
	s64 st = copy_list(vm, list, count);
	if (st)
		return st;
	if (vm->measuring)
		return HC_EINVAL;
	u64 pages = 0;
	unsigned bad = 0;
	enum balloon_err err = balloon_in(&vm->balloon, &vm->gmap, vm->fa, vm->mem_list,
	                                  (unsigned)count, vm->io_hole, &pages, &bad);
	if (err != BALLOON_OK)
		return refused("balloon-in", err, bad, vm->mem_list);
	*out = pages;
	return follow(vm, "balloon-in");
}

s64 vmmem_hotadd(struct vm *vm, u64 range_gpa, u64 rdx, u64 *out)
{
	struct hv_mem_range r;
	struct balloon_hotadd_job *j = &vm->hotadd;
	if (j->active && (rdx != j->steps || range_gpa != vm->hotadd_range))
		hotadd_abandon(vm, "a new HC_HOTADD");
	if (!j->active) {
		if (gmap_check_range(&vm->gmap, range_gpa, sizeof(r), sizeof(r), true) != GMAP_OK)
			return HC_EFAULT;
		if (vm->measuring)
			return HC_EINVAL;
		/* Above the I/O hole when there is one, so that the range is one segment. */
		enum balloon_err err =
		    balloon_hotadd_begin(&vm->balloon, &vm->gmap, vm->fa, vm->io_hole.hi, j);
		if (err != BALLOON_OK) {
			con_printf("hot-add: refused: %s, nothing changed\n",
			           balloon_strerror(err));
			return balloon_hc_status(err);
		}
		vm->hotadd_range = range_gpa;
	}
	/* Bounded work per exit: the new frames are zeroed VMMEM_HOTADD_STEP bytes at a time, the
	 * same VMCALL resuming with the steps done in RDX. */
	if (!balloon_hotadd_zero(j, VMMEM_HOTADD_STEP)) {
		*out = j->steps;
		return VM_HC_RESUME;
	}
	const u64 hpa = j->hpa;
	enum balloon_err err = balloon_hotadd_commit(&vm->balloon, &vm->gmap, vm->fa, j, &r);
	if (err != BALLOON_OK) {
		con_printf("hot-add: refused: %s, nothing changed\n", balloon_strerror(err));
		return balloon_hc_status(err);
	}
	con_printf("hot-add: gPA [0x%llx, 0x%llx) on hPA [0x%llx, 0x%llx), %llu pages\n", r.gpa,
	           r.gpa + r.bytes, hpa, hpa + r.bytes, r.bytes / PAGE_SIZE_4K);
	/* The guest builds its segment here: the VMM segment goes with it, one offset over the
	 * new host run, so that dual-direct composes the two. Above the PCI hole, when the range
	 * joined the RAM there on one host run, the VMM segment covers all of it: the guest has
	 * moved its memory from below the hole to make that one run. */
	u64 above_hpa;
	if (vm->io_hole.hi && gmap_ram_contiguous_from(&vm->gmap, vm->io_hole.hi, &above_hpa)) {
		const u64 top = gmap_ram_top(&vm->gmap);
		segment_set(&vm->vmm_seg, vm->io_hole.hi, top, above_hpa - vm->io_hole.hi);
		con_printf(
		    "hot-add: guest RAM above the PCI hole, gPA [0x%llx, 0x%llx), is one host "
		    "run at hPA 0x%llx: one VMM segment covers it\n",
		    vm->io_hole.hi, top, above_hpa);
	} else {
		segment_set(&vm->vmm_seg, r.gpa, r.gpa + r.bytes, hpa - r.gpa);
	}
	s64 st = follow(vm, "hot-add");
	if (st)
		return st;
	if (!vm_copy_to_guest(vm, range_gpa, &r, sizeof(r)))
		return HC_EFAULT;
	*out = r.gpa;
	return HC_OK;
}

s64 vmmem_stats(struct vm *vm, u64 gpa, u64 len)
{
	struct hv_mem_stats s;
	if (len < sizeof(s))
		return HC_EINVAL;
	if (gmap_check_range(&vm->gmap, gpa, sizeof(s), sizeof(s), true) != GMAP_OK)
		return HC_EFAULT;
	memset(&s, 0, sizeof(s));
	s.ram_bytes = gmap_ram_bytes(&vm->gmap);
	s.regions = gmap_count(&vm->gmap);
	s.ballooned_out = vm->balloon.returned;
	s.pending = vm->balloon.pending;
	s.hotadded = vm->balloon.hotadded;
	s.taken_back = vm->balloon.taken_back;
	s.escaped = gmap_escape_count(&vm->gmap);
	s.shared = share_count(&vm->share);
	s.cow_breaks = vm->share.cow_faults;
	s.swapped_out = swap_count(&vm->swap);
	s.swap_faults = vm->swap.pages_in;
	return vm_copy_to_guest(vm, gpa, &s, sizeof(s)) ? HC_OK : HC_EFAULT;
}

void vmmem_report(const struct vm *vm)
{
	const struct balloon *b = &vm->balloon;
	if (!b->returned && !b->hotadds)
		return;
	char layout[512];
	int n = 0;
	const struct gmap_region *r;
	layout[0] = 0;
	gmap_for_each_region (&vm->gmap, r)
		if (n < (int)sizeof(layout))
			n += fmt_snprintf(layout + n, sizeof(layout) - n, "%s0x%llx-0x%llx",
			                  n ? "," : "", r->gpa, gmap_region_end(r));
	const struct direct_segment *v = &vm->vmm_seg;
	/* Guest RAM the VMM segment does not cover: what goes through nested paging. */
	u64 in_seg = 0;
	gmap_for_each_region (&vm->gmap, r) {
		const u64 lo = r->gpa > v->base ? r->gpa : v->base;
		const u64 hi = gmap_region_end(r) < v->limit ? gmap_region_end(r) : v->limit;
		if (v->enabled && lo < hi)
			in_seg += hi - lo;
	}
	con_printf("RESULT kind=balloon source=hypervisor pages_returned=%llu pages_hotadded=%llu "
	           "pages_taken_back=%llu pages_pending=%llu hotadds=%u hotadd_gpa=0x%llx "
	           "hotadd_bytes=%llu hotadd_hpa=0x%llx ram_bytes=%llu regions=%u layout=%s "
	           "io_hole=0x%llx-0x%llx vmm_seg=0x%llx-0x%llx vmm_seg_bytes=%llu "
	           "ram_outside_vmm_seg=%llu\n",
	           b->returned, b->hotadded, b->taken_back, b->pending, b->hotadds, b->last.gpa,
	           b->last.bytes, b->last_hpa, gmap_ram_bytes(&vm->gmap), gmap_count(&vm->gmap),
	           layout, vm->io_hole.lo, vm->io_hole.hi, v->enabled ? v->base : 0,
	           v->enabled ? v->limit : 0, v->enabled ? v->limit - v->base : 0,
	           gmap_ram_bytes(&vm->gmap) - in_seg);
}
