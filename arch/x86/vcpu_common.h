/* What the VMX and SVM backends do alike: print the guest's general
 * registers, enable XSAVE in the host, and load a guest XCR0 after checking it. */
#ifndef ARCH_X86_VCPU_COMMON_H
#define ARCH_X86_VCPU_COMMON_H

#include "arch/x86/vcpu.h"

void guest_regs_print(const struct guest_regs *r);
/* CR4.OSXSAVE in the host, where the CPU has XSAVE, so that guest_xsetbv
 * can execute XSETBV at all (SDM Vol. 2D, XSETBV: #UD with OSXSAVE clear). */
void host_xsave_enable(void);
/* XSETBV on the guest's behalf; false when the value is invalid (#GP). */
bool guest_xsetbv(u32 xcr, u64 val);

#endif
