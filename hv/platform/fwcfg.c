/* The fw_cfg-compatible interface of fwcfg.h. */
#include "hv/platform/fwcfg.h"

#include "lib/mem.h"

#define FWCFG_SIGNATURE_LEN 4
#define BYTE_BITS           8

static const char fwcfg_signature[FWCFG_SIGNATURE_LEN] = {'Q', 'E', 'M', 'U'};

static unsigned put_le(u8 *buf, u64 v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		buf[i] = (u8)(v >> (BYTE_BITS * i));
	return bytes;
}

static unsigned put_be(u8 *buf, u64 v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		buf[i] = (u8)(v >> (BYTE_BITS * (bytes - 1 - i)));
	return bytes;
}

void fwcfg_init(struct fwcfg *f, const struct fwcfg_config *cfg)
{
	memset(f, 0, sizeof(*f));
	f->cfg = *cfg;
}

unsigned fwcfg_item(const struct fwcfg *f, u16 key, u8 *buf)
{
	if (key & FW_CFG_ARCH_LOCAL)
		return 0; /* no architecture-specific items */
	switch (key & FW_CFG_ENTRY_MASK) {
	case FW_CFG_SIGNATURE:
		memcpy(buf, fwcfg_signature, sizeof(fwcfg_signature));
		return sizeof(fwcfg_signature);
	case FW_CFG_ID:
		return put_le(buf, FW_CFG_ID_TRADITIONAL, sizeof(u32));
	case FW_CFG_RAM_SIZE:
		return put_le(buf, f->cfg.ram_bytes, sizeof(u64));
	case FW_CFG_NB_CPUS:
		return put_le(buf, f->cfg.nb_cpus, sizeof(u16));
	case FW_CFG_MAX_CPUS:
		return put_le(buf, f->cfg.max_cpus, sizeof(u16));
	case FW_CFG_FILE_DIR:
		return put_be(buf, 0, sizeof(u32)); /* FWCfgFiles.count, no entries */
	}
	return 0;
}

void fwcfg_select(struct fwcfg *f, u16 key)
{
	f->selector = key;
	f->offset = 0;
	f->selects++;
}

u8 fwcfg_read_byte(struct fwcfg *f)
{
	u8 buf[FWCFG_ITEM_MAX];
	const unsigned len = fwcfg_item(f, f->selector, buf);
	f->reads++;
	if (f->offset >= len)
		return 0; /* past the end: 0, and the offset stays */
	return buf[f->offset++];
}
