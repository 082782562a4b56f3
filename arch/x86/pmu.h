/* The PMU driver: walk-counting events on Intel architectural performance
 * monitoring (version 2 or later) and on AMD core performance counters,
 * counted in guest mode only. Every MSR access goes through struct pmu_ops,
 * which says whether it faulted, so the same code runs over the real MSRs
 * (arch/x86/pmu_hw.c: rdmsr_safe/wrmsr_safe) and over a fake MSR space in
 * host unit tests. CPUID is read once into struct pmu_cpu, but a PMU is
 * trusted only after its MSRs were tried: a select written and read back,
 * a known event counted over a few instructions. Any refusal is kept in
 * pmu->why with the MSR, the value or the version that failed, and the PMU
 * then stays off: no figure is made up.
 *
 * Events come from one table per microarchitecture (pmu.c), chosen by the
 * `pmu=` boot option:
 *   pmu=off         no probe, no counting
 *   pmu=auto        the table for this CPU (by vendor, family, model), its
 *                   default events, as many as there are counters (default)
 *   pmu=skylake     the Skylake-class table's default events
 *   pmu=zen         the AMD Zen table's default events
 *   pmu=EV,EV,...   these events by name, all from one table
 *                   (e.g. pmu=dtlb_load_misses.walk_completed,ept.walk_pending)
 * pmu_spec_parse() names what is wrong with any other value.
 *
 * Guest-only counting: on VT-x the counters are enabled only by the
 * IA32_PERF_GLOBAL_CTRL value the VM-entry control loads (the host value,
 * loaded by the VM-exit control, is 0); on SVM each select has GuestOnly
 * (bit 40) set and HostOnly clear. Counters narrower than 64 bits are read
 * into 64-bit totals at every pmu_sample(); an overflow flag (Intel
 * IA32_PERF_GLOBAL_STATUS) or a wrap (AMD) is folded in and cleared. */
#ifndef ARCH_X86_PMU_H
#define ARCH_X86_PMU_H

#include "lib/types.h"

#define PMU_MAX_EVENTS 8
#define PMU_WHY_SIZE   160
#define PMU_SPEC_SIZE  192 /* the pmu= value, NUL included */

enum pmu_vendor { PMU_VENDOR_NONE, PMU_VENDOR_INTEL, PMU_VENDOR_AMD };

/* One countable event of one microarchitecture. */
struct pmu_event {
	const char *name; /* lowercase; also the RESULT key */
	u16 event;        /* event select (12 bits on AMD) */
	u8 umask;
	bool dflt; /* among the table's default events */
	const char *what;
	/* Counts data-side page walks: the sum of a table's data_walk events
	 * is the RESULT key tlb_misses= (DESIGN.md "Contracts"). */
	bool data_walk;
};

/* An event whose unit mask differs in one CPU family of a table's range. */
struct pmu_family_umask {
	u32 family;
	u16 event;
	u8 umask;
};

struct pmu_uarch {
	const char *name; /* "skylake", "zen": the pmu= value */
	enum pmu_vendor vendor;
	const struct pmu_event *events;
	unsigned count;
	const struct pmu_family_umask *family_umasks; /* NULL: none */
	unsigned family_umask_count;
};
/* The unit mask of ev on a CPU of this family. */
u8 pmu_event_umask(const struct pmu_uarch *u, const struct pmu_event *ev, u32 family);

/* The event tables, in pmu.c. */
extern const struct pmu_uarch pmu_uarchs[];
extern const unsigned pmu_uarch_count;
const struct pmu_uarch *pmu_uarch_named(const char *name);
const struct pmu_event *pmu_event_named(const struct pmu_uarch *u, const char *name);

/* What pmu= asked for. */
enum pmu_spec_kind { PMU_SPEC_OFF, PMU_SPEC_AUTO, PMU_SPEC_UARCH, PMU_SPEC_EVENTS };
struct pmu_spec {
	enum pmu_spec_kind kind;
	const struct pmu_uarch *uarch; /* UARCH and EVENTS */
	unsigned count;                /* EVENTS */
	const struct pmu_event *events[PMU_MAX_EVENTS];
};

/* Parses a pmu= value (NULL or "" mean auto). false: why says what is
 * wrong ("no event named 'x'", "events of skylake and zen mixed", ...). */
bool pmu_spec_parse(const char *text, struct pmu_spec *spec, char *why, size_t why_size);

/* MSR access that reports a fault (vector + 1) instead of taking it; run()
 * executes a few hundred instructions with the counters enabled, so the
 * probe can see one advance. */
struct pmu_ops {
	int (*rdmsr)(void *ctx, u32 msr, u64 *value);
	int (*wrmsr)(void *ctx, u32 msr, u64 value);
	void (*run)(void *ctx);
	const char *(*fault_name)(unsigned vector); /* "#GP" for 13 */
	void *ctx;
};

/* The CPUID facts the driver needs. */
struct pmu_cpu {
	enum pmu_vendor vendor;
	u32 family, model;
	u32 leaf_a_eax, leaf_a_ebx; /* CPUID.0AH (Intel) */
	u32 ext_ecx;                /* CPUID.80000001H:ECX (AMD PerfCtrExtCore) */
};

struct pmu_counter {
	const struct pmu_event *ev;
	u32 sel_msr, ctr_msr;
	u8 umask;  /* the unit mask for this CPU's family */
	u64 sel;   /* the select value programmed */
	u64 start; /* raw counter value at the last sample */
	u64 total; /* 64-bit software total since pmu_start */
	u64 overflows;
};

struct pmu {
	const struct pmu_ops *ops;
	bool active; /* probed, programmed and usable: RESULT source=pmu lines */
	bool off;    /* pmu=off */
	enum pmu_vendor vendor;
	const struct pmu_uarch *uarch;
	u32 family;      /* CPUID family (display) */
	u32 version;     /* Intel perfmon version */
	u32 gp_counters; /* general-purpose counters the CPU has */
	u32 width;       /* counter bits */
	bool amd_ext;    /* AMD: the PerfCtrExtCore MSRs */
	unsigned count;  /* counters in use */
	struct pmu_counter c[PMU_MAX_EVENTS];
	char why[PMU_WHY_SIZE]; /* why not active; or the events left out */
};

/* Probes and prepares p (counters programmed but stopped). Returns
 * p->active; when false, p->why says why. */
bool pmu_init(struct pmu *p, const struct pmu_ops *ops, const struct pmu_cpu *cpu,
              const struct pmu_spec *spec);

/* VT-x: the controls and IA32_PERF_GLOBAL_CTRL values for guest-only
 * counting (SDM Vol. 3C, 25.7.1 "VM-Exit Controls", 25.8.1 "VM-Entry
 * Controls"; the loads: 27.3.2.1 on VM entry, 28.5.1 on VM exit).
 * entry_ctl_msr and exit_ctl_msr are the capability MSRs that govern the
 * controls (the TRUE ones when IA32_VMX_BASIC[55]). When a control may not be 1 the PMU is
 * turned off with the MSR named, and false is returned. */
struct pmu_vmx_ctrl {
	u32 entry_ctls, exit_ctls; /* bits to add */
	u64 guest_global_ctrl, host_global_ctrl;
};
bool pmu_vmx_guest_only(struct pmu *p, u64 entry_ctl_msr, u64 exit_ctl_msr, bool true_ctls,
                        struct pmu_vmx_ctrl *out);

/* Zeroes the counters and totals and enables the selects (guest-only on
 * AMD; on Intel the VMCS guest IA32_PERF_GLOBAL_CTRL value enables them). */
void pmu_start(struct pmu *p);
/* Reads every counter into its total, folding in overflows. */
void pmu_sample(struct pmu *p);
/* Disables the selects (EN clear): nothing counts until the next
 * pmu_start; the totals stay. Call pmu_sample first to keep the last
 * events. */
void pmu_stop(struct pmu *p);
/* The data-side walks counted (the sum of the data_walk events' totals) in
 * *walks; false, *walks untouched, unless every data_walk event of the
 * table is among the counters in use (a partial sum would be wrong). */
bool pmu_data_walks(const struct pmu *p, u64 *walks);
/* "name=total name=total ..." of the counters in use. */
int pmu_format_counts(const struct pmu *p, char *buf, size_t size);
/* One or two "pmu: ..." lines for the boot report. */
void pmu_print(const struct pmu *p);

/* The hypervisor's one PMU (set up at boot by pmu_hw_boot, arch/x86/pmu_hw.c). */
struct pmu *pmu_current(void);

#endif
