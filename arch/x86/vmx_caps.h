/* VMX capabilities as the CPU reports them (Intel SDM Vol. 3D, Appendix A),
 * and pure functions over them: computing a 32-bit control value from the
 * wanted bits (A.3-A.5), and the checklist of features segvisor requires or
 * uses. The host fills struct vmx_caps by rdmsr (nothing here touches the
 * CPU); host unit tests fill it by hand. */
#ifndef ARCH_X86_VMX_CAPS_H
#define ARCH_X86_VMX_CAPS_H

#include "lib/types.h"

/* Raw MSR values. An MSR the CPU does not have (TRUE_* without
 * IA32_VMX_BASIC bit 55, PROCBASED_CTLS2 without the secondary-controls
 * allowed-1 bit, EPT_VPID_CAP without EPT or VPID) is left 0. */
struct vmx_caps {
	u64 basic;              /* IA32_VMX_BASIC */
	u64 pinbased_ctls;      /* IA32_VMX_PINBASED_CTLS */
	u64 procbased_ctls;     /* IA32_VMX_PROCBASED_CTLS */
	u64 exit_ctls;          /* IA32_VMX_EXIT_CTLS */
	u64 entry_ctls;         /* IA32_VMX_ENTRY_CTLS */
	u64 true_pinbased_ctls; /* IA32_VMX_TRUE_PINBASED_CTLS */
	u64 true_procbased_ctls;
	u64 true_exit_ctls;
	u64 true_entry_ctls;
	u64 procbased_ctls2; /* IA32_VMX_PROCBASED_CTLS2 */
	u64 misc;            /* IA32_VMX_MISC */
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	u64 ept_vpid_cap; /* IA32_VMX_EPT_VPID_CAP */
	u64 vmfunc;       /* IA32_VMX_VMFUNC */
	/* Not an MSR: physical-address width, CPUID.80000008H:EAX[7:0]. Address
	 * checks of VM entry (27.2) are relative to it. */
	u8 maxphyaddr;
	/* Not an MSR: the bits of IA32_PERF_GLOBAL_CTRL this CPU defines, from
	 * CPUID.0AH (vmx_perf_global_ctrl_defined, arch/x86/vmx_check.h); the
	 * others are reserved and VM entry checks them (27.2.2, 27.3.1.1). */
	u64 perf_global_ctrl_defined;
};

/* The five 32-bit control fields whose settings a capability MSR governs. */
enum vmx_ctl_kind {
	VMX_CTL_PINBASED,
	VMX_CTL_PROCBASED,
	VMX_CTL_PROCBASED2,
	VMX_CTL_EXIT,
	VMX_CTL_ENTRY,
	VMX_CTL_KIND_COUNT
};
const char *vmx_ctl_kind_name(enum vmx_ctl_kind kind);

/* The capability MSR value that governs `kind`: the TRUE_* MSR when
 * IA32_VMX_BASIC bit 55 is set (A.2), else the original one. */
u64 vmx_caps_ctl_msr(const struct vmx_caps *caps, enum vmx_ctl_kind kind);

/* Bits 31:0 of a control MSR are the allowed-0 settings (a 1 means the
 * control must be 1); bits 63:32 the allowed-1 settings (a 0 means it must
 * be 0). A.3.1. */
static inline u32 vmx_ctl_must_be_1(u64 ctl_msr)
{
	return (u32)ctl_msr;
}
static inline u32 vmx_ctl_may_be_1(u64 ctl_msr)
{
	return (u32)(ctl_msr >> 32);
}

/* The control value to write: the wanted bits plus those that must be 1,
 * minus those that may not be 1. *not_allowed receives the wanted bits the
 * CPU forbids (0 when all were granted). */
u32 vmx_ctl_compute(u64 ctl_msr, u32 wanted, u32 *not_allowed);
/* The same for one control field, choosing the MSR by vmx_caps_ctl_msr. */
u32 vmx_caps_ctl_compute(const struct vmx_caps *caps, enum vmx_ctl_kind kind, u32 wanted,
                         u32 *not_allowed);

/* The features segvisor looks for, in checklist order. */
enum vmx_feature {
	VMX_FEAT_SECONDARY_CONTROLS,
	VMX_FEAT_EPT,
	VMX_FEAT_EPT_WALK_4,
	VMX_FEAT_EPT_WB,
	VMX_FEAT_INVEPT,
	VMX_FEAT_INVEPT_SINGLE_CONTEXT,
	VMX_FEAT_INVEPT_ALL_CONTEXT,
	VMX_FEAT_UNRESTRICTED_GUEST,
	VMX_FEAT_VPID,
	VMX_FEAT_INVVPID,
	VMX_FEAT_EPT_2MB_PAGES,
	VMX_FEAT_EPT_1GB_PAGES,
	VMX_FEAT_EPT_AD,
	VMX_FEAT_PREEMPTION_TIMER,
	VMX_FEAT_TRUE_CONTROLS,
	VMX_FEAT_COUNT
};

struct vmx_feature_check {
	const char *name;
	bool required; /* segvisor cannot run a guest without it */
	bool present;
};

/* Fills list[0..VMX_FEAT_COUNT) in enum order. Returns the number of
 * required features that are missing (0: the CPU is usable). */
unsigned vmx_caps_checklist(const struct vmx_caps *caps,
                            struct vmx_feature_check list[VMX_FEAT_COUNT]);
bool vmx_caps_has(const struct vmx_caps *caps, enum vmx_feature feature);

/* Prints one line per feature ("vmx: <name>: yes|no [required]"), then
 * one line "vmx: missing required feature: <name>" per missing one. */
void vmx_caps_print_checklist(const struct vmx_feature_check *list, size_t n);

#endif
