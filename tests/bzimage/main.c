/* The bzImage test kernel: entered by the Linux boot protocol's 64-bit entry, it checks the
 * machine state and the zero page the loader handed over against boot.rst ("64-bit Boot
 * Protocol") and zero-page.rst, one PASS/FAIL line each on COM1, then SUMMARY and the
 * emulator's exit port. Its command line (`ram=SIZE initrd_size=N initrd_crc=0xC`, after the
 * BOOT_IMAGE= word a loader puts first) says what the zero page must describe. */
#include "lib/console.h"
#include "lib/mem.h"
#include "lib/opts.h"
#include "lib/report.h"
#include "lib/x86/cr.h"
#include "lib/x86/desc.h"
#include "lib/x86/emu_exit.h"
#include "lib/x86/paging.h"
#include "lib/x86/uart.h"
#include "tests/bzimage/bzhdr.h"

/* Zero-page offsets (zero-page.rst; the setup header is copied at its own offsets). */
#define ZP_EXT_RAMDISK_IMAGE 0x0c0
#define ZP_EXT_RAMDISK_SIZE  0x0c4
#define ZP_EXT_CMD_LINE_PTR  0x0c8
#define ZP_E820_ENTRIES      0x1e8
#define ZP_BOOT_FLAG         0x1fe
#define ZP_HEADER            0x202
#define ZP_VERSION           0x206
#define ZP_TYPE_OF_LOADER    0x210
#define ZP_LOADFLAGS         0x211
#define ZP_RAMDISK_IMAGE     0x218
#define ZP_RAMDISK_SIZE      0x21c
#define ZP_CMD_LINE_PTR      0x228
#define ZP_CMDLINE_SIZE      0x238
#define ZP_PREF_ADDRESS      0x258
#define ZP_E820_TABLE        0x2d0
#define ZP_E820_MAX          128
#define ZP_E820_ENTRY_SIZE   20
#define ZP_SIZE              4096
#define E820_RAM             1
#define BOOT_FLAG            0xaa55
#define HEADER_MAGIC         0x53726448 /* "HdrS" */
#define BOOT_CS              0x10       /* __BOOT_CS */
#define BOOT_DS              0x18       /* __BOOT_DS */
#define RFLAGS_IF            BIT(9)
#define LEGACY_START         0x9f000ull /* the reserved area the loader lists below 1 MiB */
#define LEGACY_END           0x100000ull
#define CRC32_POLY           0xedb88320u /* CRC-32 (IEEE 802.3), reflected */

void bzt_main(const u8 *zp);
extern const u8 startup_64[], _kernel_start[], _end[];

struct bzt_opts {
	char boot_image[256];
	u64 ram;
	u64 initrd_size;
	u64 initrd_crc;
};
static const struct opt_desc bzt_opt_descs[] = {
    OPT_STRING_ENTRY(struct bzt_opts, boot_image, "BOOT_IMAGE", "the image's path"),
    OPT_SIZE_ENTRY(struct bzt_opts, ram, "ram", 0, ~0ULL, "guest RAM the E820 table must give"),
    OPT_UINT_ENTRY(struct bzt_opts, initrd_size, "initrd_size", 0, ~0ULL, 0,
                   "bytes of the initrd; 0 none"),
    OPT_UINT_ENTRY(struct bzt_opts, initrd_crc, "initrd_crc", 0, 0xffffffffULL, OPTF_HEX,
                   "CRC-32 of the initrd"),
};
static const struct opt_table bzt_opts_table = OPT_TABLE(bzt_opt_descs);

static u64 rd(const u8 *p, u64 off, unsigned width)
{
	u64 v = 0;
	for (unsigned i = 0; i < width; i++)
		v |= (u64)p[off + i] << (8 * i);
	return v;
}

static void uart_write_all(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		uart_putc(s[i]);
}

static u32 crc32(const u8 *p, u64 len)
{
	u32 c = 0xffffffffu;
	for (u64 i = 0; i < len; i++) {
		c ^= p[i];
		for (unsigned b = 0; b < 8; b++)
			c = (c >> 1) ^ (CRC32_POLY & -(c & 1));
	}
	return ~c;
}

static u64 read_efer(void)
{
	u32 lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(IA32_EFER));
	return (u64)hi << 32 | lo;
}

/* The physical address va maps to through the tables at CR3, or ~0 when it is not mapped
 * (any page size; SDM Vol. 3A, 4.5, 4-level paging). */
static u64 translate(u64 va)
{
	u64 table = read_cr3() & PTE_ADDR_MASK;
	for (int level = 4; level >= 1; level--) {
		const u64 e = ((const u64 *)(uintptr_t)table)[pt_index(va, level)];
		if (!(e & PTE_P))
			return ~0ULL;
		const u64 size = pt_level_size(level);
		if (level == 1 || (level <= 3 && (e & PTE_PS)))
			return (e & PTE_ADDR_MASK & ~(size - 1)) | (va & (size - 1));
		table = e & PTE_ADDR_MASK;
	}
	return ~0ULL;
}

static bool identity(u64 base, u64 len)
{
	for (u64 a = base & ~(u64)(ZP_SIZE - 1); a < base + len; a += ZP_SIZE)
		if (translate(a) != a)
			return false;
	return true;
}

static void check_state(struct report *rep, const u8 *zp)
{
	u16 cs, ds, es, ss;
	u64 rflags;
	__asm__ volatile("mov %%cs, %0; mov %%ds, %1; mov %%es, %2; mov %%ss, %3"
	                 : "=r"(cs), "=r"(ds), "=r"(es), "=r"(ss));
	__asm__ volatile("pushfq; popq %0" : "=r"(rflags));
	const u64 cr0 = read_cr0(), cr4 = read_cr4(), efer = read_efer();
	report_check(rep,
	             (efer & EFER_LMA) && (efer & EFER_LME) && (cr0 & CR0_PG) && (cr0 & CR0_PE) &&
	                 (cr4 & CR4_PAE),
	             "bz-long-mode", "EFER 0x%llx CR0 0x%llx CR4 0x%llx", efer, cr0, cr4);
	report_check(rep, cs == BOOT_CS && ds == BOOT_DS && es == BOOT_DS && ss == BOOT_DS,
	             "bz-segments", "CS 0x%x DS 0x%x ES 0x%x SS 0x%x, expected 0x%x and 0x%x", cs,
	             ds, es, ss, BOOT_CS, BOOT_DS);
	report_check(rep, !(rflags & RFLAGS_IF), "bz-interrupts-off", "RFLAGS 0x%llx", rflags);

	struct desc_ptr gdtr;
	__asm__ volatile("sgdt %0" : "=m"(gdtr));
	const u64 *gdt = (const u64 *)(uintptr_t)gdtr.base;
	const bool gdt_ok = gdtr.limit >= BOOT_DS + 7 && (gdt[BOOT_CS / 8] & DESC_L) &&
	                    !(gdt[BOOT_CS / 8] & DESC_DB) && (gdt[BOOT_CS / 8] & DESC_P) &&
	                    (gdt[BOOT_DS / 8] & DESC_P) && (gdt[BOOT_DS / 8] & DESC_S);
	report_check(rep, gdt_ok, "bz-gdt",
	             "GDT at 0x%llx limit 0x%x: 0x10 = 0x%llx, 0x18 = 0x%llx", gdtr.base,
	             gdtr.limit, gdtr.limit >= BOOT_CS + 7 ? gdt[BOOT_CS / 8] : 0,
	             gdtr.limit >= BOOT_DS + 7 ? gdt[BOOT_DS / 8] : 0);
	report_check(rep, (u64)(uintptr_t)startup_64 == BZT_LOAD_ADDR + BZT_ENTRY64_OFF, "bz-entry",
	             "startup_64 linked at 0x%llx", (u64)(uintptr_t)startup_64);
	report_check(rep, zp && ((u64)(uintptr_t)zp & (ZP_SIZE - 1)) == 0, "bz-rsi-zero-page",
	             "RSI 0x%llx is not a page-aligned address", (u64)(uintptr_t)zp);
}

static void check_header(struct report *rep, const u8 *zp)
{
	report_check(rep,
	             rd(zp, ZP_BOOT_FLAG, 2) == BOOT_FLAG && rd(zp, ZP_HEADER, 4) == HEADER_MAGIC &&
	                 rd(zp, ZP_VERSION, 2) == BZT_VERSION &&
	                 rd(zp, ZP_CMDLINE_SIZE, 4) == BZT_CMDLINE_SIZE &&
	                 rd(zp, ZP_PREF_ADDRESS, 8) == BZT_LOAD_ADDR,
	             "bz-zero-page-header",
	             "boot flag 0x%llx magic 0x%llx version 0x%llx cmdline_size %llu pref 0x%llx",
	             rd(zp, ZP_BOOT_FLAG, 2), rd(zp, ZP_HEADER, 4), rd(zp, ZP_VERSION, 2),
	             rd(zp, ZP_CMDLINE_SIZE, 4), rd(zp, ZP_PREF_ADDRESS, 8));
	/* boot.rst: a loader without an assigned id writes 0xFF; LOADED_HIGH stays set. */
	report_check(rep, zp[ZP_TYPE_OF_LOADER] == 0xff && (zp[ZP_LOADFLAGS] & BZT_LOADED_HIGH),
	             "bz-loader-fields", "type_of_loader 0x%x loadflags 0x%x",
	             zp[ZP_TYPE_OF_LOADER], zp[ZP_LOADFLAGS]);
}

static void check_e820(struct report *rep, const u8 *zp, u64 ram)
{
	const unsigned n = zp[ZP_E820_ENTRIES];
	u64 prev_end = 0, ram_bytes = 0, ram_top = 0;
	bool sorted = n > 0 && n <= ZP_E820_MAX, kernel_in_ram = false;
	const u64 kstart = (u64)(uintptr_t)_kernel_start, kend = (u64)(uintptr_t)_end;
	for (unsigned i = 0; i < n && i < ZP_E820_MAX; i++) {
		const u64 off = ZP_E820_TABLE + (u64)i * ZP_E820_ENTRY_SIZE;
		const u64 base = rd(zp, off, 8), len = rd(zp, off + 8, 8);
		const u32 type = (u32)rd(zp, off + 16, 4);
		con_printf("e820: [0x%012llx, 0x%012llx) type %u\n", base, base + len, type);
		sorted = sorted && len && base >= prev_end;
		prev_end = base + len;
		if (type != E820_RAM)
			continue;
		ram_bytes += len;
		ram_top = base + len;
		kernel_in_ram = kernel_in_ram || (base <= kstart && kend <= base + len);
	}
	report_check(rep, sorted, "bz-e820-sorted", "%u entries, not sorted or overlapping", n);
	report_check(rep, kernel_in_ram, "bz-e820-kernel",
	             "kernel [0x%llx, 0x%llx) in no RAM entry", kstart, kend);
	if (!ram) {
		report_skip(rep, "bz-e820-ram", "no ram= on the command line");
		return;
	}
	/* All of [0, ram) is RAM but the legacy area, listed reserved. */
	const u64 want = ram - (LEGACY_END - LEGACY_START);
	report_check(rep, ram_bytes == want && ram_top == ram, "bz-e820-ram",
	             "RAM %llu bytes ending at 0x%llx, expected %llu ending at 0x%llx", ram_bytes,
	             ram_top, want, ram);
}

static void check_initrd(struct report *rep, const u8 *zp, const struct bzt_opts *o)
{
	const u64 image = rd(zp, ZP_RAMDISK_IMAGE, 4) | rd(zp, ZP_EXT_RAMDISK_IMAGE, 4) << 32;
	const u64 size = rd(zp, ZP_RAMDISK_SIZE, 4) | rd(zp, ZP_EXT_RAMDISK_SIZE, 4) << 32;
	if (!o->initrd_size) {
		report_check(rep, image == 0 && size == 0, "bz-no-initrd",
		             "an initrd at 0x%llx, %llu bytes, none given", image, size);
		return;
	}
	if (!report_check(rep, size == o->initrd_size && image && (image & (ZP_SIZE - 1)) == 0,
	                  "bz-initrd", "initrd at 0x%llx, %llu bytes; expected %llu page-aligned",
	                  image, size, o->initrd_size))
		return;
	report_check(
	    rep, image >= (u64)(uintptr_t)_end && identity(image, size), "bz-initrd-mapped",
	    "initrd [0x%llx, +%llu) overlaps the kernel or is not identity-mapped", image, size);
	const u32 crc = crc32((const u8 *)(uintptr_t)image, size);
	report_check(rep, crc == o->initrd_crc, "bz-initrd-crc", "CRC-32 0x%x, expected 0x%llx",
	             crc, o->initrd_crc);
}

void bzt_main(const u8 *zp)
{
	static struct report rep;
	uart_init();
	con_init(uart_write_all);
	con_printf("bzImage test kernel: 64-bit entry, zero page at 0x%llx\n", (u64)(uintptr_t)zp);
	check_state(&rep, zp);
	if (!zp || ((u64)(uintptr_t)zp & (ZP_SIZE - 1))) {
		report_summary(&rep);
		emu_exit(false);
	}
	report_check(&rep,
	             identity((u64)(uintptr_t)zp, ZP_SIZE) &&
	                 identity((u64)(uintptr_t)_kernel_start, _end - _kernel_start),
	             "bz-identity-map", "the zero page or the kernel is not identity-mapped");
	check_header(&rep, zp);

	const u64 cmd = rd(zp, ZP_CMD_LINE_PTR, 4) | rd(zp, ZP_EXT_CMD_LINE_PTR, 4) << 32;
	const char *cmdline = (const char *)(uintptr_t)cmd;
	u64 len = 0;
	while (cmd && len <= BZT_CMDLINE_SIZE && cmdline[len])
		len++;
	const bool cmd_ok = cmd && identity(cmd, len + 1) && len <= BZT_CMDLINE_SIZE;
	report_check(&rep, cmd_ok, "bz-cmdline", "cmd_line_ptr 0x%llx", cmd);
	struct bzt_opts o = {.ram = 0};
	struct opts_result res;
	if (cmd_ok) {
		con_printf("cmdline: %s\n", cmdline);
		if (opts_parse(&bzt_opts_table, cmdline, &o, &res) != OPTS_OK)
			report_fail(&rep, "bz-options", "%s", res.msg);
		else
			report_check(&rep, !strncmp(cmdline, "BOOT_IMAGE=", strlen("BOOT_IMAGE=")),
			             "bz-boot-image",
			             "the command line does not start with BOOT_IMAGE=");
	}
	check_e820(&rep, zp, o.ram);
	check_initrd(&rep, zp, &o);
	report_summary(&rep);
	emu_exit(rep.failures == 0);
}
