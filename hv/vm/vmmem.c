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

s64 vmmem_balloon_out(struct vm *vm, u64 list, u64 count, u64 *out)
{
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

s64 vmmem_hotadd(struct vm *vm, u64 range_gpa, u64 *out)
{
	struct hv_mem_range r;
	if (gmap_check_range(&vm->gmap, range_gpa, sizeof(r), sizeof(r), true) != GMAP_OK)
		return HC_EFAULT;
	if (vm->measuring)
		return HC_EINVAL;
	u64 hpa = 0;
	/* Above the I/O hole when there is one, so that the range is one segment. */
	enum balloon_err err =
	    balloon_hotadd(&vm->balloon, &vm->gmap, vm->fa, vm->io_hole.hi, &r, &hpa);
	if (err != BALLOON_OK) {
		con_printf("hot-add: refused: %s, nothing changed\n", balloon_strerror(err));
		return balloon_hc_status(err);
	}
	con_printf("hot-add: gPA [0x%llx, 0x%llx) on hPA [0x%llx, 0x%llx), %llu pages\n", r.gpa,
	           r.gpa + r.bytes, hpa, hpa + r.bytes, r.bytes / PAGE_SIZE_4K);
	/* The guest builds its segment here: the VMM segment goes with it, one offset over the
	 * new host run, so that dual-direct composes the two. */
	segment_set(&vm->vmm_seg, r.gpa, r.gpa + r.bytes, hpa - r.gpa);
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
	con_printf("RESULT kind=balloon source=hypervisor pages_returned=%llu pages_hotadded=%llu "
	           "pages_taken_back=%llu pages_pending=%llu hotadds=%u hotadd_gpa=0x%llx "
	           "hotadd_bytes=%llu hotadd_hpa=0x%llx ram_bytes=%llu regions=%u layout=%s\n",
	           b->returned, b->hotadded, b->taken_back, b->pending, b->hotadds, b->last.gpa,
	           b->last.bytes, b->last_hpa, gmap_ram_bytes(&vm->gmap), gmap_count(&vm->gmap),
	           layout);
}
