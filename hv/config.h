/* The hypervisor's boot options (DESIGN.md "Boot"): one typed struct, filled
 * from the kernel command line by lib/opts. An unknown or malformed option
 * fails the run with its name; every effective value is printed at boot. */
#ifndef HV_CONFIG_H
#define HV_CONFIG_H

#include "arch/x86/pmu.h"
#include "hv/vm/vm.h"
#include "lib/opts.h"
#include "lib/types.h"

enum ept_page_opt { EPT_PAGE_4K, EPT_PAGE_2M, EPT_PAGE_1G };
enum tlb_preset_opt { TLB_SKYLAKE, TLB_SANDYBRIDGE };
/* guest_halt=: a guest that halts with nothing to wake it has failed (fail), or has ended as
 * it meant to (end: Linux powering off without ACPI halts with interrupts off). */
enum guest_halt_opt { GUEST_HALT_FAIL, GUEST_HALT_END };

struct hv_config {
	bool selftest;                /* run the hypervisor's boot self-tests */
	bool vm;                      /* run the guest under VT-x */
	u32 mode;                     /* enum hv_mode: the mode the guest starts in */
	u32 ept_page;                 /* enum ept_page_opt: largest EPT leaf in paging modes */
	u64 guest_ram;                /* bytes of guest RAM */
	u64 guest_ram_at;             /* hPA for guest RAM; 0: wherever the allocator finds it */
	u32 tlb;                      /* enum tlb_preset_opt */
	bool pwc;                     /* model page-walk caches */
	bool ntlb;                    /* model a nested TLB */
	bool npwc;                    /* model caches of nested non-leaf entries */
	u32 seg_fill;                 /* enum seg_fill: where segment-served translations go */
	u64 bloom_bits;               /* escape filter size */
	u64 bloom_hashes;             /* escape filter hash functions */
	struct opt_u64_list badpages; /* host frames (hPA) with hard faults */
	bool ept_ad;                  /* use EPT accessed/dirty bits where the CPU has them */
	char vm_entry_test[32];       /* test only: break this VM-entry rule on purpose */
	u64 host_fragment;            /* hold every Nth 2 MiB chunk for other tenants; 0 off */
	u64 host_fragment_seed;       /* 0: every Nth; else a seeded 1-in-N choice */
	bool host_fragment_pin;       /* the held chunks are unmovable */
	bool dirty_ram;               /* test only: dirty guest RAM so its zeroing must write */
	bool io_hole;            /* the PCI hole [3 GiB, 4 GiB) in a guest of more than 3 GiB */
	u64 watchdog;            /* TSC cycles of guest time (arch/x86/watchdog.h); 0: off */
	u64 host_tick;           /* ms between host LAPIC timer ticks in guest mode; 0: off */
	u64 guest_time;          /* s of guest run time, then the guest ends; 0: off */
	u32 guest_halt;          /* enum guest_halt_opt: what a final HLT means */
	u32 crash_test;          /* test only: enum crash_kind raised on purpose */
	u32 irq_test;            /* test only: enum irq_test sent before the guest runs */
	u32 crash_at;            /* test only: enum crash_at, where it is raised */
	u64 fault_test;          /* test only: gPA of the byte with a weak bit; 0: off */
	u64 fault_test_bit;      /* test only: that bit, 0..7 */
	char console[8];         /* serial console: com1..com4 or a 0x I/O port */
	char pmu[PMU_SPEC_SIZE]; /* off, auto, a table or events (arch/x86/pmu.h) */
	u32 trace;               /* enum vm_trace: guest, or ept (trap tracing as well) */
	u64 trace_ways;          /* pages in the trap window; 0: the TLB's smallest associativity */
	u32 trace_span;          /* enum vm_trace_span: workloads, run or console */
	u32 trace_recency;       /* enum vm_trace_recency: traps or accessed */
};

extern const struct opt_table hv_config_table;

/* Defaults, before the command line is applied. */
void hv_config_defaults(struct hv_config *c);
u64 hv_config_ept_page_bytes(u32 ept_page);
/* The TLB preset's name (hv/model/tlb.c's presets go by it). */
const char *hv_config_tlb_name(u32 tlb);
/* What the options ask of the VM; false (with why) if the TLB preset is unknown. */
bool hv_config_vm_params(const struct hv_config *c, struct vm_params *p);

#endif
