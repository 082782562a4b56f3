/* The guest's own command line (module 1's string under segvisor, the
 * kernel command line natively), parsed by lib/opts like the hypervisor's. */
#ifndef GUEST_OPTIONS_H
#define GUEST_OPTIONS_H

#include "lib/opts.h"
#include "lib/types.h"

enum guest_page_opt { GPAGE_4K, GPAGE_2M, GPAGE_1G };
/* Ways for the guest to misbehave, to show the hypervisor surviving them. */
enum crash_opt { CRASH_NONE, CRASH_TRIPLE_FAULT, CRASH_HALT, CRASH_SPIN };
/* WL_* of lib/hvcall.h, then "all" and "none". */
enum workload_opt { WORKLOADS_ALL = 3, WORKLOADS_NONE = 4 };
/* MODE_* of lib/hvcall.h, then "all". */
enum mode_opt { MODES_ALL = 5 };

struct guest_opts {
	bool checks;      /* the VM checks: CPUID, hypercalls, bad pointers, #UD */
	u64 pattern;      /* bytes of RAM for the pattern test (0: all above the image) */
	bool oob;         /* touch memory outside the guest's map (a scenario of its own) */
	u32 crash;        /* enum crash_opt: misbehave on purpose after the checks */
	u32 workloads;    /* enum workload_opt */
	u32 modes;        /* enum mode_opt */
	u32 gpage;        /* enum guest_page_opt: page size of the workload region */
	u64 region;       /* bytes of the workload region (the guest segment) */
	u64 gups_table;   /* bytes of the GUPS table */
	u64 gups_updates; /* updates */
	u64 stream_bytes; /* bytes streamed */
	u64 pchase_bytes; /* bytes of the pointer-chase ring */
	u64 pchase_steps; /* steps */
	u64 seed;
	u64 trace;        /* trace buffer entries */
	bool escape_test; /* mark pages of the region bad by hypercall and check data */
	u64 fragment;     /* pinned pages scattered over free RAM (guest/balloon.c); 0 none */
	bool balloon;     /* self-balloon the free RAM and build the region on the hot-add */
	struct opt_u64_list modsum; /* CRC-32 of each module expected (guest/modcheck.h) */
	u64 gswap;         /* pages of the region the guest swaps out and in per mode; 0 none */
	bool iohole;       /* move the RAM below the PCI hole above 4 GiB (guest/balloon.h) */
	bool iohole_touch; /* read a gPA inside the PCI hole: the hypervisor must stop the guest */
	u32 vmmfeat;      /* enum vmmfeat_opt (guest/share.h): VMM sharing or swapping */
};

extern const struct opt_table guest_opts_table;
void guest_opts_defaults(struct guest_opts *o);

#endif
