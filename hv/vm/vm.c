/* Creating, running and reporting on the guest VM. */
#include "hv/vm/vm.h"

#include <stdarg.h>

#include "arch/x86/cpu.h"
#include "arch/x86/crash.h"
#include "arch/x86/irq.h"
#include "arch/x86/tsc.h"
#include "hv/mem/phys.h"
#include "lib/bits.h"
#include "lib/console.h"
#include "lib/fmt.h"
#include "lib/mem.h"
#include "lib/x86/zero.h"

#define GUEST_LINE_PREFIX "[guest] "

/* Guest RAM is zeroed a chunk at a time, with a progress line every
 * ZERO_PROGRESS_S seconds (or every ZERO_PROGRESS_BYTES when the TSC rate
 * is unknown). */
#define ZERO_CHUNK          (128 * MiB)
#define ZERO_PROGRESS_S     2
#define ZERO_PROGRESS_BYTES (2 * GiB)
#define TSC_CALIBRATE_MS    50
#define DIRTY_RAM_PATTERN   0xd1d1d1d1d1d1d1d1ULL

/* "N GiB" when whole, else "N MiB". */
static const char *size_str(char *buf, u64 len, u64 bytes)
{
	if (bytes && bytes % GiB == 0)
		fmt_snprintf(buf, len, "%llu GiB", bytes / GiB);
	else
		fmt_snprintf(buf, len, "%llu MiB", bytes / MiB);
	return buf;
}

/* Hundredths of a second in `cycles` at tsc_hz. */
static u64 centiseconds(u64 cycles, u64 tsc_hz)
{
	return cycles / tsc_hz * 100 + cycles % tsc_hz * 100 / tsc_hz;
}

/* Zeroes [gpa, gpa + len) of guest RAM through the memory map (RAM may be scattered);
 * returns the bytes written (zero_range's count). */
static u64 zero_gpa_range(const struct vm *vm, u64 gpa, u64 len)
{
	u64 written = 0, hpa;
	while (len) {
		const struct gmap_region *r = gmap_lookup(&vm->gmap, gpa, &hpa);
		if (!r)
			break;
		u64 n = gmap_region_end(r) - gpa < len ? gmap_region_end(r) - gpa : len;
		written += zero_range(phys_to_virt(hpa), n);
		gpa += n;
		len -= n;
	}
	return written;
}

/* Zeroes guest RAM (every region of the memory map: the PCI hole is none of them), saying how far
 * it is on long runs and how fast it was. */
static void zero_guest_ram(const struct vm *vm)
{
	const u64 size = gmap_ram_bytes(&vm->gmap);
	const u64 tsc_hz = vm->tsc_hz;
	u64 written = 0, done = 0, last_bytes = 0;
	char a[24], b[24];

	const u64 t0 = tsc_read();
	u64 last = t0;
	const struct gmap_region *r = &vm->gmap.r[0];
	u64 at = r->gpa;
	while (done < size) {
		if (at == gmap_region_end(r)) {
			r++;
			at = r->gpa;
		}
		u64 left = gmap_region_end(r) - at;
		u64 chunk = left < ZERO_CHUNK ? left : ZERO_CHUNK;
		written += zero_gpa_range(vm, at, chunk);
		at += chunk;
		done += chunk;
		u64 now = tsc_read();
		bool due = tsc_hz ? now - last >= ZERO_PROGRESS_S * tsc_hz
		                  : done - last_bytes >= ZERO_PROGRESS_BYTES;
		if (due && done < size) {
			if (tsc_hz) {
				u64 cs = centiseconds(now - t0, tsc_hz);
				con_printf(
				    "guest: zeroing RAM: %llu of %llu MiB after %llu.%02llu s\n",
				    done / MiB, size / MiB, cs / 100, cs % 100);
			} else {
				con_printf(
				    "guest: zeroing RAM: %llu of %llu MiB after %llu TSC cycles\n",
				    done / MiB, size / MiB, now - t0);
			}
			last = now;
			last_bytes = done;
		}
	}
	const u64 cycles = tsc_read() - t0;
	size_str(a, sizeof(a), size);
	size_str(b, sizeof(b), written);
	if (!tsc_hz || !cycles) {
		con_printf("guest: zeroed %s in %llu TSC cycles (TSC rate unknown: the PIT did not "
		           "answer); %s of it was not already zero and was written\n",
		           a, cycles, b);
		return;
	}
	u64 cs = centiseconds(cycles, tsc_hz);
	/* GiB/s in hundredths, from MiB so that the product stays in 64 bits. */
	u64 rate = size / MiB * 100 * (tsc_hz / 1000) / (cycles / 1000 ? cycles / 1000 : 1) / 1024;
	con_printf("guest: zeroed %s in %llu.%02llu s (%llu.%02llu GiB/s, TSC at %llu MHz, "
	           "calibrated against the PIT over %u ms); %s of it was not already zero and "
	           "was written\n",
	           a, cs / 100, cs % 100, rate / 100, rate % 100, tsc_hz / 1000000,
	           TSC_CALIBRATE_MS, b);
}

/* Says why guest RAM could not be placed where guest_ram_at asks. */
static void report_ram_at(const struct frame_alloc *fa, u64 at, u64 size, enum frame_err err,
                          u64 conflict)
{
	con_printf("FAIL: guest-ram: guest_ram_at=0x%llx: hPA [0x%llx, 0x%llx) ", at, at,
	           at + size);
	switch (err) {
	case FRAME_ERR_ALIGN:
		con_printf("is not 2 MiB-aligned\n");
		return;
	case FRAME_ERR_IN_USE:
		con_printf("overlaps a used frame at hPA 0x%llx", conflict);
		break;
	case FRAME_ERR_BITMAP:
		con_printf("overlaps the frame allocator's bitmap at hPA 0x%llx", conflict);
		break;
	case FRAME_ERR_NOT_OWNED:
		con_printf("reaches hPA 0x%llx, which is not usable memory (see the memmap lines)",
		           conflict);
		break;
	default:
		con_printf("cannot be claimed: %s", frame_strerror(err));
		break;
	}
	u64 run_pa = 0, run = frame_largest_free_run_at(fa, PAGE_SIZE_2M, &run_pa);
	if (run)
		con_printf(
		    "; the largest free 2 MiB-aligned run is %llu MiB at hPA [0x%llx, 0x%llx)\n",
		    run * FRAME_SIZE / MiB, run_pa, run_pa + run * FRAME_SIZE);
	else
		con_printf("; no 2 MiB-aligned run is free\n");
}

static u64 nested_alloc_frame(void *ctx)
{
	u64 pa;
	return frame_alloc(ctx, &pa) == FRAME_OK ? pa : 0;
}

static void nested_free_frame(void *ctx, u64 pa)
{
	frame_free(ctx, pa);
}

struct nested_alloc vm_nested_alloc(struct vm *vm)
{
	return (struct nested_alloc){nested_alloc_frame, nested_free_frame, vm->fa};
}

/* COM1's transmitted bytes (hv/platform/uart16550.h) are the guest's console. */
static void platform_console(void *ctx, u8 byte)
{
	vm_console_putc(ctx, (char)byte);
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
	watchdog_init(&vm->vcpu.wd, cfg->watchdog);
	vm->vcpu.host_tick_ms = cfg->host_tick_ms;
	vm->ept_max_page = cfg->ept_page;
	if (vm->ept_max_page > cpu_max_page) {
		con_printf("ept: ept_page asks for %llu KiB leaves, more than this CPU supports; "
		           "using %llu KiB\n",
		           vm->ept_max_page / KiB, cpu_max_page / KiB);
		vm->ept_max_page = cpu_max_page;
	}
	gmap_init(&vm->gmap);
	if (vm_place_ram(vm))
		return -1;

	u64 frames = cfg->guest_ram / PAGE_SIZE_4K;
	static const u64 aligns[] = {PAGE_SIZE_1G, PAGE_SIZE_2M, PAGE_SIZE_4K};
	enum frame_err ferr = FRAME_ERR_NO_MEMORY;
	if (cfg->guest_ram_at) {
		u64 conflict = cfg->guest_ram_at;
		vm->ram_hpa = cfg->guest_ram_at;
		ferr = is_aligned(vm->ram_hpa, PAGE_SIZE_2M)
		           ? frame_claim_at(fa, vm->ram_hpa, frames, &conflict)
		           : FRAME_ERR_ALIGN;
		if (ferr != FRAME_OK) {
			report_ram_at(fa, vm->ram_hpa, cfg->guest_ram, ferr, conflict);
			return -1;
		}
	}
	for (unsigned i = 0; i < ARRAY_SIZE(aligns) && ferr != FRAME_OK; i++)
		if (aligns[i] <= cfg->guest_ram)
			ferr = frame_alloc_run(fa, frames, aligns[i], &vm->ram_hpa);
	vm->ram_contiguous = ferr == FRAME_OK;
	/* The PCI hole: RAM around it, on the one host run (scattered runs are laid out from gPA 0
	 * without a hole, hv/vm/compact_vm.c). */
	struct gmap_layout lay;
	gmap_layout_ram(cfg->guest_ram, cfg->io_hole, &lay);
	vm->io_hole = (struct balloon_range){lay.hole_lo, lay.hole_hi};
	if (ferr != FRAME_OK && lay.hole_hi) {
		con_printf(
		    "FAIL: guest-ram: io_hole=on needs guest RAM on one contiguous host run of "
		    "%llu MiB and none is free (%s); RAM around the PCI hole on scattered host "
		    "runs is not built (io_hole=off lays the RAM out from gPA 0)\n",
		    cfg->guest_ram / MiB, frame_strerror(ferr));
		return -1;
	}
	if (ferr != FRAME_OK && !cfg->guest_ram_at) {
		ferr = vm_place_scattered(vm, frames);
		if (ferr != FRAME_OK && ferr != FRAME_ERR_NO_MEMORY)
			return -1;
	}
	if (ferr != FRAME_OK) {
		u64 run_pa = 0, run = frame_largest_free_run_at(fa, PAGE_SIZE_4K, &run_pa);
		con_printf(
		    "FAIL: guest-ram: no contiguous run of %llu MiB of host memory (%s; %llu "
		    "MiB free in all; ",
		    cfg->guest_ram / MiB, frame_strerror(ferr),
		    frame_count_free(fa) * FRAME_SIZE / MiB);
		if (run)
			con_printf("the largest free run is %llu MiB at hPA [0x%llx, 0x%llx))\n",
			           run * FRAME_SIZE / MiB, run_pa, run_pa + run * FRAME_SIZE);
		else
			con_printf("no frame is free)\n");
		return -1;
	}
	enum gmap_err gerr =
	    vm->ram_contiguous ? gmap_add_layout(&vm->gmap, &lay, vm->ram_hpa) : GMAP_OK;
	if (gerr != GMAP_OK) {
		con_printf("FAIL: guest-ram: %s\n", gmap_strerror(gerr));
		return -1;
	}
	vm->tsc_hz = tsc_hz_from_pit(TSC_CALIBRATE_MS);
	/* The local APIC's xAPIC page must be a hole in the guest map, so that
	 * every access to it traps (hv/vm/exits.c). A guest whose RAM runs over
	 * it (more than 4 GiB with io_hole=off) gets no local APIC, and is told
	 * so by CPUID; its APIC MSRs then #GP (hv/platform/platform.c). */
	u64 apic_hpa;
	u32 apic_offers = CPUID_OFFER_APIC | CPUID_OFFER_X2APIC | CPUID_OFFER_TSC_DEADLINE;
	if (gmap_lookup(&vm->gmap, APIC_DEFAULT_BASE, &apic_hpa)) {
		con_printf(
		    "guest-apic: none: guest RAM covers the xAPIC page gPA 0x%llx (io_hole=off); "
		    "CPUID shows no APIC and its MSRs raise #GP\n",
		    APIC_DEFAULT_BASE);
		apic_offers = 0;
	}
	const struct platform_config pc = {.ram_bytes = cfg->guest_ram,
	                                   .cpuid_offers = apic_offers,
	                                   .tsc_hz = vm->tsc_hz,
	                                   .console = platform_console,
	                                   .console_ctx = vm};
	platform_init(&vm->platform, &pc);
	u64 run_off = 0;
	for (unsigned i = 0; vm->ram_contiguous && i < lay.runs; run_off += lay.run[i++].size)
		con_printf("guest: RAM gPA [0x%llx, 0x%llx) at hPA [0x%llx, 0x%llx)\n",
		           lay.run[i].gpa, lay.run[i].gpa + lay.run[i].size, vm->ram_hpa + run_off,
		           vm->ram_hpa + run_off + lay.run[i].size);
	if (lay.hole_hi)
		con_printf("guest: PCI hole gPA [0x%llx, 0x%llx): not RAM (io_hole=on, guest RAM "
		           "above %llu MiB)\n",
		           lay.hole_lo, lay.hole_hi, GMAP_IO_HOLE_START / MiB);
	if (cfg->dirty_ram) {
		/* The first word of a page is where zero_range starts writing, so
		 * this makes it write every byte of guest RAM, as on memory a
		 * previous tenant used. */
		const struct gmap_region *r;
		gmap_for_each_region (&vm->gmap, r)
			for (u64 off = 0; off < r->size; off += PAGE_SIZE_4K)
				phys_write64(r->hpa + off, DIRTY_RAM_PATTERN);
		con_printf(
		    "guest: dirty_ram: a word written into each of %llu pages first (test only)\n",
		    cfg->guest_ram / PAGE_SIZE_4K);
	}
	platform_set_clock(&vm->platform, tsc_read, vm->tsc_hz);
	zero_guest_ram(vm);

	/* The VMM segment: all of guest RAM, one base-bound check away; with the PCI hole, the RAM
	 * below it (self-ballooning moves it above, hv/vm/vmmem.c, to make one run there). */
	if (vm->ram_contiguous)
		segment_set(&vm->vmm_seg, 0, lay.run[0].size, vm->ram_hpa);
	else
		segment_disable(&vm->vmm_seg); /* until compaction makes one run */
	enum bloom_err berr = bloom_init(&vm->escape, cfg->bloom_bits, cfg->bloom_hashes);
	if (berr != BLOOM_OK) {
		con_printf("FAIL: escape-filter: %s\n", bloom_err_str(berr));
		return -1;
	}
	if (dseg_apply_badpages(vm) || dseg_set_mode(vm, cfg->mode))
		return -1;
	return vm_fault_test_init(vm);
}

/* (Re)generates the EPT from the guest memory map with leaves of at most
 * max_leaf bytes, loads it and frees the old one. */
int vm_build_nested(struct vm *vm, u64 max_leaf)
{
	const struct nested_alloc alloc = {nested_alloc_frame, nested_free_frame, vm->fa};
	etrace_abandon(vm, "the nested table was rebuilt (a mode switch, an escape or compaction) "
	                   "while it ran");
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
	const struct nested_table old = vm->ept;
	vm->ept = t;
	if (vmfeat_after_build(vm)) { /* shared or swapped pages could not follow */
		nested_free(t.root, &alloc);
		vm->ept = old;
		return -1;
	}
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
	etrace_console_line(vm, vm->line, vm->line_len);
	vm->line_len = 0;
}

void vm_console_putc(struct vm *vm, char c)
{
	if (vm->console_bytes++ == 0) /* in the exit handler of the guest's first byte */
		vm_crash_test(vm, CRASH_AT_EXIT);
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
		const int shared = vmfeat_resolve(vm, gpa, to_guest, &hpa);
		if (shared < 0 || (!shared && !gmap_lookup(&vm->gmap, gpa, &hpa)))
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

/* Microseconds in `cycles` at tsc_hz (0 when the rate is unknown). */
static u64 microseconds(u64 cycles, u64 tsc_hz)
{
	return tsc_hz ? cycles / tsc_hz * 1000000 + cycles % tsc_hz * 1000000 / tsc_hz : 0;
}

/* Each exit is timed from the return of the entry to the next entry: the
 * work the hypervisor did for it, which the bound of README ("Bounded work
 * per exit") is about. */
static void exit_timed(struct vm *vm, const struct vm_exit *e, u64 nr, u64 cycles)
{
	const bool hc = e->kind == VMEXIT_HYPERCALL && nr < HC_COUNT;
	if (hc) {
		vm->hc_exits[nr]++;
		if (cycles > vm->hc_max_cycles[nr])
			vm->hc_max_cycles[nr] = cycles;
	}
	if (cycles > vm->max_exit_cycles) {
		vm->max_exit_cycles = cycles;
		vm->max_exit_raw = e->raw_reason;
		vm->max_exit_nr = hc ? nr : HC_COUNT;
	}
}

void vm_crash_test(const struct vm *vm, enum crash_at point)
{
	static const char *const kinds[] = {CRASH_KIND_NAMES};
	static const char *const points[] = {"before the guest runs",
	                                     "inside the exit handler of the guest's first "
	                                     "console byte"};
	const u32 kind = vm->params.crash_test;
	if (kind == CRASH_NONE || vm->params.crash_at != point)
		return;
	con_printf("crash_test: raising %s on purpose %s\n", NAME_IN(kinds, kind, "?"),
	           NAME_IN(points, point, "?"));
	crash_now((enum crash_kind)kind);
}

void vm_run(struct vm *vm)
{
	struct vm_exit e;
	vm->state = VM_RUNNING;
	vm_crash_test(vm, CRASH_AT_RUN);
	irq_test_set((enum irq_test)vm->params.irq_test);
	if (vm->params.trace == VM_TRACE_EPT && vm->params.trace_span == VM_TRACE_SPAN_RUN)
		etrace_begin(vm, "run");
	const u64 start = tsc_read();
	while (vm->state == VM_RUNNING) {
		vm_intr_before_entry(vm);
		if (vcpu_arch_run(&vm->vcpu, &e)) {
			vm_stop(vm, "VM entry failed");
			break;
		}
		const u64 t0 = tsc_read();
		const u64 nr = vm->vcpu.regs.rax; /* the call number, for a hypercall */
		vm_handle_exit(vm, &e);
		vm_fault_test_apply(vm);
		exit_timed(vm, &e, nr, tsc_read() - t0);
		/* guest_time=: a guest that never ends on its own (memtest86+ loops over its
		 * passes) ends here, as asked, with its console and screen reported as for any end.
		 */
		if (vm->state == VM_RUNNING && vm->params.guest_time_s && vm->tsc_hz &&
		    tsc_read() - start >= vm->params.guest_time_s * vm->tsc_hz) {
			vm->state = VM_EXITED;
			vm->exit_status = 0;
			fmt_snprintf(vm->stop_reason, sizeof(vm->stop_reason),
			             "guest_time=%llu: the guest ran its %llu s and was ended",
			             vm->params.guest_time_s, vm->params.guest_time_s);
		}
	}
	vm->run_cycles = tsc_read() - start;
	irq_timer_stop();
	if (vm->line_len)
		line_flush(vm);
	if (vm->params.trace_span == VM_TRACE_SPAN_RUN)
		etrace_end(vm, NULL);
	else /* a measurement still open: its trap table goes back too */
		etrace_abandon(vm, "the guest ended inside the measurement");
}

/* One RESULT line of exit counts by reason (kind=exits) with the host
 * interrupts, then the ports. */
void vm_report(struct vm *vm)
{
	/* Host interrupts taken in guest mode: the exits they caused, and the
	 * host's own count by vector class (arch/x86/irq.h). */
	const struct irq_counts *hc = irq_counts();
	/* host_tick=: the periods that fit in the run (whole ones). */
	const u64 expected_ticks =
	    irq_host_tick_period() ? vm->run_cycles / irq_host_tick_period() : 0;
	char buf[768];
	int n = fmt_snprintf(buf, sizeof(buf), "RESULT kind=exits source=hypervisor total=%llu",
	                     vm->exits_total);
	for (unsigned r = 0; r < VCPU_MAX_RAW_EXIT; r++)
		if (vm->exits_by_raw[r] && n < (int)sizeof(buf))
			n += fmt_snprintf(buf + n, sizeof(buf) - n, " %s=%llu",
			                  vcpu_arch_exit_name(&vm->vcpu, r), vm->exits_by_raw[r]);
	con_printf("%s hypercalls=%llu hypercall_errors=%llu unknown_hypercalls=%llu "
	           "msr_refused=%llu hypercall_steps=%llu replay_steps=%llu replay_step_entries=%u "
	           "max_replay_step_cycles=%llu max_replay_step_us=%llu max_exit_cycles=%llu "
	           "max_exit_us=%llu max_exit_reason=%s max_exit_hypercall=%s tsc_hz=%llu "
	           "host_interrupts=%llu host_nmis=%llu host_timer_interrupts=%llu host_ticks=%llu "
	           "host_spurious=%llu host_unexpected=%llu run_us=%llu host_tick_expected=%llu "
	           "host_tick_pct=%llu host_redelivered=%llu\n",
	           buf, vm->hypercalls, vm->hypercall_errors, vm->unknown_hypercalls,
	           vm->msr_refused, vm->hypercall_steps, vm->replay_steps, HC_TRACE_STEP,
	           vm->replay_step_max_cycles, microseconds(vm->replay_step_max_cycles, vm->tsc_hz),
	           vm->max_exit_cycles, microseconds(vm->max_exit_cycles, vm->tsc_hz),
	           vm->exits_total ? vcpu_arch_exit_name(&vm->vcpu, vm->max_exit_raw) : "none",
	           hypercall_name(vm->max_exit_nr), vm->tsc_hz,
	           vm->exits_by_kind[VMEXIT_EXTERNAL_INTERRUPT], vm->exits_by_kind[VMEXIT_NMI],
	           hc->timer, hc->ticks, hc->spurious, hc->unexpected,
	           microseconds(vm->run_cycles, vm->tsc_hz), expected_ticks,
	           expected_ticks ? hc->ticks * 100 / expected_ticks : 0, vm->host_redelivered);
	/* The longest exit of each hypercall: a mode switch rebuilds the nested
	 * table, a measurement's first step verifies the guest segment. */
	for (unsigned nr = 0; nr < HC_COUNT; nr++)
		if (vm->hc_exits[nr])
			con_printf(
			    "RESULT kind=hypercall_time source=hypervisor hypercall=%s exits=%llu "
			    "max_cycles=%llu max_us=%llu\n",
			    hypercall_name(nr), vm->hc_exits[nr], vm->hc_max_cycles[nr],
			    microseconds(vm->hc_max_cycles[nr], vm->tsc_hz));
	const struct apic *a = &vm->platform.apic;
	if (vm->apic_reads || vm->apic_writes || vm->intr_injected || vm->nmi_injected)
		con_printf("RESULT kind=apic source=hypervisor interrupts=%llu nmis=%llu "
		           "mmio_reads=%llu mmio_writes=%llu timer_fires=%llu ipis_delivered=%llu "
		           "ipis_dropped=%llu hlt_sleeps=%llu\n",
		           vm->intr_injected, vm->nmi_injected, vm->apic_reads, vm->apic_writes,
		           a->timer_fires, a->ipis_delivered, a->ipis_dropped, vm->hlt_sleeps);
	vmmem_report(vm);
	for (unsigned i = 0; i < VM_PORT_SLOTS; i++)
		if (vm->ports[i].reads || vm->ports[i].writes)
			con_printf("guest: unclaimed port 0x%x: %llu reads (all-ones), %llu writes "
			           "(dropped)\n",
			           vm->ports[i].port, vm->ports[i].reads, vm->ports[i].writes);
	if (vm->ports_overflow)
		con_printf("guest: %llu more accesses to other unclaimed ports\n",
		           vm->ports_overflow);
	for (unsigned i = 0; i < VM_MSR_SLOTS; i++)
		if (vm->msrs[i].reads || vm->msrs[i].writes)
			con_printf("guest: refused MSR 0x%x: %llu reads, %llu writes (#GP)\n",
			           vm->msrs[i].msr, vm->msrs[i].reads, vm->msrs[i].writes);
	if (vm->msrs_overflow)
		con_printf("guest: %llu more accesses to other refused MSRs\n", vm->msrs_overflow);
}
