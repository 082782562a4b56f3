#include "guest/platchecks.h"

#include "lib/console.h"
#include "lib/x86/cpuid.h"
#include "lib/x86/cr.h"
#include "lib/x86/io.h"
#include "lib/x86/uart.h"

/* The TSC MSRs (SDM Vol. 4, Table 2-2). */
#define IA32_TSC        0x10
#define IA32_TSC_ADJUST 0x3b
#define TSC_JUMP        (1ull << 40) /* cycles the test moves the TSC ahead */
#define TSC_SLACK       (1ull << 32) /* cycles an exit or two may take, generously */

/* fw_cfg on x86 (QEMU docs/specs/fw_cfg.rst): selector, data, keys. */
#define FWCFG_PORT_SELECTOR 0x510
#define FWCFG_PORT_DATA     0x511
#define FW_CFG_SIGNATURE    0x0000
#define FW_CFG_RAM_SIZE     0x0003
#define FW_CFG_NB_CPUS      0x0005
#define BYTE_BITS           8

/* 16550 registers (PC16550D data sheet, Table II). */
#define UART_DLL      0
#define UART_DLM      1
#define UART_LCR      3
#define UART_LSR      5
#define UART_SCR      7
#define LCR_DLAB      0x80
#define LSR_THRE_TEMT 0x60
/* Divisor bytes that would show in the log as "<>" if the latch leaked. */
#define PROBE_DLL '<'
#define PROBE_DLM '>'

static u64 fwcfg_read(u16 key, unsigned bytes)
{
	outw(FWCFG_PORT_SELECTOR, key);
	u64 v = 0;
	for (unsigned i = 0; i < bytes; i++)
		v |= (u64)inb(FWCFG_PORT_DATA) << (BYTE_BITS * i);
	return v;
}

static void check_fwcfg(struct report *rep, u64 ram_bytes, bool hv, bool expect_hv)
{
	static const char sig_name[] = "guest-fwcfg-signature";
	const u32 sig = (u32)fwcfg_read(FW_CFG_SIGNATURE, 4);
	const u32 qemu = 'Q' | 'E' << 8 | 'M' << 16 | (u32)'U' << 24;
	if (sig != qemu) {
		if (expect_hv)
			report_fail(rep, sig_name, "fw_cfg signature 0x%08x, want \"QEMU\"", sig);
		else
			report_skip(rep, sig_name, "no fw_cfg at port 0x%x (signature 0x%08x)",
			            FWCFG_PORT_SELECTOR, sig);
		return;
	}
	report_pass(rep, sig_name);
	/* Under segvisor fw_cfg's RAM size is the RAM the map describes (the
	 * first MiB whole, holes left out); QEMU's firmware keeps some RAM at
	 * the top for itself. */
	const u64 ram = fwcfg_read(FW_CFG_RAM_SIZE, 8);
	con_printf("guest fw_cfg: RAM %llu bytes, Multiboot map RAM %llu bytes\n", ram, ram_bytes);
	if (hv)
		report_check(rep, ram == ram_bytes, "guest-fwcfg-ram-size",
		             "fw_cfg RAM size 0x%llx bytes, Multiboot map RAM 0x%llx bytes", ram,
		             ram_bytes);
	else
		report_check(
		    rep, ram >= ram_bytes, "guest-fwcfg-ram-size",
		    "fw_cfg RAM size 0x%llx bytes, below the Multiboot map's RAM 0x%llx bytes", ram,
		    ram_bytes);
	const u64 cpus = fwcfg_read(FW_CFG_NB_CPUS, 2);
	if (hv)
		report_check(rep, cpus == 1, "guest-fwcfg-nb-cpus", "FW_CFG_NB_CPUS %llu, want 1",
		             cpus);
}

/* Programs the divisor latch with two printable bytes and back, in the
 * middle of a console line: the line must read "uart-divisor-probe: []". */
static void check_uart(struct report *rep)
{
	con_printf("uart-divisor-probe: [");
	uart_drain();
	const u8 lcr = inb(COM1_BASE + UART_LCR);
	outb(COM1_BASE + UART_LCR, lcr | LCR_DLAB);
	const u8 dll = inb(COM1_BASE + UART_DLL), dlm = inb(COM1_BASE + UART_DLM);
	outb(COM1_BASE + UART_DLL, PROBE_DLL);
	outb(COM1_BASE + UART_DLM, PROBE_DLM);
	const u8 got_dll = inb(COM1_BASE + UART_DLL), got_dlm = inb(COM1_BASE + UART_DLM);
	outb(COM1_BASE + UART_DLL, dll);
	outb(COM1_BASE + UART_DLM, dlm);
	outb(COM1_BASE + UART_LCR, lcr);
	con_printf("]\n");
	report_check(rep, got_dll == PROBE_DLL && got_dlm == PROBE_DLM, "guest-uart-divisor-latch",
	             "DLL/DLM read 0x%02x/0x%02x after writing 0x%02x/0x%02x", got_dll, got_dlm,
	             PROBE_DLL, PROBE_DLM);
	report_check(rep,
	             (inb(COM1_BASE + UART_LCR) & LCR_DLAB) == 0 &&
	                 inb(COM1_BASE + UART_DLL) != PROBE_DLL,
	             "guest-uart-dlab-off", "with DLAB clear, offset 0 still reads the latch");

	bool scr_ok = true;
	static const u8 pats[] = {0x00, 0x55, 0xaa, 0xff};
	for (unsigned i = 0; i < sizeof(pats); i++) {
		outb(COM1_BASE + UART_SCR, pats[i]);
		scr_ok &= inb(COM1_BASE + UART_SCR) == pats[i];
	}
	report_check(rep, scr_ok, "guest-uart-scratch", "scratch register did not read back");
	uart_drain(); /* a real UART (natively) may still be sending the lines above */
	const u8 lsr = inb(COM1_BASE + UART_LSR);
	report_check(rep, (lsr & LSR_THRE_TEMT) == LSR_THRE_TEMT, "guest-uart-lsr-idle",
	             "LSR 0x%02x after a drain, want THRE and TEMT (0x60) set", lsr);
}

/* CPUID.1:ECX.OSXSAVE reflects CR4.OSXSAVE (SDM Vol. 2A, CPUID), both ways
 * where XSAVE exists. */
static void check_osxsave(struct report *rep)
{
	static const char name[] = "guest-cpuid-osxsave";
	if (!(cpuid(CPUID_LEAF_FEATURES, 0).ecx & CPUID_1_ECX_XSAVE)) {
		report_check(rep, !(cpuid(CPUID_LEAF_FEATURES, 0).ecx & CPUID_1_ECX_OSXSAVE), name,
		             "OSXSAVE set without XSAVE");
		return;
	}
	const u64 cr4 = read_cr4();
	bool ok = true;
	for (int pass = 0; pass < 2; pass++) {
		const u64 want = pass ? cr4 ^ CR4_OSXSAVE : cr4;
		write_cr4(want);
		const bool bit = cpuid(CPUID_LEAF_FEATURES, 0).ecx & CPUID_1_ECX_OSXSAVE;
		if (bit != !!(read_cr4() & CR4_OSXSAVE)) {
			report_fail(rep, name, "CR4.OSXSAVE %u but CPUID.1:ECX.OSXSAVE %u",
			            !!(read_cr4() & CR4_OSXSAVE), bit);
			ok = false;
			break;
		}
	}
	write_cr4(cr4);
	if (ok)
		report_pass(rep, name);
}

static inline u64 guest_rdtsc(void)
{
	u32 lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)hi << 32 | lo;
}

static inline u64 guest_rdmsr(u32 msr)
{
	u32 lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (u64)hi << 32 | lo;
}

static inline void guest_wrmsr(u32 msr, u64 v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

/* A write of IA32_TSC moves what RDTSC and RDMSR read, and IA32_TSC_ADJUST
 * by the same amount; writing IA32_TSC_ADJUST back to 0 undoes it (SDM
 * Vol. 3B, 18.17.3). Under segvisor only: natively it is the emulator's. */
static void check_tsc(struct report *rep, bool hv)
{
	static const char name[] = "guest-tsc-write";
	if (!hv) {
		report_skip(rep, name, "no hypervisor: the TSC is the machine's");
		return;
	}
	const u64 want = guest_rdtsc() + TSC_JUMP;
	guest_wrmsr(IA32_TSC, want);
	const u64 t1 = guest_rdtsc(), m1 = guest_rdmsr(IA32_TSC);
	const u64 adj = guest_rdmsr(IA32_TSC_ADJUST);
	guest_wrmsr(IA32_TSC_ADJUST, 0);
	const u64 t2 = guest_rdtsc();
	con_printf("guest TSC: wrote 0x%llx, RDTSC 0x%llx, RDMSR 0x%llx, TSC_ADJUST 0x%llx, "
	           "after TSC_ADJUST=0 RDTSC 0x%llx\n",
	           want, t1, m1, adj, t2);
	report_check(rep, t1 >= want && t1 - want < TSC_SLACK && m1 >= t1 && m1 - t1 < TSC_SLACK,
	             name, "RDTSC 0x%llx, RDMSR 0x%llx after writing 0x%llx", t1, m1, want);
	report_check(rep, adj <= TSC_JUMP && TSC_JUMP - adj < TSC_SLACK, "guest-tsc-adjust",
	             "IA32_TSC_ADJUST 0x%llx after moving the TSC 0x%llx ahead", adj, TSC_JUMP);
	report_check(rep, t2 < want, "guest-tsc-adjust-undo",
	             "RDTSC 0x%llx after TSC_ADJUST=0, still at or past 0x%llx", t2, want);
}

void platchecks_run(struct report *rep, u64 ram_bytes, bool hv, bool expect_hv)
{
	check_fwcfg(rep, ram_bytes, hv, expect_hv);
	check_uart(rep);
	check_osxsave(rep);
	check_tsc(rep, hv);
}
