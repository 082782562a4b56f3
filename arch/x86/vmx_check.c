#include "arch/x86/vmx_check.h"

#include "arch/x86/ept.h"
#include "arch/x86/msr.h"
#include "lib/x86/cpuid.h"
#include "lib/x86/paging.h"

/* 5-level EPT (bits 5:3 = 4); arch/x86/ept.h defines only the 4-level value. */
#ifndef EPTP_WALK_5
#define EPTP_WALK_5 (4ULL << EPTP_WALK_SHIFT)

/* IA32_PERF_GLOBAL_CTRL (SDM Vol. 3B, 20.2.2): from perfmon version 2; the
 * fixed counters' enables from bit 32. */
#define PERF_GLOBAL_CTRL_MIN_VERSION 2
#define PERF_GLOBAL_CTRL_FIXED_SHIFT 32
#endif

/* The state every group of checks reads, derived once. */
struct checker {
	const struct vmcs_state *s;
	const struct vmx_caps *caps;
	struct vmx_check_detail *detail;
	u32 sec;           /* secondary controls, 0 unless activated */
	bool ia32e_guest;  /* VM-entry control "IA-32e mode guest" */
	bool host64;       /* VM-exit control "host address-space size" */
	bool unrestricted; /* secondary control "unrestricted guest" */
};

static enum vmx_check_rule fail(const struct checker *c, enum vmx_check_rule rule,
                                enum vmcs_field field, u64 value, u64 bad_bits)
{
	if (c->detail) {
		c->detail->field = field;
		c->detail->value = value;
		c->detail->bad_bits = bad_bits;
	}
	return rule;
}

#define FAIL_IF(cond, rule, field, value, bad)                                                     \
	do {                                                                                       \
		if (cond)                                                                          \
			return fail(c, rule, field, value, bad);                                   \
	} while (0)

/* Bits of a control value that its capability MSR forbids (A.3). */
static u32 ctl_bad_bits(u64 ctl_msr, u32 value)
{
	return (vmx_ctl_must_be_1(ctl_msr) & ~value) | (value & ~vmx_ctl_may_be_1(ctl_msr));
}

/* Bits of a physical address at or above MAXPHYADDR. */
static u64 beyond_width(const struct checker *c, u64 pa)
{
	unsigned w = c->caps->maxphyaddr;
	return w >= 64 ? 0 : pa & ~(BIT(w) - 1);
}

/* Bits of a CR value that its FIXED0/FIXED1 pair forbids (A.7, A.8). */
static u64 fixed_bad_bits(u64 value, u64 fixed0, u64 fixed1)
{
	return (fixed0 & ~value) | (value & ~fixed1);
}

u64 vmx_perf_global_ctrl_defined(u32 leaf_a_eax, u32 leaf_a_edx)
{
	const u32 version = leaf_a_eax & CPUID_A_EAX_VERSION_MASK;
	const u32 gp = (leaf_a_eax & CPUID_A_EAX_NUM_GP_MASK) >> CPUID_A_EAX_NUM_GP_SHIFT;
	const u32 fixed = leaf_a_edx & CPUID_A_EDX_NUM_FIXED_MASK;
	if (version < PERF_GLOBAL_CTRL_MIN_VERSION)
		return 0;
	u64 bits = gp >= PERF_GLOBAL_CTRL_FIXED_SHIFT ? BITS(PERF_GLOBAL_CTRL_FIXED_SHIFT - 1, 0)
	                                              : BIT(gp) - 1;
	if (fixed)
		bits |= (BIT(fixed) - 1) << PERF_GLOBAL_CTRL_FIXED_SHIFT;
	return bits;
}

/* Every byte of IA32_PAT must name a memory type; 2, 3 and 8..255 are reserved. */
bool vmx_pat_valid(u64 pat)
{
	for (unsigned i = 0; i < PAT_ENTRIES; i++) {
		u64 t = (pat >> (i * PAT_ENTRY_BITS)) & BITS(PAT_ENTRY_BITS - 1, 0);
		if (t != PAT_MT_UC && t != PAT_MT_WC && t != PAT_MT_WT && t != PAT_MT_WP &&
		    t != PAT_MT_WB && t != PAT_MT_UC_MINUS)
			return false;
	}
	return true;
}

/* A list of count 16-byte entries at pa must be aligned and lie below MAXPHYADDR. */
static bool msr_list_ok(const struct checker *c, u64 pa, u32 count)
{
	const u64 entry_size = 16;
	if (count == 0)
		return true;
	return is_aligned(pa, entry_size) && !beyond_width(c, pa) &&
	       !beyond_width(c, pa + (u64)count * entry_size - 1);
}

static bool bitmap_ok(const struct checker *c, u64 pa)
{
	return is_aligned(pa, PAGE_SIZE_4K) && !beyond_width(c, pa);
}

/* ---- 27.2.1.1 VM-execution control fields ---- */
static enum vmx_check_rule check_exec_controls(const struct checker *c)
{
	const struct vmcs_state *s = c->s;
	const struct vmx_caps *caps = c->caps;
	u32 pin = s->pin_based_vm_exec_control, cpu = s->primary_vm_exec_control;
	u32 bad;

	bad = ctl_bad_bits(vmx_caps_ctl_msr(caps, VMX_CTL_PINBASED), pin);
	FAIL_IF(bad, VMX_CHECK_PIN_CONTROLS, VMCS_PIN_BASED_VM_EXEC_CONTROL, pin, bad);
	bad = ctl_bad_bits(vmx_caps_ctl_msr(caps, VMX_CTL_PROCBASED), cpu);
	FAIL_IF(bad, VMX_CHECK_PROC_CONTROLS, VMCS_PRIMARY_VM_EXEC_CONTROL, cpu, bad);
	if (cpu & CPU_ACTIVATE_SECONDARY_CONTROLS) {
		bad = ctl_bad_bits(vmx_caps_ctl_msr(caps, VMX_CTL_PROCBASED2), c->sec);
		FAIL_IF(bad, VMX_CHECK_PROC2_CONTROLS, VMCS_SECONDARY_VM_EXEC_CONTROL, c->sec, bad);
	}
	FAIL_IF(s->cr3_target_count > vmx_misc_cr3_targets(caps->misc), VMX_CHECK_CR3_TARGET_COUNT,
	        VMCS_CR3_TARGET_COUNT, s->cr3_target_count, 0);
	if (cpu & CPU_USE_IO_BITMAPS) {
		FAIL_IF(!bitmap_ok(c, s->io_bitmap_a), VMX_CHECK_IO_BITMAP_ADDR, VMCS_IO_BITMAP_A,
		        s->io_bitmap_a, 0);
		FAIL_IF(!bitmap_ok(c, s->io_bitmap_b), VMX_CHECK_IO_BITMAP_ADDR, VMCS_IO_BITMAP_B,
		        s->io_bitmap_b, 0);
	}
	if (cpu & CPU_USE_MSR_BITMAPS)
		FAIL_IF(!bitmap_ok(c, s->msr_bitmaps), VMX_CHECK_MSR_BITMAP_ADDR, VMCS_MSR_BITMAPS,
		        s->msr_bitmaps, 0);
	FAIL_IF((pin & PIN_VIRTUAL_NMIS) && !(pin & PIN_NMI_EXITING), VMX_CHECK_VIRTUAL_NMIS,
	        VMCS_PIN_BASED_VM_EXEC_CONTROL, pin, PIN_VIRTUAL_NMIS);
	FAIL_IF((cpu & CPU_NMI_WINDOW_EXITING) && !(pin & PIN_VIRTUAL_NMIS), VMX_CHECK_NMI_WINDOW,
	        VMCS_PRIMARY_VM_EXEC_CONTROL, cpu, CPU_NMI_WINDOW_EXITING);
	FAIL_IF((c->sec & SEC_ENABLE_VPID) && s->virtual_processor_id == 0, VMX_CHECK_VPID_ZERO,
	        VMCS_VIRTUAL_PROCESSOR_ID, 0, 0);

	if (c->sec & SEC_ENABLE_EPT) {
		u64 eptp = s->ept_pointer, cap = caps->ept_vpid_cap;
		u64 mt = eptp & EPTP_MT_MASK;
		u64 walk = eptp & EPTP_WALK_MASK;
		u64 reserved = BITS(11, 7);

		FAIL_IF(mt != EPTP_MT_UC && mt != EPTP_MT_WB, VMX_CHECK_EPTP_MEMORY_TYPE,
		        VMCS_EPT_POINTER, eptp, EPTP_MT_MASK);
		FAIL_IF((mt == EPTP_MT_UC && !(cap & VMX_EPT_MT_UC)) ||
		            (mt == EPTP_MT_WB && !(cap & VMX_EPT_MT_WB)),
		        VMX_CHECK_EPTP_MEMORY_TYPE_UNSUPPORTED, VMCS_EPT_POINTER, eptp,
		        EPTP_MT_MASK);
		FAIL_IF(walk != EPTP_WALK_4 && !(walk == EPTP_WALK_5 && (cap & VMX_EPT_WALK_5)),
		        VMX_CHECK_EPTP_WALK_LENGTH, VMCS_EPT_POINTER, eptp, EPTP_WALK_MASK);
		FAIL_IF((eptp & EPTP_AD_ENABLE) && !(cap & VMX_EPT_AD), VMX_CHECK_EPTP_AD,
		        VMCS_EPT_POINTER, eptp, EPTP_AD_ENABLE);
		/* Bit 7 enables supervisor shadow-stack control where supported. */
		if (cap & VMX_EPT_SUPERVISOR_SHADOW_STACK)
			reserved &= ~BIT(7);
		reserved = (eptp & reserved) | beyond_width(c, eptp);
		FAIL_IF(reserved, VMX_CHECK_EPTP_RESERVED, VMCS_EPT_POINTER, eptp, reserved);
	}
	FAIL_IF((c->sec & SEC_UNRESTRICTED_GUEST) && !(c->sec & SEC_ENABLE_EPT),
	        VMX_CHECK_UNRESTRICTED_WITHOUT_EPT, VMCS_SECONDARY_VM_EXEC_CONTROL, c->sec,
	        SEC_UNRESTRICTED_GUEST);
	FAIL_IF((c->sec & SEC_ENABLE_PML) && !(c->sec & SEC_ENABLE_EPT), VMX_CHECK_PML_WITHOUT_EPT,
	        VMCS_SECONDARY_VM_EXEC_CONTROL, c->sec, SEC_ENABLE_PML);
	return VMX_CHECK_OK;
}

/* ---- 27.2.1.2 VM-exit control fields ---- */
static enum vmx_check_rule check_exit_controls(const struct checker *c)
{
	const struct vmcs_state *s = c->s;
	u32 exit = s->vm_exit_controls;
	u32 bad = ctl_bad_bits(vmx_caps_ctl_msr(c->caps, VMX_CTL_EXIT), exit);

	FAIL_IF(bad, VMX_CHECK_EXIT_CONTROLS, VMCS_VM_EXIT_CONTROLS, exit, bad);
	FAIL_IF((exit & EXIT_SAVE_PREEMPTION_TIMER) &&
	            !(s->pin_based_vm_exec_control & PIN_ACTIVATE_PREEMPTION_TIMER),
	        VMX_CHECK_EXIT_SAVE_TIMER, VMCS_VM_EXIT_CONTROLS, exit, EXIT_SAVE_PREEMPTION_TIMER);
	FAIL_IF(!msr_list_ok(c, s->vm_exit_msr_store_addr, s->vm_exit_msr_store_count),
	        VMX_CHECK_EXIT_MSR_STORE_ADDR, VMCS_VM_EXIT_MSR_STORE_ADDR,
	        s->vm_exit_msr_store_addr, 0);
	FAIL_IF(!msr_list_ok(c, s->vm_exit_msr_load_addr, s->vm_exit_msr_load_count),
	        VMX_CHECK_EXIT_MSR_LOAD_ADDR, VMCS_VM_EXIT_MSR_LOAD_ADDR, s->vm_exit_msr_load_addr,
	        0);
	return VMX_CHECK_OK;
}

/* Exceptions that push an error code (Vol. 3A, 6.3.1 Table 6-1). */
static bool vector_has_error_code(unsigned v)
{
	return v == VEC_DF || v == VEC_TS || v == VEC_NP || v == VEC_SS || v == VEC_GP ||
	       v == VEC_PF || v == VEC_AC;
}

/* Event injection, 27.2.1.3 "VM-entry interruption-information field". */
static enum vmx_check_rule check_event_injection(const struct checker *c)
{
	const struct vmcs_state *s = c->s;
	u32 info = s->vm_entry_intr_info;
	enum intr_type type = intr_info_type(info);
	unsigned vec = intr_info_vector(info);
	bool deliver = info & INTR_INFO_DELIVER_ERROR_CODE;
	bool pm = !c->unrestricted || (s->guest_cr0 & CR0_PE);
	bool hw = type == INTR_TYPE_HARDWARE_EXCEPTION;
	const unsigned max_exception_vector = 31, max_instruction_len = 15;
	bool vec_ok = true;

	if (!(info & INTR_INFO_VALID))
		return VMX_CHECK_OK;
	FAIL_IF(type == INTR_TYPE_RESERVED, VMX_CHECK_ENTRY_INTR_TYPE, VMCS_VM_ENTRY_INTR_INFO,
	        info, INTR_INFO_TYPE_MASK);
	if (type == INTR_TYPE_NMI)
		vec_ok = vec == VEC_NMI;
	else if (hw)
		vec_ok = vec <= max_exception_vector;
	else if (type == INTR_TYPE_OTHER_EVENT)
		vec_ok = vec == 0; /* pending MTF VM exit */
	FAIL_IF(!vec_ok, VMX_CHECK_ENTRY_INTR_VECTOR, VMCS_VM_ENTRY_INTR_INFO, info,
	        INTR_INFO_VECTOR_MASK);
	if (c->caps->basic & VMX_BASIC_NO_ERRCODE_REQ)
		FAIL_IF(deliver && !(pm && hw), VMX_CHECK_ENTRY_INTR_ERROR_CODE,
		        VMCS_VM_ENTRY_INTR_INFO, info, INTR_INFO_DELIVER_ERROR_CODE);
	else
		FAIL_IF(deliver != (pm && hw && vector_has_error_code(vec)),
		        VMX_CHECK_ENTRY_INTR_ERROR_CODE, VMCS_VM_ENTRY_INTR_INFO, info,
		        INTR_INFO_DELIVER_ERROR_CODE);
	FAIL_IF(info & BITS(30, 12), VMX_CHECK_ENTRY_INTR_RESERVED, VMCS_VM_ENTRY_INTR_INFO, info,
	        info & BITS(30, 12));
	if (deliver)
		FAIL_IF(s->vm_entry_exception_error_code & BITS(31, 16),
		        VMX_CHECK_ENTRY_ERROR_CODE_RESERVED, VMCS_VM_ENTRY_EXCEPTION_ERROR_CODE,
		        s->vm_entry_exception_error_code, BITS(31, 16));
	if (type == INTR_TYPE_SOFTWARE_INTERRUPT ||
	    type == INTR_TYPE_PRIVILEGED_SOFTWARE_EXCEPTION ||
	    type == INTR_TYPE_SOFTWARE_EXCEPTION) {
		u32 len = s->vm_entry_instruction_len;
		bool zero_ok = c->caps->misc & VMX_MISC_INJECT_ZERO_LEN;
		FAIL_IF(len > max_instruction_len || (len == 0 && !zero_ok),
		        VMX_CHECK_ENTRY_INSTRUCTION_LEN, VMCS_VM_ENTRY_INSTRUCTION_LEN, len, 0);
	}
	return VMX_CHECK_OK;
}

/* ---- 27.2.1.3 VM-entry control fields ---- */
static enum vmx_check_rule check_entry_controls(const struct checker *c)
{
	const struct vmcs_state *s = c->s;
	u32 entry = s->vm_entry_controls;
	u32 bad = ctl_bad_bits(vmx_caps_ctl_msr(c->caps, VMX_CTL_ENTRY), entry);
	enum vmx_check_rule r;

	FAIL_IF(bad, VMX_CHECK_ENTRY_CONTROLS, VMCS_VM_ENTRY_CONTROLS, entry, bad);
	/* segvisor never runs in SMM, so both SMM controls must be 0. */
	bad = entry & (ENTRY_TO_SMM | ENTRY_DEACTIVATE_DUAL_MONITOR);
	FAIL_IF(bad, VMX_CHECK_ENTRY_SMM, VMCS_VM_ENTRY_CONTROLS, entry, bad);
	r = check_event_injection(c);
	if (r != VMX_CHECK_OK)
		return r;
	FAIL_IF(!msr_list_ok(c, s->vm_entry_msr_load_addr, s->vm_entry_msr_load_count),
	        VMX_CHECK_ENTRY_MSR_LOAD_ADDR, VMCS_VM_ENTRY_MSR_LOAD_ADDR,
	        s->vm_entry_msr_load_addr, 0);
	return VMX_CHECK_OK;
}

/* ---- 27.2.2 host control registers and MSRs ---- */
static enum vmx_check_rule check_host_cr_msr(const struct checker *c)
{
	const struct vmcs_state *s = c->s;
	const struct vmx_caps *caps = c->caps;
	u64 bad;

	bad = fixed_bad_bits(s->host_cr0, caps->cr0_fixed0, caps->cr0_fixed1);
	FAIL_IF(bad, VMX_CHECK_HOST_CR0_FIXED, VMCS_HOST_CR0, s->host_cr0, bad);
	bad = fixed_bad_bits(s->host_cr4, caps->cr4_fixed0, caps->cr4_fixed1);
	FAIL_IF(bad, VMX_CHECK_HOST_CR4_FIXED, VMCS_HOST_CR4, s->host_cr4, bad);
	bad = beyond_width(c, s->host_cr3);
	FAIL_IF(bad, VMX_CHECK_HOST_CR3, VMCS_HOST_CR3, s->host_cr3, bad);
	FAIL_IF(!va_is_canonical(s->host_ia32_sysenter_esp), VMX_CHECK_HOST_SYSENTER,
	        VMCS_HOST_IA32_SYSENTER_ESP, s->host_ia32_sysenter_esp, 0);
	FAIL_IF(!va_is_canonical(s->host_ia32_sysenter_eip), VMX_CHECK_HOST_SYSENTER,
	        VMCS_HOST_IA32_SYSENTER_EIP, s->host_ia32_sysenter_eip, 0);
	if (s->vm_exit_controls & EXIT_LOAD_IA32_PERF_GLOBAL_CTRL) {
		bad = s->host_ia32_perf_global_ctrl & ~caps->perf_global_ctrl_defined;
		FAIL_IF(bad, VMX_CHECK_HOST_PERF_GLOBAL_CTRL, VMCS_HOST_IA32_PERF_GLOBAL_CTRL,
		        s->host_ia32_perf_global_ctrl, bad);
	}
	if (s->vm_exit_controls & EXIT_LOAD_IA32_PAT)
		FAIL_IF(!vmx_pat_valid(s->host_ia32_pat), VMX_CHECK_HOST_PAT, VMCS_HOST_IA32_PAT,
		        s->host_ia32_pat, 0);
	if (s->vm_exit_controls & EXIT_LOAD_IA32_EFER) {
		u64 efer = s->host_ia32_efer;
		u64 want = c->host64 ? EFER_LMA | EFER_LME : 0;
		bad = efer & ~EFER_INTEL_DEFINED;
		FAIL_IF(bad, VMX_CHECK_HOST_EFER_RESERVED, VMCS_HOST_IA32_EFER, efer, bad);
		bad = (efer ^ want) & (EFER_LMA | EFER_LME);
		FAIL_IF(bad, VMX_CHECK_HOST_EFER_LMA_LME, VMCS_HOST_IA32_EFER, efer, bad);
	}
	return VMX_CHECK_OK;
}

/* ---- 27.2.3 host segment and descriptor-table registers ---- */
static enum vmx_check_rule check_host_segments(const struct checker *c)
{
	const struct vmcs_state *s = c->s;
	const struct {
		enum vmcs_field field;
		u16 sel;
	} sels[] = {
	    {VMCS_HOST_ES_SELECTOR, s->host_es_selector},
	    {VMCS_HOST_CS_SELECTOR, s->host_cs_selector},
	    {VMCS_HOST_SS_SELECTOR, s->host_ss_selector},
	    {VMCS_HOST_DS_SELECTOR, s->host_ds_selector},
	    {VMCS_HOST_FS_SELECTOR, s->host_fs_selector},
	    {VMCS_HOST_GS_SELECTOR, s->host_gs_selector},
	    {VMCS_HOST_TR_SELECTOR, s->host_tr_selector},
	};
	const struct {
		enum vmcs_field field;
		u64 base;
	} bases[] = {
	    {VMCS_HOST_FS_BASE, s->host_fs_base},     {VMCS_HOST_GS_BASE, s->host_gs_base},
	    {VMCS_HOST_GDTR_BASE, s->host_gdtr_base}, {VMCS_HOST_IDTR_BASE, s->host_idtr_base},
	    {VMCS_HOST_TR_BASE, s->host_tr_base},
	};

	for (size_t i = 0; i < ARRAY_SIZE(sels); i++) {
		u64 bad = sels[i].sel & (SEL_RPL_MASK | SEL_TI);
		FAIL_IF(bad, VMX_CHECK_HOST_SELECTOR_RPL_TI, sels[i].field, sels[i].sel, bad);
	}
	FAIL_IF(s->host_cs_selector == 0, VMX_CHECK_HOST_CS_NULL, VMCS_HOST_CS_SELECTOR, 0, 0);
	FAIL_IF(s->host_tr_selector == 0, VMX_CHECK_HOST_TR_NULL, VMCS_HOST_TR_SELECTOR, 0, 0);
	FAIL_IF(!c->host64 && s->host_ss_selector == 0, VMX_CHECK_HOST_SS_NULL,
	        VMCS_HOST_SS_SELECTOR, 0, 0);
	for (size_t i = 0; i < ARRAY_SIZE(bases); i++)
		FAIL_IF(!va_is_canonical(bases[i].base), VMX_CHECK_HOST_BASE_CANONICAL,
		        bases[i].field, bases[i].base, 0);
	return VMX_CHECK_OK;
}

/* ---- 27.2.4 checks related to address-space size. host_ia32_efer stands
 * for the EFER of the processor executing VMLAUNCH. ---- */
static enum vmx_check_rule check_address_space(const struct checker *c)
{
	const struct vmcs_state *s = c->s;
	bool lma = s->host_ia32_efer & EFER_LMA;

	FAIL_IF(lma != c->host64, VMX_CHECK_HOST_ADDR_SPACE_LMA, VMCS_VM_EXIT_CONTROLS,
	        s->vm_exit_controls, EXIT_HOST_ADDRESS_SPACE_SIZE);
	if (!c->host64) {
		FAIL_IF(c->ia32e_guest, VMX_CHECK_IA32E_GUEST_32BIT_HOST, VMCS_VM_ENTRY_CONTROLS,
		        s->vm_entry_controls, ENTRY_IA32E_MODE_GUEST);
		FAIL_IF(s->host_cr4 & CR4_PCIDE, VMX_CHECK_HOST_32BIT_STATE, VMCS_HOST_CR4,
		        s->host_cr4, CR4_PCIDE);
		FAIL_IF(s->host_rip >> 32, VMX_CHECK_HOST_32BIT_STATE, VMCS_HOST_RIP, s->host_rip,
		        BITS(63, 32));
	} else {
		FAIL_IF(!(s->host_cr4 & CR4_PAE), VMX_CHECK_HOST_CR4_PAE, VMCS_HOST_CR4,
		        s->host_cr4, CR4_PAE);
		FAIL_IF(!va_is_canonical(s->host_rip), VMX_CHECK_HOST_RIP_CANONICAL, VMCS_HOST_RIP,
		        s->host_rip, 0);
	}
	return VMX_CHECK_OK;
}

/* ---- 27.3.1.1 guest control registers, debug registers and MSRs ---- */
static enum vmx_check_rule check_guest_cr_msr(const struct checker *c)
{
	const struct vmcs_state *s = c->s;
	const struct vmx_caps *caps = c->caps;
	u32 entry = s->vm_entry_controls;
	u64 cr0 = s->guest_cr0, cr4 = s->guest_cr4;
	/* CD and NW are never checked; PE and PG not with unrestricted guest. */
	u64 unchecked = CR0_CD | CR0_NW | (c->unrestricted ? CR0_PE | CR0_PG : 0);
	u64 bad;

	bad = fixed_bad_bits(cr0, caps->cr0_fixed0, caps->cr0_fixed1) & ~unchecked;
	FAIL_IF(bad, VMX_CHECK_GUEST_CR0_FIXED, VMCS_GUEST_CR0, cr0, bad);
	FAIL_IF((cr0 & CR0_PG) && !(cr0 & CR0_PE), VMX_CHECK_GUEST_CR0_PG_WITHOUT_PE,
	        VMCS_GUEST_CR0, cr0, CR0_PG);
	bad = fixed_bad_bits(cr4, caps->cr4_fixed0, caps->cr4_fixed1);
	FAIL_IF(bad, VMX_CHECK_GUEST_CR4_FIXED, VMCS_GUEST_CR4, cr4, bad);
	if (entry & ENTRY_LOAD_DEBUG_CONTROLS)
		FAIL_IF(s->guest_ia32_debugctl & DEBUGCTL_RESERVED, VMX_CHECK_GUEST_DEBUGCTL,
		        VMCS_GUEST_IA32_DEBUGCTL, s->guest_ia32_debugctl,
		        s->guest_ia32_debugctl & DEBUGCTL_RESERVED);
	if (c->ia32e_guest) {
		bad = (~cr0 & CR0_PG) | (~cr4 & CR4_PAE);
		FAIL_IF(bad, VMX_CHECK_GUEST_IA32E_PAGING,
		        bad & CR0_PG ? VMCS_GUEST_CR0 : VMCS_GUEST_CR4, bad & CR0_PG ? cr0 : cr4,
		        bad);
	} else {
		FAIL_IF(cr4 & CR4_PCIDE, VMX_CHECK_GUEST_PCIDE, VMCS_GUEST_CR4, cr4, CR4_PCIDE);
	}
	bad = beyond_width(c, s->guest_cr3);
	FAIL_IF(bad, VMX_CHECK_GUEST_CR3, VMCS_GUEST_CR3, s->guest_cr3, bad);
	if (entry & ENTRY_LOAD_DEBUG_CONTROLS)
		FAIL_IF(s->guest_dr7 >> 32, VMX_CHECK_GUEST_DR7, VMCS_GUEST_DR7, s->guest_dr7,
		        BITS(63, 32));
	FAIL_IF(!va_is_canonical(s->guest_ia32_sysenter_esp), VMX_CHECK_GUEST_SYSENTER,
	        VMCS_GUEST_IA32_SYSENTER_ESP, s->guest_ia32_sysenter_esp, 0);
	FAIL_IF(!va_is_canonical(s->guest_ia32_sysenter_eip), VMX_CHECK_GUEST_SYSENTER,
	        VMCS_GUEST_IA32_SYSENTER_EIP, s->guest_ia32_sysenter_eip, 0);
	if (entry & ENTRY_LOAD_IA32_PERF_GLOBAL_CTRL) {
		bad = s->guest_ia32_perf_global_ctrl & ~c->caps->perf_global_ctrl_defined;
		FAIL_IF(bad, VMX_CHECK_GUEST_PERF_GLOBAL_CTRL, VMCS_GUEST_IA32_PERF_GLOBAL_CTRL,
		        s->guest_ia32_perf_global_ctrl, bad);
	}
	if (entry & ENTRY_LOAD_IA32_PAT)
		FAIL_IF(!vmx_pat_valid(s->guest_ia32_pat), VMX_CHECK_GUEST_PAT, VMCS_GUEST_IA32_PAT,
		        s->guest_ia32_pat, 0);
	if (entry & ENTRY_LOAD_IA32_EFER) {
		u64 efer = s->guest_ia32_efer;
		bool lma = efer & EFER_LMA, lme = efer & EFER_LME;
		bad = efer & ~EFER_INTEL_DEFINED;
		FAIL_IF(bad, VMX_CHECK_GUEST_EFER_RESERVED, VMCS_GUEST_IA32_EFER, efer, bad);
		FAIL_IF(lma != c->ia32e_guest, VMX_CHECK_GUEST_EFER_LMA, VMCS_GUEST_IA32_EFER, efer,
		        EFER_LMA);
		FAIL_IF((cr0 & CR0_PG) && lme != lma, VMX_CHECK_GUEST_EFER_LME,
		        VMCS_GUEST_IA32_EFER, efer, EFER_LME);
	}
	return VMX_CHECK_OK;
}

static bool usable(const struct vmcs_segment *seg)
{
	return !(seg->ar & AR_UNUSABLE);
}

static bool is_accessed_code(unsigned type)
{
	return (type & AR_TYPE_CODE) && (type & AR_TYPE_ACCESSED);
}

static bool is_rw_accessed_data(unsigned type)
{
	return !(type & AR_TYPE_CODE) && (type & AR_TYPE_WRITABLE) && (type & AR_TYPE_ACCESSED);
}

static u32 ar_reserved(u32 ar)
{
	return ar & (AR_RESERVED_11_8 | AR_RESERVED_31_17);
}

/* Limit bits 11:0 not all ones need G = 0; any of bits 31:20 set needs G = 1. */
static bool g_limit_ok(const struct vmcs_segment *seg)
{
	bool g = seg->ar & AR_G;
	if ((seg->limit & BITS(11, 0)) != BITS(11, 0) && g)
		return false;
	if ((seg->limit & BITS(31, 20)) && !g)
		return false;
	return true;
}

/* A segment register for the checks that treat ES, CS, SS, DS, FS, GS alike. */
struct seg_ref {
	const struct vmcs_segment *seg;
	enum vmcs_field selector, base, ar;
};

/* ---- 27.3.1.2 guest segment registers (not virtual-8086) ---- */
static enum vmx_check_rule check_guest_segments(const struct checker *c)
{
	const struct vmcs_state *s = c->s;
	const struct vmcs_segment *cs = &s->guest_cs, *ss = &s->guest_ss;
	const struct vmcs_segment *tr = &s->guest_tr, *ldtr = &s->guest_ldtr;
	const struct seg_ref data[] = {
	    {&s->guest_ds, VMCS_GUEST_DS_SELECTOR, VMCS_GUEST_DS_BASE, VMCS_GUEST_DS_AR_BYTES},
	    {&s->guest_es, VMCS_GUEST_ES_SELECTOR, VMCS_GUEST_ES_BASE, VMCS_GUEST_ES_AR_BYTES},
	    {&s->guest_fs, VMCS_GUEST_FS_SELECTOR, VMCS_GUEST_FS_BASE, VMCS_GUEST_FS_AR_BYTES},
	    {&s->guest_gs, VMCS_GUEST_GS_SELECTOR, VMCS_GUEST_GS_BASE, VMCS_GUEST_GS_AR_BYTES},
	};
	/* CS is always checked; SS and the data segments only when usable. */
	const struct seg_ref all[] = {
	    {cs, VMCS_GUEST_CS_SELECTOR, VMCS_GUEST_CS_BASE, VMCS_GUEST_CS_AR_BYTES},
	    {ss, VMCS_GUEST_SS_SELECTOR, VMCS_GUEST_SS_BASE, VMCS_GUEST_SS_AR_BYTES},
	    data[0],
	    data[1],
	    data[2],
	    data[3],
	};
	unsigned cs_type = ar_type(cs->ar);
	bool pe = s->guest_cr0 & CR0_PE;

	FAIL_IF((s->guest_rflags & RFLAGS_VM) && pe && !c->ia32e_guest, VMX_CHECK_GUEST_V8086,
	        VMCS_GUEST_RFLAGS, s->guest_rflags, RFLAGS_VM);

	/* Selectors. */
	FAIL_IF(tr->selector & SEL_TI, VMX_CHECK_GUEST_TR_TI, VMCS_GUEST_TR_SELECTOR, tr->selector,
	        SEL_TI);
	FAIL_IF(usable(ldtr) && (ldtr->selector & SEL_TI), VMX_CHECK_GUEST_LDTR_TI,
	        VMCS_GUEST_LDTR_SELECTOR, ldtr->selector, SEL_TI);
	FAIL_IF(!c->unrestricted && (ss->selector & SEL_RPL_MASK) != (cs->selector & SEL_RPL_MASK),
	        VMX_CHECK_GUEST_SS_RPL, VMCS_GUEST_SS_SELECTOR, ss->selector, SEL_RPL_MASK);

	/* Bases. */
	FAIL_IF(!va_is_canonical(tr->base), VMX_CHECK_GUEST_BASE_CANONICAL, VMCS_GUEST_TR_BASE,
	        tr->base, 0);
	FAIL_IF(!va_is_canonical(s->guest_fs.base), VMX_CHECK_GUEST_BASE_CANONICAL,
	        VMCS_GUEST_FS_BASE, s->guest_fs.base, 0);
	FAIL_IF(!va_is_canonical(s->guest_gs.base), VMX_CHECK_GUEST_BASE_CANONICAL,
	        VMCS_GUEST_GS_BASE, s->guest_gs.base, 0);
	FAIL_IF(usable(ldtr) && !va_is_canonical(ldtr->base), VMX_CHECK_GUEST_BASE_CANONICAL,
	        VMCS_GUEST_LDTR_BASE, ldtr->base, 0);
	for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
		const struct seg_ref *r = &all[i];
		bool fs_gs = r->seg == &s->guest_fs || r->seg == &s->guest_gs; /* canonical above */
		FAIL_IF(!fs_gs && (r->seg == cs || usable(r->seg)) && (r->seg->base >> 32),
		        VMX_CHECK_GUEST_BASE_HIGH, r->base, r->seg->base, BITS(63, 32));
	}

	/* Access rights: types. */
	/* CS: accessed code (types 9, 11, 13, 15), or read/write accessed data
	 * (type 3) with unrestricted guest. SS: read/write accessed data, expand-up
	 * or expand-down (types 3, 7). */
	FAIL_IF(!(is_accessed_code(cs_type) ||
	          (c->unrestricted && cs_type == SEG_TYPE_DATA_RW_ACCESSED)),
	        VMX_CHECK_GUEST_CS_TYPE, VMCS_GUEST_CS_AR_BYTES, cs->ar, AR_TYPE_MASK);
	FAIL_IF(usable(ss) && !is_rw_accessed_data(ar_type(ss->ar)), VMX_CHECK_GUEST_SS_TYPE,
	        VMCS_GUEST_SS_AR_BYTES, ss->ar, AR_TYPE_MASK);
	for (size_t i = 0; i < ARRAY_SIZE(data); i++) {
		u32 ar = data[i].seg->ar;
		if (!usable(data[i].seg))
			continue;
		FAIL_IF(!(ar & AR_TYPE_ACCESSED) ||
		            ((ar & AR_TYPE_CODE) && !(ar & AR_TYPE_READABLE)),
		        VMX_CHECK_GUEST_DATA_TYPE, data[i].ar, ar, AR_TYPE_MASK);
	}
	/* S and P. */
	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		FAIL_IF((all[i].seg == cs || usable(all[i].seg)) && !(all[i].seg->ar & AR_S),
		        VMX_CHECK_GUEST_SEG_S, all[i].ar, all[i].seg->ar, AR_S);
	/* DPL. */
	if (cs_type == SEG_TYPE_DATA_RW_ACCESSED)
		FAIL_IF(ar_dpl(cs->ar) != 0, VMX_CHECK_GUEST_CS_DPL, VMCS_GUEST_CS_AR_BYTES, cs->ar,
		        AR_DPL_MASK);
	else if (cs_type & AR_TYPE_CONFORMING)
		FAIL_IF(ar_dpl(cs->ar) > ar_dpl(ss->ar), VMX_CHECK_GUEST_CS_DPL,
		        VMCS_GUEST_CS_AR_BYTES, cs->ar, AR_DPL_MASK);
	else
		FAIL_IF(ar_dpl(cs->ar) != ar_dpl(ss->ar), VMX_CHECK_GUEST_CS_DPL,
		        VMCS_GUEST_CS_AR_BYTES, cs->ar, AR_DPL_MASK);
	FAIL_IF(!c->unrestricted && ar_dpl(ss->ar) != (ss->selector & SEL_RPL_MASK),
	        VMX_CHECK_GUEST_SS_DPL, VMCS_GUEST_SS_AR_BYTES, ss->ar, AR_DPL_MASK);
	FAIL_IF((cs_type == SEG_TYPE_DATA_RW_ACCESSED || !pe) && ar_dpl(ss->ar) != 0,
	        VMX_CHECK_GUEST_SS_DPL, VMCS_GUEST_SS_AR_BYTES, ss->ar, AR_DPL_MASK);
	for (size_t i = 0; i < ARRAY_SIZE(data) && !c->unrestricted; i++) {
		const struct vmcs_segment *seg = data[i].seg;
		/* Data and non-conforming code (types 0..11). */
		bool conforming_code = (seg->ar & AR_TYPE_CODE) && (seg->ar & AR_TYPE_CONFORMING);
		bool checked = usable(seg) && !conforming_code;
		FAIL_IF(checked && ar_dpl(seg->ar) < (seg->selector & SEL_RPL_MASK),
		        VMX_CHECK_GUEST_DATA_DPL, data[i].ar, seg->ar, AR_DPL_MASK);
	}
	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		FAIL_IF((all[i].seg == cs || usable(all[i].seg)) && !(all[i].seg->ar & AR_P),
		        VMX_CHECK_GUEST_SEG_P, all[i].ar, all[i].seg->ar, AR_P);
	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		FAIL_IF((all[i].seg == cs || usable(all[i].seg)) && ar_reserved(all[i].seg->ar),
		        VMX_CHECK_GUEST_SEG_AR_RESERVED, all[i].ar, all[i].seg->ar,
		        ar_reserved(all[i].seg->ar));
	FAIL_IF(c->ia32e_guest && (cs->ar & AR_L) && (cs->ar & AR_DB), VMX_CHECK_GUEST_CS_L_AND_DB,
	        VMCS_GUEST_CS_AR_BYTES, cs->ar, AR_L | AR_DB);
	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		FAIL_IF((all[i].seg == cs || usable(all[i].seg)) && !g_limit_ok(all[i].seg),
		        VMX_CHECK_GUEST_SEG_G_LIMIT, all[i].ar, all[i].seg->ar, AR_G);

	/* TR: a busy TSS (16-bit busy only outside IA-32e mode). */
	FAIL_IF(!(ar_type(tr->ar) == SEG_TYPE_TSS_BUSY ||
	          (!c->ia32e_guest && ar_type(tr->ar) == SEG_TYPE_TSS16_BUSY)),
	        VMX_CHECK_GUEST_TR_TYPE, VMCS_GUEST_TR_AR_BYTES, tr->ar, AR_TYPE_MASK);
	FAIL_IF((tr->ar & AR_S) || !(tr->ar & AR_P) || (tr->ar & AR_UNUSABLE),
	        VMX_CHECK_GUEST_TR_AR, VMCS_GUEST_TR_AR_BYTES, tr->ar, AR_S | AR_P | AR_UNUSABLE);
	FAIL_IF(ar_reserved(tr->ar), VMX_CHECK_GUEST_SEG_AR_RESERVED, VMCS_GUEST_TR_AR_BYTES,
	        tr->ar, ar_reserved(tr->ar));
	FAIL_IF(!g_limit_ok(tr), VMX_CHECK_GUEST_SEG_G_LIMIT, VMCS_GUEST_TR_AR_BYTES, tr->ar, AR_G);

	/* LDTR, when usable: a present LDT descriptor. */
	if (usable(ldtr)) {
		FAIL_IF(ar_type(ldtr->ar) != SEG_TYPE_LDT || (ldtr->ar & AR_S) ||
		            !(ldtr->ar & AR_P),
		        VMX_CHECK_GUEST_LDTR_AR, VMCS_GUEST_LDTR_AR_BYTES, ldtr->ar,
		        AR_TYPE_MASK | AR_S | AR_P);
		FAIL_IF(ar_reserved(ldtr->ar), VMX_CHECK_GUEST_SEG_AR_RESERVED,
		        VMCS_GUEST_LDTR_AR_BYTES, ldtr->ar, ar_reserved(ldtr->ar));
		FAIL_IF(!g_limit_ok(ldtr), VMX_CHECK_GUEST_SEG_G_LIMIT, VMCS_GUEST_LDTR_AR_BYTES,
		        ldtr->ar, AR_G);
	}
	return VMX_CHECK_OK;
}

/* ---- 27.3.1.3 guest descriptor-table registers ---- */
static enum vmx_check_rule check_guest_dtr(const struct checker *c)
{
	const struct vmcs_state *s = c->s;

	FAIL_IF(!va_is_canonical(s->guest_gdtr_base), VMX_CHECK_GUEST_DTR_BASE,
	        VMCS_GUEST_GDTR_BASE, s->guest_gdtr_base, 0);
	FAIL_IF(!va_is_canonical(s->guest_idtr_base), VMX_CHECK_GUEST_DTR_BASE,
	        VMCS_GUEST_IDTR_BASE, s->guest_idtr_base, 0);
	FAIL_IF(s->guest_gdtr_limit & BITS(31, 16), VMX_CHECK_GUEST_DTR_LIMIT,
	        VMCS_GUEST_GDTR_LIMIT, s->guest_gdtr_limit, BITS(31, 16));
	FAIL_IF(s->guest_idtr_limit & BITS(31, 16), VMX_CHECK_GUEST_DTR_LIMIT,
	        VMCS_GUEST_IDTR_LIMIT, s->guest_idtr_limit, BITS(31, 16));
	return VMX_CHECK_OK;
}

/* ---- 27.3.1.4 guest RIP and RFLAGS ---- */
static enum vmx_check_rule check_guest_rip_rflags(const struct checker *c)
{
	const struct vmcs_state *s = c->s;
	u64 rip = s->guest_rip, rflags = s->guest_rflags;
	u32 info = s->vm_entry_intr_info;
	bool mode64 = c->ia32e_guest && (s->guest_cs.ar & AR_L);
	u64 bad;

	if (mode64)
		FAIL_IF(!va_is_canonical(rip), VMX_CHECK_GUEST_RIP_CANONICAL, VMCS_GUEST_RIP, rip,
		        0);
	else
		FAIL_IF(rip >> 32, VMX_CHECK_GUEST_RIP_HIGH, VMCS_GUEST_RIP, rip, BITS(63, 32));
	bad = (rflags & RFLAGS_RESERVED_ZERO) | (~rflags & RFLAGS_FIXED1);
	FAIL_IF(bad, VMX_CHECK_GUEST_RFLAGS_RESERVED, VMCS_GUEST_RFLAGS, rflags, bad);
	FAIL_IF((rflags & RFLAGS_VM) && (c->ia32e_guest || !(s->guest_cr0 & CR0_PE)),
	        VMX_CHECK_GUEST_RFLAGS_VM, VMCS_GUEST_RFLAGS, rflags, RFLAGS_VM);
	FAIL_IF((info & INTR_INFO_VALID) && intr_info_type(info) == INTR_TYPE_EXTERNAL_INTERRUPT &&
	            !(rflags & RFLAGS_IF),
	        VMX_CHECK_GUEST_RFLAGS_IF, VMCS_GUEST_RFLAGS, rflags, RFLAGS_IF);
	return VMX_CHECK_OK;
}

/* ---- 27.3.1.5 guest non-register state ---- */
static enum vmx_check_rule check_guest_non_register(const struct checker *c)
{
	const struct vmcs_state *s = c->s;
	u32 act = s->guest_activity_state, intr = s->guest_interruptibility_info;
	u32 info = s->vm_entry_intr_info;
	const u32 sti_movss = INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS;
	/* IA32_VMX_MISC bits 8:6 report HLT, shutdown and wait-for-SIPI in order. */
	const unsigned misc_activity_shift = 5;
	const u64 pending_dbg_reserved = BITS(11, 4) | BIT(13) | BIT(15) | BITS(63, 17);
	bool act_ok = act == ACTIVITY_ACTIVE || (act <= ACTIVITY_WAIT_FOR_SIPI &&
	                                         (c->caps->misc & BIT(misc_activity_shift + act)));

	FAIL_IF(!act_ok, VMX_CHECK_GUEST_ACTIVITY_STATE, VMCS_GUEST_ACTIVITY_STATE, act, 0);
	FAIL_IF(act == ACTIVITY_HLT && ar_dpl(s->guest_ss.ar) != 0,
	        VMX_CHECK_GUEST_ACTIVITY_HLT_DPL, VMCS_GUEST_ACTIVITY_STATE, act, 0);
	FAIL_IF(act != ACTIVITY_ACTIVE && (intr & sti_movss), VMX_CHECK_GUEST_ACTIVITY_BLOCKING,
	        VMCS_GUEST_INTERRUPTIBILITY_INFO, intr, intr & sti_movss);
	FAIL_IF(intr & INTERRUPTIBILITY_RESERVED, VMX_CHECK_GUEST_INTERRUPTIBILITY_RESERVED,
	        VMCS_GUEST_INTERRUPTIBILITY_INFO, intr, intr & INTERRUPTIBILITY_RESERVED);
	FAIL_IF((intr & sti_movss) == sti_movss, VMX_CHECK_GUEST_INTERRUPTIBILITY_STI_MOV_SS,
	        VMCS_GUEST_INTERRUPTIBILITY_INFO, intr, sti_movss);
	FAIL_IF((intr & INTERRUPTIBILITY_STI) && !(s->guest_rflags & RFLAGS_IF),
	        VMX_CHECK_GUEST_INTERRUPTIBILITY_STI_IF, VMCS_GUEST_INTERRUPTIBILITY_INFO, intr,
	        INTERRUPTIBILITY_STI);
	FAIL_IF((info & INTR_INFO_VALID) && intr_info_type(info) == INTR_TYPE_EXTERNAL_INTERRUPT &&
	            (intr & sti_movss),
	        VMX_CHECK_GUEST_INTERRUPTIBILITY_EXTINT, VMCS_GUEST_INTERRUPTIBILITY_INFO, intr,
	        intr & sti_movss);
	FAIL_IF(intr & INTERRUPTIBILITY_SMI, VMX_CHECK_GUEST_INTERRUPTIBILITY_SMI,
	        VMCS_GUEST_INTERRUPTIBILITY_INFO, intr, INTERRUPTIBILITY_SMI);
	FAIL_IF(s->guest_pending_dbg_exceptions & pending_dbg_reserved,
	        VMX_CHECK_GUEST_PENDING_DBG_RESERVED, VMCS_GUEST_PENDING_DBG_EXCEPTIONS,
	        s->guest_pending_dbg_exceptions,
	        s->guest_pending_dbg_exceptions & pending_dbg_reserved);
	FAIL_IF(s->link_pointer != VMCS_LINK_POINTER_NONE, VMX_CHECK_GUEST_LINK_POINTER,
	        VMCS_LINK_POINTER, s->link_pointer, ~s->link_pointer);
	return VMX_CHECK_OK;
}

/* ---- 27.3.1.6 PDPTEs: checked from the VMCS when the guest uses PAE paging with EPT ---- */
static enum vmx_check_rule check_guest_pdptes(const struct checker *c)
{
	const struct vmcs_state *s = c->s;
	static const enum vmcs_field fields[] = {VMCS_GUEST_PDPTE0, VMCS_GUEST_PDPTE1,
	                                         VMCS_GUEST_PDPTE2, VMCS_GUEST_PDPTE3};
	bool pae_paging = (s->guest_cr0 & CR0_PG) && (s->guest_cr4 & CR4_PAE) && !c->ia32e_guest;

	if (!pae_paging || !(c->sec & SEC_ENABLE_EPT))
		return VMX_CHECK_OK;
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		u64 e = s->guest_pdpte[i];
		/* Vol. 3A, 4.4.1 Table 4-8: bits 2:1 and 8:5 are reserved. */
		u64 bad = (e & (BITS(2, 1) | BITS(8, 5))) | beyond_width(c, e & ~PTE_NX);
		FAIL_IF((e & PTE_P) && bad, VMX_CHECK_GUEST_PDPTE, fields[i], e, bad);
	}
	return VMX_CHECK_OK;
}

/* The groups in the order the processor performs them (27.1, 27.2, 27.3). */
static enum vmx_check_rule (*const check_groups[])(const struct checker *c) = {
    check_exec_controls, check_exit_controls,    check_entry_controls,     check_host_cr_msr,
    check_host_segments, check_address_space,    check_guest_cr_msr,       check_guest_segments,
    check_guest_dtr,     check_guest_rip_rflags, check_guest_non_register, check_guest_pdptes,
};

enum vmx_check_rule vmx_check_entry(const struct vmcs_state *s, const struct vmx_caps *caps,
                                    struct vmx_check_detail *detail)
{
	bool secondary = s->primary_vm_exec_control & CPU_ACTIVATE_SECONDARY_CONTROLS;
	const struct checker c = {
	    .s = s,
	    .caps = caps,
	    .detail = detail,
	    .sec = secondary ? s->secondary_vm_exec_control : 0,
	    .ia32e_guest = s->vm_entry_controls & ENTRY_IA32E_MODE_GUEST,
	    .host64 = s->vm_exit_controls & EXIT_HOST_ADDRESS_SPACE_SIZE,
	    .unrestricted = secondary && (s->secondary_vm_exec_control & SEC_UNRESTRICTED_GUEST),
	};

	for (size_t i = 0; i < ARRAY_SIZE(check_groups); i++) {
		enum vmx_check_rule r = check_groups[i](&c);
		if (r != VMX_CHECK_OK)
			return r;
	}
	return VMX_CHECK_OK;
}

#define VMX_CHECK_MESSAGE(code, msg) [code] = msg,
static const char *const rule_messages[VMX_CHECK_RULE_COUNT] = {VMX_CHECK_RULES(VMX_CHECK_MESSAGE)};
#undef VMX_CHECK_MESSAGE
#define VMX_CHECK_NAME(code, msg) [code] = #code,
static const char *const rule_names[VMX_CHECK_RULE_COUNT] = {VMX_CHECK_RULES(VMX_CHECK_NAME)};
#undef VMX_CHECK_NAME

const char *vmx_check_rule_message(enum vmx_check_rule rule)
{
	if ((unsigned)rule >= VMX_CHECK_RULE_COUNT)
		return "unknown VM-entry check";
	return rule_messages[rule];
}

const char *vmx_check_rule_name(enum vmx_check_rule rule)
{
	if ((unsigned)rule >= VMX_CHECK_RULE_COUNT)
		return "VMX_CHECK_UNKNOWN";
	return rule_names[rule];
}
