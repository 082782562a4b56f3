/* VMX vocabulary (Intel SDM Vol. 3C): the named bits of every VM-execution,
 * VM-exit and VM-entry control (25.6-25.8), basic exit reasons (Vol. 3D,
 * Appendix C), VM-instruction error numbers (31.4), the exit-qualification
 * layouts segvisor decodes (28.2.1), the interruption-information format
 * (25.8.3, 25.9.2), segment access rights as held in the VMCS (25.4.1),
 * exception vectors (Vol. 3A, 6.3.1) and INVEPT/INVVPID types (31.3).
 * Names only, no code that touches the CPU. */
#ifndef ARCH_X86_VMX_DEFS_H
#define ARCH_X86_VMX_DEFS_H

#include "lib/x86/exc.h"
#include "lib/bits.h"

/* ---- Pin-based VM-execution controls (25.6.1, Table 25-5) ---- */
#define PIN_EXTERNAL_INTERRUPT_EXITING BIT(0)
#define PIN_NMI_EXITING                BIT(3)
#define PIN_VIRTUAL_NMIS               BIT(5)
#define PIN_ACTIVATE_PREEMPTION_TIMER  BIT(6)
#define PIN_PROCESS_POSTED_INTERRUPTS  BIT(7)

/* ---- Primary processor-based VM-execution controls (25.6.2, Table 25-6) ---- */
#define CPU_INTERRUPT_WINDOW_EXITING    BIT(2)
#define CPU_USE_TSC_OFFSETTING          BIT(3)
#define CPU_HLT_EXITING                 BIT(7)
#define CPU_INVLPG_EXITING              BIT(9)
#define CPU_MWAIT_EXITING               BIT(10)
#define CPU_RDPMC_EXITING               BIT(11)
#define CPU_RDTSC_EXITING               BIT(12)
#define CPU_CR3_LOAD_EXITING            BIT(15)
#define CPU_CR3_STORE_EXITING           BIT(16)
#define CPU_ACTIVATE_TERTIARY_CONTROLS  BIT(17)
#define CPU_CR8_LOAD_EXITING            BIT(19)
#define CPU_CR8_STORE_EXITING           BIT(20)
#define CPU_USE_TPR_SHADOW              BIT(21)
#define CPU_NMI_WINDOW_EXITING          BIT(22)
#define CPU_MOV_DR_EXITING              BIT(23)
#define CPU_UNCONDITIONAL_IO_EXITING    BIT(24)
#define CPU_USE_IO_BITMAPS              BIT(25)
#define CPU_MONITOR_TRAP_FLAG           BIT(27)
#define CPU_USE_MSR_BITMAPS             BIT(28)
#define CPU_MONITOR_EXITING             BIT(29)
#define CPU_PAUSE_EXITING               BIT(30)
#define CPU_ACTIVATE_SECONDARY_CONTROLS BIT(31)

/* ---- Secondary processor-based VM-execution controls (25.6.2, Table 25-7) ---- */
#define SEC_VIRTUALIZE_APIC_ACCESSES     BIT(0)
#define SEC_ENABLE_EPT                   BIT(1)
#define SEC_DESCRIPTOR_TABLE_EXITING     BIT(2)
#define SEC_ENABLE_RDTSCP                BIT(3)
#define SEC_VIRTUALIZE_X2APIC_MODE       BIT(4)
#define SEC_ENABLE_VPID                  BIT(5)
#define SEC_WBINVD_EXITING               BIT(6)
#define SEC_UNRESTRICTED_GUEST           BIT(7)
#define SEC_APIC_REGISTER_VIRTUALIZATION BIT(8)
#define SEC_VIRTUAL_INTERRUPT_DELIVERY   BIT(9)
#define SEC_PAUSE_LOOP_EXITING           BIT(10)
#define SEC_RDRAND_EXITING               BIT(11)
#define SEC_ENABLE_INVPCID               BIT(12)
#define SEC_ENABLE_VM_FUNCTIONS          BIT(13)
#define SEC_VMCS_SHADOWING               BIT(14)
#define SEC_ENABLE_ENCLS_EXITING         BIT(15)
#define SEC_RDSEED_EXITING               BIT(16)
#define SEC_ENABLE_PML                   BIT(17)
#define SEC_EPT_VIOLATION_VE             BIT(18)
#define SEC_CONCEAL_VMX_FROM_PT          BIT(19)
#define SEC_ENABLE_XSAVES_XRSTORS        BIT(20)
#define SEC_PASID_TRANSLATION            BIT(21)
#define SEC_MODE_BASED_EPT_EXECUTE       BIT(22)
#define SEC_SUB_PAGE_WRITE_PERMISSIONS   BIT(23)
#define SEC_PT_USES_GUEST_PHYSICAL       BIT(24)
#define SEC_USE_TSC_SCALING              BIT(25)
#define SEC_ENABLE_USER_WAIT_PAUSE       BIT(26)
#define SEC_ENABLE_PCONFIG               BIT(27)
#define SEC_ENABLE_ENCLV_EXITING         BIT(28)
#define SEC_VMM_BUS_LOCK_DETECTION       BIT(30)
#define SEC_INSTRUCTION_TIMEOUT          BIT(31)

/* ---- Primary VM-exit controls (25.7.1, Table 25-13) ---- */
#define EXIT_SAVE_DEBUG_CONTROLS         BIT(2)
#define EXIT_HOST_ADDRESS_SPACE_SIZE     BIT(9)
#define EXIT_LOAD_IA32_PERF_GLOBAL_CTRL  BIT(12)
#define EXIT_ACK_INTERRUPT_ON_EXIT       BIT(15)
#define EXIT_SAVE_IA32_PAT               BIT(18)
#define EXIT_LOAD_IA32_PAT               BIT(19)
#define EXIT_SAVE_IA32_EFER              BIT(20)
#define EXIT_LOAD_IA32_EFER              BIT(21)
#define EXIT_SAVE_PREEMPTION_TIMER       BIT(22)
#define EXIT_CLEAR_IA32_BNDCFGS          BIT(23)
#define EXIT_CONCEAL_VMX_FROM_PT         BIT(24)
#define EXIT_CLEAR_IA32_RTIT_CTL         BIT(25)
#define EXIT_CLEAR_IA32_LBR_CTL          BIT(26)
#define EXIT_CLEAR_UINV                  BIT(27)
#define EXIT_LOAD_CET_STATE              BIT(28)
#define EXIT_LOAD_PKRS                   BIT(29)
#define EXIT_SAVE_IA32_PERF_GLOBAL_CTL   BIT(30)
#define EXIT_ACTIVATE_SECONDARY_CONTROLS BIT(31)

/* ---- VM-entry controls (25.8.1, Table 25-15) ---- */
#define ENTRY_LOAD_DEBUG_CONTROLS        BIT(2)
#define ENTRY_IA32E_MODE_GUEST           BIT(9)
#define ENTRY_TO_SMM                     BIT(10)
#define ENTRY_DEACTIVATE_DUAL_MONITOR    BIT(11)
#define ENTRY_LOAD_IA32_PERF_GLOBAL_CTRL BIT(13)
#define ENTRY_LOAD_IA32_PAT              BIT(14)
#define ENTRY_LOAD_IA32_EFER             BIT(15)
#define ENTRY_LOAD_IA32_BNDCFGS          BIT(16)
#define ENTRY_CONCEAL_VMX_FROM_PT        BIT(17)
#define ENTRY_LOAD_IA32_RTIT_CTL         BIT(18)
#define ENTRY_LOAD_UINV                  BIT(19)
#define ENTRY_LOAD_CET_STATE             BIT(20)
#define ENTRY_LOAD_IA32_LBR_CTL          BIT(21)
#define ENTRY_LOAD_PKRS                  BIT(22)

/* ---- Exit reason field (25.9.1) ---- */
#define EXIT_REASON_BASIC_MASK    BITS(15, 0)
#define EXIT_REASON_ENCLAVE_MODE  BIT(27)
#define EXIT_REASON_PENDING_MTF   BIT(28)
#define EXIT_REASON_FROM_VMX_ROOT BIT(29)
#define EXIT_REASON_ENTRY_FAILURE BIT(31)

/* Basic exit reasons (Vol. 3D, Appendix C, Table C-1). Gaps are unused numbers. */
enum vmx_exit_reason {
	EXIT_REASON_EXCEPTION_NMI = 0,
	EXIT_REASON_EXTERNAL_INTERRUPT = 1,
	EXIT_REASON_TRIPLE_FAULT = 2,
	EXIT_REASON_INIT_SIGNAL = 3,
	EXIT_REASON_SIPI = 4,
	EXIT_REASON_IO_SMI = 5,
	EXIT_REASON_OTHER_SMI = 6,
	EXIT_REASON_INTERRUPT_WINDOW = 7,
	EXIT_REASON_NMI_WINDOW = 8,
	EXIT_REASON_TASK_SWITCH = 9,
	EXIT_REASON_CPUID = 10,
	EXIT_REASON_GETSEC = 11,
	EXIT_REASON_HLT = 12,
	EXIT_REASON_INVD = 13,
	EXIT_REASON_INVLPG = 14,
	EXIT_REASON_RDPMC = 15,
	EXIT_REASON_RDTSC = 16,
	EXIT_REASON_RSM = 17,
	EXIT_REASON_VMCALL = 18,
	EXIT_REASON_VMCLEAR = 19,
	EXIT_REASON_VMLAUNCH = 20,
	EXIT_REASON_VMPTRLD = 21,
	EXIT_REASON_VMPTRST = 22,
	EXIT_REASON_VMREAD = 23,
	EXIT_REASON_VMRESUME = 24,
	EXIT_REASON_VMWRITE = 25,
	EXIT_REASON_VMXOFF = 26,
	EXIT_REASON_VMXON = 27,
	EXIT_REASON_CR_ACCESS = 28,
	EXIT_REASON_MOV_DR = 29,
	EXIT_REASON_IO_INSTRUCTION = 30,
	EXIT_REASON_RDMSR = 31,
	EXIT_REASON_WRMSR = 32,
	EXIT_REASON_INVALID_GUEST_STATE = 33, /* VM-entry failure */
	EXIT_REASON_MSR_LOADING = 34,         /* VM-entry failure */
	EXIT_REASON_MWAIT = 36,
	EXIT_REASON_MONITOR_TRAP_FLAG = 37,
	EXIT_REASON_MONITOR = 39,
	EXIT_REASON_PAUSE = 40,
	EXIT_REASON_MACHINE_CHECK = 41, /* VM-entry failure */
	EXIT_REASON_TPR_BELOW_THRESHOLD = 43,
	EXIT_REASON_APIC_ACCESS = 44,
	EXIT_REASON_VIRTUALIZED_EOI = 45,
	EXIT_REASON_GDTR_IDTR_ACCESS = 46,
	EXIT_REASON_LDTR_TR_ACCESS = 47,
	EXIT_REASON_EPT_VIOLATION = 48,
	EXIT_REASON_EPT_MISCONFIG = 49,
	EXIT_REASON_INVEPT = 50,
	EXIT_REASON_RDTSCP = 51,
	EXIT_REASON_PREEMPTION_TIMER = 52,
	EXIT_REASON_INVVPID = 53,
	EXIT_REASON_WBINVD = 54,
	EXIT_REASON_XSETBV = 55,
	EXIT_REASON_APIC_WRITE = 56,
	EXIT_REASON_RDRAND = 57,
	EXIT_REASON_INVPCID = 58,
	EXIT_REASON_VMFUNC = 59,
	EXIT_REASON_ENCLS = 60,
	EXIT_REASON_RDSEED = 61,
	EXIT_REASON_PML_FULL = 62,
	EXIT_REASON_XSAVES = 63,
	EXIT_REASON_XRSTORS = 64,
	EXIT_REASON_PCONFIG = 65,
	EXIT_REASON_SPP_EVENT = 66,
	EXIT_REASON_UMWAIT = 67,
	EXIT_REASON_TPAUSE = 68,
	EXIT_REASON_LOADIWKEY = 69,
	EXIT_REASON_ENCLV = 70,
	EXIT_REASON_ENQCMD_PASID_FAILURE = 72,
	EXIT_REASON_ENQCMDS_PASID_FAILURE = 73,
	EXIT_REASON_BUS_LOCK = 74,
	EXIT_REASON_INSTRUCTION_TIMEOUT = 75,
	EXIT_REASON_COUNT /* size of a table indexed by basic exit reason */
};

/* ---- VM-instruction error numbers (31.4, Table 31-1) ---- */
enum vmx_instruction_error {
	VMXERR_NONE = 0,
	VMXERR_VMCALL_IN_VMX_ROOT = 1,
	VMXERR_VMCLEAR_INVALID_ADDRESS = 2,
	VMXERR_VMCLEAR_VMXON_POINTER = 3,
	VMXERR_VMLAUNCH_NONCLEAR_VMCS = 4,
	VMXERR_VMRESUME_NONLAUNCHED_VMCS = 5,
	VMXERR_VMRESUME_AFTER_VMXOFF = 6,
	VMXERR_ENTRY_INVALID_CONTROL_FIELD = 7,
	VMXERR_ENTRY_INVALID_HOST_STATE_FIELD = 8,
	VMXERR_VMPTRLD_INVALID_ADDRESS = 9,
	VMXERR_VMPTRLD_VMXON_POINTER = 10,
	VMXERR_VMPTRLD_INCORRECT_REVISION = 11,
	VMXERR_UNSUPPORTED_VMCS_COMPONENT = 12,
	VMXERR_VMWRITE_READ_ONLY_COMPONENT = 13,
	VMXERR_VMXON_IN_VMX_ROOT = 15,
	VMXERR_ENTRY_INVALID_EXECUTIVE_VMCS = 16,
	VMXERR_ENTRY_NONLAUNCHED_EXECUTIVE_VMCS = 17,
	VMXERR_ENTRY_EXECUTIVE_VMCS_NOT_VMXON = 18,
	VMXERR_VMCALL_NONCLEAR_VMCS = 19,
	VMXERR_VMCALL_INVALID_EXIT_CONTROLS = 20,
	VMXERR_VMCALL_INCORRECT_MSEG_REVISION = 22,
	VMXERR_VMXOFF_DUAL_MONITOR = 23,
	VMXERR_VMCALL_INVALID_SMM_MONITOR = 24,
	VMXERR_ENTRY_INVALID_EXECUTIVE_CONTROLS = 25,
	VMXERR_ENTRY_EVENTS_BLOCKED_BY_MOV_SS = 26,
	VMXERR_INVALID_INVEPT_INVVPID_OPERAND = 28,
	VMXERR_COUNT
};

/* ---- Exit qualification: EPT violation (28.2.1, Table 28-7) ---- */
#define EPT_VIOL_READ            BIT(0) /* the access was a data read */
#define EPT_VIOL_WRITE           BIT(1) /* the access was a data write */
#define EPT_VIOL_FETCH           BIT(2) /* the access was an instruction fetch */
#define EPT_VIOL_READABLE        BIT(3) /* the gPA was readable (AND of the walk's R bits) */
#define EPT_VIOL_WRITABLE        BIT(4) /* ... writable */
#define EPT_VIOL_EXECUTABLE      BIT(5) /* ... executable (supervisor mode with MBEC) */
#define EPT_VIOL_USER_EXECUTABLE BIT(6) /* with mode-based execute control */
#define EPT_VIOL_GLA_VALID       BIT(7) /* guest-linear-address field is valid */
/* With GLA valid: 1 = access to the translated linear address, 0 = access to
 * a guest paging-structure entry during the guest walk. */
#define EPT_VIOL_GLA_TRANSLATION         BIT(8)
#define EPT_VIOL_USER_LINEAR             BIT(9) /* advanced exit info only */
#define EPT_VIOL_RW_LINEAR               BIT(10)
#define EPT_VIOL_XD_LINEAR               BIT(11)
#define EPT_VIOL_NMI_UNBLOCKING          BIT(12) /* NMI unblocking due to IRET */
#define EPT_VIOL_SHADOW_STACK            BIT(13)
#define EPT_VIOL_SUPERVISOR_SHADOW_STACK BIT(14)
#define EPT_VIOL_GUEST_PAGING_VERIFY     BIT(15)
#define EPT_VIOL_ASYNC                   BIT(16) /* asynchronous to instruction execution */
#define EPT_VIOL_ACCESS_MASK             (EPT_VIOL_READ | EPT_VIOL_WRITE | EPT_VIOL_FETCH)

/* ---- Exit qualification: control-register access (28.2.1, Table 28-3) ---- */
#define CR_QUAL_CR_MASK         BITS(3, 0)
#define CR_QUAL_TYPE_SHIFT      4
#define CR_QUAL_TYPE_MASK       BITS(5, 4)
#define CR_QUAL_LMSW_MEMORY     BIT(6) /* LMSW operand: 0 register, 1 memory */
#define CR_QUAL_GPR_SHIFT       8
#define CR_QUAL_GPR_MASK        BITS(11, 8) /* 0 RAX, 1 RCX, 2 RDX, 3 RBX, 4 RSP, ... 15 R15 */
#define CR_QUAL_LMSW_DATA_SHIFT 16
#define CR_QUAL_LMSW_DATA_MASK  BITS(31, 16)
enum cr_access_type {
	CR_ACCESS_MOV_TO_CR = 0,
	CR_ACCESS_MOV_FROM_CR = 1,
	CR_ACCESS_CLTS = 2,
	CR_ACCESS_LMSW = 3,
};
static inline unsigned cr_qual_cr(u64 q)
{
	return (unsigned)(q & CR_QUAL_CR_MASK);
}
static inline enum cr_access_type cr_qual_type(u64 q)
{
	return (enum cr_access_type)((q & CR_QUAL_TYPE_MASK) >> CR_QUAL_TYPE_SHIFT);
}
static inline unsigned cr_qual_gpr(u64 q)
{
	return (unsigned)((q & CR_QUAL_GPR_MASK) >> CR_QUAL_GPR_SHIFT);
}

/* ---- Exit qualification: I/O instruction (28.2.1, Table 28-5) ---- */
#define IO_QUAL_SIZE_MASK  BITS(2, 0) /* access size - 1: 0, 1 or 3 */
#define IO_QUAL_IN         BIT(3)     /* direction: 1 = IN, 0 = OUT */
#define IO_QUAL_STRING     BIT(4)
#define IO_QUAL_REP        BIT(5)
#define IO_QUAL_IMMEDIATE  BIT(6) /* port was an immediate, not DX */
#define IO_QUAL_PORT_SHIFT 16
#define IO_QUAL_PORT_MASK  BITS(31, 16)
static inline unsigned io_qual_size(u64 q)
{
	return (unsigned)(q & IO_QUAL_SIZE_MASK) + 1;
}
static inline u16 io_qual_port(u64 q)
{
	return (u16)((q & IO_QUAL_PORT_MASK) >> IO_QUAL_PORT_SHIFT);
}

/* ---- Interruption information: VM-entry (25.8.3) and VM-exit /
 * IDT-vectoring (25.9.2, 25.9.3) share this layout ---- */
#define INTR_INFO_VECTOR_MASK        BITS(7, 0)
#define INTR_INFO_TYPE_SHIFT         8
#define INTR_INFO_TYPE_MASK          BITS(10, 8)
#define INTR_INFO_DELIVER_ERROR_CODE BIT(11)
#define INTR_INFO_NMI_UNBLOCKING     BIT(12)      /* exit information only */
#define INTR_INFO_RESERVED_MASK      BITS(30, 12) /* must be 0 for VM-entry injection */
#define INTR_INFO_VALID              BIT(31)
enum intr_type {
	INTR_TYPE_EXTERNAL_INTERRUPT = 0,
	INTR_TYPE_RESERVED = 1,
	INTR_TYPE_NMI = 2,
	INTR_TYPE_HARDWARE_EXCEPTION = 3,
	INTR_TYPE_SOFTWARE_INTERRUPT = 4,
	INTR_TYPE_PRIVILEGED_SOFTWARE_EXCEPTION = 5,
	INTR_TYPE_SOFTWARE_EXCEPTION = 6,
	INTR_TYPE_OTHER_EVENT = 7,
};
#define INTR_INFO(vector, type)                                                                    \
	(INTR_INFO_VALID | ((u32)(type) << INTR_INFO_TYPE_SHIFT) | (u8)(vector))
static inline enum intr_type intr_info_type(u32 info)
{
	return (enum intr_type)((info & INTR_INFO_TYPE_MASK) >> INTR_INFO_TYPE_SHIFT);
}
static inline u8 intr_info_vector(u32 info)
{
	return (u8)(info & INTR_INFO_VECTOR_MASK);
}

/* ---- Guest segment access rights (25.4.1, Table 25-2): the descriptor's
 * bits 15:8 and 23:20 packed, plus "unusable" ---- */
#define AR_TYPE_MASK       BITS(3, 0)
#define AR_TYPE_ACCESSED   BIT(0)
#define AR_TYPE_WRITABLE   BIT(1) /* data segments */
#define AR_TYPE_READABLE   BIT(1) /* code segments */
#define AR_TYPE_CONFORMING BIT(2) /* code segments; expand-down for data */
#define AR_TYPE_CODE       BIT(3)
#define AR_S               BIT(4) /* 1 = code/data, 0 = system */
#define AR_DPL_SHIFT       5
#define AR_DPL_MASK        BITS(6, 5)
#define AR_P               BIT(7)
#define AR_RESERVED_11_8   BITS(11, 8)
#define AR_AVL             BIT(12)
#define AR_L               BIT(13) /* 64-bit code segment */
#define AR_DB              BIT(14) /* default operation size: 1 = 32-bit */
#define AR_G               BIT(15) /* limit granularity: 1 = 4 KiB units */
#define AR_UNUSABLE        BIT(16)
#define AR_RESERVED_31_17  BITS(31, 17)
#define AR_DPL(d)          ((u32)(d) << AR_DPL_SHIFT)
static inline unsigned ar_type(u32 ar)
{
	return ar & AR_TYPE_MASK;
}
static inline unsigned ar_dpl(u32 ar)
{
	return (ar & AR_DPL_MASK) >> AR_DPL_SHIFT;
}

/* Segment types by name (Vol. 3A, 3.4.5.1 Table 3-1 and 3.5 Table 3-2). */
#define SEG_TYPE_DATA_RW_ACCESSED 0x3 /* read/write, accessed */
#define SEG_TYPE_CODE_XR_ACCESSED 0xb /* execute/read, accessed */
#define SEG_TYPE_LDT              0x2
#define SEG_TYPE_TSS16_BUSY       0x3
#define SEG_TYPE_TSS_BUSY         0xb /* 32-bit TSS busy; 64-bit TSS busy in IA-32e mode */

/* Selector fields (Vol. 3A, 3.4.2). */
#define SEL_RPL_MASK BITS(1, 0)
#define SEL_TI       BIT(2)

/* ---- Guest interruptibility state (25.4.2, Table 25-3) ---- */
#define INTERRUPTIBILITY_STI      BIT(0)
#define INTERRUPTIBILITY_MOV_SS   BIT(1)
#define INTERRUPTIBILITY_SMI      BIT(2)
#define INTERRUPTIBILITY_NMI      BIT(3)
#define INTERRUPTIBILITY_ENCLAVE  BIT(4)
#define INTERRUPTIBILITY_RESERVED BITS(31, 5)

/* ---- Guest activity state (25.4.2) ---- */
enum vmx_activity_state {
	ACTIVITY_ACTIVE = 0,
	ACTIVITY_HLT = 1,
	ACTIVITY_SHUTDOWN = 2,
	ACTIVITY_WAIT_FOR_SIPI = 3,
};

/* The VMCS link pointer value that means "no shadow VMCS" (25.4.2). */
#define VMCS_LINK_POINTER_NONE 0xffffffffffffffffULL

/* ---- INVEPT and INVVPID types (31.3, INVEPT / INVVPID) ---- */
enum invept_type {
	INVEPT_SINGLE_CONTEXT = 1,
	INVEPT_ALL_CONTEXT = 2,
};
enum invvpid_type {
	INVVPID_INDIVIDUAL_ADDRESS = 0,
	INVVPID_SINGLE_CONTEXT = 1,
	INVVPID_ALL_CONTEXT = 2,
	INVVPID_SINGLE_CONTEXT_RETAINING_GLOBALS = 3,
};

#endif
