/* The hypervisor's own descriptor tables: GDT with a 64-bit code segment, a
 * data segment and a TSS (VMX needs a non-zero host TR, EMULATORS.md), and
 * an IDT routing vectors 0-31 to arch/x86/exc.c. */
#ifndef ARCH_X86_DESC_H
#define ARCH_X86_DESC_H

#include "lib/types.h"

#define SEL_CODE64 0x08
#define SEL_DATA   0x10
#define SEL_TSS    0x18

/* Saved by arch/x86/entry.S, lowest address first. */
struct exc_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error;
	u64 rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

struct desc_ptr {
	u16 limit;
	u64 base;
} __attribute__((packed));

void desc_init(void);
u64 desc_tss_base(void);
u64 desc_gdt_base(void);
u64 desc_idt_base(void);

#endif
