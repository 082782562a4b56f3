/* Link-time stand-ins for the assembly arch/x86/svm.c calls (svm_entry.S,
 * safe.S), so that its pure logic links into a host unit test. The code
 * paths that reach them (svm_run, svm_xsetbv) need a CPU in ring 0 and are
 * not exercised on the host; reaching one anyway fails the test loudly
 * rather than pretending a VMRUN or XSETBV happened. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "arch/x86/cpu.h"
#include "arch/x86/irq.h"
#include "arch/x86/vcpu.h"

void svm_enter(struct guest_regs *regs, u64 vmcb_pa, u64 host_save_pa);

void svm_enter(struct guest_regs *regs, u64 vmcb_pa, u64 host_save_pa)
{
	(void)regs, (void)vmcb_pa, (void)host_save_pa;
	fail_msg("svm_enter (VMRUN) reached in a host unit test");
}

int xsetbv_safe(u32 xcr, u64 value)
{
	(void)xcr, (void)value;
	fail_msg("xsetbv_safe reached in a host unit test");
	return -1;
}

/* No host MSRs in a host test: the vCPU's HWCR copy starts at 0. */
int rdmsr_safe(u32 msr, u64 *value)
{
	(void)msr, (void)value;
	return -1;
}

/* The host interrupt layer (arch/x86/irq.c) drives the LAPIC: not on the
 * host either. */
bool irq_host_setup(u32 tick_ms)
{
	(void)tick_ms;
	fail_msg("irq_host_setup (the LAPIC) reached in a host unit test");
	return false;
}

void irq_timer_arm(u64 deadline)
{
	(void)deadline;
	fail_msg("irq_timer_arm (the LAPIC timer) reached in a host unit test");
}

void irq_test_before_entry(bool nmi_held)
{
	(void)nmi_held;
	fail_msg("irq_test_before_entry reached in a host unit test");
}

void irq_guest_switch(bool inside)
{
	(void)inside;
	fail_msg("irq_guest_switch reached in a host unit test");
}
