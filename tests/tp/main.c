/* The tp kernel's entry: COM1, its own IDT, its command line
 * (`ram=SIZE cpus=N mod2_crc=0xC mod2_name=NAME`), then each area of tp.h,
 * SUMMARY and the emulators' exit ports. An exception no probe expects is a
 * FAIL line that ends the run. */
#include "lib/console.h"
#include "lib/mem.h"
#include "lib/opts.h"
#include "lib/x86/desc.h"
#include "lib/x86/emu_exit.h"
#include "lib/x86/uart.h"
#include "tests/tp/tp.h"

void tp_main(u32 magic, u32 info_pa);

/* idt.S: the exception entries, and (vector, entry) rows ending with 0, 0. */
extern const u64 tp_stubs[32];
extern const u64 tp_irq_stubs[][2];
/* .tp_fixup rows (faulting instruction, resume address); linker/tp.ld. */
extern const u64 _tp_fixup_start[][2], _tp_fixup_end[][2];

volatile u32 tp_irq_count[TP_IDT_ENTRIES];
volatile bool tp_x2apic;
static struct idt_gate idt[TP_IDT_ENTRIES] __attribute__((aligned(16)));
static struct report rep;

#define APIC_EOI_MMIO  0xfee000b0ull
#define MSR_X2APIC_EOI 0x80bu
#define EXC_VECTORS    32
#define CRC32_POLY     0xedb88320u /* CRC-32 (IEEE 802.3), reflected */

static const char *const exc_names[EXC_VECTORS] = {
    "#DE", "#DB", "NMI", "#BP", "#OF",       "#BR", "#UD", "#NM", "#DF", "vector 9", "#TS",
    "#NP", "#SS", "#GP", "#PF", "vector 15", "#MF", "#AC", "#MC", "#XM", "#VE",      "#CP",
};

const char *tp_fault_name(unsigned probe)
{
	if (!probe)
		return "no fault";
	if (probe - 1 < EXC_VECTORS && exc_names[probe - 1])
		return exc_names[probe - 1];
	return "reserved vector";
}

u64 tp_rdtsc(void)
{
	u32 lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

u32 tp_crc32(const u8 *p, u64 len)
{
	u32 c = 0xffffffffu;
	for (u64 i = 0; i < len; i++) {
		c ^= p[i];
		for (unsigned b = 0; b < 8; b++)
			c = (c >> 1) ^ (CRC32_POLY & -(c & 1));
	}
	return ~c;
}

static void uart_write_all(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		uart_putc(s[i]);
}

static __attribute__((noreturn)) void finish(void)
{
	report_summary(&rep);
	emu_exit(rep.failures == 0);
}

void tp_trap(struct tp_frame *f)
{
	if (f->vector >= EXC_VECTORS) {
		tp_irq_count[f->vector]++;
		if (f->vector == TP_VEC_SPURIOUS)
			return; /* a spurious interrupt takes no EOI (SDM Vol. 3A, 11.9) */
		if (tp_x2apic)
			__asm__ volatile("wrmsr" ::"c"(MSR_X2APIC_EOI), "a"(0), "d"(0));
		else
			*(volatile u32 *)(uintptr_t)APIC_EOI_MMIO = 0;
		return;
	}
	for (const u64(*x)[2] = _tp_fixup_start; x < _tp_fixup_end; x++) {
		if ((*x)[0] == f->rip) {
			f->rip = (*x)[1];
			f->rax = f->vector + 1;
			return;
		}
	}
	u64 cr2;
	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	report_fail(&rep, "tp-exception", "%s (vector %llu) error 0x%llx at rip 0x%llx, cr2 0x%llx",
	            tp_fault_name((unsigned)f->vector + 1), f->vector, f->error, f->rip, cr2);
	finish();
}

static void idt_init(void)
{
	for (unsigned v = 0; v < EXC_VECTORS; v++)
		idt[v] = idt_interrupt_gate(tp_stubs[v], SEL_CODE64, 0);
	for (unsigned i = 0; tp_irq_stubs[i][1]; i++)
		idt[tp_irq_stubs[i][0]] = idt_interrupt_gate(tp_irq_stubs[i][1], SEL_CODE64, 0);
	const struct desc_ptr p = {sizeof(idt) - 1, (u64)(uintptr_t)idt};
	__asm__ volatile("lidt %0" ::"m"(p));
}

static const struct opt_desc tp_opt_descs[] = {
    OPT_SIZE_ENTRY(struct tp_expect, ram, "ram", 0, ~0ULL, "RAM fw_cfg and the memory map give"),
    OPT_UINT_ENTRY(struct tp_expect, cpus, "cpus", 1, 0xffff, 0, "fw_cfg's CPU count"),
    OPT_UINT_ENTRY(struct tp_expect, mod2_crc, "mod2_crc", 0, 0xffffffffULL, OPTF_HEX,
                   "CRC-32 of module 2"),
    OPT_STRING_ENTRY(struct tp_expect, mod2_name, "mod2_name", "module 2's string"),
};
static const struct opt_table tp_opts_table = OPT_TABLE(tp_opt_descs);

void tp_main(u32 magic, u32 info_pa)
{
	uart_init();
	con_init(uart_write_all);
	idt_init();
	con_printf("tp kernel starting\n");
	if (!report_check(&rep, magic == MB_LOADER_MAGIC, "tp-multiboot-magic", "EAX=0x%x", magic))
		finish();
	const struct mb_info *mbi = (const void *)(uintptr_t)info_pa;
	const char *cmdline =
	    (mbi->flags & MB_INFO_CMDLINE) ? (const char *)(uintptr_t)mbi->cmdline : "";
	struct tp_expect x = {.cpus = 1};
	struct opts_result res;
	if (opts_parse(&tp_opts_table, cmdline, &x, &res) != OPTS_OK) {
		report_fail(&rep, "tp-options", "%s", res.msg);
		finish();
	}
	tp_check_boot(&rep, mbi, &x);
	tp_check_apic(&rep);
	tp_check_fwcfg(&rep, mbi, &x);
	tp_check_xsave(&rep);
	tp_check_reserved(&rep);
	finish();
}
