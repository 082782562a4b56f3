#include "arch/x86/desc.h"

#include "lib/bits.h"
#include "lib/mem.h"

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

/* Segment descriptor fields (SDM Vol. 3A, 3.4.5, Figure 3-8). */
#define DESC_TYPE_CODE_XR   (0xAULL << 40)
#define DESC_TYPE_DATA_RW   (0x2ULL << 40)
#define DESC_TYPE_TSS_AVAIL (0x9ULL << 40)
#define DESC_S              BIT(44)
#define DESC_P              BIT(47)
#define DESC_L              BIT(53)
#define DESC_DB             BIT(54)
#define DESC_G              BIT(55)
#define DESC_LIMIT_MAX      (0xffffULL | (0xfULL << 48))
#define GATE_INTERRUPT_P    0x8E /* present, DPL 0, 64-bit interrupt gate */
#define IST_DOUBLE_FAULT    1
#define VEC_DOUBLE_FAULT    8
#define EXC_STUB_SIZE       16

static u64 gdt[5] __attribute__((aligned(16)));
static struct idt_gate idt[32] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16)));
static u8 df_stack[8192] __attribute__((aligned(16)));

extern const u8 exc_stubs[];

void desc_init(void)
{
	gdt[0] = 0;
	gdt[SEL_CODE64 / 8] =
	    DESC_TYPE_CODE_XR | DESC_S | DESC_P | DESC_L | DESC_G | DESC_LIMIT_MAX;
	gdt[SEL_DATA / 8] = DESC_TYPE_DATA_RW | DESC_S | DESC_P | DESC_DB | DESC_G | DESC_LIMIT_MAX;

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

	for (unsigned v = 0; v < ARRAY_SIZE(idt); v++) {
		u64 h = (u64)(uintptr_t)(exc_stubs + v * EXC_STUB_SIZE);
		idt[v] = (struct idt_gate){
		    .offset_lo = h & 0xffff,
		    .selector = SEL_CODE64,
		    .ist = v == VEC_DOUBLE_FAULT ? IST_DOUBLE_FAULT : 0,
		    .type_attr = GATE_INTERRUPT_P,
		    .offset_mid = (h >> 16) & 0xffff,
		    .offset_hi = h >> 32,
		};
	}
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
