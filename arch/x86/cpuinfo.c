#include "arch/x86/cpuinfo.h"

#include "arch/x86/cpu.h"
#include "arch/x86/exc.h"
#include "arch/x86/msr.h"
#include "lib/console.h"
#include "lib/mem.h"

#define CPUID_LEAF_VENDOR  0x0
#define CPUID_LEAF_EXT_MAX 0x80000000
#define CPUID_LEAF_BRAND0  0x80000002
#define CPUID_1_ECX_HV     BIT(31)
/* CPUID.1:EAX version information (SDM Vol. 2A, CPUID, Figure 3-6). */
#define VERSION_STEPPING(eax)  ((eax)&0xf)
#define VERSION_MODEL(eax)     (((eax) >> 4) & 0xf)
#define VERSION_FAMILY(eax)    (((eax) >> 8) & 0xf)
#define VERSION_EXT_MODEL(eax) (((eax) >> 16) & 0xf)
#define VERSION_EXT_FAM(eax)   (((eax) >> 20) & 0xff)
#define FAMILY_USES_EXT_FAMILY 0xf
#define FAMILY_P6              0x6

void cpuinfo_read(struct cpuinfo *ci)
{
	memset(ci, 0, sizeof(*ci));
	struct cpuid_regs v = cpuid(CPUID_LEAF_VENDOR, 0);
	memcpy(ci->vendor, &v.ebx, 4);
	memcpy(ci->vendor + 4, &v.edx, 4);
	memcpy(ci->vendor + 8, &v.ecx, 4);
	u32 max = v.eax;

	struct cpuid_regs f = cpuid(CPUID_LEAF_FEATURES, 0);
	ci->stepping = VERSION_STEPPING(f.eax);
	ci->model = VERSION_MODEL(f.eax);
	ci->family = VERSION_FAMILY(f.eax);
	if (ci->family == FAMILY_USES_EXT_FAMILY)
		ci->family += VERSION_EXT_FAM(f.eax);
	if (ci->family == FAMILY_P6 || ci->family >= FAMILY_USES_EXT_FAMILY)
		ci->model |= VERSION_EXT_MODEL(f.eax) << 4;
	ci->vmx = f.ecx & CPUID_1_ECX_VMX;
	ci->hypervisor = f.ecx & CPUID_1_ECX_HV;

	u32 ext_max = cpuid(CPUID_LEAF_EXT_MAX, 0).eax;
	if (ext_max >= CPUID_LEAF_EXT_FEATURES) {
		struct cpuid_regs e = cpuid(CPUID_LEAF_EXT_FEATURES, 0);
		ci->svm = e.ecx & CPUID_80000001_ECX_SVM;
		ci->nx = e.edx & CPUID_80000001_EDX_NX;
		ci->page1gb = e.edx & CPUID_80000001_EDX_PAGE1GB;
	}
	if (ext_max >= CPUID_LEAF_BRAND0 + 2) {
		for (u32 i = 0; i < 3; i++) {
			struct cpuid_regs b = cpuid(CPUID_LEAF_BRAND0 + i, 0);
			memcpy(ci->brand + 16 * i, &b, 16);
		}
	}
	if (ext_max >= CPUID_LEAF_ADDR_SIZES) {
		u32 a = cpuid(CPUID_LEAF_ADDR_SIZES, 0).eax;
		ci->phys_bits = a & CPUID_80000008_EAX_MAXPHYADDR_MASK;
		ci->virt_bits =
		    (a & CPUID_80000008_EAX_LINEAR_MASK) >> CPUID_80000008_EAX_LINEAR_SHIFT;
	}

	/* The PMU as CPUID claims it; CPUID may claim one that is not there
	 * (EMULATORS.md), so the driver (arch/x86/pmu.c) tries the MSRs. */
	if (max >= CPUID_LEAF_PERFMON) {
		u32 a = cpuid(CPUID_LEAF_PERFMON, 0).eax;
		ci->pmu_version = a & CPUID_A_EAX_VERSION_MASK;
		ci->pmu_counters = (a & CPUID_A_EAX_NUM_GP_MASK) >> CPUID_A_EAX_NUM_GP_SHIFT;
	}
}

void cpuinfo_print(const struct cpuinfo *ci)
{
	const char *brand = ci->brand;
	while (*brand == ' ')
		brand++;
	con_printf("cpu: %s family 0x%x model 0x%x stepping %u: %s\n", ci->vendor, ci->family,
	           ci->model, ci->stepping, *brand ? brand : "(no brand string)");
	con_printf("cpu: vmx=%s svm=%s page1gb=%s nx=%s hypervisor-bit=%s phys-bits=%u "
	           "virt-bits=%u\n",
	           ci->vmx ? "yes" : "no", ci->svm ? "yes" : "no", ci->page1gb ? "yes" : "no",
	           ci->nx ? "yes" : "no", ci->hypervisor ? "yes" : "no", ci->phys_bits,
	           ci->virt_bits);
	if (!ci->pmu_version)
		con_printf("pmu: CPUID leaf 0xA reports no architectural perfmon\n");
	else
		con_printf("pmu: CPUID claims perfmon v%u with %u counters\n", ci->pmu_version,
		           ci->pmu_counters);
}
