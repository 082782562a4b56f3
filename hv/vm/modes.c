/* The direct-segment modes of DESIGN.md, realized on real structures: the
 * VMM segment covers all guest RAM (one contiguous host run) and is
 * realized in EPT with the largest leaves alignment and the CPU allow; the
 * guest segment is declared by the guest; pages whose host frames have
 * hard faults escape to alternate frames through 4 KiB EPT entries, and the
 * escape filter lets the walk model send them through paging. */
#include "lib/x86/paging.h"
#include "hv/mem/phys.h"
#include "hv/vm/vm.h"
#include "lib/bits.h"
#include "lib/console.h"
#include "lib/mem.h"

/* EPT leaves for a mode: a VMM segment (and the native reference, whose
 * nested table the model ignores) gets the largest the CPU has; paging
 * modes get what ept_page= asked for. */
static u64 mode_ept_page(const struct vm *vm, u32 mode)
{
	return mode_has_vmm_seg(mode) || mode == MODE_NATIVE ? vm->cpu_max_page : vm->ept_max_page;
}

int dseg_rebuild(struct vm *vm)
{
	return vm_build_nested(vm, mode_ept_page(vm, vm->mode));
}

int dseg_set_mode(struct vm *vm, u32 mode)
{
	/* A VMM segment over scattered guest RAM needs compaction first (at creation: no
	 * guest runs yet, so it runs to the end; it sets the mode itself). */
	if (mode_has_vmm_seg(mode) && !vm->ram_contiguous)
		return vm_compact_now(vm, mode);
	if (vm_build_nested(vm, mode_ept_page(vm, mode)))
		return -1;
	vm->mode = mode;
	vm->mode_switches++;
	if (mode_has_vmm_seg(mode))
		con_printf("mode: %s: VMM segment gPA [0x%llx, 0x%llx) -> hPA +0x%llx\n",
		           hv_mode_name(mode), vm->vmm_seg.base, vm->vmm_seg.limit,
		           vm->vmm_seg.offset);
	else
		con_printf("mode: %s\n", hv_mode_name(mode));
	return 0;
}

s64 dseg_set_mode_step(struct vm *vm, u32 mode, u64 rdx, u64 *out)
{
	if (mode_has_vmm_seg(mode) && (!vm->ram_contiguous || vm->compacting))
		return vm_compact_step(vm, mode, rdx, out);
	return dseg_set_mode(vm, mode) ? HC_ENOMEM : HC_OK;
}

/* The guest's segment stands for the guest segment registers: it must map
 * canonical, page-aligned gVAs onto guest RAM, with nothing wrapping. */
s64 dseg_declare_guest_seg(struct vm *vm, u64 base, u64 limit, u64 offset)
{
	if (base == 0 && limit == 0 && offset == 0) {
		segment_disable(&vm->guest_seg);
		return HC_OK;
	}
	if (base >= limit || !is_aligned(base | limit | offset, PAGE_SIZE_4K))
		return HC_EINVAL;
	if (!va_is_canonical(base) || !va_is_canonical(limit - 1))
		return HC_EINVAL;
	/* base + offset may wrap modulo 2^64 (an upper-half segment over low
	 * RAM): what matters is the gPA range, which gmap_check_range checks. */
	u64 gpa = base + offset;
	enum gmap_err err = gmap_check_range(&vm->gmap, gpa, limit - base, limit - base, true);
	if (err != GMAP_OK)
		return HC_EFAULT;
	enum segment_err serr = segment_set(&vm->guest_seg, base, limit, offset);
	if (serr != SEGMENT_OK) {
		con_printf("guest segment: refused: %s\n", segment_err_str(serr));
		return HC_EINVAL;
	}
	con_printf("guest segment: gVA [0x%llx, 0x%llx) -> gPA [0x%llx, 0x%llx)\n", base, limit,
	           gpa, gpa + (limit - base));
	return HC_OK;
}

/* Moves the guest page at gpa off its (bad) host frame: copy to a fresh
 * frame, poison the bad one, record the escape in the memory map and the
 * filter, and (when asked) regenerate the EPT so the page gets its own
 * 4 KiB entry. */
int dseg_escape_gpa(struct vm *vm, u64 gpa, bool rebuild)
{
	u64 bad, alt;
	gpa = align_down(gpa, PAGE_SIZE_4K);
	if (!gmap_lookup(&vm->gmap, gpa, &bad) || vm->bad_frames >= ARRAY_SIZE(vm->bad_hpa))
		return HC_EINVAL;
	if (gmap_is_escaped(&vm->gmap, gpa, NULL))
		return HC_EINVAL;
	if (frame_alloc(vm->fa, &alt) != FRAME_OK)
		return HC_ENOMEM;
	memcpy(phys_to_virt(alt), phys_to_virt(bad), PAGE_SIZE_4K);
	enum gmap_err err = gmap_escape_page(&vm->gmap, gpa, alt);
	if (err != GMAP_OK) {
		frame_free(vm->fa, alt);
		con_printf("escape: gPA 0x%llx: %s\n", gpa, gmap_strerror(err));
		return HC_EINVAL;
	}
	/* The nested table must follow before the bad frame is given up: if it
	 * cannot be rebuilt, the escape is undone and the guest keeps its data. */
	if (rebuild && vm_build_nested(vm, mode_ept_page(vm, vm->mode))) {
		gmap_unescape_page(&vm->gmap, gpa);
		frame_free(vm->fa, alt);
		return HC_ENOMEM;
	}
	u64 *p = phys_to_virt(bad);
	for (unsigned i = 0; i < PAGE_SIZE_4K / sizeof(u64); i++)
		p[i] = VM_BAD_POISON;
	vm->bad_hpa[vm->bad_frames++] = bad;
	bloom_add(&vm->escape, gpa >> GMAP_PAGE_SHIFT);
	con_printf(
	    "escape: gPA 0x%llx: bad hPA 0x%llx -> alternate hPA 0x%llx (nested entry split to "
	    "4K)\n",
	    gpa, bad, alt);
	return HC_OK;
}

/* badpages=: frames inside guest RAM escape; others are kept from use. */
int dseg_apply_badpages(struct vm *vm)
{
	const struct opt_u64_list *l = &vm->params.badpages;
	for (u32 i = 0; i < l->count; i++) {
		u64 hpa = align_down(l->v[i], PAGE_SIZE_4K), gpa;
		if (gmap_gpa_of_hpa(&vm->gmap, hpa, &gpa)) {
			if (dseg_escape_gpa(vm, gpa, false) != HC_OK)
				return -1;
			continue;
		}
		enum frame_err err = frame_claim(vm->fa, hpa, 1);
		con_printf("badpages: hPA 0x%llx is outside guest RAM: %s\n", hpa,
		           err == FRAME_OK ? "kept out of use" : frame_strerror(err));
	}
	return 0;
}

unsigned dseg_check_bad_frames(const struct vm *vm)
{
	unsigned touched = 0;
	for (unsigned f = 0; f < vm->bad_frames; f++) {
		const u64 *p = phys_to_virt(vm->bad_hpa[f]);
		for (unsigned i = 0; i < PAGE_SIZE_4K / 8; i++) {
			if (p[i] != VM_BAD_POISON) {
				touched++;
				break;
			}
		}
	}
	return touched;
}
