#include "hv/config.h"

#include "arch/x86/crash.h"
#include "arch/x86/irq.h"
#include "lib/hvcall.h"

static const char *const mode_names[] = {HV_MODE_NAMES, NULL};
_Static_assert(ARRAY_SIZE(mode_names) == MODE_COUNT + 1, "one name per enum hv_mode");
static const char *const ept_page_names[] = {"4k", "2m", "1g", NULL};
static const char *const tlb_names[] = {"skylake", "sandybridge", NULL};
/* In enum seg_fill's order (hv/model/walk.h). */
static const char *const crash_names[] = {CRASH_KIND_NAMES, NULL};
_Static_assert(ARRAY_SIZE(crash_names) == CRASH_KIND_COUNT + 1, "one name per enum crash_kind");
static const char *const crash_at_names[] = {"run", "exit", NULL};
static const char *const irq_test_names[] = {IRQ_TEST_NAMES, NULL};
_Static_assert(ARRAY_SIZE(irq_test_names) == IRQ_TEST_COUNT + 1, "one name per enum irq_test");
_Static_assert(CRASH_AT_RUN == 0 && CRASH_AT_EXIT == 1, "crash_at= names follow enum crash_at");
static const char *const trace_names[] = {"guest", "ept", NULL};
_Static_assert(VM_TRACE_GUEST == 0 && VM_TRACE_EPT == 1, "trace= names follow enum vm_trace");
static const char *const trace_span_names[] = {"workloads", "run", "console", NULL};
_Static_assert(VM_TRACE_SPAN_WORKLOADS == 0 && VM_TRACE_SPAN_RUN == 1 &&
                   VM_TRACE_SPAN_CONSOLE == 2,
               "trace_span= names follow enum vm_trace_span");
static const char *const trace_recency_names[] = {"traps", "accessed", NULL};
_Static_assert(VM_TRACE_RECENCY_TRAPS == 0 && VM_TRACE_RECENCY_ACCESSED == 1,
               "trace_recency= names follow enum vm_trace_recency");
static const char *const guest_halt_names[] = {"fail", "end", NULL};
_Static_assert(GUEST_HALT_FAIL == 0 && GUEST_HALT_END == 1,
               "guest_halt= names follow enum guest_halt_opt");
static const char *const seg_fill_names[] = {"none", "l1", "l2", "both", NULL};
_Static_assert(SEG_FILL_NONE == 0 && SEG_FILL_L1 == 1 && SEG_FILL_L2 == 2 && SEG_FILL_BOTH == 3,
               "seg_fill= names follow enum seg_fill");

#define MAX_BLOOM_BITS   4096
#define MAX_BLOOM_HASHES 16
/* watchdog=: 2^37 TSC cycles (about 46 s at 3 GHz, the old default of
 * 0xFFFFFFFF preemption-timer ticks at the common rate TSC >> 5); at most
 * 2^48 (about a day). */
#define WATCHDOG_DEFAULT (1ULL << 37)
#define WATCHDOG_MAX     (1ULL << 48)
#define HOST_TICK_MAX_MS 60000
#define GUEST_TIME_MAX_S 86400 /* a day */

static const struct opt_desc hv_opts[] = {
    OPT_BOOL_ENTRY(struct hv_config, selftest, "selftest", "run boot self-tests"),
    OPT_BOOL_ENTRY(struct hv_config, vm, "vm", "run the guest in a VT-x virtual machine"),
    OPT_ENUM_ENTRY(struct hv_config, mode, "mode", mode_names, "translation mode at start"),
    OPT_ENUM_ENTRY(struct hv_config, ept_page, "ept_page", ept_page_names,
                   "largest EPT page in paging modes (clamped to the CPU)"),
    OPT_SIZE_ENTRY(struct hv_config, guest_ram, "guest_ram", 16 * MiB, 64 * GiB, "guest RAM size"),
    OPT_UINT_ENTRY(struct hv_config, guest_ram_at, "guest_ram_at", 0, (1ULL << 52) - 1, OPTF_HEX,
                   "host-physical address of guest RAM (0: any), for reproducible layouts"),
    OPT_ENUM_ENTRY(struct hv_config, tlb, "tlb", tlb_names, "TLB model preset"),
    OPT_BOOL_ENTRY(struct hv_config, pwc, "pwc", "model page-walk caches"),
    OPT_BOOL_ENTRY(struct hv_config, ntlb, "ntlb", "model a nested TLB"),
    OPT_BOOL_ENTRY(struct hv_config, npwc, "npwc", "model caches of nested non-leaf entries"),
    OPT_ENUM_ENTRY(struct hv_config, seg_fill, "seg_fill", seg_fill_names,
                   "TLB levels a segment-served translation fills"),
    OPT_ENUM_ENTRY(struct hv_config, trace, "trace", trace_names,
                   "accesses the walk model sees: guest (the guest's instrumented trace) or ept "
                   "(also the hypervisor's trap tracing, for any guest)"),
    OPT_UINT_ENTRY(struct hv_config, trace_ways, "trace_ways", 0, TRAPWIN_MAX_WAYS, 0,
                   "trace=ept: pages kept present (0: the TLB preset's smallest associativity)"),
    OPT_ENUM_ENTRY(struct hv_config, trace_span, "trace_span", trace_span_names,
                   "trace=ept: each measurement the guest brackets by hypercall (workloads), "
                   "the whole run (run), or between its console lines TRACE_BEGIN:NAME and "
                   "TRACE_END:NAME (console)"),
    OPT_ENUM_ENTRY(struct hv_config, trace_recency, "trace_recency", trace_recency_names,
                   "trace=ept: what orders the window: traps, or also the accessed flags of "
                   "its pages (fed to the model once per use between traps)"),
    OPT_UINT_ENTRY(struct hv_config, bloom_bits, "bloom_bits", 8, MAX_BLOOM_BITS, 0,
                   "escape filter bits"),
    OPT_UINT_ENTRY(struct hv_config, bloom_hashes, "bloom_hashes", 1, MAX_BLOOM_HASHES, 0,
                   "escape filter hash functions"),
    OPT_LIST_ENTRY(struct hv_config, badpages, "badpages", 0, (1ULL << 52) - 1, OPT_LIST_MAX,
                   OPTF_HEX, "host-physical frames with hard faults"),
    OPT_BOOL_ENTRY(struct hv_config, ept_ad, "ept_ad", "use EPT accessed/dirty bits"),
    OPT_UINT_ENTRY(struct hv_config, watchdog, "watchdog", 0, WATCHDOG_MAX, OPTF_HEX,
                   "TSC cycles of guest time without an exit other than a host interrupt "
                   "(0: off)"),
    OPT_UINT_ENTRY(struct hv_config, host_tick, "host_tick", 0, HOST_TICK_MAX_MS, 0,
                   "ms between host LAPIC timer interrupts while the guest runs (0: off)"),
    OPT_UINT_ENTRY(struct hv_config, guest_time, "guest_time", 0, GUEST_TIME_MAX_S, 0,
                   "s of run time after which a guest that never ends (memtest86+) is ended "
                   "at its next exit, as a success (0: off)"),
    OPT_ENUM_ENTRY(struct hv_config, guest_halt, "guest_halt", guest_halt_names,
                   "a guest that halts with nothing to wake it or asks for a reset: fail, or "
                   "end (as a success: Linux powering off without ACPI)"),
    OPT_STRING_ENTRY(struct hv_config, vm_entry_test, "vm_entry_test",
                     "test only: break one VM-entry rule and skip the software checker"),
    OPT_UINT_ENTRY(struct hv_config, host_fragment, "host_fragment", 0, 64, 0,
                   "fragment host memory: hold every Nth 2 MiB chunk for other tenants (0: off)"),
    OPT_UINT_ENTRY(struct hv_config, host_fragment_seed, "host_fragment_seed", 0,
                   0xffffffffffffffffULL, OPTF_HEX,
                   "host_fragment: 0 holds every Nth chunk; else each with probability 1/N"),
    OPT_BOOL_ENTRY(struct hv_config, host_fragment_pin, "host_fragment_pin",
                   "host_fragment: the held chunks are unmovable (compaction cannot move them)"),
    OPT_BOOL_ENTRY(struct hv_config, io_hole, "io_hole",
                   "a guest of more than 3 GiB has the PCI hole [3 GiB, 4 GiB) in its memory map"),
    OPT_BOOL_ENTRY(struct hv_config, dirty_ram, "dirty_ram",
                   "test only: dirty every page of guest RAM before zeroing it"),
    OPT_ENUM_ENTRY(struct hv_config, irq_test, "irq_test", irq_test_names,
                   "test only: send this CPU an unassigned vector or an NMI that arrives in "
                   "guest mode"),
    OPT_ENUM_ENTRY(struct hv_config, crash_test, "crash_test", crash_names,
                   "test only: raise this exception inside the hypervisor at crash_at"),
    OPT_ENUM_ENTRY(struct hv_config, crash_at, "crash_at", crash_at_names,
                   "test only: where crash_test strikes: run (before the guest runs) or exit "
                   "(in the exit handler of the guest's first console byte)"),
    OPT_UINT_ENTRY(struct hv_config, fault_test, "fault_test", 0, (1ULL << 52) - 1, OPTF_HEX,
                   "test only: gPA of a byte of guest RAM whose bit fault_test_bit reads 1 "
                   "again at every exit (0: off)"),
    OPT_UINT_ENTRY(struct hv_config, fault_test_bit, "fault_test_bit", 0, 7, 0,
                   "test only: the bit of fault_test's byte that does not hold a 0"),
    OPT_STRING_ENTRY(
        struct hv_config, console, "console",
        "serial console (lib/x86/uart.h): com1, com2, com3, com4 or a 0x base I/O port"),
    OPT_STRING_ENTRY(struct hv_config, pmu, "pmu",
                     "PMU walk counting: off, auto, skylake, zen, or event names joined by ','"),
};

const struct opt_table hv_config_table = OPT_TABLE(hv_opts);

void hv_config_defaults(struct hv_config *c)
{
	*c = (struct hv_config){
	    .selftest = false,
	    .vm = true,
	    .mode = MODE_BASE,
	    .ept_page = EPT_PAGE_4K,
	    .guest_ram = 128 * MiB,
	    .io_hole = true, /* what a PC does */
	    .tlb = TLB_SKYLAKE,
	    .bloom_bits = 256,
	    .bloom_hashes = 4,
	    .ept_ad = false,
	    .watchdog = WATCHDOG_DEFAULT,
	    .seg_fill = SEG_FILL_L1, /* the direct-segment papers' choice (hv/model/walk.h) */
	    .console = "com1",
	    .pmu = "auto",
	};
}

u64 hv_config_ept_page_bytes(u32 ept_page)
{
	switch (ept_page) {
	case EPT_PAGE_1G:
		return PAGE_SIZE_1G;
	case EPT_PAGE_2M:
		return PAGE_SIZE_2M;
	default:
		return PAGE_SIZE_4K;
	}
}

const char *hv_config_tlb_name(u32 tlb)
{
	return NAME_IN(tlb_names, tlb, "?");
}

bool hv_config_vm_params(const struct hv_config *c, struct vm_params *p)
{
	*p = (struct vm_params){
	    .mode = c->mode,
	    .ept_page = hv_config_ept_page_bytes(c->ept_page),
	    .guest_ram = c->guest_ram,
	    .guest_ram_at = c->guest_ram_at,
	    .bloom_bits = (u32)c->bloom_bits,
	    .bloom_hashes = (u32)c->bloom_hashes,
	    .badpages = c->badpages,
	    .entry_test = c->vm_entry_test,
	    .watchdog = c->watchdog,
	    .host_tick_ms = (u32)c->host_tick,
	    .guest_time_s = c->guest_time,
	    .halt_ends = c->guest_halt == GUEST_HALT_END,
	    .dirty_ram = c->dirty_ram,
	    .io_hole = c->io_hole,
	    .host_fragment = c->host_fragment,
	    .host_fragment_seed = c->host_fragment_seed,
	    .host_fragment_pin = c->host_fragment_pin,
	    .tlb = tlb_preset_find(hv_config_tlb_name(c->tlb)),
	    .pwc = c->pwc,
	    .ntlb = c->ntlb,
	    .npwc = c->npwc,
	    .seg_fill = c->seg_fill,
	    .crash_test = c->crash_test,
	    .irq_test = c->irq_test,
	    .crash_at = c->crash_at,
	    .trace = c->trace,
	    .trace_ways = (u32)c->trace_ways,
	    .trace_span = c->trace_span,
	    .trace_recency = c->trace_recency,
	    .fault_gpa = c->fault_test,
	    .fault_bit = (u32)c->fault_test_bit,
	};
	return p->tlb != NULL;
}
