/* fw_cfg as a guest finds it on QEMU (QEMU docs/specs/fw_cfg.rst): the
 * 16-bit selector at I/O port 0x510, the data byte at 0x511. The signature
 * item reads "QEMU", the ID item has the traditional-interface bit, the RAM
 * size is the one the Multiboot memory map gives (the first MiB whole and
 * the available ranges above it, as PC firmware counts it) and the command
 * line's ram=, and the CPU counts are the command line's cpus=. */
#include "lib/bits.h"
#include "lib/mem.h"
#include "lib/x86/io.h"
#include "tests/tp/tp.h"

#define FW_CFG_PORT_SEL  0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_SIGNATURE 0x00
#define FW_CFG_ID        0x01
#define FW_CFG_RAM_SIZE  0x03
#define FW_CFG_NB_CPUS   0x05
#define FW_CFG_MAX_CPUS  0x0f
#define FW_CFG_ID_TRAD   0x1u
#define FIRST_MIB        0x100000ull

static u64 item(u16 key, unsigned bytes)
{
	u64 v = 0;
	outw(FW_CFG_PORT_SEL, key);
	for (unsigned i = 0; i < bytes; i++)
		v |= (u64)inb(FW_CFG_PORT_DATA) << (8 * i);
	return v;
}

/* RAM as PC firmware counts it from the map: the first MiB, then available
 * bytes above it. */
static u64 map_ram(const struct mb_info *mbi)
{
	if (!(mbi->flags & MB_INFO_MEM_MAP))
		return 0;
	u64 bytes = FIRST_MIB;
	for (u64 off = 0; off + sizeof(struct mb_mmap_entry) <= mbi->mmap_length;) {
		const struct mb_mmap_entry *m = (const void *)(uintptr_t)(mbi->mmap_addr + off);
		const u64 end = m->base_addr + m->length;
		if (m->type == MB_MMAP_AVAILABLE && end > FIRST_MIB)
			bytes += end - (m->base_addr > FIRST_MIB ? m->base_addr : FIRST_MIB);
		off += m->size + sizeof(m->size);
	}
	return bytes;
}

void tp_check_fwcfg(struct report *r, const struct mb_info *mbi, const struct tp_expect *x)
{
	char sig[5] = {0};
	outw(FW_CFG_PORT_SEL, FW_CFG_SIGNATURE);
	for (unsigned i = 0; i < 4; i++)
		sig[i] = (char)inb(FW_CFG_PORT_DATA);
	if (!report_check(r, memcmp(sig, "QEMU", 4) == 0, "tp-fwcfg-signature",
	                  "selector 0 reads %02x %02x %02x %02x, expected \"QEMU\"", (u8)sig[0],
	                  (u8)sig[1], (u8)sig[2], (u8)sig[3]))
		return;
	const u64 id = item(FW_CFG_ID, 4);
	report_check(r, id & FW_CFG_ID_TRAD, "tp-fwcfg-id", "ID 0x%llx", id);
	const u64 ram = item(FW_CFG_RAM_SIZE, 8), in_map = map_ram(mbi);
	report_check(r, ram == x->ram && ram == in_map, "tp-fwcfg-ram",
	             "fw_cfg RAM %llu KiB, memory map %llu KiB, ram= %llu KiB", ram / KiB,
	             in_map / KiB, x->ram / KiB);
	const u64 nb = item(FW_CFG_NB_CPUS, 2), max = item(FW_CFG_MAX_CPUS, 2);
	report_check(r, nb == x->cpus && max >= nb, "tp-fwcfg-cpus",
	             "%llu CPUs, at most %llu; expected %llu", nb, max, x->cpus);
}
