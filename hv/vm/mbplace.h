/* Where a Multiboot v1 guest's pieces go in guest-physical memory (Multiboot spec 0.6.96, 3.3
 * "Boot information format" and 3.4 "Boot modules"): the image stays where its headers put it;
 * the boot information block (information structure, memory map, loader name, module list,
 * command line, module strings), the initial stack and each module are placed first-fit in the
 * RAM the guest's memory map offers below 4 GiB (the structure's addresses are 32 bits), clear
 * of the image (the whole pages it spans, gaps between segments included), of the ranges the
 * hypervisor keeps for itself and of each other. Pure: nothing is copied here, so host tests and
 * the fuzz target run it as it is. */
#ifndef HV_MBPLACE_H
#define HV_MBPLACE_H

#include "hv/vm/elf.h"
#include "lib/types.h"

/* The hypervisor takes up to 8 Multiboot modules (hv/main.c); module 1 is the guest. */
#define MBPLACE_MAX_MODULES 7
#define MBPLACE_CMDLINE_MAX 0xc00ULL /* bytes of the guest's command line, NUL included */
#define MBPLACE_STRING_MAX  0x400ULL /* bytes of one module string, NUL included */
#define MBPLACE_STACK_SIZE  (16 * KiB)
#define MBPLACE_ALIGN       16ULL        /* of each part of the block, and of the stack top */
#define MBPLACE_MOD_ALIGN   PAGE_SIZE_4K /* modules on page boundaries (header flag 0) */
#define MBPLACE_LOW_START   PAGE_SIZE_4K /* page 0 is kept (see the reserved ranges) */
#define MBPLACE_LOW_END     0x9f000ULL   /* conventional memory the guest's map offers */
#define MBPLACE_HIGH_START  (1 * MiB)    /* upper memory starts at 1 MiB */
/* The structure's addresses are 32 bits, and mod_end is one past a module's last byte: placed
 * ranges end at or below the last page under 4 GiB. */
#define MBPLACE_ADDR_LIMIT (4ULL * GiB - PAGE_SIZE_4K)
/* [0, LOW_END), [1 MiB, RAM top) or, with the PCI hole (hv/mem/gmap.h), [1 MiB, 3 GiB) and
 * [4 GiB, RAM top) */
#define MBPLACE_MMAP_ENTRIES 3
#define MBPLACE_LOADER_NAME  "segvisor"

struct mbplace_range {
	u64 base, len;
};

/* What is to be placed. */
struct mbplace_request {
	u64 ram; /* guest RAM is gPA [0, ram) */
	unsigned nsegments;
	struct mbplace_range seg[ELF_MAX_SEGMENTS]; /* the image: fixed by its headers */
	u64 cmdline_len;                            /* bytes, without the NUL */
	unsigned nmodules;                          /* the guest's own: hypervisor modules 2.. */
	u64 module_size[MBPLACE_MAX_MODULES];
	u64 string_len[MBPLACE_MAX_MODULES]; /* bytes, without the NUL */
};

/* Where it went: gPAs. The block's parts lie inside block, in the order of the fields. */
struct mbplace_layout {
	struct mbplace_range block;
	u64 info, mmap, loader_name, mods, cmdline;
	u64 string[MBPLACE_MAX_MODULES];
	struct mbplace_range stack; /* the guest starts with ESP = stack.base + stack.len */
	struct mbplace_range module[MBPLACE_MAX_MODULES];
	unsigned nmodules;
	u64 usable;       /* bytes of RAM offered for placement (both windows) */
	int bad;          /* the segment or module a refusal is about; -1 if none */
	int bad_reserved; /* with MBPLACE_ERR_RESERVED: the index for mbplace_reserved_name() */
};

enum mbplace_err {
	MBPLACE_OK = 0,
	MBPLACE_ERR_TOO_MANY_MODULES,    /* more than MBPLACE_MAX_MODULES */
	MBPLACE_ERR_CMDLINE_TOO_LONG,    /* MBPLACE_CMDLINE_MAX bytes or more */
	MBPLACE_ERR_STRING_TOO_LONG,     /* a module string of MBPLACE_STRING_MAX bytes or more */
	MBPLACE_ERR_SEGMENT_OUTSIDE_RAM, /* an image segment not inside [0, ram) */
	MBPLACE_ERR_RESERVED,            /* an image segment over a range the hypervisor keeps */
	MBPLACE_ERR_MODULE_TOO_LARGE,    /* larger than the RAM offered below 4 GiB (usable) */
	MBPLACE_ERR_NO_ROOM_MODULE,      /* no free run clear of the image and the others */
	MBPLACE_ERR_NO_ROOM_INFO,        /* no room for the boot information block */
	MBPLACE_ERR_NO_ROOM_STACK,       /* no room for the initial stack */
	MBPLACE_ERR_OVERLAP,             /* (mbplace_check) two placed ranges share a byte */
	MBPLACE_ERR_OUTSIDE,             /* (mbplace_check) a placed range not in offered RAM */
	MBPLACE_ERR_COUNT,
};

/* Fills *out. On a refusal out->bad (and bad_reserved) says which piece. */
enum mbplace_err mbplace_plan(const struct mbplace_request *req, struct mbplace_layout *out);
/* An independent check of a layout: every placed range inside RAM the guest's memory map offers
 * below 4 GiB, no two placed ranges (block, stack, modules) sharing a byte, none over the
 * image's span or a reserved range. mbplace_plan runs it on its own result. */
enum mbplace_err mbplace_check(const struct mbplace_request *req, const struct mbplace_layout *l);
/* Bytes of the boot information block for a request. */
u64 mbplace_block_size(const struct mbplace_request *req);
const char *mbplace_strerror(enum mbplace_err err);
/* The reserved ranges of guest RAM that no image may overlap, by index; NULL past the last. */
const char *mbplace_reserved_name(unsigned i);
bool mbplace_reserved_range(unsigned i, struct mbplace_range *out);

#endif
