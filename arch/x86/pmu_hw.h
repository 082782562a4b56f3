/* The PMU driver on the real CPU: fills struct pmu_cpu from CPUID and
 * probes the MSRs with fault-catching accesses (arch/x86/pmu.h has the
 * contract). */
#ifndef ARCH_X86_PMU_HW_H
#define ARCH_X86_PMU_HW_H

#include "arch/x86/cpuinfo.h"
#include "arch/x86/pmu.h"

/* Probes pmu_current() as spec asks and prints the boot report's pmu lines.
 * Returns whether the PMU is active. */
bool pmu_hw_boot(const struct cpuinfo *ci, const struct pmu_spec *spec);

#endif
