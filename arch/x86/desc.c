#include "arch/x86/desc.h"

#include "lib/bits.h"
#include "lib/mem.h"
#include "lib/x86/exc.h"

#define IST_DOUBLE_FAULT 1

static u64 gdt[5] __attribute__((aligned(16)));
static struct idt_gate idt[EXC_VECTORS] __attribute__((aligned(16)));
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

	struct desc_ptr gp = {sizeof(gdt) - 1, (u64)(uintptr_t)gdt};
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
		idt[v] = idt_interrupt_gate(exc_stubs[v], SEL_CODE64,
		                            v == VEC_DF ? IST_DOUBLE_FAULT : 0);
	struct desc_ptr ip = {sizeof(idt) - 1, (u64)(uintptr_t)idt};
	__asm__ volatile("lidt %0" ::"m"(ip));
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
