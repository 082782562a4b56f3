/* hv/platform/: what a guest may ask about the machine it runs on (DESIGN.md,
 * "Guests"). Functions here answer one question each from the vCPU's point
 * of view; they may use arch/ and lib/, never hv/vm/ or the model.
 *
 * CPUID as this vCPU's truth (SDM Vol. 2A, CPUID; APM Vol. 3, Appendix E):
 * the host's answer, filtered by a table of what is hidden and why
 * (cpuid.c, cpuid_hidden[]), with:
 *   - one CPU: leaf 1 EBX says APIC ID 0 and one logical processor, HTT and
 *     AMD's CmpLegacy clear, leaf 4 one core and one thread per cache,
 *     leaves 0xB and 0x1F one SMT and one core level of width 0, AMD's
 *     0x80000008 ECX one core;
 *   - leaf 1 ECX.OSXSAVE (bit 27) a copy of the guest's CR4.OSXSAVE;
 *   - the hypervisor bit (leaf 1 ECX bit 31) set, and IA32_TSC_ADJUST
 *     (leaf 7 EBX bit 1) offered, since hv/platform/tsc.c emulates it;
 *   - whole leaves zeroed where nothing behind them is given (PMU 0xA,
 *     MONITOR 0x5, thermal and power 0x6, RDT 0xF/0x10, SGX 0x12, PT 0x14,
 *     SVM 0x8000000A, SEV 0x8000001F, AMD topology 0x8000001E and PMU
 *     0x80000022);
 *   - leaves 0x15 (TSC/crystal ratio) and 0x16 (frequencies) the host's:
 *     the guest's TSC is the host's plus an offset, never scaled, so they
 *     hold for it.
 * Features a backend may enable (CPUID_OFFER_*) are hidden unless the
 * caller says it did. The hypervisor leaves 0x40000000-0x4fffffff are
 * answered by segvisor alone. */
#ifndef HV_PLATFORM_CPUID_H
#define HV_PLATFORM_CPUID_H

#include "lib/x86/cpuid.h"

/* What the vCPU's backend and platform give beyond the baseline. */
enum cpuid_offer {
	CPUID_OFFER_APIC = 1u << 0,         /* an xAPIC is emulated */
	CPUID_OFFER_X2APIC = 1u << 1,       /* x2APIC MSRs are emulated */
	CPUID_OFFER_TSC_DEADLINE = 1u << 2, /* the APIC timer's TSC-deadline mode */
	CPUID_OFFER_RDTSCP = 1u << 3,       /* RDTSCP and RDPID run and read the guest's TSC_AUX */
	CPUID_OFFER_INVPCID = 1u << 4,
	CPUID_OFFER_XSAVES = 1u << 5, /* XSAVES/XRSTORS and IA32_XSS */
	CPUID_OFFER_WAITPKG = 1u << 6,
};

struct cpuid_vcpu {
	u64 cr4;    /* the guest's CR4 at the CPUID */
	u32 offers; /* enum cpuid_offer bits */
};

/* The guest's answer to CPUID(leaf, subleaf) given the host's. Pure: host
 * unit tests call it with made-up host answers. */
struct cpuid_regs platform_cpuid_filter(const struct cpuid_vcpu *v, u32 leaf, u32 subleaf,
                                        struct cpuid_regs host);
/* The same with the host's answer read from this CPU. */
struct cpuid_regs platform_cpuid(const struct cpuid_vcpu *v, u32 leaf, u32 subleaf);

#endif
