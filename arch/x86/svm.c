/* SVM backend (AMD64 APM Vol. 2, chapter 15). One vCPU; its VMCB is built
 * in place and checked in software against the VMRUN consistency rules
 * (15.5.1): at creation, where a failure stops the guest, and again before
 * every VMRUN, so that a VMEXIT_INVALID names the rule. The guest starts as Multiboot v1 says;
 * EFER.SVME, which VMRUN requires in the guest's EFER, is hidden from it by intercepting EFER in
 * the MSR permission map. */
#include "arch/x86/svm.h"

#include "arch/x86/cpu.h"
#include "arch/x86/irq.h"
#include "arch/x86/tsc.h"
#include "arch/x86/vcpu_common.h"
#include "arch/x86/msr.h"
#include "arch/x86/svm_defs.h"
#include "arch/x86/vmx_check.h"
#include "arch/x86/vmx_defs.h"
#include "arch/x86/vcpu.h"
#include "lib/console.h"
#include "lib/fmt.h"
#include "lib/mem.h"

_Static_assert(SVM_RAW_COUNT <= VCPU_MAX_RAW_EXIT, "exit counts per raw reason (arch/x86/vcpu.h)");

#define GPR_COUNT  16
#define GUEST_ASID 1 /* ASID 0 is the host's (15.16) */
/* The flat segments of a Multiboot start (Multiboot spec 3.2): the spec
 * fixes base and limit; the selector values are the guest's business. */
#define GUEST_SEL_CODE               0x08
#define GUEST_SEL_DATA               0x10
#define SEG_LIMIT_4G                 0xffffffffu
#define GUEST_TR_LIMIT               0xff   /* a minimal TSS, never used */
#define GUEST_DTR_LIMIT              0xffff /* GDTR/IDTR: the reset value */
#define PERMISSION_MAP_ALL_INTERCEPT 0xff
#define MSRPM_BITS_PER_MSR           2
/* What the guest may see and set of EFER: SVME is the hypervisor's. */
#define GUEST_EFER_BITS   (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)
#define RAW(code)         ((code)-SVM_EXIT_INTR)
#define EXCEPTION_VECTORS 32 /* vectors 0-31 are exceptions (Vol. 2, 8.2) */
#define ARCH_MAX_PHYADDR  52 /* the architectural physical-address limit */
/* INTERCEPT_CR: bit n intercepts reads of CRn, bit 16 + n writes (Table B-1). */
#define SVM_INTERCEPT_CR_READ(n)  BIT(n)
#define SVM_INTERCEPT_CR_WRITE(n) BIT(16 + (n))
/* EXITINFO1 of a CR access with decode assists (15.33.1): the GPR. */
#define SVM_CR_EXITINFO_VALID BIT(63)
#define SVM_CR_EXITINFO_GPR   BITS(3, 0)
/* CPUID bits behind CR4 bits (APM Vol. 3, Appendix E). */
#define CPUID_7_EBX_FSGSBASE  BIT(0)
#define CPUID_7_EBX_SMEP      BIT(7)
#define CPUID_7_EBX_SMAP      BIT(20)
#define CPUID_7_ECX_UMIP      BIT(2)
#define CPUID_7_ECX_PKU       BIT(3)
#define CPUID_7_ECX_CET_SS    BIT(7)
#define CPUID_7_ECX_LA57      BIT(16)
#define CPUID_LEAF_STRUCTURED 7

void svm_enter(struct guest_regs *regs, u64 vmcb_pa, u64 host_save_pa);

static struct vmcb guest_vmcb __attribute__((aligned(4096)));
/* Host FS/GS/TR/LDTR and their MSRs while the guest's are loaded (VMSAVE/VMLOAD). */
static struct vmcb host_vmsave_area __attribute__((aligned(4096)));
/* The processor's own host save area, VM_HSAVE_PA (15.30.4). */
static u8 host_save_area[4096] __attribute__((aligned(4096)));
static u8 iopm[SVM_IOPM_BYTES] __attribute__((aligned(4096)));
static u8 msrpm[SVM_MSRPM_BYTES] __attribute__((aligned(4096)));

struct svm_vcpu {
	struct svm_caps caps;
	struct vmcb *vmcb;
	/* The software check of the VMCB as it last went into VMRUN: a
	 * refused VMRUN writes back state the CPU has already normalised. */
	enum svm_check_rule entry_rule;
	struct svm_check_detail entry_detail;
	u64 cr4_allowed;    /* CR4 bits this CPU defines: the rest #GP when written */
	u64 timer_deadline; /* arm_timer: host TSC of the core's VMEXIT_TIMER; 0 none */
	/* An NMI was injected and the guest has not executed IRET since: the
	 * next one waits (the VMCB shows no NMI blocking, so the IRET
	 * intercept tells). The intercept comes before the IRET runs
	 * (15.9), so the blocking ends only at a later exit whose RIP is no
	 * longer the IRET's (iret_rip): an NMI is never injected at the IRET
	 * itself, inside the handler it ends. */
	bool nmi_masked;
	bool iret_seen;
	u64 iret_rip;
	/* The guest's HWCR and SYSCFG: every AMD64 CPU has them and kernels read them (Xen's
	 * init_amd panics on a #GP); writes change these copies only, never the host's. SYSCFG
	 * starts at 0: no DRAM MTRR extensions, so no TOP_MEM/TOM2 to read, no SME. */
	u64 hwcr, syscfg;
};
static struct svm_vcpu the_vcpu;
static u64 cr4_allowed_bits(void);
static struct svm_caps svm_caps_cur;
static bool svm_enabled;

/* The hypervisor's image is identity mapped: a static's address is its PA. */
static u64 pa_of(const void *p)
{
	return (u64)(uintptr_t)p;
}

const char *svm_strerror(enum svm_status s)
{
	switch (s) {
	case SVM_OK:
		return "ok";
	case SVM_ERR_NO_SVM:
		return "AMD SVM not available (CPUID 8000_0001h:ECX.SVM = 0)";
	case SVM_ERR_DISABLED:
		return "AMD SVM disabled by firmware (VM_CR.SVMDIS = 1, locked)";
	case SVM_ERR_NO_NPT:
		return "AMD SVM without nested paging (CPUID 8000_000Ah:EDX.NP = 0)";
	case SVM_ERR_MISSING_FEATURE:
		return "a required AMD SVM feature is missing";
	}
	return "unknown SVM error";
}

/* ---- Capabilities (15.4 "Enabling SVM", CPUID Fn8000_000A) ---- */

enum svm_status svm_probe(struct svm_caps *caps)
{
	memset(caps, 0, sizeof(*caps));
	u32 ext_max = cpuid(CPUID_LEAF_EXT_MAX_FN, 0).eax;
	if (ext_max < CPUID_LEAF_EXT_FEATURES)
		return SVM_ERR_NO_SVM;
	struct cpuid_regs ext = cpuid(CPUID_LEAF_EXT_FEATURES, 0);
	caps->page1gb = ext.edx & CPUID_80000001_EDX_PAGE1GB;
	caps->long_mode = ext.edx & CPUID_80000001_EDX_LM;
	if (ext_max >= CPUID_LEAF_ADDR_SIZES)
		caps->maxphyaddr =
		    cpuid(CPUID_LEAF_ADDR_SIZES, 0).eax & CPUID_80000008_EAX_MAXPHYADDR_MASK;
	if (!(ext.ecx & CPUID_80000001_ECX_SVM) || ext_max < CPUID_LEAF_SVM)
		return SVM_ERR_NO_SVM;
	caps->svm = true;
	struct cpuid_regs f = cpuid(CPUID_LEAF_SVM, 0);
	caps->revision = f.eax & CPUID_8000000A_EAX_REV_MASK;
	caps->nasid = f.ebx;
	caps->features = f.edx;
	caps->vm_cr = rdmsr(MSR_VM_CR);
	return SVM_OK;
}

bool svm_caps_has(const struct svm_caps *caps, enum svm_feature f)
{
	switch (f) {
	case SVM_FEAT_ENABLED:
		/* SVMDIS alone can be cleared; with LOCK only firmware can (15.30.1). */
		return caps->svm && !((caps->vm_cr & VM_CR_SVMDIS) && (caps->vm_cr & VM_CR_LOCK));
	case SVM_FEAT_NP:
		return caps->features & CPUID_8000000A_EDX_NP;
	case SVM_FEAT_ASIDS:
		return caps->nasid > GUEST_ASID;
	case SVM_FEAT_NRIPS:
		return caps->features & CPUID_8000000A_EDX_NRIPS;
	case SVM_FEAT_FLUSH_BY_ASID:
		return caps->features & CPUID_8000000A_EDX_FLUSH_BY_ASID;
	case SVM_FEAT_VMCB_CLEAN:
		return caps->features & CPUID_8000000A_EDX_VMCB_CLEAN;
	case SVM_FEAT_DECODE_ASSISTS:
		return caps->features & CPUID_8000000A_EDX_DECODE_ASSISTS;
	case SVM_FEAT_NPT_1GB_PAGES:
		return caps->page1gb;
	case SVM_FEAT_COUNT:
		break;
	}
	return false;
}

unsigned svm_caps_checklist(const struct svm_caps *caps,
                            struct svm_feature_check list[SVM_FEAT_COUNT])
{
	static const struct {
		const char *name;
		bool required;
	} features[SVM_FEAT_COUNT] = {
	    [SVM_FEAT_ENABLED] = {"enabled (VM_CR.SVMDIS clear or unlocked)", true},
	    [SVM_FEAT_NP] = {"nested paging", true},
	    [SVM_FEAT_ASIDS] = {"a guest ASID", true},
	    [SVM_FEAT_NRIPS] = {"next RIP saved (NRIPS)", false},
	    [SVM_FEAT_FLUSH_BY_ASID] = {"TLB flush by ASID", false},
	    [SVM_FEAT_VMCB_CLEAN] = {"VMCB clean bits", false},
	    [SVM_FEAT_DECODE_ASSISTS] = {"decode assists", false},
	    [SVM_FEAT_NPT_1GB_PAGES] = {"1 GiB nested pages", false},
	};
	unsigned missing = 0;
	for (unsigned i = 0; i < SVM_FEAT_COUNT; i++) {
		list[i].name = features[i].name;
		list[i].required = features[i].required;
		list[i].present = svm_caps_has(caps, (enum svm_feature)i);
		if (list[i].required && !list[i].present)
			missing++;
	}
	return missing;
}

void svm_caps_print_checklist(const struct svm_feature_check *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		con_printf("svm: %s: %s%s\n", list[i].name, list[i].present ? "yes" : "no",
		           list[i].required ? " (required)" : "");
	for (size_t i = 0; i < n; i++)
		if (list[i].required && !list[i].present)
			con_printf("svm: missing required feature: %s\n", list[i].name);
}

u64 svm_max_npt_page(const struct svm_caps *caps)
{
	return svm_caps_has(caps, SVM_FEAT_NPT_1GB_PAGES) ? PAGE_SIZE_1G : PAGE_SIZE_2M;
}

/* 15.4 "Enabling SVM", 15.30.1 VM_CR, 15.30.4 VM_HSAVE_PA. */
enum svm_status svm_enable(const struct svm_caps *caps, bool verbose)
{
	if (!caps->svm)
		return SVM_ERR_NO_SVM;
	struct svm_feature_check list[SVM_FEAT_COUNT];
	unsigned missing = svm_caps_checklist(caps, list);
	if (verbose)
		svm_caps_print_checklist(list, SVM_FEAT_COUNT);
	if (!svm_caps_has(caps, SVM_FEAT_ENABLED))
		return SVM_ERR_DISABLED;
	if (!svm_caps_has(caps, SVM_FEAT_NP))
		return SVM_ERR_NO_NPT;
	if (missing)
		return SVM_ERR_MISSING_FEATURE;
	if (caps->vm_cr & VM_CR_SVMDIS)
		wrmsr(MSR_VM_CR, caps->vm_cr & ~(u64)VM_CR_SVMDIS);
	/* NXE too where the CPU has NX: the nested walk runs in the host's
	 * paging mode, and only with NXE does a nested page fault's EXITINFO1
	 * tell an instruction fetch (the I/D bit, as in #PF's error code;
	 * 15.25.6). The nested table sets no NX bit, so nothing else changes. */
	wrmsr(IA32_EFER, rdmsr(IA32_EFER) | EFER_SVME | (x86_has_nx() ? EFER_NXE : 0));
	memset(host_save_area, 0, sizeof(host_save_area));
	wrmsr(MSR_VM_HSAVE_PA, pa_of(host_save_area));
	svm_caps_cur = *caps;
	svm_enabled = true;
	return SVM_OK;
}

/* ---- Exit codes and their names (Appendix C) ---- */

/* Classified by EXITCODE's low 32 bits: every code fits in them, and QEMU
 * stores VMEXIT_INVALID as 0000_0000_FFFF_FFFFh rather than the APM's 64-bit -1. */
u32 svm_raw_of_exitcode(u64 exitcode)
{
	const u32 code = (u32)exitcode;
	if (code >= SVM_EXIT_INTR && code <= SVM_EXIT_INTR + SVM_RAW_INTERCEPT_LAST)
		return (u32)RAW(code);
	if (code == SVM_EXIT_NPF)
		return SVM_RAW_NPF;
	if (code == (u32)SVM_EXIT_INVALID)
		return SVM_RAW_INVALID;
	if (code >= SVM_EXIT_EXCP_BASE && code < SVM_EXIT_INTR)
		return SVM_RAW_EXCEPTION;
	if (code < SVM_EXIT_CR0_WRITE)
		return SVM_RAW_CR_READ;
	if (code < SVM_EXIT_DR0_READ)
		return SVM_RAW_CR_WRITE;
	if (code < SVM_EXIT_EXCP_BASE)
		return SVM_RAW_DR;
	return SVM_RAW_OTHER;
}

static const char *const svm_raw_names[SVM_RAW_COUNT] = {
    [RAW(SVM_EXIT_INTR)] = "intr",
    [RAW(SVM_EXIT_NMI)] = "nmi",
    [RAW(SVM_EXIT_SMI)] = "smi",
    [RAW(SVM_EXIT_INIT)] = "init",
    [RAW(SVM_EXIT_VINTR)] = "vintr",
    [RAW(SVM_EXIT_CR0_SEL_WRITE)] = "cr0_sel_write",
    [RAW(SVM_EXIT_IDTR_READ)] = "idtr_read",
    [RAW(SVM_EXIT_GDTR_READ)] = "gdtr_read",
    [RAW(SVM_EXIT_LDTR_READ)] = "ldtr_read",
    [RAW(SVM_EXIT_TR_READ)] = "tr_read",
    [RAW(SVM_EXIT_IDTR_WRITE)] = "idtr_write",
    [RAW(SVM_EXIT_GDTR_WRITE)] = "gdtr_write",
    [RAW(SVM_EXIT_LDTR_WRITE)] = "ldtr_write",
    [RAW(SVM_EXIT_TR_WRITE)] = "tr_write",
    [RAW(SVM_EXIT_RDTSC)] = "rdtsc",
    [RAW(SVM_EXIT_RDPMC)] = "rdpmc",
    [RAW(SVM_EXIT_PUSHF)] = "pushf",
    [RAW(SVM_EXIT_POPF)] = "popf",
    [RAW(SVM_EXIT_CPUID)] = "cpuid",
    [RAW(SVM_EXIT_RSM)] = "rsm",
    [RAW(SVM_EXIT_IRET)] = "iret",
    [RAW(SVM_EXIT_SWINT)] = "swint",
    [RAW(SVM_EXIT_INVD)] = "invd",
    [RAW(SVM_EXIT_PAUSE)] = "pause",
    [RAW(SVM_EXIT_HLT)] = "hlt",
    [RAW(SVM_EXIT_INVLPG)] = "invlpg",
    [RAW(SVM_EXIT_INVLPGA)] = "invlpga",
    [RAW(SVM_EXIT_IOIO)] = "ioio",
    [RAW(SVM_EXIT_MSR)] = "msr",
    [RAW(SVM_EXIT_TASK_SWITCH)] = "task_switch",
    [RAW(SVM_EXIT_FERR_FREEZE)] = "ferr_freeze",
    [RAW(SVM_EXIT_SHUTDOWN)] = "shutdown",
    [RAW(SVM_EXIT_VMRUN)] = "vmrun",
    [RAW(SVM_EXIT_VMMCALL)] = "vmmcall",
    [RAW(SVM_EXIT_VMLOAD)] = "vmload",
    [RAW(SVM_EXIT_VMSAVE)] = "vmsave",
    [RAW(SVM_EXIT_STGI)] = "stgi",
    [RAW(SVM_EXIT_CLGI)] = "clgi",
    [RAW(SVM_EXIT_SKINIT)] = "skinit",
    [RAW(SVM_EXIT_RDTSCP)] = "rdtscp",
    [RAW(SVM_EXIT_ICEBP)] = "icebp",
    [RAW(SVM_EXIT_WBINVD)] = "wbinvd",
    [RAW(SVM_EXIT_MONITOR)] = "monitor",
    [RAW(SVM_EXIT_MWAIT)] = "mwait",
    [RAW(SVM_EXIT_MWAIT_CONDITIONAL)] = "mwait_conditional",
    [RAW(SVM_EXIT_XSETBV)] = "xsetbv",
    [RAW(SVM_EXIT_RDPRU)] = "rdpru",
    [RAW(SVM_EXIT_EFER_WRITE_TRAP)] = "efer_write_trap",
    [RAW(SVM_EXIT_CR0_WRITE_TRAP) + 0] = "cr0_write_trap",
    [RAW(SVM_EXIT_CR0_WRITE_TRAP) + 3] = "cr3_write_trap",
    [RAW(SVM_EXIT_CR0_WRITE_TRAP) + 4] = "cr4_write_trap",
    [RAW(SVM_EXIT_CR0_WRITE_TRAP) + 8] = "cr8_write_trap",
    [RAW(SVM_EXIT_INVLPGB)] = "invlpgb",
    [RAW(SVM_EXIT_INVLPGB_ILLEGAL)] = "invlpgb_illegal",
    [RAW(SVM_EXIT_INVPCID)] = "invpcid",
    [RAW(SVM_EXIT_MCOMMIT)] = "mcommit",
    [RAW(SVM_EXIT_TLBSYNC)] = "tlbsync",
    [SVM_RAW_NPF] = "npf",
    [SVM_RAW_INVALID] = "invalid",
    [SVM_RAW_EXCEPTION] = "excp",
    [SVM_RAW_CR_READ] = "cr_read",
    [SVM_RAW_CR_WRITE] = "cr_write",
    [SVM_RAW_DR] = "dr_access",
    [SVM_RAW_OTHER] = "other",
};

const char *svm_exit_name(u32 raw)
{
	return raw < SVM_RAW_COUNT && svm_raw_names[raw] ? svm_raw_names[raw] : "reserved";
}

/* What hv/vm/exits.c does with each exit segvisor intercepts. */
static const enum exit_kind svm_exit_kinds[SVM_RAW_COUNT] = {
    [RAW(SVM_EXIT_INTR)] = VMEXIT_EXTERNAL_INTERRUPT,
    [RAW(SVM_EXIT_NMI)] = VMEXIT_NMI,
    [RAW(SVM_EXIT_CPUID)] = VMEXIT_CPUID,
    [RAW(SVM_EXIT_INVD)] = VMEXIT_INVD,
    [RAW(SVM_EXIT_HLT)] = VMEXIT_HLT,
    [RAW(SVM_EXIT_VINTR)] = VMEXIT_INTR_WINDOW,
    [RAW(SVM_EXIT_IRET)] = VMEXIT_INTR_WINDOW,
    [RAW(SVM_EXIT_INVLPGA)] = VMEXIT_VIRT_INSN,
    [RAW(SVM_EXIT_IOIO)] = VMEXIT_IO,
    [RAW(SVM_EXIT_MSR)] = VMEXIT_MSR_READ, /* or WRITE, by EXITINFO1 */
    [RAW(SVM_EXIT_SHUTDOWN)] = VMEXIT_TRIPLE_FAULT,
    [RAW(SVM_EXIT_VMRUN)] = VMEXIT_VIRT_INSN,
    [RAW(SVM_EXIT_VMMCALL)] = VMEXIT_HYPERCALL,
    [RAW(SVM_EXIT_VMLOAD)] = VMEXIT_VIRT_INSN,
    [RAW(SVM_EXIT_VMSAVE)] = VMEXIT_VIRT_INSN,
    [RAW(SVM_EXIT_STGI)] = VMEXIT_VIRT_INSN,
    [RAW(SVM_EXIT_CLGI)] = VMEXIT_VIRT_INSN,
    [RAW(SVM_EXIT_SKINIT)] = VMEXIT_VIRT_INSN,
    [RAW(SVM_EXIT_WBINVD)] = VMEXIT_WBINVD,
    [RAW(SVM_EXIT_XSETBV)] = VMEXIT_XSETBV,
    [SVM_RAW_CR_READ] = VMEXIT_CR_ACCESS,
    [SVM_RAW_CR_WRITE] = VMEXIT_CR_ACCESS,
    [SVM_RAW_NPF] = VMEXIT_NPF,
    [SVM_RAW_INVALID] = VMEXIT_ENTRY_FAIL,
    [SVM_RAW_EXCEPTION] = VMEXIT_EXCEPTION,
};

/* Lengths of the intercepted instructions the core completes, for CPUs
 * without NRIPS (the encodings of APM Vol. 3: CPUID 0F A2, HLT F4, INVD
 * 0F 08, WBINVD 0F 09, RDMSR 0F 32, WRMSR 0F 30, VMMCALL 0F 01 D9, XSETBV
 * 0F 01 D1). segvisor's guests use them without prefixes. */
static const u8 svm_insn_len[SVM_RAW_COUNT] = {
    [RAW(SVM_EXIT_CPUID)] = 2,  [RAW(SVM_EXIT_HLT)] = 1, [RAW(SVM_EXIT_INVD)] = 2,
    [RAW(SVM_EXIT_WBINVD)] = 2, [RAW(SVM_EXIT_MSR)] = 2, [RAW(SVM_EXIT_VMMCALL)] = 3,
    [RAW(SVM_EXIT_XSETBV)] = 3,
};

/* ---- The software VMRUN check (15.5.1) ---- */

static const char *const check_names[SVM_CHECK_RULE_COUNT] = {
#define SVM_CHECK_NAME(code, msg) [code] = #code,
    SVM_CHECK_RULES(SVM_CHECK_NAME)
#undef SVM_CHECK_NAME
};
static const char *const check_messages[SVM_CHECK_RULE_COUNT] = {
#define SVM_CHECK_MSG(code, msg) [code] = msg,
    SVM_CHECK_RULES(SVM_CHECK_MSG)
#undef SVM_CHECK_MSG
};

const char *svm_check_rule_name(enum svm_check_rule r)
{
	return (unsigned)r < SVM_CHECK_RULE_COUNT ? check_names[r] : "SVM_CHECK_UNKNOWN";
}

const char *svm_check_rule_message(enum svm_check_rule r)
{
	return (unsigned)r < SVM_CHECK_RULE_COUNT ? check_messages[r] : "unknown rule";
}

/* Bits at and above the physical-address width. */
static u64 beyond_maxphyaddr(const struct svm_caps *caps)
{
	u8 w = caps->maxphyaddr ? caps->maxphyaddr : ARCH_MAX_PHYADDR;
	return w >= 64 ? 0 : ~(BIT(w) - 1);
}

static bool eventinj_legal(u64 ev)
{
	if (!(ev & SVM_EVTINJ_V))
		return true;
	u64 type = (ev & SVM_EVTINJ_TYPE_MASK) >> SVM_EVTINJ_TYPE_SHIFT;
	u64 vector = ev & SVM_EVTINJ_VECTOR_MASK;
	if (ev & SVM_EVTINJ_RESERVED)
		return false;
	switch (type) {
	case SVM_EVTINJ_TYPE_INTR:
	case SVM_EVTINJ_TYPE_NMI:
	case SVM_EVTINJ_TYPE_SOFT_INT:
		return true;
	case SVM_EVTINJ_TYPE_EXCEPTION:
		/* An NMI goes in as TYPE = NMI; exceptions are vectors 0-31. */
		return vector != VEC_NMI && vector < EXCEPTION_VECTORS;
	}
	return false;
}

enum svm_check_rule svm_check_vmcb(const struct vmcb *vmcb, const struct svm_caps *caps,
                                   struct svm_check_detail *d)
{
	const struct vmcb_control *c = &vmcb->control;
	const struct vmcb_save *s = &vmcb->save;
	const u64 beyond = beyond_maxphyaddr(caps);
	const bool long_paging = (s->efer & EFER_LME) && (s->cr0 & CR0_PG);
	struct svm_check_detail scratch;
	if (!d)
		d = &scratch;
	memset(d, 0, sizeof(*d));
#define FAIL_IF(cond, rule, val, bits)                                                             \
	do {                                                                                       \
		if (cond) {                                                                        \
			d->value = (val);                                                          \
			d->bad_bits = (bits);                                                      \
			return rule;                                                               \
		}                                                                                  \
	} while (0)
	FAIL_IF(!(s->efer & EFER_SVME), SVM_CHECK_EFER_SVME, s->efer, EFER_SVME);
	FAIL_IF(!(s->cr0 & CR0_CD) && (s->cr0 & CR0_NW), SVM_CHECK_CR0_CD_NW, s->cr0, CR0_NW);
	FAIL_IF(s->cr0 & BITS(63, 32), SVM_CHECK_CR0_HIGH, s->cr0, s->cr0 & BITS(63, 32));
	/* A 32-bit CR3 outside long mode; below the address width in it. */
	u64 cr3_mbz = long_paging ? beyond : BITS(63, 32);
	FAIL_IF(s->cr3 & cr3_mbz, SVM_CHECK_CR3_MBZ, s->cr3, s->cr3 & cr3_mbz);
	FAIL_IF(s->cr4 & ~SVM_CR4_DEFINED, SVM_CHECK_CR4_MBZ, s->cr4, s->cr4 & ~SVM_CR4_DEFINED);
	FAIL_IF(s->dr6 & BITS(63, 32), SVM_CHECK_DR6_HIGH, s->dr6, s->dr6 & BITS(63, 32));
	FAIL_IF(s->dr7 & BITS(63, 32), SVM_CHECK_DR7_HIGH, s->dr7, s->dr7 & BITS(63, 32));
	FAIL_IF(s->efer & ~EFER_AMD_DEFINED, SVM_CHECK_EFER_MBZ, s->efer,
	        s->efer & ~EFER_AMD_DEFINED);
	FAIL_IF((s->efer & (EFER_LME | EFER_LMA)) && !caps->long_mode, SVM_CHECK_EFER_LONG_MODE,
	        s->efer, s->efer & (EFER_LME | EFER_LMA));
	FAIL_IF(long_paging && !(s->cr4 & CR4_PAE), SVM_CHECK_LONG_MODE_NO_PAE, s->cr4, CR4_PAE);
	FAIL_IF(long_paging && !(s->cr0 & CR0_PE), SVM_CHECK_LONG_MODE_NO_PE, s->cr0, CR0_PE);
	FAIL_IF(long_paging && (s->cr4 & CR4_PAE) && (s->cs.attrib & SVM_ATTR_L) &&
	            (s->cs.attrib & SVM_ATTR_DB),
	        SVM_CHECK_CS_L_AND_D, s->cs.attrib, SVM_ATTR_L | SVM_ATTR_DB);
	FAIL_IF(!(c->intercept_misc2 & SVM_INTERCEPT_VMRUN), SVM_CHECK_VMRUN_INTERCEPT,
	        c->intercept_misc2, SVM_INTERCEPT_VMRUN);
	FAIL_IF(c->guest_asid == 0, SVM_CHECK_ASID_ZERO, c->guest_asid, 0);
	FAIL_IF(!eventinj_legal(c->eventinj), SVM_CHECK_EVENTINJ, c->eventinj, 0);
	/* The maps' bases ignore bits 11:0 (APM Table B-1); the whole map, start
	 * and end, must lie below the physical-address width, and must not wrap. */
	const u64 iopm = c->iopm_base_pa & ~BITS(11, 0), msrpm = c->msrpm_base_pa & ~BITS(11, 0);
	FAIL_IF((iopm & beyond) || ((iopm + SVM_IOPM_BYTES - 1) & beyond) ||
	            add_overflows(iopm, SVM_IOPM_BYTES - 1),
	        SVM_CHECK_IOPM_ADDR, c->iopm_base_pa, 0);
	FAIL_IF((msrpm & beyond) || ((msrpm + SVM_MSRPM_BYTES - 1) & beyond) ||
	            add_overflows(msrpm, SVM_MSRPM_BYTES - 1),
	        SVM_CHECK_MSRPM_ADDR, c->msrpm_base_pa, 0);
	FAIL_IF((c->np_control & SVM_NP_ENABLE) && !svm_caps_has(caps, SVM_FEAT_NP),
	        SVM_CHECK_NP_UNSUPPORTED, c->np_control, SVM_NP_ENABLE);
#undef FAIL_IF
	return SVM_CHECK_OK;
}

/* ---- Permission maps (15.10.1 IOPM, 15.11 MSRPM) ---- */

static void msrpm_allow(u8 *map, u32 msr, bool read, bool write)
{
	static const u32 bases[] = {SVM_MSRPM_RANGE0_BASE, SVM_MSRPM_RANGE1_BASE,
	                            SVM_MSRPM_RANGE2_BASE};
	for (unsigned r = 0; r < ARRAY_SIZE(bases); r++) {
		if (msr < bases[r] || msr - bases[r] >= SVM_MSRPM_RANGE_MSRS)
			continue;
		u32 bit = (msr - bases[r]) * MSRPM_BITS_PER_MSR;
		u8 *byte = &map[r * SVM_MSRPM_RANGE_BYTES + bit / 8];
		if (read)
			*byte &= (u8) ~(1u << (bit % 8));
		if (write)
			*byte &= (u8) ~(1u << (bit % 8 + 1));
		return;
	}
}

/* Every port and every MSR exits, except the MSRs whose guest copy VMRUN
 * or VMLOAD/VMSAVE switch (15.5.2): FS/GS base and KernelGSBase (through
 * the FS/GS hidden state), the SYSCALL and SYSENTER MSRs. EFER and PAT are
 * switched too but emulated (SVME hidden, PAT validated), and so is a read
 * of the TSC MSR: QEMU's nested SVM returns 0 for one it lets through
 * (RDTSC itself is not intercepted). */
static void permission_maps_init(void)
{
	memset(iopm, PERMISSION_MAP_ALL_INTERCEPT, sizeof(iopm));
	memset(msrpm, PERMISSION_MAP_ALL_INTERCEPT, sizeof(msrpm));
	static const u32 passthrough[] = {
	    IA32_FS_BASE, IA32_GS_BASE, IA32_KERNEL_GS_BASE, IA32_STAR,         IA32_LSTAR,
	    IA32_CSTAR,   IA32_FMASK,   IA32_SYSENTER_CS,    IA32_SYSENTER_ESP, IA32_SYSENTER_EIP,
	};
	for (unsigned i = 0; i < ARRAY_SIZE(passthrough); i++)
		msrpm_allow(msrpm, passthrough[i], true, true);
}

/* ---- VMCB construction (Appendix B) ---- */

/* A flat 32-bit code or data segment, attributes in the VMCB's 12-bit
 * form (Table B-2): present, 4 KiB granular, 32-bit default size. */
static struct vmcb_seg flat_segment(u16 sel, u32 type)
{
	return (struct vmcb_seg){
	    .selector = sel,
	    .attrib = (u16)(type | SVM_ATTR_S | SVM_ATTR_P | SVM_ATTR_DB | SVM_ATTR_G),
	    .limit = SEG_LIMIT_4G,
	};
}

/* Fills vmcb for a guest entered as Multiboot v1 says (Multiboot spec 3.2:
 * 32-bit protected mode, paging off, flat CS and data segments), or as the
 * Linux boot protocol's 64-bit entry says (start->long_mode: long mode with
 * paging on and the loader's tables, a 64-bit CS from the loader's GDT). */
static void vmcb_build(struct vmcb *vmcb, const struct vcpu_start *start, u64 n_cr3)
{
	struct vmcb_control *c = &vmcb->control;
	struct vmcb_save *s = &vmcb->save;
	memset(vmcb, 0, sizeof(*vmcb));

	/* Intercepts (15.9-15.15): what the core emulates, the guest's own SVM
	 * instructions (the core injects #UD) and a shutdown (triple fault).
	 * CR0, CR3 and CR4 writes are checked here (svm_write_cr): QEMU's nested
	 * SVM does not #GP on their reserved bits itself (EMULATORS.md) but ends
	 * the guest with VMEXIT_INVALID, or lets the value reach the VMCB, which
	 * the next VMRUN refuses. The host owns physical interrupts and NMIs
	 * that arrive in guest mode (INTR and NMI intercepts, 15.13)
	 * and machine checks (the #MC exception intercept, 15.12). No DR
	 * intercepts. */
	/* CR8 is the local APIC's TPR (Vol. 2, 16.6.1), which the core models:
	 * without these intercepts a 64-bit guest's MOV CR8 reaches only V_TPR
	 * (15.21.2), which the APIC model never sees. */
	c->intercept_cr = SVM_INTERCEPT_CR_WRITE(0) | SVM_INTERCEPT_CR_WRITE(3) |
	                  SVM_INTERCEPT_CR_WRITE(4) | SVM_INTERCEPT_CR_READ(8) |
	                  SVM_INTERCEPT_CR_WRITE(8);
	c->intercept_exceptions = BIT(VEC_MC);
	c->intercept_misc1 = SVM_INTERCEPT_INTR | SVM_INTERCEPT_NMI | SVM_INTERCEPT_CPUID |
	                     SVM_INTERCEPT_HLT | SVM_INTERCEPT_INVD | SVM_INTERCEPT_INVLPGA |
	                     SVM_INTERCEPT_IOIO_PROT | SVM_INTERCEPT_MSR_PROT |
	                     SVM_INTERCEPT_SHUTDOWN;
	c->intercept_misc2 = SVM_INTERCEPT_VMRUN | SVM_INTERCEPT_VMMCALL | SVM_INTERCEPT_VMLOAD |
	                     SVM_INTERCEPT_VMSAVE | SVM_INTERCEPT_STGI | SVM_INTERCEPT_CLGI |
	                     SVM_INTERCEPT_SKINIT | SVM_INTERCEPT_WBINVD | SVM_INTERCEPT_XSETBV;
	c->iopm_base_pa = pa_of(iopm);
	c->msrpm_base_pa = pa_of(msrpm);
	c->guest_asid = GUEST_ASID;
	c->tlb_control = TLB_CONTROL_FLUSH_ALL; /* whatever ASID 1 cached before is stale */
	/* 15.21.1: with V_INTR_MASKING the guest's RFLAGS.IF masks only virtual
	 * interrupts; physical ones are masked by the host's RFLAGS.IF as it was
	 * at VMRUN, which svm_enter sets (with GIF still 0), so that they exit
	 * through the INTR intercept whatever the guest's IF (QEMU keeps the
	 * host's IF at VMRUN as the mask in the same way). */
	c->vintr = V_INTR_MASKING;
	c->np_control = SVM_NP_ENABLE; /* 15.25.3 */
	c->n_cr3 = n_cr3;

	/* State-save area. */
	s->cs = flat_segment(start->code_sel ? start->code_sel : GUEST_SEL_CODE,
	                     SEG_TYPE_CODE_XR_ACCESSED);
	/* APM Vol. 2, 4.8.1: in long mode CS.L = 1 selects 64-bit mode, with CS.D = 0
	 * (15.5.1: L and D both set is an illegal VMRUN state). */
	if (start->long_mode)
		s->cs.attrib = (u16)((s->cs.attrib & ~SVM_ATTR_DB) | SVM_ATTR_L);
	s->ss = flat_segment(start->data_sel ? start->data_sel : GUEST_SEL_DATA,
	                     SEG_TYPE_DATA_RW_ACCESSED);
	s->ds = s->ss;
	s->es = s->ss;
	s->fs = s->ss;
	s->gs = s->ss;
	s->gdtr.base = start->gdt_base;
	s->gdtr.limit = start->gdt_base ? start->gdt_limit : GUEST_DTR_LIMIT;
	s->idtr.limit = GUEST_DTR_LIMIT;
	/* A busy TSS, byte granular, never used by a guest that runs no tasks. */
	s->tr =
	    (struct vmcb_seg){.attrib = SEG_TYPE_TSS_BUSY | SVM_ATTR_P, .limit = GUEST_TR_LIMIT};
	s->cpl = 0;
	/* VMRUN requires SVME (15.5.1), hidden from the guest; a 64-bit start has LME and LMA
	 * too, with CR0.PG and CR4.PAE (15.5.1's long-mode consistency checks). */
	s->efer = EFER_SVME | start->efer;
	s->cr0 = start->cr0;
	s->cr3 = start->cr3;
	s->cr4 = start->cr4;
	s->dr6 = DR6_INIT;
	s->dr7 = DR7_INIT_SVM;
	s->rflags = start->rflags | RFLAGS_FIXED1;
	s->rip = start->rip;
	s->rsp = start->rsp;
	s->rax = start->rax;
	s->g_pat = PAT_POWER_ON_VALUE;
}

/* ---- Rules broken on purpose: the self-test and vm_entry_test= ---- */

struct entry_case {
	const char *name;
	enum svm_check_rule expect;
	void (*mutate)(struct vmcb *vmcb);
};

static void mut_efer_svme(struct vmcb *v)
{
	v->save.efer &= ~EFER_SVME;
}
static void mut_cr0_nw(struct vmcb *v)
{
	v->save.cr0 = (v->save.cr0 & ~CR0_CD) | CR0_NW;
}
static void mut_cr4_vmxe(struct vmcb *v)
{
	v->save.cr4 |= CR4_VMXE;
}
static void mut_dr7_high(struct vmcb *v)
{
	v->save.dr7 |= BIT(32);
}
static void mut_cs_l_and_d(struct vmcb *v)
{
	v->save.efer |= EFER_LME | EFER_LMA;
	v->save.cr0 |= CR0_PG;
	v->save.cr4 |= CR4_PAE;
	v->save.cs.attrib |= SVM_ATTR_L | SVM_ATTR_DB;
}
static void mut_no_vmrun_intercept(struct vmcb *v)
{
	v->control.intercept_misc2 &= ~(u32)SVM_INTERCEPT_VMRUN;
}
static void mut_asid_zero(struct vmcb *v)
{
	v->control.guest_asid = 0;
}
static void mut_eventinj_nmi(struct vmcb *v)
{
	v->control.eventinj =
	    SVM_EVTINJ_V | SVM_EVTINJ_TYPE(SVM_EVTINJ_TYPE_EXCEPTION) | (u64)VEC_NMI;
}

static const struct entry_case entry_cases[] = {
    {"svmcheck-efer-svme-clear", SVM_CHECK_EFER_SVME, mut_efer_svme},
    {"svmcheck-cr0-nw-without-cd", SVM_CHECK_CR0_CD_NW, mut_cr0_nw},
    {"svmcheck-cr4-vmxe", SVM_CHECK_CR4_MBZ, mut_cr4_vmxe},
    {"svmcheck-dr7-high", SVM_CHECK_DR7_HIGH, mut_dr7_high},
    {"svmcheck-cs-l-with-cs-d", SVM_CHECK_CS_L_AND_D, mut_cs_l_and_d},
    {"svmcheck-no-vmrun-intercept", SVM_CHECK_VMRUN_INTERCEPT, mut_no_vmrun_intercept},
    {"svmcheck-asid-zero", SVM_CHECK_ASID_ZERO, mut_asid_zero},
    {"svmcheck-eventinj-nmi-as-exception", SVM_CHECK_EVENTINJ, mut_eventinj_nmi},
};
#define ENTRY_CASE_PREFIX "svmcheck-"

static const struct entry_case *entry_case_named(const char *name)
{
	for (unsigned i = 0; i < ARRAY_SIZE(entry_cases); i++)
		if (!strcmp(entry_cases[i].name + strlen(ENTRY_CASE_PREFIX), name))
			return &entry_cases[i];
	return NULL;
}

bool svm_entry_test_known(const char *name)
{
	return !*name || entry_case_named(name);
}

void svm_entry_test_list(char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < ARRAY_SIZE(entry_cases) && n < size; i++)
		n += fmt_snprintf(buf + n, size - n, "%s%s", i ? ", " : "",
		                  entry_cases[i].name + strlen(ENTRY_CASE_PREFIX));
}

void svm_selftest_vmcb_checks(struct report *rep, const struct svm_caps *caps)
{
	static struct vmcb good, st;
	const struct vcpu_start start = {
	    .rip = 2 * MiB, .rflags = RFLAGS_FIXED1, .cr0 = CR0_PE | CR0_ET};
	permission_maps_init();
	vmcb_build(&good, &start, PAGE_SIZE_2M); /* any aligned root will do */
	enum svm_check_rule r = svm_check_vmcb(&good, caps, NULL);
	report_check(rep, r == SVM_CHECK_OK, "svmcheck-good-state", "%s",
	             svm_check_rule_message(r));
	const struct vcpu_start start64 = VCPU_START_64_SAMPLE;
	vmcb_build(&st, &start64, PAGE_SIZE_2M);
	r = svm_check_vmcb(&st, caps, NULL);
	report_check(rep, r == SVM_CHECK_OK, "svmcheck-good-64bit-start", "%s",
	             svm_check_rule_message(r));
	for (unsigned i = 0; i < ARRAY_SIZE(entry_cases); i++) {
		const struct entry_case *c = &entry_cases[i];
		st = good;
		c->mutate(&st);
		r = svm_check_vmcb(&st, caps, NULL);
		if (r == c->expect)
			con_printf("svmcheck: caught: %s\n", svm_check_rule_message(r));
		report_check(rep, r == c->expect, c->name, "got %s (%s), expected %s",
		             svm_check_rule_name(r), svm_check_rule_message(r),
		             svm_check_rule_name(c->expect));
	}
}

/* ---- vcpu_ops ---- */

static int svm_create(struct vcpu *v, const struct vcpu_start *start, u64 nested_root)
{
	struct svm_vcpu *s = &the_vcpu;
	if (!svm_enabled) {
		con_printf("FAIL: svm: a vCPU was created before svm_enable() succeeded\n");
		return -1;
	}
	memset(s, 0, sizeof(*s));
	s->caps = svm_caps_cur;
	s->vmcb = &guest_vmcb;
	s->cr4_allowed = cr4_allowed_bits();
	u64 host_hwcr = 0;
	if (rdmsr_safe(AMD_HWCR, &host_hwcr) == 0)
		s->hwcr = host_hwcr & HWCR_TSC_FREQ_SEL; /* the one bit that describes the TSC */
	v->arch = s;
	v->nested_root = nested_root;
	v->regs.rax = start->rax;
	v->regs.rbx = start->rbx;
	v->regs.rsi = start->rsi;
	permission_maps_init();
	vmcb_build(s->vmcb, start, svm_ncr3(nested_root));
	const bool lapic = irq_host_setup(v->host_tick_ms);
	if (v->wd.budget && lapic)
		con_printf("watchdog: %llu TSC cycles of guest time without an exit other than a "
		           "host interrupt end the guest (local APIC timer, one-shot)\n",
		           v->wd.budget);
	else if (v->wd.budget)
		con_printf("watchdog: no usable local APIC timer; a guest that never exits runs "
		           "until the emulator's timeout\n");

	const struct entry_case *test = NULL;
	if (v->entry_test[0]) {
		test = entry_case_named(v->entry_test);
		if (!test) {
			char names[256];
			svm_entry_test_list(names, sizeof(names));
			con_printf("FAIL: vm_entry_test=%s is not an SVM case (%s)\n",
			           v->entry_test, names);
			return -1;
		}
		/* Test only: hand the CPU a VMCB that breaks one rule, to show how
		 * a refused VMRUN is reported. */
		test->mutate(s->vmcb);
		con_printf("vm_entry_test=%s: breaking %s; the software checker is bypassed\n",
		           v->entry_test, svm_check_rule_message(test->expect));
		return 0;
	}
	struct svm_check_detail d;
	enum svm_check_rule rule = svm_check_vmcb(s->vmcb, &s->caps, &d);
	if (rule != SVM_CHECK_OK) {
		con_printf("FAIL: vm-entry-check: %s (%s): value 0x%llx bits 0x%llx\n",
		           svm_check_rule_message(rule), svm_check_rule_name(rule), d.value,
		           d.bad_bits);
		return -1;
	}
	return 0;
}

static void svm_set_nested_root(struct vcpu *v, u64 nested_root)
{
	struct svm_vcpu *s = v->arch;
	v->nested_root = nested_root;
	s->vmcb->control.n_cr3 = svm_ncr3(nested_root);
	/* 15.16.1: translations cached from the old table go before the next
	 * VMRUN; flushing one ASID needs FlushByAsid, flushing all is always
	 * allowed. */
	s->vmcb->control.tlb_control = svm_caps_has(&s->caps, SVM_FEAT_FLUSH_BY_ASID)
	                                   ? TLB_CONTROL_FLUSH_GUEST
	                                   : TLB_CONTROL_FLUSH_ALL;
}

/* Fills e from EXITCODE and EXITINFO1/2 (15.6 "#VMEXIT"). */
static void decode_exit(const struct svm_vcpu *s, struct vm_exit *e)
{
	const struct vmcb_control *c = &s->vmcb->control;
	const u64 info1 = c->exitinfo1, info2 = c->exitinfo2, rip = s->vmcb->save.rip;
	memset(e, 0, sizeof(*e));
	e->raw_reason = svm_raw_of_exitcode(c->exitcode);
	e->kind = svm_exit_kinds[e->raw_reason];
	e->qualification = info1;
	e->insn_len = svm_insn_len[e->raw_reason];
	/* With NRIPS the CPU reports where the intercepted instruction ends
	 * (15.7.1); its length then holds even with prefixes. */
	if (e->insn_len && svm_caps_has(&s->caps, SVM_FEAT_NRIPS) && c->next_rip > rip)
		e->insn_len = (u32)(c->next_rip - rip);
	switch (e->kind) {
	case VMEXIT_NPF:
		e->gpa = info2;
		e->npf.write = info1 & NPF_RW;
		e->npf.fetch = info1 & NPF_ID;
		e->npf.read = !e->npf.write && !e->npf.fetch;
		e->npf.present = info1 & NPF_P;
		e->npf.guest_walk = info1 & NPF_GUEST_PAGE_TABLES;
		break;
	case VMEXIT_IO:
		e->io.port = (u16)((info1 & IOIO_PORT_MASK) >> IOIO_PORT_SHIFT);
		e->io.size = (info1 & IOIO_SZ32) ? 4 : (info1 & IOIO_SZ16) ? 2 : 1;
		e->io.in = info1 & IOIO_TYPE_IN;
		e->io.string = info1 & IOIO_STR;
		e->io.rep = info1 & IOIO_REP;
		e->insn_len = (u32)(info2 - rip); /* EXITINFO2 is the next RIP (15.10.2) */
		break;
	case VMEXIT_CR_ACCESS:
		if ((u32)c->exitcode < SVM_EXIT_CR0_WRITE) {
			e->cr.cr = (u8)((u32)c->exitcode - SVM_EXIT_CR0_READ);
			e->cr.access = CR_OP_READ;
		} else {
			e->cr.cr = (u8)((u32)c->exitcode - SVM_EXIT_CR0_WRITE);
			e->cr.access = CR_OP_WRITE;
		}
		/* Without decode assists and NRIPS (QEMU has neither) the core
		 * reads the instruction for its register and length; it may also
		 * be CLTS or LMSW, which the CR0 write intercept catches too. */
		if ((info1 & SVM_CR_EXITINFO_VALID) && svm_caps_has(&s->caps, SVM_FEAT_NRIPS) &&
		    c->next_rip > rip) {
			e->cr.gpr = (u8)(info1 & SVM_CR_EXITINFO_GPR);
			e->insn_len = (u32)(c->next_rip - rip);
		} else {
			e->cr.needs_decode = true;
		}
		break;
	case VMEXIT_MSR_READ:
		if (info1 == SVM_EXITINFO1_WRMSR)
			e->kind = VMEXIT_MSR_WRITE;
		break;
	case VMEXIT_ENTRY_FAIL:
		e->entry_fail_reason = SVM_RAW_INVALID;
		break;
	default:
		break;
	}
}

/* The host's part of an exit caused by a physical interrupt or an NMI: both
 * stay pending while GIF is 0 (15.17). An interrupt is taken through the
 * host IDT in the one instruction STI leaves interruptible (its handler
 * EOIs it); an NMI is taken there as soon as svm_enter's STGI ran. Returns
 * true when the exit was the host's (the watchdog keeps counting). */
static bool host_event(struct vm_exit *e)
{
	if (e->kind == VMEXIT_EXTERNAL_INTERRUPT) {
		__asm__ volatile("sti; nop; cli" ::: "memory");
		return true;
	}
	return e->kind == VMEXIT_NMI;
}

static int svm_run(struct vcpu *v, struct vm_exit *e)
{
	struct svm_vcpu *s = v->arch;
	struct vmcb *vmcb = s->vmcb;
	vmcb->save.rax = v->regs.rax; /* the core writes the guest's RAX in regs */
	s->entry_rule = svm_check_vmcb(vmcb, &s->caps, &s->entry_detail);
	/* The watchdog's deadline on the host LAPIC timer (with the host tick,
	 * whichever comes first). */
	const u64 t0 = tsc_read();
	u64 deadline = v->wd.budget ? t0 + v->wd.left : 0;
	if (s->timer_deadline && (!deadline || s->timer_deadline < deadline))
		deadline = s->timer_deadline;
	irq_timer_arm(deadline);
	__asm__ volatile("clgi" ::: "memory"); /* holds a test NMI for the guest (15.17) */
	irq_test_before_entry(true);
	irq_guest_switch(true);
	svm_enter(&v->regs, pa_of(vmcb), pa_of(&host_vmsave_area));
	irq_guest_switch(false);
	const u64 t1 = tsc_read();
	v->regs.rax = vmcb->save.rax;
	vmcb->control.tlb_control = TLB_CONTROL_DO_NOTHING;
	vmcb->control.eventinj = 0; /* delivered, or in EXITINTINFO */
	decode_exit(s, e);
	if (e->kind == VMEXIT_EXCEPTION &&
	    (u32)vmcb->control.exitcode == SVM_EXIT_EXCP_BASE + VEC_MC)
		e->kind = VMEXIT_MACHINE_CHECK;
	const bool host = host_event(e);
	/* EXITINTINFO holds an event whose delivery the exit interrupted, in
	 * EVENTINJ's format (15.7.2): after a host interrupt it is delivered at
	 * the next VMRUN. */
	/* A nested fault taken while delivering an event (the guest's IDT or
	 * stack on a copy-on-write, swapped-out or trapped page) is resumed
	 * by the core the same way, or ends the guest. */
	if ((host || e->kind == VMEXIT_NPF) && (vmcb->control.exitintinfo & SVM_EVTINJ_V)) {
		vmcb->control.eventinj = vmcb->control.exitintinfo;
		e->event_redelivered = true;
	}
	if (watchdog_account(&v->wd, t1 - t0, host)) {
		e->kind = VMEXIT_WATCHDOG;
		e->qualification = v->wd.ran;
		return 0;
	}
	/* The host LAPIC timer reached the core's deadline (not the
	 * watchdog's: the budget is not restarted). */
	if (e->kind == VMEXIT_EXTERNAL_INTERRUPT && s->timer_deadline &&
	    tsc_read() >= s->timer_deadline)
		e->kind = VMEXIT_TIMER;
	/* The guest's IRET ends the blocking of an injected NMI (APM 15.20:
	 * the VMCB does not show it): let IRET run, then an NMI may follow. */
	if ((u32)vmcb->control.exitcode == SVM_EXIT_IRET) {
		s->iret_seen = true;
		s->iret_rip = vmcb->save.rip;
		vmcb->control.intercept_misc1 &= ~(u32)SVM_INTERCEPT_IRET;
	} else if (s->iret_seen && vmcb->save.rip != s->iret_rip) {
		s->iret_seen = false;
		s->nmi_masked = false;
	}
	if (e->kind == VMEXIT_ENTRY_FAIL && s->entry_rule != SVM_CHECK_OK)
		con_printf("FAIL: vm-entry: VMRUN refused the VMCB (VMEXIT_INVALID); software "
		           "check of it: %s (%s), value 0x%llx bits 0x%llx\n",
		           svm_check_rule_message(s->entry_rule),
		           svm_check_rule_name(s->entry_rule), s->entry_detail.value,
		           s->entry_detail.bad_bits);
	else if (e->kind == VMEXIT_ENTRY_FAIL)
		/* A VMCB that passes every check: the exit came while the guest ran
		 * (QEMU ends a nested guest so on state it finds illegal), or the
		 * checker misses a rule. */
		con_printf("FAIL: vm-entry: VMEXIT_INVALID at guest RIP 0x%llx, with a VMCB that "
		           "passed every software check before VMRUN: the guest's state became "
		           "illegal while it ran, or a rule is missing from the checker\n",
		           vmcb->save.rip);
	return 0;
}

/* Without NRIPS the host advances RIP itself (15.7.1); the interrupt
 * shadow of a preceding STI or MOV SS covered only that instruction. */
static void svm_skip_insn(struct vcpu *v, const struct vm_exit *e)
{
	struct svm_vcpu *s = v->arch;
	s->vmcb->save.rip += e->insn_len;
	s->vmcb->control.interrupt_shadow &= ~(u64)SVM_INTERRUPT_SHADOW;
}

/* Event injection (15.20): a hardware exception, with its error code only
 * in protected mode, as the VMX backend does (real mode pushes none). */
static void svm_inject_exception(struct vcpu *v, u8 vector, bool has_error, u32 error)
{
	struct svm_vcpu *s = v->arch;
	u64 ev = SVM_EVTINJ_V | SVM_EVTINJ_TYPE(SVM_EVTINJ_TYPE_EXCEPTION) | vector;
	if (has_error && (s->vmcb->save.cr0 & CR0_PE))
		ev |= SVM_EVTINJ_EV | ((u64)error << SVM_EVTINJ_ERROR_SHIFT);
	s->vmcb->control.eventinj = ev;
}

/* The event interface (arch/x86/vcpu.h): EVENTINJ (15.20) for external
 * interrupts (type 0), NMIs (type 2), exceptions (3) and software
 * interrupts (4); the interrupt window through a virtual interrupt
 * (V_IRQ, 15.21.4) that is never taken: the VINTR intercept exits when the
 * guest could take it (RFLAGS.IF = 1, no interrupt shadow). */
static void svm_inject_event(struct vcpu *v, const struct vcpu_event *ev)
{
	struct svm_vcpu *s = v->arch;
	switch (ev->type) {
	case VCPU_EV_EXTINT:
		s->vmcb->control.eventinj =
		    SVM_EVTINJ_V | SVM_EVTINJ_TYPE(SVM_EVTINJ_TYPE_INTR) | ev->vector;
		break;
	case VCPU_EV_NMI:
		s->vmcb->control.eventinj =
		    SVM_EVTINJ_V | SVM_EVTINJ_TYPE(SVM_EVTINJ_TYPE_NMI) | VEC_NMI;
		s->nmi_masked = true;
		s->iret_seen = false;
		s->vmcb->control.intercept_misc1 |= SVM_INTERCEPT_IRET;
		break;
	case VCPU_EV_SW_INT:
		s->vmcb->control.eventinj =
		    SVM_EVTINJ_V | SVM_EVTINJ_TYPE(SVM_EVTINJ_TYPE_SOFT_INT) | ev->vector;
		break;
	default:
		svm_inject_exception(v, ev->vector, ev->has_error, ev->error);
		break;
	}
}

static bool svm_no_shadow_no_event(const struct svm_vcpu *s)
{
	return !(s->vmcb->control.interrupt_shadow & SVM_INTERRUPT_SHADOW) &&
	       !(s->vmcb->control.eventinj & SVM_EVTINJ_V);
}

static bool svm_intr_window_open(struct vcpu *v)
{
	const struct svm_vcpu *s = v->arch;
	return (s->vmcb->save.rflags & RFLAGS_IF) && svm_no_shadow_no_event(s);
}

static bool svm_nmi_window_open(struct vcpu *v)
{
	const struct svm_vcpu *s = v->arch;
	return !s->nmi_masked && svm_no_shadow_no_event(s);
}

static bool svm_interrupts_enabled(struct vcpu *v)
{
	return ((struct svm_vcpu *)v->arch)->vmcb->save.rflags & RFLAGS_IF;
}

static void svm_request_intr_window(struct vcpu *v, bool on)
{
	struct vmcb_control *c = &((struct svm_vcpu *)v->arch)->vmcb->control;
	if (on) {
		/* Highest priority, TPR ignored: only IF and the shadow hold it. */
		c->vintr |= V_IRQ | V_INTR_PRIO_MASK | V_IGN_TPR;
		c->intercept_misc1 |= SVM_INTERCEPT_VINTR;
	} else {
		c->vintr &= ~(u64)(V_IRQ | V_INTR_PRIO_MASK | V_IGN_TPR);
		c->intercept_misc1 &= ~(u32)SVM_INTERCEPT_VINTR;
	}
}

/* On the host LAPIC timer that the watchdog uses too (svm_run arms the
 * earlier of the two). */
static void svm_arm_timer(struct vcpu *v, u64 tsc_deadline)
{
	((struct svm_vcpu *)v->arch)->timer_deadline = tsc_deadline;
}

/* APM Vol. 2, "TSC Offset": VMRUN adds TSC_OFFSET to what RDTSC, RDTSCP
 * and RDMSR of the TSC read in the guest; VMCB clean bits are not used, so
 * the next VMRUN loads it. */
static bool svm_set_tsc_offset(struct vcpu *v, u64 offset)
{
	((struct svm_vcpu *)v->arch)->vmcb->control.tsc_offset = offset;
	return true;
}

static u64 svm_rip(struct vcpu *v)
{
	return ((struct svm_vcpu *)v->arch)->vmcb->save.rip;
}

static u64 svm_rsp(struct vcpu *v)
{
	return ((struct svm_vcpu *)v->arch)->vmcb->save.rsp;
}

static u64 svm_seg_base(struct vcpu *v, unsigned sreg)
{
	const struct vmcb_save *s = &((struct svm_vcpu *)v->arch)->vmcb->save;
	const struct vmcb_seg *segs[] = {&s->es, &s->cs, &s->ss, &s->ds, &s->fs, &s->gs};
	return sreg < ARRAY_SIZE(segs) ? segs[sreg]->base : 0;
}

static u64 svm_cr3(struct vcpu *v)
{
	return ((struct svm_vcpu *)v->arch)->vmcb->save.cr3;
}

/* The VMCB keeps the CPL in a field of its own (Table B-2). */
static unsigned svm_cpl(struct vcpu *v)
{
	return ((struct svm_vcpu *)v->arch)->vmcb->save.cpl;
}

/* 64-bit mode: EFER.LMA and CS.L (APM Vol. 2, 4.8.1). */
static bool svm_in_64bit_mode(struct vcpu *v)
{
	const struct vmcb_save *s = &((struct svm_vcpu *)v->arch)->vmcb->save;
	return (s->efer & EFER_LMA) && (s->cs.attrib & SVM_ATTR_L);
}

static void svm_code_segment(struct vcpu *v, u64 *base, bool *db)
{
	const struct vmcb_save *s = &((struct svm_vcpu *)v->arch)->vmcb->save;
	*base = s->cs.base;
	*db = s->cs.attrib & SVM_ATTR_DB;
}

/* The APM's register numbering (RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI,
 * R8-R15). RAX is regs.rax, kept equal to the VMCB's by svm_run; RSP lives
 * in the VMCB: callers handle 4. */
static u64 *svm_gpr(struct vcpu *v, unsigned n)
{
	u64 *const regs[GPR_COUNT] = {
	    &v->regs.rax, &v->regs.rcx, &v->regs.rdx, &v->regs.rbx, NULL,         &v->regs.rbp,
	    &v->regs.rsi, &v->regs.rdi, &v->regs.r8,  &v->regs.r9,  &v->regs.r10, &v->regs.r11,
	    &v->regs.r12, &v->regs.r13, &v->regs.r14, &v->regs.r15,
	};
	return n < GPR_COUNT ? regs[n] : NULL;
}

/* The CR4 bits this CPU defines: SVM_CR4_DEFINED less the features CPUID
 * does not report. */
static u64 cr4_allowed_bits(void)
{
	const struct cpuid_regs f = cpuid(CPUID_LEAF_FEATURES, 0);
	const struct cpuid_regs s7 = cpuid(0, 0).eax >= CPUID_LEAF_STRUCTURED
	                                 ? cpuid(CPUID_LEAF_STRUCTURED, 0)
	                                 : (struct cpuid_regs){0};
	u64 a = SVM_CR4_DEFINED;
	const struct {
		bool has;
		u64 bit;
	} need[] = {
	    {f.ecx & CPUID_1_ECX_PCID, CR4_PCIDE},         {f.ecx & CPUID_1_ECX_XSAVE, CR4_OSXSAVE},
	    {s7.ebx & CPUID_7_EBX_FSGSBASE, CR4_FSGSBASE}, {s7.ebx & CPUID_7_EBX_SMEP, CR4_SMEP},
	    {s7.ebx & CPUID_7_EBX_SMAP, CR4_SMAP},         {s7.ecx & CPUID_7_ECX_UMIP, CR4_UMIP},
	    {s7.ecx & CPUID_7_ECX_PKU, CR4_PKE},           {s7.ecx & CPUID_7_ECX_CET_SS, CR4_CET},
	    {s7.ecx & CPUID_7_ECX_LA57, CR4_LA57},
	};
	for (unsigned i = 0; i < ARRAY_SIZE(need); i++)
		if (!need[i].has)
			a &= ~need[i].bit;
	return a;
}

/* 15.16.1: cached translations go when the paging controls change, as a
 * MOV to CR0 or CR4 flushes them on the CPU (a MOV to CR3 the non-global
 * ones). */
static void flush_guest_tlb(struct svm_vcpu *s, bool nonglobal)
{
	const bool by_asid = svm_caps_has(&s->caps, SVM_FEAT_FLUSH_BY_ASID);
	if (s->vmcb->control.tlb_control != TLB_CONTROL_DO_NOTHING && nonglobal)
		return; /* a wider flush is already due */
	s->vmcb->control.tlb_control = !by_asid    ? TLB_CONTROL_FLUSH_ALL
	                               : nonglobal ? TLB_CONTROL_FLUSH_GUEST_NONGLOBAL
	                                           : TLB_CONTROL_FLUSH_GUEST;
}

/* MOV to CR0 or CR4, intercepted: the #GP conditions of APM Vol. 3 (MOV CRn)
 * and Vol. 2, 3.1.1, 3.1.3 and 14.6 (long mode activation), then the value
 * goes into the VMCB, and EFER.LMA follows CR0.PG as the CPU would set it. */
static bool svm_write_cr(struct vcpu *v, unsigned cr, u64 val)
{
	struct svm_vcpu *s = v->arch;
	struct vmcb_save *st = &s->vmcb->save;
	const bool lma = st->efer & EFER_LMA;
	if (cr == 0) {
		const bool paging_on = (val & CR0_PG) && !(st->cr0 & CR0_PG);
		if ((val >> 32) || ((val & CR0_NW) && !(val & CR0_CD)) ||
		    ((val & CR0_PG) && !(val & CR0_PE)) ||
		    (paging_on && (st->efer & EFER_LME) && !(st->cr4 & CR4_PAE)) ||
		    (!(val & CR0_PG) && lma && (st->cs.attrib & SVM_ATTR_L)))
			return false;
		if ((val & CR0_PG) && (st->efer & EFER_LME))
			st->efer |= EFER_LMA;
		else if (!(val & CR0_PG))
			st->efer &= ~EFER_LMA;
		if ((val ^ st->cr0) & (CR0_PG | CR0_PE | CR0_WP | CR0_CD))
			flush_guest_tlb(s, false);
		st->cr0 = val | CR0_ET; /* ET is fixed at 1 (3.1.1) */
		return true;
	}
	if (cr == 4) {
		if ((val & ~s->cr4_allowed) || (lma && !(val & CR4_PAE)) ||
		    (lma && ((val ^ st->cr4) & CR4_LA57)) ||
		    ((val & CR4_PCIDE) && !(st->cr4 & CR4_PCIDE) &&
		     (!lma || (st->cr3 & BITS(11, 0)))))
			return false;
		if (val != st->cr4)
			flush_guest_tlb(s, false);
		st->cr4 = val;
		return true;
	}
	if (cr == 3) {
		/* Bits beyond the physical-address width in long mode, bits 63:32
		 * outside it; bit 63 with PCIDE asks for no flush (3.1.2, 5.3.2). */
		const u8 w = s->caps.maxphyaddr ? s->caps.maxphyaddr : ARCH_MAX_PHYADDR;
		const bool keep = (st->cr4 & CR4_PCIDE) && (val & BIT(63));
		const u64 cr3 = keep ? val & ~BIT(63) : val;
		if (lma ? (w < 64 && (cr3 >> w)) : (cr3 >> 32) != 0)
			return false;
		st->cr3 = cr3;
		if (!keep)
			flush_guest_tlb(s, true);
		return true;
	}
	con_printf("svm: unexpected emulation of a write of 0x%llx to CR%u\n", val, cr);
	return false;
}

static u64 svm_read_cr(struct vcpu *v, unsigned cr)
{
	const struct vmcb_save *s = &((struct svm_vcpu *)v->arch)->vmcb->save;
	switch (cr) {
	case 0:
		return s->cr0;
	case 3:
		return s->cr3;
	case 4:
		return s->cr4;
	}
	return 0;
}

/* EFER and PAT are switched by VMRUN (EFER, G_PAT); the guest's accesses
 * exit through the MSRPM and are emulated on the VMCB copies. */
static bool svm_msr(struct vcpu *v, u32 msr, bool write, u64 *val)
{
	struct vmcb_save *s = &((struct svm_vcpu *)v->arch)->vmcb->save;
	switch (msr) {
	case IA32_EFER:
		if (write) {
			/* #GP for bits the guest may not set (SVME too: SVM is not
			 * offered to it), NXE without NX, and a change of LME while
			 * paging is on (Vol. 2, 14.6.1); LMA is the CPU's to set. */
			bool paging = s->cr0 & CR0_PG;
			if ((*val & ~GUEST_EFER_BITS) || ((*val & EFER_NXE) && !x86_has_nx()) ||
			    (paging && ((*val ^ s->efer) & EFER_LME)))
				return false;
			s->efer = (*val & ~EFER_LMA) | (s->efer & EFER_LMA) | EFER_SVME;
		} else {
			*val = s->efer & ~EFER_SVME;
		}
		return true;
	case IA32_TSC:
		if (write)
			return false; /* the guest's TSC is the host's, offset by the VMCB */
		*val = rdtsc() + ((struct svm_vcpu *)v->arch)->vmcb->control.tsc_offset;
		return true;
	case IA32_PAT:
		if (write && !vmx_pat_valid(*val))
			return false; /* #GP, as WRMSR to PAT with a reserved type */
		if (write)
			s->g_pat = *val;
		else
			*val = s->g_pat;
		return true;
	case AMD_PERF_LEGACY_CTL0 ... AMD_PERF_LEGACY_CTR0 + 3:
		/* The four legacy counters exist on every AMD64 CPU (APM Vol. 2, 13.2.1), so
		 * kernels clear them at boot; the guest has no PMU: they read 0, a write of 0
		 * is taken and any other value is refused with #GP rather than never counting. */
		if (write)
			return *val == 0;
		*val = 0;
		return true;
	case AMD_HWCR:
	case AMD_SYSCFG: {
		struct svm_vcpu *sv = v->arch;
		u64 *copy = msr == AMD_HWCR ? &sv->hwcr : &sv->syscfg;
		if (write)
			*copy = *val;
		else
			*val = *copy;
		return true;
	}
	}
	return false;
}

static bool svm_xsetbv(struct vcpu *v, u32 xcr, u64 val)
{
	(void)v;
	return guest_xsetbv(xcr, val);
}

static void svm_dump(struct vcpu *v)
{
	const struct vmcb *vmcb = ((struct svm_vcpu *)v->arch)->vmcb;
	const struct vmcb_control *c = &vmcb->control;
	const struct vmcb_save *s = &vmcb->save;
	const struct guest_regs *r = &v->regs;
	con_printf("  last exit: EXITCODE 0x%llx (%s) EXITINFO1 0x%llx EXITINFO2 0x%llx\n",
	           c->exitcode, svm_exit_name(svm_raw_of_exitcode(c->exitcode)), c->exitinfo1,
	           c->exitinfo2);
	con_printf("  EXITINTINFO 0x%llx EVENTINJ 0x%llx ASID %u N_CR3 0x%llx\n", c->exitintinfo,
	           c->eventinj, c->guest_asid, c->n_cr3);
	con_printf("  rip=%016llx rsp=%016llx rflags=%016llx cpl=%u\n", s->rip, s->rsp, s->rflags,
	           s->cpl);
	con_printf("  cr0=%016llx cr3=%016llx cr4=%016llx efer=%016llx\n", s->cr0, s->cr3, s->cr4,
	           s->efer);
	con_printf("  cs=%04x attr=%03x ss=%04x attr=%03x cr2=%016llx\n", s->cs.selector,
	           s->cs.attrib, s->ss.selector, s->ss.attrib, s->cr2);
	guest_regs_print(r);
}

const struct vcpu_ops svm_vcpu_ops = {
    .name = "svm",
    .watchdog_timer = "local APIC timer",
    .nested_fault_name = "nested page fault",
    .nested_format = NESTED_FORMAT_NPT,
    .create = svm_create,
    .run = svm_run,
    .skip_insn = svm_skip_insn,
    .set_nested_root = svm_set_nested_root,
    .inject_exception = svm_inject_exception,
    .inject_event = svm_inject_event,
    .intr_window_open = svm_intr_window_open,
    .request_intr_window = svm_request_intr_window,
    .nmi_window_open = svm_nmi_window_open,
    .interrupts_enabled = svm_interrupts_enabled,
    .arm_timer = svm_arm_timer,
    .set_tsc_offset = svm_set_tsc_offset,
    .rip = svm_rip,
    .rsp = svm_rsp,
    .seg_base = svm_seg_base,
    .cr3 = svm_cr3,
    .cpl = svm_cpl,
    .in_64bit_mode = svm_in_64bit_mode,
    .code_segment = svm_code_segment,
    .dump = svm_dump,
    .gpr = svm_gpr,
    .write_cr = svm_write_cr,
    /* .set_pdptes: none. The VMCB has no PDPTE fields; with nested paging the CPU reads a
     * PAE guest's PDPTEs from guest memory itself (APM Vol. 2, 15.25). */
    .read_cr = svm_read_cr,
    .msr = svm_msr,
    .xsetbv = svm_xsetbv,
    .exit_name = svm_exit_name,
};
