/* One guest virtual machine: its memory map and nested table, its vCPU,
 * what it has done (exit counts, console line, exit status). */
#ifndef HV_VM_H
#define HV_VM_H

#include "hv/mem/compact.h"
#include "hv/mem/balloon.h"
#include "hv/mem/frame.h"
#include "hv/mem/gmap.h"
#include "hv/dseg/bloom.h"
#include "hv/mem/nested.h"
#include "hv/mem/share.h"
#include "hv/mem/swap.h"
#include "hv/dseg/segment.h"
#include "hv/model/trapwin.h"
#include "hv/model/walk.h"
#include "hv/vm/insn.h"
#include "hv/platform/platform.h"
#include "arch/x86/vcpu.h"
#include "hv/model/tlb.h"
#include "lib/hvcall.h"
#include "lib/opts.h"

#define VM_PORT_SLOTS  16  /* distinct unclaimed I/O ports counted */
#define VM_MSR_SLOTS   16  /* distinct refused MSRs counted */
#define VM_TRACE_BATCH 512 /* trace entries copied out of the guest at a time */
#define VM_LINE_MAX    1024
/* Distinct shared or swapped pages the report counts in the escape filter. */
#define VM_FILTER_PAGES 4096

enum vm_state {
	VM_RUNNING,
	VM_EXITED,  /* the guest reported an exit status */
	VM_HALTED,  /* HLT with nothing to wake it */
	VM_STOPPED, /* ended by the hypervisor: a fault, a violation, a bug */
};

struct port_count {
	u16 port;
	u64 reads, writes;
};

struct msr_count {
	u32 msr;
	u64 reads, writes;
};

/* What the VM is asked to be: the boot options that concern it, in its own
 * terms (hv/config.c fills it from the command line). */
struct vm_params {
	u32 mode;                     /* enum hv_mode at start */
	u64 ept_page;                 /* largest nested leaf in paging modes, bytes */
	u64 guest_ram;                /* bytes */
	u64 guest_ram_at;             /* hPA; 0: wherever the allocator finds it */
	u32 bloom_bits, bloom_hashes; /* the escape filter */
	struct opt_u64_list badpages; /* host frames (hPA) with hard faults */
	const char *entry_test;       /* test only: a backend rule to break at entry, "" none */
	u64 watchdog;                 /* TSC cycles of guest time (arch/x86/watchdog.h); 0 off */
	u32 host_tick_ms;             /* a host LAPIC timer tick while the guest runs; 0 off */
	u64 guest_time_s;             /* the guest ends at its first exit after this run time; 0 off */
	bool halt_ends;               /* guest_halt=end: a final HLT is the guest's end, not a failure */
	bool dirty_ram;               /* test only: dirty every page before zeroing */
	bool io_hole;                 /* the PCI hole below 4 GiB when guest_ram > 3 GiB */
	u64 host_fragment;            /* hv/mem/frame.h frame_fragment(): every, 0 off */
	u64 host_fragment_seed;
	bool host_fragment_pin; /* the other tenants' chunks are unmovable */
	/* The walk model's configuration. */
	const struct tlb_config *tlb;
	bool pwc, ntlb, npwc;
	u32 seg_fill;   /* enum seg_fill */
	u32 crash_test; /* test only: enum crash_kind (arch/x86/crash.h), CRASH_NONE off */
	u32 irq_test;   /* test only: enum irq_test (arch/x86/irq.h), IRQ_TEST_NONE off */
	u32 crash_at;   /* test only: enum crash_at */
	/* trace=ept (hv/vm/etrace.c). */
	u32 trace;      /* enum vm_trace */
	u32 trace_ways; /* pages in the trap window; 0: the TLB preset's smallest associativity */
	u32 trace_span; /* enum vm_trace_span */
	u32 trace_recency; /* enum vm_trace_recency */
	u64 fault_gpa;  /* test only: the byte with a weak bit (hv/vm/faulttest.c); 0 off */
	u32 fault_bit;  /* test only: that bit, 0..7 */
};

/* What orders the trap window. */
enum vm_trace_recency {
	VM_TRACE_RECENCY_TRAPS,    /* the order of the traps alone */
	VM_TRACE_RECENCY_ACCESSED, /* and the accessed flags of the window's pages at each trap */
};

/* Which traces feed the walk model. */
enum vm_trace {
	VM_TRACE_GUEST, /* the guest's own instrumented trace only (HC_TRACE_REPLAY) */
	VM_TRACE_EPT,   /* and the hypervisor's trap tracing through the nested table */
};
/* What trap tracing measures. */
enum vm_trace_span {
	VM_TRACE_SPAN_WORKLOADS, /* each measurement the guest brackets (TRACE_BEGIN, TRACE_END) */
	VM_TRACE_SPAN_RUN,       /* the whole run, first entry to the guest's end: any guest */
	VM_TRACE_SPAN_CONSOLE,   /* between console lines TRACE_BEGIN:NAME and TRACE_END:NAME */
};
#define ETRACE_MARK_BEGIN "TRACE_BEGIN:"
#define ETRACE_MARK_END   "TRACE_END:"
#define ETRACE_NAME_MAX   32

/* Trap tracing's state (hv/vm/etrace.c): the window, a walk model of its
 * own fed by the traps, and the trap table the vCPU runs on meanwhile. */
struct etrace {
	bool active;
	const char *workload; /* the RESULT line's workload= */
	char name[ETRACE_NAME_MAX]; /* span=console: the marker's name, workload= */
	struct trapwin win;
	struct trapwin code; /* the pages instruction fetches trapped on: a window of their own */
	struct walk_model model;
	struct nested_table table; /* 4 KiB leaves, every page hidden but the window's */
	u64 hidden;                /* pages hidden when the measurement began */
	u64 t0, exits0;            /* TSC and exit count at the start */
	u64 traps;                 /* exits taken on the trap table */
	u64 data_traps;            /* fed to the model */
	u64 fetch_traps;           /* instruction fetches: into the code window, not fed */
	u64 walk_pins;             /* the guest's walker on its page-table pages: pinned */
	u64 event_pins;            /* event delivery (IDT, stack) cut by a trap: pinned */
	u64 unresolved;            /* data accesses whose linear address was not found */
	u64 unpaged;               /* traps outside 4-level paging (span=run): not fed */
	u64 evictions;             /* pages that left the window */
	bool abits;                /* the trap table's accessed flags order the window */
	u64 window_uses;           /* window pages found used between traps, fed once each */
	u64 just_admitted;         /* gfn + 1 of the page the last data trap admitted; 0 none */
	u64 last_state, same_rip;  /* the last data trap's guest registers (hashed), and traps
	                            * that found them unchanged in a row */
	u64 progress_pins;         /* pages pinned so that an instruction could finish */
	u64 gla_of[TRAPWIN_MAX_WAYS]; /* the linear address each window slot's page was fed at */
	u64 gfn_of[TRAPWIN_MAX_WAYS]; /* (its gfn + 1; 0: not a fed data page) */
	u64 cr3_loads;             /* span=run: new guest CR3 values the model followed */
	u64 hpa_checks;            /* fed accesses whose model hPA was checked: all of them */
	u64 hpa_mismatches;        /* model hPA other than the memory map's for the trapped gPA */
	u64 measurements;          /* RESULT lines printed */
	u64 failures;              /* measurements abandoned */
	char failure[160];         /* the first one's reason */
};

/* Test only: the named points where crash_test= strikes. */
enum crash_at {
	CRASH_AT_RUN,  /* vm_run, just before the first entry */
	CRASH_AT_EXIT, /* vm_console_putc, in the exit handler of the guest's first console byte */
};

struct vm {
	struct vm_params params;
	struct frame_alloc *fa;
	struct gmap gmap;
	struct nested_table ept;
	u64 ept_max_page;    /* largest EPT leaf in paging modes, after clamping */
	u64 cpu_max_page;    /* largest EPT leaf the CPU supports */
	u64 ram_hpa;         /* host frame behind gPA 0 (all guest RAM when ram_contiguous) */
	bool ram_contiguous; /* guest RAM on one host run: a VMM segment can cover it */
	struct vcpu vcpu;
	u32 mode; /* enum hv_mode */

	enum vm_state state;
	int exit_status; /* with VM_EXITED */
	char stop_reason[160];

	u64 exits_total;
	u64 exits_by_raw[VCPU_MAX_RAW_EXIT];
	u64 exits_by_kind[VMEXIT_KIND_COUNT];
	u64 hypercalls, hypercall_errors, unknown_hypercalls;
	u64 hypercall_steps; /* continuations of resumable calls (not in hypercalls) */
	bool hc_resuming;    /* the last hypercall returned VM_HC_RESUME */
	u64 hc_resume_nr;    /* its number */
	u64 hc_resume_rdx;   /* and the RDX it handed out */
	/* Time in the hypervisor per exit, from the exit to the next entry. */
	u64 tsc_hz;                  /* measured against the PIT at start; 0 unknown */
	u64 run_cycles;              /* TSC cycles from the first entry to the guest's end */
	u64 host_redelivered;        /* host-interrupt exits that interrupted an event's delivery */
	u64 max_exit_cycles;         /* the longest exit */
	u32 max_exit_raw;            /* its raw exit reason */
	u64 max_exit_nr;             /* its hypercall number, if it was one */
	u64 hc_max_cycles[HC_COUNT]; /* the longest exit of each hypercall */
	u64 hc_exits[HC_COUNT];      /* exits of each hypercall, steps included */
	u64 msr_refused;
	u64 intr_injected, nmi_injected; /* events delivered to the guest from its APIC */
	u64 apic_reads, apic_writes;     /* xAPIC page accesses emulated */
	u64 hlt_sleeps;                  /* HLTs that waited for the APIC timer */
	struct platform platform;        /* COM1, fw_cfg, the TSC MSRs, the CPUID policy */
	struct port_count ports[VM_PORT_SLOTS];
	u64 ports_overflow;
	struct msr_count msrs[VM_MSR_SLOTS]; /* the refused ones, by MSR */
	u64 msrs_overflow;
	u8 shutdown_match; /* bytes of "Shutdown" seen on the Bochs port */

	char line[VM_LINE_MAX];
	unsigned line_len;
	u64 console_bytes; /* bytes the guest has written to its console */

	/* Direct segments (hv/vm/modes.c). */
	struct direct_segment vmm_seg;   /* gPA -> hPA over all guest RAM */
	struct direct_segment guest_seg; /* as the guest declared it (HC_SET_GSEG) */
	struct bloom escape;             /* escape filter over escaped guest pages */
	unsigned bad_frames;             /* bad host frames behind escaped pages */
	u64 bad_hpa[GMAP_MAX_ESCAPES];
	u64 mode_switches;

	/* Fragmented host memory and compaction (hv/vm/compact_vm.c). */
	struct frame_tenants tenants; /* other tenants' chunks (host_fragment=) */
	struct compact_job compact;   /* the compaction under way, if compacting */
	bool compacting;
	u32 compact_mode;            /* the mode that asked for it */
	u64 compact_t0;              /* TSC at its start */
	u64 compact_cycles;          /* the work of its steps, TSC cycles */
	u64 compact_max_step_cycles; /* its longest step, rebuild included */
	u64 compactions;             /* finished, data checked */
	u64 compact_hash_bad;        /* of them, with guest RAM hashed differently after */

	/* Measurement (hv/vm/measure.c). */
	u64 trace_gpa, trace_entries; /* the registered trace buffer */
	bool measuring;               /* between a BEGIN and an END replay */
	u32 measure_workload;
	u64 esc_hits_total; /* over measurements in VMM-segment modes */
	u64 vmm_seg_measurements;
	struct walk_model model;
	struct etrace etrace;
	u64 hpa_checks, hpa_mismatches; /* the model's hPAs checked against the memory map */
	bool replay_pending;            /* a replay stopped after a step, to be resumed */
	u64 replay_done, replay_count;  /* where it stopped, of how many entries */
	u32 replay_flags;               /* its TRACE_BEGIN/TRACE_END flags */
	u64 replay_steps;               /* steps that ended with entries left */
	u64 replay_step_max_cycles;     /* the longest step's replay work, TSC cycles */
	u64 trace_buf[VM_TRACE_BATCH];  /* entries copied out of the guest per batch */

	/* Memory the guest gives back and gets (hv/vm/vmmem.c). */
	struct balloon balloon;
	struct balloon_range io_hole; /* gPAs that are never RAM (the PCI hole), none when empty */
	u64 mem_list[HC_BALLOON_MAX]; /* a balloon list copied out of the guest */

	/* Page sharing and VMM swapping (hv/vm/vmfeat.c). */
	struct share share;
	struct swap swap;
	u64 share_gpa, share_bytes, share_rdx; /* the scan under way and its resume RDX */
	u64 share_merged0, share_steps;
	/* Distinct pages they put in the escape filter, which cannot forget them (sorted). */
	u64 vmmfeat_filter_gfn[VM_FILTER_PAGES];
	unsigned vmmfeat_filter_count;
	bool vmmfeat_filter_capped;
	u64 vmmfeat_escaped_max;      /* most pages shared or out at once in a VMM-segment mode */
	u64 vmmfeat_hashes;           /* HC_VMM_HASH calls served */
	u64 vmmfeat_map_escapes;      /* escapes they added to the memory map, never reset */
	u64 vmmfeat_model_mismatches; /* model hPAs that disagreed with the hypervisor's view */
	struct balloon_hotadd_job hotadd; /* the hot-add under way, if active */
	u64 hotadd_range;                 /* its guest's struct hv_mem_range */

	/* Test only: the seeded memory fault (hv/vm/faulttest.c). */
	u64 fault_checks; /* exits at which the weak bit was looked at */
	u64 fault_sets;   /* of them, those that found it 0 and set it back to 1 */
};

/* hv/vm/modes.c: modes, segments and escaped pages */
#define VM_BAD_POISON 0xbadbadbadbadbad0ULL
int dseg_set_mode(struct vm *vm, u32 mode);
s64 dseg_declare_guest_seg(struct vm *vm, u64 base, u64 limit, u64 offset);
int dseg_escape_gpa(struct vm *vm, u64 gpa, bool rebuild);
int dseg_apply_badpages(struct vm *vm);
unsigned dseg_check_bad_frames(const struct vm *vm);
/* HC_SET_MODE: a mode that needs the VMM segment over scattered guest RAM compacts it first,
 * in bounded steps (VM_HC_RESUME, *out the step cookie the guest's RDX brings back); when it
 * cannot, the VM stays in the paging mode of that mode (base, guest-direct) and says why. */
s64 dseg_set_mode_step(struct vm *vm, u32 mode, u64 rdx, u64 *out);

/* hv/vm/compact_vm.c: guest RAM on fragmented host memory */
int vm_place_ram(struct vm *vm); /* host_fragment= first */
/* Guest RAM on scattered runs when no contiguous one is free: FRAME_OK when placed. */
enum frame_err vm_place_scattered(struct vm *vm, u64 frames);
/* Runs compaction for the mode to the end (no guest yet: at creation); 0 when on one run. */
int vm_compact_now(struct vm *vm, u32 mode);
s64 vm_compact_step(struct vm *vm, u32 mode, u64 rdx, u64 *out);
/* Regenerates the nested table for the current mode after the memory map changed. */
int dseg_rebuild(struct vm *vm);

/* hv/vm/vmmem.c: ballooning, hot-add, sharing and swapping as the guest sees them */
s64 vmmem_balloon_out(struct vm *vm, u64 list, u64 count, u64 *out);
s64 vmmem_balloon_in(struct vm *vm, u64 list, u64 count, u64 *out);
/* In steps of VMMEM_HOTADD_STEP bytes zeroed (VM_HC_RESUME, *out the step cookie RDX brings). */
#define VMMEM_HOTADD_STEP (64 * MiB)
s64 vmmem_hotadd(struct vm *vm, u64 range_gpa, u64 rdx, u64 *out);
s64 vmmem_stats(struct vm *vm, u64 gpa, u64 len);
/* RESULT kind=balloon (and the other features' lines) when the guest used them. */
void vmmem_report(const struct vm *vm);

/* hv/vm/vmfeat.c: page sharing and VMM swapping (hv/mem/share.h, swap.h) */
bool vmfeat_busy(const struct vm *vm); /* pages shared, swapped out or a scan under way */
int vmfeat_after_build(struct vm *vm); /* re-applies them to a rebuilt nested table */
/* A nested fault the features caused (write to a shared page, access to a swapped one):
 * served and true, or false when it is none of theirs. */
bool vmfeat_nested_fault(struct vm *vm, u64 gpa, bool write);
/* Before the hypervisor itself touches the guest page at gpa through the memory map: a shared
 * or swapped page is unshared or swapped in; false when that failed (the VM is stopped). */
bool vmfeat_prepare(struct vm *vm, u64 gpa);
/* The hypervisor's copies to and from guest memory: a write first unshares or swaps in the
 * page, then 0 (the memory map has it); a read of a shared or swapped page is served from its
 * frame or the store, 1 with the byte's hPA in *hpa; -1 when the VM had to stop. */
int vmfeat_resolve(struct vm *vm, u64 gpa, bool write, u64 *hpa);
s64 vmfeat_share_scan(struct vm *vm, u64 gpa, u64 bytes, u64 rdx, u64 *out);
s64 vmfeat_swap_out(struct vm *vm, u64 gpa, u64 pages, u64 *out);
s64 vmfeat_hash(struct vm *vm, u64 gpa, u64 bytes, u64 *out);
s64 vmfeat_end(struct vm *vm, u64 kind, u64 gva, u64 bytes);

/* hv/vm/measure.c: trace replay through the walk model */
s64 measure_setup(struct vm *vm, u64 gpa, u64 bytes);
s64 measure_replay(struct vm *vm, u64 count, u64 workload, u64 rdx, u64 *out);

/* The walk model's configuration for the current mode (the instrumented and the trapped
 * traces alike). */
void measure_walk_config(struct vm *vm, struct walk_config *c);
/* One RESULT line of model counters and of the checks of its hPAs against the memory map; tail
 * (" key=value ...") follows them. */
void measure_print_model(struct vm *vm, const char *workload, const struct walk_counters *c,
                         u64 hpa_checks, u64 hpa_mismatches, const char *tail);
/* hv/vm/etrace.c: trace=ept, the hypervisor's own trap tracing (DESIGN.md, "Traces") */
/* A measurement begins (span=workloads, from measure_begin) or the run does (span=run). */
void etrace_begin(struct vm *vm, const char *workload);
/* It ends: the RESULT line (compared with the instrumented one's walks when instr is not
 * NULL), and the vCPU is back on the mode's own nested table. */
void etrace_end(struct vm *vm, const struct walk_counters *instr);
/* A nested fault on the trap table: served (the page is in the window) and true; false when
 * the fault is not a trap of the tracing. */
bool etrace_fault(struct vm *vm, const struct vm_exit *e);
/* The mode's nested table is about to change under an active trace: it ends, named. */
void etrace_abandon(struct vm *vm, const char *why);
/* span=console: a console line of the guest, which may begin or end a measurement. */
void etrace_console_line(struct vm *vm, const char *line, unsigned len);
/* The marker in a console line: 1 TRACE_BEGIN:NAME, 2 TRACE_END:NAME (NAME up to the next
 * blank, copied into name, at most ETRACE_NAME_MAX - 1 bytes), 0 none, -1 a marker without a
 * valid name (empty, too long, or not letters, digits, '-', '_', '.'). */
int etrace_marker(const char *line, unsigned len, char name[ETRACE_NAME_MAX]);
/* hv/vm/vm.c */
struct nested_alloc vm_nested_alloc(struct vm *vm);
int vm_create(struct vm *vm, const struct vm_params *params, struct frame_alloc *fa,
              const struct vcpu_ops *ops, u64 cpu_max_page, bool ept_ad);
int vm_build_nested(struct vm *vm, u64 max_leaf);
void vm_run(struct vm *vm);
/* Test only: raises params.crash_test if it is due at `point`; says so first. */
void vm_crash_test(const struct vm *vm, enum crash_at point);
void vm_stop(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vm_report(struct vm *vm);
void vm_console_putc(struct vm *vm, char c);
bool vm_copy_from_guest(struct vm *vm, void *dst, u64 gpa, u64 len);
bool vm_copy_to_guest(struct vm *vm, u64 gpa, const void *src, u64 len);

/* hv/vm/apic_vm.c: the guest's local APIC in the vCPU loop */
/* Before each entry: ticks the APIC, injects what hv/platform/intr.h
 * chooses, asks for the interrupt window and arms the timer. */
void vm_intr_before_entry(struct vm *vm);
/* A nested-table exit on the xAPIC page: decodes the MOV at RIP
 * (hv/vm/insn.h), does the access on the APIC model and moves RIP past it;
 * any other instruction stops the guest, named. */
void vm_apic_mmio(struct vm *vm, const struct vm_exit *e);
/* The code-segment mode the guest runs in, for the decoder. */
enum insn_mode vm_insn_mode(struct vm *vm);
/* Up to INSN_MAX_LENGTH instruction bytes at guest-linear address la (vm_insn_linear: CS:RIP); the count read. */
unsigned vm_fetch_insn(struct vm *vm, u64 la, u8 bytes[INSN_MAX_LENGTH]);
/* HLT: RIP moves past it and the vCPU resumes at once when an interrupt can
 * be delivered; when the APIC timer's expiry is the next one, the host waits
 * for it, 10 ms at most in one exit (RIP then stays at the HLT); else the
 * guest ends VM_HALTED with the reason. */
void vm_hlt(struct vm *vm, const struct vm_exit *e);
/* A MOV to or from CR8 that exited: CR8 is the local APIC's TPR[7:4]. false:
 * a write with reserved bits (63:4), #GP. */
bool vm_apic_cr8(struct vm *vm, bool write, u64 *val);

/* hv/vm/exits.c: the gPA of a guest-linear address through the guest's own
 * page tables in its paging mode (hv/vm/gwalk.h); false when not mapped. */
bool vm_linear_to_gpa(struct vm *vm, u64 la, u64 *gpa);
/* hv/vm/exits.c: the linear address of the instruction at CS:RIP (CS's base added outside
 * 64-bit mode, as a 16-bit or real-mode code segment needs). */
u64 vm_insn_linear(struct vm *vm);

/* hv/vm/exits.c: the dispatch table */
void vm_handle_exit(struct vm *vm, const struct vm_exit *e);

/* hv/vm/hypercall.c. A handler's VM_HC_RESUME (never a guest-visible
 * status) means: the call is not finished; leave RAX and RIP as they are,
 * put *out in RDX, and the same VMCALL goes on at the next entry. */
#define VM_HC_RESUME 1
s64 hypercall_dispatch(struct vm *vm, u64 nr, u64 a0, u64 a1, u64 a2, u64 *out);
/* "trace-replay" and the like; "none" for a number without a call. */
const char *hypercall_name(u64 nr);

/* hv/vm/faulttest.c, test only (fault_test=): a weak cell seeded in guest RAM on purpose, for a
 * memory tester in the guest to find. Bit params.fault_bit of the byte at gPA params.fault_gpa
 * reads 1 again by the end of each exit; host_tick= bounds the time between exits. */
/* Checks the seeded byte (guest RAM, a host tick) and says where it is; 0 when off or ready. */
int vm_fault_test_init(struct vm *vm);
/* At the end of each exit: sets the weak bit when the guest left it 0 (fault_sets). */
void vm_fault_test_apply(struct vm *vm);

/* hv/vm/loader.c: Multiboot v1 guest start: hv/vm/loader.h. */

#endif
