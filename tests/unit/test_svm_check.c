/* arch/x86/svm: the pure logic of the AMD SVM backend. A known-good VMCB
 * (a Multiboot kernel entered in 32-bit protected mode, paging off, under
 * nested paging) passes the software VMRUN check; breaking one rule of APM
 * 15.5.1 at a time yields exactly that rule's code and detail. Exit codes
 * map to the compact raw index and the APM's names; the capability
 * checklist counts missing required features. Functions that touch the
 * CPU (svm_probe, svm_enable, the vcpu_ops) are not exercised here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "arch/x86/svm.h"
#include "arch/x86/vmx_defs.h"
#include "hv/vm/vm.h"
#include "lib/console.h"
#include "lib/report.h"

/* A Zen-like CPU (CPUID Fn8000_000A: NASID 32768; Fn8000_0008: 48 bits). */
#define ZEN_NASID      0x8000
#define ZEN_MAXPHYADDR 48
#define ZEN_SVM_REV    1

static struct svm_caps zen_caps(void)
{
	return (struct svm_caps){
	    .svm = true,
	    .vm_cr = 0,
	    .revision = ZEN_SVM_REV,
	    .nasid = ZEN_NASID,
	    .features = CPUID_8000000A_EDX_NP | CPUID_8000000A_EDX_LBRV | CPUID_8000000A_EDX_SVML |
	                CPUID_8000000A_EDX_NRIPS | CPUID_8000000A_EDX_TSC_RATE |
	                CPUID_8000000A_EDX_VMCB_CLEAN | CPUID_8000000A_EDX_FLUSH_BY_ASID |
	                CPUID_8000000A_EDX_DECODE_ASSISTS | CPUID_8000000A_EDX_PAUSE_FILTER,
	    .page1gb = true,
	    .long_mode = true,
	    .maxphyaddr = ZEN_MAXPHYADDR,
	};
}

/* Where a hypervisor image might keep its permission maps and nested root. */
#define IOPM_PA     0x200000ULL
#define MSRPM_PA    0x204000ULL
#define N_CR3       0x400000ULL
#define GUEST_ASID  1
#define GUEST_CS    0x08
#define GUEST_DS    0x10
#define GUEST_ENTRY 0x100000ULL /* where a Multiboot kernel starts */
#define GUEST_CR3   0x300000ULL
#define FLAT_LIMIT  0xffffffffu
#define ATTR_CODE32 (SEG_TYPE_CODE_XR_ACCESSED | SVM_ATTR_S | SVM_ATTR_P | SVM_ATTR_DB | SVM_ATTR_G)
#define ATTR_DATA32 (SEG_TYPE_DATA_RW_ACCESSED | SVM_ATTR_S | SVM_ATTR_P | SVM_ATTR_DB | SVM_ATTR_G)
#define GOOD_CR0    (CR0_PE | CR0_ET)
#define GOOD_MISC2                                                                                 \
	(SVM_INTERCEPT_VMRUN | SVM_INTERCEPT_VMMCALL | SVM_INTERCEPT_VMLOAD |                      \
	 SVM_INTERCEPT_VMSAVE | SVM_INTERCEPT_STGI | SVM_INTERCEPT_CLGI | SVM_INTERCEPT_SKINIT |   \
	 SVM_INTERCEPT_WBINVD | SVM_INTERCEPT_XSETBV)
#define EVTINJ(type, vector) (SVM_EVTINJ_V | SVM_EVTINJ_TYPE(type) | (u64)(vector))
#define TOP_PAGE             0xfffffffffffff000ULL

/* The VMCB as svm.c's create path builds it (vmcb_build is static there;
 * svm_selftest_vmcb_checks below runs the checker over the real one). */
static void good_vmcb(struct vmcb *v)
{
	const struct vmcb_seg data = {GUEST_DS, ATTR_DATA32, FLAT_LIMIT, 0};

	memset(v, 0, sizeof(*v));
	/* Table B-1: intercepts, permission maps, ASID, nested paging. */
	v->control.intercept_misc1 = SVM_INTERCEPT_CPUID | SVM_INTERCEPT_HLT | SVM_INTERCEPT_INVD |
	                             SVM_INTERCEPT_INVLPGA | SVM_INTERCEPT_IOIO_PROT |
	                             SVM_INTERCEPT_MSR_PROT | SVM_INTERCEPT_SHUTDOWN;
	v->control.intercept_misc2 = GOOD_MISC2;
	v->control.iopm_base_pa = IOPM_PA;
	v->control.msrpm_base_pa = MSRPM_PA;
	v->control.guest_asid = GUEST_ASID;
	v->control.tlb_control = TLB_CONTROL_FLUSH_ALL;
	v->control.vintr = V_INTR_MASKING;
	v->control.np_control = SVM_NP_ENABLE;
	v->control.n_cr3 = N_CR3;
	/* Table B-2: Multiboot spec 3.2 machine state. */
	v->save.cs = (struct vmcb_seg){GUEST_CS, ATTR_CODE32, FLAT_LIMIT, 0};
	v->save.ss = v->save.ds = v->save.es = v->save.fs = v->save.gs = data;
	v->save.gdtr.limit = 0xffff;
	v->save.idtr.limit = 0xffff;
	v->save.tr = (struct vmcb_seg){.attrib = SEG_TYPE_TSS_BUSY | SVM_ATTR_P, .limit = 0xff};
	v->save.efer = EFER_SVME;
	v->save.cr0 = GOOD_CR0;
	v->save.dr6 = DR6_INIT;
	v->save.dr7 = DR7_INIT_SVM;
	v->save.rflags = RFLAGS_FIXED1;
	v->save.rip = GUEST_ENTRY;
	v->save.g_pat = PAT_POWER_ON_VALUE;
}

/* Turns the good guest into a 64-bit one: long mode active, CS.L. */
static void make_long_mode(struct vmcb *v)
{
	v->save.efer |= EFER_LME | EFER_LMA;
	v->save.cr0 |= CR0_PG;
	v->save.cr4 |= CR4_PAE;
	v->save.cr3 = GUEST_CR3;
	v->save.cs.attrib = (u16)((v->save.cs.attrib & ~SVM_ATTR_DB) | SVM_ATTR_L);
}

/* X(name, expected rule, detail value, detail bad_bits, statements on v
 * (the VMCB) and c (the caps)). SVM_CHECK_OK rows are variations that must
 * still pass; their detail must come back zeroed. */
#define RULE_CASES(X)                                                                              \
	X(efer_svme_clear, SVM_CHECK_EFER_SVME, 0, EFER_SVME, v->save.efer &= ~EFER_SVME)          \
	X(cr0_nw_without_cd, SVM_CHECK_CR0_CD_NW, GOOD_CR0 | CR0_NW, CR0_NW,                       \
	  v->save.cr0 |= CR0_NW)                                                                   \
	X(cr0_cd_and_nw, SVM_CHECK_OK, 0, 0, v->save.cr0 |= CR0_CD | CR0_NW)                       \
	X(cr0_cd_alone, SVM_CHECK_OK, 0, 0, v->save.cr0 |= CR0_CD)                                 \
	X(cr0_bit_32, SVM_CHECK_CR0_HIGH, GOOD_CR0 | BIT(32), BIT(32), v->save.cr0 |= BIT(32))     \
	X(cr0_bit_63, SVM_CHECK_CR0_HIGH, GOOD_CR0 | BIT(63), BIT(63), v->save.cr0 |= BIT(63))     \
	X(cr3_32bit_top_page, SVM_CHECK_OK, 0, 0, v->save.cr3 = 0xfffff000)                        \
	X(cr3_32bit_above_4g, SVM_CHECK_CR3_MBZ, BIT(32) | GUEST_CR3, BIT(32),                     \
	  v->save.cr3 = BIT(32) | GUEST_CR3)                                                       \
	X(cr3_lme_without_paging_above_4g, SVM_CHECK_CR3_MBZ, BIT(33), BIT(33),                    \
	  v->save.efer |= EFER_LME;                                                                \
	  v->save.cr3 = BIT(33))                                                                   \
	X(cr3_long_mode_above_4g, SVM_CHECK_OK, 0, 0, make_long_mode(v); v->save.cr3 = BIT(47))    \
	X(cr3_long_mode_beyond_width, SVM_CHECK_CR3_MBZ, BIT(48) | GUEST_CR3, BIT(48),             \
	  make_long_mode(v);                                                                       \
	  v->save.cr3 |= BIT(48))                                                                  \
	X(cr3_long_mode_bit_63, SVM_CHECK_CR3_MBZ, BIT(63) | GUEST_CR3, BIT(63),                   \
	  make_long_mode(v);                                                                       \
	  v->save.cr3 |= BIT(63))                                                                  \
	X(cr3_long_mode_default_width, SVM_CHECK_CR3_MBZ, BIT(52) | BIT(50) | GUEST_CR3, BIT(52),  \
	  make_long_mode(v);                                                                       \
	  v->save.cr3 |= BIT(52) | BIT(50); c->maxphyaddr = 0)                                     \
	X(cr4_vmxe, SVM_CHECK_CR4_MBZ, CR4_VMXE, CR4_VMXE, v->save.cr4 |= CR4_VMXE)                \
	X(cr4_smxe, SVM_CHECK_CR4_MBZ, CR4_PSE | CR4_SMXE, CR4_SMXE,                               \
	  v->save.cr4 |= CR4_PSE | CR4_SMXE)                                                       \
	X(cr4_reserved_bit_15, SVM_CHECK_CR4_MBZ, BIT(15), BIT(15), v->save.cr4 |= BIT(15))        \
	X(cr4_bit_32, SVM_CHECK_CR4_MBZ, BIT(32), BIT(32), v->save.cr4 |= BIT(32))                 \
	X(cr4_amd_features, SVM_CHECK_OK, 0, 0,                                                    \
	  v->save.cr4 |= CR4_PSE | CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE |           \
	                 CR4_SMEP | CR4_SMAP | CR4_FSGSBASE)                                       \
	X(dr6_bit_32, SVM_CHECK_DR6_HIGH, DR6_INIT | BIT(32), BIT(32), v->save.dr6 |= BIT(32))     \
	X(dr7_bit_63, SVM_CHECK_DR7_HIGH, DR7_INIT_SVM | BIT(63), BIT(63), v->save.dr7 |= BIT(63)) \
	X(efer_reserved_bit_9, SVM_CHECK_EFER_MBZ, EFER_SVME | BIT(9), BIT(9),                     \
	  v->save.efer |= BIT(9))                                                                  \
	X(efer_bit_63, SVM_CHECK_EFER_MBZ, EFER_SVME | BIT(63), BIT(63), v->save.efer |= BIT(63))  \
	X(efer_amd_bits, SVM_CHECK_OK, 0, 0,                                                       \
	  v->save.efer |= EFER_SCE | EFER_NXE | EFER_LMSLE | EFER_FFXSR | EFER_TCE)                \
	X(efer_lme_without_paging, SVM_CHECK_OK, 0, 0, v->save.efer |= EFER_LME)                   \
	X(efer_lme_without_long_mode, SVM_CHECK_EFER_LONG_MODE, EFER_SVME | EFER_LME, EFER_LME,    \
	  v->save.efer |= EFER_LME;                                                                \
	  c->long_mode = false)                                                                    \
	X(efer_lma_without_long_mode, SVM_CHECK_EFER_LONG_MODE, EFER_SVME | EFER_LMA, EFER_LMA,    \
	  v->save.efer |= EFER_LMA;                                                                \
	  c->long_mode = false)                                                                    \
	X(long_mode, SVM_CHECK_OK, 0, 0, make_long_mode(v))                                        \
	X(long_mode_without_pae, SVM_CHECK_LONG_MODE_NO_PAE, 0, CR4_PAE, make_long_mode(v);        \
	  v->save.cr4 &= ~CR4_PAE)                                                                 \
	X(long_mode_without_pe, SVM_CHECK_LONG_MODE_NO_PE, CR0_PG | CR0_ET, CR0_PE,                \
	  make_long_mode(v);                                                                       \
	  v->save.cr0 &= ~CR0_PE)                                                                  \
	X(cs_l_and_d_long_mode, SVM_CHECK_CS_L_AND_D, ATTR_CODE32 | SVM_ATTR_L,                    \
	  SVM_ATTR_L | SVM_ATTR_DB, make_long_mode(v);                                             \
	  v->save.cs.attrib |= SVM_ATTR_DB)                                                        \
	X(cs_l_and_d_32bit, SVM_CHECK_OK, 0, 0, v->save.cs.attrib |= SVM_ATTR_L)                   \
	X(no_vmrun_intercept, SVM_CHECK_VMRUN_INTERCEPT, GOOD_MISC2 & ~SVM_INTERCEPT_VMRUN,        \
	  SVM_INTERCEPT_VMRUN, v->control.intercept_misc2 &= ~(u32)SVM_INTERCEPT_VMRUN)            \
	X(asid_zero, SVM_CHECK_ASID_ZERO, 0, 0, v->control.guest_asid = 0)                         \
	X(asid_last, SVM_CHECK_OK, 0, 0, v->control.guest_asid = ZEN_NASID - 1)                    \
	X(eventinj_invalid_ignored, SVM_CHECK_OK, 0, 0,                                            \
	  v->control.eventinj = SVM_EVTINJ_RESERVED | SVM_EVTINJ_TYPE(7) | 0xff)                   \
	X(eventinj_gp_with_error, SVM_CHECK_OK, 0, 0,                                              \
	  v->control.eventinj = EVTINJ(SVM_EVTINJ_TYPE_EXCEPTION, VEC_GP) | SVM_EVTINJ_EV |        \
	                        (0x18ULL << SVM_EVTINJ_ERROR_SHIFT))                               \
	X(eventinj_bp_exception, SVM_CHECK_OK, 0, 0,                                               \
	  v->control.eventinj = EVTINJ(SVM_EVTINJ_TYPE_EXCEPTION, VEC_BP))                         \
	X(eventinj_nmi, SVM_CHECK_OK, 0, 0, v->control.eventinj = EVTINJ(SVM_EVTINJ_TYPE_NMI, 2))  \
	X(eventinj_intr_32, SVM_CHECK_OK, 0, 0,                                                    \
	  v->control.eventinj = EVTINJ(SVM_EVTINJ_TYPE_INTR, 32))                                  \
	X(eventinj_soft_int_80, SVM_CHECK_OK, 0, 0,                                                \
	  v->control.eventinj = EVTINJ(SVM_EVTINJ_TYPE_SOFT_INT, 0x80))                            \
	X(eventinj_nmi_as_exception, SVM_CHECK_EVENTINJ,                                           \
	  EVTINJ(SVM_EVTINJ_TYPE_EXCEPTION, VEC_NMI), 0,                                           \
	  v->control.eventinj = EVTINJ(SVM_EVTINJ_TYPE_EXCEPTION, VEC_NMI))                        \
	X(eventinj_exception_vector_32, SVM_CHECK_EVENTINJ, EVTINJ(SVM_EVTINJ_TYPE_EXCEPTION, 32), \
	  0, v->control.eventinj = EVTINJ(SVM_EVTINJ_TYPE_EXCEPTION, 32))                          \
	X(eventinj_type_1, SVM_CHECK_EVENTINJ, EVTINJ(1, 32), 0,                                   \
	  v->control.eventinj = EVTINJ(1, 32))                                                     \
	X(eventinj_type_5, SVM_CHECK_EVENTINJ, EVTINJ(5, 32), 0,                                   \
	  v->control.eventinj = EVTINJ(5, 32))                                                     \
	X(eventinj_type_7, SVM_CHECK_EVENTINJ, EVTINJ(7, 32), 0,                                   \
	  v->control.eventinj = EVTINJ(7, 32))                                                     \
	X(eventinj_reserved_bit_12, SVM_CHECK_EVENTINJ,                                            \
	  EVTINJ(SVM_EVTINJ_TYPE_INTR, 32) | BIT(12), 0,                                           \
	  v->control.eventinj = EVTINJ(SVM_EVTINJ_TYPE_INTR, 32) | BIT(12))                        \
	X(iopm_ends_at_width, SVM_CHECK_OK, 0, 0,                                                  \
	  v->control.iopm_base_pa = BIT(48) - SVM_IOPM_BYTES)                                      \
	X(iopm_crosses_width, SVM_CHECK_IOPM_ADDR, BIT(48) - 2 * PAGE_SIZE_4K, 0,                  \
	  v->control.iopm_base_pa = BIT(48) - 2 * PAGE_SIZE_4K)                                    \
	X(iopm_beyond_default_width, SVM_CHECK_IOPM_ADDR, BIT(52), 0,                              \
	  v->control.iopm_base_pa = BIT(52);                                                       \
	  c->maxphyaddr = 0)                                                                       \
	X(iopm_within_default_width, SVM_CHECK_OK, 0, 0, v->control.iopm_base_pa = BIT(48);        \
	  c->maxphyaddr = 0)                                                                       \
	X(msrpm_ends_at_width, SVM_CHECK_OK, 0, 0,                                                 \
	  v->control.msrpm_base_pa = BIT(48) - SVM_MSRPM_BYTES)                                    \
	X(msrpm_crosses_width, SVM_CHECK_MSRPM_ADDR, BIT(48) - PAGE_SIZE_4K, 0,                    \
	  v->control.msrpm_base_pa = BIT(48) - PAGE_SIZE_4K)                                       \
	X(np_without_cpu_support, SVM_CHECK_NP_UNSUPPORTED, SVM_NP_ENABLE, SVM_NP_ENABLE,          \
	  c->features &= ~CPUID_8000000A_EDX_NP)                                                   \
	X(np_off_without_cpu_support, SVM_CHECK_OK, 0, 0, v->control.np_control = 0;               \
	  c->features &= ~CPUID_8000000A_EDX_NP)

#define RULE_CASE_FN(nm, rule, val, bits, ...)                                                     \
	static void mut_##nm(struct vmcb *v, struct svm_caps *c)                                   \
	{                                                                                          \
		(void)v, (void)c;                                                                  \
		__VA_ARGS__;                                                                       \
	}
RULE_CASES(RULE_CASE_FN)
#undef RULE_CASE_FN

typedef void (*mutate_fn)(struct vmcb *v, struct svm_caps *c);
struct rule_case {
	const char *name;
	mutate_fn mutate;
	enum svm_check_rule want;
	struct svm_check_detail detail;
};
#define RULE_CASE_ROW(nm, rule, val, bits, ...) {#nm, mut_##nm, rule, {val, bits}},
static const struct rule_case cases[] = {RULE_CASES(RULE_CASE_ROW)};
#undef RULE_CASE_ROW

static struct vmcb vmcb; /* 4 KiB: not on the stack */

static enum svm_check_rule run(mutate_fn mutate, struct svm_check_detail *d)
{
	struct svm_caps caps = zen_caps();
	good_vmcb(&vmcb);
	if (mutate)
		mutate(&vmcb, &caps);
	return svm_check_vmcb(&vmcb, &caps, d);
}

static void test_good_vmcb_passes(void **state)
{
	(void)state;
	struct svm_check_detail d = {0x1234, 0x5678};

	assert_int_equal(run(NULL, &d), SVM_CHECK_OK);
	/* A pass leaves no stale detail behind. */
	assert_int_equal(d.value, 0);
	assert_int_equal(d.bad_bits, 0);
	assert_int_equal(run(NULL, NULL), SVM_CHECK_OK);
}

static void test_each_rule(void **state)
{
	(void)state;
	unsigned failures = 0;
	bool rule_seen[SVM_CHECK_RULE_COUNT] = {false};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct rule_case *rc = &cases[i];
		struct svm_check_detail d = {~0ULL, ~0ULL};
		enum svm_check_rule got = run(rc->mutate, &d);
		rule_seen[rc->want] = true;
		if (got != rc->want || d.value != rc->detail.value ||
		    d.bad_bits != rc->detail.bad_bits) {
			print_error("%s: got %s value 0x%llx bits 0x%llx, want %s value 0x%llx "
			            "bits 0x%llx\n",
			            rc->name, svm_check_rule_name(got), (unsigned long long)d.value,
			            (unsigned long long)d.bad_bits, svm_check_rule_name(rc->want),
			            (unsigned long long)rc->detail.value,
			            (unsigned long long)rc->detail.bad_bits);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
	/* Every rule of SVM_CHECK_RULES is broken by at least one case. */
	for (unsigned r = 0; r < SVM_CHECK_RULE_COUNT; r++) {
		if (!rule_seen[r])
			print_error("no case for %s\n", svm_check_rule_name(r));
		assert_true(rule_seen[r]);
	}
}

/* One rule each, all compatible with one another, in SVM_CHECK_RULES order. */
static void brk_efer_svme(struct vmcb *v, struct svm_caps *c)
{
	(void)c;
	v->save.efer &= ~EFER_SVME;
}
static void brk_cr0_nw(struct vmcb *v, struct svm_caps *c)
{
	(void)c;
	v->save.cr0 |= CR0_NW;
}
static void brk_cr0_high(struct vmcb *v, struct svm_caps *c)
{
	(void)c;
	v->save.cr0 |= BIT(40);
}
static void brk_cr3(struct vmcb *v, struct svm_caps *c)
{
	(void)c;
	v->save.cr3 = BIT(33);
}
static void brk_cr4(struct vmcb *v, struct svm_caps *c)
{
	(void)c;
	v->save.cr4 |= CR4_VMXE;
}
static void brk_dr6(struct vmcb *v, struct svm_caps *c)
{
	(void)c;
	v->save.dr6 |= BIT(40);
}
static void brk_dr7(struct vmcb *v, struct svm_caps *c)
{
	(void)c;
	v->save.dr7 |= BIT(40);
}
static void brk_efer_mbz(struct vmcb *v, struct svm_caps *c)
{
	(void)c;
	v->save.efer |= BIT(9);
}
static void brk_efer_long_mode(struct vmcb *v, struct svm_caps *c)
{
	v->save.efer |= EFER_LME;
	c->long_mode = false;
}
static void brk_vmrun(struct vmcb *v, struct svm_caps *c)
{
	(void)c;
	v->control.intercept_misc2 = 0;
}
static void brk_asid(struct vmcb *v, struct svm_caps *c)
{
	(void)c;
	v->control.guest_asid = 0;
}
static void brk_eventinj(struct vmcb *v, struct svm_caps *c)
{
	(void)c;
	v->control.eventinj = EVTINJ(SVM_EVTINJ_TYPE_EXCEPTION, VEC_NMI);
}
static void brk_iopm(struct vmcb *v, struct svm_caps *c)
{
	(void)c;
	v->control.iopm_base_pa = BIT(50);
}
static void brk_msrpm(struct vmcb *v, struct svm_caps *c)
{
	(void)c;
	v->control.msrpm_base_pa = BIT(50);
}
static void brk_np(struct vmcb *v, struct svm_caps *c)
{
	(void)v;
	c->features = 0;
}

/* With rules i..n broken together, rule i is the one reported. */
static void test_first_rule_in_apm_order(void **state)
{
	(void)state;
	static const struct {
		mutate_fn brk;
		enum svm_check_rule rule;
	} order[] = {
	    {brk_efer_svme, SVM_CHECK_EFER_SVME},
	    {brk_cr0_nw, SVM_CHECK_CR0_CD_NW},
	    {brk_cr0_high, SVM_CHECK_CR0_HIGH},
	    {brk_cr3, SVM_CHECK_CR3_MBZ},
	    {brk_cr4, SVM_CHECK_CR4_MBZ},
	    {brk_dr6, SVM_CHECK_DR6_HIGH},
	    {brk_dr7, SVM_CHECK_DR7_HIGH},
	    {brk_efer_mbz, SVM_CHECK_EFER_MBZ},
	    {brk_efer_long_mode, SVM_CHECK_EFER_LONG_MODE},
	    {brk_vmrun, SVM_CHECK_VMRUN_INTERCEPT},
	    {brk_asid, SVM_CHECK_ASID_ZERO},
	    {brk_eventinj, SVM_CHECK_EVENTINJ},
	    {brk_iopm, SVM_CHECK_IOPM_ADDR},
	    {brk_msrpm, SVM_CHECK_MSRPM_ADDR},
	    {brk_np, SVM_CHECK_NP_UNSUPPORTED},
	};
	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		struct svm_caps caps = zen_caps();
		good_vmcb(&vmcb);
		for (size_t j = i; j < ARRAY_SIZE(order); j++)
			order[j].brk(&vmcb, &caps);
		assert_string_equal(svm_check_rule_name(svm_check_vmcb(&vmcb, &caps, NULL)),
		                    svm_check_rule_name(order[i].rule));
	}
	/* The long-mode rules, each of which needs the one before it satisfied. */
	struct svm_caps caps = zen_caps();
	good_vmcb(&vmcb);
	make_long_mode(&vmcb);
	vmcb.save.cs.attrib |= SVM_ATTR_DB;
	vmcb.save.cr0 &= ~CR0_PE;
	vmcb.save.cr4 &= ~CR4_PAE;
	assert_int_equal(svm_check_vmcb(&vmcb, &caps, NULL), SVM_CHECK_LONG_MODE_NO_PAE);
	vmcb.save.cr4 |= CR4_PAE;
	assert_int_equal(svm_check_vmcb(&vmcb, &caps, NULL), SVM_CHECK_LONG_MODE_NO_PE);
	vmcb.save.cr0 |= CR0_PE;
	assert_int_equal(svm_check_vmcb(&vmcb, &caps, NULL), SVM_CHECK_CS_L_AND_D);
	vmcb.control.guest_asid = 0; /* later in the order: the CS rule still wins */
	assert_int_equal(svm_check_vmcb(&vmcb, &caps, NULL), SVM_CHECK_CS_L_AND_D);
}

/* 15.5.1: the tables must not extend to or past the physical-address
 * width. A base near 2^64 makes base + size wrap to a small address; the
 * table then still lies beyond the width. Fails against svm.c at the time
 * of writing: it adds the size without checking for the wrap. */
static void test_iopm_base_wrapping_past_2_64(void **state)
{
	(void)state;
	struct svm_caps caps = zen_caps();
	struct svm_check_detail d;

	good_vmcb(&vmcb);
	vmcb.control.iopm_base_pa = TOP_PAGE;
	assert_string_equal(svm_check_rule_name(svm_check_vmcb(&vmcb, &caps, &d)),
	                    svm_check_rule_name(SVM_CHECK_IOPM_ADDR));
	assert_int_equal(d.value, TOP_PAGE);
}

static void test_msrpm_base_wrapping_past_2_64(void **state)
{
	(void)state;
	struct svm_caps caps = zen_caps();
	struct svm_check_detail d;

	good_vmcb(&vmcb);
	vmcb.control.msrpm_base_pa = TOP_PAGE;
	assert_string_equal(svm_check_rule_name(svm_check_vmcb(&vmcb, &caps, &d)),
	                    svm_check_rule_name(SVM_CHECK_MSRPM_ADDR));
	assert_int_equal(d.value, TOP_PAGE);
}

/* Table B-1: bits 11:0 of IOPM_BASE_PA and MSRPM_BASE_PA are ignored, so
 * a map whose page-aligned base ends right below the width is legal
 * whatever those bits hold. Fails against svm.c at the time of writing: it
 * adds the size to the unmasked field. */
static void test_permission_map_base_low_bits_ignored(void **state)
{
	(void)state;
	struct svm_caps caps = zen_caps();
	struct svm_check_detail d;

	good_vmcb(&vmcb);
	vmcb.control.iopm_base_pa = BIT(48) - SVM_IOPM_BYTES + (PAGE_SIZE_4K - 1);
	assert_string_equal(svm_check_rule_name(svm_check_vmcb(&vmcb, &caps, &d)),
	                    svm_check_rule_name(SVM_CHECK_OK));
	good_vmcb(&vmcb);
	vmcb.control.msrpm_base_pa = BIT(48) - SVM_MSRPM_BYTES + (PAGE_SIZE_4K - 1);
	assert_string_equal(svm_check_rule_name(svm_check_vmcb(&vmcb, &caps, &d)),
	                    svm_check_rule_name(SVM_CHECK_OK));
}

static void test_rule_names_and_messages(void **state)
{
	(void)state;
	assert_string_equal(svm_check_rule_name(SVM_CHECK_OK), "SVM_CHECK_OK");
	assert_string_equal(svm_check_rule_message(SVM_CHECK_OK), "all checks passed");
	assert_string_equal(svm_check_rule_name(SVM_CHECK_CS_L_AND_D), "SVM_CHECK_CS_L_AND_D");
	assert_string_equal(svm_check_rule_message(SVM_CHECK_CS_L_AND_D),
	                    "15.5.1: EFER.LME, CR0.PG, CR4.PAE, CS.L and CS.D all set");
	assert_string_equal(svm_check_rule_name(SVM_CHECK_RULE_COUNT), "SVM_CHECK_UNKNOWN");
	assert_string_equal(svm_check_rule_message(SVM_CHECK_RULE_COUNT), "unknown rule");
	assert_string_equal(svm_check_rule_name((enum svm_check_rule) - 1), "SVM_CHECK_UNKNOWN");
	/* Every rule has its own name and cites its APM section. */
	for (unsigned r = SVM_CHECK_OK + 1; r < SVM_CHECK_RULE_COUNT; r++) {
		assert_int_equal(strncmp(svm_check_rule_name(r), "SVM_CHECK_", 10), 0);
		assert_int_equal(strncmp(svm_check_rule_message(r), "15.", 3), 0);
		assert_string_not_equal(svm_check_rule_name(r), svm_check_rule_name(r - 1));
	}
}

/* ---- Exit codes (Appendix C) ---- */

static void expect_exit(u64 exitcode, u32 raw, const char *name)
{
	u32 got = svm_raw_of_exitcode(exitcode);
	if (got != raw)
		print_error("EXITCODE 0x%llx: raw %u, want %u\n", (unsigned long long)exitcode, got,
		            raw);
	assert_int_equal(got, raw);
	assert_string_equal(svm_exit_name(got), name);
}

static void test_intercept_exit_codes(void **state)
{
	(void)state;
	static const struct {
		u32 code;
		const char *name;
	} named[] = {
	    {0x60, "intr"},
	    {0x61, "nmi"},
	    {0x62, "smi"},
	    {0x63, "init"},
	    {0x64, "vintr"},
	    {0x65, "cr0_sel_write"},
	    {0x66, "idtr_read"},
	    {0x67, "gdtr_read"},
	    {0x68, "ldtr_read"},
	    {0x69, "tr_read"},
	    {0x6a, "idtr_write"},
	    {0x6b, "gdtr_write"},
	    {0x6c, "ldtr_write"},
	    {0x6d, "tr_write"},
	    {0x6e, "rdtsc"},
	    {0x6f, "rdpmc"},
	    {0x70, "pushf"},
	    {0x71, "popf"},
	    {0x72, "cpuid"},
	    {0x73, "rsm"},
	    {0x74, "iret"},
	    {0x75, "swint"},
	    {0x76, "invd"},
	    {0x77, "pause"},
	    {0x78, "hlt"},
	    {0x79, "invlpg"},
	    {0x7a, "invlpga"},
	    {0x7b, "ioio"},
	    {0x7c, "msr"},
	    {0x7d, "task_switch"},
	    {0x7e, "ferr_freeze"},
	    {0x7f, "shutdown"},
	    {0x80, "vmrun"},
	    {0x81, "vmmcall"},
	    {0x82, "vmload"},
	    {0x83, "vmsave"},
	    {0x84, "stgi"},
	    {0x85, "clgi"},
	    {0x86, "skinit"},
	    {0x87, "rdtscp"},
	    {0x88, "icebp"},
	    {0x89, "wbinvd"},
	    {0x8a, "monitor"},
	    {0x8b, "mwait"},
	    {0x8c, "mwait_conditional"},
	    {0x8d, "xsetbv"},
	    {0x8e, "rdpru"},
	    {0x8f, "efer_write_trap"},
	    {0x90, "cr0_write_trap"},
	    {0x93, "cr3_write_trap"},
	    {0x94, "cr4_write_trap"},
	    {0x98, "cr8_write_trap"},
	    {0xa0, "invlpgb"},
	    {0xa1, "invlpgb_illegal"},
	    {0xa2, "invpcid"},
	    {0xa3, "mcommit"},
	    {0xa4, "tlbsync"},
	};
	/* CR1, CR2, CR5-CR7 and CR9-CR15 do not exist: no write trap for them. */
	static const u32 unnamed[] = {0x91, 0x92, 0x95, 0x96, 0x97, 0x99,
	                              0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f};

	assert_int_equal(SVM_RAW_INTERCEPT_LAST, 0xa4 - 0x60);
	for (size_t i = 0; i < ARRAY_SIZE(named); i++)
		expect_exit(named[i].code, named[i].code - SVM_EXIT_INTR, named[i].name);
	for (size_t i = 0; i < ARRAY_SIZE(unnamed); i++)
		expect_exit(unnamed[i], unnamed[i] - SVM_EXIT_INTR, "reserved");
	assert_int_equal(ARRAY_SIZE(named) + ARRAY_SIZE(unnamed), SVM_RAW_INTERCEPT_LAST + 1);
}

static void test_special_exit_codes(void **state)
{
	(void)state;
	expect_exit(SVM_EXIT_NPF, SVM_RAW_NPF, "npf");
	/* VMEXIT_INVALID as the APM writes it (64-bit -1) and as QEMU does. */
	expect_exit(SVM_EXIT_INVALID, SVM_RAW_INVALID, "invalid");
	expect_exit((u64)-1, SVM_RAW_INVALID, "invalid");
	expect_exit(0xffffffffULL, SVM_RAW_INVALID, "invalid");
	for (u32 vec = 0; vec < 32; vec++)
		expect_exit(SVM_EXIT_EXCP_BASE + vec, SVM_RAW_EXCEPTION, "excp");
	for (u32 cr = 0; cr < 16; cr++) {
		expect_exit(SVM_EXIT_CR0_READ + cr, SVM_RAW_CR_READ, "cr_read");
		expect_exit(SVM_EXIT_CR0_WRITE + cr, SVM_RAW_CR_WRITE, "cr_write");
		expect_exit(SVM_EXIT_DR0_READ + cr, SVM_RAW_DR, "dr_access");
		expect_exit(SVM_EXIT_DR0_WRITE + cr, SVM_RAW_DR, "dr_access");
	}
	/* Codes segvisor never asks for, and codes nobody defines. */
	expect_exit(SVM_EXIT_AVIC_INCOMPLETE_IPI, SVM_RAW_OTHER, "other");
	expect_exit(SVM_EXIT_AVIC_NOACCEL, SVM_RAW_OTHER, "other");
	expect_exit(SVM_EXIT_VMGEXIT, SVM_RAW_OTHER, "other");
	expect_exit(SVM_EXIT_BUSY, SVM_RAW_OTHER, "other");
	expect_exit(0xa5, SVM_RAW_OTHER, "other");
	expect_exit(0x3ff, SVM_RAW_OTHER, "other");
	expect_exit(0x12345678, SVM_RAW_OTHER, "other");
	/* Classified by the low 32 bits, as the header says. */
	expect_exit(BIT(32) | SVM_EXIT_HLT, SVM_EXIT_HLT - SVM_EXIT_INTR, "hlt");
	/* Names of raw indices nothing maps to. */
	assert_string_equal(svm_exit_name(SVM_RAW_COUNT), "reserved");
	assert_string_equal(svm_exit_name(0xffffffffu), "reserved");
}

/* Every EXITCODE lands below SVM_RAW_COUNT, which fits hv/vm/vm.h's counters. */
static void test_every_exit_code_in_range(void **state)
{
	(void)state;
	assert_true(SVM_RAW_COUNT <= VCPU_MAX_RAW_EXIT);
	for (u64 code = 0; code < 0x800; code++)
		assert_true(svm_raw_of_exitcode(code) < SVM_RAW_COUNT);
	for (u64 code = 0xfffffff0ULL; code <= 0xffffffffULL; code++)
		assert_true(svm_raw_of_exitcode(code) < SVM_RAW_COUNT);
	for (u32 raw = 0; raw < SVM_RAW_COUNT; raw++)
		assert_non_null(svm_exit_name(raw));
}

/* ---- Capabilities (15.4, CPUID Fn8000_000A) ---- */

static unsigned checklist(const struct svm_caps *caps, struct svm_feature_check *list)
{
	memset(list, 0, SVM_FEAT_COUNT * sizeof(*list));
	return svm_caps_checklist(caps, list);
}

static void test_checklist_full(void **state)
{
	(void)state;
	struct svm_caps caps = zen_caps();
	struct svm_feature_check list[SVM_FEAT_COUNT];

	assert_int_equal(checklist(&caps, list), 0);
	for (unsigned i = 0; i < SVM_FEAT_COUNT; i++) {
		assert_non_null(list[i].name);
		assert_true(list[i].present);
	}
	/* Required: SVM usable, nested paging, a guest ASID; the rest optional. */
	assert_true(list[SVM_FEAT_ENABLED].required);
	assert_true(list[SVM_FEAT_NP].required);
	assert_true(list[SVM_FEAT_ASIDS].required);
	assert_false(list[SVM_FEAT_NRIPS].required);
	assert_false(list[SVM_FEAT_FLUSH_BY_ASID].required);
	assert_false(list[SVM_FEAT_VMCB_CLEAN].required);
	assert_false(list[SVM_FEAT_DECODE_ASSISTS].required);
	assert_false(list[SVM_FEAT_NPT_1GB_PAGES].required);
	assert_string_equal(list[SVM_FEAT_NP].name, "nested paging");
	assert_string_equal(list[SVM_FEAT_NRIPS].name, "next RIP saved (NRIPS)");
	assert_int_equal(svm_max_npt_page(&caps), PAGE_SIZE_1G);
}

static void test_checklist_without_np_or_nrips(void **state)
{
	(void)state;
	struct svm_caps caps = zen_caps();
	struct svm_feature_check list[SVM_FEAT_COUNT];

	caps.features &= ~CPUID_8000000A_EDX_NP;
	assert_int_equal(checklist(&caps, list), 1);
	assert_false(list[SVM_FEAT_NP].present);
	assert_true(list[SVM_FEAT_NRIPS].present);
	assert_false(svm_caps_has(&caps, SVM_FEAT_NP));

	/* NRIPS is optional: missing it misses nothing required. */
	caps = zen_caps();
	caps.features &= ~CPUID_8000000A_EDX_NRIPS;
	assert_int_equal(checklist(&caps, list), 0);
	assert_false(list[SVM_FEAT_NRIPS].present);
	assert_true(list[SVM_FEAT_NP].present);

	caps.features &= ~CPUID_8000000A_EDX_NP;
	assert_int_equal(checklist(&caps, list), 1);
	assert_false(list[SVM_FEAT_NP].present);
	assert_false(list[SVM_FEAT_NRIPS].present);

	/* Every optional feature gone: still nothing required missing. */
	caps = zen_caps();
	caps.features = CPUID_8000000A_EDX_NP;
	caps.page1gb = false;
	assert_int_equal(checklist(&caps, list), 0);
	for (unsigned i = 0; i < SVM_FEAT_COUNT; i++)
		assert_int_equal(list[i].present, list[i].required);
	assert_int_equal(svm_max_npt_page(&caps), PAGE_SIZE_2M);
}

static void test_checklist_enabled_and_asids(void **state)
{
	(void)state;
	struct svm_caps caps = zen_caps();
	struct svm_feature_check list[SVM_FEAT_COUNT];

	/* 15.30.1: SVMDIS without LOCK can still be cleared by the hypervisor. */
	caps.vm_cr = VM_CR_SVMDIS;
	assert_int_equal(checklist(&caps, list), 0);
	assert_true(list[SVM_FEAT_ENABLED].present);
	caps.vm_cr = VM_CR_LOCK;
	assert_int_equal(checklist(&caps, list), 0);
	caps.vm_cr = VM_CR_SVMDIS | VM_CR_LOCK;
	assert_int_equal(checklist(&caps, list), 1);
	assert_false(list[SVM_FEAT_ENABLED].present);

	/* NASID counts ASID 0, the host's: the guest's ASID 1 needs two. */
	caps = zen_caps();
	caps.nasid = 1;
	assert_int_equal(checklist(&caps, list), 1);
	assert_false(list[SVM_FEAT_ASIDS].present);
	caps.nasid = 2;
	assert_int_equal(checklist(&caps, list), 0);

	/* A CPU without SVM as svm_probe leaves it: all three required missing. */
	caps = (struct svm_caps){.long_mode = true, .page1gb = true, .maxphyaddr = 48};
	assert_int_equal(checklist(&caps, list), 3);
	assert_false(list[SVM_FEAT_ENABLED].present);
	assert_false(list[SVM_FEAT_NP].present);
	assert_false(list[SVM_FEAT_ASIDS].present);
	assert_false(svm_caps_has(&caps, SVM_FEAT_COUNT));
}

static char console[4096];
static size_t console_len;

static void capture(const char *s, size_t n)
{
	assert_true(console_len + n < sizeof(console));
	memcpy(console + console_len, s, n);
	console_len += n;
	console[console_len] = '\0';
}

static int console_setup(void **state)
{
	(void)state;
	console_len = 0;
	console[0] = '\0';
	con_init(capture);
	return 0;
}

static int console_teardown(void **state)
{
	(void)state;
	con_init(NULL);
	return 0;
}

static void test_checklist_print(void **state)
{
	(void)state;
	struct svm_caps caps = zen_caps();
	struct svm_feature_check list[SVM_FEAT_COUNT];

	caps.features &= ~(CPUID_8000000A_EDX_NP | CPUID_8000000A_EDX_NRIPS);
	checklist(&caps, list);
	svm_caps_print_checklist(list, SVM_FEAT_COUNT);
	assert_string_equal(console,
	                    "svm: enabled (VM_CR.SVMDIS clear or unlocked): yes (required)\n"
	                    "svm: nested paging: no (required)\n"
	                    "svm: a guest ASID: yes (required)\n"
	                    "svm: next RIP saved (NRIPS): no\n"
	                    "svm: TLB flush by ASID: yes\n"
	                    "svm: VMCB clean bits: yes\n"
	                    "svm: decode assists: yes\n"
	                    "svm: 1 GiB nested pages: yes\n"
	                    "svm: missing required feature: nested paging\n");
}

static void test_strerror(void **state)
{
	(void)state;
	assert_string_equal(svm_strerror(SVM_OK), "ok");
	assert_string_equal(svm_strerror(SVM_ERR_NO_NPT),
	                    "AMD SVM without nested paging (CPUID 8000_000Ah:EDX.NP = 0)");
	assert_string_equal(svm_strerror((enum svm_status)99), "unknown SVM error");
	for (int s = SVM_ERR_NO_SVM; s <= SVM_ERR_MISSING_FEATURE; s++)
		assert_string_not_equal(svm_strerror(s), svm_strerror(s - 1));
}

/* ---- The boot self-test over the VMCB svm.c itself builds ---- */

static void test_selftest_real_vmcb(void **state)
{
	(void)state;
	struct svm_caps caps = zen_caps();
	struct report rep = {0};

	/* The real maps sit at this process's addresses, below 2^47. */
	svm_selftest_vmcb_checks(&rep, &caps);
	if (rep.failures)
		print_error("%s", console);
	assert_int_equal(rep.tests, 10);
	assert_int_equal(rep.failures, 0);
	assert_non_null(strstr(console, "PASS: svmcheck-good-state\n"));
	/* The Linux boot protocol's 64-bit start is a state VMRUN takes. */
	assert_non_null(strstr(console, "PASS: svmcheck-good-64bit-start\n"));
	assert_non_null(strstr(console, "PASS: svmcheck-eventinj-nmi-as-exception\n"));
	assert_null(strstr(console, "FAIL"));
}

static void test_selftest_real_vmcb_without_np(void **state)
{
	(void)state;
	struct svm_caps caps = zen_caps();
	struct report rep = {0};

	/* The builder enables nested paging: only the good states (32-bit and 64-bit) fail. */
	caps.features &= ~CPUID_8000000A_EDX_NP;
	svm_selftest_vmcb_checks(&rep, &caps);
	assert_int_equal(rep.tests, 10);
	assert_int_equal(rep.failures, 2);
	assert_non_null(strstr(console, "FAIL: svmcheck-good-64bit-start: 15.25.3: NP_ENABLE set "
	                                "on a CPU without nested paging\n"));
	assert_non_null(strstr(console, "FAIL: svmcheck-good-state: 15.25.3: NP_ENABLE set on a "
	                                "CPU without nested paging\n"));
}

static void test_selftest_real_vmcb_without_long_mode(void **state)
{
	(void)state;
	struct svm_caps caps = zen_caps();
	struct report rep = {0};

	caps.long_mode = false;
	svm_selftest_vmcb_checks(&rep, &caps);
	/* The 64-bit start needs long mode too. */
	assert_int_equal(rep.tests, 10);
	assert_int_equal(rep.failures, 2);
	assert_non_null(strstr(console, "FAIL: svmcheck-good-64bit-start: "));
	assert_non_null(strstr(console, "FAIL: svmcheck-cs-l-with-cs-d: got "
	                                "SVM_CHECK_EFER_LONG_MODE"));
}

static void test_entry_test_names(void **state)
{
	(void)state;
	char buf[256];
	char small[10];

	assert_true(svm_entry_test_known(""));
	assert_true(svm_entry_test_known("cr4-vmxe"));
	assert_true(svm_entry_test_known("eventinj-nmi-as-exception"));
	assert_false(svm_entry_test_known("svmcheck-cr4-vmxe"));
	assert_false(svm_entry_test_known("cr4"));
	assert_false(svm_entry_test_known("guest-cr0-without-ne"));
	svm_entry_test_list(buf, sizeof(buf));
	assert_string_equal(buf, "efer-svme-clear, cr0-nw-without-cd, cr4-vmxe, dr7-high, "
	                         "cs-l-with-cs-d, no-vmrun-intercept, asid-zero, "
	                         "eventinj-nmi-as-exception");
	/* A short buffer is cut, not overrun. */
	svm_entry_test_list(small, sizeof(small));
	assert_string_equal(small, "efer-svme");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_vmcb_passes),
	    cmocka_unit_test(test_each_rule),
	    cmocka_unit_test(test_first_rule_in_apm_order),
	    cmocka_unit_test(test_iopm_base_wrapping_past_2_64),
	    cmocka_unit_test(test_msrpm_base_wrapping_past_2_64),
	    cmocka_unit_test(test_permission_map_base_low_bits_ignored),
	    cmocka_unit_test(test_rule_names_and_messages),
	    cmocka_unit_test(test_intercept_exit_codes),
	    cmocka_unit_test(test_special_exit_codes),
	    cmocka_unit_test(test_every_exit_code_in_range),
	    cmocka_unit_test(test_checklist_full),
	    cmocka_unit_test(test_checklist_without_np_or_nrips),
	    cmocka_unit_test(test_checklist_enabled_and_asids),
	    cmocka_unit_test_setup_teardown(test_checklist_print, console_setup, console_teardown),
	    cmocka_unit_test(test_strerror),
	    cmocka_unit_test_setup_teardown(test_selftest_real_vmcb, console_setup,
	                                    console_teardown),
	    cmocka_unit_test_setup_teardown(test_selftest_real_vmcb_without_np, console_setup,
	                                    console_teardown),
	    cmocka_unit_test_setup_teardown(test_selftest_real_vmcb_without_long_mode,
	                                    console_setup, console_teardown),
	    cmocka_unit_test(test_entry_test_names),
	};
	return cmocka_run_group_tests_name("svm_check", tests, NULL, NULL);
}
