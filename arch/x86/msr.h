/* Architectural names a hypervisor needs from the SDM: MSR indices (Vol. 4,
 * Chapter 2 "Model-Specific Registers", Table 2-2 "IA-32 Architectural MSRs")
 * with the bit fields segvisor reads and RFLAGS bits (Vol. 1, 3.4.3). The
 * CR0/CR4 and EFER bits (lib/x86/cr.h) and the CPUID bits (lib/x86/cpuid.h)
 * are shared with the test guest and come in from there. Names only: the
 * rdmsr/wrmsr accessors live in arch/x86/cpu.h. */
#ifndef ARCH_X86_MSR_H
#define ARCH_X86_MSR_H

#include "lib/bits.h"
#include "lib/x86/cpuid.h"
#include "lib/x86/cr.h"

/* ---- MSR indices (Vol. 4, Table 2-2) ---- */
#define IA32_TSC                  0x10
#define IA32_APIC_BASE            0x1b
#define IA32_FEATURE_CONTROL      0x3a
#define IA32_TSC_ADJUST           0x3b
#define IA32_PMC0                 0xc1 /* IA32_PMCn = IA32_PMC0 + n */
#define IA32_PMC(n)               (IA32_PMC0 + (n))
#define IA32_MTRRCAP              0xfe
#define IA32_SYSENTER_CS          0x174
#define IA32_SYSENTER_ESP         0x175
#define IA32_SYSENTER_EIP         0x176
#define IA32_PERFEVTSEL0          0x186 /* IA32_PERFEVTSELn = IA32_PERFEVTSEL0 + n */
#define IA32_PERFEVTSEL(n)        (IA32_PERFEVTSEL0 + (n))
#define IA32_MISC_ENABLE          0x1a0
#define IA32_BIOS_SIGN_ID         0x8b
#define IA32_DEBUGCTL             0x1d9
#define IA32_MTRR_PHYSBASE0       0x200 /* PHYSBASEn = 0x200 + 2n, PHYSMASKn = 0x201 + 2n */
#define IA32_MTRR_PHYSMASK0       0x201
#define IA32_PAT                  0x277
#define IA32_MTRR_DEF_TYPE        0x2ff
#define IA32_FIXED_CTR0           0x309 /* instructions retired */
#define IA32_FIXED_CTR1           0x30a /* core cycles */
#define IA32_FIXED_CTR2           0x30b /* reference cycles */
#define IA32_FIXED_CTR(n)         (IA32_FIXED_CTR0 + (n))
#define IA32_PERF_CAPABILITIES    0x345
#define IA32_FIXED_CTR_CTRL       0x38d
#define IA32_PERF_GLOBAL_STATUS   0x38e
#define IA32_PERF_GLOBAL_CTRL     0x38f
#define IA32_PERF_GLOBAL_OVF_CTRL 0x390

/* AMD core performance counters (AMD64 APM Vol. 2, 13.2 "Performance
 * Monitoring Counters"; AMD PPR for Family 17h, MSRC001_020[0...B]): the
 * legacy four at PERF_LEGACY_CTL0 + n / PERF_LEGACY_CTR0 + n, and with
 * CPUID Fn8000_0001_ECX[23] PerfCtrExtCore six interleaved pairs. */
#define AMD_SYSCFG           0xc0010010 /* System Configuration (APM Vol. 2, Appendix A) */
#define AMD_HWCR             0xc0010015 /* Hardware Configuration (APM Vol. 2, Appendix A) */
#define HWCR_TSC_FREQ_SEL    BIT(24)    /* the TSC counts at the P0 frequency */
#define AMD_PERF_LEGACY_CTL0 0xc0010000 /* PerfEvtSel0..3 */
#define AMD_PERF_LEGACY_CTR0 0xc0010004 /* PerfCtr0..3 */
#define AMD_PERF_CTL0        0xc0010200 /* PerfEvtSeln = AMD_PERF_CTL0 + 2n */
#define AMD_PERF_CTR0        0xc0010201 /* PerfCtrn = AMD_PERF_CTR0 + 2n */

/* VMX capability MSRs (Vol. 3D, Appendix A "VMX Capability Reporting Facility"). */
#define IA32_VMX_BASIC               0x480
#define IA32_VMX_PINBASED_CTLS       0x481
#define IA32_VMX_PROCBASED_CTLS      0x482
#define IA32_VMX_EXIT_CTLS           0x483
#define IA32_VMX_ENTRY_CTLS          0x484
#define IA32_VMX_MISC                0x485
#define IA32_VMX_CR0_FIXED0          0x486
#define IA32_VMX_CR0_FIXED1          0x487
#define IA32_VMX_CR4_FIXED0          0x488
#define IA32_VMX_CR4_FIXED1          0x489
#define IA32_VMX_VMCS_ENUM           0x48a
#define IA32_VMX_PROCBASED_CTLS2     0x48b
#define IA32_VMX_EPT_VPID_CAP        0x48c
#define IA32_VMX_TRUE_PINBASED_CTLS  0x48d
#define IA32_VMX_TRUE_PROCBASED_CTLS 0x48e
#define IA32_VMX_TRUE_EXIT_CTLS      0x48f
#define IA32_VMX_TRUE_ENTRY_CTLS     0x490
#define IA32_VMX_VMFUNC              0x491
#define IA32_VMX_PROCBASED_CTLS3     0x492
#define IA32_VMX_EXIT_CTLS2          0x493

#define IA32_STAR           0xc0000081
#define IA32_LSTAR          0xc0000082
#define IA32_CSTAR          0xc0000083
#define IA32_FMASK          0xc0000084
#define IA32_FS_BASE        0xc0000100
#define IA32_GS_BASE        0xc0000101
#define IA32_KERNEL_GS_BASE 0xc0000102
#define IA32_TSC_AUX        0xc0000103
/* IA32_EFER: lib/x86/cr.h. */

/* ---- IA32_FEATURE_CONTROL (Vol. 3C, 24.7 "Enabling and Entering VMX Operation") ---- */
#define FEATURE_CONTROL_LOCK            BIT(0)
#define FEATURE_CONTROL_VMX_INSIDE_SMX  BIT(1)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX BIT(2)

/* ---- IA32_APIC_BASE (Vol. 3A, "Local APIC Status and Location") ---- */
#define APIC_BASE_BSP           BIT(8)
#define APIC_BASE_X2APIC_ENABLE BIT(10)
#define APIC_BASE_GLOBAL_ENABLE BIT(11)
#define APIC_BASE_ADDR_MASK     BITS(51, 12)

/* ---- IA32_MTRRCAP / IA32_MTRR_DEF_TYPE (Vol. 3A, "Memory Type Range Registers") ---- */
#define MTRRCAP_VCNT_MASK       BITS(7, 0)
#define MTRRCAP_FIX             BIT(8)
#define MTRRCAP_WC              BIT(10)
#define MTRR_DEF_TYPE_TYPE_MASK BITS(7, 0)
#define MTRR_DEF_TYPE_FE        BIT(10)
#define MTRR_DEF_TYPE_E         BIT(11)

/* ---- IA32_PAT (Vol. 3A, "Page Attribute Table"): eight 8-bit entries, each a memory type ---- */
#define PAT_ENTRY_BITS  8
#define PAT_ENTRIES     8
#define PAT_MT_UC       0
#define PAT_MT_WC       1
#define PAT_MT_WT       4
#define PAT_MT_WP       5
#define PAT_MT_WB       6
#define PAT_MT_UC_MINUS 7
/* The power-on value: WB, WT, UC-, UC, repeated. */
#define PAT_POWER_ON_VALUE 0x0007040600070406ULL

/* ---- IA32_PERFEVTSELx (SDM Vol. 3B, 20.2.1.1 "Architectural Performance
 * Monitoring Version 1 Facilities", Figure 20-1) and AMD PerfEvtSeln (APM
 * Vol. 2, 13.2.1, Figure 13-7): the low 32 bits share one layout ---- */
#define PERFEVTSEL_EVENT_MASK  BITS(7, 0)
#define PERFEVTSEL_UMASK_SHIFT 8
#define PERFEVTSEL_UMASK_MASK  BITS(15, 8)
#define PERFEVTSEL_USR         BIT(16)
#define PERFEVTSEL_OS          BIT(17)
#define PERFEVTSEL_EDGE        BIT(18)
#define PERFEVTSEL_INT         BIT(20)
#define PERFEVTSEL_EN          BIT(22)
#define PERFEVTSEL_INV         BIT(23)
/* AMD only: EventSelect[11:8] in bits 35:32, and the host/guest filter
 * (APM Vol. 2, 13.2.1: counts only in guest or only in host mode when
 * EFER.SVME = 1). */
#define AMD_PERFEVTSEL_EVENT_HI_SHIFT 32
#define AMD_PERFEVTSEL_EVENT_HI_MASK  BITS(35, 32)
#define AMD_PERFEVTSEL_GUEST_ONLY     BIT(40)
#define AMD_PERFEVTSEL_HOST_ONLY      BIT(41)

/* ---- IA32_DEBUGCTL (Vol. 3B, "IA32_DEBUGCTL MSR") ---- */
#define DEBUGCTL_LBR                   BIT(0)
#define DEBUGCTL_BTF                   BIT(1)
#define DEBUGCTL_FREEZE_PERFMON_ON_PMI BIT(12)
/* Bits 5:2 and 63:16 are reserved (must be 0 in the guest-state field). */
#define DEBUGCTL_RESERVED (BITS(5, 2) | BITS(63, 16))

/* ---- IA32_VMX_BASIC (Vol. 3D, A.1 "Basic VMX Information") ---- */
#define VMX_BASIC_REVISION_MASK     BITS(30, 0)
#define VMX_BASIC_REGION_SIZE_SHIFT 32
#define VMX_BASIC_REGION_SIZE_MASK  BITS(44, 32) /* bytes for VMXON region and VMCS */
#define VMX_BASIC_PHYS_ADDR_32      BIT(48)      /* region addresses limited to 32 bits */
#define VMX_BASIC_DUAL_MONITOR      BIT(49)
#define VMX_BASIC_MEMTYPE_SHIFT     50
#define VMX_BASIC_MEMTYPE_MASK      BITS(53, 50) /* memory type for the VMCS: 0 UC, 6 WB */
#define VMX_BASIC_INS_OUTS_INFO     BIT(54)      /* exit instruction info on INS/OUTS */
#define VMX_BASIC_TRUE_CTLS         BIT(55)      /* IA32_VMX_TRUE_*_CTLS exist */
#define VMX_BASIC_NO_ERRCODE_REQ    BIT(56)      /* hw exceptions may be injected w/o error code */

static inline u32 vmx_basic_revision(u64 basic)
{
	return (u32)(basic & VMX_BASIC_REVISION_MASK);
}
static inline u32 vmx_basic_region_size(u64 basic)
{
	return (u32)((basic & VMX_BASIC_REGION_SIZE_MASK) >> VMX_BASIC_REGION_SIZE_SHIFT);
}
static inline u32 vmx_basic_memtype(u64 basic)
{
	return (u32)((basic & VMX_BASIC_MEMTYPE_MASK) >> VMX_BASIC_MEMTYPE_SHIFT);
}

/* ---- IA32_VMX_MISC (Vol. 3D, A.6 "Miscellaneous Data") ---- */
#define VMX_MISC_PREEMPT_TIMER_RATE_MASK BITS(4, 0) /* timer ticks at TSC >> this */
#define VMX_MISC_STORE_LMA               BIT(5)     /* exits store EFER.LMA in entry ctl */
#define VMX_MISC_ACTIVITY_HLT            BIT(6)
#define VMX_MISC_ACTIVITY_SHUTDOWN       BIT(7)
#define VMX_MISC_ACTIVITY_WAIT_SIPI      BIT(8)
#define VMX_MISC_PT_IN_VMX               BIT(14)
#define VMX_MISC_RDMSR_SMBASE            BIT(15)
#define VMX_MISC_CR3_TARGETS_SHIFT       16
#define VMX_MISC_CR3_TARGETS_MASK        BITS(24, 16)
#define VMX_MISC_MSR_LIST_SHIFT          25
#define VMX_MISC_MSR_LIST_MASK           BITS(27, 25) /* max MSR-list entries = 512 * (N + 1) */
#define VMX_MISC_SMM_MONITOR_CTL_B2      BIT(28)
#define VMX_MISC_VMWRITE_ANY             BIT(29) /* VMWRITE may write exit-information fields */
#define VMX_MISC_INJECT_ZERO_LEN         BIT(30) /* inject sw events with instruction length 0 */
#define VMX_MISC_MSEG_REVISION_MASK      BITS(63, 32)

static inline u32 vmx_misc_cr3_targets(u64 misc)
{
	return (u32)((misc & VMX_MISC_CR3_TARGETS_MASK) >> VMX_MISC_CR3_TARGETS_SHIFT);
}
static inline u32 vmx_misc_max_msr_list(u64 misc)
{
	return 512u * (u32)(((misc & VMX_MISC_MSR_LIST_MASK) >> VMX_MISC_MSR_LIST_SHIFT) + 1);
}

/* ---- IA32_VMX_EPT_VPID_CAP (Vol. 3D, A.10 "VPID and EPT Capabilities") ---- */
#define VMX_EPT_EXECUTE_ONLY                    BIT(0)
#define VMX_EPT_WALK_4                          BIT(6)  /* page-walk length 4 */
#define VMX_EPT_WALK_5                          BIT(7)  /* page-walk length 5 */
#define VMX_EPT_MT_UC                           BIT(8)  /* EPTP memory type UC allowed */
#define VMX_EPT_MT_WB                           BIT(14) /* EPTP memory type WB allowed */
#define VMX_EPT_2MB_PAGE                        BIT(16)
#define VMX_EPT_1GB_PAGE                        BIT(17)
#define VMX_EPT_INVEPT                          BIT(20)
#define VMX_EPT_AD                              BIT(21) /* accessed and dirty flags */
#define VMX_EPT_ADVANCED_EXIT_INFO              BIT(22)
#define VMX_EPT_SUPERVISOR_SHADOW_STACK         BIT(23)
#define VMX_EPT_INVEPT_SINGLE_CONTEXT           BIT(25)
#define VMX_EPT_INVEPT_ALL_CONTEXT              BIT(26)
#define VMX_VPID_INVVPID                        BIT(32)
#define VMX_VPID_INVVPID_INDIVIDUAL_ADDR        BIT(40)
#define VMX_VPID_INVVPID_SINGLE_CONTEXT         BIT(41)
#define VMX_VPID_INVVPID_ALL_CONTEXT            BIT(42)
#define VMX_VPID_INVVPID_SINGLE_CONTEXT_GLOBALS BIT(43)

/* ---- RFLAGS (Vol. 1, 3.4.3 "EFLAGS Register") ---- */
#define RFLAGS_CF        BIT(0)
#define RFLAGS_FIXED1    BIT(1) /* reserved, always 1 */
#define RFLAGS_PF        BIT(2)
#define RFLAGS_AF        BIT(4)
#define RFLAGS_ZF        BIT(6)
#define RFLAGS_SF        BIT(7)
#define RFLAGS_TF        BIT(8)
#define RFLAGS_IF        BIT(9)
#define RFLAGS_DF        BIT(10)
#define RFLAGS_OF        BIT(11)
#define RFLAGS_IOPL_MASK BITS(13, 12)
#define RFLAGS_NT        BIT(14)
#define RFLAGS_RF        BIT(16)
#define RFLAGS_VM        BIT(17)
#define RFLAGS_AC        BIT(18)
#define RFLAGS_VIF       BIT(19)
#define RFLAGS_VIP       BIT(20)
#define RFLAGS_ID        BIT(21)
/* Reserved bits that must be 0: 63:22, 15, 5, 3. */
#define RFLAGS_RESERVED_ZERO (BITS(63, 22) | BIT(15) | BIT(5) | BIT(3))

#endif
