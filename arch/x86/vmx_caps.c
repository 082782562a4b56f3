#include "arch/x86/vmx_caps.h"

#include "arch/x86/msr.h"
#include "arch/x86/vmx_defs.h"
#include "lib/console.h"

static const char *const ctl_kind_names[VMX_CTL_KIND_COUNT] = {
    [VMX_CTL_PINBASED] = "pin-based VM-execution controls",
    [VMX_CTL_PROCBASED] = "primary processor-based VM-execution controls",
    [VMX_CTL_PROCBASED2] = "secondary processor-based VM-execution controls",
    [VMX_CTL_EXIT] = "VM-exit controls",
    [VMX_CTL_ENTRY] = "VM-entry controls",
};

const char *vmx_ctl_kind_name(enum vmx_ctl_kind kind)
{
	if ((unsigned)kind >= VMX_CTL_KIND_COUNT)
		return "unknown controls";
	return ctl_kind_names[kind];
}

u64 vmx_caps_ctl_msr(const struct vmx_caps *caps, enum vmx_ctl_kind kind)
{
	/* A.2: with bit 55 the TRUE MSRs report which default1 controls may
	 * really be 0; the secondary controls have no TRUE variant. */
	bool true_ctls = (caps->basic & VMX_BASIC_TRUE_CTLS) != 0;

	switch (kind) {
	case VMX_CTL_PINBASED:
		return true_ctls ? caps->true_pinbased_ctls : caps->pinbased_ctls;
	case VMX_CTL_PROCBASED:
		return true_ctls ? caps->true_procbased_ctls : caps->procbased_ctls;
	case VMX_CTL_PROCBASED2:
		/* A.3.3: meaningful only if the primary control may be 1. */
		if (!(vmx_ctl_may_be_1(vmx_caps_ctl_msr(caps, VMX_CTL_PROCBASED)) &
		      CPU_ACTIVATE_SECONDARY_CONTROLS))
			return 0;
		return caps->procbased_ctls2;
	case VMX_CTL_EXIT:
		return true_ctls ? caps->true_exit_ctls : caps->exit_ctls;
	case VMX_CTL_ENTRY:
		return true_ctls ? caps->true_entry_ctls : caps->entry_ctls;
	case VMX_CTL_KIND_COUNT:
		break;
	}
	return 0;
}

u32 vmx_ctl_compute(u64 ctl_msr, u32 wanted, u32 *not_allowed)
{
	u32 may_be_1 = vmx_ctl_may_be_1(ctl_msr);

	if (not_allowed)
		*not_allowed = wanted & ~may_be_1;
	return (wanted | vmx_ctl_must_be_1(ctl_msr)) & may_be_1;
}

u32 vmx_caps_ctl_compute(const struct vmx_caps *caps, enum vmx_ctl_kind kind, u32 wanted,
                         u32 *not_allowed)
{
	return vmx_ctl_compute(vmx_caps_ctl_msr(caps, kind), wanted, not_allowed);
}

static bool may_set(const struct vmx_caps *caps, enum vmx_ctl_kind kind, u32 bits)
{
	return (vmx_ctl_may_be_1(vmx_caps_ctl_msr(caps, kind)) & bits) == bits;
}

/* EPT_VPID_CAP is reported only when EPT or VPID can be enabled (A.10). */
static bool ept_cap(const struct vmx_caps *caps, u64 bits)
{
	return may_set(caps, VMX_CTL_PROCBASED2, SEC_ENABLE_EPT) &&
	       (caps->ept_vpid_cap & bits) == bits;
}

static bool has_secondary(const struct vmx_caps *c)
{
	return may_set(c, VMX_CTL_PROCBASED, CPU_ACTIVATE_SECONDARY_CONTROLS);
}
static bool has_ept(const struct vmx_caps *c)
{
	return may_set(c, VMX_CTL_PROCBASED2, SEC_ENABLE_EPT);
}
static bool has_ept_walk_4(const struct vmx_caps *c)
{
	return ept_cap(c, VMX_EPT_WALK_4);
}
static bool has_ept_wb(const struct vmx_caps *c)
{
	return ept_cap(c, VMX_EPT_MT_WB);
}
static bool has_invept(const struct vmx_caps *c)
{
	return ept_cap(c, VMX_EPT_INVEPT);
}
static bool has_invept_single(const struct vmx_caps *c)
{
	return ept_cap(c, VMX_EPT_INVEPT | VMX_EPT_INVEPT_SINGLE_CONTEXT);
}
static bool has_invept_all(const struct vmx_caps *c)
{
	return ept_cap(c, VMX_EPT_INVEPT | VMX_EPT_INVEPT_ALL_CONTEXT);
}
static bool has_unrestricted(const struct vmx_caps *c)
{
	return may_set(c, VMX_CTL_PROCBASED2, SEC_UNRESTRICTED_GUEST);
}
static bool has_vpid(const struct vmx_caps *c)
{
	return may_set(c, VMX_CTL_PROCBASED2, SEC_ENABLE_VPID);
}
static bool has_invvpid(const struct vmx_caps *c)
{
	return has_vpid(c) && (c->ept_vpid_cap & VMX_VPID_INVVPID);
}
static bool has_ept_2mb(const struct vmx_caps *c)
{
	return ept_cap(c, VMX_EPT_2MB_PAGE);
}
static bool has_ept_1gb(const struct vmx_caps *c)
{
	return ept_cap(c, VMX_EPT_1GB_PAGE);
}
static bool has_ept_ad(const struct vmx_caps *c)
{
	return ept_cap(c, VMX_EPT_AD);
}
static bool has_preemption_timer(const struct vmx_caps *c)
{
	return may_set(c, VMX_CTL_PINBASED, PIN_ACTIVATE_PREEMPTION_TIMER);
}
static bool has_true_ctls(const struct vmx_caps *c)
{
	return (c->basic & VMX_BASIC_TRUE_CTLS) != 0;
}

/* The checklist: EPT and unrestricted guest are what segvisor is built on
 * (the guest is entered in 32-bit protected mode without paging); the rest
 * only change which fallback is used. */
static const struct {
	const char *name;
	bool required;
	bool (*present)(const struct vmx_caps *caps);
} features[VMX_FEAT_COUNT] = {
    [VMX_FEAT_SECONDARY_CONTROLS] = {"secondary controls", true, has_secondary},
    [VMX_FEAT_EPT] = {"EPT", true, has_ept},
    [VMX_FEAT_EPT_WALK_4] = {"EPT 4-level walk", true, has_ept_walk_4},
    [VMX_FEAT_EPT_WB] = {"EPT WB memory type", true, has_ept_wb},
    [VMX_FEAT_INVEPT] = {"INVEPT", true, has_invept},
    [VMX_FEAT_INVEPT_SINGLE_CONTEXT] = {"INVEPT single-context", true, has_invept_single},
    [VMX_FEAT_INVEPT_ALL_CONTEXT] = {"INVEPT all-context", true, has_invept_all},
    [VMX_FEAT_UNRESTRICTED_GUEST] = {"unrestricted guest", true, has_unrestricted},
    [VMX_FEAT_VPID] = {"VPID", false, has_vpid},
    [VMX_FEAT_INVVPID] = {"INVVPID", false, has_invvpid},
    [VMX_FEAT_EPT_2MB_PAGES] = {"EPT 2 MiB pages", false, has_ept_2mb},
    [VMX_FEAT_EPT_1GB_PAGES] = {"EPT 1 GiB pages", false, has_ept_1gb},
    [VMX_FEAT_EPT_AD] = {"EPT accessed/dirty flags", false, has_ept_ad},
    [VMX_FEAT_PREEMPTION_TIMER] = {"VMX-preemption timer", false, has_preemption_timer},
    [VMX_FEAT_TRUE_CONTROLS] = {"TRUE control MSRs", false, has_true_ctls},
};

bool vmx_caps_has(const struct vmx_caps *caps, enum vmx_feature feature)
{
	if ((unsigned)feature >= VMX_FEAT_COUNT)
		return false;
	return features[feature].present(caps);
}

unsigned vmx_caps_checklist(const struct vmx_caps *caps,
                            struct vmx_feature_check list[VMX_FEAT_COUNT])
{
	unsigned missing = 0;

	for (size_t i = 0; i < VMX_FEAT_COUNT; i++) {
		list[i].name = features[i].name;
		list[i].required = features[i].required;
		list[i].present = features[i].present(caps);
		if (list[i].required && !list[i].present)
			missing++;
	}
	return missing;
}

void vmx_caps_print_checklist(const struct vmx_feature_check *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		con_printf("vmx: %s: %s%s\n", list[i].name, list[i].present ? "yes" : "no",
		           list[i].required ? " (required)" : "");
	for (size_t i = 0; i < n; i++)
		if (list[i].required && !list[i].present)
			con_printf("vmx: missing required feature: %s\n", list[i].name);
}
