/* Page sharing and VMM swapping as the VM sees them (hv/mem/share.h, hv/mem/swap.h): the
 * hypercalls that drive them, the nested-fault hook that serves copy on write and fault-in, the
 * hook that keeps them across a rebuild of the nested table, the hypervisor's own accesses to
 * guest memory, and RESULT kind=share / kind=swap.
 *
 * In a mode with a VMM segment (vmm-direct, dual-direct) the segment cannot express a read-only
 * or an absent page: each shared or swapped page goes into the escape filter, so that its
 * translations take the paging path through its 4 KiB nested leaf (DESIGN.md "What the modes
 * cost a VMM"); the filter cannot forget, so a page that leaves sharing stays a hit (a false
 * positive from then on). The mode cannot change while pages are shared or out (HC_SET_MODE is
 * refused), nor can the memory map (ballooning, hot-add). */
#include "hv/vm/vm.h"
#include "hv/mem/phys.h"
#include "lib/bits.h"
#include "lib/console.h"
#include "lib/fmt.h"
#include "lib/hash.h"
#include "lib/mem.h"

#define PAGE_WORDS (PAGE_SIZE_4K / sizeof(u64))
#define PPM        1000000ULL /* parts per million */

static u64 alloc_frame(void *ctx)
{
	u64 pa;
	return frame_alloc(ctx, &pa) == FRAME_OK ? pa : 0;
}

static void free_frame(void *ctx, u64 pa)
{
	frame_free(ctx, pa);
}

static struct vmmpage_env env_of(struct vm *vm, struct nested_alloc *na)
{
	*na = (struct nested_alloc){alloc_frame, free_frame, vm->fa};
	return (struct vmmpage_env){
	    .g = &vm->gmap,
	    .fa = vm->fa,
	    .fmt = (enum nested_format)vm->vcpu.ops->nested_format,
	    .root = vm->ept.root,
	    .na = na,
	    .table_pages = &vm->ept.table_pages,
	};
}

/* The nested TLBs drop what they cached of the changed leaves (the backends invalidate on a
 * root write: INVEPT, SDM Vol. 3C 29.4.3.1; the VMCB TLB control, APM Vol. 2 15.16.1). */
static void invalidate(struct vm *vm)
{
	etrace_abandon(vm, "pages were shared or swapped while it ran");
	vcpu_arch_set_nested_root(&vm->vcpu, vm->ept.root);
}

bool vmfeat_busy(const struct vm *vm)
{
	return share_count(&vm->share) || swap_count(&vm->swap) || vm->share.scanning;
}

/* Escaped pages of the memory map are in the filter whatever the mode (as dseg_escape_gpa
 * does); shared and swapped ones only while a VMM segment is in use. */
static void escape_new(struct vm *vm, unsigned old_escapes)
{
	if (gmap_escape_count(&vm->gmap) > old_escapes)
		vm->vmmfeat_map_escapes += gmap_escape_count(&vm->gmap) - old_escapes;
	for (unsigned i = 0; i < gmap_escape_count(&vm->gmap); i++)
		if (i >= old_escapes || !bloom_test(&vm->escape, vm->gmap.esc[i].gfn))
			bloom_add(&vm->escape, vm->gmap.esc[i].gfn);
}

/* Adds a shared or swapped page to the filter, remembering it among the distinct ones. */
static void escape_page(struct vm *vm, u64 gfn)
{
	bloom_add(&vm->escape, gfn);
	unsigned lo = 0, hi = vm->vmmfeat_filter_count;
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		if (vm->vmmfeat_filter_gfn[mid] < gfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < vm->vmmfeat_filter_count && vm->vmmfeat_filter_gfn[lo] == gfn)
		return;
	if (vm->vmmfeat_filter_count == VM_FILTER_PAGES) {
		vm->vmmfeat_filter_capped = true;
		return;
	}
	memmove(&vm->vmmfeat_filter_gfn[lo + 1], &vm->vmmfeat_filter_gfn[lo],
	        (vm->vmmfeat_filter_count - lo) * sizeof(u64));
	vm->vmmfeat_filter_gfn[lo] = gfn;
	vm->vmmfeat_filter_count++;
}

static void escape_overlay(struct vm *vm)
{
	if (!mode_has_vmm_seg(vm->mode))
		return;
	for (unsigned i = 0; i < vm->share.count; i++)
		escape_page(vm, vm->share.p[i].gfn);
	for (unsigned i = 0; i < SWAP_STORE_PAGES; i++)
		if (vm->swap.slot[i].gfn)
			escape_page(vm, vm->swap.slot[i].gfn - 1);
	u64 n = share_count(&vm->share) + swap_count(&vm->swap);
	if (n > vm->vmmfeat_escaped_max)
		vm->vmmfeat_escaped_max = n;
}

int vmfeat_after_build(struct vm *vm)
{
	if (!share_count(&vm->share) && !swap_count(&vm->swap))
		return 0;
	struct nested_alloc na;
	const struct vmmpage_env env = env_of(vm, &na);
	enum share_err serr = share_apply(&vm->share, &env);
	enum swap_err werr = serr == SHARE_OK ? swap_apply(&vm->swap, &env) : SWAP_OK;
	if (serr != SHARE_OK || werr != SWAP_OK) {
		con_printf("FAIL: vmm-pages: shared or swapped pages lost across a rebuild: %s\n",
		           serr != SHARE_OK ? share_strerror(serr) : swap_strerror(werr));
		return -1;
	}
	escape_overlay(vm);
	return 0;
}

/* Takes the page out of sharing or back from the store. */
static bool settle(struct vm *vm, u64 gpa, bool write, const char *why)
{
	const u64 gfn = gpa >> GMAP_PAGE_SHIFT;
	const bool out = swap_is_out(&vm->swap, gfn),
	           shared = share_frame_of(&vm->share, gfn, NULL);
	if (!out && !(shared && write))
		return false;
	struct nested_alloc na;
	const struct vmmpage_env env = env_of(vm, &na);
	const unsigned old_escapes = gmap_escape_count(&vm->gmap);
	const char *err = NULL;
	if (out) {
		enum swap_err e = swap_in(&vm->swap, &env, gpa);
		err = e == SWAP_OK ? NULL : swap_strerror(e);
	} else {
		enum share_err e = share_cow(&vm->share, &env, gpa);
		err = e == SHARE_OK ? NULL : share_strerror(e);
	}
	escape_new(vm, old_escapes);
	invalidate(vm);
	if (err)
		vm_stop(vm, "%s of gPA 0x%llx: %s: %s", out ? "swap-in" : "copy on write", gpa, why,
		        err);
	return true;
}

bool vmfeat_nested_fault(struct vm *vm, u64 gpa, bool write)
{
	return settle(vm, gpa, write, "guest access");
}

bool vmfeat_prepare(struct vm *vm, u64 gpa)
{
	const u64 gfn = gpa >> GMAP_PAGE_SHIFT;
	if (share_frame_of(&vm->share, gfn, NULL) || swap_is_out(&vm->swap, gfn))
		settle(vm, gpa, true, "hypervisor access");
	return vm->state != VM_STOPPED;
}

/* The frame behind a guest page as the guest sees it now, without changing anything. */
static u64 view_frame(const struct vm *vm, u64 gpa)
{
	const u64 gfn = gpa >> GMAP_PAGE_SHIFT;
	u64 hpa = 0;
	if (share_frame_of(&vm->share, gfn, &hpa) || swap_slot_of(&vm->swap, gfn, &hpa))
		return hpa;
	gmap_lookup(&vm->gmap, gpa, &hpa);
	return align_down(hpa, PAGE_SIZE_4K);
}

int vmfeat_resolve(struct vm *vm, u64 gpa, bool write, u64 *hpa)
{
	const u64 gfn = gpa >> GMAP_PAGE_SHIFT;
	if (!share_frame_of(&vm->share, gfn, NULL) && !swap_is_out(&vm->swap, gfn))
		return 0;
	if (write)
		return vmfeat_prepare(vm, gpa) ? 0 : -1;
	*hpa = view_frame(vm, gpa) + (gpa & (PAGE_SIZE_4K - 1));
	return 1;
}

/* HC_VMM_HASH: hash_words over [gpa, gpa + bytes) as the guest reads it. */
s64 vmfeat_hash(struct vm *vm, u64 gpa, u64 bytes, u64 *out)
{
	if (bytes == 0 || !is_aligned(gpa | bytes, PAGE_SIZE_4K))
		return HC_EINVAL;
	if (bytes > HC_VMM_HASH_MAX)
		return HC_E2BIG;
	if (gmap_check_range(&vm->gmap, gpa, bytes, HC_VMM_HASH_MAX, false) != GMAP_OK)
		return HC_EFAULT;
	u64 h = HASH_WORDS_INIT;
	for (u64 off = 0; off < bytes; off += PAGE_SIZE_4K)
		h = hash_words(h, phys_to_virt(view_frame(vm, gpa + off)), PAGE_WORDS);
	*out = h;
	vm->vmmfeat_hashes++;
	return HC_OK;
}

static bool skip_swapped(const void *ctx, u64 gfn)
{
	return swap_is_out(ctx, gfn);
}

/* HC_SHARE_SCAN, resumable as HC_TRACE_REPLAY is (lib/hvcall.h). */
s64 vmfeat_share_scan(struct vm *vm, u64 gpa, u64 bytes, u64 rdx, u64 *out)
{
	struct share *s = &vm->share;
	const bool resumed = rdx & HC_SHARE_RESUME;
	if (vm->measuring || vm->compacting)
		return HC_EINVAL;
	if (resumed) {
		if (!s->scanning || rdx != vm->share_rdx || gpa != vm->share_gpa ||
		    bytes != vm->share_bytes)
			return HC_EINVAL;
	} else {
		if (rdx)
			return HC_EINVAL;
		s->scanning = false; /* a fresh call abandons a pending one */
		if (bytes > HC_SHARE_MAX_BYTES)
			return HC_E2BIG;
		if (share_scan_begin(s, &vm->gmap, gpa, bytes) != SHARE_OK)
			return HC_EFAULT;
		vm->share_gpa = gpa;
		vm->share_bytes = bytes;
		vm->share_merged0 = s->pages_merged;
		vm->share_steps = 0;
	}
	struct nested_alloc na;
	const struct vmmpage_env env = env_of(vm, &na);
	bool done = false;
	const unsigned old_escapes = gmap_escape_count(&vm->gmap);
	enum share_err err = share_scan_step(s, &env, skip_swapped, &vm->swap, &done);
	escape_new(vm, old_escapes);
	escape_overlay(vm);
	invalidate(vm);
	if (err != SHARE_OK) {
		con_printf("share: scan stopped: %s\n", share_strerror(err));
		return HC_ENOMEM;
	}
	if (!done) {
		vm->share_steps++;
		vm->share_rdx = HC_SHARE_RESUME | (u64)(vm->share_steps & TRACE_SEQ_MASK)
		                                      << TRACE_SEQ_SHIFT;
		*out = vm->share_rdx;
		return VM_HC_RESUME;
	}
	*out = s->pages_merged - vm->share_merged0;
	return HC_OK;
}

s64 vmfeat_swap_out(struct vm *vm, u64 gpa, u64 pages, u64 *out)
{
	if (vm->measuring || vm->compacting || vm->share.scanning)
		return HC_EINVAL;
	if (pages == 0 || !is_aligned(gpa, PAGE_SIZE_4K))
		return HC_EINVAL;
	if (pages > SWAP_MAX_BATCH)
		return HC_E2BIG;
	if (gmap_check_range(&vm->gmap, gpa, pages * PAGE_SIZE_4K, SWAP_MAX_BATCH * PAGE_SIZE_4K,
	                     false) != GMAP_OK)
		return HC_EFAULT;
	struct nested_alloc na;
	const struct vmmpage_env env = env_of(vm, &na);
	u64 evicted = 0;
	enum swap_err err = swap_out(&vm->swap, &vm->share, &env, gpa, pages, &evicted);
	escape_overlay(vm);
	invalidate(vm);
	*out = evicted;
	if (err != SWAP_OK) {
		con_printf("swap: eviction stopped after %llu pages: %s\n", evicted,
		           swap_strerror(err));
		return err == SWAP_ERR_FULL || err == SWAP_ERR_NO_MEMORY ? HC_ENOMEM : HC_EINVAL;
	}
	return HC_OK;
}

static bool model_escaped(const void *ctx, u64 gfn)
{
	const struct vm *vm = ctx;
	return gmap_is_escaped(&vm->gmap, gfn << GMAP_PAGE_SHIFT, NULL) ||
	       share_frame_of(&vm->share, gfn, NULL) || swap_is_out(&vm->swap, gfn);
}

static bool model_range_escaped(const void *ctx, u64 gfn, u64 count)
{
	const struct vm *vm = ctx;
	for (unsigned i = 0; i < gmap_escape_count(&vm->gmap); i++)
		if (vm->gmap.esc[i].gfn - gfn < count)
			return true;
	for (unsigned i = 0; i < vm->share.count; i++)
		if (vm->share.p[i].gfn - gfn < count)
			return true;
	for (unsigned i = 0; i < SWAP_STORE_PAGES; i++)
		if (vm->swap.slot[i].gfn && vm->swap.slot[i].gfn - 1 - gfn < count)
			return true;
	return false;
}

/* The walk model over one access per 4 KiB page of [gva, gva + bytes) in the current mode,
 * with the escape filter as it stands: its counters give refs per walk after the escapes. */
static s64 model_pass(struct vm *vm, u64 gva, u64 bytes)
{
	struct walk_config c = {
	    .mode = (enum hv_mode)vm->mode,
	    .guest_cr3 = vcpu_arch_cr3(&vm->vcpu),
	    .nested_root = vm->ept.root,
	    .nested_format = vm->vcpu.ops->nested_format,
	    .seg_fill = vm->params.seg_fill,
	};
	if (mode_has_guest_seg(vm->mode))
		c.guest_seg = vm->guest_seg;
	if (mode_has_vmm_seg(vm->mode)) {
		c.vmm_seg = vm->vmm_seg;
		c.escape = &vm->escape;
		c.is_escaped = model_escaped;
		c.range_escaped = model_range_escaped;
		c.is_escaped_ctx = vm;
	}
	const struct tlb_config *tlb = vm->params.tlb;
	enum walk_err err = tlb ? model_init(&vm->model, &c, tlb) : WALK_ERR_TLB_CONFIG;
	if (err != WALK_ERR_NONE) {
		con_printf("vmm-pages: the walk model refused its configuration: %s\n",
		           walk_err_str(err));
		return HC_EINVAL;
	}
	vm->vmmfeat_model_mismatches = 0;
	for (u64 off = 0; off < bytes; off += PAGE_SIZE_4K) {
		u64 hpa, gpa, leaf;
		if (model_access(&vm->model, gva + off, &hpa) != WALK_OK)
			continue;
		/* The model's hPA against the hypervisor's own view of the page. */
		if (model_guest_translate(&vm->model, gva + off, &gpa, &leaf) != WALK_OK ||
		    align_down(hpa, PAGE_SIZE_4K) != view_frame(vm, gpa))
			vm->vmmfeat_model_mismatches++;
	}
	return HC_OK;
}

static void fmt_milli(char *buf, size_t n, u64 x1000)
{
	fmt_snprintf(buf, n, "%llu.%03llu", x1000 / 1000, x1000 % 1000);
}

static void report(struct vm *vm, u64 kind)
{
	const struct share *s = &vm->share;
	const struct swap *w = &vm->swap;
	const struct walk_counters *c = &vm->model.count;
	const struct walk_per_walk pw = walk_per_walk(c);
	const bool seg = mode_has_vmm_seg(vm->mode);
	const u64 escaped = seg ? share_count(s) + swap_count(w) : 0;
	const u32 set = bloom_bits_set(&vm->escape);
	char rpw[24];
	fmt_milli(rpw, sizeof(rpw), pw.refs_x1000);
	/* Pages the filter holds: the memory map's escapes and every page sharing or swapping put
	 * there (it cannot forget one that came back). */
	const u64 held = gmap_escape_count(&vm->gmap) + vm->vmmfeat_filter_count;
	char filt[360];
	fmt_snprintf(filt, sizeof(filt),
	             "escaped=%llu escaped_max=%llu filter_pages=%llu%s filter_bits=%u "
	             "filter_bits_set=%u "
	             "filter_occupancy_ppm=%llu fp_rate_theory_ppm=%u fp_rate_model_ppm=%llu "
	             "esc_checks=%llu esc_hits=%llu esc_fp=%llu",
	             escaped, seg ? vm->vmmfeat_escaped_max : 0, held,
	             vm->vmmfeat_filter_capped ? "(capped)" : "", vm->escape.m_bits, set,
	             vm->escape.m_bits ? (u64)set * PPM / vm->escape.m_bits : 0,
	             held ? bloom_fp_ppm(vm->escape.m_bits, vm->escape.k, held) : 0,
	             c->esc_checks ? c->esc_false_pos * PPM / c->esc_checks : 0, c->esc_checks,
	             c->esc_hits, c->esc_false_pos);
	char model[200];
	fmt_snprintf(model, sizeof(model),
	             "model_accesses=%llu walks=%llu refs_per_walk=%s model_faults=%llu "
	             "hpa_mismatches=%llu",
	             c->accesses, c->walks, rpw, c->faults, vm->vmmfeat_model_mismatches);
	if (kind == HC_VMM_SHARE)
		con_printf("RESULT kind=share source=hypervisor mode=%s unit=4KiB-pages "
		           "pages_scanned=%llu pages_shared=%llu frames_freed=%llu "
		           "shared_now=%u frames_shared_now=%llu cow_faults=%llu "
		           "cow_frames_copied=%llu cow_reclaimed=%llu cow_escapes=%llu "
		           "hash_collisions=%llu share_full=%llu ram_hashes=%llu %s %s\n",
		           hv_mode_name(vm->mode), s->pages_scanned, s->pages_merged,
		           s->frames_freed, share_count(s), share_frames_in_use(s), s->cow_faults,
		           s->frames_copied, s->reclaimed, s->cow_escapes, s->hash_collisions,
		           s->full, vm->vmmfeat_hashes, filt, model);
	else
		con_printf("RESULT kind=swap source=hypervisor mode=%s unit=4KiB-pages "
		           "store=host-memory store_bytes=%llu pages_out=%llu pages_in=%llu "
		           "bytes_out=%llu bytes_in=%llu out_now=%u skipped=%llu "
		           "in_reclaimed=%llu in_escapes=%llu corrupt=%llu ram_hashes=%llu %s %s\n",
		           hv_mode_name(vm->mode), swap_store_frames(w) * PAGE_SIZE_4K,
		           w->pages_out, w->pages_in, w->bytes_out, w->bytes_in, swap_count(w),
		           w->skipped, w->reclaimed, w->escapes, w->corrupt, vm->vmmfeat_hashes,
		           filt, model);
}

/* HC_VMM_END: the figures of this mode, then every page back to normal. */
s64 vmfeat_end(struct vm *vm, u64 kind, u64 gva, u64 bytes)
{
	if (kind >= HC_VMM_KINDS)
		return HC_EINVAL;
	if (bytes == 0 || !is_aligned(gva | bytes, PAGE_SIZE_4K))
		return HC_EINVAL;
	if (bytes > HC_VMM_HASH_MAX)
		return HC_E2BIG;
	if (vm->measuring || vm->compacting)
		return HC_EINVAL;
	s64 st = model_pass(vm, gva, bytes);
	if (st)
		return st;
	report(vm, kind);
	struct nested_alloc na;
	const struct vmmpage_env env = env_of(vm, &na);
	const unsigned old_escapes = gmap_escape_count(&vm->gmap);
	enum share_err serr = share_unshare_all(&vm->share, &env);
	enum swap_err werr = swap_in_all(&vm->swap, &env);
	escape_new(vm, old_escapes);
	invalidate(vm);
	if (serr != SHARE_OK || werr != SWAP_OK) {
		vm_stop(vm, "vmm-pages: restoring: %s",
		        serr != SHARE_OK ? share_strerror(serr) : swap_strerror(werr));
		return HC_ENOMEM;
	}
	/* The next mode's figures start from zero; the store stays. */
	const u64 store = vm->swap.store_hpa;
	share_init(&vm->share);
	swap_init(&vm->swap);
	vm->swap.store_hpa = store;
	vm->vmmfeat_escaped_max = 0;
	vm->vmmfeat_hashes = 0;
	return HC_OK;
}
