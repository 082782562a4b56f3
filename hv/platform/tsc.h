/* The guest's time-stamp counter MSRs (SDM Vol. 3B, 18.17 "Time-Stamp
 * Counter"; 18.17.3 "Time-Stamp Counter Adjustment"), as pure logic: the
 * host's TSC is passed in by the caller.
 *
 * The guest's TSC is the host's plus `offset`, which the backend applies in
 * hardware (VMX "use TSC offsetting" with the VMCS TSC-offset field, SDM
 * Vol. 3C "Time-Stamp Counter Offset and Multiplier"; SVM's VMCB TSC_OFFSET,
 * APM Vol. 2 "TSC Offset") so that RDTSC,
 * which is not intercepted, agrees with RDMSR. After a write the caller
 * hands the new offset to the backend (vcpu_arch_set_tsc_offset). No TSC
 * scaling: the guest's TSC ticks at the host's rate.
 *
 *   IA32_TSC (0x10):        read host + offset; a write of X moves the
 *                           offset so the TSC reads X, and IA32_TSC_ADJUST
 *                           by the same amount (18.17.3).
 *   IA32_TSC_ADJUST (0x3b): starts at 0; a write of Y moves the TSC by
 *                           Y - the old value.
 *   IA32_TSC_AUX (0xc0000103): 32 bits of storage, bits 63:32 reserved
 *                           (#GP); only where CPUID offers RDTSCP or RDPID
 *                           (cfg.aux), otherwise the MSR does not exist. */
#ifndef HV_PLATFORM_TSC_H
#define HV_PLATFORM_TSC_H

#include "lib/types.h"

struct vtsc {
	u64 offset; /* guest TSC - host TSC, modulo 2^64 */
	u64 adjust; /* IA32_TSC_ADJUST */
	u32 aux;    /* IA32_TSC_AUX */
	bool has_aux;
};

void vtsc_init(struct vtsc *t, bool has_aux);
bool vtsc_owns_msr(u32 msr);
/* RDMSR/WRMSR of an owned MSR at host TSC `host`; false: #GP. */
bool vtsc_msr(struct vtsc *t, u32 msr, bool write, u64 *val, u64 host);
static inline u64 vtsc_guest(const struct vtsc *t, u64 host)
{
	return host + t->offset;
}

#endif
