/* Creating, running and reporting on the guest VM. */
#include "hv/vm/vm.h"

#include <stdarg.h>

#include "hv/mem/phys.h"
#include "lib/bits.h"
#include "lib/console.h"
#include "lib/fmt.h"
#include "lib/mem.h"

#define GUEST_LINE_PREFIX "[guest] "

static u64 nested_alloc_frame(void *ctx)
{
	u64 pa;
	return frame_alloc(ctx, &pa) == FRAME_OK ? pa : 0;
}

static void nested_free_frame(void *ctx, u64 pa)
{
	frame_free(ctx, pa);
}

/* Guest RAM from one contiguous run of host frames, aligned as well as the
 * allocator can (1 GiB, then 2 MiB) so that large EPT leaves fit. */
int vm_create(struct vm *vm, const struct vm_params *params, struct frame_alloc *fa,
              const struct vcpu_ops *ops, u64 cpu_max_page, bool ept_ad)
{
	memset(vm, 0, sizeof(*vm));
	vm->params = *params;
	const struct vm_params *cfg = &vm->params;
	vm->vcpu.ops = ops;
	vm->fa = fa;
	vm->mode = cfg->mode;
	vm->cpu_max_page = cpu_max_page;
	vm->vcpu.nested_ad = ept_ad;
	vm->vcpu.entry_test = cfg->entry_test;
	vm->vcpu.watchdog_ticks = cfg->watchdog;
	vm->ept_max_page = cfg->ept_page;
	if (vm->ept_max_page > cpu_max_page) {
		con_printf("ept: ept_page asks for %llu KiB leaves, more than this CPU supports; "
		           "using %llu KiB\n",
		           vm->ept_max_page / KiB, cpu_max_page / KiB);
		vm->ept_max_page = cpu_max_page;
	}
	gmap_init(&vm->gmap);

	u64 frames = cfg->guest_ram / PAGE_SIZE_4K;
	static const u64 aligns[] = {PAGE_SIZE_1G, PAGE_SIZE_2M, PAGE_SIZE_4K};
	enum frame_err ferr = FRAME_ERR_NO_MEMORY;
	if (cfg->guest_ram_at) {
		vm->ram_hpa = cfg->guest_ram_at;
		ferr = is_aligned(vm->ram_hpa, PAGE_SIZE_2M) ? frame_claim(fa, vm->ram_hpa, frames)
		                                             : FRAME_ERR_ALIGN;
		if (ferr != FRAME_OK) {
			con_printf(
			    "FAIL: guest-ram: guest_ram_at=0x%llx: %s (it must be 2 MiB-aligned "
			    "and free)\n",
			    vm->ram_hpa, frame_strerror(ferr));
			return -1;
		}
	}
	for (unsigned i = 0; i < ARRAY_SIZE(aligns) && ferr != FRAME_OK; i++)
		if (aligns[i] <= cfg->guest_ram)
			ferr = frame_alloc_run(fa, frames, aligns[i], &vm->ram_hpa);
	if (ferr != FRAME_OK) {
		con_printf("FAIL: guest-ram: no contiguous run of %llu MiB of host memory (%s; "
		           "largest free run %llu MiB)\n",
		           cfg->guest_ram / MiB, frame_strerror(ferr),
		           frame_largest_free_run(fa, PAGE_SIZE_4K) * PAGE_SIZE_4K / MiB);
		return -1;
	}
	enum gmap_err gerr =
	    gmap_add(&vm->gmap, 0, cfg->guest_ram, vm->ram_hpa, GMAP_RAM, GMAP_PERM_RWX);
	if (gerr != GMAP_OK) {
		con_printf("FAIL: guest-ram: %s\n", gmap_strerror(gerr));
		return -1;
	}
	memset(phys_to_virt(vm->ram_hpa), 0, cfg->guest_ram);
	con_printf("guest: RAM gPA [0x0, 0x%llx) at hPA [0x%llx, 0x%llx)\n", cfg->guest_ram,
	           vm->ram_hpa, vm->ram_hpa + cfg->guest_ram);

	/* The VMM segment: all of guest RAM, one base-bound check away. */
	segment_set(&vm->vmm_seg, 0, cfg->guest_ram, vm->ram_hpa);
	enum bloom_err berr = bloom_init(&vm->escape, cfg->bloom_bits, cfg->bloom_hashes);
	if (berr != BLOOM_OK) {
		con_printf("FAIL: escape-filter: %s\n", bloom_err_str(berr));
		return -1;
	}
	if (dseg_apply_badpages(vm))
		return -1;
	return dseg_set_mode(vm, cfg->mode);
}

/* (Re)generates the EPT from the guest memory map with leaves of at most
 * max_leaf bytes, loads it and frees the old one. */
int vm_build_nested(struct vm *vm, u64 max_leaf)
{
	const struct nested_alloc alloc = {nested_alloc_frame, nested_free_frame, vm->fa};
	u64 old_root = vm->ept.root;
	const struct nested_config cfg = {
	    .format = (enum nested_format)vm->vcpu.ops->nested_format,
	    .max_leaf = max_leaf,
	};
	struct nested_table t;
	enum nested_err err = nested_build(&vm->gmap, &cfg, &alloc, &t);
	if (err != NESTED_OK) {
		con_printf("FAIL: ept-build: %s\n", nested_strerror(err));
		return -1;
	}
	vm->ept = t;
	con_printf(
	    "nested (%s): root 0x%llx, %llu table pages, leaves: %llu x 1G, %llu x 2M, %llu x 4K "
	    "(largest allowed %llu KiB)\n",
	    cfg.format == NESTED_FORMAT_NPT ? "npt" : "ept", t.root, t.table_pages,
	    t.leaves[NESTED_LEAF_1G], t.leaves[NESTED_LEAF_2M], t.leaves[NESTED_LEAF_4K],
	    max_leaf / KiB);
	if (old_root) {
		vcpu_arch_set_nested_root(&vm->vcpu, t.root);
		nested_free(old_root, &alloc);
	}
	return 0;
}

void vm_stop(struct vm *vm, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fmt_vsnprintf(vm->stop_reason, sizeof(vm->stop_reason), fmt, ap);
	va_end(ap);
	vm->state = VM_STOPPED;
	con_printf("FAIL: guest-stopped: %s\n", vm->stop_reason);
	vcpu_arch_dump(&vm->vcpu);
}

static void line_flush(struct vm *vm)
{
	con_printf(GUEST_LINE_PREFIX "%.*s\n", (int)vm->line_len, vm->line);
	vm->line_len = 0;
}

void vm_console_putc(struct vm *vm, char c)
{
	if (c == '\r')
		return;
	if (c == '\n') {
		line_flush(vm);
		return;
	}
	if (vm->line_len == sizeof(vm->line))
		line_flush(vm);
	vm->line[vm->line_len++] = c;
}

static bool copy_guest(struct vm *vm, u64 gpa, void *buf, u64 len, bool to_guest)
{
	u8 *p = buf;
	while (len) {
		u64 hpa;
		if (!gmap_lookup(&vm->gmap, gpa, &hpa))
			return false;
		u64 chunk = PAGE_SIZE_4K - (gpa & (PAGE_SIZE_4K - 1));
		if (chunk > len)
			chunk = len;
		if (to_guest)
			memcpy(phys_to_virt(hpa), p, chunk);
		else
			memcpy(p, phys_to_virt(hpa), chunk);
		p += chunk;
		gpa += chunk;
		len -= chunk;
	}
	return true;
}

bool vm_copy_from_guest(struct vm *vm, void *dst, u64 gpa, u64 len)
{
	return copy_guest(vm, gpa, dst, len, false);
}

bool vm_copy_to_guest(struct vm *vm, u64 gpa, const void *src, u64 len)
{
	return copy_guest(vm, gpa, (void *)src, len, true);
}

void vm_run(struct vm *vm)
{
	struct vm_exit e;
	vm->state = VM_RUNNING;
	while (vm->state == VM_RUNNING) {
		if (vcpu_arch_run(&vm->vcpu, &e)) {
			vm_stop(vm, "VM entry failed");
			break;
		}
		vm_handle_exit(vm, &e);
	}
	if (vm->line_len)
		line_flush(vm);
}

/* One RESULT line of exit counts by reason (kind=exits), then the ports. */
void vm_report(struct vm *vm)
{
	char buf[768];
	int n = fmt_snprintf(buf, sizeof(buf), "RESULT kind=exits source=hypervisor total=%llu",
	                     vm->exits_total);
	for (unsigned r = 0; r < VCPU_MAX_RAW_EXIT; r++)
		if (vm->exits_by_raw[r] && n < (int)sizeof(buf))
			n += fmt_snprintf(buf + n, sizeof(buf) - n, " %s=%llu",
			                  vcpu_arch_exit_name(&vm->vcpu, r), vm->exits_by_raw[r]);
	con_printf("%s hypercalls=%llu hypercall_errors=%llu unknown_hypercalls=%llu "
	           "msr_refused=%llu\n",
	           buf, vm->hypercalls, vm->hypercall_errors, vm->unknown_hypercalls,
	           vm->msr_refused);
	for (unsigned i = 0; i < VM_PORT_SLOTS; i++)
		if (vm->ports[i].reads || vm->ports[i].writes)
			con_printf("guest: unclaimed port 0x%x: %llu reads (all-ones), %llu writes "
			           "(dropped)\n",
			           vm->ports[i].port, vm->ports[i].reads, vm->ports[i].writes);
	if (vm->ports_overflow)
		con_printf("guest: %llu more accesses to other unclaimed ports\n",
		           vm->ports_overflow);
}
