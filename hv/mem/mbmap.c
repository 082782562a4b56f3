#include "hv/mem/mbmap.h"

#include "lib/mem.h"

/* The entry's fields after `size`, which does not count itself. */
#define ENTRY_FIELDS (sizeof(struct mb_mmap_entry) - sizeof(u32))

static enum mbmap_err fail(struct mbmap_result *res, enum mbmap_err err)
{
	res->err = err;
	return err;
}

enum mbmap_err mbmap_parse(struct memmap *m, u32 info_flags, const void *mmap, u64 len,
                           struct mbmap_result *res)
{
	const u8 *bytes = mmap;

	memset(res, 0, sizeof(*res));
	memmap_init(m);
	if (!(info_flags & MB_INFO_MEM_MAP))
		return fail(res, MBMAP_ERR_NO_MAP);
	for (u64 off = 0; off < len;) {
		struct mb_mmap_entry e;
		res->offset = off;
		/* Entries are read by copy: the buffer need not be aligned, and only what lies
		 * inside it is read. */
		u64 avail = len - off < sizeof(e) ? len - off : sizeof(e);
		memset(&e, 0, sizeof(e));
		memcpy(&e, bytes + off, avail);
		res->size_known = avail >= sizeof(e.size);
		res->entry = e;
		if (avail < sizeof(e) || e.size < ENTRY_FIELDS)
			return fail(res, MBMAP_ERR_MALFORMED);
		res->memmap_err =
		    memmap_add(m, e.base_addr, e.length, memmap_type_from_multiboot(e.type));
		if (res->memmap_err != MEMMAP_OK)
			return fail(res, MBMAP_ERR_ENTRY);
		/* u32 + 4 cannot overflow a u64; an entry larger than the rest ends the loop. */
		off += (u64)e.size + sizeof(e.size);
	}
	res->memmap_err = memmap_normalize(m);
	if (res->memmap_err != MEMMAP_OK)
		return fail(res, MBMAP_ERR_NORMALIZE);
	return MBMAP_OK;
}

const char *mbmap_strerror(enum mbmap_err err)
{
	static const char *const names[MBMAP_ERR_COUNT] = {
	    [MBMAP_OK] = "ok",
	    [MBMAP_ERR_NO_MAP] = "the boot loader gave no memory map",
	    [MBMAP_ERR_MALFORMED] = "malformed Multiboot memory-map entry",
	    [MBMAP_ERR_ENTRY] = "firmware entry refused",
	    [MBMAP_ERR_NORMALIZE] = "normalizing the firmware map failed",
	};
	return NAME_IN(names, err, "unknown Multiboot memory-map error");
}
