/* The test guest: boots natively or under segvisor, runs its checks and
 * workloads as its command line says, and reports in the common format. */
#include "lib/multiboot.h"
#include "guest/balloon.h"
#include "guest/console.h"
#include "guest/exc.h"
#include "guest/hypercall.h"
#include "guest/modcheck.h"
#include "guest/options.h"
#include "guest/share.h"
#include "guest/vmchecks.h"
#include "guest/workloads.h"
#include "lib/bits.h"
#include "lib/console.h"
#include "lib/mem.h"
#include "lib/report.h"

void guest_main(u32 magic, u32 info_pa);

extern const u8 _image_start[], _image_end[];

/* The boot loader's name (Multiboot info flag 9): segvisor's loader says
 * "segvisor". */
static bool loaded_by_segvisor(const struct mb_info *mbi)
{
	return (mbi->flags & MB_INFO_LOADER_NAME) &&
	       !strcmp((const char *)(uintptr_t)mbi->boot_loader_name, "segvisor");
}

/* On purpose: an exception with no IDT to deliver it (a triple fault), a
 * halt nothing will wake, or a loop that never exits. Under segvisor the guest ends there and the
 * hypervisor reports why. */
static void misbehave(u32 how)
{
	static const char *const what[] = {
	    [CRASH_TRIPLE_FAULT] = "triple fault",
	    [CRASH_HALT] = "halt with interrupts off",
	    [CRASH_SPIN] = "spin forever without an exit",
	};
	con_printf("guest: misbehaving on purpose: %s\n", what[how]);
	if (how == CRASH_SPIN)
		for (;;)
			__asm__ volatile("" ::: "memory");
	if (how == CRASH_TRIPLE_FAULT) {
		const struct {
			u16 limit;
			u64 base;
		} __attribute__((packed)) no_idt = {0, 0};
		__asm__ volatile("lidt %0; ud2" ::"m"(no_idt));
	}
	for (;;)
		__asm__ volatile("cli; hlt");
}

void guest_main(u32 magic, u32 info_pa)
{
	struct report rep = {0};
	struct guest_opts o;
	struct opts_result res;

	guest_console_init();
	guest_exc_init();
	guest_exc_set_report(&rep);
	guest_hv_init();
	con_printf("segvisor test guest starting\n");
	if (!report_check(&rep, magic == MB_LOADER_MAGIC, "guest-multiboot-magic", "EAX=0x%x",
	                  magic)) {
		report_summary(&rep);
		guest_exit(false);
	}
	const struct mb_info *mbi = (const void *)(uintptr_t)info_pa;
	const char *cmdline =
	    (mbi->flags & MB_INFO_CMDLINE) ? (const char *)(uintptr_t)mbi->cmdline : "";
	guest_opts_defaults(&o);
	if (opts_parse(&guest_opts_table, cmdline, &o, &res) != OPTS_OK) {
		report_fail(&rep, "guest-options", "%s", res.msg);
		report_summary(&rep);
		guest_exit(false);
	}
	char buf[512];
	opts_format(buf, sizeof(buf), &guest_opts_table, &o, res.given);
	con_printf("guest options: %s\n", buf);

	u64 ram_top = mb_ram_top(mbi, (u64)(uintptr_t)_image_end - 1);
	u64 free_start = align_up((u64)(uintptr_t)_image_end, PAGE_SIZE_2M);
	con_printf("guest RAM: top 0x%llx, free from 0x%llx\n", ram_top, free_start);
	if (o.modsum.count)
		modcheck_run(&rep, mbi, &o.modsum, (u64)(uintptr_t)_image_start,
		             (u64)(uintptr_t)_image_end);
	if (o.checks)
		vmchecks_run(&rep, ram_top, mb_ram_bytes(mbi), free_start, o.pattern,
		             loaded_by_segvisor(mbi));
	if (o.oob)
		vmchecks_oob(&rep, ram_top);
	if (o.iohole_touch)
		iohole_touch(&rep, mbi);
	if (o.iohole && !iohole_run(&rep, mbi, free_start, &free_start, &ram_top) &&
	    o.workloads != WORKLOADS_NONE) {
		report_skip(&rep, "workloads", "the RAM below the PCI hole was not moved");
		o.workloads = WORKLOADS_NONE;
	}
	if (o.balloon) {
		/* Self-ballooning: free RAM above what the workloads reserve is fragmented,
		 * returned and hot-added; the workload region goes on the new range. */
		u64 gpa, bytes;
		u64 start = free_start + workloads_reserved_bytes(&o, ram_top);
		if (balloon_run(&rep, &o, start, ram_top, &gpa, &bytes)) {
			workloads_place_region(gpa);
			if (gpa + bytes > ram_top)
				ram_top = gpa + bytes;
		} else if (o.workloads != WORKLOADS_NONE) {
			report_skip(&rep, "workloads", "self-ballooning did not give a range");
			o.workloads = WORKLOADS_NONE;
		}
	}
	if (o.vmmfeat != VMMFEAT_NONE)
		vmmfeat_run(&rep, &o, free_start, ram_top);
	if (o.workloads != WORKLOADS_NONE)
		workloads_run(&rep, &o, ram_top, free_start);
	if (o.crash != CRASH_NONE)
		misbehave(o.crash);
	report_summary(&rep);
	guest_exit(rep.failures == 0);
}
