/* The test guest's exceptions (SDM Vol. 3A, 6.14): its own IDT for vectors
 * 0-31, as 64-bit interrupt gates on boot.S's code selector to the stubs of
 * lib/x86/entry.S. A fault at an instruction listed in the guest's
 * exception table (.extable, as guest/exc.S builds it) resumes at that entry's fixup with vector +
 * 1 in RAX; any other exception prints a FAIL line with the vector, error code, RIP, CR2 and the
 * registers, then a SUMMARY, and ends the guest. */
#ifndef GUEST_EXC_H
#define GUEST_EXC_H

#include "lib/report.h"
#include "lib/types.h"
#include "lib/x86/exc.h"

/* A page-fault handler of the guest's own (guest/gswap.c): called for #PF before the fatal path
 * with CR2 and the error code; true when it resolved the fault and the access may run again. */
typedef bool (*guest_pf_fn)(u64 cr2, u64 error);
void guest_exc_set_pf_handler(guest_pf_fn fn);

/* Instructions that guest_try_insn() runs, each expected to fault. */
enum guest_insn {
	GI_UD2,           /* control: always #UD */
	GI_NONCANONICAL,  /* control: a load from a non-canonical address, always #GP */
	GI_RDMSR_UNKNOWN, /* rdmsr of an MSR no CPU defines: #GP from segvisor and Bochs */
	GI_VMXON,
	GI_VMXOFF,
	GI_VMPTRLD,
	GI_VMPTRST,
	GI_VMCLEAR,
	GI_VMREAD,
	GI_VMWRITE,
	GI_VMLAUNCH,
	GI_VMRESUME,
	GI_INVEPT,
	GI_INVVPID,
	GI_COUNT
};

void guest_exc_init(void);
/* The report whose counts the SUMMARY of an unexpected exception carries.
 * An exception handler has no caller to take it from, hence this one global;
 * NULL (the default) summarizes the failure alone. */
void guest_exc_set_report(const struct report *rep);

/* Runs insn once: vector + 1 if it faulted, 0 if it completed. */
unsigned guest_try_insn(enum guest_insn insn);
const char *guest_insn_name(enum guest_insn insn);

#endif
