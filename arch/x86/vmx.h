/* The VMX backend: capability probe, VMXON, and the vcpu_arch_* functions
 * of arch/x86/vcpu.h for one virtual CPU. */
#ifndef ARCH_X86_VMX_H
#define ARCH_X86_VMX_H

#include "arch/x86/vmx_caps.h"
#include "lib/report.h"
#include "lib/types.h"

enum vmx_status {
	VMX_OK = 0,
	VMX_ERR_NO_VMX,          /* CPUID.1:ECX.VMX = 0: "VT-x not available" */
	VMX_ERR_FIRMWARE_LOCKED, /* IA32_FEATURE_CONTROL locked without VMX */
	VMX_ERR_MISSING_FEATURE, /* a required capability is absent (printed) */
	VMX_ERR_VMXON,           /* VMXON failed */
};

const char *vmx_strerror(enum vmx_status s);

/* Reads CPUID and the capability MSRs into caps. VMX_ERR_NO_VMX when the
 * CPU has no VMX; otherwise VMX_OK (whether required features exist is
 * vmx_caps_checklist's business). */
enum vmx_status vmx_probe(struct vmx_caps *caps);
/* Checks required features (printing the checklist when verbose), enables
 * VMX in IA32_FEATURE_CONTROL where unlocked, adjusts CR0/CR4 to the fixed
 * bits and executes VMXON. */
enum vmx_status vmx_enable(const struct vmx_caps *caps, bool verbose);
/* Largest EPT leaf the CPU supports: PAGE_SIZE_1G, PAGE_SIZE_2M or 4 KiB. */
u64 vmx_max_ept_page(const struct vmx_caps *caps);
bool vmx_ept_ad_supported(const struct vmx_caps *caps);
/* Boot self-test: the software VM-entry checker over the VMCS segvisor
 * would write on this CPU, then with one rule broken at a time. */
void vmx_selftest_entry_checks(struct report *rep, const struct vmx_caps *caps);
/* vm_entry_test=NAME (test only): the VMCS breaks one checker rule on
 * purpose and goes to the CPU unchecked. NAME is a vmcheck case without
 * its "vmcheck-" prefix; "" is none. */
const char *vmx_insn_error_name(u32 err);
const char *vmx_exit_reason_name(u32 raw);

struct vcpu_ops;
extern const struct vcpu_ops vmx_vcpu_ops;
bool vmx_entry_test_known(const char *name);
void vmx_entry_test_list(char *buf, size_t size);

#endif
