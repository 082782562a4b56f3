/* A software VM-entry checker: the checks of Intel SDM Vol. 3C 27.2 "Checks
 * on VMX Controls and Host-State Area" and 27.3.1 "Checks on the Guest State
 * Area", run over the struct vmcs_state segvisor is about to write, before
 * VMLAUNCH. It returns the first failed rule (in SDM order) so that a
 * VM-entry failure comes with the rule named. It covers the controls and
 * state segvisor uses; it does not model virtual-8086 guests, SMM, APIC
 * virtualization, posted interrupts or the MSR-load lists' contents.
 * Stricter than the SDM in one place: the VMCS link pointer must be all
 * ones (segvisor uses no shadow VMCS). */
#ifndef ARCH_X86_VMX_CHECK_H
#define ARCH_X86_VMX_CHECK_H

#include "arch/x86/vmcs.h"
#include "arch/x86/vmx_caps.h"

/* X(code, "section: what is wrong"), in the order they are checked. */
#define VMX_CHECK_RULES(X)                                                                         \
	X(VMX_CHECK_OK, "all checks passed")                                                       \
	/* 27.2.1.1 VM-execution control fields */                                                 \
	X(VMX_CHECK_PIN_CONTROLS, "27.2.1.1: pin-based controls outside allowed-0/allowed-1")      \
	X(VMX_CHECK_PROC_CONTROLS,                                                                 \
	  "27.2.1.1: primary processor-based controls outside allowed-0/allowed-1")                \
	X(VMX_CHECK_PROC2_CONTROLS,                                                                \
	  "27.2.1.1: secondary processor-based controls outside allowed-0/allowed-1")              \
	X(VMX_CHECK_CR3_TARGET_COUNT, "27.2.1.1: CR3-target count above IA32_VMX_MISC[24:16]")     \
	X(VMX_CHECK_IO_BITMAP_ADDR,                                                                \
	  "27.2.1.1: I/O bitmap address not 4 KiB aligned or beyond physical-address width")       \
	X(VMX_CHECK_MSR_BITMAP_ADDR,                                                               \
	  "27.2.1.1: MSR bitmap address not 4 KiB aligned or beyond physical-address width")       \
	X(VMX_CHECK_VIRTUAL_NMIS, "27.2.1.1: virtual NMIs set without NMI exiting")                \
	X(VMX_CHECK_NMI_WINDOW, "27.2.1.1: NMI-window exiting set without virtual NMIs")           \
	X(VMX_CHECK_VPID_ZERO, "27.2.1.1: enable VPID set with VPID 0000H")                        \
	X(VMX_CHECK_EPTP_MEMORY_TYPE, "27.2.1.1: EPTP memory type is neither UC nor WB")           \
	X(VMX_CHECK_EPTP_MEMORY_TYPE_UNSUPPORTED,                                                  \
	  "27.2.1.1: EPTP memory type not supported per IA32_VMX_EPT_VPID_CAP")                    \
	X(VMX_CHECK_EPTP_WALK_LENGTH, "27.2.1.1: EPTP page-walk length not a supported value")     \
	X(VMX_CHECK_EPTP_AD, "27.2.1.1: EPTP enables accessed/dirty flags, not supported")         \
	X(VMX_CHECK_EPTP_RESERVED,                                                                 \
	  "27.2.1.1: EPTP reserved bits 11:7 or bits beyond physical-address width set")           \
	X(VMX_CHECK_UNRESTRICTED_WITHOUT_EPT, "27.2.1.1: unrestricted guest set without EPT")      \
	X(VMX_CHECK_PML_WITHOUT_EPT, "27.2.1.1: enable PML set without EPT")                       \
	/* 27.2.1.2 VM-exit control fields */                                                      \
	X(VMX_CHECK_EXIT_CONTROLS, "27.2.1.2: VM-exit controls outside allowed-0/allowed-1")       \
	X(VMX_CHECK_EXIT_SAVE_TIMER,                                                               \
	  "27.2.1.2: save VMX-preemption timer value set without activating the timer")            \
	X(VMX_CHECK_EXIT_MSR_STORE_ADDR,                                                           \
	  "27.2.1.2: VM-exit MSR-store address not 16-byte aligned or beyond width")               \
	X(VMX_CHECK_EXIT_MSR_LOAD_ADDR,                                                            \
	  "27.2.1.2: VM-exit MSR-load address not 16-byte aligned or beyond width")                \
	/* 27.2.1.3 VM-entry control fields */                                                     \
	X(VMX_CHECK_ENTRY_CONTROLS, "27.2.1.3: VM-entry controls outside allowed-0/allowed-1")     \
	X(VMX_CHECK_ENTRY_SMM,                                                                     \
	  "27.2.1.3: entry to SMM or deactivate dual-monitor set outside SMM")                     \
	X(VMX_CHECK_ENTRY_INTR_TYPE, "27.2.1.3: VM-entry interruption type 1 (reserved)")          \
	X(VMX_CHECK_ENTRY_INTR_VECTOR,                                                             \
	  "27.2.1.3: VM-entry interruption vector invalid for its type")                           \
	X(VMX_CHECK_ENTRY_INTR_ERROR_CODE,                                                         \
	  "27.2.1.3: deliver-error-code does not match the injected event")                        \
	X(VMX_CHECK_ENTRY_INTR_RESERVED, "27.2.1.3: VM-entry interruption-info bits 30:12 set")    \
	X(VMX_CHECK_ENTRY_ERROR_CODE_RESERVED,                                                     \
	  "27.2.1.3: VM-entry exception error code bits 31:16 set")                                \
	X(VMX_CHECK_ENTRY_INSTRUCTION_LEN,                                                         \
	  "27.2.1.3: VM-entry instruction length not in 1..15 for a software event")               \
	X(VMX_CHECK_ENTRY_MSR_LOAD_ADDR,                                                           \
	  "27.2.1.3: VM-entry MSR-load address not 16-byte aligned or beyond width")               \
	/* 27.2.2 host control registers and MSRs */                                               \
	X(VMX_CHECK_HOST_CR0_FIXED, "27.2.2: host CR0 violates IA32_VMX_CR0_FIXED0/FIXED1")        \
	X(VMX_CHECK_HOST_CR4_FIXED, "27.2.2: host CR4 violates IA32_VMX_CR4_FIXED0/FIXED1")        \
	X(VMX_CHECK_HOST_CR3, "27.2.2: host CR3 sets bits beyond physical-address width")          \
	X(VMX_CHECK_HOST_SYSENTER, "27.2.2: host IA32_SYSENTER_ESP/EIP not canonical")             \
	X(VMX_CHECK_HOST_PERF_GLOBAL_CTRL,                                                         \
	  "27.2.2: host IA32_PERF_GLOBAL_CTRL sets reserved bits")                                 \
	X(VMX_CHECK_HOST_PAT, "27.2.2: host IA32_PAT holds an invalid memory type")                \
	X(VMX_CHECK_HOST_EFER_RESERVED, "27.2.2: host IA32_EFER sets reserved bits")               \
	X(VMX_CHECK_HOST_EFER_LMA_LME,                                                             \
	  "27.2.2: host IA32_EFER.LMA/LME differ from host address-space size")                    \
	/* 27.2.3 host segment and descriptor-table registers */                                   \
	X(VMX_CHECK_HOST_SELECTOR_RPL_TI, "27.2.3: host selector with RPL or TI set")              \
	X(VMX_CHECK_HOST_CS_NULL, "27.2.3: host CS selector is 0000H")                             \
	X(VMX_CHECK_HOST_TR_NULL, "27.2.3: host TR selector is 0000H")                             \
	X(VMX_CHECK_HOST_SS_NULL, "27.2.3: host SS selector 0000H with 32-bit host")               \
	X(VMX_CHECK_HOST_BASE_CANONICAL, "27.2.3: host FS/GS/TR/GDTR/IDTR base not canonical")     \
	/* 27.2.4 checks related to address-space size */                                          \
	X(VMX_CHECK_HOST_ADDR_SPACE_LMA,                                                           \
	  "27.2.4: host address-space size differs from the processor's IA32_EFER.LMA")            \
	X(VMX_CHECK_IA32E_GUEST_32BIT_HOST, "27.2.4: IA-32e mode guest with a 32-bit host")        \
	X(VMX_CHECK_HOST_32BIT_STATE, "27.2.4: 32-bit host with CR4.PCIDE set or RIP above 4 GiB") \
	X(VMX_CHECK_HOST_CR4_PAE, "27.2.4: 64-bit host with CR4.PAE clear")                        \
	X(VMX_CHECK_HOST_RIP_CANONICAL, "27.2.4: 64-bit host with non-canonical RIP")              \
	/* 27.3.1.1 guest control registers, debug registers and MSRs */                           \
	X(VMX_CHECK_GUEST_CR0_FIXED, "27.3.1.1: guest CR0 violates IA32_VMX_CR0_FIXED0/FIXED1")    \
	X(VMX_CHECK_GUEST_CR0_PG_WITHOUT_PE, "27.3.1.1: guest CR0.PG set with CR0.PE clear")       \
	X(VMX_CHECK_GUEST_CR4_FIXED, "27.3.1.1: guest CR4 violates IA32_VMX_CR4_FIXED0/FIXED1")    \
	X(VMX_CHECK_GUEST_DEBUGCTL, "27.3.1.1: guest IA32_DEBUGCTL sets reserved bits")            \
	X(VMX_CHECK_GUEST_IA32E_PAGING, "27.3.1.1: IA-32e mode guest without CR0.PG and CR4.PAE")  \
	X(VMX_CHECK_GUEST_PCIDE, "27.3.1.1: guest CR4.PCIDE set outside IA-32e mode")              \
	X(VMX_CHECK_GUEST_CR3, "27.3.1.1: guest CR3 sets bits beyond physical-address width")      \
	X(VMX_CHECK_GUEST_DR7, "27.3.1.1: guest DR7 bits 63:32 set")                               \
	X(VMX_CHECK_GUEST_SYSENTER, "27.3.1.1: guest IA32_SYSENTER_ESP/EIP not canonical")         \
	X(VMX_CHECK_GUEST_PERF_GLOBAL_CTRL,                                                        \
	  "27.3.1.1: guest IA32_PERF_GLOBAL_CTRL sets reserved bits")                              \
	X(VMX_CHECK_GUEST_PAT, "27.3.1.1: guest IA32_PAT holds an invalid memory type")            \
	X(VMX_CHECK_GUEST_EFER_RESERVED, "27.3.1.1: guest IA32_EFER sets reserved bits")           \
	X(VMX_CHECK_GUEST_EFER_LMA,                                                                \
	  "27.3.1.1: guest IA32_EFER.LMA differs from IA-32e mode guest")                          \
	X(VMX_CHECK_GUEST_EFER_LME,                                                                \
	  "27.3.1.1: guest CR0.PG set and IA32_EFER.LME differs from LMA")                         \
	/* 27.3.1.2 guest segment registers */                                                     \
	X(VMX_CHECK_GUEST_V8086, "27.3.1.2: virtual-8086 guest state is not modelled by segvisor") \
	X(VMX_CHECK_GUEST_TR_TI, "27.3.1.2: guest TR selector has TI set")                         \
	X(VMX_CHECK_GUEST_LDTR_TI, "27.3.1.2: usable guest LDTR selector has TI set")              \
	X(VMX_CHECK_GUEST_SS_RPL, "27.3.1.2: guest SS.RPL differs from CS.RPL")                    \
	X(VMX_CHECK_GUEST_BASE_CANONICAL, "27.3.1.2: guest TR/FS/GS/LDTR base not canonical")      \
	X(VMX_CHECK_GUEST_BASE_HIGH, "27.3.1.2: guest CS/SS/DS/ES base bits 63:32 set")            \
	X(VMX_CHECK_GUEST_CS_TYPE, "27.3.1.2: guest CS type not accessed code (or data with UG)")  \
	X(VMX_CHECK_GUEST_SS_TYPE, "27.3.1.2: usable guest SS type not read/write accessed data")  \
	X(VMX_CHECK_GUEST_DATA_TYPE,                                                               \
	  "27.3.1.2: usable guest DS/ES/FS/GS not accessed, or code without read")                 \
	X(VMX_CHECK_GUEST_SEG_S, "27.3.1.2: guest CS or usable data segment has S clear")          \
	X(VMX_CHECK_GUEST_CS_DPL, "27.3.1.2: guest CS.DPL inconsistent with its type and SS.DPL")  \
	X(VMX_CHECK_GUEST_SS_DPL,                                                                  \
	  "27.3.1.2: guest SS.DPL inconsistent with SS.RPL, CS type or CR0.PE")                    \
	X(VMX_CHECK_GUEST_DATA_DPL, "27.3.1.2: guest DS/ES/FS/GS DPL below selector RPL")          \
	X(VMX_CHECK_GUEST_SEG_P, "27.3.1.2: guest CS or usable data segment not present")          \
	X(VMX_CHECK_GUEST_SEG_AR_RESERVED,                                                         \
	  "27.3.1.2: guest segment access rights reserved bits set")                               \
	X(VMX_CHECK_GUEST_CS_L_AND_DB, "27.3.1.2: CS.L and CS.D both set with IA-32e mode guest")  \
	X(VMX_CHECK_GUEST_SEG_G_LIMIT, "27.3.1.2: guest segment limit inconsistent with G flag")   \
	X(VMX_CHECK_GUEST_TR_TYPE, "27.3.1.2: guest TR type not a busy TSS for the guest mode")    \
	X(VMX_CHECK_GUEST_TR_AR, "27.3.1.2: guest TR has S set, P clear or is unusable")           \
	X(VMX_CHECK_GUEST_LDTR_AR, "27.3.1.2: usable guest LDTR not a present LDT descriptor")     \
	/* 27.3.1.3 guest descriptor-table registers */                                            \
	X(VMX_CHECK_GUEST_DTR_BASE, "27.3.1.3: guest GDTR/IDTR base not canonical")                \
	X(VMX_CHECK_GUEST_DTR_LIMIT, "27.3.1.3: guest GDTR/IDTR limit bits 31:16 set")             \
	/* 27.3.1.4 guest RIP and RFLAGS */                                                        \
	X(VMX_CHECK_GUEST_RIP_HIGH, "27.3.1.4: guest RIP above 4 GiB outside 64-bit mode")         \
	X(VMX_CHECK_GUEST_RIP_CANONICAL, "27.3.1.4: 64-bit guest RIP not canonical")               \
	X(VMX_CHECK_GUEST_RFLAGS_RESERVED,                                                         \
	  "27.3.1.4: guest RFLAGS reserved bits set or bit 1 clear")                               \
	X(VMX_CHECK_GUEST_RFLAGS_VM,                                                               \
	  "27.3.1.4: guest RFLAGS.VM set in IA-32e mode or with CR0.PE clear")                     \
	X(VMX_CHECK_GUEST_RFLAGS_IF, "27.3.1.4: external interrupt injected with RFLAGS.IF clear") \
	/* 27.3.1.5 guest non-register state */                                                    \
	X(VMX_CHECK_GUEST_ACTIVITY_STATE, "27.3.1.5: guest activity state invalid or unsupported") \
	X(VMX_CHECK_GUEST_ACTIVITY_HLT_DPL, "27.3.1.5: guest HLT activity state with SS.DPL != 0") \
	X(VMX_CHECK_GUEST_ACTIVITY_BLOCKING,                                                       \
	  "27.3.1.5: guest blocked by STI or MOV SS but not active")                               \
	X(VMX_CHECK_GUEST_INTERRUPTIBILITY_RESERVED,                                               \
	  "27.3.1.5: guest interruptibility state bits 31:5 set")                                  \
	X(VMX_CHECK_GUEST_INTERRUPTIBILITY_STI_MOV_SS,                                             \
	  "27.3.1.5: guest blocking by STI and by MOV SS both set")                                \
	X(VMX_CHECK_GUEST_INTERRUPTIBILITY_STI_IF,                                                 \
	  "27.3.1.5: guest blocking by STI with RFLAGS.IF clear")                                  \
	X(VMX_CHECK_GUEST_INTERRUPTIBILITY_EXTINT,                                                 \
	  "27.3.1.5: external interrupt injected while blocked by STI or MOV SS")                  \
	X(VMX_CHECK_GUEST_INTERRUPTIBILITY_SMI, "27.3.1.5: guest blocking by SMI outside SMM")     \
	X(VMX_CHECK_GUEST_PENDING_DBG_RESERVED,                                                    \
	  "27.3.1.5: guest pending debug exceptions reserved bits set")                            \
	X(VMX_CHECK_GUEST_LINK_POINTER,                                                            \
	  "27.3.1.5: VMCS link pointer not FFFFFFFF_FFFFFFFFH (segvisor uses no shadow VMCS)")     \
	/* 27.3.1.6 PDPTEs (PAE paging with EPT) */                                                \
	X(VMX_CHECK_GUEST_PDPTE, "27.3.1.6: guest PDPTE sets reserved bits")

#define VMX_CHECK_ENUM(code, msg) code,
enum vmx_check_rule { VMX_CHECK_RULES(VMX_CHECK_ENUM) VMX_CHECK_RULE_COUNT };
#undef VMX_CHECK_ENUM

/* What failed, beyond the rule: the VMCS field and its value, and the bits
 * at fault where the rule is about bits (else 0). */
struct vmx_check_detail {
	enum vmcs_field field;
	u64 value;
	u64 bad_bits;
};

/* Runs every check in SDM order over `s` against `caps` and returns the
 * first failed rule, or VMX_CHECK_OK. `detail` may be NULL; it is filled
 * only on failure. */
enum vmx_check_rule vmx_check_entry(const struct vmcs_state *s, const struct vmx_caps *caps,
                                    struct vmx_check_detail *detail);

/* The bits of IA32_PERF_GLOBAL_CTRL a CPU defines, from CPUID.0AH EAX and
 * EDX (SDM Vol. 3B, 20.2.2 and Figure 20-3 in the numbering used here;
 * Vol. 2A, CPUID leaf 0AH): bit n enables general-purpose counter n for
 * n < EAX[15:8], bit 32 + n fixed counter n for n < EDX[4:0]. Before perfmon
 * version 2 there is no IA32_PERF_GLOBAL_CTRL: 0. Bits of later versions
 * (such as the performance-metrics enable) are taken as reserved. */
u64 vmx_perf_global_ctrl_defined(u32 leaf_a_eax, u32 leaf_a_edx);

/* A PAT value whose eight entries are all valid memory types (UC, WC, WT,
 * WP, WB, UC-), as VM entry requires (SDM 27.3.1.1) and WRMSR does. */
bool vmx_pat_valid(u64 pat);

/* "27.3.1.2: CS.L and CS.D both set with IA-32e mode guest" and the like. */
const char *vmx_check_rule_message(enum vmx_check_rule rule);
/* The code's name, e.g. "VMX_CHECK_GUEST_CS_L_AND_DB". */
const char *vmx_check_rule_name(enum vmx_check_rule rule);

#endif
