/* The machine's memory map from a Multiboot v1 boot loader (Multiboot spec 0.6.96, 3.3 "Boot
 * information format", mmap_*): the information's flags say whether there is a map, and the map
 * is a buffer of entries, each `size` bytes after its own size field. The buffer is untrusted:
 * an entry is read only when it lies wholly inside the buffer, a `size` too small for the fields
 * is refused, and a larger one is skipped over as the spec allows. The entries go into a memmap
 * (memmap_init, memmap_add each, memmap_normalize); on error *res says which entry and why. */
#ifndef HV_MBMAP_H
#define HV_MBMAP_H

#include "hv/mem/memmap.h"
#include "lib/multiboot.h"
#include "lib/types.h"

enum mbmap_err {
	MBMAP_OK = 0,
	MBMAP_ERR_NO_MAP,    /* MB_INFO_MEM_MAP not set in the flags */
	MBMAP_ERR_MALFORMED, /* an entry runs past the buffer or its size is too small */
	MBMAP_ERR_ENTRY,     /* memmap_add refused an entry (res->memmap_err) */
	MBMAP_ERR_NORMALIZE, /* memmap_normalize failed (res->memmap_err) */
	MBMAP_ERR_COUNT,
};

struct mbmap_result {
	enum mbmap_err err;
	u64 offset;                 /* of the entry at fault in the buffer */
	bool size_known;            /* the entry's size field lies inside the buffer */
	struct mb_mmap_entry entry; /* the entry at fault, as far as it lies inside the buffer */
	enum memmap_err memmap_err; /* MBMAP_ERR_ENTRY, MBMAP_ERR_NORMALIZE */
};

/* Fills m from the map [mmap, mmap + len) that a loader described with info_flags. */
enum mbmap_err mbmap_parse(struct memmap *m, u32 info_flags, const void *mmap, u64 len,
                           struct mbmap_result *res);
const char *mbmap_strerror(enum mbmap_err err);

#endif
