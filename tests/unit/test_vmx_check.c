/* arch/x86/vmx_check: a known-good VMCS (a Multiboot kernel entered as a
 * 32-bit protected-mode, paging-off unrestricted guest under a 64-bit host)
 * passes; breaking one rule at a time yields exactly that rule's code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "arch/x86/ept.h"
#include "arch/x86/msr.h"
#include "lib/x86/paging.h"
#include "arch/x86/vmx_check.h"

/* Bochs 2.7 corei7_skylake_x (EMULATORS.md for the pin/proc/CR fixed0
 * values; the rest are illustrative values consistent with them). */
static struct vmx_caps skylake_caps(void)
{
	struct vmx_caps c = {
	    .basic = VMX_BASIC_TRUE_CTLS | VMX_BASIC_INS_OUTS_INFO |
	             (EPT_MT_WB << VMX_BASIC_MEMTYPE_SHIFT) |
	             (0x1000ULL << VMX_BASIC_REGION_SIZE_SHIFT) | 0x2b,
	    .pinbased_ctls = 0x0000007f00000016ULL,
	    .procbased_ctls = 0xf7f9fffe0401e172ULL,
	    .exit_ctls = 0x007fefff00036dffULL,
	    .entry_ctls = 0x0000f3ff000011ffULL,
	    .true_pinbased_ctls = 0x0000007f00000016ULL,
	    .true_procbased_ctls = 0xf7f9fffe04006172ULL,
	    .true_exit_ctls = 0x007fefff00036dfbULL,
	    .true_entry_ctls = 0x0000f3ff000011fbULL,
	    .procbased_ctls2 = 0x000000ff00000000ULL,
	    .misc = 5 | VMX_MISC_STORE_LMA | VMX_MISC_ACTIVITY_HLT | VMX_MISC_ACTIVITY_SHUTDOWN |
	            VMX_MISC_ACTIVITY_WAIT_SIPI | (4ULL << VMX_MISC_CR3_TARGETS_SHIFT),
	    .cr0_fixed0 = 0x80000021ULL,
	    .cr0_fixed1 = 0xffffffffULL,
	    .cr4_fixed0 = 0x2000ULL,
	    .cr4_fixed1 = 0x003727ffULL,
	    .ept_vpid_cap = VMX_EPT_EXECUTE_ONLY | VMX_EPT_WALK_4 | VMX_EPT_MT_UC | VMX_EPT_MT_WB |
	                    VMX_EPT_2MB_PAGE | VMX_EPT_1GB_PAGE | VMX_EPT_INVEPT | VMX_EPT_AD |
	                    VMX_EPT_INVEPT_SINGLE_CONTEXT | VMX_EPT_INVEPT_ALL_CONTEXT |
	                    VMX_VPID_INVVPID,
	    .maxphyaddr = 40,
	    /* 4 general-purpose and 3 fixed counters (CPUID.0AH EAX 0x07300404,
	     * EDX 0x603 on a Skylake): bits 3:0 and 34:32. */
	    .perf_global_ctrl_defined = 0x70000000fULL,
	};
	return c;
}

#define FLAT_LIMIT  0xffffffffu
#define AR_CODE32   (SEG_TYPE_CODE_XR_ACCESSED | AR_S | AR_P | AR_DB | AR_G)
#define AR_DATA32   (SEG_TYPE_DATA_RW_ACCESSED | AR_S | AR_P | AR_DB | AR_G)
#define GUEST_CS    0x08
#define GUEST_DS    0x10
#define HOST_CS     0x08
#define HOST_DS     0x10
#define HOST_TR     0x18
#define GUEST_ENTRY 0x100000 /* where a Multiboot kernel starts */

static struct vmcs_state good_state(const struct vmx_caps *c)
{
	struct vmcs_state s;
	const struct vmcs_segment flat_data = {GUEST_DS, 0, FLAT_LIMIT, AR_DATA32};

	memset(&s, 0, sizeof(s));
	/* 25.6-25.8 controls, computed from the capabilities. */
	s.pin_based_vm_exec_control = vmx_caps_ctl_compute(
	    c, VMX_CTL_PINBASED, PIN_EXTERNAL_INTERRUPT_EXITING | PIN_NMI_EXITING, NULL);
	s.primary_vm_exec_control =
	    vmx_caps_ctl_compute(c, VMX_CTL_PROCBASED,
	                         CPU_HLT_EXITING | CPU_USE_IO_BITMAPS | CPU_USE_MSR_BITMAPS |
	                             CPU_ACTIVATE_SECONDARY_CONTROLS,
	                         NULL);
	s.secondary_vm_exec_control = vmx_caps_ctl_compute(
	    c, VMX_CTL_PROCBASED2, SEC_ENABLE_EPT | SEC_UNRESTRICTED_GUEST | SEC_ENABLE_VPID, NULL);
	s.vm_exit_controls = vmx_caps_ctl_compute(
	    c, VMX_CTL_EXIT,
	    EXIT_HOST_ADDRESS_SPACE_SIZE | EXIT_ACK_INTERRUPT_ON_EXIT | EXIT_SAVE_IA32_PAT |
	        EXIT_LOAD_IA32_PAT | EXIT_SAVE_IA32_EFER | EXIT_LOAD_IA32_EFER,
	    NULL);
	s.vm_entry_controls = vmx_caps_ctl_compute(
	    c, VMX_CTL_ENTRY, ENTRY_LOAD_IA32_PAT | ENTRY_LOAD_IA32_EFER, NULL);
	s.io_bitmap_a = 0x100000;
	s.io_bitmap_b = 0x101000;
	s.msr_bitmaps = 0x102000;
	s.virtual_processor_id = 1;
	s.ept_pointer = 0x200000 | EPTP_MT_WB | EPTP_WALK_4;
	s.cr4_guest_host_mask = CR4_VMXE;

	/* 25.5 host state: a 64-bit hypervisor. */
	s.host_cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	s.host_cr3 = 0x1000;
	s.host_cr4 = CR4_PAE | CR4_PGE | CR4_OSFXSR | CR4_VMXE;
	s.host_rsp = 0x120000;
	s.host_rip = 0x100500;
	s.host_cs_selector = HOST_CS;
	s.host_ss_selector = s.host_ds_selector = s.host_es_selector = HOST_DS;
	s.host_fs_selector = s.host_gs_selector = HOST_DS;
	s.host_tr_selector = HOST_TR;
	s.host_tr_base = 0x110000;
	s.host_gdtr_base = 0x111000;
	s.host_idtr_base = 0x112000;
	s.host_ia32_pat = PAT_POWER_ON_VALUE;
	s.host_ia32_efer = EFER_LME | EFER_LMA | EFER_NXE;

	/* 25.4 guest state: 32-bit protected mode, paging off, flat segments. */
	s.guest_cr0 = CR0_PE | CR0_ET | CR0_NE;
	s.guest_cr4 = CR4_VMXE; /* required by CR4_FIXED0, hidden by the mask */
	s.guest_dr7 = 0x400;
	s.guest_rip = GUEST_ENTRY;
	s.guest_rflags = RFLAGS_FIXED1;
	s.guest_cs = (struct vmcs_segment){GUEST_CS, 0, FLAT_LIMIT, AR_CODE32};
	s.guest_ss = s.guest_ds = s.guest_es = s.guest_fs = s.guest_gs = flat_data;
	s.guest_ldtr = (struct vmcs_segment){0, 0, 0, AR_UNUSABLE};
	s.guest_tr = (struct vmcs_segment){0, 0, 0x67, SEG_TYPE_TSS_BUSY | AR_P};
	s.guest_ia32_pat = PAT_POWER_ON_VALUE;
	s.guest_activity_state = ACTIVITY_ACTIVE;
	s.link_pointer = VMCS_LINK_POINTER_NONE;
	return s;
}

/* Turns the good guest into a 64-bit (IA-32e, CS.L) guest. */
static void make_64bit_guest(struct vmcs_state *s)
{
	s->vm_entry_controls |= ENTRY_IA32E_MODE_GUEST;
	s->guest_cr0 |= CR0_PG;
	s->guest_cr4 |= CR4_PAE;
	s->guest_cr3 = 0x300000;
	s->guest_ia32_efer = EFER_LME | EFER_LMA;
	s->guest_cs.ar = (s->guest_cs.ar & ~AR_DB) | AR_L;
}

/* The illustrative capabilities allow "load IA32_PERF_GLOBAL_CTRL" on entry
 * but not on exit; these cases allow both (A.4, A.5: bits 63:32). */
static void allow_perf_loads(struct vmx_caps *c)
{
	c->true_exit_ctls |= (u64)EXIT_LOAD_IA32_PERF_GLOBAL_CTRL << 32;
	c->exit_ctls |= (u64)EXIT_LOAD_IA32_PERF_GLOBAL_CTRL << 32;
	c->true_entry_ctls |= (u64)ENTRY_LOAD_IA32_PERF_GLOBAL_CTRL << 32;
	c->entry_ctls |= (u64)ENTRY_LOAD_IA32_PERF_GLOBAL_CTRL << 32;
}

/* One rule broken at a time: X(name, expected rule, statements on s and c).
 * VMX_CHECK_OK rows are variations that must still pass. */
#define RULE_CASES(X)                                                                              \
	/* 27.2.1.1 execution controls */                                                          \
	X(pin_not_allowed_1, VMX_CHECK_PIN_CONTROLS,                                               \
	  s->pin_based_vm_exec_control |= PIN_PROCESS_POSTED_INTERRUPTS)                           \
	X(pin_must_be_1_cleared, VMX_CHECK_PIN_CONTROLS, s->pin_based_vm_exec_control &= ~BIT(1))  \
	X(proc_mtf_not_allowed, VMX_CHECK_PROC_CONTROLS,                                           \
	  s->primary_vm_exec_control |= CPU_MONITOR_TRAP_FLAG)                                     \
	X(proc2_pml_not_allowed, VMX_CHECK_PROC2_CONTROLS,                                         \
	  s->secondary_vm_exec_control |= SEC_ENABLE_PML)                                          \
	X(proc2_ignored_when_not_activated, VMX_CHECK_GUEST_CR0_FIXED,                             \
	  s->primary_vm_exec_control &= ~CPU_ACTIVATE_SECONDARY_CONTROLS)                          \
	X(cr3_targets_above_misc, VMX_CHECK_CR3_TARGET_COUNT, s->cr3_target_count = 5)             \
	X(io_bitmap_unaligned, VMX_CHECK_IO_BITMAP_ADDR, s->io_bitmap_b = 0x101008)                \
	X(msr_bitmap_beyond_width, VMX_CHECK_MSR_BITMAP_ADDR, s->msr_bitmaps = BIT(40))            \
	X(vpid_zero, VMX_CHECK_VPID_ZERO, s->virtual_processor_id = 0)                             \
	X(eptp_memtype_wc, VMX_CHECK_EPTP_MEMORY_TYPE,                                             \
	  s->ept_pointer = (s->ept_pointer & ~EPTP_MT_MASK) | 1)                                   \
	X(eptp_uc_unsupported, VMX_CHECK_EPTP_MEMORY_TYPE_UNSUPPORTED,                             \
	  s->ept_pointer &= ~EPTP_MT_MASK;                                                         \
	  c->ept_vpid_cap &= ~VMX_EPT_MT_UC)                                                       \
	X(eptp_uc_supported, VMX_CHECK_OK, s->ept_pointer &= ~EPTP_MT_MASK)                        \
	X(eptp_walk_3, VMX_CHECK_EPTP_WALK_LENGTH,                                                 \
	  s->ept_pointer = (s->ept_pointer & ~EPTP_WALK_MASK) | (2ULL << EPTP_WALK_SHIFT))         \
	X(eptp_walk_5_unsupported, VMX_CHECK_EPTP_WALK_LENGTH,                                     \
	  s->ept_pointer = (s->ept_pointer & ~EPTP_WALK_MASK) | (4ULL << EPTP_WALK_SHIFT))         \
	X(eptp_walk_5_supported, VMX_CHECK_OK,                                                     \
	  s->ept_pointer = (s->ept_pointer & ~EPTP_WALK_MASK) | (4ULL << EPTP_WALK_SHIFT);         \
	  c->ept_vpid_cap |= VMX_EPT_WALK_5)                                                       \
	X(eptp_ad_unsupported, VMX_CHECK_EPTP_AD, s->ept_pointer |= EPTP_AD_ENABLE;                \
	  c->ept_vpid_cap &= ~VMX_EPT_AD)                                                          \
	X(eptp_ad_supported, VMX_CHECK_OK, s->ept_pointer |= EPTP_AD_ENABLE)                       \
	X(eptp_reserved_bit_8, VMX_CHECK_EPTP_RESERVED, s->ept_pointer |= BIT(8))                  \
	X(eptp_beyond_width, VMX_CHECK_EPTP_RESERVED, s->ept_pointer |= BIT(45))                   \
	X(unrestricted_without_ept, VMX_CHECK_UNRESTRICTED_WITHOUT_EPT,                            \
	  s->secondary_vm_exec_control &= ~SEC_ENABLE_EPT)                                         \
	X(virtual_nmis_without_nmi_exiting, VMX_CHECK_VIRTUAL_NMIS,                                \
	  s->pin_based_vm_exec_control =                                                           \
	      (s->pin_based_vm_exec_control & ~PIN_NMI_EXITING) | PIN_VIRTUAL_NMIS)                \
	/* 27.2.1.2 exit controls */                                                               \
	X(exit_must_be_1_cleared, VMX_CHECK_EXIT_CONTROLS, s->vm_exit_controls &= ~BIT(0))         \
	X(exit_save_timer_without_timer, VMX_CHECK_EXIT_SAVE_TIMER,                                \
	  s->vm_exit_controls |= EXIT_SAVE_PREEMPTION_TIMER)                                       \
	X(exit_msr_load_unaligned, VMX_CHECK_EXIT_MSR_LOAD_ADDR, s->vm_exit_msr_load_count = 1;    \
	  s->vm_exit_msr_load_addr = 0x103008)                                                     \
	/* 27.2.1.3 entry controls and event injection */                                          \
	X(entry_to_smm, VMX_CHECK_ENTRY_CONTROLS, s->vm_entry_controls |= ENTRY_TO_SMM)            \
	X(inject_gp_without_error_code, VMX_CHECK_ENTRY_INTR_ERROR_CODE,                           \
	  s->vm_entry_intr_info = INTR_INFO(VEC_GP, INTR_TYPE_HARDWARE_EXCEPTION))                 \
	X(inject_gp_with_error_code, VMX_CHECK_OK,                                                 \
	  s->vm_entry_intr_info =                                                                  \
	      INTR_INFO(VEC_GP, INTR_TYPE_HARDWARE_EXCEPTION) | INTR_INFO_DELIVER_ERROR_CODE)      \
	X(inject_nmi_wrong_vector, VMX_CHECK_ENTRY_INTR_VECTOR,                                    \
	  s->vm_entry_intr_info = INTR_INFO(VEC_BP, INTR_TYPE_NMI))                                \
	X(inject_reserved_type, VMX_CHECK_ENTRY_INTR_TYPE,                                         \
	  s->vm_entry_intr_info = INTR_INFO(32, INTR_TYPE_RESERVED))                               \
	X(inject_int3_without_length, VMX_CHECK_ENTRY_INSTRUCTION_LEN,                             \
	  s->vm_entry_intr_info = INTR_INFO(VEC_BP, INTR_TYPE_SOFTWARE_EXCEPTION))                 \
	/* 27.2.2 host control registers and MSRs */                                               \
	X(host_cr0_without_ne, VMX_CHECK_HOST_CR0_FIXED, s->host_cr0 &= ~CR0_NE)                   \
	X(host_cr4_without_vmxe, VMX_CHECK_HOST_CR4_FIXED, s->host_cr4 &= ~CR4_VMXE)               \
	X(host_cr3_beyond_width, VMX_CHECK_HOST_CR3, s->host_cr3 |= BIT(41))                       \
	X(host_perf_global_ctrl_reserved, VMX_CHECK_HOST_PERF_GLOBAL_CTRL, allow_perf_loads(c);    \
	  s->vm_exit_controls |= EXIT_LOAD_IA32_PERF_GLOBAL_CTRL;                                  \
	  s->host_ia32_perf_global_ctrl = BIT(4))                                                  \
	X(host_perf_global_ctrl_fixed_reserved, VMX_CHECK_HOST_PERF_GLOBAL_CTRL,                   \
	  allow_perf_loads(c);                                                                     \
	  s->vm_exit_controls |= EXIT_LOAD_IA32_PERF_GLOBAL_CTRL;                                  \
	  s->host_ia32_perf_global_ctrl = BIT(35))                                                 \
	X(host_perf_global_ctrl_defined, VMX_CHECK_OK, allow_perf_loads(c);                        \
	  s->vm_exit_controls |= EXIT_LOAD_IA32_PERF_GLOBAL_CTRL;                                  \
	  s->host_ia32_perf_global_ctrl = 0x70000000fULL)                                          \
	X(host_perf_global_ctrl_not_loaded, VMX_CHECK_OK, s->host_ia32_perf_global_ctrl = ~0ULL)   \
	X(host_pat_reserved_type, VMX_CHECK_HOST_PAT, s->host_ia32_pat = 0x02)                     \
	X(host_efer_without_lma, VMX_CHECK_HOST_EFER_LMA_LME, s->host_ia32_efer &= ~EFER_LMA)      \
	/* 27.2.3 host segments */                                                                 \
	X(host_ds_rpl, VMX_CHECK_HOST_SELECTOR_RPL_TI, s->host_ds_selector = HOST_DS | 3)          \
	X(host_tr_ti, VMX_CHECK_HOST_SELECTOR_RPL_TI, s->host_tr_selector = HOST_TR | SEL_TI)      \
	X(host_cs_null, VMX_CHECK_HOST_CS_NULL, s->host_cs_selector = 0)                           \
	X(host_tr_null, VMX_CHECK_HOST_TR_NULL, s->host_tr_selector = 0)                           \
	X(host_gs_base_noncanonical, VMX_CHECK_HOST_BASE_CANONICAL,                                \
	  s->host_gs_base = 0x0000800000000000ULL)                                                 \
	/* 27.2.4 address-space size */                                                            \
	X(host_32bit_exit_with_lma, VMX_CHECK_HOST_EFER_LMA_LME,                                   \
	  s->vm_exit_controls &= ~EXIT_HOST_ADDRESS_SPACE_SIZE)                                    \
	X(host_32bit_exit_lma_not_loaded, VMX_CHECK_HOST_ADDR_SPACE_LMA,                           \
	  s->vm_exit_controls &= ~(EXIT_HOST_ADDRESS_SPACE_SIZE | EXIT_LOAD_IA32_EFER))            \
	X(host_without_pae, VMX_CHECK_HOST_CR4_PAE, s->host_cr4 &= ~CR4_PAE)                       \
	X(host_rip_noncanonical, VMX_CHECK_HOST_RIP_CANONICAL,                                     \
	  s->host_rip = 0x0000800000000000ULL)                                                     \
	/* 27.3.1.1 guest control registers and MSRs */                                            \
	X(guest_cr0_without_ne, VMX_CHECK_GUEST_CR0_FIXED, s->guest_cr0 &= ~CR0_NE)                \
	X(guest_real_mode_unrestricted, VMX_CHECK_OK, s->guest_cr0 &= ~CR0_PE)                     \
	X(guest_cd_nw_unchecked, VMX_CHECK_OK, s->guest_cr0 |= CR0_CD | CR0_NW)                    \
	X(guest_paging_off_restricted, VMX_CHECK_GUEST_CR0_FIXED,                                  \
	  s->secondary_vm_exec_control &= ~SEC_UNRESTRICTED_GUEST)                                 \
	X(guest_paging_on_restricted, VMX_CHECK_OK,                                                \
	  s->secondary_vm_exec_control &= ~SEC_UNRESTRICTED_GUEST;                                 \
	  s->guest_cr0 |= CR0_PG)                                                                  \
	X(guest_pg_without_pe, VMX_CHECK_GUEST_CR0_PG_WITHOUT_PE,                                  \
	  s->guest_cr0 = (s->guest_cr0 & ~CR0_PE) | CR0_PG)                                        \
	X(guest_cr4_without_vmxe, VMX_CHECK_GUEST_CR4_FIXED, s->guest_cr4 &= ~CR4_VMXE)            \
	X(guest_cr4_umip_unsupported, VMX_CHECK_GUEST_CR4_FIXED, s->guest_cr4 |= CR4_UMIP)         \
	X(guest_ia32e_without_paging, VMX_CHECK_GUEST_IA32E_PAGING, make_64bit_guest(s);           \
	  s->guest_cr0 &= ~CR0_PG)                                                                 \
	X(guest_pcide_in_32bit, VMX_CHECK_GUEST_PCIDE, s->guest_cr4 |= CR4_PCIDE)                  \
	X(guest_efer_lma_in_32bit, VMX_CHECK_GUEST_EFER_LMA,                                       \
	  s->guest_ia32_efer = EFER_LMA | EFER_LME)                                                \
	X(guest_perf_global_ctrl_reserved, VMX_CHECK_GUEST_PERF_GLOBAL_CTRL, allow_perf_loads(c);  \
	  s->vm_entry_controls |= ENTRY_LOAD_IA32_PERF_GLOBAL_CTRL;                                \
	  s->guest_ia32_perf_global_ctrl = BIT(31))                                                \
	X(guest_perf_global_ctrl_pmcs, VMX_CHECK_OK, allow_perf_loads(c);                          \
	  s->vm_entry_controls |= ENTRY_LOAD_IA32_PERF_GLOBAL_CTRL;                                \
	  s->guest_ia32_perf_global_ctrl = 0xf)                                                    \
	X(guest_perf_global_ctrl_no_perfmon, VMX_CHECK_GUEST_PERF_GLOBAL_CTRL,                     \
	  allow_perf_loads(c);                                                                     \
	  c->perf_global_ctrl_defined = 0;                                                         \
	  s->vm_entry_controls |= ENTRY_LOAD_IA32_PERF_GLOBAL_CTRL;                                \
	  s->guest_ia32_perf_global_ctrl = BIT(0))                                                 \
	X(guest_perf_global_ctrl_not_loaded, VMX_CHECK_OK, s->guest_ia32_perf_global_ctrl = ~0ULL) \
	X(guest_pat_reserved_type, VMX_CHECK_GUEST_PAT, s->guest_ia32_pat = 0x0300)                \
	/* 27.3.1.2 guest segments */                                                              \
	X(guest_64bit, VMX_CHECK_OK, make_64bit_guest(s))                                          \
	/* The Linux boot protocol's 64-bit start: __BOOT_CS 0x10, __BOOT_DS 0x18, its own GDT. */ \
	X(guest_linux_64bit_entry, VMX_CHECK_OK, make_64bit_guest(s); s->guest_cs.selector = 0x10; \
	  s->guest_ss.selector = s->guest_ds.selector = s->guest_es.selector = 0x18;               \
	  s->guest_fs.selector = s->guest_gs.selector = 0x18; s->guest_gdtr_base = 0x16000;        \
	  s->guest_gdtr_limit = 31; s->guest_cr3 = 0x10000; s->guest_rip = 0x100200)               \
	X(guest_cs_l_and_d, VMX_CHECK_GUEST_CS_L_AND_DB, make_64bit_guest(s);                      \
	  s->guest_cs.ar |= AR_DB)                                                                 \
	X(guest_cs_l_and_d_compat_ok, VMX_CHECK_OK, s->guest_cs.ar |= AR_L)                        \
	X(guest_tr_ti, VMX_CHECK_GUEST_TR_TI, s->guest_tr.selector = SEL_TI)                       \
	X(guest_ss_rpl_restricted, VMX_CHECK_GUEST_SS_RPL,                                         \
	  s->secondary_vm_exec_control &= ~SEC_UNRESTRICTED_GUEST;                                 \
	  s->guest_cr0 |= CR0_PG; s->guest_ss.selector |= 3)                                       \
	X(guest_cs_base_high, VMX_CHECK_GUEST_BASE_HIGH, s->guest_cs.base = BIT(32))               \
	X(guest_cs_not_accessed, VMX_CHECK_GUEST_CS_TYPE, s->guest_cs.ar &= ~AR_TYPE_ACCESSED)     \
	X(guest_cs_data_unrestricted, VMX_CHECK_OK,                                                \
	  s->guest_cs.ar = (s->guest_cs.ar & ~AR_TYPE_MASK) | SEG_TYPE_DATA_RW_ACCESSED)           \
	X(guest_ss_code, VMX_CHECK_GUEST_SS_TYPE,                                                  \
	  s->guest_ss.ar = (s->guest_ss.ar & ~AR_TYPE_MASK) | SEG_TYPE_CODE_XR_ACCESSED)           \
	X(guest_ss_unusable_any_type, VMX_CHECK_OK, s->guest_ss.ar = AR_UNUSABLE | AR_TYPE_CODE)   \
	X(guest_ds_not_accessed, VMX_CHECK_GUEST_DATA_TYPE, s->guest_ds.ar &= ~AR_TYPE_ACCESSED)   \
	X(guest_ds_unusable, VMX_CHECK_OK, s->guest_ds.ar = AR_UNUSABLE)                           \
	X(guest_es_system, VMX_CHECK_GUEST_SEG_S, s->guest_es.ar &= ~AR_S)                         \
	X(guest_ss_dpl_differs_from_cs, VMX_CHECK_GUEST_CS_DPL, s->guest_ss.ar |= AR_DPL(3))       \
	X(guest_ring3_protected, VMX_CHECK_OK, s->guest_ss.ar |= AR_DPL(3);                        \
	  s->guest_cs.ar |= AR_DPL(3))                                                             \
	X(guest_ss_dpl_with_pe_clear, VMX_CHECK_GUEST_SS_DPL, s->guest_ss.ar |= AR_DPL(3);         \
	  s->guest_cs.ar |= AR_DPL(3); s->guest_cr0 &= ~CR0_PE)                                    \
	X(guest_fs_not_present, VMX_CHECK_GUEST_SEG_P, s->guest_fs.ar &= ~AR_P)                    \
	X(guest_gs_ar_reserved, VMX_CHECK_GUEST_SEG_AR_RESERVED, s->guest_gs.ar |= BIT(8))         \
	X(guest_cs_g_with_byte_limit, VMX_CHECK_GUEST_SEG_G_LIMIT, s->guest_cs.limit = 0x12345)    \
	X(guest_ds_big_limit_without_g, VMX_CHECK_GUEST_SEG_G_LIMIT, s->guest_ds.ar &= ~AR_G)      \
	X(guest_tr_available_tss, VMX_CHECK_GUEST_TR_TYPE,                                         \
	  s->guest_tr.ar = (s->guest_tr.ar & ~AR_TYPE_MASK) | 0x9)                                 \
	X(guest_tr_16bit_busy_32bit_guest, VMX_CHECK_OK,                                           \
	  s->guest_tr.ar = (s->guest_tr.ar & ~AR_TYPE_MASK) | SEG_TYPE_TSS16_BUSY)                 \
	X(guest_tr_16bit_busy_64bit_guest, VMX_CHECK_GUEST_TR_TYPE, make_64bit_guest(s);           \
	  s->guest_tr.ar = (s->guest_tr.ar & ~AR_TYPE_MASK) | SEG_TYPE_TSS16_BUSY)                 \
	X(guest_tr_not_present, VMX_CHECK_GUEST_TR_AR, s->guest_tr.ar &= ~AR_P)                    \
	X(guest_tr_unusable, VMX_CHECK_GUEST_TR_AR, s->guest_tr.ar |= AR_UNUSABLE)                 \
	X(guest_ldtr_usable_ok, VMX_CHECK_OK,                                                      \
	  s->guest_ldtr = (struct vmcs_segment){0x28, 0x5000, 0xfff, SEG_TYPE_LDT | AR_P})         \
	X(guest_ldtr_wrong_type, VMX_CHECK_GUEST_LDTR_AR,                                          \
	  s->guest_ldtr = (struct vmcs_segment){0x28, 0x5000, 0xfff, SEG_TYPE_TSS_BUSY | AR_P})    \
	X(guest_ldtr_ti, VMX_CHECK_GUEST_LDTR_TI,                                                  \
	  s->guest_ldtr = (struct vmcs_segment){0x2c, 0x5000, 0xfff, SEG_TYPE_LDT | AR_P})         \
	/* 27.3.1.3 descriptor tables */                                                           \
	X(guest_gdtr_limit_high, VMX_CHECK_GUEST_DTR_LIMIT, s->guest_gdtr_limit = 0x10000)         \
	/* 27.3.1.4 RIP and RFLAGS */                                                              \
	X(guest_rip_above_4g_32bit, VMX_CHECK_GUEST_RIP_HIGH, s->guest_rip = BIT(32))              \
	X(guest_rip_above_4g_64bit_ok, VMX_CHECK_OK, make_64bit_guest(s); s->guest_rip = BIT(32))  \
	X(guest_rip_noncanonical_64bit, VMX_CHECK_GUEST_RIP_CANONICAL, make_64bit_guest(s);        \
	  s->guest_rip = 0x0000800000000000ULL)                                                    \
	X(guest_rflags_bit1_clear, VMX_CHECK_GUEST_RFLAGS_RESERVED, s->guest_rflags = 0)           \
	X(guest_rflags_bit3_set, VMX_CHECK_GUEST_RFLAGS_RESERVED, s->guest_rflags |= BIT(3))       \
	X(guest_rflags_vm_in_ia32e, VMX_CHECK_GUEST_RFLAGS_VM, make_64bit_guest(s);                \
	  s->guest_rflags |= RFLAGS_VM)                                                            \
	X(inject_extint_with_if_clear, VMX_CHECK_GUEST_RFLAGS_IF,                                  \
	  s->vm_entry_intr_info = INTR_INFO(32, INTR_TYPE_EXTERNAL_INTERRUPT))                     \
	/* 27.3.1.5 non-register state */                                                          \
	X(guest_hlt_supported, VMX_CHECK_OK, s->guest_activity_state = ACTIVITY_HLT)               \
	X(guest_hlt_unsupported, VMX_CHECK_GUEST_ACTIVITY_STATE,                                   \
	  s->guest_activity_state = ACTIVITY_HLT;                                                  \
	  c->misc &= ~VMX_MISC_ACTIVITY_HLT)                                                       \
	X(guest_activity_4, VMX_CHECK_GUEST_ACTIVITY_STATE, s->guest_activity_state = 4)           \
	X(guest_sti_blocking_if_clear, VMX_CHECK_GUEST_INTERRUPTIBILITY_STI_IF,                    \
	  s->guest_interruptibility_info = INTERRUPTIBILITY_STI)                                   \
	X(guest_sti_and_mov_ss, VMX_CHECK_GUEST_INTERRUPTIBILITY_STI_MOV_SS,                       \
	  s->guest_interruptibility_info = INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS)         \
	X(guest_pending_dbg_reserved, VMX_CHECK_GUEST_PENDING_DBG_RESERVED,                        \
	  s->guest_pending_dbg_exceptions = BIT(4))                                                \
	X(link_pointer_zero, VMX_CHECK_GUEST_LINK_POINTER, s->link_pointer = 0)                    \
	/* 27.3.1.6 PDPTEs */                                                                      \
	X(guest_pae_pdpte_reserved, VMX_CHECK_GUEST_PDPTE, s->guest_cr0 |= CR0_PG;                 \
	  s->guest_cr4 |= CR4_PAE; s->guest_pdpte[2] = 0x5000 | PTE_P | BIT(1))                    \
	X(guest_pae_pdpte_ok, VMX_CHECK_OK, s->guest_cr0 |= CR0_PG; s->guest_cr4 |= CR4_PAE;       \
	  s->guest_pdpte[2] = 0x5000 | PTE_P)

#define RULE_CASE_FN(nm, rule, ...)                                                                \
	static void mut_##nm(struct vmcs_state *s, struct vmx_caps *c)                             \
	{                                                                                          \
		(void)c;                                                                           \
		__VA_ARGS__;                                                                       \
	}
RULE_CASES(RULE_CASE_FN)
#undef RULE_CASE_FN

typedef void (*mutate_fn)(struct vmcs_state *s, struct vmx_caps *c);
struct rule_case {
	const char *name;
	mutate_fn mutate;
	enum vmx_check_rule want;
};
#define RULE_CASE_ROW(nm, rule, ...) {#nm, mut_##nm, rule},
static const struct rule_case cases[] = {RULE_CASES(RULE_CASE_ROW)};
#undef RULE_CASE_ROW

static enum vmx_check_rule run(const struct rule_case *rc, struct vmx_check_detail *d)
{
	struct vmx_caps caps = skylake_caps();
	struct vmcs_state s = good_state(&caps);
	if (rc->mutate)
		rc->mutate(&s, &caps);
	return vmx_check_entry(&s, &caps, d);
}

static void test_good_state_passes(void **state)
{
	(void)state;
	struct vmx_caps caps = skylake_caps();
	struct vmcs_state s = good_state(&caps);
	struct vmx_check_detail d = {VMCS_GUEST_RIP, 0x1234, 0x5678};

	assert_int_equal(vmx_check_entry(&s, &caps, &d), VMX_CHECK_OK);
	/* detail is untouched on success */
	assert_int_equal(d.field, VMCS_GUEST_RIP);
	assert_int_equal(d.value, 0x1234);
	assert_int_equal(vmx_check_entry(&s, &caps, NULL), VMX_CHECK_OK);
	/* The controls came out as the capabilities dictate. */
	assert_int_equal(s.pin_based_vm_exec_control, 0x1f);
	assert_int_equal(s.primary_vm_exec_control, 0x960061f2);
	assert_int_equal(s.secondary_vm_exec_control, 0xa2);
}

static void test_each_rule(void **state)
{
	(void)state;
	unsigned failures = 0;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		enum vmx_check_rule got = run(&cases[i], NULL);
		if (got != cases[i].want) {
			print_error("%s: got %s, want %s\n", cases[i].name,
			            vmx_check_rule_name(got), vmx_check_rule_name(cases[i].want));
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

static void test_detail_names_the_field(void **state)
{
	(void)state;
	struct vmx_caps caps = skylake_caps();
	struct vmcs_state s = good_state(&caps);
	struct vmx_check_detail d;

	s.guest_cr0 &= ~CR0_NE;
	assert_int_equal(vmx_check_entry(&s, &caps, &d), VMX_CHECK_GUEST_CR0_FIXED);
	assert_int_equal(d.field, VMCS_GUEST_CR0);
	assert_int_equal(d.value, CR0_PE | CR0_ET);
	assert_int_equal(d.bad_bits, CR0_NE);

	s = good_state(&caps);
	s.primary_vm_exec_control |= CPU_MONITOR_TRAP_FLAG;
	assert_int_equal(vmx_check_entry(&s, &caps, &d), VMX_CHECK_PROC_CONTROLS);
	assert_int_equal(d.field, VMCS_PRIMARY_VM_EXEC_CONTROL);
	assert_int_equal(d.bad_bits, CPU_MONITOR_TRAP_FLAG);
}

/* The first failed rule wins, in SDM order: controls before host before guest. */
static void test_first_rule_in_sdm_order(void **state)
{
	(void)state;
	struct vmx_caps caps = skylake_caps();
	struct vmcs_state s = good_state(&caps);

	s.link_pointer = 0;
	s.host_tr_selector = 0;
	s.virtual_processor_id = 0;
	assert_int_equal(vmx_check_entry(&s, &caps, NULL), VMX_CHECK_VPID_ZERO);
	s.virtual_processor_id = 1;
	assert_int_equal(vmx_check_entry(&s, &caps, NULL), VMX_CHECK_HOST_TR_NULL);
	s.host_tr_selector = HOST_TR;
	assert_int_equal(vmx_check_entry(&s, &caps, NULL), VMX_CHECK_GUEST_LINK_POINTER);
}

/* The defined bits of IA32_PERF_GLOBAL_CTRL from CPUID.0AH (SDM Vol. 2A,
 * leaf 0AH; Vol. 3B, 20.2.2): GP enables from bit 0, fixed from bit 32. */
static void test_perf_global_ctrl_defined(void **state)
{
	(void)state;
	/* Skylake: v4, 4 GP counters of 48 bits, 3 fixed counters. */
	assert_int_equal(vmx_perf_global_ctrl_defined(0x07300404, 0x603), 0x70000000fULL);
	/* Bochs' skylake_x: the same EAX, EDX 0 (no fixed counters reported). */
	assert_int_equal(vmx_perf_global_ctrl_defined(0x07300404, 0), 0xfULL);
	/* 8 GP counters (Hyper-Threading off), 4 fixed. */
	assert_int_equal(vmx_perf_global_ctrl_defined(0x07300804, 0x604), 0xf000000ffULL);
	/* Version 1: no IA32_PERF_GLOBAL_CTRL; version 0: no perfmon. */
	assert_int_equal(vmx_perf_global_ctrl_defined(0x07300401, 0x603), 0);
	assert_int_equal(vmx_perf_global_ctrl_defined(0, 0), 0);
}

static void test_messages(void **state)
{
	(void)state;
	assert_string_equal(vmx_check_rule_message(VMX_CHECK_GUEST_CS_L_AND_DB),
	                    "27.3.1.2: CS.L and CS.D both set with IA-32e mode guest");
	assert_string_equal(vmx_check_rule_name(VMX_CHECK_GUEST_CS_L_AND_DB),
	                    "VMX_CHECK_GUEST_CS_L_AND_DB");
	assert_string_equal(vmx_check_rule_message(VMX_CHECK_RULE_COUNT), "unknown VM-entry check");
	assert_string_equal(vmx_check_rule_name(VMX_CHECK_RULE_COUNT), "VMX_CHECK_UNKNOWN");
	/* Every rule cites its SDM section. */
	for (unsigned r = VMX_CHECK_OK + 1; r < VMX_CHECK_RULE_COUNT; r++)
		assert_int_equal(strncmp(vmx_check_rule_message(r), "27.", 3), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_state_passes),
	    cmocka_unit_test(test_each_rule),
	    cmocka_unit_test(test_detail_names_the_field),
	    cmocka_unit_test(test_first_rule_in_sdm_order),
	    cmocka_unit_test(test_perf_global_ctrl_defined),
	    cmocka_unit_test(test_messages),
	};
	return cmocka_run_group_tests_name("vmx_check", tests, NULL, NULL);
}
