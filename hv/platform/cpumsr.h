/* Model-specific registers that only describe the CPU, answered with fixed values (SDM Vol. 4,
 * Table 2-2). IA32_MISC_ENABLE (0x1A0), which Linux reads at its first instruction on an Intel
 * CPU (arch/x86/kernel/verify_cpu.S, to clear XD Bit Disable) before it has an IDT, so a #GP
 * there is a triple fault:
 *   bit 0  fast-strings enable: 1
 *   bit 7  performance monitoring available: 0 (no PMU is given to the guest)
 *   bit 11 branch trace storage unavailable: 1
 *   bit 12 PEBS unavailable: 1
 *   bits 16 (Enhanced SpeedStep), 18 (MONITOR FSM: MONITOR/MWAIT are hidden), 22 (limit CPUID
 *          maxval), 23 (xTPR disable), 34 (XD Bit Disable): 0
 * A write of the value it reads is accepted; any other write is #GP (no bit may change).
 * IA32_BIOS_SIGN_ID (0x8B; AMD's PATCH_LEVEL at the same index): the microcode revision, in
 * EDX after a write of 0 and a CPUID (SDM Vol. 3A, 10.11.7.1): 0, no update loaded; Linux does
 * that write and read on Intel without the _safe accessors. A write of 0 is accepted, any other
 * value (an update's address, which would go to IA32_BIOS_UPDT_TRIG anyway) is #GP. */
#ifndef HV_PLATFORM_CPUMSR_H
#define HV_PLATFORM_CPUMSR_H

#include "lib/types.h"

#define MISC_ENABLE_FAST_STRINGS     0x1ull
#define MISC_ENABLE_BTS_UNAVAILABLE  0x800ull
#define MISC_ENABLE_PEBS_UNAVAILABLE 0x1000ull
#define MISC_ENABLE_VALUE                                                                          \
	(MISC_ENABLE_FAST_STRINGS | MISC_ENABLE_BTS_UNAVAILABLE | MISC_ENABLE_PEBS_UNAVAILABLE)

/* RDMSR/WRMSR of IA32_MISC_ENABLE: false for #GP. */
bool cpumsr_misc_enable(bool write, u64 *val);
/* RDMSR/WRMSR of IA32_BIOS_SIGN_ID: false for #GP. */
bool cpumsr_bios_sign_id(bool write, u64 *val);

#endif
