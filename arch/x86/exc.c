#include "arch/x86/exc.h"

#include "arch/x86/cpu.h"
#include "arch/x86/irq.h"
#include "lib/x86/emu_exit.h"
#include "lib/console.h"

/* Set while a fatal report is printed: a fault inside the report itself
 * must not recurse, only end the run. */
static bool reporting;

static void report_control_registers(void)
{
	con_printf("  cr0=%016llx cr2=%016llx cr3=%016llx cr4=%016llx\n", read_cr0(), read_cr2(),
	           read_cr3(), read_cr4());
}

void exc_handle(struct exc_frame *f)
{
	if (f->vector == VEC_NMI) {
		/* Real machines raise NMIs for watchdogs and hardware errors; the
		 * hypervisor notes them and goes on. On SVM an NMI that arrived in
		 * guest mode exits (the NMI intercept) and is taken here after
		 * STGI (APM Vol. 2, 15.17). */
		irq_nmi(f->rip, false);
		return;
	}
	if (!reporting && exc_fixup(f))
		return;
	if (reporting) {
		con_printf("\nPANIC: hypervisor: exception %s (vector %llu) at rip 0x%llx while "
		           "reporting a fault; no SUMMARY follows\n",
		           exc_name((unsigned)f->vector), f->vector, f->rip);
		emu_exit(false);
	}
	reporting = true;
	if (f->vector == VEC_DF) {
		/* Taken on its own stack (IST1, arch/x86/desc.c): the stack of the
		 * fault before it may be what could not be used. The saved RIP and
		 * RSP are undefined for #DF (SDM Vol. 3A, 6.15, interrupt 8). */
		con_printf("\nFAIL: hypervisor: double fault (#DF): an exception could not be "
		           "delivered; this report runs on the double-fault stack\n");
		con_printf(
		    "  the frame the CPU pushed (its rip is undefined for #DF; rsp is the stack "
		    "pointer at the fault):\n");
	} else {
		con_printf("\nFAIL: hypervisor: exception %s (vector %llu) error 0x%llx\n",
		           exc_name((unsigned)f->vector), f->vector, f->error);
	}
	exc_print_frame(f);
	report_control_registers();
	con_printf("PANIC: unhandled exception in the hypervisor; no SUMMARY follows\n");
	emu_exit(false);
}
