/* The AMD SVM backend (AMD64 APM Vol. 2, chapter 15): capability probe,
 * enabling SVM (EFER.SVME, VM_HSAVE_PA) and the struct vcpu_ops of
 * arch/x86/vcpu.h for one virtual CPU with nested paging. svm_probe never fails
 * on a CPU without SVM: it reports why in its status. The software VMCB
 * check names the consistency rule of APM 15.5.1 that a VMRUN refusal
 * (VMEXIT_INVALID) most likely broke.
 *
 * struct vm_exit.raw_reason is not the 64-bit EXITCODE but a compact index
 * below arch/x86/vcpu.h's VCPU_MAX_RAW_EXIT (enum svm_raw); svm_exit_name() names it
 * with the APM's exit name, and dumps print the real EXITCODE. */
#ifndef ARCH_X86_SVM_H
#define ARCH_X86_SVM_H

#include "arch/x86/svm_defs.h"
#include "lib/report.h"
#include "lib/types.h"

enum svm_status {
	SVM_OK = 0,
	SVM_ERR_NO_SVM,          /* CPUID 8000_0001h:ECX.SVM = 0 */
	SVM_ERR_DISABLED,        /* VM_CR.SVMDIS = 1: disabled by firmware */
	SVM_ERR_NO_NPT,          /* CPUID 8000_000Ah:EDX.NP = 0 */
	SVM_ERR_MISSING_FEATURE, /* another required capability is absent (printed) */
};

const char *svm_strerror(enum svm_status s);

/* What the CPU reports (15.4, CPUID Fn8000_000A; 15.30.1 VM_CR). */
struct svm_caps {
	bool svm;       /* CPUID 8000_0001h:ECX.SVM */
	u64 vm_cr;      /* MSR VM_CR (read only when svm) */
	u32 revision;   /* CPUID 8000_000Ah:EAX[7:0] */
	u32 nasid;      /* CPUID 8000_000Ah:EBX: number of ASIDs */
	u32 features;   /* CPUID 8000_000Ah:EDX */
	bool page1gb;   /* CPUID 8000_0001h:EDX.Page1GB: 1 GiB nested leaves */
	bool long_mode; /* CPUID 8000_0001h:EDX.LM */
	u8 maxphyaddr;  /* CPUID 8000_0008h:EAX[7:0] */
};

/* The features segvisor looks for, in checklist order. */
enum svm_feature {
	SVM_FEAT_ENABLED, /* VM_CR.SVMDIS = 0 */
	SVM_FEAT_NP,
	SVM_FEAT_ASIDS, /* at least one guest ASID besides the host's 0 */
	SVM_FEAT_NRIPS,
	SVM_FEAT_FLUSH_BY_ASID,
	SVM_FEAT_VMCB_CLEAN,
	SVM_FEAT_DECODE_ASSISTS,
	SVM_FEAT_NPT_1GB_PAGES,
	SVM_FEAT_COUNT
};

struct svm_feature_check {
	const char *name;
	bool required;
	bool present;
};

/* Reads CPUID (and VM_CR when SVM exists) into caps. SVM_ERR_NO_SVM when
 * the CPU has no SVM; otherwise SVM_OK (required features are the
 * checklist's business). */
enum svm_status svm_probe(struct svm_caps *caps);
bool svm_caps_has(const struct svm_caps *caps, enum svm_feature f);
/* Fills list[0..SVM_FEAT_COUNT); returns the number of required features missing. */
unsigned svm_caps_checklist(const struct svm_caps *caps,
                            struct svm_feature_check list[SVM_FEAT_COUNT]);
/* "svm: <name>: yes|no [(required)]" per feature, then the missing ones. */
void svm_caps_print_checklist(const struct svm_feature_check *list, size_t n);
/* Checks the required features (printing the checklist when verbose), sets
 * EFER.SVME and points VM_HSAVE_PA at the host save area (15.4, 15.30.4). */
enum svm_status svm_enable(const struct svm_caps *caps, bool verbose);
/* Largest nested-page leaf: PAGE_SIZE_1G with Page1GB, else PAGE_SIZE_2M (15.25.1). */
u64 svm_max_npt_page(const struct svm_caps *caps);

/* struct vm_exit.raw_reason under SVM. */
enum svm_raw {
	SVM_RAW_INTERCEPT_FIRST = 0, /* EXITCODE 60h (INTR) ... A4h (TLBSYNC): EXITCODE - 60h */
	SVM_RAW_INTERCEPT_LAST = SVM_EXIT_TLBSYNC - SVM_EXIT_INTR,
	SVM_RAW_NPF,       /* 400h */
	SVM_RAW_INVALID,   /* -1: VMRUN refused the VMCB */
	SVM_RAW_EXCEPTION, /* 40h-5Fh, any vector */
	SVM_RAW_CR_READ,   /* 00h-0Fh */
	SVM_RAW_CR_WRITE,  /* 10h-1Fh */
	SVM_RAW_DR,        /* 20h-3Fh */
	SVM_RAW_OTHER,     /* AVIC, VMGEXIT, BUSY, or a code this table does not know */
	SVM_RAW_COUNT
};
u32 svm_raw_of_exitcode(u64 exitcode);
const char *svm_exit_name(u32 raw);

/* The VMCB consistency rules of APM 15.5.1 ("VMRUN": illegal guest state
 * makes VMRUN exit with VMEXIT_INVALID), X(code, "what is wrong"), in the
 * order they are checked. */
#define SVM_CHECK_RULES(X)                                                                         \
	X(SVM_CHECK_OK, "all checks passed")                                                       \
	X(SVM_CHECK_EFER_SVME, "15.5.1: EFER.SVME is zero")                                        \
	X(SVM_CHECK_CR0_CD_NW, "15.5.1: CR0.CD is zero and CR0.NW is set")                         \
	X(SVM_CHECK_CR0_HIGH, "15.5.1: CR0[63:32] are not zero")                                   \
	X(SVM_CHECK_CR3_MBZ, "15.5.1: a must-be-zero bit of CR3 is set")                           \
	X(SVM_CHECK_CR4_MBZ, "15.5.1: a must-be-zero bit of CR4 is set")                           \
	X(SVM_CHECK_DR6_HIGH, "15.5.1: DR6[63:32] are not zero")                                   \
	X(SVM_CHECK_DR7_HIGH, "15.5.1: DR7[63:32] are not zero")                                   \
	X(SVM_CHECK_EFER_MBZ, "15.5.1: a must-be-zero bit of EFER is set")                         \
	X(SVM_CHECK_EFER_LONG_MODE, "15.5.1: EFER.LMA or LME set without long-mode support")       \
	X(SVM_CHECK_LONG_MODE_NO_PAE, "15.5.1: EFER.LME and CR0.PG set with CR4.PAE zero")         \
	X(SVM_CHECK_LONG_MODE_NO_PE, "15.5.1: EFER.LME and CR0.PG set with CR0.PE zero")           \
	X(SVM_CHECK_CS_L_AND_D, "15.5.1: EFER.LME, CR0.PG, CR4.PAE, CS.L and CS.D all set")        \
	X(SVM_CHECK_VMRUN_INTERCEPT, "15.5.1: the VMRUN intercept bit is clear")                   \
	X(SVM_CHECK_ASID_ZERO, "15.5.1: the guest ASID is 0 (the host's)")                         \
	X(SVM_CHECK_EVENTINJ, "15.20: EVENTINJ holds an illegal event")                            \
	X(SVM_CHECK_IOPM_ADDR, "15.5.1: the IOPM extends beyond the physical-address width")       \
	X(SVM_CHECK_MSRPM_ADDR, "15.5.1: the MSRPM extends beyond the physical-address width")     \
	X(SVM_CHECK_NP_UNSUPPORTED, "15.25.3: NP_ENABLE set on a CPU without nested paging")

enum svm_check_rule {
#define SVM_CHECK_ENUM(code, msg) code,
	SVM_CHECK_RULES(SVM_CHECK_ENUM)
#undef SVM_CHECK_ENUM
	    SVM_CHECK_RULE_COUNT
};
const char *svm_check_rule_name(enum svm_check_rule r);
const char *svm_check_rule_message(enum svm_check_rule r);

struct vmcb;
struct svm_check_detail {
	u64 value;    /* the offending field */
	u64 bad_bits; /* its bits that broke the rule, where that means something */
};
/* The first rule vmcb breaks on a CPU with caps, or SVM_CHECK_OK. d may be NULL. */
enum svm_check_rule svm_check_vmcb(const struct vmcb *vmcb, const struct svm_caps *caps,
                                   struct svm_check_detail *d);

/* Boot self-test: the checker over the VMCB segvisor would run, then with
 * one rule broken at a time ("svmcheck-<case>"). */
void svm_selftest_vmcb_checks(struct report *rep, const struct svm_caps *caps);
/* vm_entry_test=NAME (test only): the VMCB breaks one rule on purpose and
 * goes to the CPU unchecked. NAME is a svmcheck case without its prefix. */
bool svm_entry_test_known(const char *name);
void svm_entry_test_list(char *buf, size_t size);

struct vcpu_ops;
extern const struct vcpu_ops svm_vcpu_ops;

#endif
