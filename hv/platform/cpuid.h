/* hv/platform/: what a guest may ask about the machine it runs on (DESIGN.md,
 * "Guests": CPUID policy today; the local APIC, the 16550, fw_cfg and the TSC
 * belong here too). Functions here answer one question each from the vCPU's
 * point of view; they may use arch/ and lib/, never hv/vm/ or the model.
 *
 * CPUID as the guest sees it: the host's answer with what segvisor does not
 * offer removed (nested VMX and SVM), the hypervisor bit set, and the
 * hypervisor leaves 0x40000000-0x4fffffff answered by segvisor alone. */
#ifndef HV_PLATFORM_CPUID_H
#define HV_PLATFORM_CPUID_H

#include "lib/x86/cpuid.h"

struct cpuid_regs platform_cpuid(u32 leaf, u32 subleaf);

#endif
