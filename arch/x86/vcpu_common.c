#include "arch/x86/vcpu_common.h"

#include <stddef.h>

#include "arch/x86/guest_regs.h"
#include "arch/x86/cpu.h"
#include "lib/console.h"

/* The world switches address struct guest_regs by these offsets. */
#define GPR_AT(field, off) (offsetof(struct guest_regs, field) == (off))
_Static_assert(GPR_AT(rax, R_RAX) && GPR_AT(rcx, R_RCX) && GPR_AT(rdx, R_RDX) &&
                   GPR_AT(rbx, R_RBX) && GPR_AT(rbp, R_RBP) && GPR_AT(rsi, R_RSI) &&
                   GPR_AT(rdi, R_RDI) && GPR_AT(r8, R_R8) && GPR_AT(r9, R_R9) &&
                   GPR_AT(r10, R_R10) && GPR_AT(r11, R_R11) && GPR_AT(r12, R_R12) &&
                   GPR_AT(r13, R_R13) && GPR_AT(r14, R_R14) && GPR_AT(r15, R_R15),
               "arch/x86/guest_regs.h matches struct guest_regs");

void guest_regs_print(const struct guest_regs *r)
{
	con_printf("  rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx\n", r->rax, r->rbx, r->rcx,
	           r->rdx);
	con_printf("  rsi=%016llx rdi=%016llx rbp=%016llx r8 =%016llx\n", r->rsi, r->rdi, r->rbp,
	           r->r8);
	con_printf("  r9 =%016llx r10=%016llx r11=%016llx r12=%016llx\n", r->r9, r->r10, r->r11,
	           r->r12);
	con_printf("  r13=%016llx r14=%016llx r15=%016llx\n", r->r13, r->r14, r->r15);
}

void host_xsave_enable(void)
{
	if (!(cpuid(CPUID_LEAF_FEATURES, 0).ecx & CPUID_1_ECX_XSAVE))
		return;
	write_cr4(read_cr4() | CR4_OSXSAVE);
	con_printf("xsave: host CR4.OSXSAVE set: a guest's XSETBV is executed on its behalf\n");
}

/* SDM Vol. 1, 13.3 (the same on AMD, APM Vol. 2, 11.5.2): XCR0 bit 0 (x87)
 * must be set, AVX needs SSE, and only bits CPUID.(EAX=0DH,ECX=0):EAX/EDX
 * report may be set. */
bool guest_xsetbv(u32 xcr, u64 val)
{
	struct cpuid_regs c = cpuid(CPUID_LEAF_XSAVE, 0);
	u64 supported = ((u64)c.edx << 32) | c.eax;
	if (xcr != 0 || !(val & XCR0_X87) || (val & ~supported) ||
	    ((val & XCR0_AVX) && !(val & XCR0_SSE)))
		return false;
	return xsetbv_safe(xcr, val) == 0;
}
