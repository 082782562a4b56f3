/* The hypervisor's own descriptor tables: GDT with a 64-bit code segment, a
 * data segment and a TSS (VMX needs a non-zero host TR, EMULATORS.md), and
 * an IDT of all 256 vectors: 0-31 to arch/x86/exc.c, 32-255 to
 * arch/x86/irq.c. The formats are in lib/x86/desc.h. */
#ifndef ARCH_X86_DESC_H
#define ARCH_X86_DESC_H

#include "lib/types.h"
#include "lib/x86/desc.h"

/* After lib/x86/desc.h's SEL_CODE64 and SEL_DATA: the TSS, 16 bytes. */
#define SEL_TSS 0x18

void desc_init(void);
u64 desc_tss_base(void);
u64 desc_gdt_base(void);
u64 desc_idt_base(void);
/* Loads GDTR and IDTR again: a VM exit leaves their limits at 0xFFFF
 * (SDM Vol. 3C, 28.5.2), beyond the tables. */
void desc_reload_limits(void);
u16 desc_idt_limit(void); /* 256 * 16 - 1 */

#endif
