/* Exceptions in 64-bit mode (SDM Vol. 3A, 6.14), taken the same way by
 * both kernels: lib/x86/entry.S has one stub per vector 0-31, each saving
 * struct exc_frame and calling exc_handle(frame), which each kernel
 * defines (arch/x86/exc.c, guest/exc.c). Instructions that may fault are
 * listed in the exception table (.extable) with the address to resume at;
 * exc_fixup() applies it. */
#ifndef LIB_X86_EXC_H
#define LIB_X86_EXC_H

#define EXC_VECTORS 32

/* Exception vectors (SDM Vol. 3A, Table 6-1). */
#define VEC_DE  0
#define VEC_DB  1
#define VEC_NMI 2
#define VEC_BP  3
#define VEC_OF  4
#define VEC_BR  5
#define VEC_UD  6
#define VEC_NM  7
#define VEC_DF  8
#define VEC_TS  10
#define VEC_NP  11
#define VEC_SS  12
#define VEC_GP  13
#define VEC_PF  14
#define VEC_MF  16
#define VEC_AC  17
#define VEC_MC  18
#define VEC_XM  19
#define VEC_VE  20
#define VEC_CP  21

#ifndef __ASSEMBLY__
#include "lib/types.h"

/* Saved by lib/x86/entry.S, lowest address first. */
struct exc_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error;
	u64 rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/* The entry points of vectors 0-31, for the IDT. */
extern const u64 exc_stubs[EXC_VECTORS];

/* Each kernel's handler, called with interrupts off. */
void exc_handle(struct exc_frame *f);

/* "#UD" and the like (SDM Vol. 3A, Table 6-1); "reserved" for the rest. */
const char *exc_name(unsigned vector);
/* A fault at an instruction of the exception table: resumes at its fixup
 * with vector + 1 in RAX and returns true. */
bool exc_fixup(struct exc_frame *f);
/* The interrupted RIP, CS, RFLAGS, RSP, SS and the general registers. */
void exc_print_frame(const struct exc_frame *f);
#endif

#endif
