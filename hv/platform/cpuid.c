/* CPUID policy of cpuid.h. Bit positions from the SDM Vol. 2A, CPUID
 * (Tables "Feature Information Returned in the ECX/EDX Register",
 * "Structured Extended Feature Flags") and the APM Vol. 3, Appendix E. */
#include "hv/platform/cpuid.h"

#include "lib/hvcall.h"
#include "lib/x86/cr.h"
#include "lib/mem.h"

#define CPUID_LEAF_HV_FIRST 0x40000000u
#define CPUID_LEAF_HV_LAST  0x4fffffffu
#define CPUID_ANY_SUBLEAF   0xffffffffu

/* Leaves. */
#define CPUID_LEAF_MONITOR    0x5
#define CPUID_LEAF_THERMAL    0x6
#define CPUID_LEAF_EXT_FLAGS  0x7
#define CPUID_LEAF_CACHE      0x4
#define CPUID_LEAF_TOPOLOGY   0xb
#define CPUID_LEAF_XSAVE      0xd
#define CPUID_LEAF_RDT_MON    0xf
#define CPUID_LEAF_RDT_ALLOC  0x10
#define CPUID_LEAF_SGX        0x12
#define CPUID_LEAF_PT         0x14
#define CPUID_LEAF_TOPOLOGY2  0x1f
#define CPUID_LEAF_EXT_POWER  0x80000007
#define CPUID_LEAF_SVM        0x8000000a
#define CPUID_LEAF_AMD_TOPO   0x8000001e
#define CPUID_LEAF_SEV        0x8000001f
#define CPUID_LEAF_AMD_PERFV2 0x80000022

/* Leaf 1. */
#define C1_ECX_DTES64       BIT(2)
#define C1_ECX_MONITOR      BIT(3)
#define C1_ECX_DS_CPL       BIT(4)
#define C1_ECX_EST          BIT(7)
#define C1_ECX_TM2          BIT(8)
#define C1_ECX_TSC_DEADLINE BIT(24)
#define C1_EDX_MCE          BIT(7)
#define C1_EDX_MCA          BIT(14)
#define C1_EDX_DS           BIT(21)
#define C1_EDX_ACPI         BIT(22)
#define C1_EDX_HTT          BIT(28)
#define C1_EDX_TM           BIT(29)
#define C1_EDX_PBE          BIT(31)
#define C1_EBX_KEEP         BITS(15, 0) /* brand index, CLFLUSH line size */
#define C1_EBX_NLP_SHIFT    16          /* max addressable logical processor IDs */
/* Leaf 4. */
#define C4_EAX_TYPE_MASK    BITS(4, 0)
#define C4_EAX_SHARING_MASK BITS(31, 14) /* cores per package - 1, threads sharing - 1 */
/* Leaf 7, subleaf 0. */
#define C7_EBX_TSC_ADJUST BIT(1)
#define C7_EBX_SGX        BIT(2)
#define C7_EBX_INVPCID    BIT(10)
#define C7_EBX_RDT_M      BIT(12)
#define C7_EBX_RDT_A      BIT(15)
#define C7_EBX_PT         BIT(25)
#define C7_ECX_WAITPKG    BIT(5)
#define C7_ECX_LA57       BIT(16)
#define C7_ECX_RDPID      BIT(22)
#define C7_ECX_SGX_LC     BIT(30)
#define C7_EDX_PCONFIG    BIT(18)
#define C7_EDX_IBRS_IBPB  BIT(26)
#define C7_EDX_STIBP      BIT(27)
#define C7_EDX_L1D_FLUSH  BIT(28)
#define C7_EDX_ARCH_CAP   BIT(29)
#define C7_EDX_CORE_CAP   BIT(30)
#define C7_EDX_SSBD       BIT(31)
/* Leaf 0xD, subleaf 1. */
#define CD1_EAX_XSAVES BIT(3)
#define CD_SUBLEAF_XSS 1
/* Leaves 0xB/0x1F: level type in ECX[15:8]. */
#define TOPO_ECX_LEVEL_MASK 0xffu /* ECX[7:0]: the level number, the subleaf */
#define TOPO_ECX_TYPE_SHIFT 8
#define TOPO_TYPE_SMT       1
#define TOPO_TYPE_CORE      2
#define TOPO_LEVELS         2
/* 0x80000001. */
#define E1_EDX_MTRR         BIT(12) /* AMD's copy of leaf 1's bit */
#define E1_ECX_CMP_LEGACY   BIT(1)
#define E1_ECX_TOPOEXT      BIT(22)
#define E1_ECX_PERFCTR_CORE BIT(23)
#define E1_ECX_PERFCTR_NB   BIT(24)
#define E1_ECX_PERFCTR_LLC  BIT(28)
/* 0x80000007 EDX. */
#define E7_EDX_HWPSTATE BIT(7)
/* 0x80000008. */
#define E8_EBX_IBPB      BIT(12)
#define E8_EBX_IBRS      BIT(14)
#define E8_EBX_STIBP     BIT(15)
#define E8_EBX_SSBD      BIT(24)
#define E8_EBX_VIRT_SSBD BIT(25)
#define E8_ECX_NC_APICID BITS(15, 0) /* cores - 1 and the APIC ID width */

enum cpuid_reg { R_EAX, R_EBX, R_ECX, R_EDX };

/* Feature bits the guest is not shown, and why. `offer`: shown after all
 * when the vCPU gives it (struct cpuid_vcpu.offers). */
struct cpuid_hide {
	u32 leaf, subleaf; /* CPUID_ANY_SUBLEAF: every subleaf */
	u8 reg;            /* enum cpuid_reg */
	u32 bits;
	u32 offer; /* enum cpuid_offer, 0: always hidden */
	const char *why;
};

static const struct cpuid_hide cpuid_hidden[] = {
    {CPUID_LEAF_FEATURES, CPUID_ANY_SUBLEAF, R_ECX, CPUID_1_ECX_VMX, 0,
     "nested VMX is not offered"},
    {CPUID_LEAF_FEATURES, CPUID_ANY_SUBLEAF, R_ECX, CPUID_1_ECX_SMX, 0,
     "GETSEC exits unconditionally under VMX and is not emulated"},
    {CPUID_LEAF_FEATURES, CPUID_ANY_SUBLEAF, R_ECX, C1_ECX_MONITOR, 0,
     "MONITOR/MWAIT are not intercepted: MWAIT would wait on host hardware with no "
     "interrupt source for the guest"},
    {CPUID_LEAF_FEATURES, CPUID_ANY_SUBLEAF, R_ECX,
     C1_ECX_DTES64 | C1_ECX_DS_CPL | CPUID_1_ECX_PDCM, 0,
     "no PMU, debug store or IA32_PERF_CAPABILITIES is given to the guest"},
    {CPUID_LEAF_FEATURES, CPUID_ANY_SUBLEAF, R_EDX, C1_EDX_DS, 0,
     "no debug store (IA32_DS_AREA) is given to the guest"},
    {CPUID_LEAF_FEATURES, CPUID_ANY_SUBLEAF, R_ECX, C1_ECX_EST | C1_ECX_TM2, 0,
     "no P-state or thermal MSRs are given to the guest"},
    {CPUID_LEAF_FEATURES, CPUID_ANY_SUBLEAF, R_EDX, C1_EDX_ACPI | C1_EDX_TM | C1_EDX_PBE, 0,
     "no thermal-monitor or clock-modulation MSRs are given to the guest"},
    {CPUID_LEAF_FEATURES, CPUID_ANY_SUBLEAF, R_EDX, C1_EDX_MCE | C1_EDX_MCA, 0,
     "no machine-check MSRs (IA32_MCG_CAP, banks) are given to the guest"},
    {CPUID_LEAF_FEATURES, CPUID_ANY_SUBLEAF, R_EDX, C1_EDX_HTT, 0, "one logical processor"},
    {CPUID_LEAF_FEATURES, CPUID_ANY_SUBLEAF, R_EDX, CPUID_1_EDX_MTRR, 0,
     "no MTRR MSRs (IA32_MTRRCAP, IA32_MTRR_DEF_TYPE, the ranges) are given to the guest: they "
     "#GP, and Linux reads IA32_MTRRCAP whenever CPUID offers MTRRs"},
    {CPUID_LEAF_FEATURES, CPUID_ANY_SUBLEAF, R_EDX, CPUID_1_EDX_APIC, CPUID_OFFER_APIC,
     "the local APIC is offered by the platform (hv/platform/apic.h)"},
    {CPUID_LEAF_FEATURES, CPUID_ANY_SUBLEAF, R_ECX, CPUID_1_ECX_X2APIC, CPUID_OFFER_X2APIC,
     "x2APIC mode is offered by the platform when CPUID_OFFER_X2APIC"},
    {CPUID_LEAF_FEATURES, CPUID_ANY_SUBLEAF, R_ECX, C1_ECX_TSC_DEADLINE, CPUID_OFFER_TSC_DEADLINE,
     "the TSC-deadline timer is offered by the platform when CPUID_OFFER_TSC_DEADLINE"},
    {CPUID_LEAF_EXT_FLAGS, 0, R_EBX, C7_EBX_SGX, 0, "no SGX enclave memory"},
    {CPUID_LEAF_EXT_FLAGS, 0, R_ECX, C7_ECX_SGX_LC, 0, "no SGX enclave memory"},
    {CPUID_LEAF_EXT_FLAGS, 0, R_EBX, C7_EBX_INVPCID, CPUID_OFFER_INVPCID,
     "VMX: \"enable INVPCID\" is off, so INVPCID raises #UD; hidden under SVM alike, where "
     "it would run"},
    {CPUID_LEAF_EXT_FLAGS, 0, R_EBX, C7_EBX_RDT_M | C7_EBX_RDT_A, 0,
     "no resource-director MSRs (IA32_PQR_ASSOC) are given to the guest"},
    {CPUID_LEAF_EXT_FLAGS, 0, R_EBX, C7_EBX_PT, 0, "no processor trace MSRs are given"},
    {CPUID_LEAF_EXT_FLAGS, 0, R_ECX, C7_ECX_WAITPKG, CPUID_OFFER_WAITPKG,
     "VMX: \"enable user wait and pause\" is off, so TPAUSE/UMWAIT raise #UD"},
    {CPUID_LEAF_EXT_FLAGS, 0, R_ECX, C7_ECX_LA57, 0,
     "5-level paging: the exit handlers' guest walk (hv/vm/exits.c) and the walk model are "
     "4-level; Linux enables LA57 whenever CPUID offers it"},
    {CPUID_LEAF_EXT_FLAGS, 0, R_ECX, C7_ECX_RDPID, CPUID_OFFER_RDTSCP,
     "VMX: \"enable RDTSCP\" is off (RDPID raises #UD); SVM: RDPID would read the host's "
     "TSC_AUX"},
    {CPUID_LEAF_EXT_FLAGS, 0, R_EDX, C7_EDX_PCONFIG, 0,
     "VMX: \"enable PCONFIG\" is off, so PCONFIG raises #UD"},
    {CPUID_LEAF_EXT_FLAGS, 0, R_EDX,
     C7_EDX_IBRS_IBPB | C7_EDX_STIBP | C7_EDX_L1D_FLUSH | C7_EDX_ARCH_CAP | C7_EDX_CORE_CAP |
         C7_EDX_SSBD,
     0,
     "IA32_SPEC_CTRL, IA32_PRED_CMD, IA32_FLUSH_CMD and the capability MSRs are not given "
     "to the guest"},
    {CPUID_LEAF_XSAVE, CD_SUBLEAF_XSS, R_EAX, CD1_EAX_XSAVES, CPUID_OFFER_XSAVES,
     "VMX: \"enable XSAVES/XRSTORS\" is off; IA32_XSS is not given to the guest"},
    {CPUID_LEAF_XSAVE, CD_SUBLEAF_XSS, R_ECX, ~0u, CPUID_OFFER_XSAVES,
     "no IA32_XSS state components without XSAVES"},
    {CPUID_LEAF_XSAVE, CD_SUBLEAF_XSS, R_EDX, ~0u, CPUID_OFFER_XSAVES,
     "no IA32_XSS state components without XSAVES"},
    {CPUID_LEAF_EXT_FEATURES, CPUID_ANY_SUBLEAF, R_ECX, CPUID_80000001_ECX_SVM, 0,
     "nested SVM is not offered"},
    {CPUID_LEAF_EXT_FEATURES, CPUID_ANY_SUBLEAF, R_EDX, E1_EDX_MTRR, 0,
     "no MTRR MSRs are given to the guest (leaf 1's MTRR bit)"},
    {CPUID_LEAF_EXT_FEATURES, CPUID_ANY_SUBLEAF, R_ECX, E1_ECX_CMP_LEGACY | E1_ECX_TOPOEXT, 0,
     "one logical processor (leaf 0x8000001E is not given)"},
    {CPUID_LEAF_EXT_FEATURES, CPUID_ANY_SUBLEAF, R_ECX,
     E1_ECX_PERFCTR_CORE | E1_ECX_PERFCTR_NB | E1_ECX_PERFCTR_LLC, 0,
     "no PMU is given to the guest"},
    {CPUID_LEAF_EXT_FEATURES, CPUID_ANY_SUBLEAF, R_EDX, CPUID_80000001_EDX_RDTSCP,
     CPUID_OFFER_RDTSCP,
     "VMX: \"enable RDTSCP\" is off, so RDTSCP raises #UD; SVM: RDTSCP is not intercepted and "
     "would read the host's TSC_AUX"},
    {CPUID_LEAF_EXT_POWER, CPUID_ANY_SUBLEAF, R_EDX, E7_EDX_HWPSTATE, 0,
     "no P-state MSRs are given to the guest"},
    {CPUID_LEAF_ADDR_SIZES, CPUID_ANY_SUBLEAF, R_EBX,
     E8_EBX_IBPB | E8_EBX_IBRS | E8_EBX_STIBP | E8_EBX_SSBD | E8_EBX_VIRT_SSBD, 0,
     "IA32_SPEC_CTRL, IA32_PRED_CMD and VIRT_SPEC_CTRL are not given to the guest"},
};

/* Leaves answered with zeros, and why. */
struct cpuid_zero {
	u32 leaf;
	const char *why;
};

static const struct cpuid_zero cpuid_zeroed[] = {
    {CPUID_LEAF_MONITOR, "MONITOR/MWAIT hidden"},
    {CPUID_LEAF_THERMAL, "no thermal or power-management MSRs are given to the guest"},
    {CPUID_LEAF_PERFMON, "no PMU is given to the guest"},
    {CPUID_LEAF_RDT_MON, "no resource-director monitoring"},
    {CPUID_LEAF_RDT_ALLOC, "no resource-director allocation"},
    {CPUID_LEAF_SGX, "no SGX"},
    {CPUID_LEAF_PT, "no processor trace"},
    {CPUID_LEAF_SVM, "nested SVM is not offered"},
    {CPUID_LEAF_AMD_TOPO, "TOPOEXT hidden: one logical processor"},
    {CPUID_LEAF_SEV, "no memory encryption"},
    {CPUID_LEAF_AMD_PERFV2, "no PMU is given to the guest"},
};

static u32 *reg_of(struct cpuid_regs *c, u8 reg)
{
	u32 *const regs[] = {
	    [R_EAX] = &c->eax, [R_EBX] = &c->ebx, [R_ECX] = &c->ecx, [R_EDX] = &c->edx};
	return regs[reg];
}

static struct cpuid_regs hv_leaf(u32 leaf)
{
	struct cpuid_regs c;
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

/* One SMT level and one core level, each one processor wide (SDM Vol. 2A,
 * CPUID leaf 0BH): shift 0, one processor, x2APIC ID 0; past them the
 * invalid level (type 0, ECX[7:0] the subleaf). */
static struct cpuid_regs topology_leaf(u32 subleaf, struct cpuid_regs host)
{
	struct cpuid_regs c = {0, 0, subleaf & TOPO_ECX_LEVEL_MASK, 0};
	if (host.ebx == 0 && subleaf == 0)
		return (struct cpuid_regs){0, 0, 0, 0}; /* the host has no such leaf */
	static const u32 types[TOPO_LEVELS] = {TOPO_TYPE_SMT, TOPO_TYPE_CORE};
	if (subleaf < TOPO_LEVELS) {
		c.ebx = 1;
		c.ecx |= types[subleaf] << TOPO_ECX_TYPE_SHIFT;
	}
	return c;
}

struct cpuid_regs platform_cpuid_filter(const struct cpuid_vcpu *v, u32 leaf, u32 subleaf,
                                        struct cpuid_regs c)
{
	if (leaf >= CPUID_LEAF_HV_FIRST && leaf <= CPUID_LEAF_HV_LAST)
		return hv_leaf(leaf);
	for (unsigned i = 0; i < ARRAY_SIZE(cpuid_zeroed); i++)
		if (cpuid_zeroed[i].leaf == leaf)
			return (struct cpuid_regs){0, 0, 0, 0};
	if (leaf == CPUID_LEAF_TOPOLOGY || leaf == CPUID_LEAF_TOPOLOGY2)
		return topology_leaf(subleaf, c);

	for (unsigned i = 0; i < ARRAY_SIZE(cpuid_hidden); i++) {
		const struct cpuid_hide *h = &cpuid_hidden[i];
		if (h->leaf != leaf || (h->subleaf != CPUID_ANY_SUBLEAF && h->subleaf != subleaf))
			continue;
		if (h->offer && (v->offers & h->offer))
			continue;
		*reg_of(&c, h->reg) &= ~h->bits;
	}

	switch (leaf) {
	case CPUID_LEAF_FEATURES:
		c.ebx = (c.ebx & C1_EBX_KEEP) | 1u << C1_EBX_NLP_SHIFT; /* APIC ID 0, one CPU */
		c.ecx |= CPUID_1_ECX_HYPERVISOR;
		/* The APIC, x2APIC and TSC-deadline bits tell what the platform
		 * emulates (hv/platform/apic.h), whatever the host has. */
		if (v->offers & CPUID_OFFER_APIC)
			c.edx |= CPUID_1_EDX_APIC;
		if (v->offers & CPUID_OFFER_X2APIC)
			c.ecx |= CPUID_1_ECX_X2APIC;
		if (v->offers & CPUID_OFFER_TSC_DEADLINE)
			c.ecx |= C1_ECX_TSC_DEADLINE;
		/* OSXSAVE mirrors the guest's CR4, not the host's; only with XSAVE. */
		c.ecx &= ~CPUID_1_ECX_OSXSAVE;
		if ((c.ecx & CPUID_1_ECX_XSAVE) && (v->cr4 & CR4_OSXSAVE))
			c.ecx |= CPUID_1_ECX_OSXSAVE;
		break;
	case CPUID_LEAF_CACHE:
		if (c.eax & C4_EAX_TYPE_MASK)
			c.eax &= ~(u32)C4_EAX_SHARING_MASK; /* one core, one thread per cache */
		break;
	case CPUID_LEAF_EXT_FLAGS:
		if (subleaf == 0)
			c.ebx |= C7_EBX_TSC_ADJUST; /* emulated (hv/platform/tsc.c) */
		break;
	case CPUID_LEAF_ADDR_SIZES:
		c.ecx &= ~(u32)E8_ECX_NC_APICID; /* one core */
		break;
	}
	return c;
}

struct cpuid_regs platform_cpuid(const struct cpuid_vcpu *v, u32 leaf, u32 subleaf)
{
	if (leaf >= CPUID_LEAF_HV_FIRST && leaf <= CPUID_LEAF_HV_LAST)
		return hv_leaf(leaf);
	return platform_cpuid_filter(v, leaf, subleaf, cpuid(leaf, subleaf));
}
