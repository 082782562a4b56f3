#include "arch/x86/exc.h"

#include "arch/x86/cpu.h"
#include "arch/x86/platform.h"
#include "lib/console.h"

/* Vectors of SDM Vol. 3A, Table 6-1, that are not faults. */
#define VEC_DB_NUMBER  1
#define VEC_NMI_NUMBER 2
#define VEC_BP_NUMBER  3
#define VEC_OF_NUMBER  4
#define VEC_MC_NUMBER  18

struct extable_entry {
	u64 insn;
	u64 fixup;
};
extern const struct extable_entry _extable_start[], _extable_end[];

/* Mnemonics of SDM Vol. 3A, Table 6-1. */
static const char *const exc_names[32] = {
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
	return vector != VEC_DB_NUMBER && vector != VEC_NMI_NUMBER && vector != VEC_BP_NUMBER &&
	       vector != VEC_OF_NUMBER && vector != VEC_MC_NUMBER && vector < 32;
}

void exc_handle(struct exc_frame *f)
{
	if (f->vector == VEC_NMI_NUMBER) {
		/* Real machines raise NMIs for watchdogs and hardware errors; the
		 * hypervisor notes them and goes on. */
		con_printf("hypervisor: NMI at rip 0x%llx ignored\n", f->rip);
		return;
	}
	for (const struct extable_entry *e = _extable_start;
	     e < _extable_end && is_fault(f->vector); e++) {
		if (e->insn == f->rip) {
			f->rip = e->fixup;
			f->rax = f->vector + 1;
			return;
		}
	}
	con_printf("\nFAIL: hypervisor: exception %s (vector %llu) error 0x%llx\n",
	           exc_name((unsigned)f->vector), f->vector, f->error);
	con_printf("  rip=%016llx cs=%04llx rflags=%016llx rsp=%016llx ss=%04llx\n", f->rip, f->cs,
	           f->rflags, f->rsp, f->ss);
	con_printf("  cr0=%016llx cr2=%016llx cr3=%016llx cr4=%016llx\n", read_cr0(), read_cr2(),
	           read_cr3(), read_cr4());
	con_printf("  rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx\n", f->rax, f->rbx, f->rcx,
	           f->rdx);
	con_printf("  rsi=%016llx rdi=%016llx rbp=%016llx r8 =%016llx\n", f->rsi, f->rdi, f->rbp,
	           f->r8);
	con_printf("  r9 =%016llx r10=%016llx r11=%016llx r12=%016llx\n", f->r9, f->r10, f->r11,
	           f->r12);
	con_printf("  r13=%016llx r14=%016llx r15=%016llx\n", f->r13, f->r14, f->r15);
	con_printf("PANIC: unhandled exception in the hypervisor; no SUMMARY follows\n");
	platform_exit(false);
}
