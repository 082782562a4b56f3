/* The PMU driver (arch/x86/pmu.c) over the real MSRs: rdmsr_safe and
 * wrmsr_safe (arch/x86/safe.S) turn a #GP into a return value, so a PMU
 * that CPUID claims but the CPU (or emulator) does not have is refused by
 * name instead of crashing the boot. */
#include "arch/x86/pmu_hw.h"

#include "arch/x86/cpu.h"
#include "lib/x86/exc.h"
#include "lib/mem.h"

#define PROBE_LOOP_ITERATIONS 256
#define CPUID_LEAF_BASIC_MAX  0x0 /* EAX: the highest basic leaf */

static int hw_rdmsr(void *ctx, u32 msr, u64 *value)
{
	(void)ctx;
	return rdmsr_safe(msr, value);
}

static int hw_wrmsr(void *ctx, u32 msr, u64 value)
{
	(void)ctx;
	return wrmsr_safe(msr, value);
}

/* A few hundred retired instructions for the probe's known event. */
static void hw_run(void *ctx)
{
	(void)ctx;
	for (volatile unsigned i = 0; i < PROBE_LOOP_ITERATIONS; i++)
		;
}

static const struct pmu_ops hw_ops = {
    .rdmsr = hw_rdmsr,
    .wrmsr = hw_wrmsr,
    .run = hw_run,
    .fault_name = exc_name,
};

bool pmu_hw_boot(const struct cpuinfo *ci, const struct pmu_spec *spec)
{
	struct pmu_cpu cpu = {
	    .family = ci->family,
	    .model = ci->model,
	};
	if (memcmp(ci->vendor, "GenuineIntel", 12) == 0)
		cpu.vendor = PMU_VENDOR_INTEL;
	else if (memcmp(ci->vendor, "AuthenticAMD", 12) == 0)
		cpu.vendor = PMU_VENDOR_AMD;
	if (cpuid(CPUID_LEAF_BASIC_MAX, 0).eax >= CPUID_LEAF_PERFMON) {
		struct cpuid_regs a = cpuid(CPUID_LEAF_PERFMON, 0);
		cpu.leaf_a_eax = a.eax;
		cpu.leaf_a_ebx = a.ebx;
	}
	if (cpuid(CPUID_LEAF_EXT_MAX, 0).eax >= CPUID_LEAF_EXT_FEATURES)
		cpu.ext_ecx = cpuid(CPUID_LEAF_EXT_FEATURES, 0).ecx;
	struct pmu *p = pmu_current();
	bool ok = pmu_init(p, &hw_ops, &cpu, spec);
	pmu_print(p);
	return ok;
}
