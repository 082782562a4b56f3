/* A firmware-configuration interface the guest finds where QEMU's fw_cfg is
 * (QEMU docs/specs/fw_cfg.rst, "Guest-side Hardware Interface"): a 16-bit
 * selector register at I/O port 0x510 (write only) and an 8-bit data
 * register at 0x511, each read returning the next byte of the selected item
 * and advancing the data offset; writing the selector resets the offset to
 * 0. Reads past an item's end, and of any item not listed here, return 0;
 * data-port writes are ignored (as QEMU >= 2.4 ignores them); no DMA
 * interface (FW_CFG_ID bit 1 clear, nothing at 0x514).
 *
 * Items (keys from docs/specs/fw_cfg.rst and QEMU's
 * include/standard-headers/linux/qemu_fw_cfg.h):
 *   0x0000 FW_CFG_SIGNATURE  "QEMU", 4 bytes
 *   0x0001 FW_CFG_ID         32-bit LE feature bitmap: 1 (traditional interface)
 *   0x0003 FW_CFG_RAM_SIZE   64-bit LE: guest RAM in bytes
 *   0x0005 FW_CFG_NB_CPUS    16-bit LE: CPUs present (1)
 *   0x000f FW_CFG_MAX_CPUS   16-bit LE: CPUs possible (1)
 *   0x0019 FW_CFG_FILE_DIR   32-bit big-endian count of files: 0
 * The key's bit 14 (write channel) is ignored and bit 15 selects the
 * architecture-specific items, of which there are none. */
#ifndef HV_PLATFORM_FWCFG_H
#define HV_PLATFORM_FWCFG_H

#include "lib/types.h"

#define FWCFG_PORT_SELECTOR 0x510
#define FWCFG_PORT_DATA     0x511

#define FW_CFG_SIGNATURE     0x0000
#define FW_CFG_ID            0x0001
#define FW_CFG_RAM_SIZE      0x0003
#define FW_CFG_NB_CPUS       0x0005
#define FW_CFG_MAX_CPUS      0x000f
#define FW_CFG_FILE_DIR      0x0019
#define FW_CFG_WRITE_CHANNEL 0x4000
#define FW_CFG_ARCH_LOCAL    0x8000
#define FW_CFG_ENTRY_MASK    0x3fff

#define FW_CFG_ID_TRADITIONAL 0x1u /* bit 0: the selector/data ports */
#define FWCFG_ITEM_MAX        8    /* the longest item here, bytes */

struct fwcfg_config {
	u64 ram_bytes;
	u16 nb_cpus, max_cpus;
};

struct fwcfg {
	struct fwcfg_config cfg;
	u16 selector;
	u32 offset; /* into the selected item */
	u64 selects, reads;
};

void fwcfg_init(struct fwcfg *f, const struct fwcfg_config *cfg);
/* A write of the selector register. */
void fwcfg_select(struct fwcfg *f, u16 key);
/* One byte-wide read of the data register: the next byte of the item, 0
 * past its end or for an unknown key. */
u8 fwcfg_read_byte(struct fwcfg *f);
/* The bytes of item `key` as the data port gives them; returns its length
 * (0 for an unknown key). buf holds FWCFG_ITEM_MAX bytes. */
unsigned fwcfg_item(const struct fwcfg *f, u16 key, u8 *buf);

#endif
