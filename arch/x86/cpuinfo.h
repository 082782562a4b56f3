/* What the CPU says about itself, for the boot report: vendor, model,
 * the features segvisor cares about, and whether a PMU really answers. */
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
	bool pmu_works;  /* IA32_PERFEVTSEL0 and IA32_PMC0 answered without #GP */
	int pmu_fault;   /* the vector + 1 when they did not */
};

void cpuinfo_read(struct cpuinfo *ci);
void cpuinfo_print(const struct cpuinfo *ci);

#endif
