#include "arch/x86/exc.h"

#include "arch/x86/cpu.h"
#include "arch/x86/platform.h"
#include "lib/console.h"

void exc_handle(struct exc_frame *f)
{
	if (f->vector == VEC_NMI) {
		/* Real machines raise NMIs for watchdogs and hardware errors; the
		 * hypervisor notes them and goes on. */
		con_printf("hypervisor: NMI at rip 0x%llx ignored\n", f->rip);
		return;
	}
	if (exc_fixup(f))
		return;
	con_printf("\nFAIL: hypervisor: exception %s (vector %llu) error 0x%llx\n",
	           exc_name((unsigned)f->vector), f->vector, f->error);
	exc_print_frame(f);
	con_printf("  cr0=%016llx cr2=%016llx cr3=%016llx cr4=%016llx\n", read_cr0(), read_cr2(),
	           read_cr3(), read_cr4());
	con_printf("PANIC: unhandled exception in the hypervisor; no SUMMARY follows\n");
	platform_exit(false);
}
