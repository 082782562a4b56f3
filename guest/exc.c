#include "guest/exc.h"

#include "guest/console.h"
#include "lib/console.h"
#include "lib/x86/cr.h"
#include "lib/x86/desc.h"
#include "lib/x86/exc.h"

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

static struct idt_gate idt[EXC_VECTORS] __attribute__((aligned(16)));
static const struct report *exc_report;
static guest_pf_fn pf_handler;
static bool in_fatal;

const char *guest_insn_name(enum guest_insn insn)
{
	return (unsigned)insn < GI_COUNT ? probes[insn].name : "?";
}

void guest_exc_set_report(const struct report *rep)
{
	exc_report = rep;
}

void guest_exc_set_pf_handler(guest_pf_fn fn)
{
	pf_handler = fn;
}

void guest_exc_init(void)
{
	for (unsigned v = 0; v < EXC_VECTORS; v++)
		idt[v] = idt_interrupt_gate(exc_stubs[v], SEL_CODE64, 0);
	const struct desc_ptr p = {sizeof(idt) - 1, (u64)(uintptr_t)idt};
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

void exc_handle(struct exc_frame *f)
{
	if (exc_fixup(f))
		return;
	u64 cr2 = read_cr2();
	if (f->vector == VEC_PF && pf_handler && !in_fatal && pf_handler(cr2, f->error))
		return;
	if (in_fatal) {
		/* A fault while reporting one: the console itself may be what
		 * faults, so say the least and stop. */
		con_printf("\nFAIL: guest-exception: vector %llu inside the exception report\n",
		           f->vector);
		guest_exit(false);
	}
	in_fatal = true;
	con_printf("\nFAIL: guest-exception: vector %llu (%s) error 0x%llx rip 0x%llx cr2 0x%llx\n",
	           f->vector, exc_name((unsigned)f->vector), f->error, f->rip, cr2);
	exc_print_frame(f);
	struct report r = exc_report ? *exc_report : (struct report){0};
	r.tests++;
	r.failures++;
	report_summary(&r);
	guest_exit(false);
}
