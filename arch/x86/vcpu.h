/* The interface arch/ gives the vendor-neutral core: one virtual CPU. A vendor
 * backend (VMX in arch/x86/vmx.c, SVM in arch/x86/svm.c) fills a struct
 * vcpu_ops and translates its exit reasons into enum exit_kind; hv/vm/vm.c
 * runs the exit loop and hv/vm/exits.c dispatches the exits. Nothing here
 * knows about segments, modes or the VM around the vCPU. */
#ifndef HV_VCPU_H
#define HV_VCPU_H

#include "arch/x86/nested_format.h"
#include "arch/x86/watchdog.h"
#include "lib/types.h"

/* Exit counts are kept per vendor exit code below this (SVM's NPF is 0x400). */
#define VCPU_MAX_RAW_EXIT 0x410

enum exit_kind {
	VMEXIT_UNKNOWN = 0,
	VMEXIT_EXCEPTION,
	VMEXIT_EXTERNAL_INTERRUPT,
	VMEXIT_TRIPLE_FAULT,
	VMEXIT_CPUID,
	VMEXIT_HLT,
	VMEXIT_INVD,
	VMEXIT_WBINVD,
	VMEXIT_HYPERCALL,
	VMEXIT_VIRT_INSN, /* VMX (or SVM) instructions executed by the guest */
	VMEXIT_CR_ACCESS,
	VMEXIT_IO,
	VMEXIT_MSR_READ,
	VMEXIT_MSR_WRITE,
	VMEXIT_ENTRY_FAIL, /* the CPU refused VM entry */
	VMEXIT_NPF,        /* nested page fault: EPT violation */
	VMEXIT_NPT_MISCONFIG,
	VMEXIT_XSETBV,
	/* The guest spent its watchdog budget (arch/x86/watchdog.h); qualification
	 * holds the guest TSC cycles it ran since the last exit that was not a
	 * host interrupt. */
	VMEXIT_WATCHDOG,
	VMEXIT_INTR_WINDOW,   /* the guest can take an interrupt (request_intr_window) */
	VMEXIT_NMI,           /* a host NMI arrived in guest mode (taken by the host) */
	VMEXIT_MACHINE_CHECK, /* a machine check arrived in guest mode */
	VMEXIT_TIMER,         /* the arm_timer deadline passed */
	VMEXIT_KIND_COUNT
};

const char *exit_kind_name(enum exit_kind k);

/* Guest general registers the backend saves on every exit. RSP and RIP
 * live in the vendor's state and go through the accessors below. */
struct guest_regs {
	u64 rax, rcx, rdx, rbx, rbp, rsi, rdi;
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
};

/* Control-register access types (the order of SDM Table 28-3). */
enum cr_op { CR_OP_WRITE, CR_OP_READ, CR_OP_CLTS, CR_OP_LMSW };

/* One exit, decoded by the backend. */
struct vm_exit {
	enum exit_kind kind;
	u32 raw_reason; /* the vendor's number, for counting and reports */
	u64 qualification;
	u32 insn_len;
	u64 gpa; /* NPF and NPT_MISCONFIG */
	u64 gla;
	bool gla_valid;
	struct {
		bool read, write, fetch; /* the access */
		bool present;            /* the translation existed (R, W or X set) */
		/* The access was the guest's own page walk reading or updating a
		 * paging-structure entry (VT-x: qualification bit 7 set and bit 8
		 * clear, SDM Vol. 3C 28.2.1 table 28-7; SVM: EXITINFO1 bit 33, APM
		 * Vol. 2 15.25.6), not the access to the translated address. */
		bool guest_walk;
	} npf;
	struct {
		u16 port;
		u8 size; /* 1, 2 or 4 bytes */
		bool in, string, rep;
	} io;
	struct {
		u8 cr;
		u8 access; /* enum cr_op */
		u8 gpr;
		/* The backend could not tell the instruction (SVM without decode
		 * assists): the core reads it at RIP for access, gpr and length. */
		bool needs_decode;
	} cr;
	u32 entry_fail_reason; /* the failed-entry basic reason or VM-instruction error */
	/* EXTERNAL_INTERRUPT: the host vector, already handled and EOIed by the
	 * backend (arch/x86/irq.c) before the exit reaches the core. */
	u8 host_vector;
	/* The host event interrupted the delivery of a guest event, which the
	 * backend injects again at the next entry. */
	bool event_redelivered;
};

/* The machine state a guest starts in. Multiboot v1 (long_mode false): 32-bit
 * protected mode, paging off, flat 4 GiB segments. The Linux boot protocol's
 * 64-bit entry (long_mode true): IA-32e mode with paging on (cr0 has PG and PE,
 * cr4 PAE, cr3 the loader's identity map, efer LME and LMA), CS a 64-bit code
 * segment (L=1, D=0) and the data segments flat, with the selectors and the
 * GDT (gdt_base, gdt_limit) the loader wrote into guest memory. */
struct vcpu_start {
	u64 rip, rsp, rflags;
	u64 rax, rbx, rsi;
	u64 cr0, cr3, cr4;
	bool long_mode;
	u64 efer;     /* the guest's EFER as it sees it (long_mode: LME | LMA) */
	u16 code_sel; /* CS; 0 in a Multiboot start means the backend's own flat one */
	u16 data_sel; /* DS, ES, FS, GS and SS, likewise */
	u64 gdt_base; /* gPA of the GDT behind those selectors; 0 none */
	u16 gdt_limit;
};

/* An event to deliver to the guest at the next entry through its IDT (or
 * IVT in real mode): the kinds both vendors inject (SDM 25.8.3 Table 25-16;
 * APM 15.20). */
enum vcpu_event_type { VCPU_EV_EXTINT, VCPU_EV_NMI, VCPU_EV_HW_EXC, VCPU_EV_SW_INT };
struct vcpu_event {
	u8 type; /* enum vcpu_event_type */
	u8 vector;
	bool has_error;
	u32 error;
};

struct vcpu_ops;

struct vcpu {
	const struct vcpu_ops *ops; /* the vendor backend */
	struct guest_regs regs;
	void *arch;             /* the backend's state */
	u64 nested_root;        /* hPA of the nested table root */
	bool nested_ad;         /* the nested table uses A/D bits */
	const char *entry_test; /* test only: a backend rule to break at entry, "" none */
	/* watchdog= (arch/x86/watchdog.h): budget in TSC cycles, 0 off; the
	 * backend keeps it across host-interrupt exits. */
	struct watchdog wd;
	u32 host_tick_ms; /* host_tick=: a host LAPIC timer tick while the guest runs; 0 off */
};

/* The backend: one table per vendor (arch/x86/vmx.c: vmx_vcpu_ops), chosen
 * at boot. Functions returning int give 0 or a negative error and print
 * why. */
struct vcpu_ops {
	const char *name; /* "vmx", "svm" */
	/* What the vendor calls a nested-table fault: "EPT violation" or
	 * "nested page fault". */
	const char *nested_fault_name;
	/* The timer the watchdog runs on, for its report. */
	const char *watchdog_timer;
	/* The nested table format it wants built (hv/mem/nested.c). */
	enum nested_format nested_format;
	int (*create)(struct vcpu *v, const struct vcpu_start *start, u64 nested_root);
	int (*run)(struct vcpu *v, struct vm_exit *exit);
	void (*skip_insn)(struct vcpu *v, const struct vm_exit *exit);
	void (*set_nested_root)(struct vcpu *v, u64 nested_root);
	void (*inject_exception)(struct vcpu *v, u8 vector, bool has_error, u32 error);
	/* Delivered at the next entry (replaces an event not yet delivered). */
	void (*inject_event)(struct vcpu *v, const struct vcpu_event *ev);
	/* RFLAGS.IF = 1, no STI or MOV-SS blocking, no event already pending
	 * injection: an external interrupt injected now would be taken. */
	bool (*intr_window_open)(struct vcpu *v);
	/* on: exit with VMEXIT_INTR_WINDOW as soon as the window opens. */
	void (*request_intr_window)(struct vcpu *v, bool on);
	/* No STI or MOV-SS shadow, not blocked by an NMI being handled (as far
	 * as the backend can tell), no event pending injection: an NMI
	 * injected now would be taken. */
	bool (*nmi_window_open)(struct vcpu *v);
	/* The guest's RFLAGS.IF. */
	bool (*interrupts_enabled)(struct vcpu *v);
	/* Guarantees an exit (VMEXIT_TIMER) at or soon after this host TSC
	 * value; 0 disarms. It shares the host timer with the watchdog
	 * (whichever comes first); a VMEXIT_TIMER does not restart the
	 * watchdog's budget. */
	void (*arm_timer)(struct vcpu *v, u64 tsc_deadline);
	/* The guest's TSC is the host's plus `offset` (modulo 2^64) from the
	 * next entry on, for RDTSC, RDTSCP and RDMSR alike: VMX TSC offsetting,
	 * SVM's VMCB TSC_OFFSET. False when the CPU cannot offset the TSC. */
	bool (*set_tsc_offset)(struct vcpu *v, u64 offset);
	u64 (*rip)(struct vcpu *v);
	u64 (*rsp)(struct vcpu *v);
	/* Base of segment register sreg (the SDM's Sreg numbering: 0 ES ... 5
	 * GS), for the linear address of a decoded memory operand. */
	u64 (*seg_base)(struct vcpu *v, unsigned sreg);
	u64 (*cr3)(struct vcpu *v);
	unsigned (*cpl)(struct vcpu *v); /* the guest's current privilege level */
	/* The guest runs 64-bit code (EFER.LMA and CS.L): register upper halves
	 * are its own; in any other mode it cannot see them. */
	bool (*in_64bit_mode)(struct vcpu *v);
	/* CS's base and its D/B bit (1: 32-bit default operand size), which
	 * locate and size the instruction at RIP outside 64-bit mode: a 16-bit
	 * protected-mode or real-mode segment has a base of its own. */
	void (*code_segment)(struct vcpu *v, u64 *base, bool *db);
	void (*dump)(struct vcpu *v); /* everything a bug report needs */
	/* General register n in the SDM's numbering (0 RAX ... 15 R15); NULL
	 * for RSP, which lives in the vendor state. */
	u64 *(*gpr)(struct vcpu *v, unsigned n);
	/* Emulates a guest control-register write that exited; false: #GP. */
	bool (*write_cr)(struct vcpu *v, unsigned cr, u64 val);
	u64 (*read_cr)(struct vcpu *v, unsigned cr);
	/* The four PDPTEs a guest in PAE paging uses from the next entry on,
	 * after an emulated control-register write loaded them (SDM Vol. 3A,
	 * 4.4.1): VT-x with EPT takes them from the VMCS (28.3.2.4). NULL on a
	 * backend whose CPU reads them from guest memory itself (SVM). */
	void (*set_pdptes)(struct vcpu *v, const u64 pdpte[4]);
	/* MSRs whose guest copy the backend keeps (EFER, PAT); false if not one. */
	bool (*msr)(struct vcpu *v, u32 msr, bool write, u64 *val);
	/* XSETBV on the guest's behalf; false when the value is invalid (#GP). */
	bool (*xsetbv)(struct vcpu *v, u32 xcr, u64 val);
	const char *(*exit_name)(u32 raw_reason);
};

/* hv/ calls the backend through these. */
static inline int vcpu_arch_create(struct vcpu *v, const struct vcpu_start *start, u64 root)
{
	return v->ops->create(v, start, root);
}
static inline int vcpu_arch_run(struct vcpu *v, struct vm_exit *e)
{
	return v->ops->run(v, e);
}
static inline void vcpu_arch_skip_insn(struct vcpu *v, const struct vm_exit *e)
{
	v->ops->skip_insn(v, e);
}
static inline void vcpu_arch_set_nested_root(struct vcpu *v, u64 root)
{
	v->ops->set_nested_root(v, root);
}
static inline void vcpu_arch_inject_exception(struct vcpu *v, u8 vector, bool has_error, u32 error)
{
	v->ops->inject_exception(v, vector, has_error, error);
}
static inline void vcpu_arch_inject_event(struct vcpu *v, const struct vcpu_event *ev)
{
	v->ops->inject_event(v, ev);
}
static inline bool vcpu_arch_intr_window_open(struct vcpu *v)
{
	return v->ops->intr_window_open(v);
}
static inline void vcpu_arch_request_intr_window(struct vcpu *v, bool on)
{
	v->ops->request_intr_window(v, on);
}
static inline bool vcpu_arch_nmi_window_open(struct vcpu *v)
{
	return v->ops->nmi_window_open(v);
}
static inline bool vcpu_arch_interrupts_enabled(struct vcpu *v)
{
	return v->ops->interrupts_enabled(v);
}
static inline void vcpu_arch_arm_timer(struct vcpu *v, u64 tsc_deadline)
{
	v->ops->arm_timer(v, tsc_deadline);
}
static inline bool vcpu_arch_set_tsc_offset(struct vcpu *v, u64 offset)
{
	return v->ops->set_tsc_offset(v, offset);
}
static inline u64 vcpu_arch_rip(struct vcpu *v)
{
	return v->ops->rip(v);
}
static inline u64 vcpu_arch_rsp(struct vcpu *v)
{
	return v->ops->rsp(v);
}
static inline u64 vcpu_arch_seg_base(struct vcpu *v, unsigned sreg)
{
	return v->ops->seg_base(v, sreg);
}
static inline u64 vcpu_arch_cr3(struct vcpu *v)
{
	return v->ops->cr3(v);
}
static inline unsigned vcpu_arch_cpl(struct vcpu *v)
{
	return v->ops->cpl(v);
}
static inline bool vcpu_arch_in_64bit_mode(struct vcpu *v)
{
	return v->ops->in_64bit_mode(v);
}
static inline void vcpu_arch_code_segment(struct vcpu *v, u64 *base, bool *db)
{
	v->ops->code_segment(v, base, db);
}
static inline void vcpu_arch_dump(struct vcpu *v)
{
	v->ops->dump(v);
}
static inline u64 *vcpu_arch_gpr(struct vcpu *v, unsigned n)
{
	return v->ops->gpr(v, n);
}
static inline bool vcpu_arch_write_cr(struct vcpu *v, unsigned cr, u64 val)
{
	return v->ops->write_cr(v, cr, val);
}
static inline bool vcpu_arch_has_pdptes(struct vcpu *v)
{
	return v->ops->set_pdptes != NULL;
}
static inline void vcpu_arch_set_pdptes(struct vcpu *v, const u64 pdpte[4])
{
	v->ops->set_pdptes(v, pdpte);
}
static inline u64 vcpu_arch_read_cr(struct vcpu *v, unsigned cr)
{
	return v->ops->read_cr(v, cr);
}
static inline bool vcpu_arch_msr(struct vcpu *v, u32 msr, bool write, u64 *val)
{
	return v->ops->msr(v, msr, write, val);
}
static inline bool vcpu_arch_xsetbv(struct vcpu *v, u32 xcr, u64 val)
{
	return v->ops->xsetbv(v, xcr, val);
}
static inline const char *vcpu_arch_exit_name(struct vcpu *v, u32 raw)
{
	return v->ops->exit_name(raw);
}

#endif
