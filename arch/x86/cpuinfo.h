/* What the CPU says about itself, for the boot report: vendor, model,
 * the features segvisor cares about, and the PMU CPUID claims (whether it
 * really answers is the PMU driver's to find out, arch/x86/pmu.h). */
#ifndef ARCH_X86_CPUINFO_H
#define ARCH_X86_CPUINFO_H

#include "lib/types.h"

struct cpuinfo {
	char vendor[13];
	char brand[49];
	u32 family, model, stepping;
	bool vmx, svm, page1gb, nx, hypervisor;
	u8 phys_bits, virt_bits;
	u8 pmu_version;  /* CPUID.0AH:EAX[7:0], as claimed */
	u8 pmu_counters; /* general-purpose counters, as claimed */
};

void cpuinfo_read(struct cpuinfo *ci);
void cpuinfo_print(const struct cpuinfo *ci);

#endif
