/* What both kernels' exception handlers share (lib/x86/exc.h): the vector
 * names, the exception-table lookup and the frame dump. */
#include "lib/x86/exc.h"

#include "lib/console.h"

struct extable_entry {
	u64 insn;
	u64 fixup;
};
/* Bounds of .extable, from the linker scripts. */
extern const struct extable_entry _extable_start[], _extable_end[];

/* Mnemonics of SDM Vol. 3A, Table 6-1. */
static const char *const exc_names[EXC_VECTORS] = {
    [0] = "#DE",  [1] = "#DB",  [2] = "NMI",  [3] = "#BP",  [4] = "#OF",  [5] = "#BR",
    [6] = "#UD",  [7] = "#NM",  [8] = "#DF",  [10] = "#TS", [11] = "#NP", [12] = "#SS",
    [13] = "#GP", [14] = "#PF", [16] = "#MF", [17] = "#AC", [18] = "#MC", [19] = "#XM",
    [20] = "#VE", [21] = "#CP", [29] = "#VC", [30] = "#SX",
};

const char *exc_name(unsigned vector)
{
	if (vector < ARRAY_SIZE(exc_names) && exc_names[vector])
		return exc_names[vector];
	return "reserved";
}

/* Faults report the RIP of the faulting instruction (SDM Vol. 3A, 6.5);
 * traps, interrupts and NMIs the RIP of the next one, which may happen to
 * be a listed instruction: only faults may take the exception table. */
static bool is_fault(u64 vector)
{
	return vector != VEC_DB && vector != VEC_NMI && vector != VEC_BP && vector != VEC_OF &&
	       vector != VEC_MC && vector < EXC_VECTORS;
}

bool exc_fixup(struct exc_frame *f)
{
	if (!is_fault(f->vector))
		return false;
	for (const struct extable_entry *e = _extable_start; e < _extable_end; e++) {
		if (e->insn == f->rip) {
			f->rip = e->fixup;
			f->rax = f->vector + 1;
			return true;
		}
	}
	return false;
}

void exc_print_frame(const struct exc_frame *f)
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
