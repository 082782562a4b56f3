/* Finding and checking a Multiboot v1 header in an OS image (Multiboot spec 0.6.96, 3.1 "OS image
 * format"): a 4-byte-aligned header wholly within the first 8192 bytes whose magic, flags and
 * checksum sum to 0 mod 2^32. Flag bits 0-15 are requirements: a loader that does not support
 * one must refuse the image, so the caller states which it supports. Nothing is loaded here. */
#ifndef HV_MBHDR_H
#define HV_MBHDR_H

#include "lib/multiboot.h"
#include "lib/bits.h"
#include "lib/types.h"

/* MB_HEADER_MAGIC, MB_HDR_PAGE_ALIGN and MB_HDR_MEMORY_INFO come from lib/multiboot.h. */
#define MBHDR_SEARCH_LIMIT 8192
#define MBHDR_ALIGN        4
#define MBHDR_ADDR_LIMIT   (1ULL << 32) /* the address fields are 32 bits */

/* Header flags (spec 3.1.2) beyond those multiboot.h names. */
#define MBHDR_FLAG_VIDEO_MODE  BIT(2)  /* video mode table fields valid */
#define MBHDR_FLAG_AOUT_KLUDGE BIT(16) /* address fields valid */
#define MBHDR_FLAGS_REQUIRED   BITS(15, 0)

/* Bytes the header occupies: magic fields (3.1.2), + address fields (3.1.3), + video (3.1.4). */
#define MBHDR_SIZE_BASE  12
#define MBHDR_SIZE_ADDR  32
#define MBHDR_SIZE_VIDEO 48

struct mbhdr_fields {
	u32 magic;
	u32 flags;
	u32 checksum;
	u32 header_addr;
	u32 load_addr;
	u32 load_end_addr;
	u32 bss_end_addr;
	u32 entry_addr;
	u32 mode_type;
	u32 width;
	u32 height;
	u32 depth;
};
_Static_assert(sizeof(struct mbhdr_fields) == MBHDR_SIZE_VIDEO, "Multiboot header layout");

enum mbhdr_err {
	MBHDR_OK = 0,
	MBHDR_ERR_NOT_FOUND,         /* no magic at any aligned offset below the limit */
	MBHDR_ERR_BAD_CHECKSUM,      /* magic found, but no candidate has a valid checksum */
	MBHDR_ERR_TRUNCATED,         /* flagged fields run past the image or the search limit */
	MBHDR_ERR_UNSUPPORTED_FLAGS, /* a required flag (bits 0-15) the loader does not support */
	MBHDR_ERR_BAD_ADDRESSES,     /* inconsistent address fields (flag 16) */
	MBHDR_ERR_LOAD_PAST_FILE,    /* (mbhdr_load) the fields load bytes past the file's end */
	MBHDR_ERR_LOAD_WRAPS,        /* (mbhdr_load) the loaded range passes 4 GiB */
	MBHDR_ERR_ENTRY_OUTSIDE,     /* (mbhdr_load) entry_addr not in the loaded file bytes */
	MBHDR_ERR_COUNT,
};

struct mbhdr_info {
	u32 offset; /* of the header in the image */
	u32 flags;
	u32 unsupported; /* required flags the loader lacks (MBHDR_ERR_UNSUPPORTED_FLAGS) */
	bool has_addresses;
	bool has_video;
	struct mbhdr_fields hdr; /* fields beyond those the flags enable are zero */
};

/* supported: the bits of MBHDR_FLAGS_REQUIRED this loader honours (or ignores knowingly, e.g. video
 * mode on a serial-only loader). Fills *out as far as the header was parsed. */
enum mbhdr_err mbhdr_find(const void *image, u64 size, u32 supported, struct mbhdr_info *out);
const char *mbhdr_strerror(enum mbhdr_err err);

/* The image as its address fields (flag 16, spec 3.1.3) describe it: the file bytes
 * [file_offset, +file_size) at load_addr, zeros after them to load_addr + mem_size, entered at
 * entry. file_offset is the header's offset less (header_addr - load_addr); load_end_addr 0 means
 * the rest of the file, bss_end_addr 0 no bss. A loader uses these instead of the executable's
 * own headers when the flag is set, whatever the file's format. */
struct mbhdr_load {
	u64 file_offset, file_size, mem_size;
	u64 load_addr;
	u64 entry;
};
enum mbhdr_err mbhdr_load(const struct mbhdr_info *mh, u64 image_size, struct mbhdr_load *out);

#endif
