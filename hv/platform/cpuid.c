#include "hv/platform/cpuid.h"

#include "arch/x86/cpu.h"
#include "lib/hvcall.h"
#include "lib/mem.h"

#define CPUID_LEAF_HV_FIRST 0x40000000u
#define CPUID_LEAF_HV_LAST  0x4fffffffu

struct cpuid_regs platform_cpuid(u32 leaf, u32 subleaf)
{
	struct cpuid_regs c;

	if (leaf >= CPUID_LEAF_HV_FIRST && leaf <= CPUID_LEAF_HV_LAST) {
		memset(&c, 0, sizeof(c));
		if (leaf == HV_CPUID_LEAF_SIGNATURE) {
			c.eax = HV_CPUID_LEAF_MAX;
			memcpy(&c.ebx, &HV_SIGNATURE[0], 4);
			memcpy(&c.ecx, &HV_SIGNATURE[4], 4);
			memcpy(&c.edx, &HV_SIGNATURE[8], 4);
		} else if (leaf == HV_CPUID_LEAF_FEATURES) {
			c.eax = HV_ABI_VERSION;
		}
		return c;
	}
	c = cpuid(leaf, subleaf);
	if (leaf == CPUID_LEAF_FEATURES) {
		c.ecx &= ~CPUID_1_ECX_VMX; /* nested VMX is not offered */
		c.ecx |= CPUID_1_ECX_HYPERVISOR;
	} else if (leaf == CPUID_LEAF_EXT_FEATURES) {
		c.ecx &= ~CPUID_80000001_ECX_SVM; /* nor nested SVM */
	}
	return c;
}
