/* Names of the basic exit reasons (SDM Vol. 3D, Appendix C), for reports. */
#include "arch/x86/vmx.h"
#include "arch/x86/vmx_defs.h"
#include "arch/x86/vcpu.h"

static const char *const exit_reason_names[] = {
    [EXIT_REASON_EXCEPTION_NMI] = "exception",
    [EXIT_REASON_EXTERNAL_INTERRUPT] = "external_interrupt",
    [EXIT_REASON_TRIPLE_FAULT] = "triple_fault",
    [EXIT_REASON_INIT_SIGNAL] = "init",
    [EXIT_REASON_SIPI] = "sipi",
    [EXIT_REASON_INTERRUPT_WINDOW] = "interrupt_window",
    [EXIT_REASON_NMI_WINDOW] = "nmi_window",
    [EXIT_REASON_TASK_SWITCH] = "task_switch",
    [EXIT_REASON_CPUID] = "cpuid",
    [EXIT_REASON_GETSEC] = "getsec",
    [EXIT_REASON_HLT] = "hlt",
    [EXIT_REASON_INVD] = "invd",
    [EXIT_REASON_INVLPG] = "invlpg",
    [EXIT_REASON_RDPMC] = "rdpmc",
    [EXIT_REASON_RDTSC] = "rdtsc",
    [EXIT_REASON_VMCALL] = "vmcall",
    [EXIT_REASON_VMCLEAR] = "vmclear",
    [EXIT_REASON_VMLAUNCH] = "vmlaunch",
    [EXIT_REASON_VMPTRLD] = "vmptrld",
    [EXIT_REASON_VMPTRST] = "vmptrst",
    [EXIT_REASON_VMREAD] = "vmread",
    [EXIT_REASON_VMRESUME] = "vmresume",
    [EXIT_REASON_VMWRITE] = "vmwrite",
    [EXIT_REASON_VMXOFF] = "vmxoff",
    [EXIT_REASON_VMXON] = "vmxon",
    [EXIT_REASON_CR_ACCESS] = "cr_access",
    [EXIT_REASON_MOV_DR] = "mov_dr",
    [EXIT_REASON_IO_INSTRUCTION] = "io",
    [EXIT_REASON_RDMSR] = "rdmsr",
    [EXIT_REASON_WRMSR] = "wrmsr",
    [EXIT_REASON_INVALID_GUEST_STATE] = "invalid_guest_state",
    [EXIT_REASON_MSR_LOADING] = "msr_loading",
    [EXIT_REASON_MWAIT] = "mwait",
    [EXIT_REASON_MONITOR_TRAP_FLAG] = "monitor_trap_flag",
    [EXIT_REASON_MONITOR] = "monitor",
    [EXIT_REASON_PAUSE] = "pause",
    [EXIT_REASON_MACHINE_CHECK] = "machine_check",
    [EXIT_REASON_EPT_VIOLATION] = "ept_violation",
    [EXIT_REASON_EPT_MISCONFIG] = "ept_misconfig",
    [EXIT_REASON_INVEPT] = "invept",
    [EXIT_REASON_RDTSCP] = "rdtscp",
    [EXIT_REASON_PREEMPTION_TIMER] = "preemption_timer",
    [EXIT_REASON_INVVPID] = "invvpid",
    [EXIT_REASON_WBINVD] = "wbinvd",
    [EXIT_REASON_XSETBV] = "xsetbv",
    [EXIT_REASON_RDRAND] = "rdrand",
    [EXIT_REASON_INVPCID] = "invpcid",
    [EXIT_REASON_VMFUNC] = "vmfunc",
    [EXIT_REASON_RDSEED] = "rdseed",
    [EXIT_REASON_XSAVES] = "xsaves",
    [EXIT_REASON_XRSTORS] = "xrstors",
};

const char *vmx_exit_reason_name(u32 raw)
{
	if (raw < ARRAY_SIZE(exit_reason_names) && exit_reason_names[raw])
		return exit_reason_names[raw];
	return "unnamed";
}

/* VM-instruction error numbers (SDM Vol. 3C, 31.4, Table 31-1). */
static const char *const insn_error_names[VMXERR_COUNT] = {
    [VMXERR_VMCALL_IN_VMX_ROOT] = "VMCALL executed in VMX root operation",
    [VMXERR_VMCLEAR_INVALID_ADDRESS] = "VMCLEAR with invalid physical address",
    [VMXERR_VMCLEAR_VMXON_POINTER] = "VMCLEAR with VMXON pointer",
    [VMXERR_VMLAUNCH_NONCLEAR_VMCS] = "VMLAUNCH with non-clear VMCS",
    [VMXERR_VMRESUME_NONLAUNCHED_VMCS] = "VMRESUME with non-launched VMCS",
    [VMXERR_VMRESUME_AFTER_VMXOFF] = "VMRESUME after VMXOFF",
    [VMXERR_ENTRY_INVALID_CONTROL_FIELD] = "VM entry with invalid control field(s)",
    [VMXERR_ENTRY_INVALID_HOST_STATE_FIELD] = "VM entry with invalid host-state field(s)",
    [VMXERR_VMPTRLD_INVALID_ADDRESS] = "VMPTRLD with invalid physical address",
    [VMXERR_VMPTRLD_VMXON_POINTER] = "VMPTRLD with VMXON pointer",
    [VMXERR_VMPTRLD_INCORRECT_REVISION] = "VMPTRLD with incorrect VMCS revision identifier",
    [VMXERR_UNSUPPORTED_VMCS_COMPONENT] = "VMREAD/VMWRITE of unsupported VMCS component",
    [VMXERR_VMWRITE_READ_ONLY_COMPONENT] = "VMWRITE to read-only VMCS component",
    [VMXERR_VMXON_IN_VMX_ROOT] = "VMXON executed in VMX root operation",
    [VMXERR_ENTRY_EVENTS_BLOCKED_BY_MOV_SS] = "VM entry with events blocked by MOV SS",
    [VMXERR_INVALID_INVEPT_INVVPID_OPERAND] = "invalid operand to INVEPT/INVVPID",
};

const char *vmx_insn_error_name(u32 err)
{
	if (err < VMXERR_COUNT && insn_error_names[err])
		return insn_error_names[err];
	return "unnamed VM-instruction error";
}
