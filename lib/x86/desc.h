/* Descriptor formats of 64-bit mode: segment descriptors (SDM Vol. 3A,
 * 3.4.5), IDT gates (6.14.1), the TSS (8.7) and the GDTR/IDTR operand, and
 * the selectors of the flat GDT that both kernels boot with
 * (lib/x86/long_mode.h) and the hypervisor keeps (arch/x86/desc.c). The
 * guest builds its IDT from these (guest/exc.c). The constants serve
 * assembly sources too. */
#ifndef LIB_X86_DESC_H
#define LIB_X86_DESC_H

#include "lib/bits.h"

/* The flat GDT: null, 64-bit code, data (then the hypervisor's TSS). */
#define SEL_CODE64 0x08
#define SEL_DATA   0x10

/* Segment descriptor fields (SDM Vol. 3A, 3.4.5, Figure 3-8). */
#define DESC_TYPE_CODE_XR   (ULL(0xA) << 40)
#define DESC_TYPE_DATA_RW   (ULL(0x2) << 40)
#define DESC_TYPE_TSS_AVAIL (ULL(0x9) << 40)
#define DESC_S              BIT(44)
#define DESC_P              BIT(47)
#define DESC_L              BIT(53)
#define DESC_DB             BIT(54)
#define DESC_G              BIT(55)
#define DESC_LIMIT_MAX      (ULL(0xffff) | (ULL(0xf) << 48))
/* The two flat segments, 4 GiB limit: 64-bit code (DPL 0) and data. */
#define DESC_CODE64_FLAT (DESC_TYPE_CODE_XR | DESC_S | DESC_P | DESC_L | DESC_G | DESC_LIMIT_MAX)
#define DESC_DATA_FLAT   (DESC_TYPE_DATA_RW | DESC_S | DESC_P | DESC_DB | DESC_G | DESC_LIMIT_MAX)

/* Present, DPL 0, 64-bit interrupt gate (SDM Vol. 3A, 6.14.1, Figure 6-8):
 * interrupts stay off in the handler. */
#define GATE_INTERRUPT_P 0x8E

#ifndef __ASSEMBLY__
#include "lib/types.h"

/* 64-bit TSS (SDM Vol. 3A, 8.7 "Task Management in 64-bit Mode"). */
struct tss64 {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss64) == 104, "64-bit TSS is 104 bytes");

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

/* The operand of LGDT/LIDT (SGDT/SIDT) in 64-bit mode. */
struct desc_ptr {
	u16 limit;
	u64 base;
} __attribute__((packed));

/* An interrupt gate to handler on selector sel; ist 0 keeps the stack. */
static inline struct idt_gate idt_interrupt_gate(u64 handler, u16 sel, u8 ist)
{
	return (struct idt_gate){
	    .offset_lo = handler & 0xffff,
	    .selector = sel,
	    .ist = ist,
	    .type_attr = GATE_INTERRUPT_P,
	    .offset_mid = (handler >> 16) & 0xffff,
	    .offset_hi = handler >> 32,
	};
}
#endif

#endif
