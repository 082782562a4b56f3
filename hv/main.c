/* The hypervisor's boot flow: console, descriptors, options, CPU and
 * memory, self-tests, VT-x, then the guest from Multiboot module 1. */
#include "arch/x86/cpu.h"
#include "arch/x86/cpuinfo.h"
#include "arch/x86/desc.h"
#include "arch/x86/dmap.h"
#include "arch/x86/msr.h"
#include "lib/multiboot.h"
#include "arch/x86/pic.h"
#include "arch/x86/pmu_hw.h"
#include "lib/x86/emu_exit.h"
#include "lib/x86/uart.h"
#include "arch/x86/virt.h"
#include "hv/config.h"
#include "lib/opts.h"
#include "hv/vm/elf.h"
#include "hv/vm/loader.h"
#include "hv/mem/frame.h"
#include "hv/mem/mbmap.h"
#include "hv/mem/memmap.h"
#include "hv/mem/phys.h"
#include "hv/selftest.h"
#include "hv/vm/vm.h"
#include "lib/console.h"
#include "lib/fmt.h"
#include "lib/mem.h"
#include "lib/report.h"

#define LOW_MEMORY_END (1 * MiB) /* firmware, real-mode structures */
#define MAX_MODULES    8

void hv_main(u32 magic, u32 info_pa);

extern const u8 _image_start[], _image_end[];

static struct hv_config cfg;
static struct memmap mem;
static struct frame_alloc frames;
static struct vm guest_vm;
static struct pmu_spec pmu_spec;

static __attribute__((noreturn)) void finish(struct report *rep)
{
	report_summary(rep);
	emu_exit(rep->failures == 0);
}

static bool parse_options(struct report *rep, const char *cmdline)
{
	struct opts_result res;
	hv_config_defaults(&cfg);
	if (opts_parse(&hv_config_table, cmdline, &cfg, &res) != OPTS_OK) {
		report_fail(rep, "options", "%s", res.msg);
		return false;
	}
	char buf[512];
	u16 port;
	if (!uart_parse_port(cfg.console, strlen(cfg.console), &port)) {
		report_fail(rep, "options",
		            "option 'console': '%s' is not com1, com2, com3, com4 or a base I/O "
		            "port 0x8..0xfff8, a multiple of 8",
		            cfg.console);
		return false;
	}
	if (!virt_entry_test_known(cfg.vm_entry_test, buf, sizeof(buf))) {
		report_fail(rep, "options", "option 'vm_entry_test': %s", buf);
		return false;
	}
	if (!pmu_spec_parse(cfg.pmu, &pmu_spec, buf, sizeof(buf))) {
		report_fail(rep, "options", "option 'pmu': %s", buf);
		return false;
	}
	opts_format(buf, sizeof(buf), &hv_config_table, &cfg, res.given);
	con_printf("options: %s\n", buf);
	return true;
}

static void reserve(struct report *rep, u64 base, u64 len, const char *what)
{
	enum memmap_err err = memmap_reserve(&mem, base, len);
	if (err != MEMMAP_OK)
		report_fail(rep, "memmap-reserve", "%s [0x%llx, +0x%llx): %s", what, base, len,
		            memmap_strerror(err));
}

/* The machine's memory from Multiboot, less everything already in use:
 * low memory, this image, the Multiboot structures and the modules. */
/* The MTRRs and PAT the direct map's memory types come from (arch/x86/mtrr.h). */
static void print_memory_types(const struct dmap_info *dm)
{
	char buf[512];
	if (dm->mtrr_err != MTRR_OK)
		con_printf("mtrr: MSR 0x%x faults: MTRRs taken as absent\n", dm->mtrr_bad_msr);
	int n = mtrr_format(buf, sizeof(buf), dm->mtrr);
	con_printf("mtrr: %s%s\n", buf, n >= (int)sizeof(buf) ? " ..." : "");
	con_printf("pat: 0x%016llx%s\n", dm->pat,
	           dm->pat == PAT_POWER_ON_VALUE ? " (power-on value, left as found)"
	                                         : " (set by firmware, left as found)");
	con_printf("dmap: leaves 1 GiB %u, 2 MiB %u, 4 KiB %u; split for memory types: "
	           "1 GiB %u, 2 MiB %u; UC %llu MiB; straddling pages left UC %u\n",
	           dm->leaves_1g, dm->leaves_2m, dm->leaves_4k, dm->split_1g, dm->split_2m,
	           dm->uc_bytes / MiB, dm->uc_fallback);
}

static bool read_memory(struct report *rep, const struct mb_info *mbi, u32 info_pa)
{
	struct mbmap_result res;
	const void *mmap = (mbi->flags & MB_INFO_MEM_MAP) ? phys_to_virt(mbi->mmap_addr) : NULL;
	switch (mbmap_parse(&mem, mbi->flags, mmap, mbi->mmap_length, &res)) {
	case MBMAP_OK:
		break;
	case MBMAP_ERR_NO_MAP:
		report_fail(rep, "memmap", "the boot loader gave no memory map (flags 0x%x)",
		            mbi->flags);
		return false;
	case MBMAP_ERR_MALFORMED:
		if (res.size_known)
			report_fail(rep, "memmap",
			            "malformed Multiboot memory-map entry at offset %llu (size %u)",
			            res.offset, res.entry.size);
		else
			report_fail(
			    rep, "memmap",
			    "malformed Multiboot memory-map entry at offset %llu (truncated)",
			    res.offset);
		return false;
	case MBMAP_ERR_ENTRY:
		report_fail(rep, "memmap", "firmware entry [0x%llx, +0x%llx) type %u: %s",
		            res.entry.base_addr, res.entry.length, res.entry.type,
		            memmap_strerror(res.memmap_err));
		return false;
	default:
		report_fail(rep, "memmap", "normalizing the firmware map: %s",
		            memmap_strerror(res.memmap_err));
		return false;
	}
	reserve(rep, 0, LOW_MEMORY_END, "low memory");
	reserve(rep, (u64)(uintptr_t)_image_start, _image_end - _image_start, "hypervisor image");
	reserve(rep, info_pa, sizeof(*mbi), "multiboot info");
	reserve(rep, mbi->mmap_addr, mbi->mmap_length, "multiboot memory map");
	if (mbi->flags & MB_INFO_CMDLINE) {
		const char *s = phys_to_virt(mbi->cmdline);
		reserve(rep, mbi->cmdline, strlen(s) + 1, "command line");
	}
	if (mbi->flags & MB_INFO_MODS) {
		const struct mb_module *m = phys_to_virt(mbi->mods_addr);
		reserve(rep, mbi->mods_addr, mbi->mods_count * sizeof(*m), "module list");
		for (u32 i = 0; i < mbi->mods_count; i++) {
			reserve(rep, m[i].mod_start, m[i].mod_end - m[i].mod_start, "module");
			if (m[i].string)
				reserve(rep, m[i].string, strlen(phys_to_virt(m[i].string)) + 1,
				        "module string");
		}
	}
	for (unsigned i = 0; i < memmap_count(&mem); i++) {
		const struct memmap_range *r = memmap_get(&mem, i);
		con_printf("memmap: [0x%012llx, 0x%012llx) %8llu KiB %s\n", r->base,
		           memmap_range_end(r), r->len / KiB, memmap_type_name(r->type));
	}
	if (mem.clipped || mem.empty_dropped)
		con_printf("memmap: %u entries clipped at the address limit, %u empty dropped\n",
		           mem.clipped, mem.empty_dropped);

	struct dmap_info dm;
	dmap_init(memmap_usable_limit(&mem), &dm);
	con_printf("dmap: [0, 0x%llx) identity mapped with %s pages, %u table pages\n", dm.top,
	           dm.page_size == PAGE_SIZE_1G ? "1 GiB" : "2 MiB", dm.tables);
	print_memory_types(&dm);
	if (memmap_usable_limit(&mem) > dm.top) {
		con_printf("dmap: memory above 0x%llx is not mapped and not used\n", dm.top);
		reserve(rep, dm.top, memmap_usable_limit(&mem) - dm.top, "beyond the direct map");
	}

	enum frame_err ferr = frame_init(&frames, &mem);
	if (ferr != FRAME_OK) {
		report_fail(rep, "frame-init", "%s", frame_strerror(ferr));
		return false;
	}
	con_printf("frames: %llu free of %llu (%llu MiB usable)\n", frame_count_free(&frames),
	           frame_count_total(&frames), memmap_usable_bytes(&mem) / MiB);
	return true;
}

/* Runs module 1 as the guest, if there is one and the CPU can. */
static void run_guest(struct report *rep, const struct mb_info *mbi, const struct virt_backend *b)
{
	if (!(mbi->flags & MB_INFO_MODS) || mbi->mods_count == 0) {
		report_skip(rep, "guest", "no guest kernel: Multiboot module 1 is missing");
		return;
	}
	const struct mb_module *m = phys_to_virt(mbi->mods_addr);
	static struct loader_guest g;
	static struct loader_plan plan;
	g = (struct loader_guest){
	    .image = phys_to_virt(m[0].mod_start),
	    .size = m[0].mod_end - m[0].mod_start,
	    .cmdline = m[0].string ? phys_to_virt(m[0].string) : "",
	    .nmodules = mbi->mods_count - 1,
	};
	for (u32 i = 0; i < mbi->mods_count; i++)
		con_printf("module %u: [0x%x, 0x%x) %u bytes: \"%s\"\n", i + 1, m[i].mod_start,
		           m[i].mod_end, m[i].mod_end - m[i].mod_start,
		           m[i].string ? (const char *)phys_to_virt(m[i].string) : "");
	for (u32 i = 0; i < g.nmodules && i < MBPLACE_MAX_MODULES; i++)
		g.mod[i] = (struct loader_module){
		    .data = phys_to_virt(m[i + 1].mod_start),
		    .size = m[i + 1].mod_end - m[i + 1].mod_start,
		    .string = m[i + 1].string ? phys_to_virt(m[i + 1].string) : "",
		};
	char why[240];
	/* Placement is in the RAM below the PCI hole, which a guest of more than 3 GiB has. */
	struct gmap_layout lay;
	gmap_layout_ram(cfg.guest_ram, cfg.io_hole, &lay);
	if (loader_check(&g, lay.run[0].size, &plan, why, sizeof(why))) {
		report_fail(rep, "guest-module", "guest module rejected: %s", why);
		return;
	}
	report_pass(rep, "guest-module-valid");
	if (b->failed)
		return;
	if (!b->ops) {
		report_skip(rep, "guest-vm", "%s", b->why);
		return;
	}
	struct vm *vm = &guest_vm;
	struct vcpu_start start;
	struct vm_params params;
	if (!hv_config_vm_params(&cfg, &params)) {
		report_fail(rep, "options", "TLB preset '%s' is unknown",
		            hv_config_tlb_name(cfg.tlb));
		return;
	}
	if (vm_create(vm, &params, &frames, b->ops, b->max_page, b->nested_ad) ||
	    loader_load(vm, &g, &plan, &start) ||
	    vcpu_arch_create(&vm->vcpu, &start, vm->ept.root)) {
		report_fail(rep, "guest-vm-setup", "the guest VM could not be set up (see above)");
		return;
	}
	if (start.long_mode)
		con_printf("guest: entering at 0x%llx in 64-bit mode (Linux boot protocol), "
		           "RSI=0x%llx, CR3=0x%llx\n",
		           start.rip, start.rsi, start.cr3);
	else
		con_printf("guest: entering at 0x%llx in 32-bit protected mode, EBX=0x%llx\n",
		           start.rip, start.rbx);
	vm_run(vm);
	loader_report_text(vm);
	vm_report(vm);
	if (vm->params.fault_gpa) { /* test only: the seeded fault did its part */
		con_printf("fault_test: bit %u of gPA 0x%llx: looked at in %llu exits, found 0 and "
		           "set to 1 in %llu\n",
		           vm->params.fault_bit, vm->params.fault_gpa, vm->fault_checks,
		           vm->fault_sets);
		report_check(rep, vm->fault_sets > 0, "fault-test-applied",
		             "the guest never left bit %u of gPA 0x%llx 0 at an exit: the seeded "
		             "fault was never seen",
		             vm->params.fault_bit, vm->params.fault_gpa);
	}
	if (vm->bad_frames) {
		unsigned touched = dseg_check_bad_frames(vm);
		report_check(rep, touched == 0, "escape-bad-frames-untouched",
		             "%u of %u bad host frames were written", touched, vm->bad_frames);
		if (vm->vmm_seg_measurements)
			report_check(rep, vm->esc_hits_total > 0, "escape-filter-hits",
			             "no measured access reached an escaped page");
		con_printf("escape: %u pages escaped, %llu escape-filter hits in %llu measurements "
		           "with a VMM segment\n",
		           vm->bad_frames, vm->esc_hits_total, vm->vmm_seg_measurements);
		con_printf("escape: filter of %u bits, %u hashes: %u bits set; expected false "
		           "positives %u ppm of probes outside the escaped pages\n",
		           vm->escape.m_bits, vm->escape.k, bloom_bits_set(&vm->escape),
		           bloom_fp_ppm(vm->escape.m_bits, vm->escape.k, vm->bad_frames));
	}
	if (vm->params.trace == VM_TRACE_EPT) {
		const struct etrace *t = &vm->etrace;
		if (t->failures)
			report_fail(rep, "trace-ept",
			            "%llu of %llu measurements abandoned; the first: %s",
			            t->failures, t->failures + t->measurements, t->failure);
		else
			report_check(
			    rep, t->measurements > 0, "trace-ept",
			    "no measurement: the guest bracketed none (TRACE_BEGIN, TRACE_END); "
			    "trace_span=run traces any guest");
	}
	switch (vm->state) {
	case VM_EXITED:
		report_check(rep, vm->exit_status == 0, "guest-exit", "%s", vm->stop_reason);
		break;
	case VM_HALTED:
		if (vm->params.halt_ends) {
			con_printf("guest_halt=end: %s: the guest's own end\n", vm->stop_reason);
			report_pass(rep, "guest-exit");
		} else
			report_fail(rep, "guest-exit", "%s", vm->stop_reason);
		break;
	default:
		report_fail(rep, "guest-exit", "stopped by the hypervisor: %s", vm->stop_reason);
		break;
	}
}

void hv_main(u32 magic, u32 info_pa)
{
	struct report rep = {0};

	/* The console comes up before the options are parsed, so console= is
	 * read first on its own; a malformed one leaves COM1, where the full
	 * parse then refuses it by name. */
	const struct mb_info *mbi = phys_to_virt(info_pa);
	u16 port = COM1_BASE;
	if (magic == MB_LOADER_MAGIC && (mbi->flags & MB_INFO_CMDLINE)) {
		size_t len;
		const char *v = opts_peek(phys_to_virt(mbi->cmdline), "console", &len);
		if (v && !uart_parse_port(v, len, &port))
			port = COM1_BASE;
	}
	uart_init_port(port);
	con_init(uart_write);
	desc_init();
	pic_mask_all();
	con_printf("\nsegvisor: hypervisor starting\n");
	if (magic != MB_LOADER_MAGIC) {
		report_fail(&rep, "boot", "EAX=0x%x, expected the Multiboot magic 0x%x", magic,
		            MB_LOADER_MAGIC);
		finish(&rep);
	}
	const char *cmdline = (mbi->flags & MB_INFO_CMDLINE) ? phys_to_virt(mbi->cmdline) : "";
	con_printf("cmdline: %s\n", cmdline);
	con_printf("console: 16550 at I/O port 0x%x\n", uart_port());
	if (!parse_options(&rep, cmdline))
		finish(&rep);

	struct cpuinfo ci;
	cpuinfo_read(&ci);
	cpuinfo_print(&ci);
	pmu_hw_boot(&ci, &pmu_spec);
	if (!read_memory(&rep, mbi, info_pa))
		finish(&rep);
	if (cfg.selftest)
		selftest_run(&rep, &mem, &frames);
	const struct virt_request req = {
	    .enable = cfg.vm,
	    .selftest = cfg.selftest,
	    .nested_ad = cfg.ept_ad,
	    .entry_test = cfg.vm_entry_test,
	};
	struct virt_backend b = virt_select(&rep, &ci, &req);
	run_guest(&rep, mbi, &b);
	finish(&rep);
}
