#include "arch/x86/desc.h"

#include "lib/bits.h"
#include "lib/mem.h"
#include "lib/x86/exc.h"
#include "arch/x86/irq.h"

#define IST_DOUBLE_FAULT 1

static u64 gdt[5] __attribute__((aligned(16)));
/* All 256 vectors (SDM Vol. 3A, 6.10): exceptions through lib/x86/entry.S,
 * the rest through the host's own stubs (arch/x86/irq.S). */
static struct idt_gate idt[IRQ_FIRST_VECTOR + IRQ_VECTORS] __attribute__((aligned(16)));
static struct desc_ptr gdt_ptr, idt_ptr;
static struct tss64 tss __attribute__((aligned(16)));
static u8 df_stack[8192] __attribute__((aligned(16)));

void desc_init(void)
{
	gdt[0] = 0;
	gdt[SEL_CODE64 / 8] = DESC_CODE64_FLAT;
	gdt[SEL_DATA / 8] = DESC_DATA_FLAT;

	memset(&tss, 0, sizeof(tss));
	tss.ist[IST_DOUBLE_FAULT - 1] = (u64)(uintptr_t)(df_stack + sizeof(df_stack));
	tss.iomap_base = sizeof(tss); /* no I/O bitmap */
	u64 base = (u64)(uintptr_t)&tss, limit = sizeof(tss) - 1;
	/* System descriptor: 16 bytes in 64-bit mode (SDM Vol. 3A, 8.2.3). */
	gdt[SEL_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) | DESC_TYPE_TSS_AVAIL |
	                   DESC_P | (((base >> 24) & 0xff) << 56);
	gdt[SEL_TSS / 8 + 1] = base >> 32;

	_Static_assert(EXC_VECTORS == IRQ_FIRST_VECTOR, "exception and interrupt stubs meet");
	gdt_ptr = (struct desc_ptr){sizeof(gdt) - 1, (u64)(uintptr_t)gdt};
	const struct desc_ptr gp = gdt_ptr;
	__asm__ volatile("lgdt %0\n\t"
	                 "pushq %1\n\t"
	                 "leaq 1f(%%rip), %%rax\n\t"
	                 "pushq %%rax\n\t"
	                 "lretq\n"
	                 "1:\n\t"
	                 "mov %2, %%ds\n\t"
	                 "mov %2, %%es\n\t"
	                 "mov %2, %%ss\n\t"
	                 "ltr %w3"
	                 :
	                 : "m"(gp), "i"(SEL_CODE64), "r"(SEL_DATA), "r"(SEL_TSS)
	                 : "rax", "memory");

	for (unsigned v = 0; v < ARRAY_SIZE(idt); v++)
		idt[v] = idt_interrupt_gate(v < EXC_VECTORS ? exc_stubs[v]
		                                            : irq_stubs[v - IRQ_FIRST_VECTOR],
		                            SEL_CODE64, v == VEC_DF ? IST_DOUBLE_FAULT : 0);
	idt_ptr = (struct desc_ptr){sizeof(idt) - 1, (u64)(uintptr_t)idt};
	desc_reload_limits();
}

void desc_reload_limits(void)
{
	__asm__ volatile("lgdt %0\n\tlidt %1" ::"m"(gdt_ptr), "m"(idt_ptr) : "memory");
}

u16 desc_idt_limit(void)
{
	return idt_ptr.limit;
}

u64 desc_tss_base(void)
{
	return (u64)(uintptr_t)&tss;
}
u64 desc_gdt_base(void)
{
	return (u64)(uintptr_t)gdt;
}
u64 desc_idt_base(void)
{
	return (u64)(uintptr_t)idt;
}
