#include "guest/exc.h"

#include "guest/console.h"
#include "lib/console.h"

/* boot.S's GDT: the 64-bit code segment. */
#define GUEST_SEL_CODE64 0x08
/* Present, DPL 0, 64-bit interrupt gate (SDM Vol. 3A, 6.14.1, Figure 6-8):
 * interrupts stay off in the handler. */
#define GATE_INTERRUPT_P  0x8E
#define GUEST_EXC_VECTORS 32

/* Saved by guest/exc.S, lowest address first. */
struct guest_exc_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error;
	u64 rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/* 64-bit IDT gate (SDM Vol. 3A, 6.14.1, Figure 6-8). */
struct idt_gate {
	u16 offset_lo;
	u16 selector;
	u8 ist;
	u8 type_attr;
	u16 offset_mid;
	u32 offset_hi;
	u32 reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct idt_gate) == 16, "64-bit IDT gate is 16 bytes");

struct idt_ptr {
	u16 limit;
	u64 base;
} __attribute__((packed));

struct extable_entry {
	u64 insn;
	u64 fixup;
};

extern const u64 guest_exc_stubs[GUEST_EXC_VECTORS];
extern const struct extable_entry _extable_start[], _extable_end[];

typedef unsigned (*probe_fn)(void *operand);
unsigned guest_probe_ud2(void *operand);
unsigned guest_probe_noncanonical(void *operand);
unsigned guest_probe_vmxon(void *operand);
unsigned guest_probe_vmxoff(void *operand);
unsigned guest_probe_vmptrld(void *operand);
unsigned guest_probe_vmptrst(void *operand);
unsigned guest_probe_vmclear(void *operand);
unsigned guest_probe_vmread(void *operand);
unsigned guest_probe_vmwrite(void *operand);
unsigned guest_probe_vmlaunch(void *operand);
unsigned guest_probe_vmresume(void *operand);
unsigned guest_probe_invept(void *operand);
unsigned guest_probe_invvpid(void *operand);
unsigned guest_probe_rdmsr_unknown(void *operand);

void guest_exc_handle(struct guest_exc_frame *f);

static const struct {
	const char *name;
	probe_fn fn;
} probes[GI_COUNT] = {
    [GI_UD2] = {"ud2", guest_probe_ud2},
    [GI_NONCANONICAL] = {"noncanonical-load", guest_probe_noncanonical},
    [GI_RDMSR_UNKNOWN] = {"rdmsr-unknown", guest_probe_rdmsr_unknown},
    [GI_VMXON] = {"vmxon", guest_probe_vmxon},
    [GI_VMXOFF] = {"vmxoff", guest_probe_vmxoff},
    [GI_VMPTRLD] = {"vmptrld", guest_probe_vmptrld},
    [GI_VMPTRST] = {"vmptrst", guest_probe_vmptrst},
    [GI_VMCLEAR] = {"vmclear", guest_probe_vmclear},
    [GI_VMREAD] = {"vmread", guest_probe_vmread},
    [GI_VMWRITE] = {"vmwrite", guest_probe_vmwrite},
    [GI_VMLAUNCH] = {"vmlaunch", guest_probe_vmlaunch},
    [GI_VMRESUME] = {"vmresume", guest_probe_vmresume},
    [GI_INVEPT] = {"invept", guest_probe_invept},
    [GI_INVVPID] = {"invvpid", guest_probe_invvpid},
};

/* Mnemonics of SDM Vol. 3A, Table 6-1. */
static const char *const exc_names[GUEST_EXC_VECTORS] = {
    [0] = "#DE",  [1] = "#DB",  [2] = "NMI",  [3] = "#BP",  [4] = "#OF",
    [5] = "#BR",  [6] = "#UD",  [7] = "#NM",  [8] = "#DF",  [10] = "#TS",
    [11] = "#NP", [12] = "#SS", [13] = "#GP", [14] = "#PF", [16] = "#MF",
    [17] = "#AC", [18] = "#MC", [19] = "#XM", [20] = "#VE", [21] = "#CP",
};

static struct idt_gate idt[GUEST_EXC_VECTORS] __attribute__((aligned(16)));
static const struct report *exc_report;
static bool in_fatal;

const char *guest_exc_name(unsigned vector)
{
	if (vector < ARRAY_SIZE(exc_names) && exc_names[vector])
		return exc_names[vector];
	return "reserved";
}

const char *guest_insn_name(enum guest_insn insn)
{
	return (unsigned)insn < GI_COUNT ? probes[insn].name : "?";
}

void guest_exc_set_report(const struct report *rep)
{
	exc_report = rep;
}

void guest_exc_init(void)
{
	for (unsigned v = 0; v < GUEST_EXC_VECTORS; v++) {
		u64 h = guest_exc_stubs[v];
		idt[v] = (struct idt_gate){
		    .offset_lo = h & 0xffff,
		    .selector = GUEST_SEL_CODE64,
		    .type_attr = GATE_INTERRUPT_P,
		    .offset_mid = (h >> 16) & 0xffff,
		    .offset_hi = h >> 32,
		};
	}
	const struct idt_ptr p = {sizeof(idt) - 1, (u64)(uintptr_t)idt};
	__asm__ volatile("lidt %0" ::"m"(p));
}

unsigned guest_try_insn(enum guest_insn insn)
{
	/* A valid, aligned memory operand, so that only the instruction itself
	 * can fault: a VMXON/VMPTRLD pointer, a VMPTRST target, an INVEPT or
	 * INVVPID descriptor (SDM Vol. 3C, 30.3). */
	u64 operand[2] __attribute__((aligned(16))) = {0, 0};
	if ((unsigned)insn >= GI_COUNT)
		return 0;
	return probes[insn].fn(operand);
}

static u64 read_cr2(void)
{
	u64 v;
	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static void dump_frame(const struct guest_exc_frame *f)
{
	con_printf("  rip=%016llx cs=%04llx rflags=%016llx rsp=%016llx ss=%04llx\n", f->rip, f->cs,
	           f->rflags, f->rsp, f->ss);
	con_printf("  rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx\n", f->rax, f->rbx, f->rcx,
	           f->rdx);
	con_printf("  rsi=%016llx rdi=%016llx rbp=%016llx r8 =%016llx\n", f->rsi, f->rdi, f->rbp,
	           f->r8);
	con_printf("  r9 =%016llx r10=%016llx r11=%016llx r12=%016llx\n", f->r9, f->r10, f->r11,
	           f->r12);
	con_printf("  r13=%016llx r14=%016llx r15=%016llx\n", f->r13, f->r14, f->r15);
}

/* Only faults report the faulting instruction's RIP (SDM Vol. 3A, 6.5): a
 * trap or an NMI right after a probe must not be taken for its fault. */
static bool is_fault(u64 vector)
{
	return vector != GUEST_VEC_DB && vector != GUEST_VEC_NMI && vector != GUEST_VEC_BP &&
	       vector != GUEST_VEC_OF && vector != GUEST_VEC_MC && vector < 32;
}

void guest_exc_handle(struct guest_exc_frame *f)
{
	for (const struct extable_entry *e = _extable_start;
	     e < _extable_end && is_fault(f->vector); e++) {
		if (e->insn == f->rip) {
			f->rip = e->fixup;
			f->rax = f->vector + 1;
			return;
		}
	}
	u64 cr2 = read_cr2();
	if (in_fatal) {
		/* A fault while reporting one: the console itself may be what
		 * faults, so say the least and stop. */
		con_printf("\nFAIL: guest-exception: vector %llu inside the exception report\n",
		           f->vector);
		guest_exit(false);
	}
	in_fatal = true;
	con_printf("\nFAIL: guest-exception: vector %llu (%s) error 0x%llx rip 0x%llx cr2 0x%llx\n",
	           f->vector, guest_exc_name((unsigned)f->vector), f->error, f->rip, cr2);
	dump_frame(f);
	struct report r = exc_report ? *exc_report : (struct report){0};
	r.tests++;
	r.failures++;
	report_summary(&r);
	guest_exit(false);
}
