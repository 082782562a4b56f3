/* The test guest's exceptions (SDM Vol. 3A, 6.14): its own IDT for vectors
 * 0-31, as 64-bit interrupt gates on boot.S's code selector. A fault at an
 * instruction listed in the guest's exception table (.extable, as
 * guest/exc.S builds it) resumes at that entry's fixup with vector + 1 in
 * RAX; any other exception prints a FAIL line with the vector, error code,
 * RIP, CR2 and the registers, then a SUMMARY, and ends the guest. */
#ifndef GUEST_EXC_H
#define GUEST_EXC_H

#include "lib/report.h"
#include "lib/types.h"

/* Exception vectors (SDM Vol. 3A, Table 6-1). */
#define GUEST_VEC_DB  1
#define GUEST_VEC_NMI 2
#define GUEST_VEC_BP  3
#define GUEST_VEC_OF  4
#define GUEST_VEC_MC  18
#define GUEST_VEC_UD  6
#define GUEST_VEC_GP  13
#define GUEST_VEC_PF  14

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
/* "#UD" and the like; "reserved" for vectors without a mnemonic. */
const char *guest_exc_name(unsigned vector);

#endif
