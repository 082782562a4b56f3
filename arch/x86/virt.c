#include "arch/x86/virt.h"

#include "arch/x86/cpu.h"
#include "arch/x86/svm.h"
#include "arch/x86/vcpu_common.h"
#include "arch/x86/vmx.h"
#include "lib/console.h"
#include "lib/fmt.h"
#include "lib/mem.h"

bool virt_entry_test_known(const char *name, char *why, size_t why_size)
{
	if (vmx_entry_test_known(name) || svm_entry_test_known(name))
		return true;
	char list[448];
	int n = fmt_snprintf(list, sizeof(list), "VMX: ");
	vmx_entry_test_list(list + n, sizeof(list) - n);
	n = strlen(list);
	n += fmt_snprintf(list + n, sizeof(list) - n, "; SVM: ");
	svm_entry_test_list(list + n, sizeof(list) - n);
	fmt_snprintf(why, why_size, "'%s' is not one of %s", name, list);
	return false;
}

/* The VT-x capability report of `make run`: every feature by name. */
static enum vmx_status probe_vmx(struct vmx_caps *caps)
{
	enum vmx_status vs = vmx_probe(caps);
	if (vs != VMX_OK) {
		con_printf("vmx: %s\n", vmx_strerror(vs));
		return vs;
	}
	struct vmx_feature_check list[VMX_FEAT_COUNT];
	vmx_caps_checklist(caps, list);
	vmx_caps_print_checklist(list, VMX_FEAT_COUNT);
	con_printf("vmx: VMCS revision 0x%x, EPT pages up to %lluK, EPT A/D %s\n",
	           vmx_basic_revision(caps->basic), vmx_max_ept_page(caps) / KiB,
	           vmx_ept_ad_supported(caps) ? "yes" : "no");
	return vs;
}

static struct virt_backend select_vmx(struct report *rep, const struct virt_request *req)
{
	static struct vmx_caps caps;
	struct virt_backend b = {0};
	enum vmx_status vs = probe_vmx(&caps);

	if (vs == VMX_OK && req->enable)
		vs = vmx_enable(&caps, false);
	if (vs == VMX_ERR_VMXON) {
		report_fail(rep, "vmxon",
		            "VMXON failed (VMCS revision 0x%x, CR0 0x%llx, CR4 0x%llx)",
		            vmx_basic_revision(caps.basic), read_cr0(), read_cr4());
		b.failed = true;
		return b;
	}
	if (vs != VMX_OK) {
		b.why = vmx_strerror(vs);
		return b;
	}
	if (!req->enable) {
		b.why = "vm=off";
		return b;
	}
	if (!vmx_entry_test_known(req->entry_test)) {
		report_fail(rep, "options", "vm_entry_test=%s names an SVM rule: this CPU runs VMX",
		            req->entry_test);
		b.failed = true;
		return b;
	}
	report_pass(rep, "vmxon");
	host_xsave_enable();
	if (req->selftest)
		vmx_selftest_entry_checks(rep, &caps);
	b.ops = &vmx_vcpu_ops;
	b.max_page = vmx_max_ept_page(&caps);
	b.nested_ad = req->nested_ad && vmx_ept_ad_supported(&caps);
	return b;
}

static struct virt_backend select_svm(struct report *rep, const struct virt_request *req)
{
	static struct svm_caps caps;
	struct virt_backend b = {0};
	enum svm_status ss = svm_probe(&caps);

	if (ss == SVM_OK && req->enable)
		ss = svm_enable(&caps, true);
	else if (ss == SVM_OK) {
		struct svm_feature_check list[SVM_FEAT_COUNT];
		svm_caps_checklist(&caps, list);
		svm_caps_print_checklist(list, SVM_FEAT_COUNT);
	}
	if (ss != SVM_OK) {
		b.why = svm_strerror(ss);
		return b;
	}
	if (!req->enable) {
		b.why = "vm=off";
		return b;
	}
	if (!svm_entry_test_known(req->entry_test)) {
		report_fail(rep, "options", "vm_entry_test=%s names a VMX rule: this CPU runs SVM",
		            req->entry_test);
		b.failed = true;
		return b;
	}
	report_pass(rep, "svm-enabled");
	host_xsave_enable();
	if (req->selftest)
		svm_selftest_vmcb_checks(rep, &caps);
	b.ops = &svm_vcpu_ops;
	b.max_page = svm_max_npt_page(&caps);
	return b;
}

struct virt_backend virt_select(struct report *rep, const struct cpuinfo *ci,
                                const struct virt_request *req)
{
	if (ci->vmx)
		return select_vmx(rep, req);
	con_printf("vmx: %s\n", vmx_strerror(VMX_ERR_NO_VMX));
	if (!ci->svm)
		return (struct virt_backend){
		    .why = "VT-x not available (CPUID.1:ECX.VMX = 0), nor AMD SVM (CPUID "
		           "8000_0001h:ECX.SVM = 0)"};
	return select_svm(rep, req);
}
