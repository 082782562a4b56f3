/* AMD SVM vocabulary (AMD64 APM Vol. 2, chapter 15 "Secure Virtual Machine"
 * and Appendix B "Layout of VMCB"): the VMCB as a C structure whose offsets
 * are asserted against Table B-1 (control area) and Table B-2 (state-save
 * area), the intercept bits, TLB_CONTROL, V_INTR, EVENTINJ (15.20), the
 * EXITINFO1 layouts of IOIO (15.10.2), MSR (15.11) and NPF (15.25.6), exit
 * codes by their APM names (Appendix C), the SVM MSRs (15.30) and the CPUID
 * feature bits (15.4, CPUID Fn8000_000A). Names only: no code touches the CPU. */
#ifndef ARCH_X86_SVM_DEFS_H
#define ARCH_X86_SVM_DEFS_H

#include "arch/x86/msr.h"
#include "lib/x86/paging.h"
#include "lib/bits.h"

/* ---- SVM MSRs (15.30) ---- */
#define MSR_VM_CR       0xc0010114
#define MSR_VM_HSAVE_PA 0xc0010117

/* VM_CR (15.30.1). */
#define VM_CR_DPD      BIT(0)
#define VM_CR_R_INIT   BIT(1)
#define VM_CR_DIS_A20M BIT(2)
#define VM_CR_LOCK     BIT(3)
#define VM_CR_SVMDIS   BIT(4) /* EFER.SVME cannot be set */

/* ---- CPUID (15.4 "Enabling SVM"; CPUID Fn8000_000A "SVM Features") ---- */
#define CPUID_LEAF_EXT_MAX_FN             0x80000000 /* EAX: highest extended leaf */
#define CPUID_LEAF_SVM                    0x8000000a
#define CPUID_8000000A_EAX_REV_MASK       BITS(7, 0)
#define CPUID_8000000A_EDX_NP             BIT(0) /* nested paging */
#define CPUID_8000000A_EDX_LBRV           BIT(1)
#define CPUID_8000000A_EDX_SVML           BIT(2) /* SVM lock */
#define CPUID_8000000A_EDX_NRIPS          BIT(3) /* NEXT_RIP saved on #VMEXIT */
#define CPUID_8000000A_EDX_TSC_RATE       BIT(4)
#define CPUID_8000000A_EDX_VMCB_CLEAN     BIT(5)
#define CPUID_8000000A_EDX_FLUSH_BY_ASID  BIT(6)
#define CPUID_8000000A_EDX_DECODE_ASSISTS BIT(7)
#define CPUID_8000000A_EDX_PAUSE_FILTER   BIT(10)
#define CPUID_8000000A_EDX_AVIC           BIT(13)
#define CPUID_8000000A_EDX_VMSAVE_VIRT    BIT(15)
#define CPUID_8000000A_EDX_VGIF           BIT(16)

/* ---- EFER bits AMD defines (Vol. 2, 3.1.7); all others are MBZ ---- */
#define EFER_LMSLE BIT(13)
#define EFER_FFXSR BIT(14)
#define EFER_TCE   BIT(15)
#define EFER_AMD_DEFINED                                                                           \
	(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE | EFER_SVME | EFER_LMSLE | EFER_FFXSR | EFER_TCE)

/* CR4 bits an AMD64 CPU may define (Vol. 2, 3.1.3); VMXE and SMXE are
 * Intel's and MBZ here. A CPU lacking a feature also treats its bit as MBZ:
 * this set is what the software check can know without CPUID per bit. */
#define SVM_CR4_DEFINED                                                                            \
	(CR4_VME | CR4_PVI | CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | CR4_MCE | CR4_PGE | CR4_PCE |  \
	 CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_UMIP | CR4_LA57 | CR4_FSGSBASE | CR4_PCIDE |            \
	 CR4_OSXSAVE | CR4_SMEP | CR4_SMAP | CR4_PKE | CR4_CET)

/* DR6 and DR7 after reset (Vol. 2, 13.1.1.5 and 13.1.1.6). */
#define DR6_INIT     0xffff0ff0ULL
#define DR7_INIT_SVM 0x400ULL

/* ---- Intercept vectors 3 and 4 (Table B-1, offsets 00Ch and 010h) ---- */
#define SVM_INTERCEPT_INTR          BIT(0)
#define SVM_INTERCEPT_NMI           BIT(1)
#define SVM_INTERCEPT_SMI           BIT(2)
#define SVM_INTERCEPT_INIT          BIT(3)
#define SVM_INTERCEPT_VINTR         BIT(4)
#define SVM_INTERCEPT_CR0_SEL_WRITE BIT(5)
#define SVM_INTERCEPT_RDTSC         BIT(14)
#define SVM_INTERCEPT_RDPMC         BIT(15)
#define SVM_INTERCEPT_CPUID         BIT(18)
#define SVM_INTERCEPT_RSM           BIT(19)
#define SVM_INTERCEPT_INVD          BIT(22)
#define SVM_INTERCEPT_PAUSE         BIT(23)
#define SVM_INTERCEPT_HLT           BIT(24)
#define SVM_INTERCEPT_INVLPG        BIT(25)
#define SVM_INTERCEPT_INVLPGA       BIT(26)
#define SVM_INTERCEPT_IOIO_PROT     BIT(27) /* through the IOPM */
#define SVM_INTERCEPT_MSR_PROT      BIT(28) /* through the MSRPM */
#define SVM_INTERCEPT_TASK_SWITCH   BIT(29)
#define SVM_INTERCEPT_FERR_FREEZE   BIT(30)
#define SVM_INTERCEPT_SHUTDOWN      BIT(31)

#define SVM_INTERCEPT_VMRUN   BIT(0) /* must be set, or VMRUN fails (15.5.1) */
#define SVM_INTERCEPT_VMMCALL BIT(1)
#define SVM_INTERCEPT_VMLOAD  BIT(2)
#define SVM_INTERCEPT_VMSAVE  BIT(3)
#define SVM_INTERCEPT_STGI    BIT(4)
#define SVM_INTERCEPT_CLGI    BIT(5)
#define SVM_INTERCEPT_SKINIT  BIT(6)
#define SVM_INTERCEPT_RDTSCP  BIT(7)
#define SVM_INTERCEPT_ICEBP   BIT(8)
#define SVM_INTERCEPT_WBINVD  BIT(9)
#define SVM_INTERCEPT_MONITOR BIT(10)
#define SVM_INTERCEPT_MWAIT   BIT(11)
#define SVM_INTERCEPT_XSETBV  BIT(13)

/* TLB_CONTROL (offset 05Ch, 15.16.1). */
#define TLB_CONTROL_DO_NOTHING            0
#define TLB_CONTROL_FLUSH_ALL             1 /* every ASID: always supported */
#define TLB_CONTROL_FLUSH_GUEST           3 /* this guest's ASID: needs FlushByAsid */
#define TLB_CONTROL_FLUSH_GUEST_NONGLOBAL 7

/* V_INTR fields (offset 060h, 15.21.1). */
#define V_TPR_MASK         BITS(7, 0)
#define V_IRQ              BIT(8) /* a virtual interrupt is pending */
#define V_INTR_PRIO_SHIFT  16     /* bits 19:16: its priority */
#define V_INTR_PRIO_MASK   BITS(19, 16)
#define V_IGN_TPR          BIT(20) /* V_TPR does not hold it back */
#define V_INTR_MASKING     BIT(24) /* the guest's RFLAGS.IF masks only virtual interrupts */
#define SVM_INTERCEPT_IRET BIT(20) /* intercept_misc1 */

/* Interrupt shadow (offset 068h). */
#define SVM_INTERRUPT_SHADOW BIT(0)

/* Nested-paging control (offset 090h, 15.25.3). */
#define SVM_NP_ENABLE BIT(0)

/* EVENTINJ and EXITINTINFO (offsets 0A8h and 088h, 15.20, Figure 15-4). */
#define SVM_EVTINJ_VECTOR_MASK    BITS(7, 0)
#define SVM_EVTINJ_TYPE_SHIFT     8
#define SVM_EVTINJ_TYPE_MASK      BITS(10, 8)
#define SVM_EVTINJ_EV             BIT(11) /* an error code is pushed */
#define SVM_EVTINJ_V              BIT(31) /* valid */
#define SVM_EVTINJ_ERROR_SHIFT    32
#define SVM_EVTINJ_TYPE_INTR      0
#define SVM_EVTINJ_TYPE_NMI       2
#define SVM_EVTINJ_TYPE_EXCEPTION 3
#define SVM_EVTINJ_TYPE_SOFT_INT  4
#define SVM_EVTINJ_TYPE(t)        ((u64)(t) << SVM_EVTINJ_TYPE_SHIFT)
#define SVM_EVTINJ_RESERVED       BITS(30, 12)

/* IOIO EXITINFO1 (15.10.2, Figure 15-2); EXITINFO2 is the next RIP. */
#define IOIO_TYPE_IN    BIT(0)
#define IOIO_STR        BIT(2)
#define IOIO_REP        BIT(3)
#define IOIO_SZ8        BIT(4)
#define IOIO_SZ16       BIT(5)
#define IOIO_SZ32       BIT(6)
#define IOIO_PORT_SHIFT 16
#define IOIO_PORT_MASK  BITS(31, 16)

/* MSR EXITINFO1 (15.11). */
#define SVM_EXITINFO1_RDMSR 0
#define SVM_EXITINFO1_WRMSR 1

/* NPF EXITINFO1: a #PF-style error code (15.25.6); EXITINFO2 is the gPA. */
#define NPF_P                    BIT(0) /* the translation was present */
#define NPF_RW                   BIT(1) /* a write */
#define NPF_US                   BIT(2)
#define NPF_RSV                  BIT(3)  /* a reserved bit was set */
#define NPF_ID                   BIT(4)  /* an instruction fetch */
#define NPF_GUEST_PHYSICAL_FINAL BIT(32) /* translating the final gPA */
#define NPF_GUEST_PAGE_TABLES    BIT(33) /* translating a guest page-table access */

/* IOPM and MSRPM (15.10.1, 15.11): sizes, and the three MSR ranges the MSRPM
 * covers, two bits (read, write) per MSR. */
#define SVM_IOPM_BYTES        (12 * KiB)
#define SVM_MSRPM_BYTES       (8 * KiB)
#define SVM_MSRPM_RANGE_MSRS  0x2000u /* MSRs per range */
#define SVM_MSRPM_RANGE_BYTES 0x800u  /* 2 bits x 0x2000 MSRs */
#define SVM_MSRPM_RANGE0_BASE 0x00000000u
#define SVM_MSRPM_RANGE1_BASE 0xc0000000u
#define SVM_MSRPM_RANGE2_BASE 0xc0010000u

/* Segment attributes as the VMCB holds them (Table B-2 note): descriptor
 * bits 47:40 in attrib 7:0 and bits 55:52 in attrib 11:8. */
#define SVM_ATTR_TYPE_MASK BITS(3, 0)
#define SVM_ATTR_S         BIT(4)
#define SVM_ATTR_DPL_SHIFT 5
#define SVM_ATTR_P         BIT(7)
#define SVM_ATTR_AVL       BIT(8)
#define SVM_ATTR_L         BIT(9)
#define SVM_ATTR_DB        BIT(10)
#define SVM_ATTR_G         BIT(11)

/* ---- Exit codes (Appendix C, Table C-1) ---- */
enum svm_exit_code {
	SVM_EXIT_CR0_READ = 0x00, /* CRn read: 0x00 + n */
	SVM_EXIT_CR0_WRITE = 0x10,
	SVM_EXIT_DR0_READ = 0x20,
	SVM_EXIT_DR0_WRITE = 0x30,
	SVM_EXIT_EXCP_BASE = 0x40, /* exception n: 0x40 + n */
	SVM_EXIT_INTR = 0x60,
	SVM_EXIT_NMI = 0x61,
	SVM_EXIT_SMI = 0x62,
	SVM_EXIT_INIT = 0x63,
	SVM_EXIT_VINTR = 0x64,
	SVM_EXIT_CR0_SEL_WRITE = 0x65,
	SVM_EXIT_IDTR_READ = 0x66,
	SVM_EXIT_GDTR_READ = 0x67,
	SVM_EXIT_LDTR_READ = 0x68,
	SVM_EXIT_TR_READ = 0x69,
	SVM_EXIT_IDTR_WRITE = 0x6a,
	SVM_EXIT_GDTR_WRITE = 0x6b,
	SVM_EXIT_LDTR_WRITE = 0x6c,
	SVM_EXIT_TR_WRITE = 0x6d,
	SVM_EXIT_RDTSC = 0x6e,
	SVM_EXIT_RDPMC = 0x6f,
	SVM_EXIT_PUSHF = 0x70,
	SVM_EXIT_POPF = 0x71,
	SVM_EXIT_CPUID = 0x72,
	SVM_EXIT_RSM = 0x73,
	SVM_EXIT_IRET = 0x74,
	SVM_EXIT_SWINT = 0x75,
	SVM_EXIT_INVD = 0x76,
	SVM_EXIT_PAUSE = 0x77,
	SVM_EXIT_HLT = 0x78,
	SVM_EXIT_INVLPG = 0x79,
	SVM_EXIT_INVLPGA = 0x7a,
	SVM_EXIT_IOIO = 0x7b,
	SVM_EXIT_MSR = 0x7c,
	SVM_EXIT_TASK_SWITCH = 0x7d,
	SVM_EXIT_FERR_FREEZE = 0x7e,
	SVM_EXIT_SHUTDOWN = 0x7f,
	SVM_EXIT_VMRUN = 0x80,
	SVM_EXIT_VMMCALL = 0x81,
	SVM_EXIT_VMLOAD = 0x82,
	SVM_EXIT_VMSAVE = 0x83,
	SVM_EXIT_STGI = 0x84,
	SVM_EXIT_CLGI = 0x85,
	SVM_EXIT_SKINIT = 0x86,
	SVM_EXIT_RDTSCP = 0x87,
	SVM_EXIT_ICEBP = 0x88,
	SVM_EXIT_WBINVD = 0x89,
	SVM_EXIT_MONITOR = 0x8a,
	SVM_EXIT_MWAIT = 0x8b,
	SVM_EXIT_MWAIT_CONDITIONAL = 0x8c,
	SVM_EXIT_XSETBV = 0x8d,
	SVM_EXIT_RDPRU = 0x8e,
	SVM_EXIT_EFER_WRITE_TRAP = 0x8f,
	SVM_EXIT_CR0_WRITE_TRAP = 0x90, /* CRn write trap: 0x90 + n */
	SVM_EXIT_INVLPGB = 0xa0,
	SVM_EXIT_INVLPGB_ILLEGAL = 0xa1,
	SVM_EXIT_INVPCID = 0xa2,
	SVM_EXIT_MCOMMIT = 0xa3,
	SVM_EXIT_TLBSYNC = 0xa4,
	SVM_EXIT_NPF = 0x400,
	SVM_EXIT_AVIC_INCOMPLETE_IPI = 0x401,
	SVM_EXIT_AVIC_NOACCEL = 0x402,
	SVM_EXIT_VMGEXIT = 0x403,
};
/* EXITCODE is 64 bits and these two are negative (Table C-1); QEMU writes
 * only their low 32 bits, so compare (u32) values. */
#define SVM_EXIT_INVALID ((u64)-1) /* VMRUN found illegal guest state (15.5.1) */
#define SVM_EXIT_BUSY    ((u64)-2)

/* ---- The VMCB (Appendix B) ---- */
struct vmcb_seg {
	u16 selector;
	u16 attrib;
	u32 limit;
	u64 base;
};

/* Table B-1: the control area, 000h-3FFh. */
struct vmcb_control {
	u32 intercept_cr;         /* 000h: bits 15:0 read CRn, 31:16 write CRn */
	u32 intercept_dr;         /* 004h */
	u32 intercept_exceptions; /* 008h: bit n = vector n */
	u32 intercept_misc1;      /* 00Ch: SVM_INTERCEPT_INTR ... SHUTDOWN */
	u32 intercept_misc2;      /* 010h: SVM_INTERCEPT_VMRUN ... */
	u32 intercept_misc3;      /* 014h */
	u8 reserved_018[0x03c - 0x018];
	u16 pause_filter_threshold; /* 03Ch */
	u16 pause_filter_count;     /* 03Eh */
	u64 iopm_base_pa;           /* 040h */
	u64 msrpm_base_pa;          /* 048h */
	u64 tsc_offset;             /* 050h */
	u32 guest_asid;             /* 058h */
	u8 tlb_control;             /* 05Ch */
	u8 reserved_05d[3];
	u64 vintr;            /* 060h: V_TPR, V_IRQ, V_INTR_MASKING, ... */
	u64 interrupt_shadow; /* 068h */
	u64 exitcode;         /* 070h */
	u64 exitinfo1;        /* 078h */
	u64 exitinfo2;        /* 080h */
	u64 exitintinfo;      /* 088h */
	u64 np_control;       /* 090h: NP_ENABLE, SEV, ... */
	u64 avic_apic_bar;    /* 098h */
	u64 ghcb_pa;          /* 0A0h */
	u64 eventinj;         /* 0A8h */
	u64 n_cr3;            /* 0B0h: nested page table root */
	u64 virt_ext;         /* 0B8h: LBR virtualization, virtual VMLOAD/VMSAVE */
	u32 vmcb_clean;       /* 0C0h */
	u32 reserved_0c4;
	u64 next_rip;            /* 0C8h: with NRIPS */
	u8 insn_bytes_fetched;   /* 0D0h: with decode assists */
	u8 guest_insn_bytes[15]; /* 0D1h */
	u8 reserved_0e0[0x400 - 0x0e0];
};

/* Table B-2: the state-save area, 400h onwards. */
struct vmcb_save {
	struct vmcb_seg es, cs, ss, ds, fs, gs; /* 400h-45Fh */
	struct vmcb_seg gdtr, ldtr, idtr, tr;   /* 460h-49Fh */
	u8 reserved_4a0[0x4cb - 0x4a0];
	u8 cpl; /* 4CBh */
	u32 reserved_4cc;
	u64 efer; /* 4D0h */
	u8 reserved_4d8[0x548 - 0x4d8];
	u64 cr4;    /* 548h */
	u64 cr3;    /* 550h */
	u64 cr0;    /* 558h */
	u64 dr7;    /* 560h */
	u64 dr6;    /* 568h */
	u64 rflags; /* 570h */
	u64 rip;    /* 578h */
	u8 reserved_580[0x5d8 - 0x580];
	u64 rsp;       /* 5D8h */
	u64 s_cet;     /* 5E0h */
	u64 ssp;       /* 5E8h */
	u64 isst_addr; /* 5F0h */
	u64 rax;       /* 5F8h */
	/* 600h-63Fh: switched by VMLOAD/VMSAVE, not by VMRUN (15.5.2). */
	u64 star, lstar, cstar, sfmask, kernel_gs_base;
	u64 sysenter_cs, sysenter_esp, sysenter_eip;
	u64 cr2; /* 640h */
	u8 reserved_648[0x668 - 0x648];
	u64 g_pat;  /* 668h: the guest's PAT with nested paging (15.25.8) */
	u64 dbgctl; /* 670h */
	u64 br_from, br_to, last_excp_from, last_excp_to; /* 678h-697h */
};

#define VMCB_SAVE_OFFSET 0x400
#define VMCB_BYTES       4096

struct vmcb {
	struct vmcb_control control;
	struct vmcb_save save;
	u8 reserved_698[VMCB_BYTES - VMCB_SAVE_OFFSET - 0x298];
};

#define VMCB_CHECK(s, f, off) _Static_assert(offsetof(struct s, f) == (off), #s "." #f)
VMCB_CHECK(vmcb_control, intercept_misc1, 0x00c);
VMCB_CHECK(vmcb_control, intercept_misc2, 0x010);
VMCB_CHECK(vmcb_control, pause_filter_threshold, 0x03c);
VMCB_CHECK(vmcb_control, iopm_base_pa, 0x040);
VMCB_CHECK(vmcb_control, msrpm_base_pa, 0x048);
VMCB_CHECK(vmcb_control, guest_asid, 0x058);
VMCB_CHECK(vmcb_control, tlb_control, 0x05c);
VMCB_CHECK(vmcb_control, vintr, 0x060);
VMCB_CHECK(vmcb_control, exitcode, 0x070);
VMCB_CHECK(vmcb_control, exitintinfo, 0x088);
VMCB_CHECK(vmcb_control, np_control, 0x090);
VMCB_CHECK(vmcb_control, eventinj, 0x0a8);
VMCB_CHECK(vmcb_control, n_cr3, 0x0b0);
VMCB_CHECK(vmcb_control, vmcb_clean, 0x0c0);
VMCB_CHECK(vmcb_control, next_rip, 0x0c8);
VMCB_CHECK(vmcb_control, insn_bytes_fetched, 0x0d0);
VMCB_CHECK(vmcb_save, tr, 0x490 - VMCB_SAVE_OFFSET);
VMCB_CHECK(vmcb_save, cpl, 0x4cb - VMCB_SAVE_OFFSET);
VMCB_CHECK(vmcb_save, efer, 0x4d0 - VMCB_SAVE_OFFSET);
VMCB_CHECK(vmcb_save, cr4, 0x548 - VMCB_SAVE_OFFSET);
VMCB_CHECK(vmcb_save, rip, 0x578 - VMCB_SAVE_OFFSET);
VMCB_CHECK(vmcb_save, rsp, 0x5d8 - VMCB_SAVE_OFFSET);
VMCB_CHECK(vmcb_save, rax, 0x5f8 - VMCB_SAVE_OFFSET);
VMCB_CHECK(vmcb_save, star, 0x600 - VMCB_SAVE_OFFSET);
VMCB_CHECK(vmcb_save, sysenter_eip, 0x638 - VMCB_SAVE_OFFSET);
VMCB_CHECK(vmcb_save, cr2, 0x640 - VMCB_SAVE_OFFSET);
VMCB_CHECK(vmcb_save, g_pat, 0x668 - VMCB_SAVE_OFFSET);
VMCB_CHECK(vmcb_save, last_excp_to, 0x690 - VMCB_SAVE_OFFSET);
VMCB_CHECK(vmcb, save, VMCB_SAVE_OFFSET);
_Static_assert(sizeof(struct vmcb_control) == VMCB_SAVE_OFFSET, "VMCB control area");
_Static_assert(sizeof(struct vmcb) == VMCB_BYTES, "a VMCB is one 4 KiB page");
#undef VMCB_CHECK

/* The VMCB's nCR3 for a nested-table root (APM Vol. 2, 15.25): CR3-shaped, PWT = PCD = 0, so
 * the table itself is fetched write-back. */
static inline u64 svm_ncr3(u64 root)
{
	return root & PTE_ADDR_MASK;
}

#endif
