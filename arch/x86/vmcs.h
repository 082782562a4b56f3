/* VMCS field encodings, one enumeration grouped exactly as Intel SDM Vol. 3D
 * Appendix B "Field Encoding in VMCS" (B.1 16-bit, B.2 64-bit, B.3 32-bit,
 * B.4 natural-width; each split into control, read-only data, guest state,
 * host state). 64-bit fields are named by their full encoding; the "_HIGH"
 * half (encoding + 1) is only needed by 32-bit code and is not listed.
 *
 * struct vmcs_state is the software image of the VMCS that segvisor fills,
 * checks (arch/x86/vmx_check.h) and then writes field by field:
 * VMCS_STATE_FIELDS(X) pairs each member with its encoding. */
#ifndef ARCH_X86_VMCS_H
#define ARCH_X86_VMCS_H

#include "arch/x86/vmx_defs.h"
#include "lib/types.h"

/* Encoding layout (25.11.2 "VMREAD, VMWRITE, and Encodings of VMCS Fields"): bit 0 access type (1 =
 * high half of a 64-bit field), 9:1 index, 11:10 type, 14:13 width. */
#define VMCS_ENC_HIGH        BIT(0)
#define VMCS_ENC_TYPE_SHIFT  10
#define VMCS_ENC_TYPE_MASK   BITS(11, 10)
#define VMCS_ENC_WIDTH_SHIFT 13
#define VMCS_ENC_WIDTH_MASK  BITS(14, 13)
enum vmcs_field_type {
	VMCS_TYPE_CONTROL = 0,
	VMCS_TYPE_READ_ONLY = 1,
	VMCS_TYPE_GUEST = 2,
	VMCS_TYPE_HOST = 3,
};
enum vmcs_field_width {
	VMCS_WIDTH_16 = 0,
	VMCS_WIDTH_64 = 1,
	VMCS_WIDTH_32 = 2,
	VMCS_WIDTH_NATURAL = 3,
};
static inline enum vmcs_field_type vmcs_field_type(u32 enc)
{
	return (enum vmcs_field_type)((enc & VMCS_ENC_TYPE_MASK) >> VMCS_ENC_TYPE_SHIFT);
}
static inline enum vmcs_field_width vmcs_field_width(u32 enc)
{
	return (enum vmcs_field_width)((enc & VMCS_ENC_WIDTH_MASK) >> VMCS_ENC_WIDTH_SHIFT);
}

enum vmcs_field {
	/* B.1.1 16-bit control fields */
	VMCS_VIRTUAL_PROCESSOR_ID = 0x0000,
	VMCS_POSTED_INTR_NOTIFICATION_VECTOR = 0x0002,
	VMCS_EPTP_INDEX = 0x0004,
	VMCS_HLAT_PREFIX_SIZE = 0x0006,
	VMCS_LAST_PID_POINTER_INDEX = 0x0008,

	/* B.1.2 16-bit guest-state fields */
	VMCS_GUEST_ES_SELECTOR = 0x0800,
	VMCS_GUEST_CS_SELECTOR = 0x0802,
	VMCS_GUEST_SS_SELECTOR = 0x0804,
	VMCS_GUEST_DS_SELECTOR = 0x0806,
	VMCS_GUEST_FS_SELECTOR = 0x0808,
	VMCS_GUEST_GS_SELECTOR = 0x080a,
	VMCS_GUEST_LDTR_SELECTOR = 0x080c,
	VMCS_GUEST_TR_SELECTOR = 0x080e,
	VMCS_GUEST_INTERRUPT_STATUS = 0x0810,
	VMCS_GUEST_PML_INDEX = 0x0812,
	VMCS_GUEST_UINV = 0x0814,

	/* B.1.3 16-bit host-state fields */
	VMCS_HOST_ES_SELECTOR = 0x0c00,
	VMCS_HOST_CS_SELECTOR = 0x0c02,
	VMCS_HOST_SS_SELECTOR = 0x0c04,
	VMCS_HOST_DS_SELECTOR = 0x0c06,
	VMCS_HOST_FS_SELECTOR = 0x0c08,
	VMCS_HOST_GS_SELECTOR = 0x0c0a,
	VMCS_HOST_TR_SELECTOR = 0x0c0c,

	/* B.2.1 64-bit control fields */
	VMCS_IO_BITMAP_A = 0x2000,
	VMCS_IO_BITMAP_B = 0x2002,
	VMCS_MSR_BITMAPS = 0x2004,
	VMCS_VM_EXIT_MSR_STORE_ADDR = 0x2006,
	VMCS_VM_EXIT_MSR_LOAD_ADDR = 0x2008,
	VMCS_VM_ENTRY_MSR_LOAD_ADDR = 0x200a,
	VMCS_EXECUTIVE_VMCS_POINTER = 0x200c,
	VMCS_PML_ADDRESS = 0x200e,
	VMCS_TSC_OFFSET = 0x2010,
	VMCS_VIRTUAL_APIC_ADDR = 0x2012,
	VMCS_APIC_ACCESS_ADDR = 0x2014,
	VMCS_POSTED_INTR_DESC_ADDR = 0x2016,
	VMCS_VM_FUNCTION_CONTROLS = 0x2018,
	VMCS_EPT_POINTER = 0x201a,
	VMCS_EOI_EXIT_BITMAP_0 = 0x201c,
	VMCS_EOI_EXIT_BITMAP_1 = 0x201e,
	VMCS_EOI_EXIT_BITMAP_2 = 0x2020,
	VMCS_EOI_EXIT_BITMAP_3 = 0x2022,
	VMCS_EPTP_LIST_ADDR = 0x2024,
	VMCS_VMREAD_BITMAP_ADDR = 0x2026,
	VMCS_VMWRITE_BITMAP_ADDR = 0x2028,
	VMCS_VE_INFO_ADDR = 0x202a,
	VMCS_XSS_EXITING_BITMAP = 0x202c,
	VMCS_ENCLS_EXITING_BITMAP = 0x202e,
	VMCS_SPP_TABLE_POINTER = 0x2030,
	VMCS_TSC_MULTIPLIER = 0x2032,
	VMCS_TERTIARY_VM_EXEC_CONTROL = 0x2034,
	VMCS_ENCLV_EXITING_BITMAP = 0x2036,
	VMCS_LOW_PASID_DIRECTORY = 0x2038,
	VMCS_HIGH_PASID_DIRECTORY = 0x203a,
	VMCS_SHARED_EPT_POINTER = 0x203c,
	VMCS_PCONFIG_EXITING_BITMAP = 0x203e,
	VMCS_HLAT_POINTER = 0x2040,
	VMCS_PID_POINTER_TABLE_ADDR = 0x2042,
	VMCS_SECONDARY_VM_EXIT_CONTROLS = 0x2044,
	VMCS_SPEC_CTRL_MASK = 0x204a,
	VMCS_SPEC_CTRL_SHADOW = 0x204c,

	/* B.2.2 64-bit read-only data fields */
	VMCS_GUEST_PHYSICAL_ADDRESS = 0x2400,

	/* B.2.3 64-bit guest-state fields */
	VMCS_LINK_POINTER = 0x2800,
	VMCS_GUEST_IA32_DEBUGCTL = 0x2802,
	VMCS_GUEST_IA32_PAT = 0x2804,
	VMCS_GUEST_IA32_EFER = 0x2806,
	VMCS_GUEST_IA32_PERF_GLOBAL_CTRL = 0x2808,
	VMCS_GUEST_PDPTE0 = 0x280a,
	VMCS_GUEST_PDPTE1 = 0x280c,
	VMCS_GUEST_PDPTE2 = 0x280e,
	VMCS_GUEST_PDPTE3 = 0x2810,
	VMCS_GUEST_IA32_BNDCFGS = 0x2812,
	VMCS_GUEST_IA32_RTIT_CTL = 0x2814,
	VMCS_GUEST_IA32_LBR_CTL = 0x2816,
	VMCS_GUEST_IA32_PKRS = 0x2818,

	/* B.2.4 64-bit host-state fields */
	VMCS_HOST_IA32_PAT = 0x2c00,
	VMCS_HOST_IA32_EFER = 0x2c02,
	VMCS_HOST_IA32_PERF_GLOBAL_CTRL = 0x2c04,
	VMCS_HOST_IA32_PKRS = 0x2c06,

	/* B.3.1 32-bit control fields */
	VMCS_PIN_BASED_VM_EXEC_CONTROL = 0x4000,
	VMCS_PRIMARY_VM_EXEC_CONTROL = 0x4002,
	VMCS_EXCEPTION_BITMAP = 0x4004,
	VMCS_PAGE_FAULT_ERROR_CODE_MASK = 0x4006,
	VMCS_PAGE_FAULT_ERROR_CODE_MATCH = 0x4008,
	VMCS_CR3_TARGET_COUNT = 0x400a,
	VMCS_VM_EXIT_CONTROLS = 0x400c,
	VMCS_VM_EXIT_MSR_STORE_COUNT = 0x400e,
	VMCS_VM_EXIT_MSR_LOAD_COUNT = 0x4010,
	VMCS_VM_ENTRY_CONTROLS = 0x4012,
	VMCS_VM_ENTRY_MSR_LOAD_COUNT = 0x4014,
	VMCS_VM_ENTRY_INTR_INFO = 0x4016,
	VMCS_VM_ENTRY_EXCEPTION_ERROR_CODE = 0x4018,
	VMCS_VM_ENTRY_INSTRUCTION_LEN = 0x401a,
	VMCS_TPR_THRESHOLD = 0x401c,
	VMCS_SECONDARY_VM_EXEC_CONTROL = 0x401e,
	VMCS_PLE_GAP = 0x4020,
	VMCS_PLE_WINDOW = 0x4022,
	VMCS_INSTRUCTION_TIMEOUT_CONTROL = 0x4024,

	/* B.3.2 32-bit read-only data fields */
	VMCS_VM_INSTRUCTION_ERROR = 0x4400,
	VMCS_EXIT_REASON = 0x4402,
	VMCS_VM_EXIT_INTR_INFO = 0x4404,
	VMCS_VM_EXIT_INTR_ERROR_CODE = 0x4406,
	VMCS_IDT_VECTORING_INFO = 0x4408,
	VMCS_IDT_VECTORING_ERROR_CODE = 0x440a,
	VMCS_VM_EXIT_INSTRUCTION_LEN = 0x440c,
	VMCS_VM_EXIT_INSTRUCTION_INFO = 0x440e,

	/* B.3.3 32-bit guest-state fields */
	VMCS_GUEST_ES_LIMIT = 0x4800,
	VMCS_GUEST_CS_LIMIT = 0x4802,
	VMCS_GUEST_SS_LIMIT = 0x4804,
	VMCS_GUEST_DS_LIMIT = 0x4806,
	VMCS_GUEST_FS_LIMIT = 0x4808,
	VMCS_GUEST_GS_LIMIT = 0x480a,
	VMCS_GUEST_LDTR_LIMIT = 0x480c,
	VMCS_GUEST_TR_LIMIT = 0x480e,
	VMCS_GUEST_GDTR_LIMIT = 0x4810,
	VMCS_GUEST_IDTR_LIMIT = 0x4812,
	VMCS_GUEST_ES_AR_BYTES = 0x4814,
	VMCS_GUEST_CS_AR_BYTES = 0x4816,
	VMCS_GUEST_SS_AR_BYTES = 0x4818,
	VMCS_GUEST_DS_AR_BYTES = 0x481a,
	VMCS_GUEST_FS_AR_BYTES = 0x481c,
	VMCS_GUEST_GS_AR_BYTES = 0x481e,
	VMCS_GUEST_LDTR_AR_BYTES = 0x4820,
	VMCS_GUEST_TR_AR_BYTES = 0x4822,
	VMCS_GUEST_INTERRUPTIBILITY_INFO = 0x4824,
	VMCS_GUEST_ACTIVITY_STATE = 0x4826,
	VMCS_GUEST_SMBASE = 0x4828,
	VMCS_GUEST_IA32_SYSENTER_CS = 0x482a,
	VMCS_PREEMPTION_TIMER_VALUE = 0x482e,

	/* B.3.4 32-bit host-state field */
	VMCS_HOST_IA32_SYSENTER_CS = 0x4c00,

	/* B.4.1 natural-width control fields */
	VMCS_CR0_GUEST_HOST_MASK = 0x6000,
	VMCS_CR4_GUEST_HOST_MASK = 0x6002,
	VMCS_CR0_READ_SHADOW = 0x6004,
	VMCS_CR4_READ_SHADOW = 0x6006,
	VMCS_CR3_TARGET_VALUE0 = 0x6008,
	VMCS_CR3_TARGET_VALUE1 = 0x600a,
	VMCS_CR3_TARGET_VALUE2 = 0x600c,
	VMCS_CR3_TARGET_VALUE3 = 0x600e,

	/* B.4.2 natural-width read-only data fields */
	VMCS_EXIT_QUALIFICATION = 0x6400,
	VMCS_IO_RCX = 0x6402,
	VMCS_IO_RSI = 0x6404,
	VMCS_IO_RDI = 0x6406,
	VMCS_IO_RIP = 0x6408,
	VMCS_GUEST_LINEAR_ADDRESS = 0x640a,

	/* B.4.3 natural-width guest-state fields */
	VMCS_GUEST_CR0 = 0x6800,
	VMCS_GUEST_CR3 = 0x6802,
	VMCS_GUEST_CR4 = 0x6804,
	VMCS_GUEST_ES_BASE = 0x6806,
	VMCS_GUEST_CS_BASE = 0x6808,
	VMCS_GUEST_SS_BASE = 0x680a,
	VMCS_GUEST_DS_BASE = 0x680c,
	VMCS_GUEST_FS_BASE = 0x680e,
	VMCS_GUEST_GS_BASE = 0x6810,
	VMCS_GUEST_LDTR_BASE = 0x6812,
	VMCS_GUEST_TR_BASE = 0x6814,
	VMCS_GUEST_GDTR_BASE = 0x6816,
	VMCS_GUEST_IDTR_BASE = 0x6818,
	VMCS_GUEST_DR7 = 0x681a,
	VMCS_GUEST_RSP = 0x681c,
	VMCS_GUEST_RIP = 0x681e,
	VMCS_GUEST_RFLAGS = 0x6820,
	VMCS_GUEST_PENDING_DBG_EXCEPTIONS = 0x6822,
	VMCS_GUEST_IA32_SYSENTER_ESP = 0x6824,
	VMCS_GUEST_IA32_SYSENTER_EIP = 0x6826,
	VMCS_GUEST_IA32_S_CET = 0x6828,
	VMCS_GUEST_SSP = 0x682a,
	VMCS_GUEST_IA32_INTR_SSP_TABLE_ADDR = 0x682c,

	/* B.4.4 natural-width host-state fields */
	VMCS_HOST_CR0 = 0x6c00,
	VMCS_HOST_CR3 = 0x6c02,
	VMCS_HOST_CR4 = 0x6c04,
	VMCS_HOST_FS_BASE = 0x6c06,
	VMCS_HOST_GS_BASE = 0x6c08,
	VMCS_HOST_TR_BASE = 0x6c0a,
	VMCS_HOST_GDTR_BASE = 0x6c0c,
	VMCS_HOST_IDTR_BASE = 0x6c0e,
	VMCS_HOST_IA32_SYSENTER_ESP = 0x6c10,
	VMCS_HOST_IA32_SYSENTER_EIP = 0x6c12,
	VMCS_HOST_RSP = 0x6c14,
	VMCS_HOST_RIP = 0x6c16,
	VMCS_HOST_IA32_S_CET = 0x6c18,
	VMCS_HOST_SSP = 0x6c1a,
	VMCS_HOST_IA32_INTR_SSP_TABLE_ADDR = 0x6c1c,
};

/* One guest segment register as the VMCS holds it (25.4.1): the four
 * fields VMCS_GUEST_<seg>_{SELECTOR,BASE,LIMIT,AR_BYTES}. */
struct vmcs_segment {
	u16 selector;
	u64 base;
	u32 limit; /* in bytes, after G scaling */
	u32 ar;    /* access rights, AR_* in arch/x86/vmx_defs.h */
};

/* The VMCS fields segvisor sets before VMLAUNCH. Members are named after
 * their VMCS_* encoding, lower case, without the VMCS_ prefix. */
struct vmcs_state {
	/* VM-execution controls (25.6) */
	u32 pin_based_vm_exec_control;
	u32 primary_vm_exec_control;
	u32 secondary_vm_exec_control; /* used only with CPU_ACTIVATE_SECONDARY_CONTROLS */
	u32 exception_bitmap;
	u32 page_fault_error_code_mask;
	u32 page_fault_error_code_match;
	u32 cr3_target_count;
	u64 cr0_guest_host_mask;
	u64 cr4_guest_host_mask;
	u64 cr0_read_shadow;
	u64 cr4_read_shadow;
	u64 io_bitmap_a;
	u64 io_bitmap_b;
	u64 msr_bitmaps;
	u64 tsc_offset;
	u16 virtual_processor_id; /* only with SEC_ENABLE_VPID */
	u64 ept_pointer;          /* only with SEC_ENABLE_EPT */

	/* VM-exit controls (25.7) */
	u32 vm_exit_controls;
	u32 vm_exit_msr_store_count;
	u64 vm_exit_msr_store_addr;
	u32 vm_exit_msr_load_count;
	u64 vm_exit_msr_load_addr;

	/* VM-entry controls (25.8) */
	u32 vm_entry_controls;
	u32 vm_entry_msr_load_count;
	u64 vm_entry_msr_load_addr;
	u32 vm_entry_intr_info;
	u32 vm_entry_exception_error_code;
	u32 vm_entry_instruction_len;

	/* Host-state area (25.5). host_ia32_efer also stands for the EFER the
	 * processor has when it executes VMLAUNCH (27.2.4 compares them). */
	u64 host_cr0;
	u64 host_cr3;
	u64 host_cr4;
	u64 host_rsp;
	u64 host_rip;
	u16 host_es_selector;
	u16 host_cs_selector;
	u16 host_ss_selector;
	u16 host_ds_selector;
	u16 host_fs_selector;
	u16 host_gs_selector;
	u16 host_tr_selector;
	u64 host_fs_base;
	u64 host_gs_base;
	u64 host_tr_base;
	u64 host_gdtr_base;
	u64 host_idtr_base;
	u32 host_ia32_sysenter_cs;
	u64 host_ia32_sysenter_esp;
	u64 host_ia32_sysenter_eip;
	u64 host_ia32_pat;
	u64 host_ia32_efer;
	u64 host_ia32_perf_global_ctrl; /* loaded with EXIT_LOAD_IA32_PERF_GLOBAL_CTRL */

	/* Guest-state area (25.4) */
	u64 guest_cr0;
	u64 guest_cr3;
	u64 guest_cr4;
	u64 guest_dr7;
	u64 guest_rsp;
	u64 guest_rip;
	u64 guest_rflags;
	struct vmcs_segment guest_es, guest_cs, guest_ss, guest_ds, guest_fs, guest_gs;
	struct vmcs_segment guest_ldtr, guest_tr;
	u64 guest_gdtr_base;
	u32 guest_gdtr_limit;
	u64 guest_idtr_base;
	u32 guest_idtr_limit;
	u64 guest_ia32_debugctl;
	u32 guest_ia32_sysenter_cs;
	u64 guest_ia32_sysenter_esp;
	u64 guest_ia32_sysenter_eip;
	u64 guest_ia32_pat;
	u64 guest_ia32_efer;
	u64 guest_ia32_perf_global_ctrl; /* loaded with ENTRY_LOAD_IA32_PERF_GLOBAL_CTRL */
	u64 guest_pending_dbg_exceptions;
	u32 guest_interruptibility_info;
	u32 guest_activity_state;
	u64 link_pointer;   /* VMCS_LINK_POINTER */
	u64 guest_pdpte[4]; /* PAE paging with EPT only (27.3.1.6) */
};

#define VMCS_STATE_SEGMENT_FIELDS(X, SEG, seg)                                                     \
	X(VMCS_GUEST_##SEG##_SELECTOR, guest_##seg.selector, 0)                                    \
	X(VMCS_GUEST_##SEG##_BASE, guest_##seg.base, 0)                                            \
	X(VMCS_GUEST_##SEG##_LIMIT, guest_##seg.limit, 0)                                          \
	X(VMCS_GUEST_##SEG##_AR_BYTES, guest_##seg.ar, 0)

/* X(encoding, member, needs): every member of struct vmcs_state with its
 * encoding. `needs` is the secondary control (SEC_*) without which the
 * field does not exist and must not be written, or 0. A writer is
 *   #define W(enc, m, needs) if (!(needs) || (sec & (needs))) vmwrite(enc, s->m);
 *   VMCS_STATE_FIELDS(W) */
#define VMCS_STATE_FIELDS(X)                                                                       \
	X(VMCS_PIN_BASED_VM_EXEC_CONTROL, pin_based_vm_exec_control, 0)                            \
	X(VMCS_PRIMARY_VM_EXEC_CONTROL, primary_vm_exec_control, 0)                                \
	X(VMCS_SECONDARY_VM_EXEC_CONTROL, secondary_vm_exec_control, 0)                            \
	X(VMCS_EXCEPTION_BITMAP, exception_bitmap, 0)                                              \
	X(VMCS_PAGE_FAULT_ERROR_CODE_MASK, page_fault_error_code_mask, 0)                          \
	X(VMCS_PAGE_FAULT_ERROR_CODE_MATCH, page_fault_error_code_match, 0)                        \
	X(VMCS_CR3_TARGET_COUNT, cr3_target_count, 0)                                              \
	X(VMCS_CR0_GUEST_HOST_MASK, cr0_guest_host_mask, 0)                                        \
	X(VMCS_CR4_GUEST_HOST_MASK, cr4_guest_host_mask, 0)                                        \
	X(VMCS_CR0_READ_SHADOW, cr0_read_shadow, 0)                                                \
	X(VMCS_CR4_READ_SHADOW, cr4_read_shadow, 0)                                                \
	X(VMCS_IO_BITMAP_A, io_bitmap_a, 0)                                                        \
	X(VMCS_IO_BITMAP_B, io_bitmap_b, 0)                                                        \
	X(VMCS_MSR_BITMAPS, msr_bitmaps, 0)                                                        \
	X(VMCS_TSC_OFFSET, tsc_offset, 0)                                                          \
	X(VMCS_VIRTUAL_PROCESSOR_ID, virtual_processor_id, SEC_ENABLE_VPID)                        \
	X(VMCS_EPT_POINTER, ept_pointer, SEC_ENABLE_EPT)                                           \
	X(VMCS_VM_EXIT_CONTROLS, vm_exit_controls, 0)                                              \
	X(VMCS_VM_EXIT_MSR_STORE_COUNT, vm_exit_msr_store_count, 0)                                \
	X(VMCS_VM_EXIT_MSR_STORE_ADDR, vm_exit_msr_store_addr, 0)                                  \
	X(VMCS_VM_EXIT_MSR_LOAD_COUNT, vm_exit_msr_load_count, 0)                                  \
	X(VMCS_VM_EXIT_MSR_LOAD_ADDR, vm_exit_msr_load_addr, 0)                                    \
	X(VMCS_VM_ENTRY_CONTROLS, vm_entry_controls, 0)                                            \
	X(VMCS_VM_ENTRY_MSR_LOAD_COUNT, vm_entry_msr_load_count, 0)                                \
	X(VMCS_VM_ENTRY_MSR_LOAD_ADDR, vm_entry_msr_load_addr, 0)                                  \
	X(VMCS_VM_ENTRY_INTR_INFO, vm_entry_intr_info, 0)                                          \
	X(VMCS_VM_ENTRY_EXCEPTION_ERROR_CODE, vm_entry_exception_error_code, 0)                    \
	X(VMCS_VM_ENTRY_INSTRUCTION_LEN, vm_entry_instruction_len, 0)                              \
	X(VMCS_HOST_CR0, host_cr0, 0)                                                              \
	X(VMCS_HOST_CR3, host_cr3, 0)                                                              \
	X(VMCS_HOST_CR4, host_cr4, 0)                                                              \
	X(VMCS_HOST_RSP, host_rsp, 0)                                                              \
	X(VMCS_HOST_RIP, host_rip, 0)                                                              \
	X(VMCS_HOST_ES_SELECTOR, host_es_selector, 0)                                              \
	X(VMCS_HOST_CS_SELECTOR, host_cs_selector, 0)                                              \
	X(VMCS_HOST_SS_SELECTOR, host_ss_selector, 0)                                              \
	X(VMCS_HOST_DS_SELECTOR, host_ds_selector, 0)                                              \
	X(VMCS_HOST_FS_SELECTOR, host_fs_selector, 0)                                              \
	X(VMCS_HOST_GS_SELECTOR, host_gs_selector, 0)                                              \
	X(VMCS_HOST_TR_SELECTOR, host_tr_selector, 0)                                              \
	X(VMCS_HOST_FS_BASE, host_fs_base, 0)                                                      \
	X(VMCS_HOST_GS_BASE, host_gs_base, 0)                                                      \
	X(VMCS_HOST_TR_BASE, host_tr_base, 0)                                                      \
	X(VMCS_HOST_GDTR_BASE, host_gdtr_base, 0)                                                  \
	X(VMCS_HOST_IDTR_BASE, host_idtr_base, 0)                                                  \
	X(VMCS_HOST_IA32_SYSENTER_CS, host_ia32_sysenter_cs, 0)                                    \
	X(VMCS_HOST_IA32_SYSENTER_ESP, host_ia32_sysenter_esp, 0)                                  \
	X(VMCS_HOST_IA32_SYSENTER_EIP, host_ia32_sysenter_eip, 0)                                  \
	X(VMCS_HOST_IA32_PAT, host_ia32_pat, 0)                                                    \
	X(VMCS_HOST_IA32_EFER, host_ia32_efer, 0)                                                  \
	X(VMCS_GUEST_CR0, guest_cr0, 0)                                                            \
	X(VMCS_GUEST_CR3, guest_cr3, 0)                                                            \
	X(VMCS_GUEST_CR4, guest_cr4, 0)                                                            \
	X(VMCS_GUEST_DR7, guest_dr7, 0)                                                            \
	X(VMCS_GUEST_RSP, guest_rsp, 0)                                                            \
	X(VMCS_GUEST_RIP, guest_rip, 0)                                                            \
	X(VMCS_GUEST_RFLAGS, guest_rflags, 0)                                                      \
	VMCS_STATE_SEGMENT_FIELDS(X, ES, es)                                                       \
	VMCS_STATE_SEGMENT_FIELDS(X, CS, cs)                                                       \
	VMCS_STATE_SEGMENT_FIELDS(X, SS, ss)                                                       \
	VMCS_STATE_SEGMENT_FIELDS(X, DS, ds)                                                       \
	VMCS_STATE_SEGMENT_FIELDS(X, FS, fs)                                                       \
	VMCS_STATE_SEGMENT_FIELDS(X, GS, gs)                                                       \
	VMCS_STATE_SEGMENT_FIELDS(X, LDTR, ldtr)                                                   \
	VMCS_STATE_SEGMENT_FIELDS(X, TR, tr)                                                       \
	X(VMCS_GUEST_GDTR_BASE, guest_gdtr_base, 0)                                                \
	X(VMCS_GUEST_GDTR_LIMIT, guest_gdtr_limit, 0)                                              \
	X(VMCS_GUEST_IDTR_BASE, guest_idtr_base, 0)                                                \
	X(VMCS_GUEST_IDTR_LIMIT, guest_idtr_limit, 0)                                              \
	X(VMCS_GUEST_IA32_DEBUGCTL, guest_ia32_debugctl, 0)                                        \
	X(VMCS_GUEST_IA32_SYSENTER_CS, guest_ia32_sysenter_cs, 0)                                  \
	X(VMCS_GUEST_IA32_SYSENTER_ESP, guest_ia32_sysenter_esp, 0)                                \
	X(VMCS_GUEST_IA32_SYSENTER_EIP, guest_ia32_sysenter_eip, 0)                                \
	X(VMCS_GUEST_IA32_PAT, guest_ia32_pat, 0)                                                  \
	X(VMCS_GUEST_IA32_EFER, guest_ia32_efer, 0)                                                \
	X(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, guest_pending_dbg_exceptions, 0)                      \
	X(VMCS_GUEST_INTERRUPTIBILITY_INFO, guest_interruptibility_info, 0)                        \
	X(VMCS_GUEST_ACTIVITY_STATE, guest_activity_state, 0)                                      \
	X(VMCS_LINK_POINTER, link_pointer, 0)                                                      \
	X(VMCS_GUEST_PDPTE0, guest_pdpte[0], SEC_ENABLE_EPT)                                       \
	X(VMCS_GUEST_PDPTE1, guest_pdpte[1], SEC_ENABLE_EPT)                                       \
	X(VMCS_GUEST_PDPTE2, guest_pdpte[2], SEC_ENABLE_EPT)                                       \
	X(VMCS_GUEST_PDPTE3, guest_pdpte[3], SEC_ENABLE_EPT)

/* X(encoding, member, controls, control): the members of struct vmcs_state
 * whose field exists only on a CPU that allows the VM-entry or VM-exit
 * control that loads it (25.4.2, 25.5; whether the control may be 1:
 * Appendix A.4, A.5). They are kept out of VMCS_STATE_FIELDS so that no
 * writer touches a field the CPU may not have; a writer writes each when its
 * control is set in the controls member named:
 *   #define W(enc, m, ctls, ctl) if (s->ctls & (ctl)) vmwrite(enc, s->m);
 *   VMCS_STATE_LOADED_FIELDS(W) */
#define VMCS_STATE_LOADED_FIELDS(X)                                                                \
	X(VMCS_GUEST_IA32_PERF_GLOBAL_CTRL, guest_ia32_perf_global_ctrl, vm_entry_controls,        \
	  ENTRY_LOAD_IA32_PERF_GLOBAL_CTRL)                                                        \
	X(VMCS_HOST_IA32_PERF_GLOBAL_CTRL, host_ia32_perf_global_ctrl, vm_exit_controls,           \
	  EXIT_LOAD_IA32_PERF_GLOBAL_CTRL)

#endif
