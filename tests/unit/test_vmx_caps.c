/* arch/x86/vmx_caps: control computation from capability MSRs and the
 * feature checklist, against Bochs 2.7 corei7_skylake_x values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "arch/x86/ept.h"
#include "arch/x86/msr.h"
#include "arch/x86/vmx_caps.h"
#include "arch/x86/vmx_defs.h"
#include "lib/console.h"

/* Measured under Bochs skylake_x (EMULATORS.md). */
#define SKX_TRUE_PINBASED  0x0000007f00000016ULL
#define SKX_TRUE_PROCBASED 0xf7f9fffe04006172ULL
#define SKX_CR0_FIXED0     0x80000021ULL
#define SKX_CR4_FIXED0     0x2000ULL
/* The original (non-TRUE) primary controls add CR3-load/store exiting
 * (bits 15, 16) to the must-be-1 set; the value is illustrative. */
#define SKX_PROCBASED 0xf7f9fffe0401e172ULL

static struct vmx_caps skylake_caps(void)
{
	struct vmx_caps c = {
	    .basic = VMX_BASIC_TRUE_CTLS | VMX_BASIC_INS_OUTS_INFO |
	             ((u64)EPT_MT_WB << VMX_BASIC_MEMTYPE_SHIFT) |
	             (0x1000ULL << VMX_BASIC_REGION_SIZE_SHIFT) | 0x2b,
	    .pinbased_ctls = SKX_TRUE_PINBASED,
	    .procbased_ctls = SKX_PROCBASED,
	    .true_pinbased_ctls = SKX_TRUE_PINBASED,
	    .true_procbased_ctls = SKX_TRUE_PROCBASED,
	    .procbased_ctls2 = 0x000000ff00000000ULL,
	    .cr0_fixed0 = SKX_CR0_FIXED0,
	    .cr0_fixed1 = 0xffffffffULL,
	    .cr4_fixed0 = SKX_CR4_FIXED0,
	    .cr4_fixed1 = 0x003727ffULL,
	    .ept_vpid_cap = VMX_EPT_EXECUTE_ONLY | VMX_EPT_WALK_4 | VMX_EPT_MT_UC | VMX_EPT_MT_WB |
	                    VMX_EPT_2MB_PAGE | VMX_EPT_1GB_PAGE | VMX_EPT_INVEPT | VMX_EPT_AD |
	                    VMX_EPT_INVEPT_SINGLE_CONTEXT | VMX_EPT_INVEPT_ALL_CONTEXT |
	                    VMX_VPID_INVVPID | VMX_VPID_INVVPID_SINGLE_CONTEXT |
	                    VMX_VPID_INVVPID_ALL_CONTEXT,
	    .maxphyaddr = 40,
	};
	return c;
}

static void test_basic_fields(void **state)
{
	(void)state;
	struct vmx_caps c = skylake_caps();
	assert_int_equal(vmx_basic_revision(c.basic), 0x2b);
	assert_int_equal(vmx_basic_region_size(c.basic), 0x1000);
	assert_int_equal(vmx_basic_memtype(c.basic), 6);
}

static void test_pinbased_from_true_msr(void **state)
{
	(void)state;
	struct vmx_caps c = skylake_caps();
	u32 denied = 0xdead;
	u32 v = vmx_caps_ctl_compute(&c, VMX_CTL_PINBASED,
	                             PIN_EXTERNAL_INTERRUPT_EXITING | PIN_NMI_EXITING, &denied);
	/* Must-be-1 bits 1, 2, 4 are added. */
	assert_int_equal(v, 0x1f);
	assert_int_equal(denied, 0);

	v = vmx_caps_ctl_compute(&c, VMX_CTL_PINBASED, PIN_PROCESS_POSTED_INTERRUPTS, &denied);
	assert_int_equal(v, 0x16);
	assert_int_equal(denied, PIN_PROCESS_POSTED_INTERRUPTS);
}

static void test_procbased_true_vs_original(void **state)
{
	(void)state;
	struct vmx_caps c = skylake_caps();
	const u32 want = CPU_HLT_EXITING | CPU_USE_IO_BITMAPS | CPU_USE_MSR_BITMAPS |
	                 CPU_ACTIVATE_SECONDARY_CONTROLS;
	u32 denied = 0xdead;

	assert_int_equal(vmx_caps_ctl_msr(&c, VMX_CTL_PROCBASED), SKX_TRUE_PROCBASED);
	assert_int_equal(vmx_caps_ctl_compute(&c, VMX_CTL_PROCBASED, want, &denied), 0x960061f2);
	assert_int_equal(denied, 0);

	/* Bochs skylake_x does not offer the monitor trap flag (bit 27). */
	assert_int_equal(
	    vmx_caps_ctl_compute(&c, VMX_CTL_PROCBASED, want | CPU_MONITOR_TRAP_FLAG, &denied),
	    0x960061f2);
	assert_int_equal(denied, CPU_MONITOR_TRAP_FLAG);

	/* Without IA32_VMX_BASIC bit 55 the original MSR rules: CR3 exiting is forced on. */
	c.basic &= ~VMX_BASIC_TRUE_CTLS;
	assert_int_equal(vmx_caps_ctl_msr(&c, VMX_CTL_PROCBASED), SKX_PROCBASED);
	assert_int_equal(vmx_caps_ctl_compute(&c, VMX_CTL_PROCBASED, want, &denied),
	                 0x960061f2 | CPU_CR3_LOAD_EXITING | CPU_CR3_STORE_EXITING);
	assert_int_equal(denied, 0);
}

static void test_secondary_needs_primary_bit(void **state)
{
	(void)state;
	struct vmx_caps c = skylake_caps();
	u32 denied;

	assert_int_equal(
	    vmx_caps_ctl_compute(&c, VMX_CTL_PROCBASED2,
	                         SEC_ENABLE_EPT | SEC_UNRESTRICTED_GUEST | SEC_ENABLE_PML, &denied),
	    SEC_ENABLE_EPT | SEC_UNRESTRICTED_GUEST);
	assert_int_equal(denied, SEC_ENABLE_PML);

	/* No "activate secondary controls" allowed-1: the secondary MSR is void. */
	c.true_procbased_ctls &= ~((u64)CPU_ACTIVATE_SECONDARY_CONTROLS << 32);
	assert_int_equal(vmx_caps_ctl_msr(&c, VMX_CTL_PROCBASED2), 0);
	assert_int_equal(vmx_caps_ctl_compute(&c, VMX_CTL_PROCBASED2, SEC_ENABLE_EPT, &denied), 0);
	assert_int_equal(denied, SEC_ENABLE_EPT);
}

static void test_ctl_compute_null_out(void **state)
{
	(void)state;
	assert_int_equal(vmx_ctl_compute(0x000000ff00000001ULL, 0x102, NULL), 0x3);
	assert_int_equal(vmx_ctl_must_be_1(SKX_TRUE_PINBASED), 0x16);
	assert_int_equal(vmx_ctl_may_be_1(SKX_TRUE_PINBASED), 0x7f);
}

static void test_checklist_skylake(void **state)
{
	(void)state;
	struct vmx_caps c = skylake_caps();
	struct vmx_feature_check list[VMX_FEAT_COUNT];

	assert_int_equal(vmx_caps_checklist(&c, list), 0);
	for (size_t i = 0; i < VMX_FEAT_COUNT; i++)
		assert_true(list[i].present);
	assert_string_equal(list[VMX_FEAT_EPT_1GB_PAGES].name, "EPT 1 GiB pages");
	assert_false(list[VMX_FEAT_EPT_1GB_PAGES].required);
	assert_true(list[VMX_FEAT_EPT].required);
	assert_true(list[VMX_FEAT_UNRESTRICTED_GUEST].required);
	assert_false(list[VMX_FEAT_VPID].required);
}

/* Sandy Bridge-like: no 1 GiB EPT pages, no EPT A/D. Usable, with fallbacks. */
static void test_checklist_without_1gb(void **state)
{
	(void)state;
	struct vmx_caps c = skylake_caps();
	struct vmx_feature_check list[VMX_FEAT_COUNT];

	c.ept_vpid_cap &= ~(VMX_EPT_1GB_PAGE | VMX_EPT_AD);
	assert_int_equal(vmx_caps_checklist(&c, list), 0);
	assert_false(list[VMX_FEAT_EPT_1GB_PAGES].present);
	assert_false(list[VMX_FEAT_EPT_AD].present);
	assert_true(list[VMX_FEAT_EPT_2MB_PAGES].present);
	assert_false(vmx_caps_has(&c, VMX_FEAT_EPT_1GB_PAGES));
	assert_true(vmx_caps_has(&c, VMX_FEAT_EPT));
}

static char out[4096];
static size_t out_len;
static void capture(const char *s, size_t n)
{
	assert_true(out_len + n < sizeof(out));
	memcpy(out + out_len, s, n);
	out_len += n;
	out[out_len] = '\0';
}

static void test_print_missing_required(void **state)
{
	(void)state;
	struct vmx_caps c = skylake_caps();
	struct vmx_feature_check list[VMX_FEAT_COUNT];

	/* No EPT at all: EPT and the five EPT capabilities that depend on it go. */
	c.procbased_ctls2 &= ~((u64)SEC_ENABLE_EPT << 32);
	c.ept_vpid_cap &= ~VMX_EPT_1GB_PAGE;
	assert_int_equal(vmx_caps_checklist(&c, list), 6);
	assert_true(list[VMX_FEAT_VPID].present);
	assert_true(list[VMX_FEAT_INVVPID].present);

	out_len = 0;
	out[0] = '\0';
	con_init(capture);
	vmx_caps_print_checklist(list, VMX_FEAT_COUNT);
	con_init(NULL);
	assert_string_equal(out, "vmx: secondary controls: yes (required)\n"
	                         "vmx: EPT: no (required)\n"
	                         "vmx: EPT 4-level walk: no (required)\n"
	                         "vmx: EPT WB memory type: no (required)\n"
	                         "vmx: INVEPT: no (required)\n"
	                         "vmx: INVEPT single-context: no (required)\n"
	                         "vmx: INVEPT all-context: no (required)\n"
	                         "vmx: unrestricted guest: yes (required)\n"
	                         "vmx: VPID: yes\n"
	                         "vmx: INVVPID: yes\n"
	                         "vmx: EPT 2 MiB pages: no\n"
	                         "vmx: EPT 1 GiB pages: no\n"
	                         "vmx: EPT accessed/dirty flags: no\n"
	                         "vmx: VMX-preemption timer: yes\n"
	                         "vmx: TRUE control MSRs: yes\n"
	                         "vmx: missing required feature: EPT\n"
	                         "vmx: missing required feature: EPT 4-level walk\n"
	                         "vmx: missing required feature: EPT WB memory type\n"
	                         "vmx: missing required feature: INVEPT\n"
	                         "vmx: missing required feature: INVEPT single-context\n"
	                         "vmx: missing required feature: INVEPT all-context\n");
}

static void test_ctl_kind_names(void **state)
{
	(void)state;
	assert_string_equal(vmx_ctl_kind_name(VMX_CTL_EXIT), "VM-exit controls");
	assert_string_equal(vmx_ctl_kind_name(VMX_CTL_KIND_COUNT), "unknown controls");
	assert_false(vmx_caps_has(&(struct vmx_caps){0}, VMX_FEAT_COUNT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_basic_fields),
	    cmocka_unit_test(test_pinbased_from_true_msr),
	    cmocka_unit_test(test_procbased_true_vs_original),
	    cmocka_unit_test(test_secondary_needs_primary_bit),
	    cmocka_unit_test(test_ctl_compute_null_out),
	    cmocka_unit_test(test_checklist_skylake),
	    cmocka_unit_test(test_checklist_without_1gb),
	    cmocka_unit_test(test_print_missing_required),
	    cmocka_unit_test(test_ctl_kind_names),
	};
	return cmocka_run_group_tests_name("vmx_caps", tests, NULL, NULL);
}
