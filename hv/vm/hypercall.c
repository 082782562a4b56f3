/* Hypercalls (DESIGN.md "Hypercalls", lib/hvcall.h): a constant table
 * indexed by call number. Every guest value is checked before use: pointers
 * against the guest memory map, lengths against their bounds. */
#include "hv/vm/vm.h"
#include "lib/console.h"
#include "lib/fmt.h"
#include "lib/mem.h"

typedef s64 (*hypercall_fn)(struct vm *vm, u64 a0, u64 a1, u64 a2, u64 *out);

static s64 range_error(enum gmap_err err)
{
	switch (err) {
	case GMAP_OK:
		return HC_OK;
	case GMAP_ERR_TOO_LONG:
	case GMAP_ERR_OVERFLOW:
		return HC_E2BIG;
	default:
		return HC_EFAULT;
	}
}

static s64 hc_version(struct vm *vm, u64 a0, u64 a1, u64 a2, u64 *out)
{
	(void)vm, (void)a0, (void)a1, (void)a2;
	*out = HV_ABI_VERSION;
	return HC_OK;
}

static s64 hc_console_write(struct vm *vm, u64 gpa, u64 len, u64 a2, u64 *out)
{
	(void)a2, (void)out;
	char buf[HC_CONSOLE_MAX];
	s64 err = range_error(gmap_check_range(&vm->gmap, gpa, len, HC_CONSOLE_MAX, false));
	if (err)
		return err;
	if (!vm_copy_from_guest(vm, buf, gpa, len))
		return HC_EFAULT;
	for (u64 i = 0; i < len; i++)
		vm_console_putc(vm, buf[i]);
	return HC_OK;
}

static s64 hc_exit(struct vm *vm, u64 status, u64 a1, u64 a2, u64 *out)
{
	(void)a1, (void)a2, (void)out;
	vm->state = VM_EXITED;
	vm->exit_status = (int)status;
	fmt_snprintf(vm->stop_reason, sizeof(vm->stop_reason), "guest exit hypercall, status %lld",
	             (long long)status);
	return HC_OK;
}

static s64 hc_read_counters(struct vm *vm, u64 gpa, u64 len, u64 a2, u64 *out)
{
	(void)a2, (void)out;
	struct hv_counters c;
	if (len < sizeof(c))
		return HC_EINVAL;
	s64 err = range_error(gmap_check_range(&vm->gmap, gpa, sizeof(c), sizeof(c), true));
	if (err)
		return err;
	memset(&c, 0, sizeof(c));
	c.abi_version = HV_ABI_VERSION;
	c.exits_total = vm->exits_total;
	for (unsigned k = 0; k < VMEXIT_KIND_COUNT && k < ARRAY_SIZE(c.exits_by_kind); k++)
		c.exits_by_kind[k] = vm->exits_by_kind[k];
	c.hypercalls = vm->hypercalls;
	c.hypercall_errors = vm->hypercall_errors;
	c.unknown_hypercalls = vm->unknown_hypercalls;
	return vm_copy_to_guest(vm, gpa, &c, sizeof(c)) ? HC_OK : HC_EFAULT;
}

static s64 hc_set_mode(struct vm *vm, u64 mode, u64 a1, u64 rdx, u64 *out)
{
	(void)a1;
	if (mode >= MODE_COUNT)
		return HC_EINVAL;
	if (vm->measuring)
		return HC_EINVAL; /* a measurement spans one mode */
	if (vmfeat_busy(vm))
		return HC_EINVAL; /* shared or swapped pages: HC_VMM_END first */
	return dseg_set_mode_step(vm, (u32)mode, rdx, out);
}

static s64 hc_set_gseg(struct vm *vm, u64 base, u64 limit, u64 offset, u64 *out)
{
	(void)out;
	return dseg_declare_guest_seg(vm, base, limit, offset);
}

static s64 hc_trace_setup(struct vm *vm, u64 gpa, u64 bytes, u64 a2, u64 *out)
{
	(void)a2, (void)out;
	return measure_setup(vm, gpa, bytes);
}

static s64 hc_trace_replay(struct vm *vm, u64 count, u64 workload, u64 rdx, u64 *out)
{
	if (vmfeat_busy(vm))
		return HC_EINVAL; /* the model would see shared or swapped pages as the map says */
	return measure_replay(vm, count, workload, rdx, out);
}

/* Test only: the host frame behind gpa is declared to have a hard fault. */
static s64 hc_escape_page(struct vm *vm, u64 gpa, u64 a1, u64 a2, u64 *out)
{
	(void)a1, (void)a2, (void)out;
	if (gmap_check_range(&vm->gmap, gpa, 1, 1, true) != GMAP_OK)
		return HC_EFAULT;
	if (vm->measuring)
		return HC_EINVAL; /* the model holds the nested table of this measurement */
	/* A shared or swapped page gets its own frame first. */
	if (!vmfeat_prepare(vm, gpa))
		return HC_ENOMEM;
	return dseg_escape_gpa(vm, gpa, true);
}

static s64 hc_check_bad(struct vm *vm, u64 a0, u64 a1, u64 a2, u64 *out)
{
	(void)a0, (void)a1, (void)a2;
	*out = dseg_check_bad_frames(vm);
	return HC_OK;
}

static s64 hc_balloon_out(struct vm *vm, u64 list, u64 count, u64 a2, u64 *out)
{
	(void)a2;
	if (vmfeat_busy(vm))
		return HC_EINVAL; /* the memory map must not move under them */
	return vmmem_balloon_out(vm, list, count, out);
}

static s64 hc_balloon_in(struct vm *vm, u64 list, u64 count, u64 a2, u64 *out)
{
	(void)a2;
	if (vmfeat_busy(vm))
		return HC_EINVAL; /* the memory map must not move under them */
	return vmmem_balloon_in(vm, list, count, out);
}

static s64 hc_hotadd(struct vm *vm, u64 range, u64 a1, u64 a2, u64 *out)
{
	(void)a1;
	if (vmfeat_busy(vm))
		return HC_EINVAL; /* the memory map must not move under them */
	return vmmem_hotadd(vm, range, a2, out);
}

static s64 hc_mem_stats(struct vm *vm, u64 gpa, u64 len, u64 a2, u64 *out)
{
	(void)a2, (void)out;
	return vmmem_stats(vm, gpa, len);
}

static s64 hc_share_scan(struct vm *vm, u64 gpa, u64 bytes, u64 rdx, u64 *out)
{
	return vmfeat_share_scan(vm, gpa, bytes, rdx, out);
}

static s64 hc_swap_out(struct vm *vm, u64 gpa, u64 pages, u64 a2, u64 *out)
{
	(void)a2;
	return vmfeat_swap_out(vm, gpa, pages, out);
}

static s64 hc_vmm_hash(struct vm *vm, u64 gpa, u64 bytes, u64 a2, u64 *out)
{
	(void)a2;
	return vmfeat_hash(vm, gpa, bytes, out);
}

static s64 hc_vmm_end(struct vm *vm, u64 kind, u64 gva, u64 bytes, u64 *out)
{
	(void)out;
	return vmfeat_end(vm, kind, gva, bytes);
}

static const hypercall_fn hypercalls[HC_COUNT] = {
    [HC_VERSION] = hc_version,
    [HC_CONSOLE_WRITE] = hc_console_write,
    [HC_EXIT] = hc_exit,
    [HC_READ_COUNTERS] = hc_read_counters,
    [HC_SET_MODE] = hc_set_mode,
    [HC_SET_GSEG] = hc_set_gseg,
    [HC_TRACE_SETUP] = hc_trace_setup,
    [HC_TRACE_REPLAY] = hc_trace_replay,
    [HC_ESCAPE_PAGE] = hc_escape_page,
    [HC_CHECK_BAD] = hc_check_bad,
    [HC_BALLOON_OUT] = hc_balloon_out,
    [HC_BALLOON_IN] = hc_balloon_in,
    [HC_HOTADD] = hc_hotadd,
    [HC_MEM_STATS] = hc_mem_stats,
    [HC_SHARE_SCAN] = hc_share_scan,
    [HC_SWAP_OUT] = hc_swap_out,
    [HC_VMM_HASH] = hc_vmm_hash,
    [HC_VMM_END] = hc_vmm_end,
};

s64 hypercall_dispatch(struct vm *vm, u64 nr, u64 a0, u64 a1, u64 a2, u64 *out)
{
	/* The continuation of a resumable call (the same number, the RDX it handed out) is not a
	 * new call; any other call after a resume abandons it and counts. */
	if (vm->hc_resuming && nr == vm->hc_resume_nr && a2 == vm->hc_resume_rdx)
		vm->hypercall_steps++;
	else
		vm->hypercalls++;
	hypercall_fn fn = nr < HC_COUNT ? hypercalls[nr] : NULL;
	if (!fn) {
		vm->hc_resuming = false;
		vm->unknown_hypercalls++;
		vm->hypercall_errors++;
		return HC_ENOSYS;
	}
	s64 status = fn(vm, a0, a1, a2, out);
	vm->hc_resuming = status == VM_HC_RESUME;
	if (vm->hc_resuming) {
		vm->hc_resume_nr = nr;
		vm->hc_resume_rdx = *out;
	}
	if (status && status != VM_HC_RESUME)
		vm->hypercall_errors++;
	return status;
}

const char *hypercall_name(u64 nr)
{
	static const char *const names[HC_COUNT] = {
	    [HC_VERSION] = "version",
	    [HC_CONSOLE_WRITE] = "console-write",
	    [HC_EXIT] = "exit",
	    [HC_READ_COUNTERS] = "read-counters",
	    [HC_SET_MODE] = "set-mode",
	    [HC_SET_GSEG] = "set-gseg",
	    [HC_TRACE_SETUP] = "trace-setup",
	    [HC_TRACE_REPLAY] = "trace-replay",
	    [HC_ESCAPE_PAGE] = "escape-page",
	    [HC_CHECK_BAD] = "check-bad",
	    [HC_BALLOON_OUT] = "balloon-out",
	    [HC_BALLOON_IN] = "balloon-in",
	    [HC_HOTADD] = "hotadd",
	    [HC_MEM_STATS] = "mem-stats",
	    [HC_SHARE_SCAN] = "share-scan",
	    [HC_SWAP_OUT] = "swap-out",
	    [HC_VMM_HASH] = "vmm-hash",
	    [HC_VMM_END] = "vmm-end",
	};
	return NAME_IN(names, nr, "none");
}
