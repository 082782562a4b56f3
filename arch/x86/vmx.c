/* VMX backend (Intel SDM Vol. 3C, chapters 24-29). One vCPU per physical
 * CPU; its VMCS is built as a struct vmcs_state, checked in software by
 * arch/x86/vmx_check.c and only then written and launched. */
#include "arch/x86/vmx.h"

#include "arch/x86/cpu.h"
#include "arch/x86/vcpu_common.h"
#include "arch/x86/desc.h"
#include "arch/x86/ept.h"
#include "arch/x86/irq.h"
#include "arch/x86/tsc.h"
#include "arch/x86/msr.h"
#include "arch/x86/pmu.h"
#include "arch/x86/vmcs.h"
#include "arch/x86/vmx_check.h"
#include "arch/x86/vmx_defs.h"
#include "arch/x86/vcpu.h"
#include "lib/console.h"
#include "lib/fmt.h"
#include "lib/mem.h"

_Static_assert(VMCS_HOST_RSP == 0x6c14, "ENC_HOST_RSP in vmx_entry.S");
_Static_assert((int)CR_ACCESS_MOV_TO_CR == CR_OP_WRITE &&
                   (int)CR_ACCESS_MOV_FROM_CR == CR_OP_READ && (int)CR_ACCESS_CLTS == CR_OP_CLTS &&
                   (int)CR_ACCESS_LMSW == CR_OP_LMSW,
               "the exit qualification's access types are enum cr_op");

#define MSR_BITMAP_READ_LOW   0
#define MSR_BITMAP_READ_HIGH  1024
#define MSR_BITMAP_WRITE_LOW  2048
#define MSR_BITMAP_WRITE_HIGH 3072
#define MSR_HIGH_BASE         0xc0000000u
#define MSR_RANGE             0x2000u /* MSRs per bitmap half: 0-1FFFH, C0000000H-C0001FFFH */
#define GPR_COUNT             16
#define GUEST_VPID            1
#define DR7_INIT              0x400 /* DR7 after reset (SDM Vol. 3B, 18.2.4) */
/* The flat segments of a Multiboot start (Multiboot spec 3.2): the selector
 * values are the guest's business, the spec fixes only base and limit. */
#define GUEST_SEL_CODE      0x08
#define GUEST_SEL_DATA      0x10
#define SEG_LIMIT_4G        0xffffffffu
#define GUEST_TR_LIMIT      0xff   /* a minimal TSS, never used */
#define GUEST_DTR_LIMIT     0xffff /* GDTR/IDTR: the reset value (SDM Vol. 3A, 10.1.1) */
#define MSR_BITMAP_ALL_EXIT 0xff
/* A 64-bit RIP whose bits 63:47 differ: the first non-canonical address. */
#define NONCANONICAL_RIP (1ULL << 47)
#define EPTP_MT_WC       1ULL /* write-combining: never valid for an EPTP (SDM 25.6.11) */
#define EPTP_WALK_3      (2ULL << EPTP_WALK_SHIFT)
#define INT_N_LENGTH     2 /* bytes of INT imm8 (CD ib) */

int vmx_enter(struct guest_regs *regs, int launched);

extern const u8 vmx_exit_entry[];

static u8 vmxon_region[4096] __attribute__((aligned(4096)));
static u8 vmcs_region[4096] __attribute__((aligned(4096)));
static u8 msr_bitmap[4096] __attribute__((aligned(4096)));

struct vmx_vcpu {
	struct vmx_caps caps;
	struct vmcs_state st; /* as written at launch; not kept in sync after */
	bool launched;
	bool ack_on_exit;      /* the exit acknowledged the interrupt and carries its vector */
	bool preempt_watchdog; /* the watchdog runs on the VMX-preemption timer */
	unsigned preempt_rate; /* the timer counts TSC >> this (IA32_VMX_MISC[4:0]) */
	/* arm_timer: the host TSC at which the core wants VMEXIT_TIMER (0
	 * none), on the VMX-preemption timer where the CPU has one
	 * (timer_preempt), else on the host LAPIC timer. */
	u64 timer_deadline;
	bool timer_preempt;
};
static struct vmx_vcpu the_vcpu;
static struct vmx_caps vmx_caps_cur;

/* ---- VMX instructions (SDM Vol. 3C, 31.3) ---- */

static inline bool vmx_ok_flags(u8 fail)
{
	return !fail;
}

static inline bool vmxon(u64 pa)
{
	u8 fail;
	__asm__ volatile("vmxon %1; setbe %0" : "=q"(fail) : "m"(pa) : "cc", "memory");
	return vmx_ok_flags(fail);
}

static inline bool vmclear(u64 pa)
{
	u8 fail;
	__asm__ volatile("vmclear %1; setbe %0" : "=q"(fail) : "m"(pa) : "cc", "memory");
	return vmx_ok_flags(fail);
}

static inline bool vmptrld(u64 pa)
{
	u8 fail;
	__asm__ volatile("vmptrld %1; setbe %0" : "=q"(fail) : "m"(pa) : "cc", "memory");
	return vmx_ok_flags(fail);
}

static inline u64 vmread(u64 field)
{
	u64 v = 0;
	__asm__ volatile("vmread %1, %0" : "=r"(v) : "r"(field) : "cc");
	return v;
}

static inline bool vmwrite(u64 field, u64 v)
{
	u8 fail;
	__asm__ volatile("vmwrite %1, %2; setbe %0" : "=q"(fail) : "r"(v), "r"(field) : "cc");
	return vmx_ok_flags(fail);
}

static inline bool invept(u64 type, u64 eptp)
{
	struct {
		u64 eptp, reserved;
	} desc = {eptp, 0};
	u8 fail;
	__asm__ volatile("invept %1, %2; setbe %0"
	                 : "=q"(fail)
	                 : "m"(desc), "r"(type)
	                 : "cc", "memory");
	return vmx_ok_flags(fail);
}

static inline bool invvpid(u64 type, u16 vpid)
{
	struct {
		u64 vpid, linear;
	} desc = {vpid, 0};
	u8 fail;
	__asm__ volatile("invvpid %1, %2; setbe %0"
	                 : "=q"(fail)
	                 : "m"(desc), "r"(type)
	                 : "cc", "memory");
	return vmx_ok_flags(fail);
}

/* An emulated MOV to CR0, CR3 or CR4 flushes the guest's linear
 * translations as the instruction would on the CPU (SDM Vol. 3A 4.10.4.1):
 * VM exits and entries keep those tagged with the VPID (28.3.3.3), so the
 * INVVPID the VMM owes them. nonglobal: a CR3 load, which keeps global
 * pages where the CPU can tell them apart. */
static void flush_guest_linear(const struct vmx_vcpu *x, bool nonglobal)
{
	const u64 cap = x->caps.ept_vpid_cap;
	if (!(x->st.secondary_vm_exec_control & SEC_ENABLE_VPID))
		return; /* without VPIDs every entry and exit flushes them */
	if (nonglobal && (cap & VMX_VPID_INVVPID_SINGLE_CONTEXT_GLOBALS))
		invvpid(INVVPID_SINGLE_CONTEXT_RETAINING_GLOBALS, GUEST_VPID);
	else if (cap & VMX_VPID_INVVPID_SINGLE_CONTEXT)
		invvpid(INVVPID_SINGLE_CONTEXT, GUEST_VPID);
	else
		invvpid(INVVPID_ALL_CONTEXT, 0);
}

const char *vmx_strerror(enum vmx_status s)
{
	switch (s) {
	case VMX_OK:
		return "ok";
	case VMX_ERR_NO_VMX:
		return "VT-x not available (CPUID.1:ECX.VMX = 0)";
	case VMX_ERR_FIRMWARE_LOCKED:
		return "VT-x disabled by firmware (IA32_FEATURE_CONTROL locked without VMX)";
	case VMX_ERR_MISSING_FEATURE:
		return "a required VT-x feature is missing";
	case VMX_ERR_VMXON:
		return "VMXON failed";
	}
	return "unknown VMX error";
}

/* ---- Capabilities (SDM Vol. 3D, Appendix A) ---- */

enum vmx_status vmx_probe(struct vmx_caps *caps)
{
	memset(caps, 0, sizeof(*caps));
	if (!(cpuid(CPUID_LEAF_FEATURES, 0).ecx & CPUID_1_ECX_VMX))
		return VMX_ERR_NO_VMX;
	caps->basic = rdmsr(IA32_VMX_BASIC);
	caps->pinbased_ctls = rdmsr(IA32_VMX_PINBASED_CTLS);
	caps->procbased_ctls = rdmsr(IA32_VMX_PROCBASED_CTLS);
	caps->exit_ctls = rdmsr(IA32_VMX_EXIT_CTLS);
	caps->entry_ctls = rdmsr(IA32_VMX_ENTRY_CTLS);
	if (caps->basic & VMX_BASIC_TRUE_CTLS) {
		caps->true_pinbased_ctls = rdmsr(IA32_VMX_TRUE_PINBASED_CTLS);
		caps->true_procbased_ctls = rdmsr(IA32_VMX_TRUE_PROCBASED_CTLS);
		caps->true_exit_ctls = rdmsr(IA32_VMX_TRUE_EXIT_CTLS);
		caps->true_entry_ctls = rdmsr(IA32_VMX_TRUE_ENTRY_CTLS);
	}
	/* PROCBASED_CTLS2 and EPT_VPID_CAP exist only when their allowed-1
	 * bits say so (SDM A.3.3, A.10). */
	if (vmx_ctl_may_be_1(caps->procbased_ctls) & CPU_ACTIVATE_SECONDARY_CONTROLS) {
		caps->procbased_ctls2 = rdmsr(IA32_VMX_PROCBASED_CTLS2);
		if (vmx_ctl_may_be_1(caps->procbased_ctls2) & (SEC_ENABLE_EPT | SEC_ENABLE_VPID))
			caps->ept_vpid_cap = rdmsr(IA32_VMX_EPT_VPID_CAP);
	}
	caps->misc = rdmsr(IA32_VMX_MISC);
	caps->cr0_fixed0 = rdmsr(IA32_VMX_CR0_FIXED0);
	caps->cr0_fixed1 = rdmsr(IA32_VMX_CR0_FIXED1);
	caps->cr4_fixed0 = rdmsr(IA32_VMX_CR4_FIXED0);
	caps->cr4_fixed1 = rdmsr(IA32_VMX_CR4_FIXED1);
	caps->maxphyaddr = cpuid(CPUID_LEAF_ADDR_SIZES, 0).eax & CPUID_80000008_EAX_MAXPHYADDR_MASK;
	/* The bits of IA32_PERF_GLOBAL_CTRL this CPU defines (CPUID.0AH), for
	 * the entry checks of its VMCS fields. Leaf 0 EAX: the highest leaf. */
	if (cpuid(0, 0).eax >= CPUID_LEAF_PERFMON) {
		const struct cpuid_regs pm = cpuid(CPUID_LEAF_PERFMON, 0);
		caps->perf_global_ctrl_defined = vmx_perf_global_ctrl_defined(pm.eax, pm.edx);
	}
	return VMX_OK;
}

u64 vmx_max_ept_page(const struct vmx_caps *caps)
{
	if (vmx_caps_has(caps, VMX_FEAT_EPT_1GB_PAGES))
		return PAGE_SIZE_1G;
	if (vmx_caps_has(caps, VMX_FEAT_EPT_2MB_PAGES))
		return PAGE_SIZE_2M;
	return PAGE_SIZE_4K;
}

bool vmx_ept_ad_supported(const struct vmx_caps *caps)
{
	return vmx_caps_has(caps, VMX_FEAT_EPT_AD);
}

/* SDM 24.7 "Enabling and Entering VMX Operation", 24.8 "Restrictions on VMX
 * Operation" (fixed CR0/CR4 bits), 24.11.5 (VMXON region). */
enum vmx_status vmx_enable(const struct vmx_caps *caps, bool verbose)
{
	struct vmx_feature_check list[VMX_FEAT_COUNT];
	unsigned missing = vmx_caps_checklist(caps, list);
	if (verbose)
		vmx_caps_print_checklist(list, VMX_FEAT_COUNT);
	if (missing)
		return VMX_ERR_MISSING_FEATURE;

	u64 fc = rdmsr(IA32_FEATURE_CONTROL);
	if (!(fc & FEATURE_CONTROL_LOCK)) {
		fc |= FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX_OUTSIDE_SMX;
		wrmsr(IA32_FEATURE_CONTROL, fc);
	}
	if (!(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX))
		return VMX_ERR_FIRMWARE_LOCKED;

	write_cr0((read_cr0() | caps->cr0_fixed0) & caps->cr0_fixed1);
	write_cr4((read_cr4() | CR4_VMXE | caps->cr4_fixed0) & caps->cr4_fixed1);

	memset(vmxon_region, 0, sizeof(vmxon_region));
	*(u32 *)vmxon_region = vmx_basic_revision(caps->basic);
	if (!vmxon((u64)(uintptr_t)vmxon_region))
		return VMX_ERR_VMXON;
	vmx_caps_cur = *caps;
	return VMX_OK;
}

/* ---- VMCS construction ---- */

static void msr_bitmap_allow(u32 msr, bool read, bool write)
{
	if (msr >= MSR_RANGE && (msr < MSR_HIGH_BASE || msr - MSR_HIGH_BASE >= MSR_RANGE))
		return; /* outside both ranges: always exits */
	u32 base_r = MSR_BITMAP_READ_LOW, base_w = MSR_BITMAP_WRITE_LOW, idx = msr;
	if (msr >= MSR_HIGH_BASE) {
		base_r = MSR_BITMAP_READ_HIGH;
		base_w = MSR_BITMAP_WRITE_HIGH;
		idx = msr - MSR_HIGH_BASE;
	}
	if (read)
		msr_bitmap[base_r + idx / 8] &= (u8) ~(1u << (idx % 8));
	if (write)
		msr_bitmap[base_w + idx / 8] &= (u8) ~(1u << (idx % 8));
}

/* SDM 25.6.9 "MSR-Bitmap Address": every MSR exits except those whose
 * state the guest may own without harm to the host. FS/GS base and
 * SYSENTER are switched by the VMCS; KERNEL_GS_BASE, STAR, LSTAR, CSTAR
 * and FMASK are not, which is harmless only because the hypervisor never
 * uses SYSCALL or SWAPGS. TSC_AUX exits: the platform gives it only where
 * RDTSCP is offered (hv/platform/tsc.h), never the host's. */
static void msr_bitmap_init(void)
{
	memset(msr_bitmap, MSR_BITMAP_ALL_EXIT, sizeof(msr_bitmap));
	static const u32 passthrough[] = {
	    IA32_FS_BASE,     IA32_GS_BASE,      IA32_KERNEL_GS_BASE, IA32_STAR,
	    IA32_LSTAR,       IA32_CSTAR,        IA32_FMASK,          IA32_SYSENTER_CS,
	    IA32_SYSENTER_ESP, IA32_SYSENTER_EIP,
	};
	for (unsigned i = 0; i < ARRAY_SIZE(passthrough); i++)
		msr_bitmap_allow(passthrough[i], true, true);
	msr_bitmap_allow(IA32_TSC, true, false);
}

static u32 ctl(const struct vmx_caps *caps, enum vmx_ctl_kind kind, u32 wanted, bool *ok)
{
	u32 not_allowed = 0;
	u32 v = vmx_caps_ctl_compute(caps, kind, wanted, &not_allowed);
	if (not_allowed) {
		con_printf("FAIL: vmx-controls: %s: wanted bits 0x%x not allowed by the CPU\n",
		           vmx_ctl_kind_name(kind), not_allowed);
		*ok = false;
	}
	return v;
}

static struct vmcs_segment flat_segment(u16 sel, u32 type)
{
	return (struct vmcs_segment){
	    .selector = sel,
	    .base = 0,
	    .limit = SEG_LIMIT_4G,
	    .ar = type | AR_S | AR_P | AR_DB | AR_G,
	};
}

/* Fills st for a guest entered as Multiboot v1 says (Multiboot spec 3.2:
 * 32-bit protected mode, paging off, flat CS and data segments), or as the
 * Linux boot protocol's 64-bit entry says (start->long_mode: IA-32e mode,
 * paging on with the loader's tables, a 64-bit CS from the loader's GDT). */
static bool vmcs_build(struct vmcs_state *st, const struct vmx_caps *caps,
                       const struct vcpu_start *start, u64 eptp)
{
	bool ok = true;
	memset(st, 0, sizeof(*st));

	/* 25.6 VM-execution controls. */
	st->pin_based_vm_exec_control = ctl(caps, VMX_CTL_PINBASED, 0, &ok);
	u32 primary = CPU_HLT_EXITING | CPU_UNCONDITIONAL_IO_EXITING | CPU_USE_MSR_BITMAPS |
	              CPU_ACTIVATE_SECONDARY_CONTROLS;
	/* 25.6.5: TSC offsetting where the CPU allows it, offset 0 until the
	 * guest writes its TSC (vmx_set_tsc_offset). */
	if (vmx_ctl_may_be_1(vmx_caps_ctl_msr(caps, VMX_CTL_PROCBASED)) & CPU_USE_TSC_OFFSETTING)
		primary |= CPU_USE_TSC_OFFSETTING;
	/* 25.6.2: MOV to and from CR8 exit, so that a 64-bit guest's CR8 is its
	 * own APIC's TPR (hv/vm/apic_vm.c), never the host's. */
	primary |= CPU_CR8_LOAD_EXITING | CPU_CR8_STORE_EXITING;
	st->primary_vm_exec_control = ctl(caps, VMX_CTL_PROCBASED, primary, &ok);
	u32 sec = SEC_ENABLE_EPT | SEC_UNRESTRICTED_GUEST;
	/* VPIDs only with INVVPID, which emulated CR writes need (flush_guest_linear). */
	if (vmx_caps_has(caps, VMX_FEAT_VPID) && vmx_caps_has(caps, VMX_FEAT_INVVPID))
		sec |= SEC_ENABLE_VPID;
	st->secondary_vm_exec_control = ctl(caps, VMX_CTL_PROCBASED2, sec, &ok);
	st->exception_bitmap = 0;
	st->cr3_target_count = 0;
	/* CR0.NE must stay 1 in VMX operation (IA32_VMX_CR0_FIXED0) and CR4.VMXE
	 * too; the guest sees its own values through the read shadows. With
	 * unrestricted guest, PE and PG are the guest's own. */
	st->cr0_guest_host_mask = caps->cr0_fixed0 & ~(CR0_PE | CR0_PG);
	st->cr0_read_shadow = start->cr0;
	st->cr4_guest_host_mask = caps->cr4_fixed0 | CR4_VMXE;
	st->cr4_read_shadow = start->cr4;
	st->msr_bitmaps = (u64)(uintptr_t)msr_bitmap;
	st->virtual_processor_id = GUEST_VPID;
	st->ept_pointer = eptp;

	/* 25.7 VM-exit controls. */
	st->vm_exit_controls =
	    ctl(caps, VMX_CTL_EXIT,
	        EXIT_HOST_ADDRESS_SPACE_SIZE | EXIT_SAVE_IA32_EFER | EXIT_LOAD_IA32_EFER |
	            EXIT_SAVE_IA32_PAT | EXIT_LOAD_IA32_PAT,
	        &ok);
	/* 25.8 VM-entry controls: a Multiboot guest starts outside IA-32e mode; a 64-bit start
	 * (the Linux boot protocol) in it, the control equal to the guest's EFER.LMA (27.3.1.1). */
	st->vm_entry_controls = ctl(caps, VMX_CTL_ENTRY,
	                            ENTRY_LOAD_IA32_EFER | ENTRY_LOAD_IA32_PAT |
	                                (start->long_mode ? ENTRY_IA32E_MODE_GUEST : 0),
	                            &ok);

	/* 25.5 Host-state area: this CPU as it runs now. */
	st->host_cr0 = read_cr0();
	st->host_cr3 = read_cr3();
	st->host_cr4 = read_cr4();
	st->host_rip = (u64)(uintptr_t)vmx_exit_entry; /* host_rsp is written by vmx_enter */
	st->host_cs_selector = SEL_CODE64;
	st->host_ss_selector = SEL_DATA;
	st->host_ds_selector = SEL_DATA;
	st->host_es_selector = SEL_DATA;
	st->host_tr_selector = SEL_TSS;
	st->host_tr_base = desc_tss_base();
	st->host_gdtr_base = desc_gdt_base();
	st->host_idtr_base = desc_idt_base();
	st->host_ia32_pat = rdmsr(IA32_PAT);
	st->host_ia32_efer = rdmsr(IA32_EFER);

	/* 25.4 Guest-state area. */
	st->guest_cr0 = (start->cr0 | caps->cr0_fixed0) & ~(u64)(CR0_PG)&caps->cr0_fixed1;
	st->guest_cr0 |= start->cr0 & CR0_PG;
	st->guest_cr3 = start->cr3;
	st->guest_cr4 = (start->cr4 | caps->cr4_fixed0 | CR4_VMXE) & caps->cr4_fixed1;
	st->guest_dr7 = DR7_INIT;
	st->guest_rsp = start->rsp;
	st->guest_rip = start->rip;
	st->guest_rflags = start->rflags | RFLAGS_FIXED1;
	st->guest_cs = flat_segment(start->code_sel ? start->code_sel : GUEST_SEL_CODE,
	                            SEG_TYPE_CODE_XR_ACCESSED);
	/* 27.3.1.2: in IA-32e mode CS.L = 1 gives 64-bit mode, and then CS.D must be 0. */
	if (start->long_mode)
		st->guest_cs.ar = (st->guest_cs.ar & ~AR_DB) | AR_L;
	st->guest_ss = flat_segment(start->data_sel ? start->data_sel : GUEST_SEL_DATA,
	                            SEG_TYPE_DATA_RW_ACCESSED);
	st->guest_ds = st->guest_ss;
	st->guest_es = st->guest_ss;
	st->guest_fs = st->guest_ss;
	st->guest_gs = st->guest_ss;
	st->guest_ldtr = (struct vmcs_segment){.ar = AR_UNUSABLE};
	/* TR must be a usable busy TSS even in a guest that never uses one
	 * (SDM 27.3.1.2). */
	st->guest_tr =
	    (struct vmcs_segment){.limit = GUEST_TR_LIMIT, .ar = SEG_TYPE_TSS_BUSY | AR_P};
	st->guest_gdtr_base = start->gdt_base;
	st->guest_gdtr_limit = start->gdt_base ? start->gdt_limit : GUEST_DTR_LIMIT;
	st->guest_idtr_limit = GUEST_DTR_LIMIT;
	st->guest_ia32_pat = PAT_POWER_ON_VALUE;
	st->guest_ia32_efer = start->efer;
	st->guest_activity_state = 0;
	st->link_pointer = VMCS_LINK_POINTER_NONE;
	return ok;
}

static bool vmcs_write_all(const struct vmcs_state *st)
{
	bool ok = true;
	u32 sec = st->secondary_vm_exec_control;
#define W(enc, m, needs)                                                                           \
	if (!(needs) || (sec & (needs))) {                                                         \
		if (!vmwrite((enc), (u64)(st->m))) {                                               \
			con_printf("FAIL: vmwrite: field 0x%x (%s) refused\n", (unsigned)(enc),    \
			           #m);                                                            \
			ok = false;                                                                \
		}                                                                                  \
	}
	VMCS_STATE_FIELDS(W)
#undef W
	return ok;
}

/* ---- The software entry checker on this CPU's own capabilities ---- */

struct entry_case {
	const char *name;
	enum vmx_check_rule expect;
	void (*mutate)(struct vmcs_state *st, const struct vmx_caps *caps);
};

/* A 64-bit guest (IA-32e mode, paging on, CS.L) as a base for the 64-bit rules. */
static void make_64bit(struct vmcs_state *st)
{
	st->vm_entry_controls |= ENTRY_IA32E_MODE_GUEST;
	st->guest_cr0 |= CR0_PG;
	st->guest_cr4 |= CR4_PAE;
	st->guest_ia32_efer |= EFER_LME | EFER_LMA;
	st->guest_cs.ar = (st->guest_cs.ar & ~AR_DB) | AR_L;
}

static void mut_cs_l_and_d(struct vmcs_state *st, const struct vmx_caps *c)
{
	(void)c;
	make_64bit(st);
	st->guest_cs.ar |= AR_DB;
}

static void mut_rip_noncanonical(struct vmcs_state *st, const struct vmx_caps *c)
{
	(void)c;
	make_64bit(st);
	st->guest_rip = NONCANONICAL_RIP;
}

static void mut_cr0_fixed(struct vmcs_state *st, const struct vmx_caps *c)
{
	st->guest_cr0 &= ~(c->cr0_fixed0 & ~(u64)(CR0_PE | CR0_PG));
}

static void mut_cr4_fixed(struct vmcs_state *st, const struct vmx_caps *c)
{
	st->guest_cr4 &= ~c->cr4_fixed0;
}

static void mut_eptp_type(struct vmcs_state *st, const struct vmx_caps *c)
{
	(void)c;
	st->ept_pointer = (st->ept_pointer & ~EPTP_MT_MASK) | EPTP_MT_WC;
}

static void mut_eptp_walk(struct vmcs_state *st, const struct vmx_caps *c)
{
	(void)c;
	st->ept_pointer = (st->ept_pointer & ~EPTP_WALK_MASK) | EPTP_WALK_3;
}

static void mut_control_bit(struct vmcs_state *st, const struct vmx_caps *c)
{
	u32 may = vmx_ctl_may_be_1(vmx_caps_ctl_msr(c, VMX_CTL_PROCBASED));
	for (unsigned b = 0; b < 32; b++) {
		if (!(may & (1u << b))) {
			st->primary_vm_exec_control |= 1u << b;
			return;
		}
	}
}

static const struct entry_case entry_cases[] = {
    {"vmcheck-cs-l-with-cs-d", VMX_CHECK_GUEST_CS_L_AND_DB, mut_cs_l_and_d},
    {"vmcheck-rip-noncanonical", VMX_CHECK_GUEST_RIP_CANONICAL, mut_rip_noncanonical},
    {"vmcheck-cr0-fixed-bits", VMX_CHECK_GUEST_CR0_FIXED, mut_cr0_fixed},
    {"vmcheck-cr4-fixed-bits", VMX_CHECK_GUEST_CR4_FIXED, mut_cr4_fixed},
    {"vmcheck-eptp-memory-type", VMX_CHECK_EPTP_MEMORY_TYPE, mut_eptp_type},
    {"vmcheck-eptp-walk-length", VMX_CHECK_EPTP_WALK_LENGTH, mut_eptp_walk},
    {"vmcheck-control-not-allowed", VMX_CHECK_PROC_CONTROLS, mut_control_bit},
};

/* The case named by vm_entry_test= (without its "vmcheck-" prefix). */
static const struct entry_case *entry_case_named(const char *name)
{
	for (unsigned i = 0; i < ARRAY_SIZE(entry_cases); i++)
		if (!strcmp(entry_cases[i].name + strlen("vmcheck-"), name))
			return &entry_cases[i];
	return NULL;
}

bool vmx_entry_test_known(const char *name)
{
	return !*name || entry_case_named(name);
}

void vmx_entry_test_list(char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < ARRAY_SIZE(entry_cases) && n < size; i++)
		n += fmt_snprintf(buf + n, size - n, "%s%s", i ? ", " : "",
		                  entry_cases[i].name + strlen("vmcheck-"));
}

/* The host owns physical interrupts and NMIs that arrive in guest mode
 * (SDM 25.6.1 pin-based controls; 28.2.2 exit information): external-
 * interrupt exiting and NMI exiting, "acknowledge interrupt on exit" where
 * the CPU allows it (25.7.1) so that the exit carries the vector, and #MC
 * in the exception bitmap (25.6.3) so that a machine check in guest mode
 * comes to the host. The watchdog (arch/x86/watchdog.h) runs on the
 * VMX-preemption timer (26.5.1), loaded at every entry with what is left. */
static bool host_interrupt_controls(struct vmx_vcpu *x, struct vcpu *v)
{
	static const struct {
		u32 bit;
		const char *name;
	} pin_wanted[] = {
	    {PIN_EXTERNAL_INTERRUPT_EXITING, "external-interrupt exiting"},
	    {PIN_NMI_EXITING, "NMI exiting"},
	};
	const u32 pin_may = vmx_ctl_may_be_1(vmx_caps_ctl_msr(&x->caps, VMX_CTL_PINBASED));
	bool ok = true;
	for (unsigned i = 0; i < ARRAY_SIZE(pin_wanted); i++) {
		if (pin_may & pin_wanted[i].bit) {
			x->st.pin_based_vm_exec_control |= pin_wanted[i].bit;
			continue;
		}
		con_printf("FAIL: vmx-controls: pin-based control %s (bit 0x%x) is not allowed by "
		           "IA32_VMX_%sPINBASED_CTLS: the host cannot own its interrupts\n",
		           pin_wanted[i].name, pin_wanted[i].bit,
		           vmx_caps_has(&x->caps, VMX_FEAT_TRUE_CONTROLS) ? "TRUE_" : "");
		ok = false;
	}
	const u32 exit_may = vmx_ctl_may_be_1(vmx_caps_ctl_msr(&x->caps, VMX_CTL_EXIT));
	x->ack_on_exit = exit_may & EXIT_ACK_INTERRUPT_ON_EXIT;
	if (x->ack_on_exit)
		x->st.vm_exit_controls |= EXIT_ACK_INTERRUPT_ON_EXIT;
	else
		con_printf(
		    "vmx: no \"acknowledge interrupt on exit\": an interrupt that exits stays "
		    "pending and the host takes it through its IDT\n");
	x->st.exception_bitmap |= BIT(VEC_MC);

	x->preempt_rate = (unsigned)(x->caps.misc & VMX_MISC_PREEMPT_TIMER_RATE_MASK);
	x->preempt_watchdog = v->wd.budget && vmx_caps_has(&x->caps, VMX_FEAT_PREEMPTION_TIMER);
	if (x->preempt_watchdog) {
		x->st.pin_based_vm_exec_control |= PIN_ACTIVATE_PREEMPTION_TIMER;
		con_printf("watchdog: %llu TSC cycles of guest time without an exit other than a "
		           "host interrupt end the guest (VMX-preemption timer, TSC >> %u)\n",
		           v->wd.budget, x->preempt_rate);
	} else if (v->wd.budget) {
		con_printf("watchdog: this CPU has no VMX-preemption timer; a guest that never "
		           "exits runs until the emulator's timeout\n");
	}
	irq_host_setup(v->host_tick_ms);
	return ok;
}

static int vmx_create(struct vcpu *v, const struct vcpu_start *start, u64 nested_root)
{
	struct vmx_vcpu *x = &the_vcpu;
	memset(x, 0, sizeof(*x));
	x->caps = vmx_caps_cur;
	v->arch = x;
	v->nested_root = nested_root;
	v->regs.rax = start->rax;
	v->regs.rbx = start->rbx;
	v->regs.rsi = start->rsi;
	msr_bitmap_init();

	u64 eptp = ept_eptp(nested_root, v->nested_ad);
	if (!vmcs_build(&x->st, &x->caps, start, eptp))
		return -1;
	/* Guest-only PMU counting (arch/x86/pmu.h): the VM-entry and VM-exit
	 * loads of IA32_PERF_GLOBAL_CTRL (SDM 25.7.1, 25.8.1; 27.3.2.1,
	 * 28.5.1). Where the CPU forbids them the PMU is turned off by name. */
	struct pmu_vmx_ctrl pmu_ctl;
	struct pmu *pmu = pmu_current();
	const bool pmu_was_active = pmu->active;
	if (pmu_vmx_guest_only(pmu, vmx_caps_ctl_msr(&x->caps, VMX_CTL_ENTRY),
	                       vmx_caps_ctl_msr(&x->caps, VMX_CTL_EXIT),
	                       x->caps.basic & VMX_BASIC_TRUE_CTLS, &pmu_ctl)) {
		x->st.vm_entry_controls |= pmu_ctl.entry_ctls;
		x->st.vm_exit_controls |= pmu_ctl.exit_ctls;
		/* Mirrored for the software entry checker (SDM 27.2.2, 27.3.1.1). */
		x->st.guest_ia32_perf_global_ctrl = pmu_ctl.guest_global_ctrl;
		x->st.host_ia32_perf_global_ctrl = pmu_ctl.host_global_ctrl;
	} else if (pmu_was_active) {
		pmu_print(pmu);
	}
	if (!host_interrupt_controls(x, v))
		return -1;

	const struct entry_case *test = v->entry_test[0] ? entry_case_named(v->entry_test) : NULL;
	if (test) {
		/* Test only: hand the CPU a VMCS that breaks one rule, to show how
		 * a refused entry is reported. */
		test->mutate(&x->st, &x->caps);
		con_printf("vm_entry_test=%s: breaking %s; the software checker is bypassed\n",
		           v->entry_test, vmx_check_rule_message(test->expect));
	}
	struct vmx_check_detail d;
	enum vmx_check_rule rule = test ? VMX_CHECK_OK : vmx_check_entry(&x->st, &x->caps, &d);
	if (rule != VMX_CHECK_OK) {
		con_printf("FAIL: vm-entry-check: %s (%s): field 0x%x value 0x%llx bits 0x%llx\n",
		           vmx_check_rule_message(rule), vmx_check_rule_name(rule),
		           (unsigned)d.field, d.value, d.bad_bits);
		return -1;
	}

	memset(vmcs_region, 0, sizeof(vmcs_region));
	*(u32 *)vmcs_region = vmx_basic_revision(x->caps.basic);
	u64 pa = (u64)(uintptr_t)vmcs_region;
	if (!vmclear(pa) || !vmptrld(pa)) {
		con_printf("FAIL: vmcs: VMCLEAR/VMPTRLD of 0x%llx failed\n", pa);
		return -1;
	}
	if (!vmcs_write_all(&x->st))
		return -1;
	if (pmu_ctl.entry_ctls &&
	    (!vmwrite(VMCS_GUEST_IA32_PERF_GLOBAL_CTRL, pmu_ctl.guest_global_ctrl) ||
	     !vmwrite(VMCS_HOST_IA32_PERF_GLOBAL_CTRL, pmu_ctl.host_global_ctrl))) {
		con_printf("FAIL: vmwrite: the IA32_PERF_GLOBAL_CTRL fields were refused\n");
		return -1;
	}
	return 0;
}

static void vmx_set_nested_root(struct vcpu *v, u64 nested_root)
{
	u64 eptp = ept_eptp(nested_root, v->nested_ad);
	v->nested_root = nested_root;
	vmwrite(VMCS_EPT_POINTER, eptp);
	/* SDM 29.4.3.1: INVEPT single-context drops the mappings derived from
	 * this EPTP. */
	invept(INVEPT_SINGLE_CONTEXT, eptp); /* required by vmx_enable's checklist */
}

/* ---- Exits (SDM 28.2 "Recording VM-Exit Information") ---- */

static const enum exit_kind vmx_exit_kinds[] = {
    [EXIT_REASON_EXCEPTION_NMI] = VMEXIT_EXCEPTION,
    [EXIT_REASON_EXTERNAL_INTERRUPT] = VMEXIT_EXTERNAL_INTERRUPT,
    [EXIT_REASON_TRIPLE_FAULT] = VMEXIT_TRIPLE_FAULT,
    [EXIT_REASON_CPUID] = VMEXIT_CPUID,
    [EXIT_REASON_HLT] = VMEXIT_HLT,
    [EXIT_REASON_INVD] = VMEXIT_INVD,
    [EXIT_REASON_VMCALL] = VMEXIT_HYPERCALL,
    [EXIT_REASON_VMCLEAR] = VMEXIT_VIRT_INSN,
    [EXIT_REASON_VMLAUNCH] = VMEXIT_VIRT_INSN,
    [EXIT_REASON_VMPTRLD] = VMEXIT_VIRT_INSN,
    [EXIT_REASON_VMPTRST] = VMEXIT_VIRT_INSN,
    [EXIT_REASON_VMREAD] = VMEXIT_VIRT_INSN,
    [EXIT_REASON_VMRESUME] = VMEXIT_VIRT_INSN,
    [EXIT_REASON_VMWRITE] = VMEXIT_VIRT_INSN,
    [EXIT_REASON_VMXOFF] = VMEXIT_VIRT_INSN,
    [EXIT_REASON_VMXON] = VMEXIT_VIRT_INSN,
    [EXIT_REASON_INVEPT] = VMEXIT_VIRT_INSN,
    [EXIT_REASON_INVVPID] = VMEXIT_VIRT_INSN,
    [EXIT_REASON_VMFUNC] = VMEXIT_VIRT_INSN,
    [EXIT_REASON_CR_ACCESS] = VMEXIT_CR_ACCESS,
    [EXIT_REASON_IO_INSTRUCTION] = VMEXIT_IO,
    [EXIT_REASON_RDMSR] = VMEXIT_MSR_READ,
    [EXIT_REASON_WRMSR] = VMEXIT_MSR_WRITE,
    [EXIT_REASON_INVALID_GUEST_STATE] = VMEXIT_ENTRY_FAIL,
    [EXIT_REASON_MSR_LOADING] = VMEXIT_ENTRY_FAIL,
    [EXIT_REASON_MACHINE_CHECK] = VMEXIT_ENTRY_FAIL,
    [EXIT_REASON_EPT_VIOLATION] = VMEXIT_NPF,
    [EXIT_REASON_EPT_MISCONFIG] = VMEXIT_NPT_MISCONFIG,
    [EXIT_REASON_WBINVD] = VMEXIT_WBINVD,
    [EXIT_REASON_XSETBV] = VMEXIT_XSETBV,
    [EXIT_REASON_PREEMPTION_TIMER] = VMEXIT_WATCHDOG,
    [EXIT_REASON_INTERRUPT_WINDOW] = VMEXIT_INTR_WINDOW,
};

static void decode_exit(struct vm_exit *e)
{
	u64 reason = vmread(VMCS_EXIT_REASON);
	memset(e, 0, sizeof(*e));
	e->raw_reason = reason & EXIT_REASON_BASIC_MASK;
	e->kind = e->raw_reason < ARRAY_SIZE(vmx_exit_kinds) ? vmx_exit_kinds[e->raw_reason]
	                                                     : VMEXIT_UNKNOWN;
	if (reason & EXIT_REASON_ENTRY_FAILURE) {
		e->kind = VMEXIT_ENTRY_FAIL;
		e->entry_fail_reason = e->raw_reason;
	}
	e->qualification = vmread(VMCS_EXIT_QUALIFICATION);
	e->insn_len = (u32)vmread(VMCS_VM_EXIT_INSTRUCTION_LEN);
	u64 q = e->qualification;
	switch (e->kind) {
	case VMEXIT_NPF:
		e->gpa = vmread(VMCS_GUEST_PHYSICAL_ADDRESS);
		e->gla_valid = q & EPT_VIOL_GLA_VALID;
		if (e->gla_valid)
			e->gla = vmread(VMCS_GUEST_LINEAR_ADDRESS);
		e->npf.read = q & EPT_VIOL_READ;
		e->npf.write = q & EPT_VIOL_WRITE;
		e->npf.fetch = q & EPT_VIOL_FETCH;
		e->npf.present = q & (EPT_VIOL_READABLE | EPT_VIOL_WRITABLE | EPT_VIOL_EXECUTABLE);
		e->npf.guest_walk = e->gla_valid && !(q & EPT_VIOL_GLA_TRANSLATION);
		break;
	case VMEXIT_NPT_MISCONFIG:
		e->gpa = vmread(VMCS_GUEST_PHYSICAL_ADDRESS);
		break;
	case VMEXIT_IO:
		e->io.port = (q & IO_QUAL_PORT_MASK) >> IO_QUAL_PORT_SHIFT;
		e->io.size = (q & IO_QUAL_SIZE_MASK) + 1;
		e->io.in = q & IO_QUAL_IN;
		e->io.string = q & IO_QUAL_STRING;
		e->io.rep = q & IO_QUAL_REP;
		break;
	case VMEXIT_CR_ACCESS:
		e->cr.cr = cr_qual_cr(q);
		e->cr.access = cr_qual_type(q);
		e->cr.gpr = cr_qual_gpr(q);
		break;
	default:
		break;
	}
}

/* The host's part of an exit caused by an interrupt or an NMI: the
 * interrupt is handled and EOIed here (irq_dispatch), the NMI noted and its
 * blocking ended by an IRET (an exit caused by an NMI leaves NMIs blocked,
 * SDM Vol. 3C "Updating Non-Register State").
 * Returns true when the exit was the host's (the watchdog keeps counting). */
static bool host_event(struct vmx_vcpu *x, struct vm_exit *e)
{
	if (e->kind == VMEXIT_EXTERNAL_INTERRUPT) {
		if (x->ack_on_exit) {
			const u32 info = (u32)vmread(VMCS_VM_EXIT_INTR_INFO);
			e->host_vector = intr_info_vector(info);
			irq_dispatch(e->host_vector);
		} else {
			/* Still pending in the APIC: taken through the IDT in the one
			 * instruction STI leaves interruptible (SDM Vol. 2B, STI). */
			__asm__ volatile("sti; nop; cli" ::: "memory");
		}
		return true;
	}
	if (e->kind == VMEXIT_EXCEPTION) {
		const u32 info = (u32)vmread(VMCS_VM_EXIT_INTR_INFO);
		if (intr_info_type(info) == INTR_TYPE_NMI) {
			e->kind = VMEXIT_NMI;
			irq_nmi(vmread(VMCS_GUEST_RIP), true);
			irq_iret_to_self();
			return true;
		}
		if (intr_info_vector(info) == VEC_MC)
			e->kind = VMEXIT_MACHINE_CHECK;
	}
	return false;
}

/* An exit that interrupted the delivery of an event (an exception the core
 * injected, say) records it in the IDT-vectoring information (SDM 28.2.4);
 * after a host interrupt the guest resumes where it was, so the event is
 * injected again, with its error code and, for software events, the
 * instruction length (SDM 28.2.4 and 27.6.1 on VM-entry event injection).
 * Bit 12 is undefined there and reserved in the injection field. */
static bool redeliver_vectoring_event(void)
{
	const u32 info = (u32)vmread(VMCS_IDT_VECTORING_INFO);
	if (!(info & INTR_INFO_VALID))
		return false;
	if (info & INTR_INFO_DELIVER_ERROR_CODE)
		vmwrite(VMCS_VM_ENTRY_EXCEPTION_ERROR_CODE, vmread(VMCS_IDT_VECTORING_ERROR_CODE));
	vmwrite(VMCS_VM_ENTRY_INSTRUCTION_LEN, vmread(VMCS_VM_EXIT_INSTRUCTION_LEN));
	vmwrite(VMCS_VM_ENTRY_INTR_INFO, info & ~(u32)INTR_INFO_RESERVED_MASK);
	return true;
}

/* The VMX-preemption timer's value for the next entry (SDM 26.5.1): the
 * earlier of the watchdog's budget and the core's timer deadline. */
static u32 preempt_value(const struct vmx_vcpu *x, const struct vcpu *v, u64 now)
{
	u32 ticks = x->preempt_watchdog ? watchdog_preempt_ticks(v->wd.left, x->preempt_rate)
	                                : WATCHDOG_PREEMPT_MAX;
	if (x->timer_deadline) {
		const u64 left = x->timer_deadline > now ? x->timer_deadline - now : 0;
		const u32 t = watchdog_preempt_ticks(left, x->preempt_rate);
		if (!left || t < ticks)
			ticks = left ? t : 0; /* 0: an exit before the first instruction */
	}
	return ticks;
}

static int vmx_run(struct vcpu *v, struct vm_exit *e)
{
	struct vmx_vcpu *x = v->arch;
	for (;;) {
		if (x->preempt_watchdog || x->timer_preempt)
			vmwrite(VMCS_PREEMPTION_TIMER_VALUE, preempt_value(x, v, tsc_read()));
		/* The host tick, if any, and the core's timer where the CPU has
		 * no preemption timer. */
		irq_timer_arm(x->timer_preempt ? 0 : x->timer_deadline);
		irq_test_before_entry(false);
		const u64 t0 = tsc_read();
		int rc = vmx_enter(&v->regs, x->launched);
		const u64 t1 = tsc_read();
		/* SDM 28.5.2: the exit loaded GDTR and IDTR bases from the host-state
		 * area with limits of 0xFFFF; the tables are shorter. */
		desc_reload_limits();
		if (rc) {
			memset(e, 0, sizeof(*e));
			e->kind = VMEXIT_ENTRY_FAIL;
			e->entry_fail_reason = rc == 2 ? (u32)vmread(VMCS_VM_INSTRUCTION_ERROR) : 0;
			con_printf("FAIL: vm-entry: %s failed: %s, VM-instruction error %u (%s)\n",
			           x->launched ? "VMRESUME" : "VMLAUNCH",
			           rc == 2 ? "VMfailValid" : "VMfailInvalid", e->entry_fail_reason,
			           rc == 2 ? vmx_insn_error_name(e->entry_fail_reason)
			                   : "no current VMCS");
			return -1;
		}
		x->launched = true;
		decode_exit(e);
		/* An expiry of the preemption timer before the budget is spent (a
		 * budget longer than the 32-bit timer) is the watchdog's own. */
		const bool timer = e->kind == VMEXIT_WATCHDOG;
		const bool host = host_event(x, e) || timer;
		/* The core's deadline passed: its timer, not the watchdog's
		 * (it does not restart the budget). */
		const bool core_timer =
		    host && x->timer_deadline && tsc_read() >= x->timer_deadline;
		/* Also for a nested fault during an event's delivery (the guest's
		 * IDT or stack on a copy-on-write, swapped-out or trapped page):
		 * the core resumes it, or ends the guest. */
		if (host || e->kind == VMEXIT_NPF)
			e->event_redelivered = redeliver_vectoring_event();
		if (watchdog_account(&v->wd, t1 - t0, host)) {
			e->kind = VMEXIT_WATCHDOG;
			e->qualification = v->wd.ran;
			return 0;
		}
		if (core_timer && (timer || e->kind == VMEXIT_EXTERNAL_INTERRUPT)) {
			e->kind = VMEXIT_TIMER;
			return 0;
		}
		if (!timer)
			return 0;
	}
}

/* The guest completed the instruction that exited: advance RIP, and end
 * the blocking by STI or MOV SS that only covered that instruction (SDM
 * 25.4.2, Table 25-3). */
static void vmx_skip_insn(struct vcpu *v, const struct vm_exit *e)
{
	(void)v;
	vmwrite(VMCS_GUEST_RIP, vmread(VMCS_GUEST_RIP) + e->insn_len);
	u64 intr = vmread(VMCS_GUEST_INTERRUPTIBILITY_INFO);
	if (intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS))
		vmwrite(VMCS_GUEST_INTERRUPTIBILITY_INFO,
		        intr & ~(u64)(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));
}

/* Event injection (SDM 25.8.3): a hardware exception, with its error code
 * only in protected mode - with unrestricted guest and CR0.PE = 0 an error
 * code makes the entry fail (SDM 27.2.1.3). */
static void vmx_inject_exception(struct vcpu *v, u8 vector, bool has_error, u32 error)
{
	(void)v;
	u32 info = INTR_INFO(vector, INTR_TYPE_HARDWARE_EXCEPTION);
	if (has_error && (vmread(VMCS_GUEST_CR0) & CR0_PE)) {
		info |= INTR_INFO_DELIVER_ERROR_CODE;
		vmwrite(VMCS_VM_ENTRY_EXCEPTION_ERROR_CODE, error);
	}
	vmwrite(VMCS_VM_ENTRY_INTR_INFO, info);
}

/* The event interface (arch/x86/vcpu.h). External interrupts and NMIs go
 * through the VM-entry interruption-information field (SDM 25.8.3, Table
 * 25-17; delivered as 27.6 describes); an NMI needs "virtual NMIs"
 * (25.6.1), so that the guest's IRET ends its NMI blocking (26.3 "IRET"),
 * which with "NMI exiting" alone it would not. */
static bool virtual_nmis(struct vmx_vcpu *x)
{
	const u32 pin = (u32)vmread(VMCS_PIN_BASED_VM_EXEC_CONTROL);
	if (pin & PIN_VIRTUAL_NMIS)
		return true;
	/* Virtual NMIs require NMI exiting (26.2.1.1). */
	if (!(pin & PIN_NMI_EXITING) ||
	    !(vmx_ctl_may_be_1(vmx_caps_ctl_msr(&x->caps, VMX_CTL_PINBASED)) & PIN_VIRTUAL_NMIS))
		return false;
	vmwrite(VMCS_PIN_BASED_VM_EXEC_CONTROL, pin | PIN_VIRTUAL_NMIS);
	return true;
}

static void vmx_inject_event(struct vcpu *v, const struct vcpu_event *ev)
{
	switch (ev->type) {
	case VCPU_EV_EXTINT:
		vmwrite(VMCS_VM_ENTRY_INTR_INFO,
		        INTR_INFO(ev->vector, INTR_TYPE_EXTERNAL_INTERRUPT));
		break;
	case VCPU_EV_NMI:
		vmwrite(VMCS_VM_ENTRY_INTR_INFO, INTR_INFO(VEC_NMI, INTR_TYPE_NMI));
		break;
	case VCPU_EV_SW_INT:
		/* INT n (CD ib): the return address is past it (27.6.1.3). */
		vmwrite(VMCS_VM_ENTRY_INSTRUCTION_LEN, INT_N_LENGTH);
		vmwrite(VMCS_VM_ENTRY_INTR_INFO,
		        INTR_INFO(ev->vector, INTR_TYPE_SOFTWARE_INTERRUPT));
		break;
	default:
		vmx_inject_exception(v, ev->vector, ev->has_error, ev->error);
		break;
	}
}

static bool entry_event_pending(void)
{
	return vmread(VMCS_VM_ENTRY_INTR_INFO) & INTR_INFO_VALID;
}

/* SDM 26.3.1.5 and Table 25-3: an external interrupt needs RFLAGS.IF = 1
 * and no blocking by STI or MOV SS. */
static bool vmx_intr_window_open(struct vcpu *v)
{
	(void)v;
	const u64 intr = vmread(VMCS_GUEST_INTERRUPTIBILITY_INFO);
	return (vmread(VMCS_GUEST_RFLAGS) & RFLAGS_IF) &&
	       !(intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS)) && !entry_event_pending();
}

static bool vmx_nmi_window_open(struct vcpu *v)
{
	const u64 intr = vmread(VMCS_GUEST_INTERRUPTIBILITY_INFO);
	return virtual_nmis(v->arch) &&
	       !(intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS | INTERRUPTIBILITY_NMI)) &&
	       !entry_event_pending();
}

static bool vmx_interrupts_enabled(struct vcpu *v)
{
	(void)v;
	return vmread(VMCS_GUEST_RFLAGS) & RFLAGS_IF;
}

/* "Interrupt-window exiting" (25.6.2): an exit at the start of any
 * instruction with RFLAGS.IF = 1 and no STI/MOV-SS blocking (26.7.5). */
static void vmx_request_intr_window(struct vcpu *v, bool on)
{
	(void)v;
	const u64 ctl = vmread(VMCS_PRIMARY_VM_EXEC_CONTROL);
	const u64 want =
	    on ? ctl | CPU_INTERRUPT_WINDOW_EXITING : ctl & ~(u64)CPU_INTERRUPT_WINDOW_EXITING;
	if (want != ctl)
		vmwrite(VMCS_PRIMARY_VM_EXEC_CONTROL, want);
}

/* The VMX-preemption timer (25.5.1, 26.5.1), turned on at the first use
 * where the CPU has it; else the host LAPIC timer (arch/x86/irq.h). */
static void vmx_arm_timer(struct vcpu *v, u64 tsc_deadline)
{
	struct vmx_vcpu *x = v->arch;
	x->timer_deadline = tsc_deadline;
	if (!tsc_deadline || x->timer_preempt)
		return;
	const u32 pin = (u32)vmread(VMCS_PIN_BASED_VM_EXEC_CONTROL);
	if (vmx_caps_has(&x->caps, VMX_FEAT_PREEMPTION_TIMER) &&
	    (vmx_ctl_may_be_1(vmx_caps_ctl_msr(&x->caps, VMX_CTL_PINBASED)) &
	     PIN_ACTIVATE_PREEMPTION_TIMER)) {
		vmwrite(VMCS_PIN_BASED_VM_EXEC_CONTROL, pin | PIN_ACTIVATE_PREEMPTION_TIMER);
		x->timer_preempt = true;
	}
}

static bool vmx_set_tsc_offset(struct vcpu *v, u64 offset)
{
	(void)v;
	if (!(vmread(VMCS_PRIMARY_VM_EXEC_CONTROL) & CPU_USE_TSC_OFFSETTING))
		return false;
	vmwrite(VMCS_TSC_OFFSET, offset);
	return true;
}

static u64 vmx_rip(struct vcpu *v)
{
	(void)v;
	return vmread(VMCS_GUEST_RIP);
}

static u64 vmx_rsp(struct vcpu *v)
{
	(void)v;
	return vmread(VMCS_GUEST_RSP);
}

static u64 vmx_seg_base(struct vcpu *v, unsigned sreg)
{
	(void)v;
	/* The base fields follow the Sreg order, two encodings apart (SDM Vol. 3D
	 * B.4.3). */
	return sreg <= 5 ? vmread(VMCS_GUEST_ES_BASE + 2 * sreg) : 0;
}

/* CPL is SS.DPL (SDM Vol. 3A, 5.5; the VMCS keeps it there, 25.4.1). */
static unsigned vmx_cpl(struct vcpu *v)
{
	(void)v;
	return (unsigned)((vmread(VMCS_GUEST_SS_AR_BYTES) & AR_DPL_MASK) >> AR_DPL_SHIFT);
}

/* IA-32e mode is the VM-entry control the CPU keeps equal to EFER.LMA on
 * exit (SDM Vol. 3C, 28.2 and 24.8.1); 64-bit code is CS.L within it. */
static bool vmx_in_64bit_mode(struct vcpu *v)
{
	(void)v;
	return (vmread(VMCS_VM_ENTRY_CONTROLS) & ENTRY_IA32E_MODE_GUEST) &&
	       (vmread(VMCS_GUEST_CS_AR_BYTES) & AR_L);
}

static void vmx_code_segment(struct vcpu *v, u64 *base, bool *db)
{
	(void)v;
	*base = vmread(VMCS_GUEST_CS_BASE);
	*db = vmread(VMCS_GUEST_CS_AR_BYTES) & AR_DB;
}

static u64 vmx_cr3(struct vcpu *v)
{
	(void)v;
	return vmread(VMCS_GUEST_CR3);
}

static u64 *vmx_gpr(struct vcpu *v, unsigned n)
{
	/* The SDM's register numbering (Table 28-3): RAX, RCX, RDX, RBX, RSP,
	 * RBP, RSI, RDI, R8-R15. RSP lives in the VMCS: callers handle 4. */
	u64 *const regs[GPR_COUNT] = {
	    &v->regs.rax, &v->regs.rcx, &v->regs.rdx, &v->regs.rbx, NULL,         &v->regs.rbp,
	    &v->regs.rsi, &v->regs.rdi, &v->regs.r8,  &v->regs.r9,  &v->regs.r10, &v->regs.r11,
	    &v->regs.r12, &v->regs.r13, &v->regs.r14, &v->regs.r15,
	};
	return n < GPR_COUNT ? regs[n] : NULL;
}

/* MOV to CR0/CR4 that touched a bit the hypervisor owns (SDM 26.1.3): the
 * guest's value goes into the read shadow, the real register keeps the
 * fixed bits, and turning paging on with EFER.LME set activates IA-32e
 * mode as the CPU would (SDM Vol. 3A, 10.8.5). Returns false for a value
 * the guest may not load (the caller injects #GP). */
static u64 vmx_read_cr(struct vcpu *v, unsigned cr);

static bool vmx_write_cr(struct vcpu *v, unsigned cr, u64 val)
{
	struct vmx_vcpu *x = v->arch;
	if (cr == 0) {
		/* The MOV to CR0 #GP conditions (SDM Vol. 2B, MOV—Move to/from
		 * Control Registers): reserved bits 63:32, PG without PE, NW without
		 * CD, and paging with LME but without PAE. */
		u64 efer0 = vmread(VMCS_GUEST_IA32_EFER);
		if ((val >> 32) || ((val & CR0_PG) && !(val & CR0_PE)) ||
		    ((val & CR0_NW) && !(val & CR0_CD)) ||
		    ((val & CR0_PG) && (efer0 & EFER_LME) && !(vmread(VMCS_GUEST_CR4) & CR4_PAE)) ||
		    (!(val & CR0_PG) && vmx_in_64bit_mode(v)))
			return false;
		u64 real = (val | x->caps.cr0_fixed0) & x->caps.cr0_fixed1;
		real = (real & ~(CR0_PE | CR0_PG)) | (val & (CR0_PE | CR0_PG));
		u64 efer = vmread(VMCS_GUEST_IA32_EFER);
		u32 entry = (u32)vmread(VMCS_VM_ENTRY_CONTROLS);
		if ((val & CR0_PG) && (efer & EFER_LME)) {
			efer |= EFER_LMA;
			entry |= ENTRY_IA32E_MODE_GUEST;
		} else {
			efer &= ~EFER_LMA;
			entry &= ~ENTRY_IA32E_MODE_GUEST;
		}
		vmwrite(VMCS_GUEST_IA32_EFER, efer);
		vmwrite(VMCS_VM_ENTRY_CONTROLS, entry);
		const u64 was = vmx_read_cr(v, 0);
		vmwrite(VMCS_CR0_READ_SHADOW, val);
		vmwrite(VMCS_GUEST_CR0, real);
		if ((val ^ was) & (CR0_PG | CR0_WP | CR0_PE))
			flush_guest_linear(x, false);
		return true;
	}
	if (cr == 4) {
		/* VMX is hidden from the guest; bits FIXED1 leaves clear are
		 * reserved or absent on this CPU; in IA-32e mode PAE stays set and
		 * LA57 cannot change (SDM Vol. 2B, MOV—Move to/from Control
		 * Registers). */
		const bool ia32e = vmread(VMCS_VM_ENTRY_CONTROLS) & ENTRY_IA32E_MODE_GUEST;
		if ((val & CR4_VMXE) || (val & ~x->caps.cr4_fixed1) ||
		    (ia32e && !(val & CR4_PAE)) ||
		    (ia32e && ((val ^ vmx_read_cr(v, 4)) & CR4_LA57)))
			return false;
		u64 real = (val | x->caps.cr4_fixed0 | CR4_VMXE) & x->caps.cr4_fixed1;
		const u64 was = vmx_read_cr(v, 4);
		vmwrite(VMCS_CR4_READ_SHADOW, val);
		vmwrite(VMCS_GUEST_CR4, real);
		if ((val ^ was) & (CR4_PGE | CR4_PAE | CR4_PSE | CR4_PCIDE | CR4_SMEP | CR4_SMAP |
		                   CR4_LA57 | CR4_PKE))
			flush_guest_linear(x, false);
		return true;
	}
	if (cr == 3) {
		/* Exits only where CR3-load exiting is a default-1 control (no
		 * TRUE control MSRs, SDM A.3.2). With EPT the guest's CR3 is a gPA
		 * the CPU checks itself; bits beyond the physical-address width
		 * raise #GP. */
		/* With CR4.PCIDE, bit 63 of the source asks to keep the PCID's
		 * translations and is not written (SDM Vol. 3A 4.10.4.1). */
		const bool keep = (vmx_read_cr(v, 4) & CR4_PCIDE) && (val & BIT(63));
		val &= keep ? ~BIT(63) : ~0ull;
		if (x->caps.maxphyaddr < 64 && (val >> x->caps.maxphyaddr))
			return false;
		vmwrite(VMCS_GUEST_CR3, val);
		if (!keep)
			flush_guest_linear(x, true);
		return true;
	}
	return false;
}

/* What the guest reads: the read shadow for the bits the hypervisor owns
 * (the guest/host mask), the real register for the rest, which the guest
 * writes without an exit (SDM Vol. 3C, 25.3). */
static u64 vmx_read_cr(struct vcpu *v, unsigned cr)
{
	(void)v;
	u64 mask;
	switch (cr) {
	case 0:
		mask = vmread(VMCS_CR0_GUEST_HOST_MASK);
		return (vmread(VMCS_CR0_READ_SHADOW) & mask) | (vmread(VMCS_GUEST_CR0) & ~mask);
	case 3:
		return vmread(VMCS_GUEST_CR3);
	case 4:
		mask = vmread(VMCS_CR4_GUEST_HOST_MASK);
		return (vmread(VMCS_CR4_READ_SHADOW) & mask) | (vmread(VMCS_GUEST_CR4) & ~mask);
	}
	return 0;
}

/* EFER and PAT are switched by the VMCS; the guest's reads and writes of
 * them are emulated on its copies there. */
static bool vmx_msr(struct vcpu *v, u32 msr, bool write, u64 *val)
{
	(void)v;
	switch (msr) {
	case IA32_EFER:
		if (write) {
			/* #GP for reserved bits (NXE too without NX), and for a change
			 * of LME while paging is on (SDM Vol. 3A, 10.8.5); LMA is the
			 * CPU's to set and writes to it are ignored. */
			u64 cur = vmread(VMCS_GUEST_IA32_EFER);
			bool paging = vmread(VMCS_GUEST_CR0) & CR0_PG;
			if ((*val & ~EFER_INTEL_DEFINED) || ((*val & EFER_NXE) && !x86_has_nx()) ||
			    (paging && ((*val ^ cur) & EFER_LME)))
				return false;
			vmwrite(VMCS_GUEST_IA32_EFER, (*val & ~EFER_LMA) | (cur & EFER_LMA));
		} else {
			*val = vmread(VMCS_GUEST_IA32_EFER);
		}
		return true;
	case IA32_PAT:
		if (write && !vmx_pat_valid(*val))
			return false; /* #GP, as WRMSR to IA32_PAT with a reserved type */
		if (write)
			vmwrite(VMCS_GUEST_IA32_PAT, *val);
		else
			*val = vmread(VMCS_GUEST_IA32_PAT);
		return true;
	}
	return false;
}

/* SDM Vol. 3C, 28.3.2.4: with EPT, VM entry loads a PAE-paging guest's PDPTEs from these
 * fields, not from memory; a VM exit saves them only while the guest uses PAE paging. */
static void vmx_set_pdptes(struct vcpu *v, const u64 pdpte[4])
{
	(void)v;
	static const enum vmcs_field fields[] = {VMCS_GUEST_PDPTE0, VMCS_GUEST_PDPTE1,
	                                         VMCS_GUEST_PDPTE2, VMCS_GUEST_PDPTE3};
	for (unsigned i = 0; i < ARRAY_SIZE(fields); i++)
		vmwrite(fields[i], pdpte[i]);
}

static bool vmx_xsetbv(struct vcpu *v, u32 xcr, u64 val)
{
	(void)v;
	return guest_xsetbv(xcr, val);
}

static void vmx_dump(struct vcpu *v)
{
	const struct guest_regs *r = &v->regs;
	con_printf("  last exit reason %llu (%s) qualification 0x%llx\n",
	           vmread(VMCS_EXIT_REASON) & EXIT_REASON_BASIC_MASK,
	           vmx_exit_reason_name((u32)(vmread(VMCS_EXIT_REASON) & EXIT_REASON_BASIC_MASK)),
	           vmread(VMCS_EXIT_QUALIFICATION));
	u32 err = (u32)vmread(VMCS_VM_INSTRUCTION_ERROR);
	con_printf("  guest-physical 0x%llx guest-linear 0x%llx VM-instruction error %u (%s)\n",
	           vmread(VMCS_GUEST_PHYSICAL_ADDRESS), vmread(VMCS_GUEST_LINEAR_ADDRESS), err,
	           err ? vmx_insn_error_name(err) : "none");
	con_printf("  rip=%016llx rsp=%016llx rflags=%016llx\n", vmread(VMCS_GUEST_RIP),
	           vmread(VMCS_GUEST_RSP), vmread(VMCS_GUEST_RFLAGS));
	con_printf("  cr0=%016llx cr3=%016llx cr4=%016llx efer=%016llx\n", vmread(VMCS_GUEST_CR0),
	           vmread(VMCS_GUEST_CR3), vmread(VMCS_GUEST_CR4), vmread(VMCS_GUEST_IA32_EFER));
	con_printf("  cs=%04llx ar=%05llx ss=%04llx ar=%05llx entry-controls=%08llx\n",
	           vmread(VMCS_GUEST_CS_SELECTOR), vmread(VMCS_GUEST_CS_AR_BYTES),
	           vmread(VMCS_GUEST_SS_SELECTOR), vmread(VMCS_GUEST_SS_AR_BYTES),
	           vmread(VMCS_VM_ENTRY_CONTROLS));
	guest_regs_print(r);
}

void vmx_selftest_entry_checks(struct report *rep, const struct vmx_caps *caps)
{
	static struct vmcs_state good, st;
	const struct vcpu_start start = {
	    .rip = 2 * MiB, .rflags = RFLAGS_FIXED1, .cr0 = CR0_PE | CR0_ET};
	const u64 eptp = ept_eptp(PAGE_SIZE_2M, false); /* any aligned root will do */
	msr_bitmap_init();
	if (!vmcs_build(&good, caps, &start, eptp)) {
		report_fail(rep, "vmcheck-good-state",
		            "the controls segvisor needs are not allowed");
		return;
	}
	enum vmx_check_rule r = vmx_check_entry(&good, caps, NULL);
	report_check(rep, r == VMX_CHECK_OK, "vmcheck-good-state", "%s", vmx_check_rule_message(r));
	const struct vcpu_start start64 = VCPU_START_64_SAMPLE;
	if (vmcs_build(&st, caps, &start64, eptp)) {
		r = vmx_check_entry(&st, caps, NULL);
		report_check(rep, r == VMX_CHECK_OK, "vmcheck-good-64bit-start", "%s",
		             vmx_check_rule_message(r));
	} else {
		report_fail(rep, "vmcheck-good-64bit-start",
		            "the controls a 64-bit start needs are not allowed");
	}
	for (unsigned i = 0; i < ARRAY_SIZE(entry_cases); i++) {
		const struct entry_case *c = &entry_cases[i];
		st = good;
		c->mutate(&st, caps);
		if (c->mutate == mut_control_bit &&
		    st.primary_vm_exec_control == good.primary_vm_exec_control) {
			report_skip(rep, c->name, "this CPU allows every primary control");
			continue;
		}
		r = vmx_check_entry(&st, caps, NULL);
		if (r == c->expect)
			con_printf("vmcheck: caught: %s\n", vmx_check_rule_message(r));
		report_check(rep, r == c->expect, c->name, "got %s (%s), expected %s",
		             vmx_check_rule_name(r), vmx_check_rule_message(r),
		             vmx_check_rule_name(c->expect));
	}
}

const struct vcpu_ops vmx_vcpu_ops = {
    .name = "vmx",
    .watchdog_timer = "VMX-preemption timer",
    .nested_fault_name = "EPT violation",
    .nested_format = NESTED_FORMAT_EPT,
    .create = vmx_create,
    .run = vmx_run,
    .skip_insn = vmx_skip_insn,
    .set_nested_root = vmx_set_nested_root,
    .inject_exception = vmx_inject_exception,
    .inject_event = vmx_inject_event,
    .intr_window_open = vmx_intr_window_open,
    .request_intr_window = vmx_request_intr_window,
    .nmi_window_open = vmx_nmi_window_open,
    .interrupts_enabled = vmx_interrupts_enabled,
    .arm_timer = vmx_arm_timer,
    .set_tsc_offset = vmx_set_tsc_offset,
    .rip = vmx_rip,
    .rsp = vmx_rsp,
    .seg_base = vmx_seg_base,
    .cr3 = vmx_cr3,
    .cpl = vmx_cpl,
    .in_64bit_mode = vmx_in_64bit_mode,
    .code_segment = vmx_code_segment,
    .dump = vmx_dump,
    .gpr = vmx_gpr,
    .write_cr = vmx_write_cr,
    .set_pdptes = vmx_set_pdptes,
    .read_cr = vmx_read_cr,
    .msr = vmx_msr,
    .xsetbv = vmx_xsetbv,
    .exit_name = vmx_exit_reason_name,
};
