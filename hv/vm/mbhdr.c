#include "hv/vm/mbhdr.h"

#include "lib/mem.h"

static u32 read32(const u8 *p)
{
	u32 v;
	memcpy(&v, p, sizeof(v)); /* the image need not be aligned in memory */
	return v;
}

/* The first aligned offset with magic and a valid checksum; a magic word alone may be data. */
static enum mbhdr_err locate(const u8 *image, u64 limit, u32 *offset)
{
	bool saw_magic = false;

	for (u64 off = 0; off + MBHDR_SIZE_BASE <= limit; off += MBHDR_ALIGN) {
		u32 magic = read32(image + off);
		if (magic != MB_HEADER_MAGIC)
			continue;
		saw_magic = true;
		if ((u32)(magic + read32(image + off + 4) + read32(image + off + 8)) == 0) {
			*offset = (u32)off;
			return MBHDR_OK;
		}
	}
	return saw_magic ? MBHDR_ERR_BAD_CHECKSUM : MBHDR_ERR_NOT_FOUND;
}

/* Spec 3.1.3: the file offset at which loading starts is the header's offset minus
 * (header_addr - load_addr), so that difference cannot exceed the offset. */
static bool addresses_valid(const struct mbhdr_fields *h, u32 offset)
{
	if (h->load_addr > h->header_addr || h->header_addr - h->load_addr > offset)
		return false;
	if (h->load_end_addr && h->load_end_addr <= h->load_addr)
		return false;
	if (h->bss_end_addr &&
	    h->bss_end_addr < (h->load_end_addr ? h->load_end_addr : h->load_addr))
		return false;
	return true;
}

enum mbhdr_err mbhdr_find(const void *image, u64 size, u32 supported, struct mbhdr_info *out)
{
	const u8 *bytes = image;
	u64 limit = size < MBHDR_SEARCH_LIMIT ? size : MBHDR_SEARCH_LIMIT;

	memset(out, 0, sizeof(*out));
	enum mbhdr_err err = locate(bytes, limit, &out->offset);
	if (err)
		return err;
	out->flags = read32(bytes + out->offset + 4);
	out->has_addresses = out->flags & MBHDR_FLAG_AOUT_KLUDGE;
	out->has_video = out->flags & MBHDR_FLAG_VIDEO_MODE;

	u64 hdr_size = MBHDR_SIZE_BASE;
	if (out->has_addresses)
		hdr_size = MBHDR_SIZE_ADDR;
	if (out->has_video)
		hdr_size = MBHDR_SIZE_VIDEO;
	if (out->offset + hdr_size > limit)
		return MBHDR_ERR_TRUNCATED;
	memcpy(&out->hdr, bytes + out->offset, hdr_size);

	out->unsupported = out->flags & MBHDR_FLAGS_REQUIRED & ~supported;
	if (out->unsupported)
		return MBHDR_ERR_UNSUPPORTED_FLAGS;
	if (out->has_addresses && !addresses_valid(&out->hdr, out->offset))
		return MBHDR_ERR_BAD_ADDRESSES;
	return MBHDR_OK;
}

enum mbhdr_err mbhdr_load(const struct mbhdr_info *mh, u64 image_size, struct mbhdr_load *out)
{
	const struct mbhdr_fields *h = &mh->hdr;

	memset(out, 0, sizeof(*out));
	if (!mh->has_addresses || !addresses_valid(h, mh->offset))
		return MBHDR_ERR_BAD_ADDRESSES;
	/* addresses_valid: header_addr - load_addr <= offset, so this does not wrap. */
	out->file_offset = mh->offset - (u64)(h->header_addr - h->load_addr);
	out->load_addr = h->load_addr;
	if (h->load_end_addr) {
		out->file_size = (u64)h->load_end_addr - h->load_addr;
		if (out->file_size > image_size - out->file_offset)
			return MBHDR_ERR_LOAD_PAST_FILE;
	} else {
		out->file_size = image_size - out->file_offset;
	}
	out->mem_size = out->file_size;
	if (h->bss_end_addr) {
		if (h->bss_end_addr < out->load_addr + out->file_size)
			return MBHDR_ERR_BAD_ADDRESSES;
		out->mem_size = (u64)h->bss_end_addr - h->load_addr;
	}
	if (out->load_addr + out->mem_size > MBHDR_ADDR_LIMIT)
		return MBHDR_ERR_LOAD_WRAPS;
	out->entry = h->entry_addr;
	if (out->entry < out->load_addr || out->entry - out->load_addr >= out->file_size)
		return MBHDR_ERR_ENTRY_OUTSIDE;
	return MBHDR_OK;
}

const char *mbhdr_strerror(enum mbhdr_err err)
{
	static const char *const names[MBHDR_ERR_COUNT] = {
	    [MBHDR_OK] = "ok",
	    [MBHDR_ERR_NOT_FOUND] = "no Multiboot header in the first 8192 bytes",
	    [MBHDR_ERR_BAD_CHECKSUM] = "Multiboot header checksum wrong",
	    [MBHDR_ERR_TRUNCATED] = "Multiboot header truncated",
	    [MBHDR_ERR_UNSUPPORTED_FLAGS] = "Multiboot header requires unsupported features",
	    [MBHDR_ERR_BAD_ADDRESSES] = "Multiboot header address fields inconsistent",
	    [MBHDR_ERR_LOAD_PAST_FILE] =
	        "Multiboot header address fields load past the end of the file",
	    [MBHDR_ERR_LOAD_WRAPS] = "Multiboot header address fields load past 4 GiB",
	    [MBHDR_ERR_ENTRY_OUTSIDE] = "Multiboot header entry_addr outside the loaded file bytes",
	};
	return NAME_IN(names, err, "unknown Multiboot header error");
}
